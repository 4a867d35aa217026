// Progressive enhancements only: every page works without this file.
(function () {
  "use strict";

  // Ask before actions that cannot be undone (forms, or one of their buttons, carrying data-confirm).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var button = event.submitter;
    var question = (button && button.getAttribute("data-confirm")) || (form.getAttribute && form.getAttribute("data-confirm"));
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  // Close open menus on Escape or a click elsewhere.
  function closeMenus(except) {
    document.querySelectorAll("details.account-menu[open], details.nav-toggle[open]").forEach(function (menu) {
      if (menu !== except) { menu.removeAttribute("open"); }
    });
  }
  document.addEventListener("click", function (event) {
    closeMenus(event.target.closest && event.target.closest("details"));
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { closeMenus(null); }
  });

  // Moderation: the queue page remembers its order, so the review page can step through it
  // with n / p; a approves, r goes to the reject reason. Typing in a field is never a shortcut.
  var QUEUE_KEY = "tirage.reviewQueue";
  var queueTable = document.querySelector("[data-review-queue]");
  if (queueTable) {
    try {
      var links = Array.prototype.map.call(queueTable.querySelectorAll(".cell-design a[href]"), function (a) {
        return a.getAttribute("href");
      });
      window.sessionStorage.setItem(QUEUE_KEY, JSON.stringify(links));
    } catch (ignored) { /* storage off: n / p fall back to the queue page */ }
  }
  var help = document.querySelector("[data-shortcut-help]");
  if (help) {
    help.hidden = false;
    var decision = document.querySelector("[data-review-shortcuts]");
    var here = window.location.pathname;
    var queueUrl = (decision && decision.getAttribute("data-queue-url")) || help.getAttribute("data-queue-url");
    var step = function (offset) {
      var queue = [];
      try { queue = JSON.parse(window.sessionStorage.getItem(QUEUE_KEY) || "[]"); } catch (ignored) { queue = []; }
      var index = queue.indexOf(here);
      var target = index === -1 ? null : queue[index + offset];
      window.location.assign(target || queueUrl);
    };
    document.addEventListener("keydown", function (event) {
      if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) { return; }
      var target = event.target;
      if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT|BUTTON)$/.test(target.tagName))) { return; }
      var form = decision && decision.querySelector("form");
      if (event.key === "a" && form) {
        event.preventDefault();
        var approve = form.querySelector("[name=approve]");
        if (form.requestSubmit) { form.requestSubmit(approve); } else { approve.click(); }
      } else if (event.key === "c" && form) {
        event.preventDefault();
        form.querySelector("[name=note]").focus();
      } else if (event.key === "r" && form) {
        event.preventDefault();
        form.querySelector("[name=reason]").focus();
      } else if (event.key === "n") {
        event.preventDefault();
        step(1);
      } else if (event.key === "p") {
        event.preventDefault();
        step(-1);
      }
    });
  }
})();
