// The queue without reloads: j/k move between entries, a approves, s spams, t trashes,
// and an action button updates its row in place. Without JavaScript every button is a
// plain form post, so nothing here is needed to moderate.
(function () {
  "use strict";
  const rows = () => Array.from(document.querySelectorAll(".queue .row"));
  let current = -1;

  function focusRow(index) {
    const all = rows();
    if (!all.length) return;
    current = Math.max(0, Math.min(index, all.length - 1));
    all.forEach((row, i) => row.classList.toggle("current", i === current));
    all[current].focus();
    all[current].scrollIntoView({ block: "nearest" });
  }

  function updateCounts(counts) {
    Object.entries(counts || {}).forEach(([tab, count]) => {
      const element = document.querySelector(`[data-count="${tab}"]`);
      if (element) element.textContent = `(${count})`;
    });
  }

  async function submitAction(form) {
    const button = form.querySelector("button[data-action]");
    const row = form.closest(".row");
    const response = await fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    });
    if (!response.ok) {
      form.submit();
      return;
    }
    const result = await response.json();
    updateCounts(result.counts);
    if (row) {
      if (button && button.dataset.action === "delete") {
        row.remove();
        return;
      }
      row.className = row.className.replace(/status-\w+/, `status-${result.status}`);
      const badge = row.querySelector("[data-status]");
      if (badge) badge.textContent = result.status;
      row.dataset.done = result.message;
      row.querySelectorAll(".actions form").forEach((each) => {
        each.querySelectorAll("button").forEach((b) => (b.disabled = true));
      });
      row.querySelectorAll(".actions details").forEach((each) => (each.open = false));
      const note = document.createElement("p");
      note.className = "flash";
      note.setAttribute("role", "status");
      note.textContent = result.message;
      row.querySelector(".what").appendChild(note);
    }
  }

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!form.querySelector("button[data-action]")) return;
    event.preventDefault();
    submitAction(form).catch(() => form.submit());
  });

  document.addEventListener("keydown", (event) => {
    const target = event.target;
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    if (target.closest("input, textarea, select, [contenteditable]")) return;
    const keys = { a: "approve", s: "spam", t: "trash" };
    if (event.key === "j") focusRow(current + 1);
    else if (event.key === "k") focusRow(current - 1);
    else if (keys[event.key] && current >= 0) {
      const button = rows()[current].querySelector(`button[data-action="${keys[event.key]}"]`);
      if (button) button.form.requestSubmit(button);
    } else return;
    event.preventDefault();
  });
})();
