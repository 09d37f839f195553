// The exam paper: every answer is saved the moment it is chosen, so a closed tab or a lost
// connection loses nothing; the time left is shown by the server's deadline, and when it has
// passed the page reloads to show the result (the server submits the attempt itself).
(() => {
  const form = document.querySelector(".exam-paper");
  if (!form) return;
  const text = form.dataset;
  // Questions chosen but not saved yet: key → fieldset. Saves go one at a time, each sending
  // what the question shows when it is sent: two requests in flight could reach the server in
  // either order, and the older choice would overwrite the newer.
  const dirty = new Map();
  let saving = false;

  // What the server made of one answer: "saved" only when it says so; "closed" when the
  // attempt is submitted (by the clock, say); else why it was not saved, for the learner to
  // read (trying again would not help: the page, the answer or the login is no longer good).
  // Throws when the server cannot be reached or failed: worth trying again.
  async function save(key, fieldset) {
    const options = [...fieldset.querySelectorAll("input")].filter((i) => i.checked).map((i) => i.value);
    const response = await fetch(text.saveUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": text.csrf },
      body: JSON.stringify({ key, options }),
    });
    const body = await response.json().catch(() => null);  // a login page is not JSON
    if (response.ok && body && body.saved === true) return { saved: true };
    if (response.status === 409) return { closed: true };
    if (response.status >= 500) throw new Error(String(response.status));
    return { refused: (body && body.message) || text.textRefused };
  }

  async function flush() {
    if (saving) return;
    saving = true;
    try {
      while (dirty.size) {
        const [key, fieldset] = dirty.entries().next().value;
        dirty.delete(key);
        const state = fieldset.querySelector(".save-state");
        let result;
        try {
          result = await save(key, fieldset);
        } catch (error) {
          if (!dirty.has(key)) dirty.set(key, fieldset);
          state.textContent = text.textFailed;
          return;  // the network is gone: try again in a while
        }
        if (result.closed) {  // submitted (by the clock?): show the result
          window.location.reload();
          return;
        }
        state.classList.toggle("error", !result.saved);
        if (result.refused) state.textContent = text.textNotSaved.replace("{why}", result.refused);
        else if (!dirty.has(key)) state.textContent = text.textSaved;
      }
    } finally {
      saving = false;
    }
  }

  form.addEventListener("change", (event) => {
    const fieldset = event.target.closest("fieldset");
    if (!fieldset) return;
    dirty.set(event.target.name.slice(2), fieldset);
    fieldset.querySelector(".save-state").textContent = "";
    flush();
  });
  setInterval(flush, 5000);

  const clock = document.querySelector(".exam-clock");
  const deadline = Date.parse(clock.dataset.deadline.endsWith("Z") || clock.dataset.deadline.includes("+")
    ? clock.dataset.deadline : `${clock.dataset.deadline}Z`);
  const tick = () => {
    const left = Math.max(0, Math.floor((deadline - Date.now()) / 1000));
    if (left === 0) {
      clock.textContent = clock.dataset.textOver;
      setTimeout(() => window.location.reload(), 2000);
      return;
    }
    const time = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`;
    clock.textContent = clock.dataset.textLeft.replace("{time}", time);
    setTimeout(tick, 1000);
  };
  tick();

  form.addEventListener("submit", (event) => {
    const button = event.submitter;
    if (button && button.dataset.confirm && !window.confirm(button.dataset.confirm)) {
      event.preventDefault();
    }
  });
})();
