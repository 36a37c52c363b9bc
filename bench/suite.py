"""The sequence of timed scenarios and the untimed setup runs that feed them.

Setup (pre-issued access tokens, clients to read, update and delete) is done before each timed
run, over HTTP against the same server, so the same suite drives the DCR server and the peer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.load import Clients, RunResult, run
from bench.scenarios import Target

# (scenario, row label), in the order they run and print.
ROWS: list[tuple[str, str]] = [
    ("discovery", "discovery"),
    ("register", "register (open)"),
    ("register_ss", "register + software statement"),
    ("register_at", "register + access token"),
    ("read", "read (rotates the token)"),
    ("read_steady", "read (token_rotation=update)"),
    ("update", "update"),
    ("delete", "delete"),
    ("token", "token (client_credentials)"),
]
BASELINE = ("trivial", "trivial JSON view (baseline)")
MANAGED_PER_CONNECTION = 4
WARM_UP_PER_CONNECTION = 25


class SetupError(RuntimeError):
    """A setup run did not get what the next timed run needs."""


@dataclass(frozen=True)
class Options:
    duration: float
    concurrency: int


@dataclass(frozen=True)
class Inputs:
    """What only the DCR server has: signed statements and the registrar of ``bench/at``."""

    statements: list[str]
    registrar: tuple[str, str]


def run_suite(
    clients: Clients,
    target: Target,
    options: Options,
    inputs: Inputs | None,
    say: Callable[[str], None],
    server_cpu: Callable[[], float] | None = None,
) -> dict[str, RunResult]:
    c, d = options.concurrency, options.duration
    results: dict[str, RunResult] = {}

    def timed(name: str, pool: list[Any] | None = None) -> RunResult:
        before = server_cpu() if server_cpu else 0.0
        result = run(clients, target=target, scenario=name, concurrency=c, duration=d, pool=pool)
        if server_cpu and result.ok:
            # Includes the server's idle overhead during the run: small next to the requests.
            result.server_cpu_ms = (server_cpu() - before) * 1000 / result.ok
        say(
            f"  {name:<12} {result.rps:9.1f} req/s  p50 {result.p50_ms:7.2f} ms  "
            f"p99 {result.p99_ms:7.2f} ms  server CPU {result.server_cpu_ms or 0:6.2f} ms/req  "
            f"errors {sum(result.errors.values())}"
            + ("  (pool used up)" if result.exhausted else "")
        )
        if result.first_error:
            say(f"    first error: {result.first_error}")
        results[name] = result
        return result

    def setup(name: str, count: int, pool: list[Any] | None = None) -> list[Any]:
        result = run(clients, target=target, scenario=name, concurrency=c, count=count, pool=pool)
        if result.ok < count:
            raise SetupError(f"setup {name}: {result.ok}/{count} succeeded; {result.first_error}")
        return result.collected

    # Untimed warm-up: a freshly started server's workers import lazily, open their database
    # connections and fill their caches on their first requests; without it the first timed
    # row (the baseline every ratio divides by) measured a cold server.
    for warm in (BASELINE[0], "discovery", "register"):
        run(clients, target=target, scenario=warm, concurrency=c, count=WARM_UP_PER_CONNECTION * c)
    timed(BASELINE[0])
    timed("discovery")
    opened = list(timed("register").collected)
    others: list[Any] = []  # clients of the other workspaces: only deleted
    if target.register_ss and inputs is not None:
        others += timed("register_ss", inputs.statements).collected
    if target.register_at and inputs is not None:
        needed = int(results["register"].rps * d * 1.5) + 4 * c
        tokens = setup("issue_at", needed, [list(inputs.registrar)] * c)
        others += timed("register_at", tokens).collected

    managed = MANAGED_PER_CONNECTION * c
    if len(opened) < 2 * managed:
        opened += setup("register", 2 * managed - len(opened))
    timed("read", opened[:managed])
    if target.register_steady:
        timed("read_steady", setup("register_steady", managed))
    timed("update", opened[managed : 2 * managed])

    doomed = opened[2 * managed :] + others
    # Deleting is cheaper than registering: size the pool on the faster of read and register.
    needed = int(max(results["read"].rps, results["register"].rps) * d * 1.6) + 2 * c
    # A server that registers slowly (DOT with PBKDF2: ~10/s) would spend minutes on that setup:
    # at most three timed runs' worth of registrations; the delete run may then use up its pool
    # early (shown), its rate still measured over the time it ran.
    needed = min(needed, int(results["register"].rps * d * 3) + 2 * c)
    if len(doomed) < needed:
        doomed += setup("register", needed - len(doomed))
    timed("delete", doomed)

    timed("token", setup("register_service", c))
    return results
