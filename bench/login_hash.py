"""How long one password check takes with the product's argon2 parameters (and argon2-cffi's
defaults, for comparison): median and p99 over several runs, plus the memory each asks for.

    .venv/bin/python bench/login_hash.py [--runs 30]
"""
from __future__ import annotations

import argparse
import statistics
import time

from argon2 import PasswordHasher

from servicepoint import auth


def measure(hasher: PasswordHasher, runs: int) -> list[float]:
    stored = hasher.hash("correct horse battery staple")
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        hasher.verify(stored, "correct horse battery staple")
        times.append((time.perf_counter() - t0) * 1000)
    return sorted(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    cases = [
        ("servicepoint", auth.ARGON2_TIME_COST, auth.ARGON2_MEMORY_KIB, auth.ARGON2_PARALLELISM),
        ("argon2-cffi default", 3, 65536, 4),
    ]
    print(f"{'parameters':<22} {'t':>2} {'MiB':>4} {'p':>2} {'median ms':>10} {'p99 ms':>8}")
    for name, t, m, p in cases:
        times = measure(PasswordHasher(time_cost=t, memory_cost=m, parallelism=p), args.runs)
        p99 = times[min(len(times) - 1, int(round(0.99 * (len(times) - 1))))]
        print(f"{name:<22} {t:>2} {m // 1024:>4} {p:>2} {statistics.median(times):>10.1f} {p99:>8.1f}")


if __name__ == "__main__":
    main()
