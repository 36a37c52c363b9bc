"""Deployment safety, checked in subprocesses (settings are read once, at import).

Key rotation (DCR_ENCRYPTION_KEYS, ``dcr rotate-keys``) is covered in
tests/commands/test_cmd_dcr_protections.py::test_rotate_keys_reencrypts_secrets_under_the_first_key
and ::test_without_rotate_keys_retiring_the_old_key_breaks_decryption.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
STRONG_KEY = "k" * 20 + "-Zq8!x@3#Lm$9^Vb&2*Rt(7)Yw_5+Np=1"  # 50+ characters, varied

# What `check --deploy` may report under production-like settings: nothing. Any warning fails the
# test (a new deployment warning is a regression).
KNOWN_PENDING: set[str] = set()


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DCR_"))
    }
    clean.pop("DATABASE_URL", None)
    clean.pop("REDIS_URL", None)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "dcr_server.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _production_env(tmp_path: Path) -> dict[str, str]:
    return {
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": STRONG_KEY,
        "DJANGO_ALLOWED_HOSTS": "auth.example.com",
        "DCR_ENCRYPTION_KEYS": "first-encryption-key-0123456789abcdef,previous-key-9876543210-fedcba9876",
        "DJANGO_SECURE": "1",
        "DJANGO_SECURE_PROXY_SSL": "1",
        "DCR_PUBLIC_BASE_URL": "https://auth.example.com",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
        "REDIS_URL": "redis://127.0.0.1:6379/5",  # shared limits (registration.W003)
    }


def _issue_ids(output: str) -> set[str]:
    return set(re.findall(r"\(([a-z0-9_]+\.[EWCI]\d{3})\)", output))


@pytest.mark.slow
def test_check_deploy_reports_nothing_beyond_the_known_settings_gaps(tmp_path: Path) -> None:
    done = _manage("check", "--deploy", **_production_env(tmp_path))

    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    reported = _issue_ids(output)
    assert reported <= KNOWN_PENDING, f"new deployment issues: {reported - KNOWN_PENDING}\n{output}"


@pytest.mark.slow
def test_check_deploy_flags_a_weak_secret_key(tmp_path: Path) -> None:
    env = {**_production_env(tmp_path), "DJANGO_SECRET_KEY": "short"}

    done = _manage("check", "--deploy", **env)

    assert "security.W009" in done.stdout + done.stderr


@pytest.mark.slow
def test_debug_off_without_a_secret_key_refuses_to_start(tmp_path: Path) -> None:
    env = {"DJANGO_DEBUG": "0", "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}"}

    done = _manage("check", **env)

    assert done.returncode != 0
    assert "DJANGO_SECRET_KEY is required" in done.stderr


@pytest.mark.slow
def test_debug_is_off_unless_asked_for(tmp_path: Path) -> None:
    """README: DJANGO_DEBUG defaults to 0 outside `make run`."""
    env = {
        "DJANGO_SECRET_KEY": STRONG_KEY,
        "DCR_ENCRYPTION_KEYS": STRONG_KEY,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}",
    }

    done = _manage("shell", "-c", "from django.conf import settings; print(settings.DEBUG)", **env)

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "False"
