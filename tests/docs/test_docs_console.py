"""The README and docs cannot rot: every ```console block runs, in order, against a live server,
and prints what the page shows (issue 15). How blocks are read and compared: ``console.py``.

Each Markdown file runs in a fresh copy of the repository (its own git repository, its own
``var/``, the suite's virtualenv linked in as ``.venv``), with an environment as bare as a
newcomer's shell (no DJANGO_*, DCR_* or DATABASE_URL), against ``manage.py quickstart`` serving
on a free port: what ``make run`` does. Its commands share one bash session, so variables set
in one block are there in the next. Afterwards ``git status --porcelain`` of the copy is empty:
nothing a page tells a reader to do leaves an unignored file behind.

``DCR_DOCS_DUMP=DIR make docs-test`` writes each page's session as it ran (commands and their
output, the port shown as 8000) to ``DIR``, to copy from when writing a page.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.docs.console import Command, console_commands, matches

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
RUN_PAGES = [page for page in PAGES if console_commands(page.read_text())]
DOCS_ADDRESS = "127.0.0.1:8000"
MARKER = "@@dcr-docs-runner-end@@"
SESSION_TIMEOUT = 600
COPY_IGNORE = shutil.ignore_patterns(
    ".git", ".venv", "var", "__pycache__", "*.pyc", ".pytest_cache", ".mypy_cache", ".ruff_cache",
    "node_modules", "*.egg-info", "build",
)  # fmt: skip


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def _bare_environment(home: Path) -> dict[str, str]:
    """A newcomer's shell: PATH and a home, none of the suite's settings."""
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "TZ": "UTC",
        "TERM": "dumb",
        "PYTHONDONTWRITEBYTECODE": "1",
        # stdout and stderr in the order a terminal shows them (a pipe would buffer stdout).
        "PYTHONUNBUFFERED": "1",
    }


def _git(copy: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", "-c", "user.name=docs", "-c", "user.email=docs@localhost", *args],
        cwd=copy,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A copy of the repository as a fresh clone would have it, committed, with the suite's
    virtualenv as its ``.venv``."""
    if sys.prefix == sys.base_prefix:
        pytest.skip("the docs runner links the suite's virtualenv in: run it from .venv")
    copy = tmp_path / "repo"
    shutil.copytree(ROOT, copy, ignore=COPY_IGNORE, symlinks=True)
    (copy / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
    _git(copy, "init", "--quiet")
    _git(copy, "add", "--all")
    _git(copy, "commit", "--quiet", "--message", "docs runner copy")
    return copy


@pytest.fixture
def server(checkout: Path, tmp_path: Path) -> Iterator[int]:
    """``make run``'s server (quickstart, DJANGO_DEBUG=1) on a free port; its port."""
    port = _free_port()
    home = tmp_path / "home"
    home.mkdir()
    log = open(tmp_path / "server.log", "w")  # noqa: SIM115  # closed below
    process = subprocess.Popen(
        [".venv/bin/python", "manage.py", "quickstart", "--addrport", f"127.0.0.1:{port}"],
        cwd=checkout,
        env={**_bare_environment(home), "DJANGO_DEBUG": "1"},
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_until_serving(port, process, tmp_path / "server.log")
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _wait_until_serving(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    url = f"http://127.0.0.1:{port}/default/default/.well-known/openid-configuration"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"quickstart exited {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # loopback only
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"quickstart did not serve within 120 s:\n{log.read_text()}")


def _session_script(commands: list[Command], port: int) -> str:
    lines = ["exec 2>&1"]
    for command in commands:
        lines.append(command.text.replace(DOCS_ADDRESS, f"127.0.0.1:{port}"))
        lines.append(f"printf '\\n{MARKER}\\n'")
    return "\n".join(lines) + "\n"


def _outputs(stdout: str, port: int) -> list[list[str]]:
    shown = stdout.replace(f"127.0.0.1:{port}", DOCS_ADDRESS)
    chunks = shown.split(f"\n{MARKER}\n")
    return [chunk.splitlines() for chunk in chunks[:-1]]


def _report(page: str, command: Command, actual: list[str]) -> str:
    return (
        f"{page}:{command.line}: $ {command.text}\n"
        "--- the page shows\n" + "\n".join(command.expected) + "\n"
        "--- it printed\n" + "\n".join(actual) + "\n"
    )


@pytest.mark.parametrize("page", RUN_PAGES, ids=[str(p.relative_to(ROOT)) for p in RUN_PAGES])
def test_console_blocks_print_what_the_page_shows(
    page: Path, checkout: Path, server: int, tmp_path: Path
) -> None:
    commands = console_commands(page.read_text())
    result = subprocess.run(
        ["bash", "--noprofile", "--norc"],
        input=_session_script(commands, server),
        cwd=checkout,
        env=_bare_environment(tmp_path / "home"),
        capture_output=True,
        text=True,
        timeout=SESSION_TIMEOUT,
        check=False,
    )
    outputs = _outputs(result.stdout, server)
    name = str(page.relative_to(ROOT))
    assert len(outputs) == len(commands), f"{name}: the session stopped early:\n{result.stdout}"

    dump = os.environ.get("DCR_DOCS_DUMP")  # a folder: what each command printed, to copy from
    if dump:
        Path(dump).mkdir(parents=True, exist_ok=True)
        transcript = "".join(
            f"$ {command.text}\n" + "".join(f"{line}\n" for line in actual)
            for command, actual in zip(commands, outputs, strict=True)
        )
        (Path(dump) / name.replace("/", "_")).write_text(transcript)

    failures = [
        _report(name, command, actual)
        for command, actual in zip(commands, outputs, strict=True)
        if not matches(command.expected, actual)
    ]
    assert not failures, "\n".join(failures)
    leftovers = _git(checkout, "status", "--porcelain")
    assert leftovers == "", f"{name} leaves files git does not ignore:\n{leftovers}"


def test_every_page_is_found() -> None:
    """The runner sees the README (a page without console blocks is read, not run)."""
    assert ROOT / "README.md" in RUN_PAGES
