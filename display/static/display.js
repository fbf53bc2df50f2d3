/* Lobby display: announce each new call (flash, chime, offline speech) and keep the clock. */
(function () {
  "use strict";
  var lastKey = null;
  var audio = null;

  function live() { return document.getElementById("display-live"); }
  function board() { return document.querySelector("#board .board"); }

  /* -- sound: a two-tone chime made with WebAudio (no files, works offline) -- */
  function audioContext() {
    if (audio) return audio;
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return null;
    try { audio = new Ctx(); } catch (e) { audio = null; }
    return audio;
  }

  function chime() {
    var ctx = audioContext();
    if (!ctx || ctx.state !== "running") return 0;
    var t0 = ctx.currentTime + 0.05;
    [[880, 0], [659.25, 0.45]].forEach(function (note) {
      var osc = ctx.createOscillator();
      var gain = ctx.createGain();
      osc.type = "sine";
      osc.frequency.value = note[0];
      gain.gain.setValueAtTime(0.0001, t0 + note[1]);
      gain.gain.exponentialRampToValueAtTime(0.6, t0 + note[1] + 0.03);
      gain.gain.exponentialRampToValueAtTime(0.0001, t0 + note[1] + 1.1);
      osc.connect(gain).connect(ctx.destination);
      osc.start(t0 + note[1]);
      osc.stop(t0 + note[1] + 1.2);
    });
    return 1300;
  }

  /* -- speech: only voices installed on this machine (localService), never online TTS -- */
  function speak(text, lang) {
    var box = live();
    if (!text || !box || box.getAttribute("data-speech") !== "on" || !("speechSynthesis" in window)) return;
    var voices = window.speechSynthesis.getVoices().filter(function (v) {
      return v.localService && v.lang && v.lang.toLowerCase().indexOf(lang) === 0;
    });
    if (!voices.length) return;
    var utterance = new SpeechSynthesisUtterance(text);
    utterance.voice = voices[0];
    utterance.lang = voices[0].lang;
    utterance.rate = 0.9;
    window.speechSynthesis.speak(utterance);
  }

  function announce(b) {
    var newest = b.querySelector(".call.newest");
    if (newest) {
      newest.classList.remove("flash");
      void newest.offsetWidth; /* restart the animation */
      newest.classList.add("flash");
    }
    var say = b.getAttribute("data-latest-say");
    var lang = b.getAttribute("data-latest-lang") || "en";
    var delay = chime();
    window.setTimeout(function () { speak(say, lang); }, delay);
    var box = live();
    if (box) {
      box.setAttribute("data-announced", b.getAttribute("data-latest-key"));
      box.setAttribute("data-announcements", String(+(box.getAttribute("data-announcements") || 0) + 1));
    }
  }

  function checkBoard() {
    var b = board();
    if (!b) return;
    var key = b.getAttribute("data-latest-key");
    if (key && lastKey !== null && key !== lastKey) announce(b);
    lastKey = key || lastKey || "";
  }

  /* -- clock in the branch's time zone -- */
  function startClock() {
    var el = document.getElementById("clock");
    if (!el) return;
    var fmt;
    try {
      fmt = new Intl.DateTimeFormat(el.getAttribute("data-lang") || "en",
        { hour: "2-digit", minute: "2-digit", hour12: false, timeZone: el.getAttribute("data-tz") || "UTC" });
    } catch (e) { return; }
    function tick() { el.textContent = fmt.format(new Date()); }
    tick();
    window.setInterval(tick, 1000);
  }

  /* Browsers start audio suspended until someone touches the page; kiosk-mode
     Chromium is launched with --autoplay-policy=no-user-gesture-required. */
  function setupSound() {
    var button = document.getElementById("sound-on");
    var ctx = audioContext();
    if (!button || !ctx) return;
    function refresh() { button.hidden = ctx.state === "running"; }
    button.addEventListener("click", function () { ctx.resume().then(refresh); });
    document.addEventListener("pointerdown", function () { ctx.resume().then(refresh); }, { once: true });
    ctx.resume().then(refresh, refresh);
    window.setTimeout(refresh, 500);
    if ("speechSynthesis" in window) window.speechSynthesis.getVoices();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var b = board();
    lastKey = b ? (b.getAttribute("data-latest-key") || "") : "";
    startClock();
    setupSound();
  });
  document.addEventListener("htmx:afterSwap", function (evt) {
    if (evt.target && evt.target.id === "board") checkBoard();
  });
  /* Show the live link's state on the page (for technicians and tests). */
  document.addEventListener("htmx:sseOpen", function (evt) {
    if (evt.target && evt.target.id === "display-live") evt.target.setAttribute("data-sse", "open");
  });
  document.addEventListener("htmx:sseError", function (evt) {
    if (evt.target && evt.target.id === "display-live") evt.target.setAttribute("data-sse", "error");
  });
})();
