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

// Wide tables and code blocks scroll sideways; make those regions reachable by keyboard
// (WCAG 2.1.1) and give them a name for screen readers.
function markScrollableRegions() {
  for (const region of document.querySelectorAll(".prose table, .prose pre")) {
    const scrolls = region.scrollWidth > region.clientWidth + 1;
    if (scrolls && !region.hasAttribute("tabindex")) {
      region.setAttribute("tabindex", "0");
      region.setAttribute("role", "region");
      region.setAttribute("aria-label", region.tagName === "TABLE" ? "Table (scrolls sideways)" : "Code (scrolls sideways)");
    } else if (!scrolls && region.getAttribute("tabindex") === "0") {
      region.removeAttribute("tabindex");
      region.removeAttribute("role");
      region.removeAttribute("aria-label");
    }
  }
}
document.addEventListener("DOMContentLoaded", markScrollableRegions);
window.addEventListener("resize", markScrollableRegions);
