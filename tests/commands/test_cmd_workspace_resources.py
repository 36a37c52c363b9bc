"""``workspace resources TENANT/WORKSPACE [--add URI] [--remove URI] [--json]`` (RFC 8707)."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tenants.models import Workspace

API = "https://api.example.com/mcp"
OTHER = "https://other.example.com/"


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("workspace", "resources", *args, stdout=out)
    return out.getvalue()


def stored(workspace: Workspace) -> list[str]:
    workspace.refresh_from_db()
    return list(workspace.resource_indicators)


def test_empty_list_by_default(workspace: Workspace) -> None:
    assert json.loads(run("default/default", "--json")) == []
    assert "any resource is accepted" in run("default/default")


def test_add_and_remove(workspace: Workspace) -> None:
    assert json.loads(run("default/default", "--add", API, "--add", OTHER, "--json")) == [
        API,
        OTHER,
    ]
    assert stored(workspace) == [API, OTHER]
    assert run("default/default").splitlines() == [API, OTHER]
    assert json.loads(run("default/default", "--remove", API, "--json")) == [OTHER]
    assert stored(workspace) == [OTHER]


def test_adding_twice_keeps_one(workspace: Workspace) -> None:
    run("default/default", "--add", API)
    run("default/default", "--add", API)
    assert stored(workspace) == [API]


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("https://api.example.com/mcp#frag", "without userinfo or fragment"),  # RFC 8707 §2
        ("/relative/path", "absolute URI"),
        ("https://user@api.example.com/", "without userinfo"),
        ("https://api.example.com/a b", "without whitespace"),
        ("https://bücher.example/", "ASCII"),
        ("", "non-empty"),
    ],
)
def test_invalid_uri_is_refused_rfc8707_2(workspace: Workspace, uri: str, message: str) -> None:
    """RFC 8707 §2: an absolute URI without fragment; a refusal is one line and writes nothing."""
    run("default/default", "--add", API)
    with pytest.raises(CommandError, match=message) as info:
        run("default/default", "--add", OTHER, "--add", uri)
    assert "\n" not in str(info.value)
    assert stored(workspace) == [API]


def test_removing_an_unlisted_resource_is_refused(workspace: Workspace) -> None:
    run("default/default", "--add", API)
    with pytest.raises(CommandError, match="is not listed"):
        run("default/default", "--remove", OTHER)
    assert stored(workspace) == [API]


def test_unknown_workspace_is_refused(db: None) -> None:
    with pytest.raises(CommandError, match="no workspace nope/nope"):
        run("nope/nope", "--add", API)


def test_lists_are_per_workspace(workspace: Workspace, other_workspace: Workspace) -> None:
    run("acme/prod", "--add", API)
    assert stored(other_workspace) == [API]
    assert stored(workspace) == []
