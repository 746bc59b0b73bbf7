// Selecting rows for a bulk action (the all-keys page's `Revoke selected`). Without
// JavaScript the button stays enabled and the server answers "Nothing to revoke".
"use strict";

// The row checkboxes of a bulk form: `<input name=keys form=bulk-revoke>`.
function rowBoxes(formId) {
  return [...document.querySelectorAll(`input[type=checkbox][form="${formId}"]`)];
}

// The bulk button names how many rows it acts on and waits for at least one; the
// select-all box shows whether all, some or none are checked.
function refreshSelection() {
  for (const button of document.querySelectorAll("[data-bulk-revoke]")) {
    const checked = rowBoxes(button.getAttribute("form")).filter((box) => box.checked).length;
    button.disabled = checked === 0;
    const count = button.querySelector("[data-selected-count]");
    if (count) count.textContent = checked ? ` (${checked})` : "";
  }
  for (const all of document.querySelectorAll("[data-select-all]")) {
    const boxes = rowBoxes(all.dataset.selectAll);
    const checked = boxes.filter((box) => box.checked).length;
    all.hidden = boxes.length === 0;
    all.checked = boxes.length > 0 && checked === boxes.length;
    all.indeterminate = checked > 0 && checked < boxes.length;
  }
}

document.addEventListener("change", (event) => {
  const all = event.target.closest("[data-select-all]");
  if (all) {
    for (const box of rowBoxes(all.dataset.selectAll)) box.checked = all.checked;
  }
  refreshSelection();
});
document.addEventListener("DOMContentLoaded", refreshSelection);
document.addEventListener("htmx:afterSettle", refreshSelection);
// Back/forward cache restores checked boxes without a DOMContentLoaded.
window.addEventListener("pageshow", refreshSelection);
