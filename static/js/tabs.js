// Tabs (WAI-ARIA tabs pattern) for the snippets; their copy buttons are keydesk.js's. Without
// this file every panel shows, each under its own title (templates/keys/snippets.html).
"use strict";

// The tab chosen in each tab list (by id): the quickstart's steps are redrawn every few seconds
// while they wait for the first request, and the choice must outlive that.
const chosen = new Map();

function selectTab(tab, focus) {
  const list = tab.closest("[role=tablist]");
  chosen.set(list.id, tab.id);
  for (const other of list.querySelectorAll("[role=tab]")) {
    const selected = other === tab;
    other.setAttribute("aria-selected", String(selected));
    other.tabIndex = selected ? 0 : -1;
    document.getElementById(other.getAttribute("aria-controls")).hidden = !selected;
  }
  if (focus) tab.focus();
}

function setUpTabs(root) {
  for (const box of root.querySelectorAll("[data-tabs]:not([data-tabs-ready])")) {
    const list = box.querySelector("[role=tablist]");
    list.hidden = false;
    box.dataset.tabsReady = "";
    const remembered = chosen.has(list.id) && document.getElementById(chosen.get(list.id));
    const tab = remembered || list.querySelector("[aria-selected=true]") || list.querySelector("[role=tab]");
    selectTab(tab, false);
  }
}
document.addEventListener("DOMContentLoaded", () => setUpTabs(document));
// In the same task as the swap, like the dialogs (keydesk.js): no frame shows all panels.
// htmx gives the focus back to the control with the same id, but a tab is still in its hidden
// tab list then; so a tab that had the focus gets it back here, once the list shows.
let focusedTab = null;
document.addEventListener("htmx:beforeSwap", () => {
  const active = document.activeElement;
  focusedTab = active && active.matches("[data-tabs] [role=tab]") ? active.id : null;
});
document.addEventListener("htmx:afterSwap", () => {
  setUpTabs(document);
  const lost = !document.activeElement || document.activeElement === document.body;
  const tab = focusedTab && lost && document.getElementById(focusedTab);
  if (tab) tab.focus({ preventScroll: true });
  focusedTab = null;
});

document.addEventListener("click", (event) => {
  const tab = event.target.closest("[data-tabs] [role=tab]");
  if (tab) selectTab(tab, true);
});

// Arrow keys move along the tabs (wrapping), Home and End to the ends; selection follows focus.
document.addEventListener("keydown", (event) => {
  const tab = event.target.closest("[data-tabs] [role=tab]");
  if (!tab) return;
  const tabs = [...tab.closest("[role=tablist]").querySelectorAll("[role=tab]")];
  const at = tabs.indexOf(tab);
  const next = {
    ArrowRight: tabs[(at + 1) % tabs.length],
    ArrowLeft: tabs[(at - 1 + tabs.length) % tabs.length],
    Home: tabs[0],
    End: tabs[tabs.length - 1],
  }[event.key];
  if (!next) return;
  event.preventDefault();
  selectTab(next, true);
});
