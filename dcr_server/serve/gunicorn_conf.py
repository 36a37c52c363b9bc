"""gunicorn settings for ``bin/serve`` (the production HTTP server); see docs/serving.md.

Read by ``gunicorn --config python:dcr_server.serve.gunicorn_conf``. Where and how much comes from
``HOST`` (127.0.0.1), ``PORT`` (8000), ``WORKERS`` (two per core) and ``THREADS`` (4); the rest
is fixed here on purpose, so every deployment runs the configuration the live tests exercise.
"""

from __future__ import annotations

import os

from dcr_server.env import env_int, env_str
from operations.gunicorn import (  # noqa: F401 - gunicorn reads these hooks by name
    child_exit,
    logger_class_for_env,
    on_exit,
    prepare_metrics_dir,
)

# Prometheus multiprocess collection (docs/operations.md): the directory every worker writes its
# counts to, wiped now, before the app is preloaded and workers fork; a dead worker's live gauges
# are dropped by child_exit, the directory removed by on_exit.
prepare_metrics_dir()
# DCR_LOG_FORMAT=json: gunicorn's own log lines in the same JSON format as the app's.
logger_class = logger_class_for_env()


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))  # the cores this process may use (containers)
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


_host = env_str("HOST", "127.0.0.1") or "127.0.0.1"
_port = env_int("PORT", 8000)
bind = [f"[{_host}]:{_port}" if ":" in _host else f"{_host}:{_port}"]

wsgi_app = "dcr_server.wsgi:application"
# Threads per process: a request waiting on PostgreSQL, Redis or a client's JWKS URI frees the
# core for another, and idle keep-alive connections wait in the worker's poller, not a thread.
worker_class = "dcr_server.serve.worker.JSONErrorThreadWorker"
workers = env_int("WORKERS", 2 * _cores()) or 2 * _cores()
threads = env_int("THREADS", 4) or 4
# Load the application in the master: a configuration error (a missing DJANGO_SECRET_KEY or
# DCR_ENCRYPTION_KEYS) stops the start with its one-line message instead of a worker boot loop.
preload_app = True

# A worker silent this long is killed and replaced (the longest legitimate request is a 3 s
# client-URL fetch); SIGTERM lets requests in flight finish for graceful_timeout seconds.
timeout = 30
graceful_timeout = 20
# Longer than a load balancer's idle timeout (AWS ALB 60 s), so the balancer closes first and
# never writes into a connection this side has just closed.
keepalive = 75

# Request-head limits (gunicorn's own maximum for the request line; the header counts of nginx's
# default large_client_header_buffers). A request over them gets a JSON 414/431 from the worker
# class above, never gunicorn's HTML page. Bodies are capped by Django (DCR_MAX_BODY_BYTES).
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190

# X-Forwarded-Proto and friends only from the proxies Django trusts (DCR_TRUSTED_PROXY_NETWORKS);
# gunicorn's default would trust 127.0.0.1, which is any local process.
forwarded_allow_ips = env_str("DCR_TRUSTED_PROXY_NETWORKS", "")

# Errors and start/stop to stderr; no access log by default (a front proxy keeps one).
errorlog = "-"
loglevel = env_str("GUNICORN_LOG_LEVEL", "info") or "info"
accesslog = env_str("GUNICORN_ACCESS_LOG") or None
proc_name = "dcr-server"
# gunicorn's run-time control socket (gunicornc) lives at one path per user: two instances on
# one host would fight over it, and nothing here needs it.
control_socket_disable = True


def when_ready(server: object) -> None:
    """In the master, once the app is loaded: report secrets no configured key decrypts."""
    from dcr_server.serve.startup import freeze_loaded_objects, report_undecryptable_secrets

    report_undecryptable_secrets(server.log)  # type: ignore[attr-defined]
    freeze_loaded_objects()  # last: the workers fork next
