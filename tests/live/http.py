"""A raw HTTP/1.1 client for live tests: sends exactly the bytes given (hostile heads included)
and reads one response; a connection dropped without an answer raises ``Dropped``."""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit


class Dropped(AssertionError):
    """The server closed or reset the connection without a complete response."""


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    def json(self) -> Any:
        return json.loads(self.body)


def _encode(text: str) -> bytes:
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8")


def build(
    method: str,
    target: str,
    *,
    host: str,
    headers: dict[str, str] | None = None,
    body: bytes = b"",
    content_length: bool = True,
) -> bytes:
    """The request's bytes: ``target`` and header values sent as given (latin-1, else UTF-8)."""
    lines = [_encode(f"{method} {target} HTTP/1.1"), _encode(f"Host: {host}")]
    names = {name.lower() for name in headers or {}}
    for name, value in (headers or {}).items():
        lines.append(_encode(f"{name}: {value}"))
    if content_length and "content-length" not in names and (body or method in ("POST", "PUT")):
        lines.append(f"Content-Length: {len(body)}".encode())
    lines.append(b"Connection: close")
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def send(base_url: str, raw: bytes, *, timeout: float = 30) -> Answer:
    """Send ``raw`` to the server at ``base_url``; its answer."""
    parts = urlsplit(base_url)
    sock = socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), timeout)
    try:
        # The server may answer before reading the whole (oversized) request.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(raw)
        response = http.client.HTTPResponse(sock)
        try:
            response.begin()
            body = response.read()
        except (http.client.HTTPException, ConnectionError, TimeoutError, OSError) as exc:
            raise Dropped(f"no complete answer: {type(exc).__name__}: {exc}") from exc
        return Answer(
            status=response.status,
            headers={name.lower(): value for name, value in response.getheaders()},
            body=body,
        )
    finally:
        sock.close()


def request(
    base_url: str,
    method: str,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    body: bytes = b"",
    json_body: Any = None,
) -> Answer:
    """One well-formed request (``json_body`` sets the body and its Content-Type)."""
    headers = dict(headers or {})
    if json_body is not None:
        body = json.dumps(json_body).encode()
        headers.setdefault("Content-Type", "application/json")
    host = urlsplit(base_url).netloc
    return send(base_url, build(method, path, host=host, headers=headers, body=body))


def assert_json_4xx(answer: Answer) -> dict[str, Any]:
    """A refusal: 4xx, JSON, ``error`` and ``error_description`` both non-empty strings."""
    assert 400 <= answer.status < 500, (answer.status, answer.body[:300])
    assert answer.content_type == "application/json", (answer.headers, answer.body[:300])
    body = answer.json()
    assert isinstance(body, dict), body
    assert isinstance(body.get("error"), str) and body["error"], body
    assert isinstance(body.get("error_description"), str) and body["error_description"], body
    return body
