"""``python -m bench.profile`` (the README's profile) still runs for every operation it offers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.parametrize("operation", ["register", "read", "token", "discovery"])
def test_profile_runs_and_lists_the_queries(operation: str) -> None:
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")
    }
    done = subprocess.run(
        [sys.executable, "-m", "bench.profile", "--operation", operation, "--count", "3"],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stderr[-2000:]
    assert f"{operation}: " in done.stdout and " queries" in done.stdout
    assert f"3 x {operation}: " in done.stdout
