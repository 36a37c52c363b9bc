"""Forms of the console: they parse input, the services validate it.

Every value is checked again by ``dcr_configure`` (keys, URIs, policy); these forms turn text
into the Python values it takes, so a JSON syntax error is reported next to its field, and add
what only a form can say: keys pasted under a protection left off, a JWKS URI that does not
answer with a key set right now.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms

from registration import fetch
from registration.capabilities import DCR_REGISTER_SCOPE
from registration.configuration import (
    MAX_LIFECYCLE_DAYS,
    MAX_RAT_TTL,
    MIN_RAT_TTL,
    ConfigurationError,
    KeySetChange,
    PolicyChange,
    SettingsChange,
    check_cimd_trusted_hosts,
    check_uri,
)
from registration.jose.errors import KeySetError
from registration.jose.keysets import FETCH_MAX_BYTES, describe_keys, validate_public_jwks
from registration.metadata.fields import SCOPE_TOKEN_RE
from registration.models import DCRSettings, TokenRotation
from registration.strict_json import StrictJSONError, loads_strict

KEY_SOURCES = [("jwks", "JSON Web Key Set"), ("uri", "JWKS URI")]
# The two protections verified with keys: (form field prefix, label, help text).
KEY_PROTECTIONS = (
    (
        "software_statement",
        "Protected by software statement",
        "The registration request must carry a software_statement: a JWT signed by a key of "
        "this key set, with the client's approved metadata. Its claims win over the plain "
        "JSON values (RFC 7591 §2.3).",
    ),
    (
        "signed_request",
        "Signed request body",
        "The request body must be a JWS (Content-Type: application/jwt) signed by a key of "
        "this key set, whose payload is the metadata; exp is required and a jti is never "
        "accepted twice.",
    ),
)
JSON_ATTRS = {"rows": 8, "class": "vLargeTextField dcr-json", "spellcheck": "false"}


def _parse_json(text: str, *, what: str) -> Any:
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        raise forms.ValidationError(
            f"{what} is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})."
        ) from None
    except RecursionError:
        raise forms.ValidationError(f"{what} is nested too deeply.") from None
    try:  # RFC 8259 strictly, as the API reads it: no NaN, no duplicate member names
        return loads_strict(text.encode("utf-8", "surrogatepass"))
    except StrictJSONError as exc:
        if isinstance(exc.__cause__, RecursionError):
            raise forms.ValidationError(f"{what} is nested too deeply.") from None
        raise forms.ValidationError(f"{what} is not valid JSON ({exc}).") from None


def fetch_jwks(uri: str, *, trusted: bool) -> list[dict[str, str]]:
    """GET a JWKS URI through the SSRF-safe fetcher and validate it as a registration would;
    the keys found (kid, kty, alg), or ValueError with the reason. ``trusted``: the platform
    set the URI (private addresses allowed); else it is fetched as the registrations will,
    public https only (registration/configuration.py KeySetChange)."""
    fetcher = fetch.fetch_trusted_url if trusted else fetch.fetch_client_url
    try:
        result = fetcher(uri, max_bytes=FETCH_MAX_BYTES)
        try:
            document = loads_strict(result.body)
        except StrictJSONError:
            raise KeySetError("the response is not a JSON document") from None
        return describe_keys(validate_public_jwks(document))
    except (fetch.FetchError, KeySetError) as exc:
        raise ValueError(str(exc)) from None


JSON_MARKS = ("[", "]", "{", "}", ",", '"')


def parse_scope_list(text: str) -> list[str]:
    """Space-separated scope tokens -> the list, each one RFC 6749 §3.3; ValidationError."""
    tokens = list(dict.fromkeys(text.split()))
    if not tokens:
        raise forms.ValidationError("Give at least one scope.")
    if any(mark in text for mark in JSON_MARKS):
        # RFC 6749 §3.3 allows these characters, but a list typed as JSON ("openid" or [1, 2])
        # is the mistake this field exists to catch: refused, with what to type instead.
        raise forms.ValidationError(
            "Type the scope names separated by spaces (openid profile email), not JSON: "
            f"no {' '.join(JSON_MARKS)}."
        )
    for token in tokens:
        # RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
        if not SCOPE_TOKEN_RE.match(token) or len(token) > 200:
            raise forms.ValidationError(
                f"{token[:60]!r} is not a scope token (RFC 6749 §3.3: printable ASCII "
                'without spaces, " or \\).'
            )
    return tokens


class ScopeListField(forms.CharField):
    """A list of scope tokens typed space-separated (never a JSON box: "openid" stays one)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 4000)
        kwargs.setdefault("label", "Scopes supported")
        kwargs.setdefault(
            "help_text",
            "Space-separated scope tokens this authorization server offers (RFC 6749 §3.3), "
            "for example: openid profile email.",
        )
        kwargs.setdefault("widget", forms.TextInput(attrs={"class": "vLargeTextField"}))
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return " ".join(str(item) for item in value)
        return value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value)
        return parse_scope_list(text or "")


def _key_set_fields(
    *, label: str
) -> tuple[
    forms.BooleanField, forms.ChoiceField, forms.CharField, forms.CharField, forms.BooleanField
]:
    """A key protection's fields: on/off, where its keys come from, the set inline, its URI,
    and "save anyway, fetch later" for a URI whose issuer is not up yet."""
    return (
        forms.BooleanField(label=label, required=False),
        forms.ChoiceField(
            label="Keys from", choices=KEY_SOURCES, initial="jwks", widget=forms.RadioSelect
        ),
        forms.CharField(
            label="JSON Web Key Set",
            required=False,
            widget=forms.Textarea(attrs=JSON_ATTRS),
            help_text='Public keys only: {"keys": [...]}.',
        ),
        forms.CharField(
            label="JWKS URI",
            required=False,
            max_length=2000,
            widget=forms.URLInput(attrs={"class": "vURLField"}),
            help_text="Fetched and checked when saved, then when needed and cached; the last "
            "good keys bridge an outage.",
        ),
        forms.BooleanField(
            label="Save anyway, fetch later",
            required=False,
            help_text="Save the URI even if it does not answer with a key set now (an issuer "
            "that is not up yet). Registrations fail until it does.",
        ),
    )


def _pretty(document: object) -> str:
    return json.dumps(document, indent=2, sort_keys=False) if document else ""


class DCRSettingsForm(forms.Form):
    """The DCR tab: enable, policy, the three protections, token lifetime and default scopes."""

    enabled = forms.BooleanField(
        label="Enable dynamic client registration",
        required=False,
        help_text="Publishes registration_endpoint in discovery and opens "
        "POST /oauth2/register. While off, the register paths answer 404.",
    )
    policy = forms.CharField(
        label="Dynamic client registration policy",
        required=False,
        widget=forms.Textarea(attrs=JSON_ATTRS),
        help_text="One JSON object, evaluated on every registration and update (for example "
        '{"grant_types": {"allow": ["authorization_code"]}}). Leave empty for no policy.',
    )
    protect_by_access_token = forms.BooleanField(
        label="Protect by access token",
        required=False,
        help_text="Registration requires an access token with the dcr_register scope, issued "
        "to a client-credentials client (see the Registrar clients tab). A successful "
        "registration terminates the token.",
    )
    # <name>, <name>_source, <name>_jwks, <name>_jwks_uri for each of KEY_PROTECTIONS.
    (
        software_statement,
        software_statement_source,
        software_statement_jwks,
        software_statement_jwks_uri,
        software_statement_fetch_later,
    ) = _key_set_fields(label=KEY_PROTECTIONS[0][1])
    (
        signed_request,
        signed_request_source,
        signed_request_jwks,
        signed_request_jwks_uri,
        signed_request_fetch_later,
    ) = _key_set_fields(label=KEY_PROTECTIONS[1][1])
    registration_access_token_ttl = forms.IntegerField(
        label="Registration access token lifetime (seconds)",
        min_value=MIN_RAT_TTL,
        max_value=MAX_RAT_TTL,
        help_text="2592000 seconds = 30 days (the default).",
    )
    token_rotation = forms.ChoiceField(
        label="Rotate the registration access token",
        choices=TokenRotation.choices,
        help_text="A rotated token replaces the previous one, which stops working at once.",
    )
    default_scopes = forms.CharField(
        label="Default scopes",
        required=False,
        max_length=1000,
        help_text="Space-separated; granted to a registering client that asks for no scope.",
    )
    client_secret_ttl = forms.IntegerField(
        label="Client secret lifetime (seconds)",
        min_value=0,
        max_value=MAX_RAT_TTL,
        help_text="Lifetime of newly issued client secrets (client_secret_expires_at, RFC 7591 "
        "§3.2.1). 0: secrets never expire.",
    )
    delete_never_used_after_days = forms.IntegerField(
        label="Delete DCR clients never used within (days)",
        required=False,
        min_value=0,
        max_value=MAX_LIFECYCLE_DAYS,
        help_text="dcr cleanup deletes DCR clients that got no token this many days after "
        "registering. Empty or 0: off.",
    )
    delete_idle_after_days = forms.IntegerField(
        label="Delete DCR clients unused for (days)",
        required=False,
        min_value=0,
        max_value=MAX_LIFECYCLE_DAYS,
        help_text="dcr cleanup deletes DCR clients whose last token is older than this. "
        "Empty or 0: off.",
    )

    cimd_enabled = forms.BooleanField(
        label="Accept Client ID Metadata Documents",
        required=False,
        help_text="A client_id that is an https URL is fetched as the client's metadata "
        "document (draft-ietf-oauth-client-id-metadata-document) and validated like a "
        "registration; discovery carries client_id_metadata_document_supported.",
    )
    cimd_trusted_hosts = forms.CharField(
        label="Metadata document hosts",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Host names whose documents are accepted, one per line or comma-separated; "
        "*.example.org matches its subdomains. Empty: any public host.",
    )

    def __init__(
        self,
        *args: Any,
        scopes_supported: list[str],
        saved: DCRSettings | None = None,
        uris_trusted: bool = False,
        **kwargs: Any,
    ) -> None:
        """``uris_trusted``: the user is a platform superuser, whose JWKS URIs may point into
        the platform's network; a tenant administrator's are public https URLs only."""
        super().__init__(*args, **kwargs)
        self.scopes_supported = scopes_supported
        self.saved = saved
        self.uris_trusted = uris_trusted
        if not uris_trusted:
            for name, _label, _help in KEY_PROTECTIONS:
                self.fields[f"{name}_jwks_uri"].help_text += (
                    " An https URL on a public address (an internal key server can be set by "
                    "a platform administrator only)."
                )
        self.fetched: dict[str, list[dict[str, str]]] = {}
        self.fields["default_scopes"].help_text += " Offered: " + " ".join(scopes_supported)

    @classmethod
    def initial_for(cls, dcr: DCRSettings) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "enabled": dcr.enabled,
            "policy": _pretty(dcr.policy),
            "protect_by_access_token": dcr.protect_by_access_token,
            "registration_access_token_ttl": dcr.registration_access_token_ttl,
            "token_rotation": dcr.token_rotation,
            "default_scopes": " ".join(dcr.default_scopes),
            "client_secret_ttl": dcr.client_secret_ttl,
            "delete_never_used_after_days": dcr.delete_never_used_after_days,
            "delete_idle_after_days": dcr.delete_idle_after_days,
            "cimd_enabled": dcr.cimd_enabled,
            "cimd_trusted_hosts": "\n".join(dcr.cimd_trusted_hosts or []),
        }
        for name, _label, _help in KEY_PROTECTIONS:
            jwks, uri = getattr(dcr, f"{name}_jwks"), getattr(dcr, f"{name}_jwks_uri")
            initial[name] = bool(jwks or uri)
            initial[f"{name}_source"] = "uri" if uri else "jwks"
            initial[f"{name}_jwks"] = _pretty(jwks)
            initial[f"{name}_jwks_uri"] = uri
        return initial

    def clean_policy(self) -> object:
        text = self.cleaned_data["policy"].strip()
        return _parse_json(text, what="The policy") if text else None

    def clean_cimd_trusted_hosts(self) -> tuple[str, ...]:
        text: str = self.cleaned_data["cimd_trusted_hosts"]
        hosts = tuple(dict.fromkeys(h for h in text.replace(",", "\n").split() if h))
        try:
            check_cimd_trusted_hosts(hosts)  # the same check as dcr configure --cimd-trusted-hosts
        except ConfigurationError as exc:
            raise forms.ValidationError(str(exc)) from None
        return hosts

    def clean_default_scopes(self) -> list[str]:
        scopes = list(dict.fromkeys(self.cleaned_data["default_scopes"].split()))
        unknown = [s for s in scopes if s not in self.scopes_supported or s == DCR_REGISTER_SCOPE]
        if unknown:
            raise forms.ValidationError(
                f"Not offered by this workspace: {' '.join(unknown)}. "
                f"Choose among: {' '.join(self.scopes_supported)}."
            )
        return scopes

    def _key_set_change(self, name: str) -> KeySetChange:
        data = self.cleaned_data
        if not data.get(name):
            # The protection is off: keys given with it would be dropped without a word.
            for field, what in ((f"{name}_jwks", "a key set"), (f"{name}_jwks_uri", "a URI")):
                if data.get(field, "").strip() and data.get(f"{name}_source") == (
                    "uri" if field.endswith("_uri") else "jwks"
                ):
                    self.add_error(
                        field,
                        f"You gave {what} but the protection is off: tick "
                        f"“{self.fields[name].label}” or clear this field.",
                    )
            return KeySetChange()
        if data.get(f"{name}_source") == "uri":
            uri = data.get(f"{name}_jwks_uri", "").strip()
            if not uri:
                self.add_error(f"{name}_jwks_uri", "Give the URI of the key set.")
            elif not data.get(f"{name}_fetch_later") and uri != self._saved_uri(name):
                label = f"{name.replace('_', ' ')} JWKS URI"
                try:
                    check_uri(label, uri)
                except ConfigurationError as exc:
                    self.add_error(f"{name}_jwks_uri", str(exc))
                    return self._uri_change(uri)
                try:  # a new URI is fetched and validated now, unless "fetch later" is ticked
                    self.fetched[name] = fetch_jwks(uri, trusted=self.uris_trusted)
                except ValueError as exc:
                    self.add_error(
                        f"{name}_jwks_uri",
                        f"Fetching {uri[:200]} failed: {exc}. Fix the URI, or tick "
                        "“Save anyway, fetch later”.",
                    )
            return self._uri_change(uri)
        text = data.get(f"{name}_jwks", "").strip()
        if not text:
            self.add_error(f"{name}_jwks", "Paste the JSON Web Key Set.")
            return KeySetChange()
        try:
            document = _parse_json(text, what="The key set")
        except forms.ValidationError as exc:
            self.add_error(f"{name}_jwks", exc)
            return KeySetChange()
        if isinstance(document, dict) and "keys" not in document and "kty" in document:
            document = {"keys": [document]}  # a single JWK (RFC 7517 §4)
        if not isinstance(document, dict):
            self.add_error(f"{name}_jwks", "A JWKS is a JSON object with a keys array.")
            return KeySetChange()
        return KeySetChange(jwks=document)

    def _uri_change(self, uri: str) -> KeySetChange:
        return KeySetChange(jwks_uri=uri, uri_trusted=self.uris_trusted)

    def _saved_uri(self, name: str) -> str:
        return str(getattr(self.saved, f"{name}_jwks_uri", "")) if self.saved else ""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        self.key_changes = {name: self._key_set_change(name) for name, _l, _h in KEY_PROTECTIONS}
        return cleaned

    def settings_change(self) -> SettingsChange:
        """The change for ``dcr_configure`` (call after ``is_valid()``)."""
        data = self.cleaned_data
        return SettingsChange(
            enabled=data["enabled"],
            registration_access_token_ttl=data["registration_access_token_ttl"],
            protect_by_access_token=data["protect_by_access_token"],
            software_statement=self.key_changes["software_statement"],
            signed_request=self.key_changes["signed_request"],
            policy=PolicyChange(document=data["policy"]),
            token_rotation=data["token_rotation"],
            default_scopes=tuple(data["default_scopes"]),
            client_secret_ttl=data["client_secret_ttl"],
            delete_never_used_after_days=data["delete_never_used_after_days"] or 0,
            delete_idle_after_days=data["delete_idle_after_days"] or 0,
            cimd_enabled=data["cimd_enabled"],
            cimd_trusted_hosts=data["cimd_trusted_hosts"],
        )


class FetchKeysForm(forms.Form):
    """ "Fetch now": get the saved JWKS URI of one protection and list the keys it serves."""

    protection = forms.ChoiceField(choices=[(name, label) for name, label, _h in KEY_PROTECTIONS])


class DryRunForm(forms.Form):
    metadata = forms.CharField(
        label="Client metadata",
        widget=forms.Textarea(attrs={**JSON_ATTRS, "rows": 10}),
        help_text="A registration request body (JSON object). Nothing is registered: the page "
        "shows the metadata as it would be stored, or the rule that refuses it.",
    )

    def clean_metadata(self) -> dict[str, Any]:
        document = _parse_json(self.cleaned_data["metadata"], what="The metadata")
        if not isinstance(document, dict):
            raise forms.ValidationError("The metadata must be a JSON object.")
        return document


class ConfirmForm(forms.Form):
    """A destructive action's confirmation: the POST must carry confirm=yes."""

    confirm = forms.ChoiceField(choices=[("yes", "yes")], widget=forms.HiddenInput, initial="yes")


class RegistrarForm(forms.Form):
    name = forms.CharField(
        label="Client name",
        max_length=200,
        initial="DCR registrar",
        help_text="A confidential client_credentials client allowed the dcr_register scope. "
        "It gets the access tokens that 'Protect by access token' asks for.",
    )
