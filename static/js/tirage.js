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
})();
