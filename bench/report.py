"""The results document (JSON under bench/results/) and its table on the terminal."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.load import RunResult
from bench.suite import BASELINE, ROWS

# (our operation, the peer's): the peers' reads keep the registration access token, so ours is
# compared twice, as the workspace default runs it (rotating) and with the peers' work.
COMPARED_WITH_PEER = (
    ("discovery", "discovery"),
    ("register", "register"),
    ("read", "read"),
    ("read_steady", "read"),
    ("update", "update"),
    ("delete", "delete"),
    ("token", "token"),
)

# What each peer's rows do differently from ours (shown in its row labels).
PEER_LABELS = {
    # node-oidc-provider and DOT rotate the registration access token on PUT only, never on GET.
    "node-oidc-provider": {"read": "read (no rotation on GET)"},
    "django-oauth-toolkit": {"read": "read (no rotation on GET)"},
    "django-oauth-toolkit (cheap hasher)": {"read": "read (no rotation on GET)"},
}
PEER_DESCRIPTIONS = {
    "node-oidc-provider": "node-oidc-provider (one Node.js process, in-memory storage)",
    "django-oauth-toolkit": "django-oauth-toolkit's own DCR (same gunicorn and database; "
    "PBKDF2 client secrets, its default)",
    "django-oauth-toolkit (cheap hasher)": "django-oauth-toolkit's own DCR (same gunicorn and "
    "database; MD5 password hasher for the client secrets)",
}


def _section(results: dict[str, RunResult], labels: dict[str, str] | None = None) -> dict[str, Any]:
    baseline = results[BASELINE[0]]
    rows = []
    for name, label in [BASELINE, *ROWS]:
        if name not in results:
            continue
        row = {"label": (labels or {}).get(name, label), **results[name].summary()}
        row["vs_baseline"] = round(results[name].rps / baseline.rps, 4) if baseline.rps else None
        rows.append(row)
    return {"baseline_rps": round(baseline.rps, 1), "rows": rows}


def build(
    meta: dict[str, Any],
    dcr: dict[str, RunResult],
    peers: dict[str, dict[str, RunResult]] | None = None,
) -> dict[str, Any]:
    document: dict[str, Any] = {
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        **meta,
        "dcr": _section(dcr),
    }
    if peers:
        document["peers"] = {}
        document["dcr_vs"] = {}
        for name, results in peers.items():
            document["peers"][name] = _section(results, PEER_LABELS.get(name))
            document["dcr_vs"][name] = {
                ours: round(dcr[ours].rps / results[theirs].rps, 3)
                for ours, theirs in COMPARED_WITH_PEER
                if ours in dcr and theirs in results and results[theirs].rps
            }
    return document


def _table(section: dict[str, Any]) -> list[str]:
    lines = [
        f"{'operation':<32}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'x base':>8}"
        f"{'CPU ms':>8}{'errors':>8}"
    ]
    for row in section["rows"]:
        ratio = row["vs_baseline"]
        lines.append(
            f"{row['label']:<32}{row['rps']:>9.1f}{row['p50_ms']:>9.2f}{row['p99_ms']:>9.2f}"
            f"{ratio if ratio is not None else float('nan'):>8.3f}"
            f"{row['server_cpu_ms'] if row['server_cpu_ms'] is not None else float('nan'):>8.2f}"
            f"{sum(row['errors'].values()):>8}"
        )
    return lines


def render(document: dict[str, Any]) -> str:
    gunicorn = document["gunicorn"]
    lines = [
        f"DCR server on {document['database']}, gunicorn {gunicorn['workers']} workers x "
        f"{gunicorn['threads']} threads; {document['concurrency']} keep-alive connections from "
        f"{document['load_processes']} load processes; {document['duration_s']} s per operation; "
        f"{document['cpus']} CPUs shared by server and load",
        "(CPU ms: the server's CPU time per request, whatever else the machine was doing)",
        *_table(document["dcr"]),
    ]
    for name, section in document.get("peers", {}).items():
        lines += ["", PEER_DESCRIPTIONS.get(name, name)]
        lines += _table(section)
    if document.get("dcr_vs"):
        names = list(document["dcr_vs"])
        lines += ["", "DCR server / peer (req/s ratio, same run)"]
        lines.append(f"  {'operation':<12}" + "".join(f"{name[:24]:>26}" for name in names))
        for op, _theirs in COMPARED_WITH_PEER:
            cells = [document["dcr_vs"][name].get(op) for name in names]
            if any(cell is not None for cell in cells):
                lines.append(
                    f"  {op:<12}"
                    + "".join(
                        f"{cell:>26.3f}" if cell is not None else f"{'-':>26}" for cell in cells
                    )
                )
    return "\n".join(lines)


def save(document: dict[str, Any], folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    text = json.dumps(document, indent=2) + "\n"
    path = folder / f"{stamp}.json"
    path.write_text(text)
    (folder / "latest.json").write_text(text)
    return path


def failures(document: dict[str, Any]) -> list[str]:
    """Operations of the DCR server that failed or never succeeded."""
    problems = []
    for row in document["dcr"]["rows"]:
        if row["errors"] or row["requests"] == 0:
            problems.append(f"{row['scenario']}: {row['requests']} ok, {row['first_error']}")
    return problems
