"""A TCP proxy that can be cut and restored, and the app under gunicorn with two workers."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parents[2]
SERVE = PROJECT / "bin" / "serve"
LISTENING = re.compile(r"Listening at: http://127\.0\.0\.1:(\d+)")
BOOTING = re.compile(r"Booting worker with pid: (\d+)")

# When the branch has no bin/serve yet: the same hooks its gunicorn configuration wires.
CONFIG = """\
from operations.gunicorn import child_exit, logger_class_for_env, on_exit, prepare_metrics_dir
prepare_metrics_dir()
logger_class = logger_class_for_env()
worker_class = "gthread"
threads = 2
"""


class TCPProxy:
    """Forwards 127.0.0.1:<port> to ``upstream``; ``stop`` refuses new connections and cuts the
    open ones (as a database or cache host going away), ``start`` listens on the same port."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.port = 0
        self._listener: socket.socket | None = None
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()

    def start(self) -> TCPProxy:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._open += [client, upstream]
            for source, target in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def stop(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread
            self._listener.close()
            self._listener = None
        with self._lock:
            for sock in self._open:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self._open.clear()


class Gunicorn:
    """``bin/serve`` when the branch has it, else gunicorn with the same hooks; two workers."""

    def __init__(self, folder: Path, env: dict[str, str], workers: int = 2) -> None:
        self.folder = folder
        self.log_path = folder / "server.log"
        self.workers = workers
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "dcr_server.settings_test",
            "DCR_LOG_FORMAT": "json",
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            **env,
        }
        self.process: subprocess.Popen[bytes] | None = None
        self.url = ""

    def command(self) -> list[str]:
        if os.access(SERVE, os.X_OK):
            self.env.update(HOST="127.0.0.1", PORT="0", WORKERS=str(self.workers))
            return [str(SERVE)]
        config = self.folder / "gunicorn_conf.py"
        config.write_text(CONFIG)
        return [
            sys.executable,
            "-m",
            "gunicorn",
            "--config",
            str(config),
            "--workers",
            str(self.workers),
            "--bind",
            "127.0.0.1:0",
            "dcr_server.wsgi:application",
        ]

    def start(self) -> Gunicorn:
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                self.command(),
                cwd=PROJECT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            text = self.log_text()
            port = LISTENING.search(text)
            if port and len(set(BOOTING.findall(text))) >= self.workers:
                self.url = f"http://127.0.0.1:{port.group(1)}"
                if self.get("/health/live")[0] == 200:
                    return self
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{text[-3000:]}")
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not start:\n{self.log_text()[-3000:]}")

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_records(self) -> list[dict[str, Any]]:
        """Every line of the server's output that is a JSON object (all of them, in JSON mode)."""
        records = []
        for line in self.log_text().splitlines():
            if line.strip():
                records.append(json.loads(line))
        return records

    def call(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        request = urllib.request.Request(
            self.url + path, data=body, method=method, headers=headers or {}
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def get(self, path: str) -> tuple[int, bytes]:
        status, _headers, body = self.call("GET", path)
        return status, body

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
