"""Fixtures for the operations suite: metric deltas, a log capture through the real handler."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterator

import pytest
from prometheus_client import REGISTRY

from operations.logs import RequestIdFilter, SecretSafetyFilter, formatter_for

SampleFn = Callable[..., float]


def sample(name: str, **labels: str) -> float:
    """The current value of one series of this process's registry (0 when it has none yet)."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture
def metric() -> SampleFn:
    return sample


class LogCapture:
    """Everything logged while it is installed, through the project's handler filters."""

    def __init__(self, log_format: str, level: int) -> None:
        self.stream = io.StringIO()
        self.handler = logging.StreamHandler(self.stream)
        self.handler.setFormatter(formatter_for(log_format))
        self.handler.addFilter(SecretSafetyFilter())
        self.handler.addFilter(RequestIdFilter())
        self.handler.setLevel(level)

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    @property
    def lines(self) -> list[str]:
        return [line for line in self.text.splitlines() if line.strip()]


@pytest.fixture
def capture_logs() -> Iterator[Callable[..., LogCapture]]:
    """``capture_logs(format="json", level=logging.DEBUG, everything=False)``: a capture on the
    root logger; ``everything`` also lowers every logger (oauthlib, django, DOT) to ``level``."""
    installed: list[LogCapture] = []
    saved_levels: dict[str, int] = {}
    root = logging.getLogger()
    saved_root = root.level

    def install(log_format: str = "json", level: int = logging.DEBUG, everything: bool = False):
        capture = LogCapture(log_format, level)
        root.addHandler(capture.handler)
        installed.append(capture)
        root.setLevel(min(root.level, level))
        if everything:
            for name in list(logging.root.manager.loggerDict):
                logger = logging.getLogger(name)
                saved_levels.setdefault(name, logger.level)
                logger.setLevel(level)
        return capture

    yield install
    for capture in installed:
        root.removeHandler(capture.handler)
    root.setLevel(saved_root)
    for name, level in saved_levels.items():
        logging.getLogger(name).setLevel(level)
