// Keydesk's few behaviours. No inline script anywhere: the CSP forbids it.
"use strict";

// Open every modal htmx has just inserted. htmx:afterSwap runs in the same task as the
// swap, so a dialog is modal (and its closedby in force) before the browser paints it.
function openModals() {
  for (const dialog of document.querySelectorAll("dialog[data-modal]:not([open])")) {
    dialog.showModal();
    const first = dialog.querySelector("input:not([type=hidden]):not([disabled]), select");
    if (first) first.focus();
  }
}
document.addEventListener("htmx:afterSwap", openModals);

// A dialog holding an uncopied key stays open: closedby="none" (set in the markup) stops
// Escape and backdrop clicks; this catches browsers that do not know closedby yet.
document.addEventListener(
  "cancel",
  (event) => {
    if (event.target.matches("dialog[data-locked]")) event.preventDefault();
  },
  true,
);

// Once `Create` is sent the key may already exist: a modal closed (Escape, backdrop,
// `Cancel`) before the answer arrives would drop the answer, and the key with it, unseen.
// So a modal whose form is in flight cannot be closed; the response replaces it.
document.addEventListener("htmx:beforeRequest", (event) => {
  const dialog = event.target.closest("dialog[data-modal]");
  if (!dialog || event.detail.requestConfig.verb === "get") return;
  dialog.setAttribute("closedby", "none");
  dialog.setAttribute("aria-busy", "true");
  for (const button of dialog.querySelectorAll("button:not([disabled])")) {
    button.disabled = true;
    button.dataset.busyDisabled = "";
  }
});
// Still on the page after its request (a network or server error): closable again.
document.addEventListener("htmx:afterRequest", (event) => {
  const dialog = event.target.closest("dialog[data-modal][aria-busy]");
  if (!dialog || !dialog.isConnected) return;
  dialog.removeAttribute("aria-busy");
  if (!dialog.hasAttribute("data-locked")) dialog.setAttribute("closedby", "any");
  for (const button of dialog.querySelectorAll("button[data-busy-disabled]")) {
    button.disabled = false;
    delete button.dataset.busyDisabled;
  }
});

// Leaving the page before copying the key would lose it for good.
window.addEventListener("beforeunload", (event) => {
  if (document.querySelector("dialog[data-locked]")) event.preventDefault();
});

// A closed modal leaves the page, and anything it held (a key) with it.
document.addEventListener(
  "close",
  (event) => {
    if (event.target.matches("dialog[data-modal]")) event.target.remove();
  },
  true,
);

function unlock(dialog, message) {
  const status = dialog.querySelector("[data-copy-status]");
  if (status) status.textContent = message;
  if (!dialog.hasAttribute("data-locked")) return;
  dialog.removeAttribute("data-locked");
  dialog.setAttribute("closedby", "any");
  for (const button of dialog.querySelectorAll("[data-close-modal]")) {
    button.disabled = false;
    button.removeAttribute("title");
  }
}

async function copyToClipboard(input) {
  if (navigator.clipboard && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(input.value);
      return true;
    } catch {
      // Permission refused: fall back to the selection below.
    }
  }
  // Non-secure origins (plain http on a LAN address) have no clipboard API.
  input.focus();
  input.select();
  try {
    return document.execCommand("copy");
  } catch {
    return false;
  }
}

document.addEventListener("click", async (event) => {
  const copy = event.target.closest("[data-copy]");
  if (copy) {
    const input = document.getElementById(copy.dataset.copy);
    const dialog = copy.closest("dialog");
    if (await copyToClipboard(input)) {
      copy.textContent = "Copied";
      if (dialog) unlock(dialog, "Copied to the clipboard. You can close this now.");
    } else {
      input.focus();
      input.select();
      const status = (dialog || document).querySelector("[data-copy-status]");
      if (status) status.textContent = "Copying failed: the text is selected, press Ctrl+C (⌘C) to copy it.";
    }
    return;
  }
  const close = event.target.closest("[data-close-modal]");
  if (close && !close.disabled) {
    const dialog = close.closest("dialog");
    if (dialog) dialog.close();
    else history.back();
  }
});

// A key copied by hand (Ctrl+C on the selected field) counts as copied too.
document.addEventListener("copy", (event) => {
  const input = event.target.closest && event.target.closest("[data-secret]");
  const dialog = input && input.closest("dialog[data-locked]");
  if (dialog && input.selectionStart === 0 && input.selectionEnd === input.value.length) {
    unlock(dialog, "Copied. You can close this now.");
  }
});
