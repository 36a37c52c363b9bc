"""Fixtures for the admin console: a standing cast of users and key sets to paste."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client as HttpClient
from django.urls import reverse
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from tenants.models import Tenant, Workspace
from tenants.services import access_grant, workspace_create

PASSWORD = "correct horse battery 42"


def make_user(username: str, *, staff: bool, perms: tuple[str, ...] = ()) -> Any:
    user = get_user_model().objects.create_user(
        username=username, password=PASSWORD, is_staff=staff
    )
    for codename in perms:
        user.user_permissions.add(Permission.objects.get(codename=codename))
    return user


@pytest.fixture
def superuser(db: None) -> Any:
    return get_user_model().objects.create_superuser("root", "root@example.com", PASSWORD)


@pytest.fixture
def admin_http(superuser: Any) -> HttpClient:
    http = HttpClient()
    http.force_login(superuser)
    return http


@pytest.fixture
def login_as() -> Any:
    def _login(user: Any) -> HttpClient:
        http = HttpClient()
        http.force_login(user)
        return http

    return _login


@pytest.fixture
def page_url(workspace: Workspace) -> str:
    return reverse("admin:registration_client_registration", args=[workspace.pk])


def public_jwks(private: Any, *, kid: str, alg: str) -> dict[str, Any]:
    if isinstance(private, rsa.RSAPrivateKey):
        jwk = RSAAlgorithm.to_jwk(private.public_key(), as_dict=True)
    else:
        jwk = ECAlgorithm.to_jwk(private.public_key(), as_dict=True)
    return {"keys": [{**jwk, "kid": kid, "alg": alg, "use": "sig"}]}


@pytest.fixture(scope="session")
def rsa_private() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def ec_private() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture(scope="session")
def rsa_jwks(rsa_private: rsa.RSAPrivateKey) -> dict[str, Any]:
    return public_jwks(rsa_private, kid="statement-rsa-1", alg="RS256")


@pytest.fixture(scope="session")
def ec_jwks(ec_private: ec.EllipticCurvePrivateKey) -> dict[str, Any]:
    return public_jwks(ec_private, kid="request-ec-1", alg="ES256")


@pytest.fixture(scope="session")
def private_jwks(rsa_private: rsa.RSAPrivateKey) -> dict[str, Any]:
    """A JWKS that wrongly carries the private half (``d``, ``p``, ``q``...)."""
    jwk = RSAAlgorithm.to_jwk(rsa_private, as_dict=True)
    return {"keys": [{**jwk, "kid": "leaked", "alg": "RS256"}]}


def settings_form(**overrides: Any) -> dict[str, Any]:
    """A complete POST of the DCR tab: DCR on, no protection, no policy."""
    data: dict[str, Any] = {
        "action": "save",
        "enabled": "on",
        "policy": "",
        "software_statement_source": "jwks",
        "software_statement_jwks": "",
        "software_statement_jwks_uri": "",
        "signed_request_source": "jwks",
        "signed_request_jwks": "",
        "signed_request_jwks_uri": "",
        "registration_access_token_ttl": "2592000",
        "token_rotation": "read_and_update",
        "default_scopes": "openid profile email",
        "client_secret_ttl": "0",
        "delete_never_used_after_days": "",
        "delete_idle_after_days": "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


# -- the standing cast of the isolation tests (CONTRACT "Tenant administration") ---------------


@dataclass
class Cast:
    """Two tenants and five administrators; tenant A has workspaces one and two."""

    a_one: Workspace
    a_two: Workspace
    b_main: Workspace
    superuser: Any
    a_admin: Any  # admin of tenant A (all its workspaces)
    a_one_viewer: Any  # viewer of A/one only
    no_grant: Any  # staff, no grant
    b_admin: Any  # admin of tenant B

    def http(self, user: Any) -> HttpClient:
        http = HttpClient()
        http.force_login(user)
        return http


def grant(user: Any, tenant: str, workspace: str | None, role: str) -> None:
    tenant_row = Tenant.objects.get(slug=tenant)
    ws = Workspace.objects.get(tenant=tenant_row, slug=workspace) if workspace else None
    access_grant(user=user, tenant=tenant_row, workspace=ws, role=role)


@pytest.fixture
def cast(db: None) -> Cast:
    a_one = workspace_create(tenant_slug="alpha", workspace_slug="one", name="Alpha one")
    a_two = workspace_create(tenant_slug="alpha", workspace_slug="two", name="Alpha two")
    b_main = workspace_create(tenant_slug="bravo", workspace_slug="main", name="Bravo main")
    users = {
        "a_admin": make_user("alice", staff=True),
        "a_one_viewer": make_user("victor", staff=True),
        "no_grant": make_user("nobody", staff=True),
        "b_admin": make_user("bob-b", staff=True),
    }
    grant(users["a_admin"], "alpha", None, "admin")
    grant(users["a_one_viewer"], "alpha", "one", "viewer")
    grant(users["b_admin"], "bravo", None, "admin")
    root = get_user_model().objects.create_superuser("root", "root@example.com", PASSWORD)
    return Cast(a_one=a_one, a_two=a_two, b_main=b_main, superuser=root, **users)


# -- a local key server for "fetched and validated on save" --------------------------------------


class KeyServer(ThreadingHTTPServer):
    routes: dict[str, tuple[int, bytes]]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _KeyHandler(BaseHTTPRequestHandler):
    server: KeyServer

    def do_GET(self) -> None:
        status, body = self.server.routes.get(self.path, (404, b"not found"))
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def key_server(ec_jwks: dict[str, Any], private_jwks: dict[str, Any]) -> Iterator[KeyServer]:
    server = KeyServer(("127.0.0.1", 0), _KeyHandler)
    server.routes = {
        "/good.json": (200, json.dumps(ec_jwks).encode()),
        "/private.json": (200, json.dumps(private_jwks).encode()),
        "/garbage": (200, b"<html>hello</html>"),
    }
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
