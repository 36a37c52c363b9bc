"""``python -m bench --memory``: resident memory per worker at idle and after many registrations.

The server is started as the benchmark starts it (``bin/serve``); every worker is warmed up with
each operation, its resident set size (``VmRSS``) read from ``/proc``, then ``--registrations``
open registrations (100,000 by default) are sent and the sizes read again at each quarter.
A worker whose memory kept growing with the registrations would show it here (a leak per request);
settling after the first quarter is allocator and cache warm-up.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from bench.load import Clients, run
from bench.scenarios import Target
from bench.servers import Server


def worker_rss_kib(server: Server) -> dict[int, int]:
    """VmRSS (KiB) of each process in the server's group except its master."""
    assert server.process is not None
    master = server.process.pid
    sizes: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
            pid = int(stat.parent.name)
            if int(fields[2]) != master or pid == master:
                continue
            for line in (stat.parent / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    sizes[pid] = int(line.split()[1])
        except (OSError, ValueError):
            continue  # the process ended meanwhile
    return sizes


def measure(
    clients: Clients, target: Target, server: Server, *, registrations: int, concurrency: int
) -> dict[str, Any]:
    for scenario in ("trivial", "discovery", "register"):  # warm every worker and thread
        run(clients, target=target, scenario=scenario, concurrency=concurrency, count=2000)
    points: list[dict[str, Any]] = [{"registrations": 0, "rss_kib": worker_rss_kib(server)}]
    done = 0
    for quarter in range(1, 5):
        batch = registrations * quarter // 4 - done
        result = run(
            clients, target=target, scenario="register", concurrency=concurrency, count=batch
        )
        if result.ok < batch:
            raise RuntimeError(f"memory: {result.ok}/{batch} registrations; {result.first_error}")
        done += batch
        sizes = worker_rss_kib(server)
        points.append({"registrations": done, "rss_kib": sizes})
        print(f"  after {done:>7} registrations: " + _line(sizes), flush=True)
    return {"points": points}


def _line(sizes: dict[int, int]) -> str:
    return ", ".join(f"{kib / 1024:.1f} MiB" for _, kib in sorted(sizes.items()))


def render(document: dict[str, Any]) -> str:
    points = document["points"]
    idle, last = points[0]["rss_kib"], points[-1]["rss_kib"]
    lines = [
        f"Resident memory per worker (MiB), {os.cpu_count()} CPUs",
        f"{'registrations':>14}  " + "  ".join(f"worker {n + 1:>2}" for n in range(len(idle))),
    ]
    for point in points:
        sizes = [point["rss_kib"].get(pid, 0) / 1024 for pid in sorted(idle)]
        lines.append(f"{point['registrations']:>14}  " + "  ".join(f"{s:>9.1f}" for s in sizes))
    growth = [(last.get(pid, 0) - kib) / 1024 for pid, kib in sorted(idle.items())]
    lines.append(f"{'growth':>14}  " + "  ".join(f"{g:>+9.1f}" for g in growth))
    return "\n".join(lines)
