// Resumable video upload through the JSON API: the file goes in 8 MiB chunks; after a broken
// connection (or choosing the same file again later) it continues where the server says.
(() => {
  const box = document.querySelector(".uploader");
  const table = document.getElementById("videos");
  if (!table) return;
  const CHUNK = 8 * 1024 * 1024;
  const csrf = box ? box.dataset.csrf : "";
  const videosUrl = table.dataset.videosUrl;
  let active = 0;

  async function api(url, options = {}) {
    const response = await fetch(url, {
      credentials: "same-origin",
      ...options,
      headers: { "X-CSRFToken": csrf, Accept: "application/json", ...(options.headers || {}) },
    });
    let body = null;
    try { body = await response.json(); } catch (error) { /* not JSON */ }
    return { response, body };
  }

  // PUT one chunk with XMLHttpRequest, which reports upload progress (fetch does not).
  function put(url, chunk, offset, onProgress) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open("PUT", url);
      xhr.setRequestHeader("X-CSRFToken", csrf);
      xhr.setRequestHeader("Upload-Offset", String(offset));
      xhr.setRequestHeader("Content-Type", "application/offset+octet-stream");
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.onprogress = (event) => onProgress(event.loaded);
      xhr.onload = () => {
        let body = null;
        try { body = JSON.parse(xhr.responseText); } catch (error) { /* not JSON */ }
        resolve({ status: xhr.status, body });
      };
      xhr.onerror = () => reject(new Error("network"));
      xhr.send(chunk);
    });
  }

  const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  async function upload(file) {
    const row = document.createElement("li");
    row.innerHTML = '<span class="name"></span> <progress max="100" value="0"></progress> <span class="status"></span>';
    row.querySelector(".name").textContent = file.name;
    box.querySelector(".upload-list").append(row);
    const bar = row.querySelector("progress");
    const status = row.querySelector(".status");
    const fail = (message) => { status.textContent = box.dataset.textFailed + message; row.classList.add("error"); };

    const listing = await api(videosUrl);
    let video = (listing.body || []).find(
      (v) => v.state === "uploading" && v.original_filename === file.name && v.size === file.size);
    if (!video) {
      const started = await api(box.dataset.startUrl, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ filename: file.name, size: file.size }),
      });
      if (!started.response.ok) return fail((started.body && started.body.message) || started.response.status);
      video = started.body;
    }
    let offset = video.received;
    let failures = 0;
    while (offset < file.size) {
      const end = Math.min(offset + CHUNK, file.size);
      try {
        const result = await put(video.upload_url, file.slice(offset, end), offset, (sent) => {
          bar.value = Math.floor(((offset + sent) * 100) / file.size);
        });
        if (result.status === 200 || result.status === 409) {  // 409: the server's state in `video`
          offset = (result.status === 409 ? result.body.video : result.body).received;
          failures = 0;
          status.textContent = "";
        } else {
          return fail((result.body && result.body.message) || result.status);
        }
      } catch (error) {
        failures += 1;
        status.textContent = box.dataset.textRetrying;
        await pause(Math.min(30000, 1000 * 2 ** failures));
        const again = await api(video.upload_url.replace(/\/upload$/, "")).catch(() => null);
        if (again && again.response.ok) offset = again.body.received;
      }
      bar.value = Math.floor((offset * 100) / file.size);
    }
    status.textContent = box.dataset.textDone;
    row.classList.add("done");
  }

  if (box) {
    box.querySelector(".upload-input").addEventListener("change", async (event) => {
      const files = Array.from(event.target.files);
      event.target.value = "";
      active += files.length;
      for (const file of files) {
        try { await upload(file); } finally { active -= 1; }
      }
      if (active === 0) setTimeout(() => window.location.reload(), 800);
    });
  }

  // While any video is being processed, follow its state and progress.
  async function follow() {
    const busy = table.querySelector(".state-queued, .state-processing");
    if (!busy || active > 0) return setTimeout(follow, 3000);
    const { body } = await api(videosUrl).catch(() => ({ body: null }));
    let finished = false;
    for (const video of body || []) {
      const row = table.querySelector(`tr[data-video-id="${video.id}"]`);
      if (!row) continue;
      const badge = row.querySelector(".badge");
      const wasBusy = badge.classList.contains("state-queued") || badge.classList.contains("state-processing");
      if (wasBusy && !["queued", "processing"].includes(video.state)) finished = true;
      badge.textContent = video.state_label;
      badge.className = `badge state-${video.state}`;
      const bar = row.querySelector("progress");
      if (bar) bar.value = video.progress;
    }
    if (finished) window.location.reload();
    else setTimeout(follow, 3000);
  }
  follow();
})();
