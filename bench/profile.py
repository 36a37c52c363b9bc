"""Profile registrations in one process: ``python -m bench.profile [--count N] [--operation OP]``.

A fresh SQLite (WAL) database in a temporary folder, Django's test client (no HTTP server), and
cProfile over ``N`` requests after a warm-up; prints the top functions by cumulative and by own
time, and the queries per request.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.scenarios import SERVICE_CLIENT, WEB_CLIENT, basic


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile")
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument(
        "--operation", choices=("register", "read", "token", "discovery"), default="register"
    )
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--out", help="also write the raw cProfile stats to this file")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="dcr-profile-"))
    try:
        os.environ.update(
            {
                "DJANGO_SETTINGS_MODULE": "bench.settings",
                "DATABASE_URL": f"sqlite:///{workdir / 'profile.sqlite3'}",
                "DJANGO_DEBUG": "0",
            }
        )
        os.environ.setdefault("DJANGO_SECRET_KEY", "profile-only-key")
        os.environ.setdefault("DCR_ENCRYPTION_KEYS", "profile-only-encryption-key")
        import django

        django.setup()
        from django.db import connection, reset_queries
        from django.test import Client
        from django.test.utils import CaptureQueriesContext

        from bench.prepare import prepare

        prepare(statements=1)
        http = Client(HTTP_HOST="127.0.0.1")
        body = json.dumps(WEB_CLIENT)
        register_path = "/bench/open/oauth2/register"

        def register() -> Any:
            return http.post(register_path, body, content_type="application/json")

        state: dict[str, str] = {}

        def read() -> Any:
            if not state:
                created = register().json()
                state["path"] = created["registration_client_uri"].split("127.0.0.1", 1)[1]
                state["token"] = created["registration_access_token"]
            response = http.get(state["path"], HTTP_AUTHORIZATION=f"Bearer {state['token']}")
            state["token"] = response.json()["registration_access_token"]
            return response

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

        operation: Callable[[], Any] = {
            "register": register,
            "read": read,
            "token": token,
            "discovery": discovery,
        }[args.operation]
        for _ in range(20):  # warm-up: imports, caches, first connections
            operation()
        with CaptureQueriesContext(connection) as queries:
            operation()
        print(f"{args.operation}: {len(queries.captured_queries)} queries")
        for query in queries.captured_queries:
            print("  ", query["sql"][:160])
        reset_queries()
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(args.count):
            operation()
        profiler.disable()
        if args.out:
            profiler.dump_stats(args.out)
        stats = pstats.Stats(profiler)
        total = stats.total_tt  # type: ignore[attr-defined]
        print(
            f"\n{args.count} x {args.operation}: {total * 1000 / args.count:.2f} ms each (profiled)"
        )
        stats.sort_stats("cumulative").print_stats(args.top)
        stats.sort_stats("tottime").print_stats(args.top)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
