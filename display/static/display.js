/* Lobby display: flash each new call and keep the clock (announce.js speaks the calls). */
(function () {
  "use strict";
  var lastKey = null;

  function board() { return document.querySelector("#board .board"); }

  /* Draw the eye to the newest call; announce.js speaks it. */
  function flash(b) {
    var newest = b.querySelector(".call.newest");
    if (!newest) return;
    newest.classList.remove("flash");
    void newest.offsetWidth; /* restart the animation */
    newest.classList.add("flash");
  }

  function checkBoard() {
    var b = board();
    if (!b) return;
    var key = b.getAttribute("data-latest-key");
    if (key && lastKey !== null && key !== lastKey) flash(b);
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

  document.addEventListener("DOMContentLoaded", function () {
    var b = board();
    lastKey = b ? (b.getAttribute("data-latest-key") || "") : "";
    startClock();
  });
  document.addEventListener("htmx:afterSwap", function (evt) {
    if (evt.target && evt.target.id === "board") checkBoard();
  });
  /* A board pushed on the live stream (sse-swap). */
  document.addEventListener("htmx:sseMessage", function (evt) {
    if (evt.target && evt.target.id === "board") checkBoard();
  });
  /* A display that was unpaired is told so on its stream: the page reloads into the
     pairing screen. (live_status.js shows the stream's state.) */
  var sources = [];
  document.addEventListener("htmx:sseOpen", function (evt) {
    if (!evt.target || evt.target.id !== "display-live") return;
    var source = evt.detail && evt.detail.source;
    if (source && sources.indexOf(source) === -1) {
      sources.push(source);
      source.addEventListener("refresh", function () { window.location.reload(); });
    }
  });
})();
