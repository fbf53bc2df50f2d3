"""Print the mutation score that `make mutation` (mutmut) left in ``mutants/``.

One line per mutated module and one per area (the domain, the use cases): mutants
killed, survived, not covered by any selected test, timed out, and the share killed.
With ``--survivors`` it also lists the surviving mutants' names, to read with
``mutmut show NAME``.
"""
from __future__ import annotations

import argparse
import collections
import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]

# mutmut 3's exit codes per mutant: the test run's exit code, or one of its own.
KILLED = {1, 3}
SURVIVED = {0, 5}
NO_TESTS = {33}
TIMEOUT = {36, -24}


def _outcome(code: int | None) -> str:
    if code is None:
        return "not_run"
    if code in KILLED:
        return "killed"
    if code in SURVIVED:
        return "survived"
    if code in NO_TESTS:
        return "no_tests"
    if code in TIMEOUT:
        return "timeout"
    return "killed" if code != 0 else "survived"


def scores(mutants: pathlib.Path) -> tuple[dict[str, collections.Counter], list[str]]:
    """Outcome counts per mutated module, and the names of the surviving mutants.

    Raises ``FileNotFoundError`` when mutmut has not run (no ``.meta`` files).
    """
    metas = sorted(mutants.rglob("*.py.meta"))
    if not metas:
        raise FileNotFoundError(f"no mutmut results under {mutants}; run `make mutation`")
    per_module: dict[str, collections.Counter] = {}
    survivors = []
    for meta in metas:
        module = meta.relative_to(mutants).as_posix().removesuffix(".meta")
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        counts = collections.Counter(_outcome(code) for code in codes.values())
        if counts:
            per_module[module] = counts
        survivors += [name for name, code in codes.items() if _outcome(code) == "survived"]
    return per_module, survivors


def _line(name: str, c: collections.Counter) -> str:
    # A mutant no selected test reaches counts as not killed.
    total = sum(c.values()) - c["not_run"]
    share = c["killed"] / total if total else 0.0
    return (f"{name:38} mutants {total:5}  killed {c['killed']:5}  survived {c['survived']:4}"
            f"  no tests {c['no_tests']:4}  timeout {c['timeout']:3}  killed {share:6.1%}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mutants", type=pathlib.Path, default=ROOT / "mutants")
    parser.add_argument("--survivors", action="store_true", help="list the surviving mutants")
    args = parser.parse_args(argv)
    per_module, survivors = scores(args.mutants)
    areas: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for module, counts in per_module.items():
        print(_line(module, counts))
        area = "domain" if "/domain/" in module else "use cases"
        areas[area] += counts
    print()
    for area, counts in sorted(areas.items()):
        print(_line(f"== {area}", counts))
    if args.survivors:
        print("\nsurvivors:", *survivors, sep="\n  ")
    return 0


if __name__ == "__main__":
    sys.exit(main())
