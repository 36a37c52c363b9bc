"""DCR_LOG_FORMAT (CONTRACT "Operations"): one JSON object per line, never a secret."""

from __future__ import annotations

import json
import logging
import sys
from http import HTTPStatus
from pathlib import Path
from typing import Any

import pytest
from django.test import Client as HttpClient

from operations.logs import logging_config
from tenants.models import Workspace
from tests.helpers import SERVICE_CLIENT, WEB_CLIENT, basic, bearer, post_json, put_json

REGISTER = "/default/default/oauth2/register"
TOKEN = "/default/default/oauth2/token"
INTROSPECT = "/default/default/oauth2/introspect"
REVOKE = "/default/default/oauth2/revoke"


def test_json_lines_parse_with_the_fixed_fields(capture_logs: Any) -> None:
    logs = capture_logs(log_format="json", level=logging.INFO)
    logger = logging.getLogger("tests.operations.format")

    logger.info("plain %s", "message")
    logger.warning("with extra", extra={"route": "register", "status": 201})
    try:
        raise ValueError("boom")
    except ValueError:
        logger.exception("with a traceback\nand a second line")

    records = [json.loads(line) for line in logs.lines]
    assert len(records) == 3  # a traceback stays inside its one line
    for record in records:
        assert {"time", "level", "logger", "message", "request_id", "process"} <= set(record)
        assert record["logger"] == "tests.operations.format"
        assert record["time"].endswith("+00:00")
    assert records[0]["message"] == "plain message"
    assert records[0]["level"] == "INFO"
    assert records[1]["route"] == "register" and records[1]["status"] == 201
    assert "ValueError: boom" in records[2]["exc_info"]


def test_text_lines_carry_the_request_id_placeholder(capture_logs: Any) -> None:
    logs = capture_logs(log_format="text", level=logging.INFO)

    logging.getLogger("tests.operations.format").warning("hello")

    assert logs.lines[-1].endswith("WARNING tests.operations.format [-] hello")


def test_an_unknown_log_format_is_refused() -> None:
    with pytest.raises(ValueError, match="DCR_LOG_FORMAT"):
        logging_config(log_format="xml")


def test_settings_use_the_json_format_when_asked(tmp_path: Any) -> None:
    import subprocess

    script = (
        "import logging, django; django.setup(); "
        "logging.getLogger('dcr.check').warning('from settings')"
    )
    env = {
        "DJANGO_SETTINGS_MODULE": "dcr_server.settings_test",
        "DCR_LOG_FORMAT": "json",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "PATH": "/usr/bin:/bin",
    }
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 0, done.stderr
    record = json.loads(done.stderr.strip().splitlines()[-1])
    assert record["message"] == "from settings" and record["level"] == "WARNING"


@pytest.mark.django_db(transaction=True)
def test_no_log_line_at_any_level_carries_a_secret(
    api: HttpClient, workspace: Workspace, capture_logs: Any, settings: Any
) -> None:
    """Every logger at DEBUG (oauthlib, DOT, Django's, ours); registrations, reads and updates
    with registration access tokens, token requests, introspection and revocation, refusals with
    wrong secrets: no client secret, registration access token or access token in any line."""
    settings.DEBUG = True  # django.db.backends logs every SQL statement with its parameters
    logs = capture_logs(log_format="json", level=logging.DEBUG, everything=True)
    secrets: list[str] = []

    web = post_json(api, REGISTER, WEB_CLIENT).json()
    service = post_json(api, REGISTER, SERVICE_CLIENT).json()
    secrets += [web["client_secret"], web["registration_access_token"]]
    secrets += [service["client_secret"], service["registration_access_token"]]

    uri = f"{REGISTER}/{web['client_id']}"
    read = api.get(uri, **bearer(web["registration_access_token"]))
    assert read.status_code == HTTPStatus.OK
    rotated = read.json()["registration_access_token"]
    secrets.append(rotated)
    update = {**WEB_CLIENT, "client_id": web["client_id"], "client_name": "Renamed"}
    updated = put_json(api, uri, update, **bearer(rotated))
    assert updated.status_code == HTTPStatus.OK
    secrets.append(updated.json()["registration_access_token"])
    # A wrong token, a wrong secret: the refusals are logged, the presented values never.
    wrong_token = "wrong-" + rotated[6:]
    assert api.get(uri, **bearer(wrong_token)).status_code == HTTPStatus.UNAUTHORIZED
    secrets.append(wrong_token)

    auth = basic(service["client_id"], service["client_secret"])
    issued = api.post(TOKEN, {"grant_type": "client_credentials"}, **auth)
    assert issued.status_code == HTTPStatus.OK
    access_token = issued.json()["access_token"]
    secrets.append(access_token)
    wrong_secret = service["client_secret"][::-1]
    secrets.append(wrong_secret)
    refused = api.post(
        TOKEN, {"grant_type": "client_credentials"}, **basic(service["client_id"], wrong_secret)
    )
    assert refused.status_code == HTTPStatus.UNAUTHORIZED
    in_body = api.post(
        TOKEN,
        {
            "grant_type": "client_credentials",
            "client_id": service["client_id"],
            "client_secret": wrong_secret,
        },
    )
    assert in_body.status_code == HTTPStatus.UNAUTHORIZED
    assert api.post(INTROSPECT, {"token": access_token}, **auth).status_code == HTTPStatus.OK
    assert api.post(REVOKE, {"token": access_token}, **auth).status_code == HTTPStatus.OK
    deleted = api.delete(
        f"{REGISTER}/{service['client_id']}", **bearer(service["registration_access_token"])
    )
    assert deleted.status_code == HTTPStatus.NO_CONTENT

    text = logs.text
    assert len(logs.lines) > 20, "the capture saw too little to prove anything"
    assert '"logger": "django.db.backends"' in text  # SQL was logged, with its parameters
    for secret in secrets:
        assert secret not in text
