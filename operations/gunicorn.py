"""gunicorn hooks: one metrics directory per server run, dead workers marked, JSON logs.

A gunicorn configuration module wires them with three lines (``bin/serve``'s does)::

    from operations.gunicorn import child_exit, logger_class_for_env, on_exit, prepare_metrics_dir
    prepare_metrics_dir()
    logger_class = logger_class_for_env()

``prepare_metrics_dir`` runs while gunicorn reads its configuration, in the master, before the
application is imported (also with ``preload_app``): prometheus-client chooses its multiprocess
storage when it is first imported, from ``PROMETHEUS_MULTIPROC_DIR``. Every worker then writes
its values into that directory and ``/metrics`` sums them (``operations.exposition``).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from gunicorn.glogging import Logger

from operations.logs import JSONFormatter, RequestIdFilter

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
_OWNER_ENV = "DCR_METRICS_DIR_OWNER"  # the master that prepared the directory (reloads keep it)
_CREATED_ENV = "DCR_METRICS_DIR_CREATED"  # "1" when the directory is ours to remove at exit


def prepare_metrics_dir() -> str:
    """Point ``PROMETHEUS_MULTIPROC_DIR`` at an empty directory for this run and return it.

    The operator's directory when set (its ``*.db`` files, left by an earlier run, are removed:
    counts start at zero with the server, which Prometheus reads as a counter reset); else a new
    private temporary directory, removed again by :func:`on_exit`. Re-reading the configuration
    (SIGHUP) in the same master keeps the directory and its counts.
    """
    path = os.environ.get(MULTIPROC_ENV, "")
    if path and os.environ.get(_OWNER_ENV) == str(os.getpid()):
        return path
    if path:
        Path(path).mkdir(parents=True, exist_ok=True)
        for stale in Path(path).glob("*.db"):
            stale.unlink()
        os.environ[_CREATED_ENV] = "0"
    else:
        path = tempfile.mkdtemp(prefix="dcr-metrics-")
        os.environ[MULTIPROC_ENV] = path
        os.environ[_CREATED_ENV] = "1"
    os.environ[_OWNER_ENV] = str(os.getpid())
    return path


def child_exit(server: Any, worker: Any) -> None:
    """gunicorn hook (master): a worker exited; its live-gauge files are dropped (counters and
    histograms keep its counts, which the scrape still sums)."""
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def on_exit(server: Any) -> None:
    """gunicorn hook (master): the server stops; a temporary metrics directory goes with it."""
    path = os.environ.get(MULTIPROC_ENV, "")
    if path and os.environ.get(_CREATED_ENV) == "1":
        shutil.rmtree(path, ignore_errors=True)


class JSONLogger(Logger):
    """gunicorn's logger, writing its error (and, when enabled, access) log as JSON lines."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(JSONFormatter())
                handler.addFilter(RequestIdFilter())


def logger_class_for_env() -> str:
    """gunicorn's ``logger_class``: JSON lines when ``DCR_LOG_FORMAT=json``, else its own."""
    if os.environ.get("DCR_LOG_FORMAT", "text").strip().lower() == "json":
        return f"{JSONLogger.__module__}.{JSONLogger.__qualname__}"
    return "gunicorn.glogging.Logger"
