"""The matching benchmark runs end to end at small size and prints its figures."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
FIGURES = (
    "trainers",
    "groups",
    "sessions",
    "open_requests",
    "candidates_median_ms",
    "candidates_p95_ms",
    "plan_trainers",
    "plan_requests",
    "plan_seconds",
    "plan_covered",
    "plan_bound",
    "plan_proven",
    "greedy_covered",
    "plan_km",
    "greedy_km",
)


def test_the_small_benchmark_prints_every_figure_and_the_plan_beats_greedy():
    command = [sys.executable, str(ROOT / "bench" / "matching.py"), "--small"]
    if os.environ.get("TEST_DATABASE_URL"):
        # The bench makes a database of its own on that server and drops it.
        command += ["--database-url", os.environ["TEST_DATABASE_URL"]]
    finished = subprocess.run(  # noqa: S603 - our own script, no shell
        command, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )

    assert finished.returncode == 0, finished.stderr
    figures = dict(
        line.split(": ", 1) for line in finished.stdout.splitlines() if ": " in line
    )
    for name in FIGURES:
        assert name in figures, f"{name} missing from:\n{finished.stdout}"
        float(figures[name])  # every figure is a number
    assert figures["database"] == (
        "postgresql" if os.environ.get("TEST_DATABASE_URL") else "sqlite"
    )
    assert int(figures["trainers"]) == 100
    assert int(figures["open_requests"]) == int(figures["plan_requests"]) == 40
    assert int(figures["plan_covered"]) >= int(figures["greedy_covered"])
    assert int(figures["plan_bound"]) >= int(figures["plan_covered"])
    assert figures["plan_proven"] == "1"
