"""``python -m bench``: set up a fresh database, serve it with gunicorn, load it, report.

    python -m bench                   # the table, written to bench/results/
    python -m bench --peer            # ... and its peers in the same run: node-oidc-provider,
                                      # django-oauth-toolkit's DCR (PBKDF2, then a cheap hasher)
    python -m bench --smoke           # a few seconds; exit 1 when any operation failed (CI)
    python -m bench --memory          # worker memory at idle and after 100,000 registrations
    python -m bench --scale-out       # the same load with 1, 2 and 4 app processes

Environment (flags win): BENCH_DURATION (s per scenario, 5), BENCH_CONCURRENCY (connections, 8),
BENCH_CLIENTS (load processes, 2), BENCH_WORKERS and BENCH_THREADS (gunicorn; from the core
count). ``DATABASE_URL`` pointing at PostgreSQL benchmarks a fresh database ``<name>_bench``
on that server; anything else benchmarks a fresh SQLite file (WAL) in a temporary folder.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from bench import heads, report
from bench.load import Clients, LoadError, RunResult
from bench.scenarios import Target
from bench.servers import (
    BASE_DIR,
    SERVE,
    Server,
    ServerError,
    gunicorn,
    install_peer,
    peer,
    serve,
)
from bench.suite import Inputs, Options, SetupError, run_suite

if TYPE_CHECKING:  # bench.prepare imports Django's models: only after django.setup()
    from bench.prepare import Prepared

STATEMENTS = 256
_GIVEN_DATABASE_URL = os.environ.get("DATABASE_URL", "")


def _env_number(name: str, default: float) -> float:
    value = os.environ.get(name, "")
    return float(value) if value else default


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    cores = os.cpu_count() or 1
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=_env_number("BENCH_DURATION", 5.0))
    parser.add_argument("--concurrency", type=int, default=int(_env_number("BENCH_CONCURRENCY", 8)))
    parser.add_argument(
        "--clients",
        type=int,
        default=int(_env_number("BENCH_CLIENTS", 2)),
        help="load-generating processes",
    )
    # The work is Python-bound (one GIL per process): two processes per core, so one waiting on
    # the database (SQLite's write lock) leaves the core to another; two threads each keep the
    # keep-alive connections served.
    parser.add_argument("--workers", type=int, default=int(_env_number("BENCH_WORKERS", 2 * cores)))
    parser.add_argument("--threads", type=int, default=int(_env_number("BENCH_THREADS", 2)))
    parser.add_argument(
        "--peer", action="store_true", help="also load node-oidc-provider and django-oauth-toolkit"
    )
    parser.add_argument("--smoke", action="store_true", help="a few seconds; fail on any error")
    parser.add_argument(
        "--memory",
        action="store_true",
        help="resident memory per worker at idle and after --registrations registrations",
    )
    parser.add_argument("--registrations", type=int, default=100_000)
    parser.add_argument(
        "--servers",
        action="store_true",
        help="trivial view and registration under gunicorn gthread and sync, granian, uvicorn",
    )
    parser.add_argument(
        "--scale-out",
        action="store_true",
        help="trivial, register, read and token with 1, 2 and 4 app processes, one database",
    )
    parser.add_argument("--no-save", action="store_true", help="do not write bench/results/")
    args = parser.parse_args(argv)
    if args.smoke:
        args.duration, args.concurrency, args.clients = 0.4, 2, 1
        args.workers, args.threads, args.no_save, args.peer = 1, 2, True, False
    return args


@contextmanager
def fresh_database(workdir: Path, suffix: str = "bench") -> Iterator[tuple[str, str]]:
    """(DATABASE_URL, label) of a database made for this run, removed afterwards."""
    # The URL given to the benchmark (the DCR server's run points DATABASE_URL at its own copy).
    given = _GIVEN_DATABASE_URL or os.environ.get("DATABASE_URL", "")
    if not given.startswith(("postgres://", "postgresql://")):
        yield f"sqlite:///{workdir / f'{suffix}.sqlite3'}", "SQLite (WAL)"
        return
    import psycopg  # only with PostgreSQL

    parts = urlsplit(given)
    name = f"{parts.path.lstrip('/') or 'postgres'}_{suffix}"
    admin = urlunsplit(parts._replace(scheme="postgresql"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(parts._replace(path=f"/{name}")), "PostgreSQL"
    finally:
        if "django" in sys.modules:
            from django.db import connections

            connections.close_all()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _server_env(database_url: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": database_url,
        "DJANGO_DEBUG": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
    }
    env.setdefault("DJANGO_SECRET_KEY", "bench-" + secrets.token_urlsafe(32))
    # Required with debug off (issue 14); a throwaway key like the secret key above.
    env.setdefault("DCR_ENCRYPTION_KEYS", "bench-" + secrets.token_urlsafe(32))
    # The load comes from one address: the server's default registration limits (60 per minute
    # per address, 600 per workspace; issue 14) would refuse most of it.
    env.setdefault("DCR_DEFAULT_REGISTRATIONS_PER_MINUTE_PER_IP", "0")
    env.setdefault("DCR_DEFAULT_REGISTRATIONS_PER_MINUTE", "0")
    return env


@contextmanager
def _served_database(
    workdir: Path, statements: int = 1
) -> Iterator[tuple[dict[str, str], str, Prepared]]:
    """A fresh database, migrated and prepared (``bench/prepare.py``, with ``statements``
    pre-signed software statements), and the environment a server of it needs:
    (env, label, what was prepared)."""
    with fresh_database(workdir) as (database_url, db_label):
        env = _server_env(database_url)
        os.environ.update({k: env[k] for k in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL")})
        os.environ.setdefault("DJANGO_SECRET_KEY", env["DJANGO_SECRET_KEY"])
        os.environ.setdefault("DCR_ENCRYPTION_KEYS", env["DCR_ENCRYPTION_KEYS"])
        os.environ["DJANGO_ALLOWED_HOSTS"] = env["DJANGO_ALLOWED_HOSTS"]
        import django

        django.setup()
        from bench.prepare import prepare

        yield env, db_label, prepare(statements=statements)


def dcr_target(port: int) -> Target:
    ws = "/bench/{}"
    return Target(
        label="dcr",
        host="127.0.0.1",
        port=port,
        trivial="/bench/trivial",
        discovery=ws.format("open") + "/.well-known/openid-configuration",
        register=ws.format("open") + "/oauth2/register",
        register_steady=ws.format("steady") + "/oauth2/register",
        register_ss=ws.format("ss") + "/oauth2/register",
        register_at=ws.format("at") + "/oauth2/register",
        token=ws.format("open") + "/oauth2/token",
        token_at=ws.format("at") + "/oauth2/token",
    )


def peer_target(port: int) -> Target:
    return Target(
        label="node-oidc-provider",
        host="127.0.0.1",
        port=port,
        trivial="/bench/trivial",
        discovery="/.well-known/openid-configuration",
        register="/reg",
        register_ss="",
        register_at="",
        token="/token",
        token_at="",
    )


def _bench_dcr(
    args: argparse.Namespace, clients: Clients, workdir: Path, options: Options
) -> tuple[dict[str, RunResult], str]:
    with _served_database(workdir, STATEMENTS) as (env, db_label, prepared):
        server = serve(
            workers=args.workers, threads=args.threads, env=env, log=workdir / "gunicorn.log"
        )
        print(
            f"DCR server: {db_label}, {'bin/serve' if SERVE.exists() else 'gunicorn'} "
            f"{args.workers} workers x {args.threads} threads "
            f"on 127.0.0.1:{server.port}",
            flush=True,
        )
        server.start("/bench/trivial", cwd=BASE_DIR)
        try:
            inputs = Inputs(statements=prepared.statements, registrar=prepared.registrar)
            results = run_suite(
                clients, dcr_target(server.port), options, inputs, _say, server.cpu_seconds
            )
        finally:
            server.stop()
        return results, db_label


def _bench_memory(args: argparse.Namespace, clients: Clients, workdir: Path) -> dict[str, Any]:
    from bench import memory

    with _served_database(workdir) as (env, db_label, _prepared):
        server = serve(workers=args.workers, threads=args.threads, env=env, log=workdir / "mem.log")
        print(
            f"memory: {db_label}, {args.workers} workers x {args.threads} threads, "
            f"{args.registrations} registrations",
            flush=True,
        )
        server.start("/bench/trivial", cwd=BASE_DIR)
        try:
            document = memory.measure(
                clients,
                dcr_target(server.port),
                server,
                registrations=args.registrations,
                concurrency=args.concurrency,
            )
        finally:
            server.stop()
    document.update({"database": db_label, "workers": args.workers, "threads": args.threads})
    print()
    print(memory.render(document))
    return document


def _bench_servers(args: argparse.Namespace, clients: Clients, workdir: Path) -> dict[str, Any]:
    """The same two operations under each HTTP server, one after the other, in one run."""
    from bench.load import run
    from bench.servers import SERVER_KINDS, server_of_kind

    table: dict[str, Any] = {}
    with _served_database(workdir) as (env, db_label, _prepared):
        for kind in SERVER_KINDS:
            server = server_of_kind(
                kind,
                workers=args.workers,
                threads=args.threads,
                env=env,
                log=workdir / f"{kind}.log",
            )
            server.start("/bench/trivial", cwd=BASE_DIR)
            try:
                row: dict[str, Any] = {}
                for scenario in ("trivial", "register"):
                    result = run(
                        clients,
                        target=dcr_target(server.port),
                        scenario=scenario,
                        concurrency=args.concurrency,
                        duration=args.duration,
                    )
                    row[scenario] = {**result.summary(), "errors": sum(result.errors.values())}
                row["hostile_heads"] = heads.probe(server.port)
                table[kind] = row
                print(
                    f"  {kind:<8} trivial {row['trivial']['rps']:8.1f} req/s  register "
                    f"{row['register']['rps']:7.1f} req/s  (p99 {row['register']['p99_ms']} ms, "
                    f"errors {row['trivial']['errors'] + row['register']['errors']})",
                    flush=True,
                )
                for label, answer in row["hostile_heads"].items():
                    print(f"           {label}: {answer}", flush=True)
            finally:
                server.stop()
    return {"database": db_label, "workers": args.workers, "threads": args.threads, **table}


def _bench_scale_out(args: argparse.Namespace, clients: Clients, workdir: Path) -> dict[str, Any]:
    """The same operations with 1, 2 and 4 app processes against one database."""
    from bench import scaleout

    with _served_database(workdir) as (env, db_label, _prepared):
        print(
            f"scale-out: {db_label}, {args.threads} threads per process, "
            f"{args.concurrency} connections",
            flush=True,
        )

        def start_server(processes: int) -> Server:
            return serve(
                workers=processes, threads=args.threads, env=env, log=workdir / f"x{processes}.log"
            )

        document = scaleout.measure(
            clients,
            dcr_target,
            start_server,
            concurrency=args.concurrency,
            duration=args.duration,
        )
    document.update(
        {"database": db_label, "threads": args.threads, "concurrency": args.concurrency}
    )
    print()
    print(scaleout.render(document))
    return document


def _bench_peer(clients: Clients, workdir: Path, options: Options) -> dict[str, RunResult]:
    folder = install_peer()
    server: Server = peer(folder=folder, log=workdir / "peer.log")
    print(f"node-oidc-provider (one Node.js process) on 127.0.0.1:{server.port}", flush=True)
    server.start("/bench/trivial", cwd=folder)
    try:
        return run_suite(clients, peer_target(server.port), options, None, _say, server.cpu_seconds)
    finally:
        server.stop()


def dot_target(port: int) -> Target:
    return Target(
        label="django-oauth-toolkit",
        host="127.0.0.1",
        port=port,
        trivial="/bench/trivial",
        discovery="/o/.well-known/oauth-authorization-server",
        register="/o/register/",
        register_ss="",
        register_at="",
        token="/o/token/",
        token_at="",
    )


def _bench_dot(
    args: argparse.Namespace, clients: Clients, workdir: Path, options: Options, hasher: str
) -> dict[str, RunResult]:
    """django-oauth-toolkit's own DCR (bench/dot_peer) under the same gunicorn and database."""
    with fresh_database(workdir, suffix=f"bench_dot_{hasher}") as (database_url, _label):
        env = {
            **_server_env(database_url),
            "DJANGO_SETTINGS_MODULE": "bench.dot_peer.settings",
            "BENCH_DOT_HASHER": hasher,
        }
        subprocess.run(
            [sys.executable, "-m", "django", "migrate", "--verbosity", "0"],
            cwd=BASE_DIR,
            env=env,
            check=True,
        )
        # bin/serve's configuration loads this project's startup checks: DOT runs under
        # gunicorn's own command line with the same worker class, workers, threads, keep-alive.
        server = gunicorn(
            workers=args.workers,
            threads=args.threads,
            env=env,
            log=workdir / f"dot-{hasher}.log",
            app="bench.dot_peer.wsgi:application",
        )
        print(
            f"django-oauth-toolkit DCR ({hasher} hasher), gunicorn {args.workers} workers x "
            f"{args.threads} threads on 127.0.0.1:{server.port}",
            flush=True,
        )
        server.start("/bench/trivial", cwd=BASE_DIR)
        try:
            return run_suite(
                clients, dot_target(server.port), options, None, _say, server.cpu_seconds
            )
        finally:
            server.stop()


def _say(line: str) -> None:
    print(line, flush=True)


def _terminated(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds the ``finally`` blocks that stop the servers


def _run_mode(
    args: argparse.Namespace,
    workdir: Path,
    measure: Callable[[argparse.Namespace, Clients, Path], dict[str, Any]],
    filename: str,
) -> int:
    """One of the single-purpose modes (--servers, --scale-out, --memory): its document is
    written to bench/results/<filename> unless --no-save."""
    try:
        with Clients(args.clients) as clients:
            document = measure(args, clients, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if not args.no_save:
        folder = BASE_DIR / "bench" / "results"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / filename).write_text(json.dumps(document, indent=2) + "\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _terminated)
    args = parse_args(argv)
    options = Options(duration=args.duration, concurrency=args.concurrency)
    workdir = Path(tempfile.mkdtemp(prefix="dcr-bench-"))
    peer_results: dict[str, dict[str, RunResult]] = {}
    modes = (
        (args.servers, _bench_servers, "servers-latest.json"),
        (args.scale_out, _bench_scale_out, "scaleout-latest.json"),
        (args.memory, _bench_memory, "memory-latest.json"),
    )
    for chosen, measure, filename in modes:
        if chosen:
            return _run_mode(args, workdir, measure, filename)
    try:
        with Clients(args.clients) as clients:
            dcr_results, db_label = _bench_dcr(args, clients, workdir, options)
            if args.peer:
                peer_results["node-oidc-provider"] = _bench_peer(clients, workdir, options)
                peer_results["django-oauth-toolkit"] = _bench_dot(
                    args, clients, workdir, options, "default"
                )
                peer_results["django-oauth-toolkit (cheap hasher)"] = _bench_dot(
                    args, clients, workdir, options, "md5"
                )
    except (ServerError, SetupError, LoadError) as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    meta: dict[str, Any] = {
        "database": db_label,
        "gunicorn": {"workers": args.workers, "threads": args.threads, "worker_class": "gthread"},
        "duration_s": args.duration,
        "concurrency": args.concurrency,
        "load_processes": args.clients,
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "smoke": args.smoke,
    }
    document = report.build(meta, dcr_results, peer_results)
    print()
    print(report.render(document))
    if not args.no_save:
        written = report.save(document, BASE_DIR / "bench" / "results")
        print(f"\nwritten: {written} (and latest.json)")
    failures = report.failures(document)
    if failures:
        print("\nfailed: " + "; ".join(failures), file=sys.stderr)
        return 1 if args.smoke else 0
    return 0
