"""The examples run against the interop suite's live server (default/default, DCR on)."""

from tests.interop.conftest import live  # noqa: F401 -- the fixture, shared
