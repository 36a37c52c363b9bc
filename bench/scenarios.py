"""The benchmark's requests, one class per operation. Plain Python: no Django import.

A scenario is built inside a client thread from its name, the target's paths and the
connection's share of the pool. ``next_request`` returns the next request (``None`` once a
single-use pool is used up); ``succeeded`` may return something to collect (a registered client,
an access token) and keeps state such as the rotated registration access token.
"""

from __future__ import annotations

import base64
import itertools
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

WEB_CLIENT: dict[str, Any] = {
    "client_name": "Bench web client",
    "grant_types": ["authorization_code", "refresh_token"],
    "redirect_uris": ["https://app.example.com/callback"],
}
SERVICE_CLIENT: dict[str, Any] = {
    "client_name": "Bench service",
    "grant_types": ["client_credentials"],
    "response_types": [],
}


@dataclass(frozen=True)
class Target:
    """Where a server answers each operation (the DCR server and node-oidc-provider differ)."""

    label: str
    host: str
    port: int
    trivial: str
    discovery: str
    register: str  # open registration
    register_ss: str  # software statement required ("" when the server has no such mode)
    register_at: str  # initial access token required ("" likewise)
    token: str  # token endpoint of the open workspace
    token_at: str  # token endpoint of the access-token workspace (the registrar's)
    # open registration in a workspace that rotates the registration access token on update
    # only, as the peers do ("" when the server has no such mode)
    register_steady: str = ""


@dataclass(frozen=True)
class Request:
    raw: bytes
    expect: int


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def build(
    target: Target,
    method: str,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    body: bytes = b"",
    content_type: str = "application/json",
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {target.host}:{target.port}"]
    lines.append("User-Agent: dcr-bench")
    if body or method in ("POST", "PUT"):
        lines.append(f"Content-Type: {content_type}")
        lines.append(f"Content-Length: {len(body)}")
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def path_of(uri: str) -> str:
    return urlsplit(uri).path


class Scenario:
    name = ""

    def __init__(self, target: Target, items: list[Any]) -> None:
        self.target = target
        self.items = items

    def next_request(self) -> Request | None:
        raise NotImplementedError

    def succeeded(self, request: Request, reply: Reply) -> Any:
        return None

    def failed(self, request: Request, reply: Reply) -> None:
        return None


class Fixed(Scenario):
    """The same request every time."""

    method = "GET"
    expect = 200

    def path(self) -> str:
        raise NotImplementedError

    def next_request(self) -> Request | None:
        if not hasattr(self, "_request"):
            self._request = Request(build(self.target, self.method, self.path()), self.expect)
        return self._request


class Trivial(Fixed):
    name = "trivial"

    def path(self) -> str:
        return self.target.trivial


class Discovery(Fixed):
    name = "discovery"

    def path(self) -> str:
        return self.target.discovery


def _registered(reply: Reply) -> list[str]:
    """What later scenarios need of a registration: [management path, token, client_id]."""
    body = reply.json()
    return [
        path_of(body["registration_client_uri"]),
        body["registration_access_token"],
        body["client_id"],
    ]


class RegisterOpen(Scenario):
    name = "register"
    body: dict[str, Any] = WEB_CLIENT

    def next_request(self) -> Request | None:
        if not hasattr(self, "_request"):
            raw = build(
                self.target, "POST", self.target.register, body=json.dumps(self.body).encode()
            )
            self._request = Request(raw, 201)
        return self._request

    def succeeded(self, request: Request, reply: Reply) -> Any:
        return _registered(reply)


class RegisterSteady(RegisterOpen):
    """Setup: clients of the workspace that does not rotate on read; collected like register."""

    name = "register_steady"

    def next_request(self) -> Request | None:
        if not hasattr(self, "_request"):
            body = json.dumps(self.body).encode()
            raw = build(self.target, "POST", self.target.register_steady, body=body)
            self._request = Request(raw, 201)
        return self._request


class RegisterService(RegisterOpen):
    """Setup: client_credentials clients for the token scenario; collects (id, secret)."""

    name = "register_service"
    body = SERVICE_CLIENT

    def succeeded(self, request: Request, reply: Reply) -> Any:
        body = reply.json()
        return [body["client_id"], body["client_secret"]]


class RegisterSoftwareStatement(Scenario):
    """Items: pre-signed software statements (not single use), taken in turn."""

    name = "register_ss"

    def __init__(self, target: Target, items: list[Any]) -> None:
        super().__init__(target, items)
        self.requests = itertools.cycle(
            [
                Request(
                    build(
                        target,
                        "POST",
                        target.register_ss,
                        body=json.dumps({"software_statement": statement, **WEB_CLIENT}).encode(),
                    ),
                    201,
                )
                for statement in items
            ]
        )

    def next_request(self) -> Request | None:
        return next(self.requests, None)

    def succeeded(self, request: Request, reply: Reply) -> Any:
        return _registered(reply)


class RegisterAccessToken(Scenario):
    """Items: single-use initial access tokens (a registration consumes its token)."""

    name = "register_at"

    def __init__(self, target: Target, items: list[Any]) -> None:
        super().__init__(target, items)
        self.body = json.dumps(WEB_CLIENT).encode()
        self.tokens = iter(items)

    def next_request(self) -> Request | None:
        token = next(self.tokens, None)
        if token is None:
            return None
        headers = {"Authorization": f"Bearer {token}"}
        raw = build(self.target, "POST", self.target.register_at, headers=headers, body=self.body)
        return Request(raw, 201)

    def succeeded(self, request: Request, reply: Reply) -> Any:
        return _registered(reply)


class Managed(Scenario):
    """Items: [path, registration access token, client_id] lists, used in turn; the token that
    comes back (rotation) replaces the one sent."""

    def __init__(self, target: Target, items: list[Any]) -> None:
        super().__init__(target, items)
        self.index = -1
        self.sent = 0

    def current(self) -> list[str] | None:
        if not self.items:
            return None
        self.index = (self.index + 1) % len(self.items)
        return self.items[self.index]

    def succeeded(self, request: Request, reply: Reply) -> Any:
        token = reply.json().get("registration_access_token")
        if token:
            self.items[self.index][1] = token
        return None


class Read(Managed):
    name = "read"

    def next_request(self) -> Request | None:
        item = self.current()
        if item is None:
            return None
        headers = {"Authorization": f"Bearer {item[1]}"}
        return Request(build(self.target, "GET", item[0], headers=headers), 200)


class ReadSteady(Read):
    """A read that keeps the registration access token (``token_rotation=update``): the work
    the peers' reads do, for a like-for-like ratio."""

    name = "read_steady"


class Update(Managed):
    name = "update"

    def next_request(self) -> Request | None:
        item = self.current()
        if item is None:
            return None
        self.sent += 1
        body = {**WEB_CLIENT, "client_id": item[2], "client_name": f"Bench web client {self.sent}"}
        headers = {"Authorization": f"Bearer {item[1]}"}
        raw = build(self.target, "PUT", item[0], headers=headers, body=json.dumps(body).encode())
        return Request(raw, 200)


class Delete(Scenario):
    """Items: registered clients, each deleted once."""

    name = "delete"

    def __init__(self, target: Target, items: list[Any]) -> None:
        super().__init__(target, items)
        self.clients = iter(items)

    def next_request(self) -> Request | None:
        item = next(self.clients, None)
        if item is None:
            return None
        headers = {"Authorization": f"Bearer {item[1]}"}
        return Request(build(self.target, "DELETE", item[0], headers=headers), 204)


class Token(Scenario):
    """client_credentials at the token endpoint. Items: [client_id, secret] pairs, in turn."""

    name = "token"
    form = b"grant_type=client_credentials"
    expect = 200

    def __init__(self, target: Target, items: list[Any]) -> None:
        super().__init__(target, items)
        self.requests = itertools.cycle(
            [
                Request(
                    build(
                        target,
                        "POST",
                        self.token_path(),
                        headers={"Authorization": basic(client_id, secret)},
                        body=self.form,
                        content_type="application/x-www-form-urlencoded",
                    ),
                    self.expect,
                )
                for client_id, secret in items
            ]
        )

    def token_path(self) -> str:
        return self.target.token

    def next_request(self) -> Request | None:
        return next(self.requests, None)


class IssueAccessToken(Token):
    """Setup: the registrar's client_credentials tokens with ``dcr_register``; collects them."""

    name = "issue_at"
    form = b"grant_type=client_credentials&scope=dcr_register"

    def token_path(self) -> str:
        return self.target.token_at

    def succeeded(self, request: Request, reply: Reply) -> Any:
        return reply.json()["access_token"]


SCENARIOS: dict[str, type[Scenario]] = {
    cls.name: cls
    for cls in (
        Trivial,
        Discovery,
        RegisterOpen,
        RegisterSteady,
        RegisterService,
        RegisterSoftwareStatement,
        RegisterAccessToken,
        Read,
        ReadSteady,
        Update,
        Delete,
        Token,
        IssueAccessToken,
    )
}


def make_scenario(name: str, target: Target, items: list[Any]) -> Scenario:
    return SCENARIOS[name](target, items)
