// Asks before destructive buttons (data-confirm) and keeps "select all" in step.
export function enhanceConfirm(root) {
  for (const button of root.querySelectorAll("[data-confirm]")) {
    button.addEventListener("click", (event) => {
      if (!window.confirm(button.dataset.confirm)) {
        event.preventDefault();
      }
    });
  }
}

export function enhanceSelection(root) {
  for (const form of root.querySelectorAll("[data-selection]")) {
    const all = form.querySelector("[data-select-all]");
    const boxes = () => form.querySelectorAll('input[name="ids"]');
    const count = form.querySelector("[data-selected-count]");
    const update = () => {
      const n = [...boxes()].filter((b) => b.checked).length;
      if (count) {
        count.textContent = n === 0 ? "Select rows to act on them:" : `${n} selected:`;
      }
    };
    if (all) {
      all.addEventListener("change", () => {
        for (const b of boxes()) {
          b.checked = all.checked;
        }
        update();
      });
    }
    form.addEventListener("change", update);
  }
}
