"""Custom admin views: OAuth > Authorization Server > Client Registration, and client actions.

Thin views in the house style: parse a form, call one service, render. Every write needs the
matching Django permission, goes through a regular (CSRF-protected) form and leaves a LogEntry.
Secrets and tokens appear only in the response that created them, never in a redirect target.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from oauth2_provider.models import (
    get_access_token_model,
    get_grant_model,
    get_id_token_model,
    get_refresh_token_model,
)

from registration import fetch
from registration.admin_forms import (
    KEY_PROTECTIONS,
    DCRSettingsForm,
    DryRunForm,
    FetchKeysForm,
    RegistrarForm,
)
from registration.audit import RequestInfo, events
from registration.capabilities import scopes_supported
from registration.configuration import ConfigurationError, dcr_configure, dcr_settings_data
from registration.dry_run import policy_dry_run
from registration.jose.errors import KeySetError
from registration.jose.keysets import FETCH_MAX_BYTES, describe_keys, validate_public_jwks
from registration.models import Client, DCRSettings
from registration.selectors import dcr_settings_for
from registration.services import registrar_create, token_reissue
from tenants.models import Workspace

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin

TABS = (
    ("dcr", "DCR"),
    ("registrar", "Registrar clients"),
    ("test", "Test policy"),
    ("events", "Recent events"),
)
RECENT_EVENTS = 25
ENABLED_MESSAGE = "You've successfully enabled DCR in your workspace."  # the seed's wording
# ConfigurationError messages start with the setting they name: (prefix, form field).
ERROR_FIELDS = (
    ("software statement JWKS URI", "software_statement_jwks_uri"),
    ("software statement", "software_statement_jwks"),
    ("signed request JWKS URI", "signed_request_jwks_uri"),
    ("signed request", "signed_request_jwks"),
    ("policy", "policy"),
    ("registration access token lifetime", "registration_access_token_ttl"),
)


def admin_actor(request: HttpRequest) -> RequestInfo:
    return RequestInfo(actor=request.user.get_username()[:150], source_ip=None)


def page_url(workspace: Workspace, tab: str = "dcr") -> str:
    url = reverse("admin:registration_client_registration", args=[workspace.pk])
    return url if tab == "dcr" else f"{url}?tab={tab}"


def _workspaces() -> list[Workspace]:
    return list(Workspace.objects.select_related("tenant", "dcr_settings"))


def client_registration_index(
    request: HttpRequest, *, model_admin: ModelAdmin[DCRSettings]
) -> HttpResponse:
    """Pick a workspace (straight to its page when there is only one)."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    workspaces = _workspaces()
    if len(workspaces) == 1:
        return HttpResponseRedirect(page_url(workspaces[0]))
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "Client Registration",
        "subtitle": "Choose a workspace",
        "opts": model_admin.opts,
        "workspaces": [(ws, page_url(ws)) for ws in workspaces],
    }
    return TemplateResponse(request, "admin/registration/client_registration_index.html", context)


def _field_for(error: ConfigurationError) -> str | None:
    message = str(error)
    return next((field for prefix, field in ERROR_FIELDS if message.startswith(prefix)), None)


def _save_settings(
    request: HttpRequest,
    form: DCRSettingsForm,
    workspace: Workspace,
    model_admin: ModelAdmin[DCRSettings],
) -> DCRSettings | None:
    """Apply the form through dcr_configure; on a ConfigurationError nothing is written."""
    before = dcr_settings_data(dcr_settings_for(workspace=workspace))
    try:
        dcr = dcr_configure(workspace=workspace, change=form.settings_change())
    except ConfigurationError as exc:
        form.add_error(_field_for(exc), str(exc))
        return None
    after = dcr_settings_data(dcr)
    changed = [name for name in after if after[name] != before.get(name)]
    if changed:
        model_admin.log_change(request, dcr, [{"changed": {"fields": changed}}])
    return dcr


def _fetch_keys(dcr: DCRSettings, protection: str) -> dict[str, Any]:
    """ "Fetch now": GET the saved JWKS URI and validate it exactly as a registration would."""
    uri = getattr(dcr, f"{protection}_jwks_uri")
    if not uri:
        return {"protection": protection, "error": "No JWKS URI is saved for this protection."}
    try:
        result = fetch.fetch_trusted_url(uri, max_bytes=FETCH_MAX_BYTES)
        try:
            document = json.loads(result.body)
        except (ValueError, RecursionError):
            raise KeySetError("the response is not a JSON document") from None
        keys = describe_keys(validate_public_jwks(document))
    except (fetch.FetchError, KeySetError) as exc:
        return {"protection": protection, "uri": uri, "error": str(exc)}
    return {"protection": protection, "uri": uri, "keys": keys}


def client_registration(
    request: HttpRequest, workspace_pk: int, *, model_admin: ModelAdmin[DCRSettings]
) -> HttpResponse:
    """The Client Registration page of one workspace; tabs DCR, registrar, test, events."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    workspace = get_object_or_404(Workspace.objects.select_related("tenant"), pk=workspace_pk)
    dcr = dcr_settings_for(workspace=workspace)
    can_change = model_admin.has_change_permission(request)
    can_add_client = request.user.has_perm("registration.add_client")
    tab = request.GET.get("tab", "dcr")
    if tab not in dict(TABS):
        tab = "dcr"
    offered = scopes_supported(workspace)
    form = DCRSettingsForm(initial=DCRSettingsForm.initial_for(dcr), scopes_supported=offered)
    dry_run_form, registrar_form = DryRunForm(), RegistrarForm()
    extra: dict[str, Any] = {}
    action = request.POST.get("action") if request.method == "POST" else None
    if action == "save":
        if not can_change:
            raise PermissionDenied
        form = DCRSettingsForm(request.POST, scopes_supported=offered)
        if form.is_valid() and (saved := _save_settings(request, form, workspace, model_admin)):
            messages.success(request, ENABLED_MESSAGE if saved.enabled else "Saved.")
            return HttpResponseRedirect(page_url(workspace))
    elif action == "fetch":
        if not can_change:
            raise PermissionDenied
        fetch_form = FetchKeysForm(request.POST)
        if fetch_form.is_valid():
            extra["fetched"] = _fetch_keys(dcr, fetch_form.cleaned_data["protection"])
    elif action == "dry_run":
        tab = "test"
        dry_run_form = DryRunForm(request.POST)
        if dry_run_form.is_valid():
            result = policy_dry_run(
                workspace=workspace, raw_metadata=dry_run_form.cleaned_data["metadata"]
            )
            extra["dry_run"] = result
            extra["dry_run_json"] = json.dumps(result.metadata, indent=2) if result.metadata else ""
    elif action == "registrar":
        tab = "registrar"
        if not can_add_client:
            raise PermissionDenied
        registrar_form = RegistrarForm(request.POST)
        if registrar_form.is_valid():
            client, secret = registrar_create(
                workspace=workspace, name=registrar_form.cleaned_data["name"]
            )
            model_admin.log_addition(request, client, "Created a registrar client (dcr_register).")
            extra["registrar"] = {
                "client": client,
                "secret": secret,  # shown in this response only; stored encrypted
                "token_endpoint": request.build_absolute_uri(f"{workspace.path}/oauth2/token"),
            }
            registrar_form = RegistrarForm()
    elif action is not None:
        return HttpResponse("Unknown action.", status=400)
    data = dcr_settings_data(dcr)
    protections = [
        {
            "name": name,
            "label": label,
            "help": help_text,
            "enabled": form[name],
            "source": form[f"{name}_source"],
            "jwks": form[f"{name}_jwks"],
            "jwks_uri": form[f"{name}_jwks_uri"],
            "saved_keys": data[f"{name}_jwks"] or [],
            "saved_uri": data[f"{name}_jwks_uri"],
            "fetched": extra["fetched"]
            if extra.get("fetched", {}).get("protection") == name
            else None,
        }
        for name, label, help_text in KEY_PROTECTIONS
    ]
    recent = list(events(workspace=workspace).order_by("-time", "-pk")[:RECENT_EVENTS])
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "Client Registration",
        "subtitle": workspace.label,
        "opts": model_admin.opts,
        "workspace": workspace,
        "dcr": dcr,
        "workspaces": [(ws, page_url(ws, tab)) for ws in _workspaces()],
        "tabs": [(key, label, page_url(workspace, key)) for key, label in TABS],
        "tab": tab,
        "form": form,
        "protections": protections,
        "dry_run_form": dry_run_form,
        "registrar_form": registrar_form,
        "registrars": Client.objects.filter(
            workspace=workspace, scope__contains="dcr_register", registration_source="manual"
        ).order_by("-created"),
        "recent_events": recent,
        "can_change": can_change,
        "can_add_client": can_add_client,
        "discovery_url": request.build_absolute_uri(
            f"{workspace.path}/.well-known/openid-configuration"
        ),
        "registration_endpoint": request.build_absolute_uri(f"{workspace.path}/oauth2/register"),
        "applications_url": reverse("admin:registration_client_changelist")
        + f"?workspace__id__exact={workspace.pk}",
        "audit_url": reverse("admin:registration_auditevent_changelist")
        + f"?workspace__id__exact={workspace.pk}",
        **extra,
    }
    return TemplateResponse(request, "admin/registration/client_registration.html", context)


# -- Applications: actions on one client -------------------------------------------------------


def _client_for_action(
    request: HttpRequest, object_id: str, model_admin: ModelAdmin[Client]
) -> Client:
    if request.method != "POST":
        raise PermissionDenied  # actions are POST forms (CSRF-checked)
    client = get_object_or_404(Client.objects.select_related("workspace__tenant"), pk=object_id)
    if not model_admin.has_change_permission(request, client):
        raise PermissionDenied
    return client


def reissue_token(
    request: HttpRequest, object_id: str, *, model_admin: ModelAdmin[Client]
) -> HttpResponse:
    """A new registration access token, shown once; the previous one stops working at once."""
    client = _client_for_action(request, object_id, model_admin)
    issued = token_reissue(client=client, info=admin_actor(request))
    model_admin.log_change(request, client, "Reissued the registration access token.")
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "Registration access token reissued",
        "subtitle": client.name or client.client_id,
        "opts": model_admin.opts,
        "original": client,
        "token": issued.registration_access_token,
        "expires_in": issued.registration_access_token_expires_in,
        "registration_client_uri": request.build_absolute_uri(
            f"{client.workspace.path}/oauth2/register/{client.client_id}"
        ),
        "change_url": reverse("admin:registration_client_change", args=[client.pk]),
    }
    return TemplateResponse(request, "admin/registration/client/token_reissued.html", context)


def revoke_tokens(
    request: HttpRequest, object_id: str, *, model_admin: ModelAdmin[Client]
) -> HttpResponse:
    """Delete every access token, refresh token, ID token and grant issued to the client."""
    client = _client_for_action(request, object_id, model_admin)
    with transaction.atomic():
        counts = [
            model.objects.filter(application=client).delete()[0]
            for model in (
                get_refresh_token_model(),
                get_access_token_model(),
                get_id_token_model(),
                get_grant_model(),
            )
        ]
        model_admin.log_change(request, client, "Revoked all tokens and grants.")
    messages.success(request, f"Revoked all tokens of {client.name or client.client_id}.")
    if not any(counts):
        messages.info(request, "The client had no tokens or grants.")
    return HttpResponseRedirect(reverse("admin:registration_client_change", args=[client.pk]))
