"""Log formats: text (the default) or one JSON object per line (``DCR_LOG_FORMAT=json``).

Stdlib ``logging`` throughout, so Django's, DOT's, oauthlib's and gunicorn's loggers all go
through the same handler. The JSON formatter is python-json-logger's (a well-kept formatter that
already renders extras, exceptions and non-JSON values safely); this module only fixes the field
names: ``time`` (ISO 8601, UTC), ``level``, ``logger``, ``message``, ``request_id``, ``process``,
then any ``extra`` the call passed (the access log's ``method``, ``route``, ``status``, ...).

Imported by the settings module: stdlib and python-json-logger only, no Django.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from pythonjsonlogger.json import JsonFormatter

from operations.request_id import current_request_id

LOG_FORMATS = ("text", "json")
ACCESS_LOGGER = "dcr.access"

# Loggers known to write secrets below INFO: oauthlib logs issued access and refresh tokens and
# the request body (client_secret, code_verifier) at DEBUG. Their records below INFO are dropped
# at the handler, whatever level an operator configures.
SECRET_BEARING_LOGGERS = ("oauthlib", "requests_oauthlib")


class RequestIdFilter(logging.Filter):
    """Stamp every record with the current request's id (None outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id()
        return True


class SecretSafetyFilter(logging.Filter):
    """Drop the DEBUG records of loggers that put tokens and secrets in them."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.INFO:
            return True
        name = record.name
        return not any(
            name == prefix or name.startswith(prefix + ".") for prefix in SECRET_BEARING_LOGGERS
        )


class JSONFormatter(JsonFormatter):
    """``{"time", "level", "logger", "message", "request_id", "process", ...extras}``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("fmt", ["levelname", "name", "message", "request_id", "process"])
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        # Keep gunicorn's and Django's own record attributes out; extras still come through.
        kwargs.setdefault("reserved_attrs", [*_RESERVED, "request_id"])
        super().__init__(*args, **kwargs)

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        log_data["time"] = datetime.fromtimestamp(record.created, tz=UTC).isoformat(
            timespec="milliseconds"
        )
        super().add_fields(log_data, record, message_dict)
        if getattr(record, "request", None) is not None:
            log_data.pop("request", None)  # django.request's HttpRequest: not data, maybe secret


class TextFormatter(logging.Formatter):
    """``2026-12-01 20:31:07,123 WARNING django.request [<request id>] Bad Request: /x``."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        # "-" for this line only: other handlers see the record as it was.
        missing = getattr(record, "request_id", None) is None
        if missing:
            record.request_id = "-"
        try:
            return super().format(record)
        finally:
            if missing:
                record.request_id = None


# The attributes of a LogRecord (and the extras Django and gunicorn attach) that are not data.
_RESERVED = (
    "args",
    "asctime",
    "created",
    "exc_info",
    "exc_text",
    "filename",
    "funcName",
    "levelname",
    "levelno",
    "lineno",
    "module",
    "msecs",
    "message",
    "msg",
    "name",
    "pathname",
    "process",
    "processName",
    "relativeCreated",
    "stack_info",
    "taskName",
    "thread",
    "threadName",
    "status_code",  # django.request: the status is in the message
    "server_time",  # django.server
    "request",  # django.request: the HttpRequest object
)


def formatter_for(log_format: str) -> logging.Formatter:
    if log_format == "json":
        return JSONFormatter()
    return TextFormatter()


def logging_config(*, log_format: str, level: str = "WARNING") -> dict[str, Any]:
    """The ``LOGGING`` dict: one stderr handler with the request id, in ``log_format``."""
    if log_format not in LOG_FORMATS:
        raise ValueError(f"DCR_LOG_FORMAT must be text or json, not {log_format!r}")
    formatter = (
        {"()": "operations.logs.JSONFormatter"}
        if log_format == "json"
        else {"()": "operations.logs.TextFormatter"}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": "operations.logs.RequestIdFilter"},
            "secret_safety": {"()": "operations.logs.SecretSafetyFilter"},
        },
        "formatters": {"default": formatter},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "filters": ["secret_safety", "request_id"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # DOT logs client ids and failure reasons at debug; never secrets. Keep it quiet anyway.
            "oauth2_provider": {"level": "WARNING"},
            # oauthlib logs issued access and refresh tokens at DEBUG: never below INFO (and the
            # handler's SecretSafetyFilter drops its DEBUG records even if this is lowered).
            "oauthlib": {"level": "INFO", "propagate": True},
            "django.request": {"level": "ERROR"},
            # One line per request (operations.middleware); DCR_ACCESS_LOG=0 turns it off.
            ACCESS_LOGGER: {"level": "INFO"},
        },
    }
