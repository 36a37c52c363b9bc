"""Server-side setup before any timing: database, workspaces, keys, statements, the registrar.

Runs in the orchestrating process (Django set up with ``bench.settings``); the server under load
is a separate gunicorn, and so are the load processes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.management import call_command
from django.db import connections
from jwt.algorithms import ECAlgorithm

from bench.scenarios import WEB_CLIENT
from registration.configuration import KeySetChange, SettingsChange, dcr_configure
from registration.models import TokenRotation
from registration.services import registrar_create
from tenants.models import Workspace
from tenants.resolve import find_workspace
from tenants.services import workspace_create

TENANT = "bench"
STATEMENT_ISSUER = "https://directory.bench.example"


@dataclass(frozen=True)
class Prepared:
    statements: list[str]
    registrar: tuple[str, str]  # client_id, secret of the access-token workspace's registrar


def _workspace(slug: str) -> Workspace:
    workspace = find_workspace(TENANT, slug) or workspace_create(
        tenant_slug=TENANT, workspace_slug=slug, name=f"Benchmark {slug}"
    )
    return workspace


def _statement_key() -> tuple[Any, dict[str, Any]]:
    private = ec.generate_private_key(ec.SECP256R1())
    public = ECAlgorithm.to_jwk(private.public_key(), as_dict=True)
    public.update({"kid": "bench-directory", "use": "sig", "alg": "ES256"})
    return private, {"keys": [public]}


def prepare(*, statements: int) -> Prepared:
    """Migrate, then (idempotently) ``bench/open``, ``bench/ss`` and ``bench/at``.

    - ``bench/open``: open registration.
    - ``bench/steady``: open registration, the registration access token rotated on update only
      (``token_rotation=update``, what the peers do), for the like-for-like read.
    - ``bench/ss``: a software statement is required, verified against a fresh ES256 key.
    - ``bench/at``: an initial access token with ``dcr_register`` is required; a registrar client
      obtains them with client_credentials (the load processes pre-issue them over HTTP).
    """
    call_command("migrate", verbosity=0, interactive=False)
    dcr_configure(workspace=_workspace("open"), change=SettingsChange(enabled=True))
    dcr_configure(
        workspace=_workspace("steady"),
        change=SettingsChange(enabled=True, token_rotation=TokenRotation.UPDATE),
    )
    private, jwks = _statement_key()
    dcr_configure(
        workspace=_workspace("ss"),
        change=SettingsChange(enabled=True, software_statement=KeySetChange(jwks=jwks)),
    )
    at = _workspace("at")
    dcr_configure(workspace=at, change=SettingsChange(enabled=True, protect_by_access_token=True))
    registrar, secret = registrar_create(workspace=at, name="Bench registrar")
    now = int(time.time())
    signed = [
        jwt.encode(
            {
                "iss": STATEMENT_ISSUER,
                "iat": now,
                "exp": now + 3600,
                "software_id": f"bench-software-{n}",
                "software_version": "1.0",
                **WEB_CLIENT,
            },
            private,
            algorithm="ES256",
            headers={"kid": "bench-directory"},
        )
        for n in range(statements)
    ]
    connections.close_all()
    return Prepared(statements=signed, registrar=(registrar.client_id, secret))
