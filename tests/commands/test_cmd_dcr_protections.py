"""``dcr configure`` protection flags, ``dcr registrar`` and ``dcr rotate-keys`` (CONTRACT.md,
"Management commands" and "Registration protections"; RFC 7591 §2.3, §3; RFC 7517)."""

from __future__ import annotations

import io
import json
from http import HTTPStatus
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client as HttpClient
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

from dcr_server.crypto import DecryptionError
from registration.models import Client
from tenants.models import SigningKey, Workspace
from tests.helpers import SERVICE_CLIENT, basic, bearer, post_json
from tests.protections.conftest import KeyPair, request_claims, statement_claims

LABEL = "default/default"
REGISTER = "/default/default/oauth2/register"
TOKEN = "/default/default/oauth2/token"
CLI_BASE = "http://127.0.0.1:8000"
JWKS_URI = "https://directory.example/jwks.json"


# The KeyPair fixtures of tests/protections/conftest.py, which this directory does not see.
@pytest.fixture(scope="module")
def rsa_key() -> KeyPair:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return KeyPair(
        private, RSAAlgorithm.to_jwk(private.public_key(), as_dict=True), "RS256", "rsa-1"
    )


@pytest.fixture(scope="module")
def ec_key() -> KeyPair:
    private = ec.generate_private_key(ec.SECP256R1())
    return KeyPair(private, ECAlgorithm.to_jwk(private.public_key(), as_dict=True), "ES256", "ec-1")


@pytest.fixture(scope="module")
def ed_key() -> KeyPair:
    private = ed25519.Ed25519PrivateKey.generate()
    return KeyPair(
        private, OKPAlgorithm.to_jwk(private.public_key(), as_dict=True), "EdDSA", "ed-1"
    )


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("dcr", *args, stdout=out)
    return out.getvalue()


def show() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(run("show", LABEL))
    return data


def write_json(tmp_path: Path, document: Any, name: str = "jwks.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(document))
    return str(path)


def _post_jwt(api: HttpClient, token: str) -> Any:
    return api.generic("POST", REGISTER, token.encode(), content_type="application/jwt")


# -- software statement (RFC 7591 §2.3) ----------------------------------------------------------
def test_software_statement_jwks_file_is_listed_and_required_rfc7591_2_3(
    api: HttpClient, workspace: Workspace, tmp_path: Path, rsa_key: KeyPair, ec_key: KeyPair
) -> None:
    path = write_json(tmp_path, {"keys": [rsa_key.public_jwk, ec_key.public_jwk]})

    printed = json.loads(run("configure", LABEL, "--software-statement-jwks", path))

    settings = show()
    assert printed == settings
    assert settings["software_statement_jwks"] == [
        {"kid": "rsa-1", "kty": "RSA", "alg": "RS256"},
        {"kid": "ec-1", "kty": "EC", "alg": "ES256"},
    ]
    assert settings["software_statement_jwks_uri"] is None
    without = post_json(api, REGISTER, SERVICE_CLIENT)
    assert without.status_code == HTTPStatus.BAD_REQUEST
    assert without.json()["error"] == "invalid_software_statement"
    assert not Client.objects.exists()
    with_statement = post_json(
        api, REGISTER, {**SERVICE_CLIENT, "software_statement": ec_key.sign(statement_claims())}
    )
    assert with_statement.status_code == HTTPStatus.CREATED, with_statement.content


def test_software_statement_single_jwk_file_is_accepted_rfc7517_4(
    workspace: Workspace, tmp_path: Path, ed_key: KeyPair
) -> None:
    run("configure", LABEL, "--software-statement-jwks", write_json(tmp_path, ed_key.public_jwk))

    assert show()["software_statement_jwks"] == [{"kid": "ed-1", "kty": "OKP", "alg": "EdDSA"}]


def test_software_statement_jwks_uri_is_shown_and_required(
    api: HttpClient, workspace: Workspace
) -> None:
    run("configure", LABEL, "--software-statement-jwks-uri", JWKS_URI)

    settings = show()
    assert settings["software_statement_jwks_uri"] == JWKS_URI
    assert settings["software_statement_jwks"] is None
    response = post_json(api, REGISTER, SERVICE_CLIENT)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == "invalid_software_statement"


def test_jwks_uri_replaces_a_jwks_file_and_vice_versa(
    workspace: Workspace, tmp_path: Path, rsa_key: KeyPair
) -> None:
    path = write_json(tmp_path, rsa_key.jwks)
    run("configure", LABEL, "--software-statement-jwks", path)
    run("configure", LABEL, "--software-statement-jwks-uri", JWKS_URI)
    assert show()["software_statement_jwks"] is None

    run("configure", LABEL, "--software-statement-jwks", path)
    assert show()["software_statement_jwks_uri"] is None
    assert show()["software_statement_jwks"] == [{"kid": "rsa-1", "kty": "RSA", "alg": "RS256"}]


@pytest.mark.parametrize("configured", ["file", "uri"])
def test_no_software_statement_switches_the_requirement_off(
    api: HttpClient, workspace: Workspace, tmp_path: Path, rsa_key: KeyPair, configured: str
) -> None:
    if configured == "file":
        run("configure", LABEL, "--software-statement-jwks", write_json(tmp_path, rsa_key.jwks))
    else:
        run("configure", LABEL, "--software-statement-jwks-uri", JWKS_URI)

    run("configure", LABEL, "--no-software-statement")

    settings = show()
    assert settings["software_statement_jwks"] is None
    assert settings["software_statement_jwks_uri"] is None
    assert post_json(api, REGISTER, SERVICE_CLIENT).status_code == HTTPStatus.CREATED


# -- signed request body ------------------------------------------------------------------------
def test_signed_request_jwks_file_is_listed_and_required(
    api: HttpClient, workspace: Workspace, tmp_path: Path, ec_key: KeyPair
) -> None:
    run("configure", LABEL, "--signed-request-jwks", write_json(tmp_path, ec_key.jwks))

    settings = show()
    assert settings["signed_request_jwks"] == [{"kid": "ec-1", "kty": "EC", "alg": "ES256"}]
    assert settings["signed_request_jwks_uri"] is None
    assert settings["software_statement_jwks"] is None  # the other protection is untouched
    plain = post_json(api, REGISTER, SERVICE_CLIENT)
    assert plain.status_code == HTTPStatus.BAD_REQUEST
    assert plain.json()["error"] == "invalid_client_metadata"
    assert not Client.objects.exists()
    signed = _post_jwt(api, ec_key.sign(request_claims(SERVICE_CLIENT)))
    assert signed.status_code == HTTPStatus.CREATED, signed.content


def test_signed_request_jwks_uri_then_no_signed_request(
    api: HttpClient, workspace: Workspace
) -> None:
    run("configure", LABEL, "--signed-request-jwks-uri", JWKS_URI)
    assert show()["signed_request_jwks_uri"] == JWKS_URI
    assert post_json(api, REGISTER, SERVICE_CLIENT).status_code == HTTPStatus.BAD_REQUEST

    run("configure", LABEL, "--no-signed-request")

    settings = show()
    assert settings["signed_request_jwks"] is None
    assert settings["signed_request_jwks_uri"] is None
    assert post_json(api, REGISTER, SERVICE_CLIENT).status_code == HTTPStatus.CREATED


def test_both_protections_combine(
    workspace: Workspace, tmp_path: Path, rsa_key: KeyPair, ec_key: KeyPair
) -> None:
    run(
        "configure",
        LABEL,
        "--software-statement-jwks",
        write_json(tmp_path, rsa_key.jwks, "statement.json"),
        "--signed-request-jwks",
        write_json(tmp_path, ec_key.jwks, "request.json"),
        "--protect-by-access-token",
    )

    settings = show()
    assert settings["software_statement_jwks"] == [{"kid": "rsa-1", "kty": "RSA", "alg": "RS256"}]
    assert settings["signed_request_jwks"] == [{"kid": "ec-1", "kty": "EC", "alg": "ES256"}]
    assert settings["protect_by_access_token"] is True


# -- protect by access token (RFC 7591 §3: initial access token) --------------------------------
def test_protect_by_access_token_on_and_off_rfc7591_3(
    api: HttpClient, workspace: Workspace
) -> None:
    run("configure", LABEL, "--protect-by-access-token")
    assert show()["protect_by_access_token"] is True
    refused = post_json(api, REGISTER, SERVICE_CLIENT)
    assert refused.status_code == HTTPStatus.UNAUTHORIZED
    assert "Bearer" in refused["WWW-Authenticate"]

    run("configure", LABEL, "--no-protect-by-access-token")

    assert show()["protect_by_access_token"] is False
    assert post_json(api, REGISTER, SERVICE_CLIENT).status_code == HTTPStatus.CREATED


def test_protect_flags_are_mutually_exclusive(workspace: Workspace) -> None:
    before = show()

    with pytest.raises(CommandError, match="not allowed with"):
        run("configure", LABEL, "--protect-by-access-token", "--no-protect-by-access-token")

    assert show() == before


# -- bad inputs: CommandError, one line, nothing changed ----------------------------------------
def _rsa_jwk(bits: int, *, private: bool = False) -> dict[str, Any]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    jwk: dict[str, Any] = RSAAlgorithm.to_jwk(key if private else key.public_key(), as_dict=True)
    return {**jwk, "kid": "bad", "alg": "RS256", "use": "sig"}


def _bad_file(tmp_path: Path, case: str) -> str:
    path = tmp_path / f"{case}.json"
    if case == "missing":
        return str(path)
    contents = {
        "not-json": "{ this is not json",
        "private-rsa": json.dumps({"keys": [_rsa_jwk(2048, private=True)]}),
        "oct": json.dumps(
            {"keys": [{"kty": "oct", "k": "c2VjcmV0LXNlY3JldC1zZWNyZXQ", "kid": "h"}]}
        ),
        "rsa-1024": json.dumps({"keys": [_rsa_jwk(1024)]}),
        "empty-set": json.dumps({"keys": []}),
        "array": json.dumps([]),
    }[case]
    path.write_text(contents)
    return str(path)


@pytest.mark.parametrize(
    "case", ["missing", "not-json", "private-rsa", "oct", "rsa-1024", "empty-set", "array"]
)
@pytest.mark.parametrize("flag", ["--software-statement-jwks", "--signed-request-jwks"])
def test_bad_jwks_file_is_a_one_line_command_error_and_changes_nothing(
    workspace: Workspace, tmp_path: Path, flag: str, case: str
) -> None:
    path = _bad_file(tmp_path, case)
    before = show()

    with pytest.raises(CommandError) as excinfo:
        # --protect-by-access-token too: a refused command must not apply its other flags.
        run("configure", LABEL, flag, path, "--protect-by-access-token")

    message = str(excinfo.value)
    assert "\n" not in message
    assert path in message
    assert '"d"' not in message and "c2VjcmV0" not in message  # key material is never echoed
    assert show() == before


@pytest.mark.parametrize("flag", ["--software-statement-jwks-uri", "--signed-request-jwks-uri"])
@pytest.mark.parametrize("uri", ["not-a-url", "ftp://directory.example/jwks.json", "/jwks.json"])
def test_bad_jwks_uri_is_a_one_line_command_error_and_changes_nothing(
    workspace: Workspace, flag: str, uri: str
) -> None:
    before = show()

    with pytest.raises(CommandError) as excinfo:
        run("configure", LABEL, flag, uri, "--protect-by-access-token")

    assert "\n" not in str(excinfo.value)
    assert "URI" in str(excinfo.value)
    assert show() == before


@pytest.mark.parametrize(
    "extra",
    [
        ["--software-statement-jwks-uri", JWKS_URI],
        ["--no-software-statement"],
    ],
)
def test_jwks_file_and_uri_flags_are_mutually_exclusive(
    workspace: Workspace, tmp_path: Path, rsa_key: KeyPair, extra: list[str]
) -> None:
    """call_command raises CommandError (not SystemExit) for argparse's mutual exclusion."""
    path = write_json(tmp_path, rsa_key.jwks)
    before = show()

    with pytest.raises(CommandError, match="not allowed with") as excinfo:
        run("configure", LABEL, "--software-statement-jwks", path, *extra)

    assert "\n" not in str(excinfo.value)
    assert show() == before


def test_signed_request_jwks_and_uri_are_mutually_exclusive(
    workspace: Workspace, tmp_path: Path, ec_key: KeyPair
) -> None:
    before = show()

    with pytest.raises(CommandError, match="not allowed with"):
        run(
            "configure",
            LABEL,
            "--signed-request-jwks",
            write_json(tmp_path, ec_key.jwks),
            "--signed-request-jwks-uri",
            JWKS_URI,
        )

    assert show() == before


@pytest.mark.django_db
@pytest.mark.parametrize("action", ["configure", "registrar"])
def test_unknown_workspace_is_a_one_line_command_error(
    workspace: Workspace, tmp_path: Path, rsa_key: KeyPair, action: str
) -> None:
    before = show()
    clients = Client.objects.count()
    extra = (
        ["--software-statement-jwks", write_json(tmp_path, rsa_key.jwks)]
        if action == "configure"
        else []
    )

    with pytest.raises(CommandError, match="no workspace nope/none") as excinfo:
        run(action, "nope/none", *extra)

    assert "\n" not in str(excinfo.value)
    assert show() == before
    assert Client.objects.count() == clients


# -- dcr registrar ------------------------------------------------------------------------------
def test_registrar_credentials_obtain_a_dcr_register_token_rfc6749_4_4(
    api: HttpClient, workspace: Workspace
) -> None:
    run("configure", LABEL, "--protect-by-access-token")

    data = json.loads(run("registrar", LABEL, "--name", "CI registrar"))

    assert set(data) == {"client_id", "client_secret", "token_endpoint"}
    assert all(isinstance(value, str) and value for value in data.values())
    assert data["token_endpoint"] == f"{CLI_BASE}{TOKEN}"
    assert Client.objects.get(client_id=data["client_id"]).name == "CI registrar"
    path = data["token_endpoint"].removeprefix(CLI_BASE)
    token_response = api.post(
        path,
        {"grant_type": "client_credentials", "scope": "dcr_register"},
        **basic(data["client_id"], data["client_secret"]),
    )
    assert token_response.status_code == HTTPStatus.OK, token_response.content
    token = token_response.json()
    assert token["scope"] == "dcr_register"
    # The token is what the protected registration endpoint asks for (CONTRACT.md).
    registered = post_json(api, REGISTER, SERVICE_CLIENT, **bearer(token["access_token"]))
    assert registered.status_code == HTTPStatus.CREATED, registered.content


def test_registrar_secret_is_wrong_for_another_workspace(
    api: HttpClient, workspace: Workspace, other_workspace: Workspace
) -> None:
    data = json.loads(run("registrar", LABEL))

    response = api.post(
        f"{other_workspace.path}/oauth2/token",
        {"grant_type": "client_credentials", "scope": "dcr_register"},
        **basic(data["client_id"], data["client_secret"]),
    )

    assert response.status_code == HTTPStatus.UNAUTHORIZED


# -- dcr rotate-keys ----------------------------------------------------------------------------
def _client_credentials(api: HttpClient, client_id: str, secret: str) -> Any:
    return api.post(TOKEN, {"grant_type": "client_credentials"}, **basic(client_id, secret))


def test_rotate_keys_reencrypts_secrets_under_the_first_key(
    api: HttpClient, workspace: Workspace, settings: Any
) -> None:
    old_key = str(settings.SECRET_KEY)
    settings.DCR_ENCRYPTION_KEYS = [old_key]
    response = post_json(api, REGISTER, SERVICE_CLIENT)
    assert response.status_code == HTTPStatus.CREATED, response.content
    client_id, secret = response.json()["client_id"], response.json()["client_secret"]
    ciphertext = Client.objects.get(client_id=client_id).client_secret_encrypted
    assert _client_credentials(api, client_id, secret).status_code == HTTPStatus.OK

    settings.DCR_ENCRYPTION_KEYS = ["new-key", old_key]
    output = run("rotate-keys")

    assert "Re-encrypted" in output
    assert Client.objects.get(client_id=client_id).client_secret_encrypted != ciphertext
    settings.DCR_ENCRYPTION_KEYS = ["new-key"]  # the old key is retired
    assert Client.objects.get(client_id=client_id).client_secret == secret
    assert _client_credentials(api, client_id, secret).status_code == HTTPStatus.OK
    # The workspace's signing keys were re-encrypted too: its JWKS is still served.
    jwks = api.get("/default/default/.well-known/jwks.json")
    assert jwks.status_code == HTTPStatus.OK
    assert jwks.json()["keys"]


def test_without_rotate_keys_retiring_the_old_key_breaks_decryption(
    api: HttpClient, workspace: Workspace, settings: Any
) -> None:
    """The control for the test above: rotation is what keeps the secrets readable."""
    old_key = str(settings.SECRET_KEY)
    settings.DCR_ENCRYPTION_KEYS = [old_key]
    response = post_json(api, REGISTER, SERVICE_CLIENT)
    assert response.status_code == HTTPStatus.CREATED, response.content

    settings.DCR_ENCRYPTION_KEYS = ["new-key"]

    with pytest.raises(DecryptionError):
        _ = Client.objects.get(client_id=response.json()["client_id"]).client_secret


def test_rotate_keys_counts_clients_and_signing_keys(
    api: HttpClient, workspace: Workspace, settings: Any
) -> None:
    settings.DCR_ENCRYPTION_KEYS = [str(settings.SECRET_KEY)]
    for _ in range(2):
        assert post_json(api, REGISTER, SERVICE_CLIENT).status_code == HTTPStatus.CREATED
    public = post_json(
        api,
        REGISTER,
        {
            "client_name": "Public",
            "redirect_uris": ["https://app.example.com/cb"],
            "token_endpoint_auth_method": "none",
        },
    )
    assert public.status_code == HTTPStatus.CREATED, public.content
    settings.DCR_ENCRYPTION_KEYS = ["new-key", str(settings.SECRET_KEY)]

    output = run("rotate-keys")

    assert f"Re-encrypted 2 client secrets and {SigningKey.objects.count()} signing keys" in output
