// The page frame: the sidebar (collapsed or not; a menu at phone width) and the theme.
// Each choice is a cookie that the server reads when it renders base.html (`data-sidebar`,
// `data-theme` on <html>), so the first paint of the next page is already right.
"use strict";

const root = document.documentElement;
const phone = window.matchMedia("(max-width: 40rem)");
const systemDark = window.matchMedia("(prefers-color-scheme: dark)");

function remember(name, value) {
  const secure = window.location.protocol === "https:" ? "; Secure" : "";
  document.cookie = `${name}=${value}; Path=/; Max-Age=31536000; SameSite=Lax${secure}`;
}

// On a laptop the sidebar is open unless collapsed; on a phone it is a menu, closed until asked.
function sidebarShown() {
  return phone.matches ? root.hasAttribute("data-menu-open") : root.dataset.sidebar !== "collapsed";
}

function syncSidebarButtons() {
  for (const button of document.querySelectorAll("[data-sidebar-toggle]")) {
    button.setAttribute("aria-expanded", String(sidebarShown()));
  }
}

function toggleSidebar() {
  if (phone.matches) {
    root.toggleAttribute("data-menu-open");
  } else if (root.dataset.sidebar === "collapsed") {
    delete root.dataset.sidebar;
    remember("keydesk_sidebar", "expanded");
  } else {
    root.dataset.sidebar = "collapsed";
    remember("keydesk_sidebar", "collapsed");
  }
  syncSidebarButtons();
}

function currentTheme() {
  return root.dataset.theme || (systemDark.matches ? "dark" : "light");
}

function toggleTheme() {
  const theme = currentTheme() === "dark" ? "light" : "dark";
  root.dataset.theme = theme;
  const meta = document.querySelector('meta[name="color-scheme"]');
  if (meta) meta.content = theme;
  remember("keydesk_theme", theme);
}

document.addEventListener("click", (event) => {
  if (event.target.closest("[data-sidebar-toggle]")) toggleSidebar();
  else if (event.target.closest("[data-theme-toggle]")) toggleTheme();
});

// Escape closes the phone menu and gives the focus back to its button.
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape" || !phone.matches || !root.hasAttribute("data-menu-open")) return;
  if (document.querySelector("dialog[open]")) return;
  root.removeAttribute("data-menu-open");
  syncSidebarButtons();
  const button = document.querySelector("[data-sidebar-toggle]");
  if (button) button.focus();
});

phone.addEventListener("change", () => {
  root.removeAttribute("data-menu-open");
  syncSidebarButtons();
});
// The server cannot know the width: at phone width the menu starts closed.
syncSidebarButtons();
