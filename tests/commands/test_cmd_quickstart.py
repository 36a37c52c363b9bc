"""``quickstart``: migrate, default/default with DCR on, a one-time admin password, the URLs."""

from __future__ import annotations

import io
import re
import socket
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from registration.management.commands import quickstart
from registration.models import DCRSettings
from tenants.models import Workspace

DISCOVERY = "http://127.0.0.1:8000/default/default/.well-known/openid-configuration"
PASSWORD_LINE = re.compile(r"^Password \(shown once\): (\S+)$", re.MULTILINE)


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("quickstart", "--no-serve", *args, stdout=out)
    return out.getvalue()


def default_dcr() -> DCRSettings:
    return DCRSettings.objects.get(workspace__tenant__slug="default", workspace__slug="default")


@pytest.mark.django_db
def test_first_run_prints_admin_password_and_urls() -> None:
    output = run()

    match = PASSWORD_LINE.search(output)
    assert match is not None, output
    assert "Created admin user: admin" in output
    assert DISCOVERY in output
    assert "http://127.0.0.1:8000/admin/" in output
    admin = get_user_model()._default_manager.get(username="admin")
    assert admin.is_superuser
    assert admin.is_staff
    assert admin.check_password(match.group(1))
    assert default_dcr().enabled


@pytest.mark.django_db
def test_second_run_is_idempotent_and_prints_no_password() -> None:
    first = run()
    password = PASSWORD_LINE.search(first)
    assert password is not None

    second = run()

    assert PASSWORD_LINE.search(second) is None
    assert password.group(1) not in second
    assert "already exists" in second
    assert DISCOVERY in second
    assert get_user_model()._default_manager.filter(username="admin").count() == 1
    assert Workspace.objects.filter(tenant__slug="default", slug="default").count() == 1
    assert default_dcr().enabled


@pytest.mark.django_db
def test_enables_dcr_when_it_was_disabled() -> None:
    DCRSettings.objects.update(enabled=False)

    run()

    assert default_dcr().enabled


@pytest.mark.django_db
def test_recreates_a_deleted_default_workspace() -> None:
    Workspace.objects.filter(tenant__slug="default", slug="default").delete()

    run()

    assert default_dcr().enabled


@pytest.mark.django_db
def test_addrport_sets_the_printed_base_url() -> None:
    output = run("--addrport", "0.0.0.0:9001")

    assert "http://127.0.0.1:9001/default/default/.well-known/openid-configuration" in output
    assert "http://127.0.0.1:9001/admin/" in output


@pytest.mark.django_db
@override_settings(DCR_PUBLIC_BASE_URL="https://auth.example.com/")
def test_public_base_url_wins_over_addrport() -> None:
    output = run("--addrport", "127.0.0.1:9001")

    assert "https://auth.example.com/default/default/.well-known/openid-configuration" in output
    assert "https://auth.example.com/admin/" in output


@pytest.mark.django_db
@pytest.mark.parametrize("addrport", ["127.0.0.1:http", "127.0.0.1:0", "host:99999", ""])
def test_bad_addrport_is_a_command_error(addrport: str) -> None:
    with pytest.raises(CommandError, match="addrport"):
        run("--addrport", addrport)


@pytest.mark.django_db
def test_serves_with_runserver_unless_no_serve(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    real_call_command = quickstart.call_command

    def spy(name: str, *args: Any, **kwargs: Any) -> None:
        calls.append(((name, *args), kwargs))
        if name != "runserver":
            real_call_command(name, *args, **kwargs)

    monkeypatch.setattr(quickstart, "call_command", spy)

    call_command("quickstart", "--addrport", "127.0.0.1:8123", stdout=io.StringIO())

    assert calls[-1] == (("runserver", "127.0.0.1:8123"), {"use_reloader": False})
    assert calls[0][0] == ("migrate",)


@pytest.mark.django_db
def test_a_port_in_use_is_one_line_before_any_url_is_printed() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        out = io.StringIO()

        with pytest.raises(CommandError) as refused:
            call_command("quickstart", "--addrport", f"127.0.0.1:{port}", stdout=out)

    assert f"port {port} on 127.0.0.1 is already in use" in str(refused.value)
    assert "\n" not in str(refused.value)
    assert out.getvalue() == ""  # no "Discovery: ..." claiming a server that never started


def test_a_free_port_passes_the_probe() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    quickstart.ensure_port_free(f"127.0.0.1:{port}")


@pytest.mark.parametrize(
    ("addrport", "base"),
    [
        ("9000", "http://127.0.0.1:9000"),
        ("[::1]:9000", "http://[::1]:9000"),
        ("0:9000", "http://127.0.0.1:9000"),
    ],
)
def test_addrport_forms_give_the_printed_base(addrport: str, base: str) -> None:
    assert quickstart.base_from_addrport(addrport) == base
