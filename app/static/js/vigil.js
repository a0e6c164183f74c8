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

  // Filter bars. A picker's summary counts what is ticked as it changes (never stale after Apply); one picker
  // is open at a time, and a click elsewhere, Escape or submitting the form closes it. Typing a date chooses
  // "Custom dates" (the server reads the dates only then) and choosing a preset clears the dates.
  function pickerSummary(picker) {
    var summary = picker.querySelector("summary[data-picker-title]");
    if (!summary) return;
    var ticked = picker.querySelectorAll("input[type=checkbox]:checked").length;
    summary.textContent = summary.getAttribute("data-picker-title") + ": " +
      (ticked ? ticked + " chosen" : summary.getAttribute("data-picker-none"));
  }

  function closePickers(except) {
    document.querySelectorAll("details.dash-picker[open]").forEach(function (picker) {
      if (picker !== except) picker.open = false;
    });
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    var picker = target.closest && target.closest("details.dash-picker");
    if (picker) pickerSummary(picker);
    if (target.matches && target.matches("[data-window-date]") && target.value) {
      var range = target.form && target.form.querySelector("[data-window-range]");
      if (range) range.value = "custom";
    }
    if (target.matches && target.matches("[data-window-range]") && target.value !== "custom") {
      target.form.querySelectorAll("[data-window-date]").forEach(function (input) { input.value = ""; });
    }
  });
  document.addEventListener("toggle", function (event) {
    if (event.target.matches && event.target.matches("details.dash-picker") && event.target.open) {
      closePickers(event.target);
    }
  }, true);
  document.addEventListener("click", function (event) {
    if (!event.target.closest("details.dash-picker")) closePickers(null);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var open = document.querySelector("details.dash-picker[open]");
    if (!open) return;
    open.open = false;
    open.querySelector("summary").focus();
  });
  document.addEventListener("submit", function () { closePickers(null); }, true);
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.detail.elt && event.detail.elt.matches && event.detail.elt.matches("form")) closePickers(null);
  });

  // A table wider than the screen scrolls inside its wrapper: make that wrapper reachable and named for a
  // keyboard, so its hidden columns can be scrolled to without a mouse.
  function scrollableTables(root) {
    var scope = root && root.querySelectorAll ? root : document;
    scope.querySelectorAll(".table-wrap").forEach(function (wrap) {
      if (wrap.scrollWidth <= wrap.clientWidth + 1) {
        if (wrap.hasAttribute("data-scroll-region")) {
          ["tabindex", "role", "aria-label", "data-scroll-region"].forEach(function (name) { wrap.removeAttribute(name); });
        }
        return;
      }
      if (wrap.hasAttribute("tabindex")) return;
      var section = wrap.closest("section, .panel, main");
      var heading = section && section.querySelector("h1, h2, h3, caption, figcaption");
      wrap.setAttribute("tabindex", "0");
      wrap.setAttribute("role", "region");
      wrap.setAttribute("aria-label", (heading ? heading.textContent.trim() : "Table") + " (scrolls sideways)");
      wrap.setAttribute("data-scroll-region", "");
    });
  }
  document.addEventListener("DOMContentLoaded", function () { scrollableTables(document); });
  document.addEventListener("htmx:load", function (event) { scrollableTables(event.target); });
  window.addEventListener("resize", function () { scrollableTables(document); });

  // Confirmations for plain (non-HTMX) forms: <form data-confirm="Are you sure?">.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });
})();
