// The course video player: HLS through hls.js (served by this site) where the browser has Media
// Source Extensions, native HLS elsewhere (iPhone); resumes, and reports its position.
(() => {
  const box = document.querySelector(".player");
  if (!box) return;
  const video = box.querySelector("video");
  const message = box.querySelector(".player-message");
  const src = box.dataset.src;
  const resumeAt = parseFloat(box.dataset.resume || "0");
  let lastSent = -1;

  video.addEventListener("loadedmetadata", () => {
    if (resumeAt > 1 && resumeAt < video.duration - 3) video.currentTime = resumeAt;
  }, { once: true });

  function report() {
    const seconds = Math.floor(video.currentTime);
    if (seconds === lastSent || !Number.isFinite(seconds)) return;
    lastSent = seconds;
    fetch(box.dataset.positionUrl, {
      method: "POST",
      credentials: "same-origin",
      keepalive: true,
      headers: { "Content-Type": "application/json", "X-CSRFToken": box.dataset.csrf },
      body: JSON.stringify({ seconds }),
    }).catch(() => { /* resuming is a convenience: never bother the learner */ });
  }
  setInterval(() => { if (!video.paused) report(); }, 15000);
  video.addEventListener("pause", report);
  video.addEventListener("ended", report);
  document.addEventListener("visibilitychange", () => { if (document.hidden) report(); });

  function withHlsJs() {
    const hls = new window.Hls({ capLevelToPlayerSize: true });
    hls.on(window.Hls.Events.ERROR, (event, data) => {
      if (!data.fatal) return;
      if (data.response && data.response.code === 410) {
        message.textContent = box.dataset.textExpired;
      } else if (data.type === window.Hls.ErrorTypes.NETWORK_ERROR) {
        setTimeout(() => hls.startLoad(), 2000);
      } else if (data.type === window.Hls.ErrorTypes.MEDIA_ERROR) {
        hls.recoverMediaError();
      } else {
        message.textContent = box.dataset.textUnsupported;
      }
    });
    hls.loadSource(src);
    hls.attachMedia(video);
    box.hls = hls;
  }

  if ("MediaSource" in window || "ManagedMediaSource" in window) {
    const script = document.createElement("script");
    script.src = box.dataset.hls;
    script.onload = () => (window.Hls && window.Hls.isSupported() ? withHlsJs() : (video.src = src));
    script.onerror = () => {
      if (video.canPlayType("application/vnd.apple.mpegurl")) video.src = src;
      else message.textContent = box.dataset.textUnsupported;
    };
    document.head.append(script);
  } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
    video.src = src;
  } else {
    message.textContent = box.dataset.textUnsupported;
  }
})();
