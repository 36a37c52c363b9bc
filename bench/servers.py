"""The servers under load: the project under gunicorn, and node-oidc-provider (the peer).

Each runs in its own process group on a free loopback port and is stopped by its own pid.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

BASE_DIR = Path(__file__).resolve().parent.parent
PEER_DIR = Path(__file__).resolve().parent / "peer"
READY_TIMEOUT = 60.0


class ServerError(RuntimeError):
    """A server did not start (its log's tail is in the message)."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    """A child process serving HTTP on 127.0.0.1:``port``; ready once ``ready_path`` says 200."""

    def __init__(self, command: list[str], *, port: int, env: dict[str, str], log: Path) -> None:
        self.command, self.port, self.env, self.log_path = command, port, env, log
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def start(self, ready_path: str, cwd: Path) -> None:
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(  # noqa: S603 - our own fixed command line
            self.command,
            cwd=cwd,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + READY_TIMEOUT
        last = "no answer"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServerError(f"{self.command[0]} exited early:\n{self.log_tail()}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", ready_path)
                response = conn.getresponse()
                conn.close()
                if response.status == 200:
                    return
                last = f"GET {ready_path} answered {response.status}"
                location = response.getheader("Location")
                if location:
                    last += f" (Location: {location})"
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise ServerError(
            f"not ready on port {self.port} within {READY_TIMEOUT} s ({last}):\n{self.log_tail()}"
        )

    def cpu_seconds(self) -> float:
        """CPU time (user + system) used so far by the server's process group, workers included."""
        if self.process is None:
            return 0.0
        total = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rpartition(")")[2].split()
            except OSError:
                continue  # the process ended meanwhile
            if int(fields[2]) == self.process.pid:  # pgrp: start_new_session made pid the group
                total += int(fields[11]) + int(fields[12])
        return total / os.sysconf("SC_CLK_TCK")

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            # The server's own process group (start_new_session): its workers go with it.
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None


def gunicorn(
    *,
    workers: int,
    threads: int,
    env: dict[str, str],
    log: Path,
    app: str = "dcr_server.wsgi:application",
) -> Server:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        app,
        "--bind",
        f"127.0.0.1:{port}",
        "--worker-class",
        "gthread",  # keep-alive connections, like a server behind a load balancer
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--keep-alive",
        "75",
        "--log-level",
        "warning",
    ]
    return Server(command, port=port, env=env, log=log)


SERVE = BASE_DIR / "bin" / "serve"


def serve(
    *,
    workers: int,
    threads: int,
    env: dict[str, str],
    log: Path,
    app: str | None = None,
) -> Server:
    """The production server as ``bin/serve`` starts it (its configuration, this virtualenv's
    python first on PATH); gunicorn's own command line when the repository has no bin/serve."""
    if not SERVE.exists():
        return gunicorn(
            workers=workers,
            threads=threads,
            env=env,
            log=log,
            app=app or "dcr_server.wsgi:application",
        )
    port = free_port()
    served = {
        **env,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WORKERS": str(workers),
        "THREADS": str(threads),
        "GUNICORN_LOG_LEVEL": "warning",
    }
    command = [str(SERVE), *([app] if app else [])]
    return Server(command, port=port, env=served, log=log)


SERVER_KINDS = ("gthread", "sync", "granian", "uvicorn")


def server_of_kind(
    kind: str, *, workers: int, threads: int, env: dict[str, str], log: Path
) -> Server:
    """The project under another HTTP server, for ``python -m bench --servers``.

    ``gthread``: bin/serve as is. ``sync``: bin/serve with gunicorn's sync worker, workers x
    threads processes (the same number of requests in flight). ``granian``: its WSGI interface,
    ``workers`` processes with ``threads`` blocking threads each. ``uvicorn``: Django's ASGI
    application, ``workers`` processes (sync views run in Django's thread pool).
    """
    if kind == "gthread":
        return serve(workers=workers, threads=threads, env=env, log=log)
    if kind == "sync":
        server = serve(workers=workers * threads, threads=1, env=env, log=log)
        server.command += ["--worker-class", "sync"]
        return server
    port = free_port()
    if kind == "granian":
        command = [sys.executable, "-m", "granian", "--interface", "wsgi"]
        command += ["--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
        command += ["--blocking-threads", str(threads), "--log-level", "warning"]
        command += ["dcr_server.wsgi:application"]
    elif kind == "uvicorn":
        command = [sys.executable, "-m", "uvicorn", "dcr_server.asgi:application"]
        command += ["--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
        command += ["--no-access-log", "--log-level", "warning"]
    else:
        raise ValueError(f"unknown server {kind!r}")
    return Server(command, port=port, env=env, log=log)


def peer_cache_dir() -> Path:
    manifest = (PEER_DIR / "package.json").read_bytes()
    digest = hashlib.sha256(manifest).hexdigest()[:12]
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return root / "dcr-bench" / f"peer-{digest}"


def install_peer() -> Path:
    """node-oidc-provider from npm into a cache folder keyed by package.json; the folder."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        raise ServerError("make bench-peer needs Node.js 20+ and npm on PATH")
    folder = peer_cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / "node_modules" / "oidc-provider" / "package.json").exists():
        shutil.copy(PEER_DIR / "package.json", folder / "package.json")
        print(f"installing node-oidc-provider into {folder} ...", flush=True)
        subprocess.run(  # noqa: S603
            [npm, "install", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=folder,
            check=True,
        )
    shutil.copy(PEER_DIR / "server.mjs", folder / "server.mjs")
    return folder


def peer(*, folder: Path, log: Path) -> Server:
    port = free_port()
    env = {**os.environ, "PORT": str(port), "NODE_ENV": "production"}
    node = shutil.which("node") or "node"
    return Server([node, str(folder / "server.mjs")], port=port, env=env, log=log)
