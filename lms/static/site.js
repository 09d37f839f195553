// Small progressive enhancements; every page works without them.
document.addEventListener("submit", (event) => {
  const message = event.target.dataset.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
});
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) window.print();
});

// A long <select> with a search box above it (data-filter-for names the select): typing
// narrows the options, group by group. The first option ("请选择") always stays; nothing is
// chosen for the person. Options are rebuilt, not hidden: phones show hidden options.
for (const box of document.querySelectorAll("[data-filter-for]")) {
  const select = document.getElementById(box.dataset.filterFor);
  const input = box.querySelector("input");
  if (!select || !input) continue;
  const all = Array.from(select.children).map((node) => node.cloneNode(true));
  box.hidden = false;
  input.addEventListener("input", () => {
    const words = input.value.trim().toLowerCase();
    const chosen = select.value;
    const keep = (option) =>
      !words || option.value === chosen || option.textContent.toLowerCase().includes(words);
    select.replaceChildren(
      ...all.flatMap((node, index) => {
        if (index === 0) return [node.cloneNode(true)];
        if (node.tagName === "OPTGROUP") {
          const groupMatches = words && node.label.toLowerCase().includes(words);
          const options = Array.from(node.children).filter((o) => groupMatches || keep(o));
          if (!options.length) return [];
          const group = node.cloneNode(false);
          group.append(...options.map((o) => o.cloneNode(true)));
          return [group];
        }
        return keep(node) ? [node.cloneNode(true)] : [];
      }),
    );
    select.value = chosen;
  });
}

// A header checkbox (data-check-all names the checkboxes) ticks or clears every one of them.
for (const all of document.querySelectorAll("[data-check-all]")) {
  all.addEventListener("change", () => {
    const form = all.closest("form");
    for (const box of form.querySelectorAll(`input[name="${all.dataset.checkAll}"]`)) {
      box.checked = all.checked;
    }
  });
}
