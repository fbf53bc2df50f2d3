"""The speech service with the real espeak-ng: valid WAV, one synthesis per phrase, a bounded
cache on disk, and never more espeak-ng processes than allowed however many callers arrive."""
from __future__ import annotations

import io
import os
import threading
import wave

import pytest

from servicepoint import speech
from tests.support.require import require_espeak

TEMPLATE = "Ticket %(number)s, please go to counter %(counter)s."


@pytest.fixture(autouse=True)
def _espeak():
    require_espeak()


def call(number: str, counter: str = "3", lang: str = "en") -> speech.Phrase:
    return speech.phrase(lang, TEMPLATE, number=speech.ticket_number(number),
                         counter=speech.words(counter))


def assert_wav(data: bytes) -> float:
    """A WAV whose header tells the truth; returns its duration in seconds."""
    with wave.open(io.BytesIO(data)) as w:
        frames = w.readframes(w.getnframes())
        assert w.getnchannels() == 1 and w.getsampwidth() == 2 and w.getframerate() > 8000
        assert len(frames) == w.getnframes() * 2 > 0
        return w.getnframes() / w.getframerate()


def test_a_phrase_becomes_a_valid_wav(tmp_path):
    service = speech.Speech(tmp_path / "cache")
    seconds = assert_wav(service.wav(call("A042")))
    assert 2.0 < seconds < 10.0
    assert assert_wav(service.wav(call("A042", lang="es"))) > 2.0


def test_each_phrase_is_made_once_then_read_from_disk(tmp_path):
    service = speech.Speech(tmp_path / "cache")
    first = service.wav(call("A042"))
    assert service.synthesised == 1
    assert service.wav(call("A042")) == first and service.synthesised == 1
    assert list((tmp_path / "cache").glob("*.wav")) == [
        tmp_path / "cache" / f"{service.key(call('A042'))}.wav"]
    # Another number, language or speaking rate is another phrase.
    service.wav(call("A043"))
    service.wav(call("A042", lang="es"))
    assert service.synthesised == 3
    slower = speech.Speech(tmp_path / "cache", rate=120)
    assert slower.key(call("A042")) != service.key(call("A042"))
    slower.wav(call("A042"))
    assert slower.synthesised == 1 and len(list((tmp_path / "cache").glob("*.wav"))) == 4
    # A new service on the same folder (a restart) finds the files.
    again = speech.Speech(tmp_path / "cache")
    assert again.wav(call("A043")) and again.synthesised == 0


def test_the_cache_stays_under_its_bound_and_keeps_what_was_used(tmp_path):
    probe = speech.Speech(tmp_path / "probe")
    size = len(probe.wav(call("A001")))
    service = speech.Speech(tmp_path / "cache", cache_bytes=int(size * 3.5))
    service.wav(call("A001"))
    for n in range(2, 4):
        service.wav(call(f"A00{n}"))
    os.utime(service.cache.path(service.key(call("A001"))), (1, 1))
    os.utime(service.cache.path(service.key(call("A002"))), (2, 2))
    service.wav(call("A001"))  # used again: now the most recent
    for n in range(4, 9):
        service.wav(call(f"A00{n}"))
        files, used = service.cache.usage()
        assert used <= service.cache.max_bytes, (files, used)
    kept = {p.name for p in (tmp_path / "cache").glob("*.wav")}
    assert f"{service.key(call('A008'))}.wav" in kept  # the newest is never the one evicted
    assert f"{service.key(call('A002'))}.wav" not in kept  # the least recently used went first
    assert len(kept) <= 3


def _espeak_children() -> int:
    """espeak-ng processes whose parent is this test process, from /proc (the real thing)."""
    count = 0
    me = str(os.getpid())
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as fh:
                stat = fh.read()
        except OSError:
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        ppid = stat[stat.rindex(")") + 2:].split()[1]
        if name == "espeak-ng" and ppid == me:
            count += 1
    return count


def test_a_burst_never_runs_more_processes_than_allowed(tmp_path):
    service = speech.Speech(tmp_path / "cache", processes=2)
    phrases = [call(f"B{n:03d}", str(n % 6 + 1)) for n in range(14)]
    results: dict[int, bytes] = {}
    errors: list[BaseException] = []
    seen: list[int] = []
    stop = threading.Event()

    def watch():
        while not stop.is_set():
            seen.append(_espeak_children())

    barrier = threading.Barrier(len(phrases))

    def speak(i):
        barrier.wait()
        try:
            results[i] = service.wav(phrases[i])
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    watcher = threading.Thread(target=watch)
    watcher.start()
    threads = [threading.Thread(target=speak, args=(i,)) for i in range(len(phrases))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    stop.set()
    watcher.join(5)
    assert not errors, errors
    assert sorted(results) == list(range(len(phrases)))
    for data in results.values():
        assert_wav(data)
    assert service.synthesised == len(phrases)
    assert max(seen) >= 1, "the watcher never saw espeak-ng running"
    assert max(seen) <= 2 and service.peak_running <= 2, (max(seen), service.peak_running)


def test_callers_of_one_phrase_share_one_synthesis(tmp_path):
    service = speech.Speech(tmp_path / "cache", processes=2)
    barrier = threading.Barrier(10)
    out: list[bytes] = []

    def speak():
        barrier.wait()
        out.append(service.wav(call("C007")))

    threads = [threading.Thread(target=speak) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(out) == 10 and len(set(out)) == 1
    assert service.synthesised == 1


def test_beyond_the_queue_callers_are_told_busy_at_once(tmp_path):
    service = speech.Speech(tmp_path / "cache", processes=1)
    n = 40  # more than processes × QUEUE_PER_PROCESS distinct phrases at once
    barrier = threading.Barrier(n)
    busy: list[speech.SpeechBusy] = []
    made: list[bytes] = []

    def speak(i):
        barrier.wait()
        try:
            made.append(service.wav(call(f"D{i:03d}")))
        except speech.SpeechBusy as exc:
            busy.append(exc)

    threads = [threading.Thread(target=speak, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert busy and len(busy) + len(made) == n
    assert "try again" in busy[0].reason
    assert service.peak_running == 1


def test_without_espeak_ng_speech_is_unavailable_and_health_says_why(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH without espeak-ng, not a mock
    service = speech.Speech(tmp_path / "cache")
    with pytest.raises(speech.SpeechUnavailable, match="espeak-ng is not installed"):
        service.wav(call("A001"))
    health = service.health()
    assert health["ok"] is False and "apt-get install espeak-ng" in health["reason"]
    assert "chime" in health["reason"]
