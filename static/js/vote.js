// The voting queue, improved: vote and move on without reloading, from the keyboard.
// Without this file the same page works with plain forms and links.
(function () {
  "use strict";
  var card = document.getElementById("vote-card");
  if (!card) { return; }

  function form() { return card.querySelector("[data-vote-form]"); }
  function status(text, isError) {
    var el = card.querySelector("[data-vote-status]");
    if (el) { el.textContent = text; el.classList.toggle("error", !!isError); }
  }

  function load(url, push) {
    return fetch(url, { headers: { "X-Partial": "1" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { window.location.href = url; return null; }
        return response.text();
      })
      .then(function (html) {
        if (html === null) { return; }
        card.innerHTML = html;
        if (push) { window.history.pushState({ url: url }, "", url); }
        var title = card.querySelector("h1");
        if (title) { title.setAttribute("tabindex", "-1"); title.focus(); }
      })
      .catch(function () { window.location.href = url; });
  }

  function send(theForm) {
    // Sent URL-encoded, as the form without script is: the server answers such a vote before Flask.
    var data = new URLSearchParams(new FormData(theForm));
    status("…");
    fetch(theForm.action, {
      method: "POST", body: data, credentials: "same-origin",
      headers: { "Accept": "application/json" }
    })
      .then(function (response) { return response.json(); })
      .then(function (result) {
        if (!result.ok) { status(result.error, true); return; }
        status(result.message);
        if (result.next.indexOf("/vote/done") !== -1) { window.location.href = result.next; return; }
        load(result.next, true);
      })
      .catch(function () { theForm.submit(); });
  }

  card.addEventListener("submit", function (event) {
    if (event.target.matches("[data-vote-form]")) {
      event.preventDefault();
      send(event.target);
    }
  });

  card.addEventListener("change", function (event) {
    if (event.target.matches(".size-select")) { status(""); }
  });

  card.addEventListener("click", function (event) {
    var link = event.target.closest("a[data-nav]");
    if (link) { event.preventDefault(); load(link.href, true); }
  });

  window.addEventListener("popstate", function (event) {
    if (event.state && event.state.url) { load(event.state.url, false); }
  });

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) { return; }
    var target = event.target;
    if (target.matches("input[type=text], input[type=search], textarea, select")) { return; }
    var theForm = form();
    if (/^[1-5]$/.test(event.key) && theForm) {
      var radio = theForm.querySelector("input[name=score][value='" + event.key + "']");
      if (radio) {
        event.preventDefault();
        radio.checked = true;
        send(theForm);
      }
    } else if ((event.key === "b" || event.key === "B") && theForm) {
      var box = theForm.querySelector("[data-buy]");
      if (box) {
        event.preventDefault();
        box.checked = !box.checked;
        var size = theForm.querySelector(".size-select");
        status(box.checked ? (size && !size.value ? size.labels[0].textContent + "?" : "✓") : "");
        if (box.checked && size && !size.value) { size.focus(); }
      }
    } else if (event.key === "ArrowRight" || event.key === "ArrowLeft") {
      var link = card.querySelector(event.key === "ArrowRight" ? "a[data-nav=next]" : "a[data-nav=prev]");
      if (link) { event.preventDefault(); load(link.href, true); }
    }
  });
})();
