// Progressive enhancements only: every page works without JavaScript.
"use strict";

document.addEventListener("keydown", (event) => {
  // Escape closes an open account menu and returns focus to its toggle.
  if (event.key !== "Escape") return;
  for (const menu of document.querySelectorAll("details.menu[open]")) {
    menu.removeAttribute("open");
    menu.querySelector("summary")?.focus();
  }
});
