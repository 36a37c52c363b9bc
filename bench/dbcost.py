"""``python -m bench.dbcost [--count N]``: what one open registration costs PostgreSQL.

A fresh ``<name>_dbcost`` database on the server of ``DATABASE_URL``; ``N`` registrations through
Django's test client; prints per registration: statements and round trips (Django's query log),
rows written (``pg_stat_user_tables``) and WAL bytes. WAL is shared by every database of the
server, so the bytes are summed from ``pg_walinspect``'s records that touch this database's
relations (plus their commit records), not read as a plain ``pg_current_wal_lsn()`` difference,
which other databases' writers on the same server would inflate.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path

from bench.scenarios import WEB_CLIENT


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.dbcost")
    parser.add_argument("--count", type=int, default=500)
    args = parser.parse_args(argv)
    from bench.runner import fresh_database

    with fresh_database(Path(tempfile.mkdtemp(prefix="dcr-dbcost-")), suffix="dbcost") as (
        url,
        label,
    ):
        if label != "PostgreSQL":
            raise SystemExit("bench.dbcost needs DATABASE_URL pointing at PostgreSQL")
        os.environ.update(
            {"DJANGO_SETTINGS_MODULE": "bench.settings", "DATABASE_URL": url, "DJANGO_DEBUG": "0"}
        )
        os.environ.setdefault("DJANGO_SECRET_KEY", "dbcost-only-key")
        os.environ.setdefault("DCR_ENCRYPTION_KEYS", "dbcost-only-encryption-key")
        os.environ.setdefault("DCR_DEFAULT_REGISTRATIONS_PER_MINUTE_PER_IP", "0")
        os.environ.setdefault("DCR_DEFAULT_REGISTRATIONS_PER_MINUTE", "0")
        import django

        django.setup()
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext

        from bench.prepare import prepare

        prepare(statements=1)
        http = Client(HTTP_HOST="127.0.0.1")
        body = json.dumps(WEB_CLIENT)

        def register() -> None:
            response = http.post(
                "/bench/open/oauth2/register", body, content_type="application/json"
            )
            assert response.status_code == 201, response.content

        for _ in range(20):
            register()
        with connection.cursor() as cursor:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_walinspect")
            cursor.execute("SELECT oid FROM pg_database WHERE datname = current_database()")
            (database_oid,) = cursor.fetchone()
            cursor.execute("SELECT pg_stat_force_next_flush()")
            cursor.execute(
                "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_user_tables"
            )
            (rows_before,) = cursor.fetchone()
            cursor.execute("SELECT pg_current_wal_insert_lsn()")
            (start,) = cursor.fetchone()
        with CaptureQueriesContext(connection) as queries:
            for _ in range(args.count):
                register()
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_insert_lsn()")
            (end,) = cursor.fetchone()
            cursor.execute("SELECT pg_stat_force_next_flush()")
        connection.close()  # a new backend sees the flushed statistics
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_user_tables"
            )
            (rows_after,) = cursor.fetchone()
            # Records on this database's relations; COMMIT records name no relation and are
            # counted by the number of our transactions (one per registration), 34 bytes each
            # is PostgreSQL's minimal commit record.
            cursor.execute(
                "SELECT count(*), coalesce(sum(record_length), 0), coalesce(sum(fpi_length), 0) "
                "FROM pg_get_wal_records_info(%s, %s) WHERE block_ref LIKE %s",
                [start, end, f"%/{database_oid}/%"],
            )
            records, wal_bytes, fpi_bytes = cursor.fetchone()
            cursor.execute("SELECT pg_wal_lsn_diff(%s, %s)", [end, start])
            (server_wal,) = cursor.fetchone()
        n = args.count
        statements = [q["sql"].split()[0].upper() for q in queries.captured_queries]
        print(f"{n} open registrations on {label}, per registration:")
        print(f"  statements (round trips): {len(statements) / n:.2f}  {sorted(set(statements))}")
        print(f"  rows written:             {(rows_after - rows_before) / n:.2f}")
        print(f"  WAL records:              {records / n:.1f}")
        print(
            f"  WAL bytes:                {wal_bytes / n:.0f} (of which full-page images "
            f"{fpi_bytes / n:.0f}), plus a commit record"
        )
        print(f"  (the whole server wrote {float(server_wal) / n:.0f} WAL bytes per registration")
        print("   meanwhile, other databases' writers included)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
