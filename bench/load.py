"""The load generator: keep-alive HTTP/1.1 over plain sockets, in separate client processes.

Nothing here imports Django: the client processes (``spawn``) stay small and share no state with
the server. Each process runs one thread per connection; a connection owns its slice of the
scenario's pool (tokens, clients) so no two connections ever use the same token.

Two modes: a fixed ``duration`` (timed scenarios) or a fixed ``count`` of requests (setup runs,
which collect what the responses return, e.g. registered clients and their tokens).
"""

from __future__ import annotations

import multiprocessing
import queue
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from bench.scenarios import Reply, Target, make_scenario

CONNECT_TIMEOUT = 10.0
IO_TIMEOUT = 60.0


# Longest wait for a run's results past its duration (setup runs of a fixed count included).
RESULT_TIMEOUT = 300.0


class LoadError(RuntimeError):
    """A load process died or did not answer in time."""


class ConnectionClosed(OSError):
    """The server closed the connection before a whole response arrived."""


class Connection:
    """One persistent HTTP/1.1 connection; reconnects once when a kept-alive socket was closed."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.sock: socket.socket | None = None
        self.buffer = b""

    def _connect(self) -> socket.socket:
        sock = socket.create_connection((self.host, self.port), timeout=CONNECT_TIMEOUT)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(IO_TIMEOUT)
        self.buffer = b""
        return sock

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def request(self, raw: bytes) -> Reply:
        for attempt in (1, 2):
            fresh = self.sock is None
            if self.sock is None:
                self.sock = self._connect()
            try:
                self.sock.sendall(raw)
                return self._read_response(self.sock)
            except (ConnectionClosed, ConnectionResetError, BrokenPipeError):
                self.close()
                if fresh or attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _fill(self, sock: socket.socket) -> None:
        chunk = sock.recv(262144)
        if not chunk:
            raise ConnectionClosed("connection closed by the server")
        self.buffer += chunk

    def _take(self, sock: socket.socket, size: int) -> bytes:
        while len(self.buffer) < size:
            self._fill(sock)
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    def _line(self, sock: socket.socket) -> bytes:
        while (end := self.buffer.find(b"\r\n")) < 0:
            self._fill(sock)
        line, self.buffer = self.buffer[:end], self.buffer[end + 2 :]
        return line

    def _read_response(self, sock: socket.socket) -> Reply:
        while (end := self.buffer.find(b"\r\n\r\n")) < 0:
            self._fill(sock)
        head, self.buffer = self.buffer[:end], self.buffer[end + 4 :]
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if status in (204, 304) or 100 <= status < 200:
            body = b""
        elif "content-length" in headers:
            body = self._take(sock, int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            parts = []
            while size := int(self._line(sock).split(b";")[0], 16):
                parts.append(self._take(sock, size))
                self._line(sock)
            while self._line(sock):  # trailers, then the empty line
                pass
            body = b"".join(parts)
        else:  # delimited by close
            try:
                while True:
                    self._fill(sock)
            except ConnectionClosed:
                pass
            body, self.buffer = self.buffer, b""
            self.close()
        if headers.get("connection", "").lower() == "close":
            self.close()
        return Reply(status=status, headers=headers, body=body)


@dataclass
class ConnResult:
    """What one connection did: latencies (seconds) of successes, failures by kind."""

    ok: int = 0
    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    first_error: str = ""
    collected: list[Any] = field(default_factory=list)
    exhausted: bool = False
    started: float = 0.0
    finished: float = 0.0

    def fail(self, kind: str, detail: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1
        if not self.first_error:
            self.first_error = f"{kind}: {detail[:300]}"


@dataclass(frozen=True)
class Job:
    """One connection's work: a scenario and its share of the pool (and of ``count``)."""

    scenario: str
    items: list[Any]
    count: int | None = None  # None: run until the deadline


def _run_connection(
    target: Target, job: Job, start_at: float, deadline: float | None, result: ConnResult
) -> None:
    scenario = make_scenario(job.scenario, target, job.items)
    conn = Connection(target.host, target.port)
    remaining = job.count
    while time.time() < start_at:
        time.sleep(min(0.01, max(0.0, start_at - time.time())))
    result.started = time.perf_counter()
    try:
        while True:
            if remaining is not None:
                if remaining <= 0:
                    break
                remaining -= 1
            elif deadline is not None and time.time() >= deadline:
                break
            request = scenario.next_request()
            if request is None:
                result.exhausted = True
                break
            began = time.perf_counter()
            try:
                reply = conn.request(request.raw)
            except OSError as exc:
                result.fail("io", f"{type(exc).__name__}: {exc}")
                conn.close()
                continue
            elapsed = time.perf_counter() - began
            if reply.status != request.expect:
                result.fail(str(reply.status), reply.body.decode("utf-8", "replace"))
                scenario.failed(request, reply)
                continue
            result.ok += 1
            result.latencies.append(elapsed)
            collected = scenario.succeeded(request, reply)
            if collected is not None:
                result.collected.append(collected)
    finally:
        result.finished = time.perf_counter()
        conn.close()


def _guarded_connection(
    target: Target, job: Job, start_at: float, deadline: float | None, result: ConnResult
) -> None:
    try:
        _run_connection(target, job, start_at, deadline, result)
    except Exception as exc:  # a bug in a scenario: reported as an error, never a hang
        result.fail("crash", f"{type(exc).__name__}: {exc}")
        result.started = result.started or time.perf_counter()
        result.finished = time.perf_counter()


def _process_main(
    target: Target, jobs: list[Job], start_at: float, duration: float | None
) -> list[ConnResult]:
    deadline = start_at + duration if duration is not None else None
    results = [ConnResult() for _ in jobs]
    threads = [
        threading.Thread(
            target=_guarded_connection,
            args=(target, job, start_at, deadline, result),
            daemon=True,
        )
        for job, result in zip(jobs, results, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _client_loop(inbox: Any, outbox: Any) -> None:
    """A load process: runs one batch of connections per message until it gets ``None``."""
    while (message := inbox.get()) is not None:
        outbox.put(_process_main(*message))


class Clients:
    """Long-lived load processes (spawned once, reused by every run)."""

    def __init__(self, processes: int) -> None:
        context = multiprocessing.get_context("spawn")
        self.outbox = context.Queue()
        self.inboxes = [context.Queue() for _ in range(processes)]
        self.processes = [
            context.Process(target=_client_loop, args=(inbox, self.outbox), daemon=True)
            for inbox in self.inboxes
        ]
        for process in self.processes:
            process.start()

    def __enter__(self) -> Clients:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for inbox in self.inboxes:
            inbox.put(None)
        for process in self.processes:
            process.join(timeout=10)
            if process.is_alive():
                process.terminate()

    def run(self, target: Target, jobs: list[Job], duration: float | None) -> list[ConnResult]:
        batches = [jobs[i :: len(self.inboxes)] for i in range(len(self.inboxes))]
        busy = [(inbox, batch) for inbox, batch in zip(self.inboxes, batches, strict=True) if batch]
        start_at = time.time() + 0.2  # every process has its message before the start
        for inbox, batch in busy:
            inbox.put((target, batch, start_at, duration))
        deadline = time.monotonic() + (duration or 0.0) + RESULT_TIMEOUT
        results: list[ConnResult] = []
        for _ in busy:
            while True:
                try:
                    results += self.outbox.get(timeout=1.0)
                    break
                except queue.Empty:
                    for process in self.processes:
                        if not process.is_alive():
                            raise LoadError(
                                f"load process {process.pid} ended (exit code {process.exitcode})"
                            ) from None
                    if time.monotonic() > deadline:
                        raise LoadError("the load processes did not report in time") from None
        return results


@dataclass
class RunResult:
    """A scenario's figures over all connections."""

    name: str
    ok: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    errors: dict[str, int]
    first_error: str
    exhausted: bool
    collected: list[Any]
    server_cpu_ms: float | None = None  # server CPU time per successful request

    def summary(self) -> dict[str, Any]:
        return {
            "scenario": self.name,
            "requests": self.ok,
            "seconds": round(self.seconds, 3),
            "rps": round(self.rps, 1),
            "p50_ms": round(self.p50_ms, 2),
            "p99_ms": round(self.p99_ms, 2),
            "errors": self.errors,
            "first_error": self.first_error,
            "pool_exhausted": self.exhausted,
            "server_cpu_ms": None if self.server_cpu_ms is None else round(self.server_cpu_ms, 2),
        }


def _percentile(ordered: list[float], fraction: float) -> float:
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))
    return ordered[index]


def split(items: list[Any], parts: int) -> list[list[Any]]:
    """Round-robin ``items`` into ``parts`` lists (each connection gets its own share)."""
    return [items[i::parts] for i in range(parts)]


def run(
    clients: Clients,
    *,
    target: Target,
    scenario: str,
    concurrency: int,
    duration: float | None = None,
    count: int | None = None,
    pool: list[Any] | None = None,
) -> RunResult:
    """Run ``scenario`` over ``concurrency`` connections spread over the load processes."""
    if (duration is None) == (count is None):
        raise ValueError("give exactly one of duration and count")
    shares = split(pool or [], concurrency)
    counts: list[int | None] = [None] * concurrency
    if count is not None:
        counts = [
            count // concurrency + (1 if i < count % concurrency else 0) for i in range(concurrency)
        ]
    jobs = [Job(scenario, shares[i], counts[i]) for i in range(concurrency)]
    results = clients.run(target, jobs, duration)
    latencies = sorted(latency for result in results for latency in result.latencies)
    ok = sum(result.ok for result in results)
    # perf_counter is CLOCK_MONOTONIC, one clock for every process of the machine.
    started = min(result.started for result in results)
    finished = max(result.finished for result in results)
    seconds = max(finished - started, 1e-9)
    errors: dict[str, int] = {}
    for result in results:
        for kind, number in result.errors.items():
            errors[kind] = errors.get(kind, 0) + number
    return RunResult(
        name=scenario,
        ok=ok,
        seconds=seconds,
        rps=ok / seconds,
        p50_ms=_percentile(latencies, 0.50) * 1000,
        p99_ms=_percentile(latencies, 0.99) * 1000,
        errors=errors,
        first_error=next((r.first_error for r in results if r.first_error), ""),
        exhausted=any(result.exhausted for result in results),
        collected=[item for result in results for item in result.collected],
    )
