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
      const labels = document.body.dataset;
      region.setAttribute("aria-label", region.tagName === "TABLE"
        ? labels.msgTableScrolls || "Table (scrolls sideways)"
        : labels.msgCodeScrolls || "Code (scrolls sideways)");
    } else if (!scrolls && region.getAttribute("tabindex") === "0") {
      region.removeAttribute("tabindex");
      region.removeAttribute("role");
      region.removeAttribute("aria-label");
    }
  }
}
document.addEventListener("DOMContentLoaded", markScrollableRegions);
window.addEventListener("resize", markScrollableRegions);

// Quiz attempts: autosave answers as the student goes (the form also works without JS) and
// announce the remaining time politely. The server judges deadlines; this is only a display.
function setupAttemptForm(form) {
  const status = document.querySelector("[data-save-status]");
  const sequence = form.querySelector("[data-sequence]");
  let timer = null;
  let inFlight = null;  // the promise of the autosave under way, if any
  let pending = false;
  let submitting = false;
  let dirty = false;  // changes not sent yet

  const say = (text) => { if (status) status.textContent = text; };
  // The page puts its messages, in the reader's language, on the form (data-msg-*).
  const msg = form.dataset;

  async function send() {
    dirty = false;
    const body = new FormData(form);
    try {
      const response = await fetch(form.dataset.autosave, { method: "POST", body, credentials: "same-origin" });
      const data = await response.json();
      if (response.ok && data.saved) {
        sequence.value = data.sequence;
        say(data.login_required
          ? msg.msgSavedLogin
          : msg.msgSavedAt.replace("{time}", data.saved_at));
      } else {
        say(data.message || msg.msgNotSaved);
      }
    } catch (error) {
      say(msg.msgOffline);
    }
  }

  async function save() {
    if (inFlight) { pending = true; return; }
    inFlight = send();
    await inFlight;
    inFlight = null;
    if (pending && !submitting) { pending = false; save(); }
  }

  const schedule = () => {
    dirty = true;
    say(msg.msgUnsaved);
    clearTimeout(timer);
    timer = setTimeout(save, 1200);
  };
  form.addEventListener("change", schedule);
  // Sending a question report leaves the page: save pending answers first.
  form.learnappFlush = async () => {
    clearTimeout(timer);
    if (dirty) await save();
    while (inFlight) await inFlight;
  };
  form.addEventListener("input", (event) => { if (event.target.matches("input[type=text], textarea")) schedule(); });
  // This script is deferred: an answer given while the page was still loading fired its events
  // before anyone listened. Save it now, or it would wait for the next change.
  if (Array.from(form.elements).some(changedSinceLoad)) schedule();
  // Buttons submit the form normally; cancel a pending autosave so the sequence stays in step.
  // If an autosave is already on its way, the server will have moved the sequence on: post the
  // page once the reply has brought the new number, or it would be refused as out of date and
  // answers typed since would be lost.
  form.addEventListener("submit", (event) => {
    clearTimeout(timer);
    pending = false;
    if (submitting) { event.preventDefault(); return; }
    if (!inFlight) return;
    event.preventDefault();
    submitting = true;
    const submitter = event.submitter;
    inFlight.then(() => {
      submitting = false;
      if (form.requestSubmit) form.requestSubmit(submitter);
      else if (submitter) submitter.click();
      else form.submit();
    });
  });
}

// Whether a form control differs from what the page was served with.
function changedSinceLoad(control) {
  if (control.type === "checkbox" || control.type === "radio") return control.checked !== control.defaultChecked;
  if (control.type === "select-one") {
    // With no option marked selected the browser shows the first one.
    const marked = Array.from(control.options).findIndex((o) => o.defaultSelected);
    return control.selectedIndex !== Math.max(marked, 0);
  }
  if (control.type === "select-multiple") return Array.from(control.options).some((o) => o.selected !== o.defaultSelected);
  if (control.type === "hidden" || !("defaultValue" in control)) return false;
  return control.value !== control.defaultValue;
}

// Essays: count the words as the student writes (the limits are guidance, not enforced).
function setupWordCount(area) {
  const output = document.getElementById(area.dataset.wordCount);
  if (!output) return;
  const show = () => {
    const words = area.value.trim() ? area.value.trim().split(/\s+/).length : 0;
    // The words come from the page, in its language.
    const one = area.dataset.msgWord || "1 word";
    const many = area.dataset.msgWords || "{n} words";
    output.textContent = words === 1 ? one : many.replace("{n}", String(words));
  };
  area.addEventListener("input", show);
  show();
}

// A question report sent from the attempt page waits for the answers' autosave to finish.
function setupReportForm(report) {
  report.addEventListener("submit", (event) => {
    const attempt = document.querySelector("form[data-autosave]");
    if (!attempt || !attempt.learnappFlush) return;
    event.preventDefault();
    if (report.dataset.sending) return;  // a second click while the answers are being saved
    report.dataset.sending = "1";
    // The browser has validated the fields already, and the button carries no value: submit()
    // sends the same data without firing this event again.
    attempt.learnappFlush().finally(() => report.submit());
  });
}

function setupTimer(element) {
  const deadline = new Date(element.dataset.deadline);
  const output = element.querySelector(".timer-remaining");
  let lastAnnounced = null;
  function tick() {
    const seconds = Math.max(0, Math.round((deadline - new Date()) / 1000));
    const minutes = Math.ceil(seconds / 60);
    // Announce once a minute, then every 10 seconds in the last minute, to stay polite.
    const msg = element.dataset;
    const text = seconds === 0 ? msg.msgTimeUp
      : seconds <= 60 ? msg.msgSeconds.replace("{n}", Math.ceil(seconds / 10) * 10)
      : minutes === 1 ? msg.msgMinute
      : msg.msgMinutes.replace("{n}", minutes);
    if (text !== lastAnnounced) { output.textContent = text; lastAnnounced = text; }
    if (seconds > 0) setTimeout(tick, 1000);
  }
  tick();
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("form[data-autosave]").forEach(setupAttemptForm);
  document.querySelectorAll("textarea[data-word-count]").forEach(setupWordCount);
  document.querySelectorAll("[data-deadline]").forEach(setupTimer);
  document.querySelectorAll("form[data-report-form]").forEach(setupReportForm);
});
