"""``manage.py`` outside ``make run``: the local development configuration on a laptop, a
one-line error naming the missing variable in production, and ``help`` listing the project's
commands in both cases (issue 15)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROJECT_COMMANDS = ("dcr", "quickstart", "workspace")


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``manage.py`` with only PATH and HOME from this process (pytest-django's settings and
    any DJANGO_*/DCR_* variable of the shell stay out), plus ``env``."""
    environment = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), **env}
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        capture_output=True,
        text=True,
        env=environment,
        cwd=ROOT,
        timeout=120,
        check=False,
    )


def test_without_any_variable_commands_use_the_development_configuration() -> None:
    result = manage("check")

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_help_lists_the_project_commands_on_a_laptop() -> None:
    result = manage("help")

    assert result.returncode == 0, result.stderr
    for name in PROJECT_COMMANDS:
        assert f"    {name}\n" in result.stdout


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"DJANGO_DEBUG": "0"}, "DJANGO_SECRET_KEY"),
        ({"DATABASE_URL": "sqlite:////nonexistent/db.sqlite3"}, "DJANGO_SECRET_KEY"),
        ({"DJANGO_DEBUG": "maybe"}, "DJANGO_DEBUG"),
    ],
)
def test_production_without_a_variable_is_one_line_naming_it(
    env: dict[str, str], named: str
) -> None:
    result = manage("workspace", "list", **env)

    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("manage.py: ")
    assert named in lines[0]
    assert "Traceback" not in result.stderr


def test_help_lists_the_project_commands_in_production_too() -> None:
    result = manage("help", DJANGO_DEBUG="0")

    assert result.returncode == 0, result.stderr
    for name in PROJECT_COMMANDS:
        assert f"    {name}\n" in result.stdout
    assert "DJANGO_SECRET_KEY" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unreachable_database_is_one_line() -> None:
    result = manage(
        "workspace",
        "list",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="test-only",
        DCR_ENCRYPTION_KEYS="test-only-encryption-key-0123456789abcdef",
        DATABASE_URL="postgres://nobody@127.0.0.1:1/none",
    )

    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("manage.py: database error: ")
