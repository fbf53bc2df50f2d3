/* Kiosk behaviour: return to the start screen, reset after idling, recover from expired forms,
   and the accessible mode: speech from the server (espeak-ng WAV per phrase) for the menu,
   each control on focus and the issued ticket, interruptible and repeatable, with a volume;
   arrow keys move between the controls and Enter takes a ticket; a long press anywhere turns
   the mode on. In the accessible mode nothing times out.

   While the server does not answer (live_status.js) the kiosk shows its out-of-service overlay
   and never navigates: a browser's error page on a public kiosk would stay until a technician
   came. A tap that did not reach the server is sent again, with the same Idempotency-Key, when
   the server answers, so it gives one ticket; a tap older than the idle reset is dropped for a
   fresh start screen instead (its customer has most likely walked away, and a ticket printed
   for nobody would be taken by the next person or called as a no-show). */
(function () {
  "use strict";
  var returnTimer = null;
  var idleTimer = null;
  var pressTimer = null;
  var LONG_PRESS_MS = 1500;
  var pendingTap = null;  /* a tap the server has not answered: {values, at} */
  var sentTap = null;     /* the tap being sent */
  var pendingNav = null;  /* where to go once the server answers: {url, replace} */

  function screen() { return document.getElementById("kiosk-screen"); }
  function accessible() { return document.body.classList.contains("a11y"); }

  function armReturn() {
    window.clearTimeout(returnTimer);
    var box = screen() && screen().querySelector("[data-return-after]");
    if (!box || accessible()) return;  /* no time-outs in the accessible mode */
    var seconds = parseFloat(box.getAttribute("data-return-after")) || 10;
    returnTimer = window.setTimeout(function () {
      go(box.getAttribute("data-return-url"), true);
    }, seconds * 1000);
  }

  /* A customer who switched language or ticked priority and walked away must not
     leave that choice to the next person. */
  function armIdle() {
    window.clearTimeout(idleTimer);
    var start = document.querySelector("[data-idle-reset]");
    if (!start || accessible()) return;
    var seconds = parseFloat(start.getAttribute("data-idle-reset")) || 60;
    idleTimer = window.setTimeout(function () {
      var box = document.querySelector("[data-idle-reset]");
      if (!box) return;
      var prio = document.getElementById("priority");
      var changed = box.getAttribute("data-lang") !== box.getAttribute("data-default-lang") ||
        (prio && prio.checked);
      if (changed) go(box.getAttribute("data-home-url"), true);
    }, seconds * 1000);
  }

  /* -- speech: one player, so a new phrase always interrupts the one before. */
  var player = new Audio();
  var pageSpeech = null;  /* what "Repeat" says again: the menu or the ticket */

  function volume() {
    var slider = document.getElementById("speech-volume");
    var stored = null;
    try { stored = window.sessionStorage.getItem("sp-volume"); } catch (e) { /* private */ }
    if (slider && stored !== null && slider.getAttribute("data-restored") !== "1") {
      slider.value = stored;
      slider.setAttribute("data-restored", "1");
    }
    return slider ? Number(slider.value) / 100 : (stored !== null ? Number(stored) / 100 : 0.8);
  }

  function stop() {
    player.pause();
    player.removeAttribute("src");
    document.querySelectorAll(".speaking").forEach(function (el) { el.classList.remove("speaking"); });
  }

  function speak(url, element) {
    if (!url || !accessible()) return;
    stop();
    if (element) element.classList.add("speaking");
    player.src = url;
    player.volume = volume();
    var played = player.play();
    if (played && played.catch) played.catch(function () { /* blocked until a touch */ });
  }

  player.addEventListener("ended", function () {
    document.querySelectorAll(".speaking").forEach(function (el) { el.classList.remove("speaking"); });
  });

  function speakPage() {
    var holder = screen() && screen().querySelector("[data-speech-url]");
    pageSpeech = holder ? holder.getAttribute("data-speech-url") : null;
    speak(pageSpeech);
  }

  function speechUrlOf(el) {
    if (!el || !el.getAttribute) return null;
    var url = el.getAttribute("data-speak-url");
    if (url) return url;
    var key = el.getAttribute("data-speak-key");
    var holder = document.querySelector("[data-speech-text]");
    if (!key || !holder) return null;
    return holder.getAttribute("data-speech-text") + "&key=" + encodeURIComponent(key);
  }

  document.addEventListener("focusin", function (event) {
    if (!accessible()) return;
    var el = event.target.closest("[data-speak-url], [data-speak-key]") ||
      (event.target.id === "priority" && document.querySelector("label[for=priority]"));
    var url = speechUrlOf(el);
    if (url) speak(url, el);
  });

  document.addEventListener("click", function (event) {
    var target = event.target.closest && event.target.closest("button");
    if (!target) return;
    if (target.id === "speech-repeat") speak(pageSpeech);
    if (target.id === "speech-stop") stop();
  });

  document.addEventListener("input", function (event) {
    if (event.target.id !== "speech-volume") return;
    player.volume = Number(event.target.value) / 100;
    try { window.sessionStorage.setItem("sp-volume", event.target.value); } catch (e) { /* private */ }
  });

  /* -- keyboard or keypad: arrows move between the controls, Enter activates. */
  function controls() {
    var box = screen();
    if (!box) return [];
    return Array.prototype.filter.call(
      box.querySelectorAll("a[href], button:not([disabled]), input:not([type=hidden])"),
      function (el) { return el.offsetParent !== null; });
  }

  document.addEventListener("keydown", function (event) {
    var keys = { ArrowDown: 1, ArrowRight: 1, ArrowUp: -1, ArrowLeft: -1 };
    var step = keys[event.key];
    if (!step || (event.target.type === "range")) return;
    if (document.documentElement.dir === "rtl" && (event.key === "ArrowLeft" || event.key === "ArrowRight")) {
      step = -step;  /* mirrored: the arrow points the way the eye reads */
    }
    var list = controls();
    if (!list.length) return;
    var at = list.indexOf(document.activeElement);
    var next = at < 0 ? (step > 0 ? 0 : list.length - 1) : (at + step + list.length) % list.length;
    list[next].focus();
    event.preventDefault();
  });

  /* -- a long press anywhere switches the accessible mode on. */
  function cancelPress() { window.clearTimeout(pressTimer); }
  document.addEventListener("pointerdown", function () {
    cancelPress();
    if (accessible()) return;
    pressTimer = window.setTimeout(function () {
      var button = document.getElementById("a11y-button");
      if (button) go(button.getAttribute("href"), false);
    }, LONG_PRESS_MS);
  });
  ["pointerup", "pointercancel", "pointermove", "scroll"].forEach(function (name) {
    document.addEventListener(name, function (event) {
      if (name !== "pointermove" || Math.abs(event.movementX) + Math.abs(event.movementY) > 8) cancelPress();
    }, { passive: true });
  });

  ["pointerdown", "keydown"].forEach(function (name) {
    document.addEventListener(name, armIdle, { passive: true });
  });
  document.addEventListener("DOMContentLoaded", function () { armReturn(); armIdle(); speakPage(); });
  document.addEventListener("htmx:afterSwap", function (evt) {
    if (evt.target && evt.target.id === "kiosk-screen") {
      armReturn(); armIdle(); speakPage();
    }
  });
  /* 400 means the form expired (new session): load a fresh one. */
  document.addEventListener("htmx:responseError", function (evt) {
    if (evt.detail && evt.detail.xhr && evt.detail.xhr.status === 400) go(window.location.href, true);
  });
  /* Links (language, category, accessible mode, Done) go through go() as well. */
  document.addEventListener("click", function (evt) {
    var link = evt.target.closest && evt.target.closest("a[href]");
    if (!link || evt.defaultPrevented || link.origin !== window.location.origin) return;
    evt.preventDefault();
    go(link.href, false);
  });

  /* -- the server away: the overlay, no navigation, and the tap kept for when it is back. */
  function away() { return !!(window.SP && window.SP.live.state().server === "away"); }

  /* Navigate only to a server that answers; else wait for it (the overlay says so). */
  function go(url, replace) {
    var leave = function () {
      if (replace) window.location.replace(url); else window.location.assign(url);
    };
    if (!window.SP) { leave(); return; }
    if (away()) { pendingNav = { url: url, replace: replace }; return; }
    window.SP.live.probe().then(function (ok) {
      if (ok) { leave(); return; }
      pendingNav = { url: url, replace: replace };
      window.SP.live.lost();
    });
  }

  function isIssue(evt) { return evt.target && evt.target.id === "issue-form"; }

  /* What the tap sends (the form's values: service, key, priority, language), kept until the
     server has answered it. A retry keeps the first tap's time. */
  document.addEventListener("htmx:configRequest", function (evt) {
    if (!isIssue(evt)) return;
    var values = {};
    evt.detail.formData.forEach(function (value, name) { values[name] = value; });
    sentTap = { values: values, at: pendingTap ? pendingTap.at : Date.now() };
  });
  document.addEventListener("htmx:afterRequest", function (evt) {
    if (!isIssue(evt) || !evt.detail.xhr || evt.detail.xhr.status === 0) return;
    pendingTap = null;  /* answered (a ticket, or a message on the screen) */
  });
  function tapFailed(evt) {
    if (!isIssue(evt) || !sentTap) return;
    pendingTap = sentTap;
  }
  document.addEventListener("htmx:sendError", tapFailed);
  document.addEventListener("htmx:timeout", tapFailed);

  function resume() {
    var tap = pendingTap;
    var form = document.getElementById("issue-form");
    var start = document.querySelector("[data-idle-reset]");
    var maxAge = (start ? parseFloat(start.getAttribute("data-idle-reset")) || 60 : 60) * 1000;
    if (tap && form && Date.now() - tap.at <= maxAge) {
      pendingNav = null;
      window.htmx.ajax("POST", form.getAttribute("hx-post"),
        { source: form, target: "#kiosk-screen", swap: "innerHTML", values: tap.values });
      return;
    }
    if (tap) {
      pendingTap = null;
      go(start ? start.getAttribute("data-home-url") : window.location.href, true);
      return;
    }
    if (pendingNav) {
      var nav = pendingNav;
      pendingNav = null;
      go(nav.url, nav.replace);
    }
  }

  var seen = { stream: null, server: "ok" };
  document.addEventListener("sp:live", function (evt) {
    var before = seen;
    seen = evt.detail;
    var live = document.getElementById("kiosk-live");
    if (live) live.inert = seen.server === "away";  /* no taps or keys under the overlay */
    if (seen.server === "away") {
      window.clearTimeout(pressTimer);
      stop();
    } else if (before.server === "away") {
      resume();
    } else if (seen.stream === "down" && before.stream !== "down") {
      window.SP.live.check();  /* the stream dropped: is the server gone too? */
    }
  });

  /* No long-press menu or text selection on a public touchscreen. */
  document.addEventListener("contextmenu", function (evt) { evt.preventDefault(); });
})();
