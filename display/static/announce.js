/* Lobby display: announce every call aloud, one after another, none dropped.

   The board pushed on the live stream carries the calls to announce since just before
   its oldest call (data-announce); the display asks the server for the calls since the
   last one announced (GET data-announce-url?after=<id>) only when it opens, reconnects
   or missed more than the board shows. Each call is queued; the queue plays
   a chime, then the server's spoken WAV (espeak-ng) in each of the display's languages,
   and only then the next call, so announcements never overlap. When the server cannot
   speak (no espeak-ng) a call has no WAV and the chime plays alone.

   Every step is also dispatched as a "servicepoint:announce" event on document
   (detail: id, lang, phase "chime" | "speech" | "done", at = Date.now()) for
   technicians' tools and the benchmarks. */
(function () {
  "use strict";
  var GAP_MS = 400;          /* silence between two announcements */
  /* No polling: the display asks when the live stream speaks or reconnects. Only a failed
     request is retried, after 1, 2, 4 … at most 30 s, so a server restart loses no call. */
  var RETRY_MIN_MS = 1000, RETRY_MAX_MS = 30000, retryMs = RETRY_MIN_MS, retryTimer = null;
  var box = null;
  var ctx = null;
  var cursor = null;
  var fetching = false;
  var again = false;
  var queue = [];
  var lastQueued = 0;
  var playing = false;
  var lastEnd = 0;

  function emit(id, lang, phase) {
    document.dispatchEvent(new CustomEvent("servicepoint:announce",
      { detail: { id: id, lang: lang, phase: phase, at: Date.now() } }));
  }

  function wait(ms) { return new Promise(function (resolve) { window.setTimeout(resolve, ms); }); }

  /* -- sound ----------------------------------------------------------------- */
  function audioContext() {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return null;
    try { return new Ctx(); } catch (e) { return null; }
  }

  function canPlay() { return !!ctx && ctx.state === "running"; }

  /* A two-tone chime made with WebAudio (no file; works offline). Resolves when it ends. */
  function chime() {
    if (!canPlay()) return Promise.resolve();
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
    return wait(1300);
  }

  /* The WAV at url, decoded; null when it cannot be had (the chime has played anyway). */
  function load(url) {
    return window.fetch(url, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.arrayBuffer() : null; })
      .then(function (data) { return data && ctx ? ctx.decodeAudioData(data) : null; })
      .catch(function () { return null; });
  }

  /* Play a decoded buffer; resolves when it has ended (or a little after it should have). */
  function play(buffer) {
    return new Promise(function (resolve) {
      var done = false;
      function finish() { if (!done) { done = true; resolve(); } }
      var source = ctx.createBufferSource();
      source.buffer = buffer;
      source.connect(ctx.destination);
      source.onended = finish;
      window.setTimeout(finish, buffer.duration * 1000 + 1000);
      source.start();
    });
  }

  /* -- one announcement ------------------------------------------------------ */
  function announce(item) {
    box.setAttribute("data-announced", String(item.id));
    box.setAttribute("data-announcements", String(+(box.getAttribute("data-announcements") || 0) + 1));
    var speak = box.getAttribute("data-speech") === "on" && ctx;
    /* Ask for every language's WAV now: espeak-ng works while the chime plays. */
    var sounds = speak ? item.audio.map(function (a) { return { lang: a.lang, buffer: load(a.url) }; }) : [];
    emit(item.id, null, "chime");
    var chain = chime();
    sounds.forEach(function (sound) {
      chain = chain.then(function () { return sound.buffer; }).then(function (buffer) {
        if (!buffer || !canPlay()) return null;
        emit(item.id, sound.lang, "speech");
        return play(buffer);
      });
    });
    return chain.then(function () {
      box.setAttribute("data-finished", String(+(box.getAttribute("data-finished") || 0) + 1));
      emit(item.id, null, "done");
    });
  }

  /* One announcement at a time; GAP_MS of silence between two, none added to a call that
     finds the display quiet. */
  function pump() {
    if (playing || !queue.length) return;
    playing = true;
    var item = queue.shift();
    function next() { lastEnd = Date.now(); playing = false; pump(); }
    wait(Math.max(0, lastEnd + GAP_MS - Date.now()))
      .then(function () { return announce(item); })
      .then(next, next);
  }

  /* -- what to announce ------------------------------------------------------ */
  function poll() {
    var url = box.getAttribute("data-announce-url");
    if (!url) return;
    if (fetching) { again = true; return; }
    fetching = true;
    var query = cursor === null ? "" : "?after=" + encodeURIComponent(cursor);
    window.fetch(url + query, { credentials: "same-origin", cache: "no-store",
                                headers: { Accept: "application/json" } })
      .then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.json();
      })
      .then(function (data) {
        retryMs = RETRY_MIN_MS;
        cursor = data.cursor;
        box.setAttribute("data-cursor", String(cursor));
        (data.items || []).forEach(function (item) {
          if (item.id > lastQueued) { lastQueued = item.id; queue.push(item); }
        });
        if (data.more) again = true;
        pump();
      })
      .catch(function () {
        /* The board shows the reconnecting state; ask again later in case no change comes. */
        if (retryTimer === null) {
          retryTimer = window.setTimeout(function () { retryTimer = null; poll(); }, retryMs);
          retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
        }
      })
      .then(function () {
        fetching = false;
        if (again) { again = false; poll(); }
      });
  }

  /* Browsers keep audio suspended until someone touches the page, unless Chromium was
     started with --autoplay-policy=no-user-gesture-required (deploy/kiosk-chromium.sh).
     The "turn on sound" button shows only when sound really is blocked. */
  function setupSound() {
    var button = document.getElementById("sound-on");
    ctx = audioContext();
    function refresh() {
      var on = canPlay();
      box.setAttribute("data-sound", ctx ? (on ? "on" : "blocked") : "none");
      if (button) button.hidden = on || !ctx;
    }
    if (!ctx) { refresh(); return; }
    function unlock() { ctx.resume().then(refresh, refresh); }
    ctx.addEventListener("statechange", refresh);
    if (button) button.addEventListener("click", unlock);
    document.addEventListener("pointerdown", unlock, { once: true });
    document.addEventListener("keydown", unlock, { once: true });
    /* Audio may take a moment to start even when allowed: decide after it had the chance. */
    ctx.resume().then(refresh, refresh);
    window.setTimeout(refresh, 500);
  }

  document.addEventListener("DOMContentLoaded", function () {
    box = document.getElementById("display-live");
    if (!box) return;
    setupSound();
    poll();
  });
  /* A board pushed by the stream carries the calls to announce since just before its
     oldest call shown (data-announce): queue the new ones from it. Ask the server only
     when the display missed more than the board shows (or before it knows where it is). */
  function take(data) {
    /* The board also lists calls from before this display knew where it was (its cursor):
       those were never its to announce. */
    var from = Math.max(cursor, lastQueued);
    (data.items || []).forEach(function (item) {
      if (item.id > from) { from = lastQueued = item.id; queue.push(item); }
    });
    cursor = Math.max(cursor, data.cursor);
    box.setAttribute("data-cursor", String(cursor));
    if (data.more) poll(); else pump();
  }
  document.addEventListener("htmx:sseMessage", function () {
    if (!box) return;
    var b = document.querySelector("#board .board");
    var data = null;
    try { data = JSON.parse(b.getAttribute("data-announce")); } catch (e) { data = null; }
    if (data && cursor !== null && !fetching && data.after <= cursor) take(data);
    else poll();
  });
  document.addEventListener("htmx:sseOpen", function () { if (box) poll(); });
})();
