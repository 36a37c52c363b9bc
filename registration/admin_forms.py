"""Forms of the Client Registration admin page: they parse input, the services validate it.

Every value is checked again by ``dcr_configure`` (keys, URIs, policy); these forms only turn
text into the Python values it takes, so a JSON syntax error is reported next to its field.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms

from registration.capabilities import DCR_REGISTER_SCOPE
from registration.configuration import (
    MAX_RAT_TTL,
    MIN_RAT_TTL,
    KeySetChange,
    PolicyChange,
    SettingsChange,
)
from registration.models import DCRSettings, TokenRotation

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
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise forms.ValidationError(
            f"{what} is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})."
        ) from None


def _key_set_fields(
    *, label: str
) -> tuple[forms.BooleanField, forms.ChoiceField, forms.CharField, forms.CharField]:
    """A key protection's fields: on/off, where its keys come from, the set inline, its URI."""
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
            help_text="Fetched when needed and cached; the last good keys bridge an outage.",
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
    ) = _key_set_fields(label=KEY_PROTECTIONS[0][1])
    (
        signed_request,
        signed_request_source,
        signed_request_jwks,
        signed_request_jwks_uri,
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

    def __init__(self, *args: Any, scopes_supported: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.scopes_supported = scopes_supported
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
            return KeySetChange()  # the protection is off
        if data.get(f"{name}_source") == "uri":
            uri = data.get(f"{name}_jwks_uri", "").strip()
            if not uri:
                self.add_error(f"{name}_jwks_uri", "Give the URI of the key set.")
            return KeySetChange(jwks_uri=uri)
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


class RegistrarForm(forms.Form):
    name = forms.CharField(
        label="Client name",
        max_length=200,
        initial="DCR registrar",
        help_text="A confidential client_credentials client allowed the dcr_register scope. "
        "It gets the access tokens that 'Protect by access token' asks for.",
    )
