// Vigil's own script: the CSRF header for every HTMX request, and a few progressive enhancements.
// Loaded as a file (the Content-Security-Policy allows no inline script).
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  document.addEventListener("htmx:configRequest", function (event) {
    event.detail.headers["X-CSRFToken"] = csrfToken();
  });

  // 4xx answers carry a rendered partial that says what was wrong: swap it in like a success.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if (status >= 400 && status < 500 && event.detail.xhr.responseText) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
  // One banner however many requests fail (open panels retry every minute), gone once a request gets through.
  document.addEventListener("htmx:sendError", function () {
    showConnectionBanner("Vigil could not be reached. Check your connection and try again.");
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var banner = document.querySelector("[data-connection-banner]");
    if (banner && event.detail.xhr && event.detail.xhr.status > 0) banner.remove();
  });

  // A lazy dashboard panel whose own request failed (a 5xx before the panel's error partial, no connection, a
  // timeout) would say "Loading…" for ever: show its error state instead. Its placeholder keeps its minute
  // trigger, and Retry fires it now, so whichever answers first replaces the placeholder.
  function panelPlaceholder(elt) {
    return elt && elt.closest ? elt.closest("[data-panel-placeholder]") : null;
  }

  function showPanelFailed(placeholder, failed) {
    placeholder.querySelector(".dash-loading").hidden = failed;
    placeholder.querySelector(".dash-failed").hidden = !failed;
  }

  ["htmx:responseError", "htmx:sendError", "htmx:timeout"].forEach(function (name) {
    document.addEventListener(name, function (event) {
      var placeholder = panelPlaceholder(event.detail.elt);
      if (placeholder) showPanelFailed(placeholder, true);
    });
  });
  document.addEventListener("htmx:beforeRequest", function (event) {
    var placeholder = panelPlaceholder(event.detail.elt);
    if (placeholder) showPanelFailed(placeholder, false);
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-panel-retry]");
    var placeholder = button && panelPlaceholder(button);
    if (placeholder) htmx.trigger(placeholder, "panel-retry");
  });

  function showConnectionBanner(text) {
    var box = document.getElementById("flash-area");
    if (!box || box.querySelector("[data-connection-banner]")) return;
    var div = document.createElement("div");
    div.className = "flash flash-error";
    div.setAttribute("role", "alert");
    div.setAttribute("data-connection-banner", "");
    div.textContent = text;
    box.appendChild(div);
  }

  // Copy buttons: <button data-copy="#id">.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var source = document.querySelector(button.getAttribute("data-copy"));
    if (source && navigator.clipboard) {
      navigator.clipboard.writeText(source.value || source.textContent);
      button.textContent = "Copied";
    }
  });

  // Confirmations for plain (non-HTMX) forms: <form data-confirm="Are you sure?">.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });
})();
