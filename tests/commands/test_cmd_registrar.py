"""``dcr registrar --base-url``: the printed token endpoint names the server it runs on (a
command has no request to learn the host from), and says so when it falls back (issue 15)."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from registration.models import Client
from tenants.models import Workspace

FALLBACK_NOTE = "neither --base-url nor DCR_PUBLIC_BASE_URL is set"


def registrar(*args: str) -> tuple[dict[str, Any], str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("dcr", "registrar", "default/default", *args, stdout=out, stderr=err)
    data: dict[str, Any] = json.loads(out.getvalue())
    return data, err.getvalue()


def test_base_url_names_the_token_endpoint(workspace: Workspace) -> None:
    data, err = registrar("--base-url", "http://127.0.0.1:9000/")

    assert data["token_endpoint"] == "http://127.0.0.1:9000/default/default/oauth2/token"
    assert err == ""


@override_settings(DCR_PUBLIC_BASE_URL="https://auth.example.com")
def test_public_base_url_is_the_default(workspace: Workspace) -> None:
    data, err = registrar()

    assert data["token_endpoint"] == "https://auth.example.com/default/default/oauth2/token"
    assert err == ""


@override_settings(DCR_PUBLIC_BASE_URL="https://auth.example.com")
def test_base_url_wins_over_public_base_url(workspace: Workspace) -> None:
    data, _ = registrar("--base-url", "https://other.example.com")

    assert data["token_endpoint"] == "https://other.example.com/default/default/oauth2/token"


@override_settings(DCR_PUBLIC_BASE_URL="")
def test_the_fallback_is_said_on_stderr(workspace: Workspace) -> None:
    data, err = registrar()

    assert data["token_endpoint"] == "http://127.0.0.1:8000/default/default/oauth2/token"
    assert FALLBACK_NOTE in err
    assert "http://127.0.0.1:8000" in err


@pytest.mark.parametrize(
    "base", ["ftp://x.example", "https://", "https://a.example/path", "https://a.example/?q=1", "x"]
)
def test_a_bad_base_url_is_refused_and_writes_nothing(workspace: Workspace, base: str) -> None:
    before = Client.objects.count()

    with pytest.raises(CommandError, match="--base-url"):
        registrar("--base-url", base)

    assert Client.objects.count() == before
