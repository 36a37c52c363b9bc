"""Encryption keys that cannot be lost (issue 14, finding 7): with debug off the server refuses
to start without DCR_ENCRYPTION_KEYS; no key is derived from DJANGO_SECRET_KEY; secrets no
configured key decrypts are reported at start-up and answer 503 JSON, never 500."""

from __future__ import annotations

import os
import subprocess
import sys
from http import HTTPStatus
from pathlib import Path
from typing import Any

import pytest
from django.core.checks import run_checks
from django.test import Client as HttpClient

from dcr_server import crypto
from dcr_server.env import local_encryption_key
from dcr_server.serve.startup import report_undecryptable_secrets
from registration.maintenance import count_undecryptable_secrets
from tenants.models import Workspace
from tests.helpers import basic

PROJECT = Path(__file__).resolve().parents[2]
STRONG = "k" * 20 + "-Zq8!x@3#Lm$9^Vb&2*Rt(7)Yw_5+Np=1"
TOKEN = "/default/default/oauth2/token"


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DCR_"))}
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


@pytest.mark.slow
def test_debug_off_without_encryption_keys_refuses_to_start_naming_the_variable(
    tmp_path: Path,
) -> None:
    env = {
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": STRONG,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}",
    }

    done = _manage("check", "--deploy", **env)

    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert "DCR_ENCRYPTION_KEYS is required" in last


@pytest.mark.slow
def test_check_deploy_flags_the_local_development_key(tmp_path: Path) -> None:
    env = {"DJANGO_DEBUG": "1", "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}"}

    done = _manage("check", "--deploy", **env)

    assert "registration.E001" in done.stdout + done.stderr
    assert "DCR_ENCRYPTION_KEYS" in done.stdout + done.stderr


def test_the_local_key_is_random_made_once_and_private(tmp_path: Path) -> None:
    first = local_encryption_key(tmp_path / "var" / "encryption.key")
    again = local_encryption_key(tmp_path / "var" / "encryption.key")
    elsewhere = local_encryption_key(tmp_path / "other" / "encryption.key")

    assert first == again
    assert first != elsewhere and len(first) >= 43
    assert (tmp_path / "var" / "encryption.key").stat().st_mode & 0o077 == 0


def test_no_key_is_derived_from_the_secret_key(settings: Any) -> None:
    settings.DCR_ENCRYPTION_KEYS = []

    with pytest.raises(Exception, match="DCR_ENCRYPTION_KEYS"):
        crypto.encrypt("x")


def test_changing_the_secret_key_keeps_secrets_readable(settings: Any) -> None:
    ciphertext = crypto.encrypt("the secret")
    settings.SECRET_KEY = "a-completely-different-secret-key-" + "x" * 30

    assert crypto.decrypt(ciphertext) == "the secret"


@pytest.fixture
def lost_key_client(workspace: Workspace, service_client: dict[str, Any], settings: Any) -> Any:
    """A client whose secret was encrypted under a key that is no longer configured."""
    settings.DCR_ENCRYPTION_KEYS = ["a-new-key-that-never-encrypted-anything-0123456789"]
    return service_client


def test_a_secret_no_key_decrypts_is_a_503_json_at_the_token_endpoint(
    lost_key_client: dict[str, Any],
) -> None:
    api = HttpClient(raise_request_exception=False)

    response = api.post(
        TOKEN,
        {"grant_type": "client_credentials"},
        **basic(lost_key_client["client_id"], lost_key_client["client_secret"]),
    )

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE, response.content
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"] == "temporarily_unavailable"


def test_undecryptable_secrets_are_counted_by_a_database_check_and_at_start_up(
    lost_key_client: dict[str, Any], caplog: Any
) -> None:
    counts = count_undecryptable_secrets()
    assert counts.client_secrets == 1

    messages = run_checks(tags=["database"], databases=["default"])
    assert [message.id for message in messages] == ["registration.W001"]
    assert "1 client secret(s)" in messages[0].msg

    import logging

    log = logging.getLogger("test.gunicorn")
    with caplog.at_level(logging.WARNING, logger="test.gunicorn"):
        assert report_undecryptable_secrets(log) >= 1
    assert "cannot be decrypted" in caplog.text


@pytest.mark.slow
def test_check_deploy_flags_per_process_limits_without_redis(tmp_path: Path) -> None:
    env = {
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": STRONG,
        "DCR_ENCRYPTION_KEYS": STRONG,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}",
    }

    done = _manage("check", "--deploy", **env)

    assert "registration.W003" in done.stdout + done.stderr
