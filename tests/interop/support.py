"""Interop helpers: client libraries installed from their registries into a cache, run as
subprocesses against a live server on loopback.

Installs are cached under ``$DCR_INTEROP_CACHE`` (default ``~/.cache/dcr-interop``), one folder
per ``<name>-<version>``: a venv made with ``python3 -m venv`` for Python clients, an
``npm install --prefix`` folder for Node clients. A folder counts only once its ``.complete``
marker is written.

Only ``make interop`` (``DCR_INTEROP_INSTALL=1``) installs, and there an install that fails is a
test failure. Elsewhere (``make test``) a client that is not installed skips its test with
``NOT_PREPARED``, and ``conftest.py`` sums those skips up in one line of the summary.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tenants.models import Workspace

CACHE = Path(os.environ.get("DCR_INTEROP_CACHE", Path.home() / ".cache" / "dcr-interop"))
CLIENTS = Path(__file__).parent / "clients"
INSTALL_TIMEOUT = 600
RUN_TIMEOUT = 120
INSTALL = os.environ.get("DCR_INTEROP_INSTALL") == "1"
NOT_PREPARED = "interop client not installed (make interop)"


@contextmanager
def _install_lock(folder: Path) -> Iterator[None]:
    """One installer per folder, also across pytest-xdist workers."""
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / f".{folder.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _install(folder: Path, commands: Sequence[Sequence[str]], what: str) -> Path:
    marker = folder / ".complete"
    with _install_lock(folder):
        if marker.exists():
            return folder
        if not INSTALL:
            pytest.skip(f"{NOT_PREPARED}: {what}")
        shutil.rmtree(folder, ignore_errors=True)
        for command in commands:
            try:
                result = subprocess.run(
                    command, capture_output=True, text=True, timeout=INSTALL_TIMEOUT, check=False
                )
            except (OSError, subprocess.TimeoutExpired) as exc:
                shutil.rmtree(folder, ignore_errors=True)
                pytest.fail(f"cannot install {what}: {exc}")
            if result.returncode != 0:
                shutil.rmtree(folder, ignore_errors=True)
                tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
                pytest.fail(f"cannot install {what} (no registry access?): {' | '.join(tail)}")
        marker.write_text(json.dumps({"installed": what}))
    return folder


def python_client(name: str, version: str, *extra: str) -> Path:
    """The Python interpreter of a cached venv holding ``name==version`` (and ``extra``)."""
    python3 = shutil.which("python3") or sys.executable
    folder = CACHE / f"{name}-{version}"
    pip = str(folder / "bin" / "pip")
    _install(
        folder,
        [
            [python3, "-m", "venv", str(folder)],
            [
                pip,
                "install",
                "--quiet",
                "--disable-pip-version-check",
                f"{name}=={version}",
                *extra,
            ],
        ],
        f"{name}=={version}",
    )
    return folder / "bin" / "python"


def node_client(name: str, version: str) -> Path:
    """A folder whose ``node_modules`` holds ``name@version`` (for ``NODE_PATH``)."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        message = "Node.js and npm are needed for this client"
        if INSTALL:
            pytest.fail(message)
        pytest.skip(f"{NOT_PREPARED}: {message}")
    folder = CACHE / f"{name.replace('/', '+')}-{version}"  # a scoped name: one folder
    command = ["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(folder)]
    _install(folder, [[*command, f"{name}@{version}"]], f"{name}@{version}")
    return folder


def run_client(
    program: Sequence[str], script: str, *args: str, env: dict[str, str] | None = None
) -> dict[str, Any]:
    """Run ``tests/interop/clients/<script>``; it prints one JSON object as its last line."""
    command = [*program, str(CLIENTS / script), *args]
    environment = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", **(env or {})}
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    try:
        result = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT,
            env=environment,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"{script} timed out:\n{exc.stdout}\n{exc.stderr}")
    lines = result.stdout.strip().splitlines()
    if result.returncode != 0 or not lines:
        pytest.fail(
            f"{script} exited {result.returncode}\n--- stdout\n{result.stdout}\n"
            f"--- stderr\n{result.stderr[-6000:]}"
        )
    output: dict[str, Any] = json.loads(lines[-1])
    dump = os.environ.get("DCR_INTEROP_DUMP")  # a folder: keep what each client sent and got
    if dump:
        Path(dump).mkdir(parents=True, exist_ok=True)
        name = os.environ.get("PYTEST_CURRENT_TEST", script).split(" ")[0].rsplit("::", 1)[-1]
        (Path(dump) / f"{name}.json").write_text(json.dumps(output, indent=2))
    return output


@dataclass(frozen=True)
class LiveServer:
    base: str  # scheme and host, no trailing slash
    workspace: Workspace

    @property
    def issuer(self) -> str:
        return self.base + self.workspace.path

    def url(self, suffix: str) -> str:
        return self.issuer + suffix

    def post_json(self, suffix: str, body: dict[str, Any]) -> dict[str, Any]:
        request = urllib.request.Request(
            self.url(suffix),
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # loopback only
            result: dict[str, Any] = json.load(response)
        return result
