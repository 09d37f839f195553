// The exam paper: every answer is saved the moment it is chosen, so a closed tab or a lost
// connection loses nothing; the time left is shown by the server's deadline, and when it has
// passed the page reloads to show the result (the server submits the attempt itself).
(() => {
  const form = document.querySelector(".exam-paper");
  if (!form) return;
  const text = form.dataset;
  const pending = new Map();  // question key → its fieldset, waiting to be saved again

  async function save(fieldset) {
    const inputs = [...fieldset.querySelectorAll("input")];
    const key = inputs[0].name.slice(2);
    const options = inputs.filter((i) => i.checked).map((i) => i.value);
    const state = fieldset.querySelector(".save-state");
    try {
      const response = await fetch(text.saveUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": text.csrf },
        body: JSON.stringify({ key, options }),
      });
      if (response.status === 409) { window.location.reload(); return; }
      if (!response.ok) throw new Error(String(response.status));
      pending.delete(key);
      state.textContent = text.textSaved;
    } catch (error) {
      pending.set(key, fieldset);
      state.textContent = text.textFailed;
    }
  }

  form.addEventListener("change", (event) => {
    const fieldset = event.target.closest("fieldset");
    if (fieldset) save(fieldset);
  });
  setInterval(() => { for (const fieldset of pending.values()) save(fieldset); }, 5000);

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
