"""A bounded folder of WAV files, named by key, oldest-used removed first.

The speech service keeps one file per phrase so a phrase is synthesised once,
however many displays ask for it. The folder must not grow without end (a branch
speaks hundreds of distinct phrases a day), so past ``max_bytes`` the files used
least recently are deleted until the folder is back under 80 % of it. A read
touches the file's time, which is what "used" means here. Files are written
under a temporary name and renamed, so a reader never sees half a file.
Importing this module does no work.
"""
from __future__ import annotations

import os
import re
import tempfile
import threading
from pathlib import Path

_KEY = re.compile(r"[0-9a-f]{64}")
# Eviction stops here, so a full cache is not trimmed again by every new file.
LOW_WATER = 0.8


class WavCache:
    """WAV bytes by key in ``root``, at most ``max_bytes`` on disk; thread-safe."""

    def __init__(self, root: str | os.PathLike[str], max_bytes: int):
        self.root = Path(root)
        self.max_bytes = max(0, int(max_bytes))
        self._lock = threading.Lock()
        self._total: int | None = None  # bytes on disk, counted on first use

    def path(self, key: str) -> Path:
        """Where ``key``'s file lives; raises ``ValueError`` for a key that is not a hash."""
        if not _KEY.fullmatch(key):
            raise ValueError(f"not a cache key: {key!r}")
        return self.root / f"{key}.wav"

    def get(self, key: str) -> bytes | None:
        """The stored bytes for ``key`` (marking them used), or None."""
        path = self.path(key)
        try:
            data = path.read_bytes()
            os.utime(path)
        except FileNotFoundError:  # never stored, or evicted a moment ago
            return None
        return data

    def put(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key``, then trim the folder back under its bound."""
        path = self.path(key)
        self.root.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".tmp-", suffix=".wav")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            with self._lock:
                total = self._count()
                try:
                    total -= path.stat().st_size
                except FileNotFoundError:
                    pass
                os.replace(tmp, path)
                self._total = total + len(data)
                if self._total > self.max_bytes:
                    self._evict(keep=path)
        except BaseException:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            raise

    def usage(self) -> tuple[int, int]:
        """(files, bytes) in the cache now."""
        with self._lock:
            files = self._files()
            self._total = sum(size for _, _, size in files)
            return len(files), self._total

    def _files(self) -> list[tuple[float, Path, int]]:
        """(last used, path, size) of every cached WAV."""
        out: list[tuple[float, Path, int]] = []
        try:
            entries = list(os.scandir(self.root))
        except FileNotFoundError:
            return out
        for entry in entries:
            if entry.name.endswith(".wav") and _KEY.fullmatch(entry.name[:-4]):
                try:
                    st = entry.stat()
                except FileNotFoundError:
                    continue
                out.append((st.st_mtime, Path(entry.path), st.st_size))
        return out

    def _count(self) -> int:
        if self._total is None:
            self._total = sum(size for _, _, size in self._files())
        return self._total

    def _evict(self, keep: Path) -> None:
        """Delete least recently used files until under the low-water mark (lock held)."""
        files = sorted(self._files(), key=lambda f: f[0])
        total = sum(size for _, _, size in files)
        target = int(self.max_bytes * LOW_WATER)
        for _, path, size in files:
            if total <= target:
                break
            if path == keep:
                continue
            try:
                path.unlink()
            except FileNotFoundError:
                pass
            total -= size
        self._total = total
