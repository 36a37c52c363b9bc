"""Profile or time requests in one process: ``python -m bench.profile [--operation OP] ...``.

A fresh database (SQLite WAL in a temporary folder; with ``--postgres`` a fresh ``<name>_bench``
database on the server of ``DATABASE_URL``), Django's test client (no HTTP server), and cProfile
over ``N`` requests after a warm-up; prints the top functions by cumulative and by own time, and
the queries per request. ``--timing`` runs the same loop without the profiler, ``--repeat`` times,
and prints the best milliseconds per request: the before/after figure of a code change that
wall-clock load tests on a shared machine are too noisy to show.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.scenarios import SERVICE_CLIENT, WEB_CLIENT, basic

OPERATIONS = ("trivial", "register", "read", "update", "delete", "token", "discovery")


@contextmanager
def _database(workdir: Path, postgres: bool) -> Iterator[str]:
    if not postgres:
        yield f"sqlite:///{workdir / 'profile.sqlite3'}"
        return
    from bench.runner import fresh_database

    with fresh_database(workdir, suffix="profile") as (url, _label):
        yield url


def _operations(http: Any) -> dict[str, Callable[[], Any]]:
    body = json.dumps(WEB_CLIENT)
    register_path = "/bench/open/oauth2/register"
    state: dict[str, Any] = {}

    def register() -> Any:
        return http.post(register_path, body, content_type="application/json")

    def managed() -> tuple[str, str]:
        created = register().json()
        return created["registration_client_uri"].split("127.0.0.1", 1)[1], created[
            "registration_access_token"
        ]

    def read() -> Any:
        if "read" not in state:
            state["read"] = list(managed())
        path, token = state["read"]
        response = http.get(path, HTTP_AUTHORIZATION=f"Bearer {token}")
        state["read"][1] = response.json()["registration_access_token"]
        return response

    def update() -> Any:
        if "update" not in state:
            state["update"] = list(managed())
            state["update_n"] = 0
        path, token = state["update"]
        state["update_n"] += 1
        client_id = path.rsplit("/", 1)[1]
        changed = {**WEB_CLIENT, "client_id": client_id, "client_name": f"n{state['update_n']}"}
        response = http.put(
            path,
            json.dumps(changed),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
        state["update"][1] = response.json()["registration_access_token"]
        return response

    def delete() -> Any:
        path, token = managed()  # the registration is part of the timed loop: subtract it
        return http.delete(path, HTTP_AUTHORIZATION=f"Bearer {token}")

    def token() -> Any:
        if "basic" not in state:
            created = http.post(
                register_path, json.dumps(SERVICE_CLIENT), content_type="application/json"
            ).json()
            state["basic"] = basic(created["client_id"], created["client_secret"])
        return http.post(
            "/bench/open/oauth2/token",
            "grant_type=client_credentials",
            content_type="application/x-www-form-urlencoded",
            HTTP_AUTHORIZATION=state["basic"],
        )

    def discovery() -> Any:
        return http.get("/bench/open/.well-known/openid-configuration")

    def trivial() -> Any:
        return http.get("/bench/trivial")

    return {
        "trivial": trivial,
        "register": register,
        "read": read,
        "update": update,
        "delete": delete,
        "token": token,
        "discovery": discovery,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile")
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--operation", choices=OPERATIONS, default="register")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--out", help="also write the raw cProfile stats to this file")
    parser.add_argument("--timing", action="store_true", help="time the loop, no profiler")
    parser.add_argument("--repeat", type=int, default=5, help="timing: loops, the best is shown")
    parser.add_argument(
        "--callgrind",
        action="store_true",
        help="under valgrind --tool=callgrind --instr-atstart=no: instrument only the loop",
    )
    parser.add_argument(
        "--postgres", action="store_true", help="a fresh database on DATABASE_URL's server"
    )
    parser.add_argument(
        "--no-gc-freeze",
        action="store_true",
        help="leave the objects loaded at start to the garbage collector (bin/serve freezes them)",
    )
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="dcr-profile-"))
    try:
        with _database(workdir, args.postgres) as database_url:
            os.environ.update(
                {
                    "DJANGO_SETTINGS_MODULE": "bench.settings",
                    "DATABASE_URL": database_url,
                    "DJANGO_DEBUG": "0",
                }
            )
            os.environ.setdefault("DJANGO_SECRET_KEY", "profile-only-key")
            os.environ.setdefault("DCR_ENCRYPTION_KEYS", "profile-only-encryption-key")
            _run(args)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


def _run(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench.prepare import prepare

    prepare(statements=1)
    operation = _operations(Client(HTTP_HOST="127.0.0.1"))[args.operation]
    for _ in range(20):  # warm-up: imports, caches, first connections
        operation()
    with CaptureQueriesContext(connection) as queries:
        operation()
    print(f"{args.operation}: {len(queries.captured_queries)} queries")
    for query in queries.captured_queries:
        print("  ", query["sql"][:160])
    reset_queries()
    if not args.no_gc_freeze:
        # As bin/serve's master does before forking (dcr_server/serve/startup.py).
        from dcr_server.serve.startup import freeze_loaded_objects

        freeze_loaded_objects()
    if args.callgrind:
        # Instruction counts do not depend on what else the machine runs: the before/after
        # figure of a code change on a busy machine. Read them with callgrind_annotate.
        control = ["callgrind_control", "--instr=on", str(os.getpid())]
        subprocess.run(control, check=True, capture_output=True)  # noqa: S603
        for _ in range(args.count):
            operation()
        control[1] = "--instr=off"
        subprocess.run(control, check=True, capture_output=True)  # noqa: S603
        print(f"\n{args.count} x {args.operation} instrumented")
        return
    if args.timing:
        best, best_cpu = float("inf"), float("inf")
        for _ in range(args.repeat):
            began, began_cpu = time.perf_counter(), time.process_time()
            for _ in range(args.count):
                operation()
            best = min(best, (time.perf_counter() - began) / args.count)
            best_cpu = min(best_cpu, (time.process_time() - began_cpu) / args.count)
        # CPU time of this process only: the database server's work and other processes' load
        # are left out, so it moves with the code, not with the machine's neighbours.
        print(
            f"\n{args.count} x {args.operation}: {best * 1000:.3f} ms wall, "
            f"{best_cpu * 1000:.3f} ms CPU each (best of {args.repeat})"
        )
        return
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(args.count):
        operation()
    profiler.disable()
    if args.out:
        profiler.dump_stats(args.out)
    stats = pstats.Stats(profiler)
    total = stats.total_tt  # type: ignore[attr-defined]
    print(f"\n{args.count} x {args.operation}: {total * 1000 / args.count:.2f} ms each (profiled)")
    stats.sort_stats("cumulative").print_stats(args.top)
    stats.sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    raise SystemExit(main())
