"""The coverage benchmark runs end to end at small size and prints its figures."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
FIGURES = (
    "dashboard_sql_statements_at_tenth",
    "dashboard_sql_statements",
    "dashboard_p50_ms",
    "dashboard_p95_ms",
    "dashboard_cpu_p50_ms",
    "export_rows_per_s",
    "cold_spots_ms",
    "sessions",
)


def test_the_small_benchmark_prints_every_figure_with_a_constant_statement_count():
    command = [
        sys.executable,
        str(ROOT / "bench" / "coverage.py"),
        "--small",
        "--samples",
        "3",
    ]
    if os.environ.get("TEST_DATABASE_URL"):
        # The bench makes databases of its own on that server and drops them.
        command += ["--database-url", os.environ["TEST_DATABASE_URL"]]
    finished = subprocess.run(  # noqa: S603 - our own script, no shell
        command, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False
    )

    assert finished.returncode == 0, finished.stderr
    figures = dict(
        line.split(": ", 1) for line in finished.stdout.splitlines() if ": " in line
    )
    for name in FIGURES:
        assert name in figures, f"{name} missing from:\n{finished.stdout}"
        float(figures[name].replace(",", ""))  # every figure is a number
    assert int(figures["sessions"]) == 10_000
    assert (
        figures["dashboard_sql_statements"]
        == figures["dashboard_sql_statements_at_tenth"]
    )
    # Every delivered session in the year is exported.
    assert int(figures["export_sessions_rows"]) > 1000
