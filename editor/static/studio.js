// Element Studio: the few behaviours htmx does not cover. No inline scripts anywhere (the CSP
// forbids them); htmx is configured from <meta name="htmx-config">.
// The page's texts in the reader's language: the server embeds the texts this file passes to `_`,
// translated, in <meta name="studio-texts"> (editor/i18n.py finds the calls in this file).
var _ = (function () {
  var meta = document.querySelector('meta[name="studio-texts"]');
  var texts = {};
  try { texts = meta ? JSON.parse(meta.content) : {}; } catch (e) { texts = {}; }
  return function (text, values) {
    var out = texts[text] || text;
    Object.keys(values || {}).forEach(function (key) { out = out.split("%(" + key + ")s").join(String(values[key])); });
    return out;
  };
})();

(function () {
  "use strict";

  // Tell the "changed" round trip which field the user touched, and how.
  document.addEventListener("htmx:configRequest", function (evt) {
    var trigger = evt.detail.triggeringEvent;
    if (evt.detail.elt && evt.detail.elt.id === "live" && trigger && trigger.target) {
      evt.detail.parameters["_field"] = trigger.target.name || "";
      evt.detail.parameters["_event"] = trigger.type;
    }
  });

  // A review shows the form as it was; once the form changes, it is out of date.
  document.addEventListener("change", function (evt) {
    if (evt.target.closest && evt.target.closest("#live")) {
      var panel = document.getElementById("save-panel");
      if (panel) panel.innerHTML = "";
    }
  });

  // Form / JSON views of the same config.
  function showTab(which) {
    var formPanel = document.getElementById("panel-form");
    var jsonPanel = document.getElementById("panel-json");
    if (!formPanel || !jsonPanel) return;
    formPanel.hidden = which !== "form";
    jsonPanel.hidden = which !== "json";
    document.body.classList.toggle("json-mode", which === "json");
    document.querySelectorAll("[data-tab]").forEach(function (tab) {
      tab.setAttribute("aria-selected", String(tab.dataset.tab === which));
    });
  }

  document.addEventListener("studio:show-tab", function (evt) {
    showTab((evt.detail && evt.detail.value) || "form");
  });

  document.addEventListener("click", function (evt) {
    var tab = evt.target.closest("[data-tab]");
    if (tab) showTab(tab.dataset.tab);
    var dismiss = evt.target.closest("[data-dismiss]");
    if (dismiss) {
      var region = document.getElementById(dismiss.dataset.dismiss);
      if (region) region.innerHTML = "";
    }
    var close = evt.target.closest(".toast__close");
    if (close) close.parentElement.remove();
  });

  // Keep aria-invalid and the error outline in step with each field's feedback.
  function syncInvalid() {
    document.querySelectorAll(".feedback[id$='-feedback']").forEach(function (box) {
      var control = document.getElementById(box.id.slice(0, -"-feedback".length));
      var bad = !!box.querySelector(".feedback__error");
      if (control && /^(INPUT|SELECT|TEXTAREA)$/.test(control.tagName)) {
        if (bad) control.setAttribute("aria-invalid", "true");
        else control.removeAttribute("aria-invalid");
      }
      var field = box.closest(".field");
      if (field) field.classList.toggle("has-error", bad);
    });
  }
  document.addEventListener("htmx:afterSettle", syncInvalid);
  document.addEventListener("htmx:oobAfterSwap", syncInvalid);

  // Requests htmx does not swap (refused CSRF, lost server...) become a toast.
  function toast(text, kind) {
    var box = document.getElementById("toasts");
    if (!box) return;
    var item = document.createElement("div");
    item.className = "toast toast--" + kind;
    item.setAttribute("role", "alert");
    var span = document.createElement("span");
    span.textContent = String(text).slice(0, 400);
    var close = document.createElement("button");
    close.type = "button";
    close.className = "toast__close";
    close.setAttribute("aria-label", _("Dismiss"));
    close.textContent = "×";
    item.appendChild(span);
    item.appendChild(close);
    box.appendChild(item);
  }
  document.addEventListener("htmx:responseError", function (evt) {
    var xhr = evt.detail.xhr;
    toast(xhr.responseText && xhr.responseText.length < 400 ? xhr.responseText : _("Request failed (HTTP %(status)s).", {status: xhr.status}), "error");
  });
  document.addEventListener("htmx:sendError", function () {
    toast(_("The editor cannot be reached. Is element-studio serve still running?"), "error");
  });

  // Success notes fade on their own; errors stay until dismissed.
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".toast--success, .toast--message").forEach(function (item) {
      setTimeout(function () { item.remove(); }, 8000);
    });
  });

  // Playground: Enter sends (Shift+Enter adds a line), the box empties after a send, and the
  // conversation follows new messages unless the reader scrolled up.
  function playgroundLog() { return document.getElementById("pg-log"); }
  function stickToBottom(log) { log.scrollTop = log.scrollHeight; }
  var followLog = true;
  document.addEventListener("keydown", function (evt) {
    var box = evt.target;
    if (box.id !== "pg-text" || evt.key !== "Enter" || evt.shiftKey || evt.isComposing) return;
    evt.preventDefault();
    if (box.value.trim() && box.form) box.form.requestSubmit();
  });
  document.addEventListener("htmx:beforeSwap", function (evt) {
    var log = playgroundLog();
    if (log && log.contains(evt.detail.target)) followLog = log.scrollHeight - log.scrollTop - log.clientHeight < 120;
  });
  document.addEventListener("htmx:afterSettle", function (evt) {
    var log = playgroundLog();
    if (!log) return;
    if (evt.detail.target === log) {
      var empty = log.querySelector(".pg__empty");
      if (empty) empty.remove();
      stickToBottom(log);
    } else if (followLog && log.contains(evt.detail.target)) {
      stickToBottom(log);
    }
  });
  document.addEventListener("htmx:afterRequest", function (evt) {
    var form = evt.detail.elt;
    if (form.id === "pg-composer" && form.tagName === "FORM" && evt.detail.successful) {
      var box = form.querySelector("textarea");
      if (box && evt.detail.xhr.status === 200 && !evt.detail.xhr.getResponseHeader("HX-Retarget")) box.value = "";
      if (box) box.focus();
    }
  });
  document.addEventListener("DOMContentLoaded", function () {
    var log = playgroundLog();
    if (log) stickToBottom(log);
  });
})();

// Runtime pages (editor/live_status.py, logs_view.py): relative times, polling manners, log follow.
(function () {
  "use strict";

  // "12 s ago" / "in 4 s" for every <time data-epoch>; the server writes the clock time.
  function relative(seconds) {
    var past = seconds < 0, s = Math.abs(seconds), text;
    if (s < 2) return past ? _("just now") : _("now");
    if (s < 60) text = _("%(n)s s", {n: Math.round(s)});
    else if (s < 3600) text = _("%(n)s min", {n: Math.floor(s / 60)});
    else if (s < 86400) text = _("%(n)s h", {n: Math.floor(s / 3600)});
    else text = _("%(n)s d", {n: Math.floor(s / 86400)});
    return past ? _("%(time)s ago", {time: text}) : _("in %(time)s", {time: text});
  }
  function updateMoments() {
    var now = Date.now() / 1000;
    document.querySelectorAll("time[data-epoch]").forEach(function (el) {
      var text = relative(parseFloat(el.dataset.epoch) - now);
      if (el.textContent !== text) el.textContent = text;
    });
  }
  setInterval(updateMoments, 1000);
  document.addEventListener("DOMContentLoaded", updateMoments);
  document.addEventListener("htmx:afterSettle", updateMoments);
  document.addEventListener("htmx:oobAfterSwap", updateMoments);

  // Pollers: quiet while the tab is hidden; their failures are not toasts (the next poll
  // tries again); a poller whose instance is gone stops.
  function isPoller(elt) {
    return !!(elt && elt.matches && elt.matches("#live-poller, .log__poller"));
  }
  document.addEventListener("htmx:beforeRequest", function (evt) {
    if (document.hidden && isPoller(evt.detail.elt)) evt.preventDefault();
  });
  ["htmx:responseError", "htmx:sendError"].forEach(function (name) {
    window.addEventListener(name, function (evt) {
      if (!isPoller(evt.detail.elt)) return;
      evt.stopPropagation();
      if (evt.detail.xhr && evt.detail.xhr.status === 404) evt.detail.elt.remove();
    }, true);
  });

  // A connection test's outcome is about the values it tried: a change to the form clears it.
  document.addEventListener("change", function (evt) {
    var result = document.getElementById("conn-test-result");
    if (result && evt.target.closest && evt.target.closest("#instance-form")) result.innerHTML = "";
  });

  // Toasts that arrive with an htmx answer fade like the ones a page load brings.
  document.addEventListener("htmx:oobAfterSwap", function (evt) {
    if (!evt.detail.target || evt.detail.target.id !== "toasts") return;
    evt.detail.target.querySelectorAll(".toast--success:not([data-fading]), .toast--message:not([data-fading])").forEach(function (item) {
      item.dataset.fading = "1";
      setTimeout(function () { item.remove(); }, 8000);
    });
  });

  // Logs follow new records while the reader is at the bottom; scrolling up pauses that.
  var MAX_LINES = 2000;
  function atBottom(box) {
    return box.scrollHeight - box.scrollTop - box.clientHeight < 32;
  }
  function showFollowState(box) {
    var foot = box.parentElement.querySelector(".logs__foot");
    if (!foot) return;
    var following = atBottom(box);
    foot.classList.toggle("is-paused", !following);
    var state = foot.querySelector("[data-follow-state]");
    if (state) state.textContent = following ? _("Following new records") : _("Paused while you read: scroll to the end to follow again");
    var latest = foot.querySelector("[data-follow-latest]");
    if (latest) latest.hidden = following;
  }
  document.addEventListener("htmx:beforeSwap", function (evt) {
    var target = evt.detail.target;
    var box = target && target.closest && target.closest("[data-follow]");
    if (box) box.dataset.stick = target.id === "log-lines" || atBottom(box) ? "1" : "";
  });
  document.addEventListener("htmx:afterSwap", function () {
    document.querySelectorAll("[data-follow]").forEach(function (box) {
      var lines = box.querySelectorAll(".log__line");
      for (var i = 0; i < lines.length - MAX_LINES; i++) lines[i].remove();
      if (box.dataset.stick === "1") box.scrollTop = box.scrollHeight;
      showFollowState(box);
    });
  });
  document.addEventListener("scroll", function (evt) {
    if (evt.target.matches && evt.target.matches("[data-follow]")) showFollowState(evt.target);
  }, true);
  document.addEventListener("click", function (evt) {
    var latest = evt.target.closest("[data-follow-latest]");
    if (!latest) return;
    var box = latest.closest(".logs").querySelector("[data-follow]");
    box.scrollTop = box.scrollHeight;
    showFollowState(box);
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-follow]").forEach(function (box) {
      box.scrollTop = box.scrollHeight;
      showFollowState(box);
    });
  });
})();
