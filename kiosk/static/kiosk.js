/* Kiosk behaviour: return to the start screen, reset after idling, recover from expired forms. */
(function () {
  "use strict";
  var returnTimer = null;
  var idleTimer = null;

  function screen() { return document.getElementById("kiosk-screen"); }

  function armReturn() {
    window.clearTimeout(returnTimer);
    var box = screen() && screen().querySelector("[data-return-after]");
    if (!box) return;
    var seconds = parseFloat(box.getAttribute("data-return-after")) || 10;
    returnTimer = window.setTimeout(function () {
      window.location.replace(box.getAttribute("data-return-url"));
    }, seconds * 1000);
  }

  /* A customer who switched language or ticked priority and walked away must not
     leave that choice to the next person. */
  function armIdle() {
    window.clearTimeout(idleTimer);
    var start = document.querySelector("[data-idle-reset]");
    if (!start) return;
    var seconds = parseFloat(start.getAttribute("data-idle-reset")) || 60;
    idleTimer = window.setTimeout(function () {
      var box = document.querySelector("[data-idle-reset]");
      if (!box) return;
      var prio = document.getElementById("priority");
      var changed = box.getAttribute("data-lang") !== box.getAttribute("data-default-lang") ||
        (prio && prio.checked);
      if (changed) window.location.replace(box.getAttribute("data-home-url"));
    }, seconds * 1000);
  }

  ["pointerdown", "keydown"].forEach(function (name) {
    document.addEventListener(name, armIdle, { passive: true });
  });
  document.addEventListener("DOMContentLoaded", function () { armReturn(); armIdle(); });
  document.addEventListener("htmx:afterSwap", function (evt) {
    if (evt.target && evt.target.id === "kiosk-screen") { armReturn(); armIdle(); }
  });
  /* 400 means the form expired (new session): reload for a fresh one. */
  document.addEventListener("htmx:responseError", function (evt) {
    if (evt.detail && evt.detail.xhr && evt.detail.xhr.status === 400) window.location.reload();
  });
  /* The server is unreachable: try the start screen again shortly. */
  document.addEventListener("htmx:sendError", function (evt) {
    if (evt.target && evt.target.id === "issue-form") {
      window.setTimeout(function () { window.location.reload(); }, 3000);
    }
  });
  /* Whether the live stream is up (the screen follows revocation and queue changes on it). */
  document.addEventListener("htmx:sseOpen", function (evt) {
    if (evt.target && evt.target.id === "kiosk-live") evt.target.setAttribute("data-sse", "open");
  });
  document.addEventListener("htmx:sseError", function (evt) {
    if (evt.target && evt.target.id === "kiosk-live") evt.target.setAttribute("data-sse", "error");
  });
  /* No long-press menu or text selection on a public touchscreen. */
  document.addEventListener("contextmenu", function (evt) { evt.preventDefault(); });
})();
