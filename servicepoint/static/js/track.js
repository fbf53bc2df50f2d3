/* The phone page of a ticket: a cancel question in the customer's language, the full-screen
   "It's your turn" with vibration and a short tone when called, and a re-sync whenever the
   phone wakes up (a sleeping phone misses the live stream). A file, not inline script: the
   Content-Security-Policy allows scripts from the server's own files only. */
(function () {
  "use strict";

  function track() { return document.getElementById("track"); }

  /* -- cancel: ask first; "keep" (or Escape) keeps the ticket, "yes" cancels it. */
  var pendingForm = null;
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var id = form && form.getAttribute("data-cancel-dialog");
    var dialog = id && document.getElementById(id);
    if (!dialog || typeof dialog.showModal !== "function") return;
    event.preventDefault();
    pendingForm = form;
    dialog.showModal();
  });
  document.addEventListener("click", function (event) {
    var target = event.target.closest && event.target.closest("button");
    if (!target) return;
    var dialog = document.getElementById("cancel-dialog");
    if (target.id === "cancel-keep") {
      pendingForm = null;
      dialog.close("keep");
    } else if (target.id === "cancel-accept" && pendingForm) {
      var form = pendingForm;
      pendingForm = null;
      dialog.close("cancel");
      form.submit();  /* submit() fires no submit event: no second question */
    }
  });

  /* -- called: colour, vibration and a tone, once per call (a recall alerts again). */
  function tone() {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return;
    try {
      var ctx = new Ctx();
      var play = function () {
        [0, 0.35].forEach(function (start) {
          var osc = ctx.createOscillator();
          var gain = ctx.createGain();
          osc.frequency.value = 880;
          gain.gain.value = 0.25;
          osc.connect(gain);
          gain.connect(ctx.destination);
          osc.start(ctx.currentTime + start);
          osc.stop(ctx.currentTime + start + 0.25);
        });
        document.body.setAttribute("data-tone", "played");
      };
      if (ctx.state === "suspended") {
        ctx.resume().then(play, function () { /* the browser wants a tap first */ });
      } else {
        play();
      }
    } catch (e) { /* no sound where the browser does not allow it */ }
  }

  function alerted(key) {
    try { return window.sessionStorage.getItem("sp-called") === key; } catch (e) { return false; }
  }

  function remember(key) {
    try { window.sessionStorage.setItem("sp-called", key); } catch (e) { /* private mode */ }
  }

  function showState() {
    var screen = document.getElementById("called-screen");
    document.body.classList.toggle("called", !!screen);
    if (!screen) return;
    var key = screen.getAttribute("data-called-key");
    if (alerted(key)) return;
    remember(key);
    if (navigator.vibrate) navigator.vibrate([400, 150, 400, 150, 400]);
    tone();
  }

  document.addEventListener("DOMContentLoaded", showState);
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.target === track()) showState();
  });

  /* -- the live stream carries this ticket's own facts (its position, wait and state):
     the sentences are replaced in place, and the page is fetched again only when the
     ticket itself changed (called, served, a recall...), never for other people's. */
  var sources = [];
  function apply(event) {
    var data;
    try { data = JSON.parse(event.data); } catch (e) { return; }
    var card = document.querySelector("#track [data-key]");
    if (!card || card.getAttribute("data-key") !== data.key) {
      if (track() && window.htmx) window.htmx.trigger(track(), "resync");
      return;
    }
    var parts = { "track-lead": data.lead, "track-wait": data.wait, "track-nudge": data.nudge };
    Object.keys(parts).forEach(function (id) {
      var el = document.getElementById(id);
      if (!el) return;
      if (el.textContent !== parts[id]) el.textContent = parts[id];
      if (id === "track-nudge") el.hidden = !parts[id];
    });
    document.body.setAttribute("data-ticket-version", event.lastEventId || "");
  }
  document.addEventListener("htmx:sseOpen", function (event) {
    var source = event.detail && event.detail.source;
    /* The browser reopens the same EventSource after a drop: listen once per source. */
    if (!source || sources.indexOf(source) !== -1) return;
    sources.push(source);
    source.addEventListener("ticket", apply);
  });

  /* -- a phone that slept missed events: ask again as soon as it is looked at. */
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && track() && window.htmx) {
      window.htmx.trigger(track(), "resync");
    }
  });
  window.addEventListener("pageshow", function (event) {
    if (event.persisted && track() && window.htmx) window.htmx.trigger(track(), "resync");
  });
})();
