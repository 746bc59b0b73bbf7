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

// The control that opened the current dialog gets the focus back when the dialog goes,
// however it goes (Close, Cancel, Escape, or swapped away by its own form's answer). A page
// that redrew meanwhile holds a new control with the same id; if the control is gone (a
// revoked key has no Revoke), the focus goes to the main content, never to the page body.
let opener = null;
document.addEventListener("htmx:beforeRequest", (event) => {
  const elt = event.detail.elt;
  if (elt.matches("[aria-haspopup=dialog]")) opener = { element: elt, id: elt.id };
});
function returnFocus() {
  if (!opener || document.querySelector("dialog[data-modal]")) return;
  const { element, id } = opener;
  opener = null;
  const target =
    (element.isConnected && element) || (id && document.getElementById(id)) || document.getElementById("main");
  if (target) target.focus();
}
document.addEventListener("htmx:afterSettle", returnFocus);

// A swap that takes away the focused control (a key's page redrawn after a revocation) leaves
// the focus on the main content rather than on the page body.
let focusSwappedAway = false;
document.addEventListener("htmx:beforeSwap", (event) => {
  const focused = document.activeElement;
  focusSwappedAway = Boolean(focused && focused !== document.body && event.target.contains(focused));
});
document.addEventListener("htmx:afterSettle", () => {
  const main = document.getElementById("main");
  const lost = !document.activeElement || document.activeElement === document.body;
  if (focusSwappedAway && lost && main) main.focus();
  focusSwappedAway = false;
});

// A closed modal leaves the page, and anything it held (a key) with it.
document.addEventListener(
  "close",
  (event) => {
    if (!event.target.matches("dialog[data-modal]")) return;
    event.target.remove();
    returnFocus();
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
    button.removeAttribute("aria-describedby");
  }
  for (const hint of dialog.querySelectorAll("[data-close-hint]")) hint.hidden = true;
}

// Copy `text`. Non-secure origins (plain http on a LAN address) have no clipboard API, and a
// browser may refuse it: then `select` selects the text on the page and the selection is copied.
async function copyToClipboard(text, select) {
  if (navigator.clipboard && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch {
      // Permission refused: fall back to the selection below.
    }
  }
  select();
  try {
    return document.execCommand("copy");
  } catch {
    return false;
  }
}

function selectField(input) {
  input.focus();
  input.select();
}

function selectContents(element) {
  const range = document.createRange();
  range.selectNodeContents(element);
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
}

document.addEventListener("click", async (event) => {
  const copy = event.target.closest("[data-copy]");
  if (copy) {
    const input = document.getElementById(copy.dataset.copy);
    const dialog = copy.closest("dialog");
    if (await copyToClipboard(input.value, () => selectField(input))) {
      copy.textContent = "Copied";
      if (dialog) unlock(dialog, "Copied to the clipboard. You can close this now.");
    } else {
      selectField(input);
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

// A snippet's copy button (templates/keys/snippets.html) copies its code. In the key-created
// dialog it does not unlock `Close`: a snippet goes into a shell or a script to be run, not into
// a safe store.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy-snippet]");
  if (!button) return;
  const code = document.getElementById(button.dataset.copySnippet);
  const status = button.parentElement.querySelector("[role=status]");
  const copied = await copyToClipboard(code.textContent, () => selectContents(code));
  if (status) {
    status.textContent = copied
      ? "Copied to the clipboard."
      : "Copying failed: the snippet is selected, press Ctrl+C (⌘C) to copy it.";
  }
});
