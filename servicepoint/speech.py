"""Offline speech: Debian's ``espeak-ng`` turns phrases the server built into WAV, cached on disk.

Only the server builds what is spoken: a face fills one of its own catalogue
templates with parts made here (:func:`words`, :func:`characters`,
:func:`ticket_number`), so a hostile guest can never make the box read, store or
spend CPU on text of their choosing. Every literal piece is XML-escaped, so a
counter name typed by a manager cannot inject SSML either.

``espeak-ng --stdout`` runs in a subprocess with a timeout, at most
``SPEECH_PROCESSES`` at a time; a burst of requests for the same phrase makes one
process, and beyond a short queue callers are told "busy" at once instead of
piling up threads. WAV files are kept in ``speech-cache/`` beside the database
(never in the package folder), named by a hash of everything that shapes the
sound, and the least recently used are removed past ``SPEECH_CACHE_MB``.

If ``espeak-ng`` is missing, :meth:`Speech.health` says so (``/healthz``) and
callers get :class:`SpeechUnavailable`; the server keeps running and the display
plays its chime alone. Importing this module does no work.
"""
from __future__ import annotations

import dataclasses
import hashlib
import io
import os
import re
import shutil
import struct
import subprocess
import threading
import wave
from xml.sax.saxutils import escape

from flask import current_app

from .domain.branch import SPEECH_NUMBER_STYLES
from .speech_cache import WavCache

ENGINE = "espeak-ng"
# Server settings (Flask config; README's settings table documents each).
DEFAULTS = {
    "SPEECH_CACHE_MB": 64,
    "SPEECH_PROCESSES": 2,
    "SPEECH_TIMEOUT_S": 10.0,
    "SPEECH_RATE": 150,
}
# How a ticket number is read: the branch's ``speech_numbers`` setting.
NUMBER_STYLES = SPEECH_NUMBER_STYLES
# The espeak-ng voice for each interface language we may speak.
VOICES = {"en": "en", "es": "es", "fr": "fr", "ar": "ar"}
# Phrases are one or two sentences; anything longer is a bug, not something to read out.
MAX_SSML_CHARS = 2000
# Callers that may wait for a process slot, per slot, before "busy".
QUEUE_PER_PROCESS = 8
# Bump when the way phrases become sound changes, so old cached files are not reused.
FORMAT = "1"


class SpeechUnavailable(Exception):
    """No WAV can be made now; ``reason`` says why in plain words."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class SpeechBusy(SpeechUnavailable):
    """Every process slot is taken and the queue is full (try again in a moment)."""


# -- what is spoken ------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Spoken:
    """A piece of a phrase: ``text`` as a screen shows it, ``ssml`` as espeak-ng reads it."""

    text: str
    ssml: str


@dataclasses.dataclass(frozen=True)
class Phrase:
    """A whole sentence to speak in ``lang``; build it with :func:`phrase`."""

    lang: str
    text: str
    ssml: str


def words(text: str) -> Spoken:
    """Plain words, read as written (escaped: never markup)."""
    return Spoken(text, escape(text))


def characters(text: str) -> Spoken:
    """Each letter and digit on its own: ``A042`` → "A 0 4 2"."""
    return Spoken(" ".join(text), f'<say-as interpret-as="characters">{escape(text)}</say-as>')


def ticket_number(number: str, style: str = "digits") -> Spoken:
    """A ticket number as the branch prefers it read.

    ``digits``: every character apart ("A 0 4 2"); ``whole``: the letters apart,
    then the number as a number ("A 42"). Anything that is not letters followed
    by digits is spelled out. Raises ``ValueError`` for an unknown style.
    """
    if style not in NUMBER_STYLES:
        raise ValueError(f"unknown number style {style!r}; use one of {', '.join(NUMBER_STYLES)}")
    match = re.fullmatch(r"([A-Za-z]*)(\d+)", number)
    if style == "digits" or not match:
        return characters(number)
    letters, digits = match.groups()
    whole = words(str(int(digits)))
    if not letters:
        return whole
    spelled = characters(letters)
    return Spoken(f"{spelled.text} {whole.text}", f"{spelled.ssml} {whole.ssml}")


# A catalog placeholder: ``%(number)s`` (gettext's python-format).
_FIELD = re.compile(r"%\((\w+)\)[sd]")


def phrase(lang: str, template: str, **parts: Spoken) -> Phrase:
    """Fill a catalog ``template`` (``"Ticket %(number)s, …"``) with ``parts`` in ``lang``.

    The template's own words are escaped; each ``%(field)s`` takes its part's SSML.
    Raises ``ValueError`` for a language without a voice, a field without a part,
    or a phrase too long to be one the server meant to build.
    """
    if lang not in VOICES:
        raise ValueError(f"no voice for language {lang!r}")
    pieces = ["<speak>"]
    at = 0
    for match in _FIELD.finditer(template):
        pieces.append(escape(template[at:match.start()]))
        field = match.group(1)
        if field not in parts:
            raise ValueError(f"the phrase needs a {field!r} part")
        pieces.append(parts[field].ssml)
        at = match.end()
    pieces.append(escape(template[at:]))
    pieces.append("</speak>")
    ssml = "".join(pieces)
    if len(ssml) > MAX_SSML_CHARS:
        raise ValueError(f"a phrase of {len(ssml)} characters is too long to speak")
    return Phrase(lang, _FIELD.sub(lambda m: parts[m.group(1)].text, template), ssml)


# -- making sound --------------------------------------------------------------

def executable() -> str | None:
    """Where ``espeak-ng`` is on this process's ``PATH`` now, or None."""
    return shutil.which(ENGINE)


def clean_wav(raw: bytes) -> bytes:
    """The WAV that ``espeak-ng --stdout`` wrote, with true sizes in its header.

    Written to a pipe, espeak-ng cannot seek back, so its header claims a huge
    data size; players and the ``wave`` module want the real one. Raises
    :class:`SpeechUnavailable` when ``raw`` holds no PCM sound.
    """
    if len(raw) < 12 or raw[:4] != b"RIFF" or raw[8:12] != b"WAVE":
        raise SpeechUnavailable(f"{ENGINE} did not write a WAV file")
    fmt, data, pos = None, None, 12
    while pos + 8 <= len(raw) and data is None:
        chunk, size = raw[pos:pos + 4], struct.unpack("<I", raw[pos + 4:pos + 8])[0]
        body = raw[pos + 8:pos + 8 + size]
        if chunk == b"fmt ":
            fmt = body
        elif chunk == b"data":
            data = body
        pos += 8 + size + (size & 1)
    if fmt is None or len(fmt) < 16 or not data:
        raise SpeechUnavailable(f"{ENGINE} wrote a WAV file without sound")
    tag, channels, rate, _byte_rate, _align, bits = struct.unpack("<HHIIHH", fmt[:16])
    if tag != 1 or bits not in (8, 16):
        raise SpeechUnavailable(f"{ENGINE} wrote an unexpected WAV format ({tag}, {bits} bit)")
    width = bits // 8
    data = data[:len(data) - len(data) % (width * channels)]
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(data)
    return out.getvalue()


class Speech:
    """Phrases to WAV bytes: bounded processes, one synthesis per phrase at a time, a disk cache.

    Safe to share between threads; one per application.
    """

    def __init__(self, cache_dir: str | os.PathLike[str], *, processes: int = 2,
                 timeout_s: float = 10.0, cache_bytes: int = 64 << 20, rate: int = 150):
        self.processes = max(1, int(processes))
        self.timeout_s = float(timeout_s)
        self.rate = int(rate)
        self.cache = WavCache(cache_dir, cache_bytes)
        self._slots = threading.BoundedSemaphore(self.processes)
        self._lock = threading.Lock()
        self._inflight: dict[str, threading.Event] = {}
        self._versions: dict[str, str] = {}
        self.running = 0
        self.peak_running = 0
        self.synthesised = 0

    @classmethod
    def from_config(cls, config) -> "Speech":
        """The speech service for an app's config; its cache sits beside ``DATABASE``."""
        folder = os.path.dirname(os.path.abspath(config["DATABASE"]))
        return cls(os.path.join(folder, "speech-cache"), processes=config["SPEECH_PROCESSES"],
                   timeout_s=config["SPEECH_TIMEOUT_S"],
                   cache_bytes=int(config["SPEECH_CACHE_MB"] * (1 << 20)),
                   rate=config["SPEECH_RATE"])

    def key(self, phrase: Phrase) -> str:
        """The cache key: a hash of everything that shapes the sound."""
        parts = (FORMAT, ENGINE, *self.arguments(phrase), phrase.ssml)
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()

    def arguments(self, phrase: Phrase) -> list[str]:
        """espeak-ng's options for ``phrase`` (SSML on stdin, its voice, the speaking rate)."""
        return ["-m", "-v", VOICES[phrase.lang], "-s", str(self.rate)]

    def wav(self, phrase: Phrase) -> bytes:
        """The WAV for ``phrase``, from the cache or made now.

        Raises :class:`SpeechUnavailable` (espeak-ng missing, failed or too slow)
        or :class:`SpeechBusy` (too many phrases waiting for a process).
        """
        key = self.key(phrase)
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        with self._lock:
            found = self._inflight.get(key)
            owner = found is None
            if found is None:
                if len(self._inflight) >= self.processes * QUEUE_PER_PROCESS:
                    raise SpeechBusy("too many announcements are being prepared; try again")
                found = self._inflight[key] = threading.Event()
            event = found
        if not owner:  # someone is making this very phrase: wait for their file
            event.wait(2 * self.timeout_s)
            cached = self.cache.get(key)
            if cached is None:
                raise SpeechUnavailable("the announcement could not be prepared")
            return cached
        try:
            data = self._synthesise(phrase)
            self.cache.put(key, data)
            return data
        finally:
            with self._lock:
                del self._inflight[key]
            event.set()

    def _synthesise(self, phrase: Phrase) -> bytes:
        """Run one espeak-ng (waiting for a free slot); return a clean WAV."""
        exe = executable()
        if exe is None:
            raise SpeechUnavailable(f"{ENGINE} is not installed (apt-get install {ENGINE})")
        if not self._slots.acquire(timeout=self.timeout_s):
            raise SpeechBusy("every speech process is busy; try again")
        try:
            with self._lock:
                self.running += 1
                self.peak_running = max(self.peak_running, self.running)
            try:
                proc = subprocess.run([exe, "--stdout", *self.arguments(phrase)],
                                      input=phrase.ssml.encode("utf-8"), capture_output=True,
                                      timeout=self.timeout_s, check=False)
            except subprocess.TimeoutExpired:
                raise SpeechUnavailable(f"{ENGINE} took longer than {self.timeout_s:g} s") from None
            except OSError as exc:
                raise SpeechUnavailable(f"{ENGINE} could not start: {exc.strerror}") from None
        finally:
            with self._lock:
                self.running -= 1
            self._slots.release()
        if proc.returncode != 0:
            detail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[:1]
            raise SpeechUnavailable(f"{ENGINE} failed ({proc.returncode}): {' '.join(detail)}")
        with self._lock:
            self.synthesised += 1
        return clean_wav(proc.stdout)

    def version(self, exe: str) -> str:
        """``espeak-ng --version``'s first words (asked once per executable)."""
        if exe not in self._versions:
            try:
                out = subprocess.run([exe, "--version"], capture_output=True, timeout=5,
                                     check=False).stdout.decode("utf-8", "replace")
            except (OSError, subprocess.TimeoutExpired):
                out = ""
            match = re.search(r"(\d+\.\d+(?:\.\d+)?)", out)
            self._versions[exe] = match.group(1) if match else "unknown"
        return self._versions[exe]

    def health(self) -> dict:
        """For ``/healthz``: whether announcements can be spoken, and why not."""
        files, size = self.cache.usage()
        body: dict = {"engine": ENGINE, "cache": {"files": files, "bytes": size,
                                                  "limit_bytes": self.cache.max_bytes},
                      "processes": self.processes}
        exe = executable()
        if exe is None:
            body.update(ok=False, reason=f"{ENGINE} is not installed (apt-get install {ENGINE});"
                                         " displays play the chime alone")
        else:
            body.update(ok=True, version=self.version(exe))
        return body


_create_lock = threading.Lock()


def current() -> Speech:
    """The running app's speech service (made on first use)."""
    ext = current_app.extensions["servicepoint"]
    speech = ext.get("speech")
    if speech is None:
        with _create_lock:
            speech = ext.get("speech")
            if speech is None:
                speech = ext["speech"] = Speech.from_config(current_app.config)
    return speech
