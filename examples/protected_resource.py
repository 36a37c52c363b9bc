"""An example protected resource (RFC 9728) that uses a dcr-server workspace as its
authorization server, as an MCP server does. Standard library only, so it runs anywhere:

    python examples/protected_resource.py \\
        --issuer http://127.0.0.1:8000/default/default \\
        --client-id RS_CLIENT_ID --client-secret RS_CLIENT_SECRET --port 9000

``RS_CLIENT_ID``/``RS_CLIENT_SECRET`` are a client created by an administrator
(``python manage.py dcr resource-server default/default``): only such clients may introspect
tokens issued to other clients (RFC 7662 §4). The resource identifier is
``http://HOST:PORT/mcp`` (``--path`` changes the path); register it with
``python manage.py workspace resources default/default --add URI`` to make the workspace
refuse every other resource.

What it does:

- ``GET /.well-known/oauth-protected-resource/mcp`` (RFC 9728 §3.1: the well-known suffix is
  inserted before the resource's path) answers the resource's metadata: its identifier, the
  workspace as its authorization server, header-only bearer tokens.
- Any other request needs ``Authorization: Bearer <token>``. The token is checked by RFC 7662
  introspection: active, issued by this workspace (``iss``), and audience-bound to this
  resource (``aud`` holds the resource identifier, RFC 8707 §2). Otherwise 401 with
  ``WWW-Authenticate: Bearer error="invalid_token", resource_metadata="..."`` (RFC 6750 §3,
  RFC 9728 §5.1), which is how an MCP client finds the authorization server.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

WELL_KNOWN = "/.well-known/oauth-protected-resource"
TIMEOUT = 10


class InvalidToken(Exception):
    """The bearer token does not grant access to this resource (the reason is for logs)."""


@dataclass
class ResourceConfig:
    resource: str
    """This resource's identifier: an absolute https (or loopback http) URI, RFC 9728 §2."""
    issuer: str
    """The workspace's issuer, e.g. ``https://auth.example.com/acme/prod``."""
    client_id: str
    client_secret: str
    scopes_supported: Sequence[str] = ()
    introspection_endpoint: str = ""
    """Taken from the authorization server's metadata (RFC 8414) when empty."""


def metadata_url(resource: str) -> str:
    """RFC 9728 §3.1: the well-known URI is inserted between the host and the path."""
    parts = urllib.parse.urlsplit(resource)
    path = parts.path.rstrip("/")
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, WELL_KNOWN + path, "", ""))


def metadata_document(config: ResourceConfig) -> dict[str, Any]:
    """RFC 9728 §2: the protected resource's metadata."""
    document: dict[str, Any] = {
        "resource": config.resource,  # REQUIRED, equal to the identifier (§3.3)
        "authorization_servers": [config.issuer],
        "bearer_methods_supported": ["header"],  # RFC 6750 §2.1 only
        "resource_name": "Example protected resource",
    }
    if config.scopes_supported:
        document["scopes_supported"] = list(config.scopes_supported)
    return document


def _post_form(url: str, fields: dict[str, str], basic: tuple[str, str]) -> dict[str, Any]:
    # RFC 6749 §2.3.1: client_id and secret are form-urlencoded before Basic encoding.
    user, password = (urllib.parse.quote(part, safe="") for part in basic)
    credentials = base64.b64encode(f"{user}:{password}".encode()).decode()
    request = urllib.request.Request(  # noqa: S310 -- the configured issuer's endpoint
        url,
        data=urllib.parse.urlencode(fields).encode(),
        headers={"Authorization": f"Basic {credentials}", "Accept": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310 -- configured URL
        result: dict[str, Any] = json.load(response)
    return result


@dataclass
class TokenChecker:
    """Bearer tokens checked by introspection at the workspace (RFC 7662)."""

    config: ResourceConfig
    checked: list[dict[str, Any]] = field(default_factory=list)

    def introspection_endpoint(self) -> str:
        if not self.config.introspection_endpoint:
            url = self.config.issuer + "/.well-known/oauth-authorization-server"
            with urllib.request.urlopen(url, timeout=TIMEOUT) as response:  # noqa: S310
                metadata = json.load(response)
            # RFC 8414 §3.3: the metadata must name the issuer it was fetched for.
            if metadata.get("issuer") != self.config.issuer:
                raise InvalidToken("authorization server metadata names another issuer")
            self.config.introspection_endpoint = str(metadata["introspection_endpoint"])
        return self.config.introspection_endpoint

    def check(self, token: str) -> dict[str, Any]:
        """The introspection answer for a token this resource accepts, else InvalidToken."""
        info = _post_form(
            self.introspection_endpoint(),
            {"token": token, "token_type_hint": "access_token"},
            (self.config.client_id, self.config.client_secret),
        )
        self.checked.append({k: info.get(k) for k in ("active", "aud", "client_id", "iss")})
        if info.get("active") is not True:  # RFC 7662 §2.2
            raise InvalidToken("token is not active")
        if info.get("iss") != self.config.issuer:
            raise InvalidToken("token was issued by another authorization server")
        audience = info.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        # RFC 8707 §2 / MCP authorization: accept only tokens issued for this resource; a token
        # without an audience could be replayed here from any other resource.
        if self.config.resource not in audiences:
            raise InvalidToken("token is not for this resource")
        exp = info.get("exp")
        if isinstance(exp, int) and exp <= time.time():
            raise InvalidToken("token has expired")
        return info


def _handler(config: ResourceConfig, checker: TokenChecker) -> type[BaseHTTPRequestHandler]:
    resource_path = urllib.parse.urlsplit(config.resource).path or "/"
    metadata_path = urllib.parse.urlsplit(metadata_url(config.resource)).path

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def _challenge(self, error: str | None) -> None:
            # RFC 6750 §3 / RFC 9728 §5.1: point the client at the resource's metadata.
            params = [f'resource_metadata="{metadata_url(config.resource)}"']
            if error:
                params.insert(0, f'error="{error}"')
            self._json(
                401,
                {"error": error or "unauthorized"},
                {"WWW-Authenticate": "Bearer " + ", ".join(params)},
            )

        def _handle(self) -> None:
            path = urllib.parse.urlsplit(self.path).path
            if self.command == "GET" and path == metadata_path:
                self._json(200, metadata_document(config))
                return
            if path != resource_path:
                self._json(404, {"error": "not_found"})
                return
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(min(length, 1 << 20)) if length else b""
            scheme, _, token = self.headers.get("Authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                self._challenge(None)  # RFC 6750 §3.1: no error code without a token
                return
            try:
                info = checker.check(token.strip())
            except InvalidToken:
                self._challenge("invalid_token")
                return
            request_id = None
            with contextlib.suppress(ValueError, AttributeError):
                request_id = json.loads(body or b"null").get("id")
            # A JSON-RPC-shaped answer, so an MCP client's first call succeeds.
            self._json(
                200,
                {
                    "jsonrpc": "2.0",
                    "id": request_id,
                    "result": {"client_id": info.get("client_id"), "scope": info.get("scope")},
                },
            )

        do_GET = _handle
        do_POST = _handle

    return Handler


@dataclass
class RunningResource:
    config: ResourceConfig
    checker: TokenChecker
    server: ThreadingHTTPServer
    thread: threading.Thread

    @property
    def resource(self) -> str:
        return self.config.resource

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


def start(
    *,
    issuer: str,
    client_id: str,
    client_secret: str,
    host: str = "127.0.0.1",
    port: int = 0,
    path: str = "/mcp",
    scopes_supported: Sequence[str] = (),
) -> RunningResource:
    """Serve the example on ``host:port`` (0: any free port) in a background thread."""
    server = ThreadingHTTPServer((host, port), BaseHTTPRequestHandler)
    bound_port = server.server_address[1]
    config = ResourceConfig(
        resource=f"http://{host}:{bound_port}{path}",
        issuer=issuer.rstrip("/"),
        client_id=client_id,
        client_secret=client_secret,
        scopes_supported=tuple(scopes_supported),
    )
    checker = TokenChecker(config)
    server.RequestHandlerClass = _handler(config, checker)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return RunningResource(config=config, checker=checker, server=server, thread=thread)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--issuer", required=True, help="the workspace's issuer URL")
    parser.add_argument("--client-id", required=True, help="the resource server's client_id")
    parser.add_argument("--client-secret", required=True, help="its client secret")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--path", default="/mcp", help="the resource's path (default /mcp)")
    args = parser.parse_args(argv)
    running = start(
        issuer=args.issuer,
        client_id=args.client_id,
        client_secret=args.client_secret,
        host=args.host,
        port=args.port,
        path=args.path,
    )
    print(f"resource {running.resource}")
    print(f"metadata {metadata_url(running.resource)}")
    try:
        running.thread.join()
    except KeyboardInterrupt:
        running.stop()


if __name__ == "__main__":
    main()
