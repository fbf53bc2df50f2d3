"""``servicepoint simulate``: a branch day through the real stack, reported as one JSON line."""
from __future__ import annotations

import json

from click.testing import CliRunner

from servicepoint.cli import cli

KEYS = {"tickets", "mean_wait_s", "p90_wait_s", "mean_service_s", "service_level", "utilisation",
        "estimate_mae_s", "estimate_bias_s", "estimate_within_5min", "range_coverage",
        "naive_mae_s", "naive_bias_s", "naive_within_5min"}


def _run(*args: str) -> dict:
    result = CliRunner().invoke(cli, ["simulate", "--json", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    return json.loads(lines[0])


def test_demo_branch_day(tmp_path):
    db = tmp_path / "demo.db"
    out = _run("--db", str(db), "--days", "1", "--seed", "3", "--arrivals-per-hour", "40")
    assert KEYS <= set(out)
    # About 8 h × 40 customers; every one of them was called (the branch serves who is in).
    assert 230 < out["tickets"] < 420
    assert out["judged"] + out["no_counter_shown"] >= out["tickets"] * 0.95
    assert 0 < out["utilisation"] < 1 and 0 <= out["service_level"] <= 1
    assert db.exists()  # --db keeps the database
    # The same seed plays the same day.
    again = _run("--db", str(tmp_path / "again.db"), "--days", "1", "--seed", "3",
                 "--arrivals-per-hour", "40")
    assert again == out


def test_branch_file_and_lognormal(tmp_path):
    export = CliRunner().invoke(cli, ["--db", str(tmp_path / "src.db"), "init", "--demo",
                                      "--timezone", "Europe/Madrid", "--public-url",
                                      "https://q.example"])
    assert export.exit_code == 0, export.output
    path = tmp_path / "branch.toml"
    done = CliRunner().invoke(cli, ["--db", str(tmp_path / "src.db"), "config", "export", str(path)])
    assert done.exit_code == 0, done.output
    out = _run("--config", str(path), "--counters", "3", "--service-dist", "lognormal",
               "--hours", "4", "--mean-service-min", "3", "--arrivals-per-hour", "30",
               "--profile", "peaks")
    assert 60 < out["tickets"] < 200
    # Three counters for four services: someone waits.
    assert out["mean_wait_s"] > 0


def test_bad_branch_file_is_a_clear_error(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("format = 1\n[[services]]\ncode = '9'\n")
    result = CliRunner().invoke(cli, ["simulate", "--config", str(path)])
    assert result.exit_code != 0
    assert "Error" in result.output and "Traceback" not in result.output
