/* Counter terminal: one-key shortcuts, ticking timers, recovery from expired sessions, and a
   banner when an action could not be sent. */
(function () {
  "use strict";

  function typing(target) {
    if (!target || !target.tagName) return false;
    var tag = target.tagName.toLowerCase();
    return tag === "input" || tag === "select" || tag === "textarea" || target.isContentEditable;
  }

  /* Focus what a button points at (the transfer's service, the break reasons, the
     number field); false when there is nothing enabled to focus. */
  function focusTarget(button) {
    var target = document.querySelector(button.getAttribute("data-focus"));
    if (!target || target.disabled) return false;
    target.focus();
    return true;
  }

  /* -- live: every change in the branch ("changed" on the stream) refreshes the screen, at
     once, then at most once a second with the last change always shown: a busy branch
     changes several times a second, and the screen's own actions answer at once anyway. */
  var REFRESH_GAP_MS = 1000;
  var lastRefresh = 0;
  var refreshTimer = null;
  var sources = [];
  function refresh() {
    refreshTimer = null;
    lastRefresh = Date.now();
    var panel = document.getElementById("panel");
    if (panel && window.htmx) window.htmx.trigger(panel, "refresh");
  }
  function changed() {
    if (refreshTimer !== null) return;
    var wait = lastRefresh + REFRESH_GAP_MS - Date.now();
    if (wait <= 0) refresh(); else refreshTimer = window.setTimeout(refresh, wait);
  }
  document.addEventListener("htmx:sseOpen", function (evt) {
    var source = evt.detail && evt.detail.source;
    if (!source || sources.indexOf(source) !== -1) return;
    sources.push(source);  /* the browser reopens the same EventSource after a drop */
    source.addEventListener("changed", changed);
  });

  /* N, R, S, F, X, P, T, Q, G, B, O, C press the button that shows that key (when it is
     enabled); a button with data-focus moves the focus instead (Enter then acts). */
  document.addEventListener("keydown", function (evt) {
    if (evt.ctrlKey || evt.metaKey || evt.altKey || evt.repeat || typing(evt.target)) return;
    var key = (evt.key || "").toLowerCase();
    if (key.length !== 1) return;
    var button = document.querySelector('button[data-key="' + key + '"]');
    if (!button || button.disabled || button.closest("fieldset[disabled]")) return;
    evt.preventDefault();
    if (!button.hasAttribute("data-focus") || !focusTarget(button)) button.click();
  });

  /* A ticket called by its number: empty the field and leave it, so the next keys are
     shortcuts again (the field survives live refreshes, so the page must do this). A
     refused number stays, to be corrected. */
  document.addEventListener("htmx:afterRequest", function (evt) {
    /* By its address: the form itself has been swapped out by now. */
    var cfg = evt.detail && evt.detail.requestConfig;
    if (!cfg || !/\/call-number$/.test(cfg.path || "") || !evt.detail.successful) return;
    var input = document.getElementById("call-number-input");
    if (!input) return;
    input.value = "";
    input.blur();
  });

  /* A plain button that only points somewhere (Break: to its reasons) focuses it on click. */
  document.addEventListener("click", function (evt) {
    var button = evt.target && evt.target.closest && evt.target.closest('button[type="button"][data-focus]');
    if (button) focusTarget(button);
  });

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  /* Elapsed times ("at the counter for") tick every second without a round trip. */
  function tick() {
    var nodes = document.querySelectorAll("[data-since]");
    for (var i = 0; i < nodes.length; i++) {
      var since = Date.parse(nodes[i].getAttribute("data-since"));
      if (isNaN(since)) continue;
      var s = Math.max(0, Math.floor((Date.now() - since) / 1000));
      nodes[i].textContent = s < 60 ? s + " s"
        : s < 3600 ? Math.floor(s / 60) + " min " + pad(s % 60) + " s"
        : Math.floor(s / 3600) + " h " + pad(Math.floor(s % 3600 / 60)) + " min";
    }
  }
  window.setInterval(tick, 1000);

  /* How new a screen is (see counter_queries.live_version). */
  function version(html) {
    var m = /id="current" data-version="(\d+)"/.exec(html || "");
    return m ? parseInt(m[1], 10) : null;
  }

  /* A redirect to the sign-in page (session ended) or an expired form: reload the page. */
  document.addEventListener("htmx:beforeSwap", function (evt) {
    var xhr = evt.detail && evt.detail.xhr;
    if (xhr && xhr.responseURL && xhr.responseURL.indexOf("/login") !== -1) {
      evt.detail.shouldSwap = false;
      window.location.reload();
      return;
    }
    /* A live refresh that left before an action and comes back after it would show the
       screen as it was before: keep the newer one (the action's own refresh follows). */
    var shown = document.getElementById("current");
    var incoming = version(evt.detail && evt.detail.serverResponse);
    var current = shown ? parseInt(shown.getAttribute("data-version"), 10) : NaN;
    if (incoming !== null && !isNaN(current) && incoming < current) evt.detail.shouldSwap = false;
  });
  document.addEventListener("htmx:responseError", function (evt) {
    var xhr = evt.detail && evt.detail.xhr;
    if (xhr && (xhr.status === 400 || xhr.status === 401)) window.location.reload();
  });

  /* An action (a button, a shortcut, a number called) that never reached the server: a
     banner says it was not sent, until the server answers again (live_status.js probes it
     and tells; the live refresh that follows shows what is true now). */
  function actionLost(evt) {
    if (isPost(evt)) document.body.setAttribute("data-action-lost", "");
  }
  document.addEventListener("htmx:sendError", actionLost);
  document.addEventListener("htmx:timeout", actionLost);
  document.addEventListener("sp:live", function (evt) {
    if (evt.detail.server !== "away") document.body.removeAttribute("data-action-lost");
  });

  /* An action the server answered with an error of its own (5xx: e.g. it cannot save): the
     error page is not swapped in, so say so here until an action goes through. */
  function isPost(evt) {
    var cfg = evt.detail && evt.detail.requestConfig;
    return !!cfg && String(cfg.verb).toLowerCase() === "post";
  }
  document.addEventListener("htmx:responseError", function (evt) {
    var xhr = evt.detail && evt.detail.xhr;
    if (xhr && xhr.status >= 500 && isPost(evt)) document.body.setAttribute("data-action-failed", "");
  });
  document.addEventListener("htmx:afterRequest", function (evt) {
    if (evt.detail && evt.detail.successful && isPost(evt)) document.body.removeAttribute("data-action-failed");
  });
})();
