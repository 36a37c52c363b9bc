"""``python -m bench --scale-out``: throughput with 1, 2 and 4 app processes against one database.

The same fresh database and the same load for every row; only the number of ``bin/serve``
worker processes changes (``--threads`` each). Every row runs the trivial view (the HTTP and
framework floor), an open registration, a read (which rotates the registration access token: a
write) and a client_credentials token, and reports requests per second and the server's CPU
milliseconds per request. On a machine whose cores the database and the load generator share
with the app processes, the rows say where the cores run out rather than how far a cluster
scales: docs/performance.md reads them that way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bench.load import Clients, run
from bench.scenarios import Target
from bench.servers import BASE_DIR, Server

PROCESSES = (1, 2, 4)
SCENARIOS = ("trivial", "register", "read", "token")
READ_POOL_PER_CONNECTION = 4


def _timed(
    clients: Clients,
    target: Target,
    server: Server,
    scenario: str,
    *,
    concurrency: int,
    duration: float,
    pool: list[Any] | None = None,
) -> tuple[dict[str, Any], list[Any]]:
    before = server.cpu_seconds()
    result = run(
        clients,
        target=target,
        scenario=scenario,
        concurrency=concurrency,
        duration=duration,
        pool=pool,
    )
    cpu_ms = (server.cpu_seconds() - before) * 1000 / result.ok if result.ok else None
    row = {
        "rps": round(result.rps, 1),
        "p99_ms": round(result.p99_ms, 1),
        "server_cpu_ms": round(cpu_ms, 2) if cpu_ms is not None else None,
        "errors": sum(result.errors.values()),
    }
    return row, list(result.collected)


def measure(
    clients: Clients,
    target_for: Callable[[int], Target],
    start_server: Callable[[int], Server],
    *,
    concurrency: int,
    duration: float,
) -> dict[str, Any]:
    """One row per process count: ``start_server(processes)`` serves, ``target_for(port)``
    names its URLs."""
    rows: dict[str, Any] = {}
    for processes in PROCESSES:
        server = start_server(processes)
        server.start("/bench/trivial", cwd=BASE_DIR)
        try:
            target = target_for(server.port)
            row: dict[str, Any] = {}
            row["trivial"], _ = _timed(
                clients, target, server, "trivial", concurrency=concurrency, duration=duration
            )
            row["register"], opened = _timed(
                clients, target, server, "register", concurrency=concurrency, duration=duration
            )
            pool = opened[: READ_POOL_PER_CONNECTION * concurrency]
            row["read"], _ = _timed(
                clients,
                target,
                server,
                "read",
                concurrency=concurrency,
                duration=duration,
                pool=pool,
            )
            services = run(
                clients,
                target=target,
                scenario="register_service",
                concurrency=concurrency,
                count=concurrency,
            ).collected
            row["token"], _ = _timed(
                clients,
                target,
                server,
                "token",
                concurrency=concurrency,
                duration=duration,
                pool=list(services),
            )
        finally:
            server.stop()
        rows[str(processes)] = row
        print(
            f"  {processes} process(es): "
            + "  ".join(f"{name} {row[name]['rps']:8.1f}/s" for name in SCENARIOS),
            flush=True,
        )
    return {"rows": rows}


def render(document: dict[str, Any]) -> str:
    rows = document["rows"]
    one = rows[str(PROCESSES[0])]
    lines = [
        f"Scale-out: {document['database']}, {document['threads']} threads per process, "
        f"{document['concurrency']} connections",
        f"{'processes':>10}  "
        + "  ".join(f"{name + ' req/s (x1)':>22}" for name in SCENARIOS)
        + "  cpu ms/req register",
    ]
    for processes in PROCESSES:
        row = rows[str(processes)]
        cells = []
        for name in SCENARIOS:
            base = one[name]["rps"] or 1.0
            cells.append(f"{row[name]['rps']:>13.1f} ({row[name]['rps'] / base:4.2f})")
        lines.append(
            f"{processes:>10}  "
            + "  ".join(f"{cell:>22}" for cell in cells)
            + f"  {row['register']['server_cpu_ms']}"
        )
    return "\n".join(lines)
