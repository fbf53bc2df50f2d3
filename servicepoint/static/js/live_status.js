/* The live link's state, shared by the faces (kiosk, counter, display, phone page).

   Two things are tracked and shown as attributes on <body>, for each face's CSS:
     data-stream="open" | "down"  the page's event stream, as htmx's SSE extension reports it
                                  (htmx:sseOpen / htmx:sseError / htmx:sseClose on the element
                                  with sse-connect); absent until the stream first opens or fails
     data-server="away"           a request or a probe did not reach the server (else absent)
   The element with sse-connect also gets data-sse="open" | "error" (technicians and tests
   read it there).

   While the server is away it is probed with GET /healthz, backing off from 1 s to 15 s (each
   delay spread by a quarter either way), so a screen notices the server's return even when its
   stream reconnects later; a server that answers is never polled. Any HTTP answer counts as back (even a 503 is a page of ours, not
   the browser's error page). A probe that hangs for 5 s counts as a failure.

   Faces act on a change by listening to "sp:live" on document (detail: {stream, server}),
   and use window.SP.live: lost() when one of their requests failed, check() to ask now,
   state() to read the state. A file, not inline script: the Content-Security-Policy allows
   the server's own files only. */
(function () {
  "use strict";
  var PROBE_URL = "/healthz";
  var PROBE_DELAYS_MS = [1000, 2000, 4000, 8000, 15000];
  var PROBE_TIMEOUT_MS = 5000;
  var current = { stream: null, server: "ok" };
  var probeTimer = null;
  var probeStep = 0;
  var probing = false;
  /* The page is being left: the browser cuts its stream and requests, which says nothing
     about the server (and must not flash an overlay over the next page). */
  var leaving = false;

  function paint() {
    var body = document.body;
    if (!body) return;
    if (current.stream) body.setAttribute("data-stream", current.stream);
    if (current.server === "away") body.setAttribute("data-server", "away");
    else body.removeAttribute("data-server");
  }

  function update(changes) {
    var changed = false;
    Object.keys(changes).forEach(function (key) {
      if (current[key] !== changes[key]) { current[key] = changes[key]; changed = true; }
    });
    if (!changed) return;
    paint();
    document.dispatchEvent(new CustomEvent("sp:live", {
      detail: { stream: current.stream, server: current.server } }));
  }

  function back() {
    window.clearTimeout(probeTimer);
    probeTimer = null;
    probeStep = 0;
    update({ server: "ok" });
  }

  /* One request to the server; resolves true when it answered at all. */
  function probe() {
    var abort = window.AbortController ? new AbortController() : null;
    var timer = abort && window.setTimeout(function () { abort.abort(); }, PROBE_TIMEOUT_MS);
    return window.fetch(PROBE_URL, { cache: "no-store", credentials: "same-origin",
                                     signal: abort ? abort.signal : undefined })
      .then(function () { return true; }, function () { return false; })
      .then(function (ok) { window.clearTimeout(timer); return ok; });
  }

  function scheduleProbe() {
    if (probeTimer !== null || probing || current.server !== "away") return;
    /* Spread by ±25 %: the phones and screens that lost the server together must not all
       ask at the same instant when it comes back. */
    var delay = PROBE_DELAYS_MS[Math.min(probeStep, PROBE_DELAYS_MS.length - 1)] *
      (0.75 + Math.random() / 2);
    probeStep += 1;
    probeTimer = window.setTimeout(function () {
      probeTimer = null;
      check();
    }, delay);
  }

  /* Ask the server now: back when it answers, away (and probing) when it does not. */
  function check() {
    if (probing) return;
    probing = true;
    probe().then(function (ok) {
      probing = false;
      if (leaving) return;
      if (ok) back();
      else lost();
    });
  }

  /* A request did not reach the server. */
  function lost() {
    if (leaving) return;
    update({ server: "away" });
    scheduleProbe();
  }

  function streamElement(evt) {
    var el = evt.target;
    return el && el.hasAttribute && (el.hasAttribute("sse-connect") || el.hasAttribute("data-sse-connect"))
      ? el : null;
  }

  document.addEventListener("htmx:sseOpen", function (evt) {
    var el = streamElement(evt);
    if (!el) return;
    el.setAttribute("data-sse", "open");
    update({ stream: "open" });
    back();  /* the stream answered, so the server does */
  });
  document.addEventListener("htmx:sseError", function (evt) {
    var el = streamElement(evt);
    if (!el || leaving) return;
    el.setAttribute("data-sse", "error");
    update({ stream: "down" });
  });
  /* Closed by the server's message: no stream any more. (A node htmx replaced or removed
     reconnects by itself or is gone with its page, so it says nothing.) */
  document.addEventListener("htmx:sseClose", function (evt) {
    var el = streamElement(evt);
    if (!el || leaving || !evt.detail || evt.detail.type !== "message") return;
    el.setAttribute("data-sse", "error");
    update({ stream: "down" });
  });
  /* Any htmx request that could not reach the server (refused, reset, timed out). */
  document.addEventListener("htmx:sendError", lost);
  document.addEventListener("htmx:timeout", lost);

  window.addEventListener("pagehide", function () { leaving = true; });
  window.addEventListener("beforeunload", function () { leaving = true; });
  window.addEventListener("pageshow", function (evt) { if (evt.persisted) leaving = false; });
  document.addEventListener("DOMContentLoaded", paint);

  window.SP = window.SP || {};
  window.SP.live = {
    lost: lost,
    check: check,
    probe: probe,
    state: function () { return { stream: current.stream, server: current.server }; },
  };
})();
