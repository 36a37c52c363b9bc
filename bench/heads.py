"""What an HTTP server answers to hostile request heads (``python -m bench --servers``).

``bin/serve`` must answer every bad request with a JSON error (issue 14) and refuse request heads
over its limits (a request line or a header field over 8,190 bytes, more than 100 fields). A
server the benchmark compares is only a candidate for ``bin/serve`` if it does the same; this
sends each head once over a plain socket and records the status and the media type of the answer
("(no body type)" when the answer has none, "closed without an answer" when there was none).
"""

from __future__ import annotations

import socket

HOST = b"Host: 127.0.0.1\r\n"
HOSTILE_HEADS: dict[str, bytes] = {
    "header field of 20,000 bytes": b"GET /bench/trivial HTTP/1.1\r\n"
    + HOST
    + b"X-Big: "
    + b"a" * 20_000
    + b"\r\n\r\n",
    "request line of 20,000 bytes": b"GET /" + b"a" * 20_000 + b" HTTP/1.1\r\n" + HOST + b"\r\n",
    "200 header fields": b"GET /bench/trivial HTTP/1.1\r\n"
    + HOST
    + b"".join(b"X-Field-%d: v\r\n" % n for n in range(200))
    + b"\r\n",
    "not HTTP": b"BLAH\r\n\r\n",
}


def _answer(port: int, raw: bytes) -> str:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(raw)
            head = b""
            while b"\r\n\r\n" not in head and len(head) < 65536:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                head += chunk
    except OSError as exc:
        return f"no answer ({type(exc).__name__})"
    if not head.startswith(b"HTTP/"):
        return "closed without an answer"
    lines = head.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    status = lines[0].split(" ", 2)[1] if len(lines[0].split(" ")) > 1 else "?"
    media_type = ""
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-type":
            media_type = value.split(";", 1)[0].strip()
    return f"{status} {media_type or '(no body type)'}"


def probe(port: int) -> dict[str, str]:
    """Each hostile head's answer: "431 application/json", "400 (no body type)", ..."""
    return {label: _answer(port, raw) for label, raw in HOSTILE_HEADS.items()}
