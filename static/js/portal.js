// The only script of our own (the CSP allows no inline handlers). Every page works without it.
(function () {
  "use strict";

  var SUMMARY = "[data-error-summary]";
  var ANCHOR = /#error-summary$/;

  // The error summary takes the focus, so the citizen (and a screen reader) starts there.
  function focusSummary(root) {
    var summary = root.matches && root.matches(SUMMARY) ? root : root.querySelector(SUMMARY);
    if (summary) {
      summary.focus();
      summary.scrollIntoView({ block: "start" });
    }
  }

  // Print buttons need this script: show them only where it runs, and not inside WeChat,
  // whose browser does not print (the print page tells how to get a paper copy there).
  function showPrintButtons() {
    if (typeof window.print !== "function" || /MicroMessenger/i.test(navigator.userAgent)) {
      return;
    }
    document.querySelectorAll("[data-print][hidden]").forEach(function (button) {
      button.hidden = false;
    });
  }

  function ready() {
    focusSummary(document);
    showPrintButtons();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }

  // Forms post to "...#error-summary" so that a browser without JavaScript lands on the
  // summary. htmx would carry that anchor over to the page after a success (the receipt), so
  // it is dropped here; the summary is focused after the swap instead.
  document.addEventListener("htmx:configRequest", function (event) {
    event.detail.path = event.detail.path.replace(ANCHOR, "");
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    // Next tick: a boosted swap scrolls to the top of the page right after this event.
    window.setTimeout(focusSummary, 0, event.target);
  });

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) {
      window.print();
      return;
    }
    // A link of the summary focuses its field and shows the field's label above it.
    var link = event.target.closest(SUMMARY + " a[href^='#']");
    var field = link && document.getElementById(link.getAttribute("href").slice(1));
    if (field) {
      event.preventDefault();
      (field.closest(".field") || field).scrollIntoView({ block: "start" });
      field.focus({ preventScroll: true });
    }
  });
})();
