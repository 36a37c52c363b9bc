"""Custom admin views: OAuth > Authorization Server > Client Registration, and client actions.

Thin views in the house style: parse a form, call one service, redirect. Every object comes
from ``tenants.access`` (404 outside the user's scope, 403 for a viewer's write); every write is
a CSRF-protected POST that redirects after success; destructive actions ask first (GET shows
the question, POST does it); a secret appears once, from the session (``once.py``).
"""

from __future__ import annotations

import copy
import json
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from oauth2_provider.models import (
    get_access_token_model,
    get_grant_model,
    get_id_token_model,
    get_refresh_token_model,
)

from registration.admin import navigation, once
from registration.admin.forms import (
    KEY_PROTECTIONS,
    ConfirmForm,
    DCRSettingsForm,
    DryRunForm,
    FetchKeysForm,
    RegistrarForm,
    fetch_jwks,
)
from registration.audit import RequestInfo, events
from registration.capabilities import DCR_REGISTER_SCOPE, scopes_supported
from registration.configuration import (
    ConfigurationError,
    changed_fields,
    dcr_configure,
    dcr_settings_data,
)
from registration.dry_run import policy_dry_run
from registration.models import Client, DCRSettings
from registration.selectors import dcr_settings_for
from registration.services import registrar_create, token_reissue
from tenants import access
from tenants.models import Workspace

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin

TABS = navigation.TABS
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
    ("client secret lifetime", "client_secret_ttl"),
    ("delete_never_used_after_days", "delete_never_used_after_days"),
    ("delete_idle_after_days", "delete_idle_after_days"),
    ("default scopes", "default_scopes"),
    ("CIMD trusted host", "cimd_trusted_hosts"),
)
# What a success message calls each changed setting.
FIELD_NAMES = {
    "enabled": "dynamic client registration",
    "registration_access_token_ttl": "registration access token lifetime",
    "protect_by_access_token": "protect by access token",
    "software_statement_jwks": "software statement keys",
    "software_statement_jwks_uri": "software statement JWKS URI",
    "signed_request_jwks": "signed request keys",
    "signed_request_jwks_uri": "signed request JWKS URI",
    "policy": "policy",
    "delete_never_used_after_days": "delete never-used clients",
    "delete_idle_after_days": "delete idle clients",
    "token_rotation": "token rotation",
    "default_scopes": "default scopes",
    "client_secret_ttl": "client secret lifetime",
    "cimd_enabled": "Client ID Metadata Documents",
    "cimd_trusted_hosts": "metadata document hosts",
}
# Changed only together with their URI (registration/configuration.py _apply_key_set), which the
# message names already; the audit event still lists them.
UNNAMED_FIELDS = {"software_statement_jwks_uri_trusted", "signed_request_jwks_uri_trusted"}


def admin_actor(request: HttpRequest) -> RequestInfo:
    return RequestInfo(actor=request.user.get_username()[:150], source_ip=None)


def page_url(workspace: Workspace, tab: str = "dcr") -> str:
    return navigation.registration_url(workspace, tab)


def client_registration_index(
    request: HttpRequest, *, model_admin: ModelAdmin[DCRSettings]
) -> HttpResponse:
    """Pick a workspace (straight to its page when there is only one)."""
    workspaces = list(access.workspaces_for(request.user).select_related("dcr_settings"))
    if not workspaces:
        raise PermissionDenied  # no grant: no tenant data
    if len(workspaces) == 1:
        return HttpResponseRedirect(page_url(workspaces[0]))
    context = {
        **model_admin.admin_site.each_context(request),
        "title": navigation.CLIENT_REGISTRATION,
        "subtitle": "Choose a workspace",
        "opts": model_admin.opts,
        "workspaces": [(ws, page_url(ws)) for ws in workspaces],
    }
    return TemplateResponse(request, "admin/registration/client_registration_index.html", context)


def _field_for(error: ConfigurationError) -> str | None:
    message = str(error)
    return next((field for prefix, field in ERROR_FIELDS if message.startswith(prefix)), None)


def _saved_message(changed: list[str], dcr: DCRSettings) -> tuple[int, str]:
    if not changed:
        return messages.INFO, "Nothing changed."
    names = ", ".join(
        FIELD_NAMES.get(name, name)
        for name in changed
        if name != "enabled" and name not in UNNAMED_FIELDS
    )
    if "enabled" in changed and dcr.enabled:
        return messages.SUCCESS, ENABLED_MESSAGE + (f" Also changed: {names}." if names else "")
    if "enabled" in changed:
        return messages.SUCCESS, "Dynamic client registration is now disabled." + (
            f" Also changed: {names}." if names else ""
        )
    return messages.SUCCESS, f"Saved. Changed: {names}."


def _save_settings(
    request: HttpRequest,
    form: DCRSettingsForm,
    workspace: Workspace,
    model_admin: ModelAdmin[DCRSettings],
) -> tuple[DCRSettings, list[str]] | None:
    """Apply the form through dcr_configure; on a ConfigurationError nothing is written."""
    before = copy.deepcopy(dcr_settings_for(workspace=workspace))
    if _hook_of(form.cleaned_data["policy"]) != _hook_of(before.policy) and not (
        access.is_superuser(request.user)
    ):
        # A hook is a Python import path run in the server: a platform (superuser) decision,
        # never a tenant admin's, or any tenant could import and call server code.
        form.add_error(
            "policy", "Only a platform administrator (superuser) can set or change a policy hook."
        )
        return None
    try:
        dcr = dcr_configure(
            workspace=workspace, change=form.settings_change(), actor=admin_actor(request).actor
        )
    except ConfigurationError as exc:
        form.add_error(_field_for(exc), str(exc))
        return None
    changed = changed_fields(before, dcr)
    if changed:
        model_admin.log_change(request, dcr, [{"changed": {"fields": changed}}])
    return dcr, changed


def _hook_of(policy: object) -> object:
    return policy.get("hook") if isinstance(policy, dict) else None


def _fetch_keys(dcr: DCRSettings, protection: str) -> dict[str, Any]:
    """ "Fetch now": GET the saved JWKS URI and validate it exactly as a registration would."""
    uri = getattr(dcr, f"{protection}_jwks_uri")
    if not uri:
        return {"protection": protection, "error": "No JWKS URI is saved for this protection."}
    try:
        keys = fetch_jwks(uri, trusted=getattr(dcr, f"{protection}_jwks_uri_trusted"))
    except ValueError as exc:
        return {"protection": protection, "uri": uri, "error": str(exc)}
    return {"protection": protection, "uri": uri, "keys": keys}


def _post(
    request: HttpRequest,
    workspace: Workspace,
    dcr: DCRSettings,
    model_admin: ModelAdmin[DCRSettings],
    offered: list[str],
) -> HttpResponse | DCRSettingsForm | DryRunForm | RegistrarForm:
    """One POST of the page: a redirect after success, or the form with its errors."""
    action = request.POST.get("action")
    if action not in ("save", "fetch", "dry_run", "registrar"):
        return HttpResponse("Unknown action.", status=400)
    # Every action needs the admin role: the dry run too, as it runs the policy hook and fetches.
    if not access.can_change(request.user, workspace):
        raise PermissionDenied
    if action == "save":
        form = DCRSettingsForm(
            request.POST,
            scopes_supported=offered,
            saved=dcr,
            uris_trusted=access.is_superuser(request.user),
        )
        if form.is_valid() and (saved := _save_settings(request, form, workspace, model_admin)):
            level, text = _saved_message(saved[1], saved[0])
            messages.add_message(request, level, text)
            return HttpResponseRedirect(page_url(workspace))
        return form
    if action == "fetch":
        fetch_form = FetchKeysForm(request.POST)
        if fetch_form.is_valid():
            once.stash(
                request,
                f"fetched:{workspace.pk}",
                _fetch_keys(dcr, fetch_form.cleaned_data["protection"]),
            )
        return HttpResponseRedirect(page_url(workspace))
    if action == "dry_run":
        dry_run_form = DryRunForm(request.POST)
        if not dry_run_form.is_valid():
            return dry_run_form
        result = policy_dry_run(
            workspace=workspace, raw_metadata=dry_run_form.cleaned_data["metadata"]
        )
        once.stash(
            request,
            f"dry_run:{workspace.pk}",
            {"input": dry_run_form.data["metadata"], "result": result.as_dict()},
        )
        return HttpResponseRedirect(page_url(workspace, "test"))
    registrar_form = RegistrarForm(request.POST)
    if not registrar_form.is_valid():
        return registrar_form
    client, secret = registrar_create(workspace=workspace, name=registrar_form.cleaned_data["name"])
    model_admin.log_addition(request, client, "Created a registrar client (dcr_register).")
    # Shown once by the page this redirects to; stored encrypted, never again in clear.
    once.stash(request, f"registrar:{workspace.pk}", {"client_pk": client.pk, "secret": secret})
    messages.success(request, f"Created the registrar client {client.name}.")
    return HttpResponseRedirect(page_url(workspace, "registrar"))


def client_registration(
    request: HttpRequest, workspace_pk: int, *, model_admin: ModelAdmin[DCRSettings]
) -> HttpResponse:
    """The Client Registration page of one workspace; tabs DCR, registrar, test, events."""
    workspace = access.get_workspace_for(request.user, workspace_pk)
    navigation.remember(request, workspace)
    dcr = dcr_settings_for(workspace=workspace)
    can_change = access.can_change(request.user, workspace)
    tab = request.GET.get("tab", "dcr")
    if tab not in dict(TABS):
        tab = "dcr"
    offered = scopes_supported(workspace)
    form = DCRSettingsForm(
        initial=DCRSettingsForm.initial_for(dcr),
        scopes_supported=offered,
        saved=dcr,
        uris_trusted=access.is_superuser(request.user),
    )
    dry_run_form, registrar_form = DryRunForm(), RegistrarForm()
    if request.method == "POST":
        outcome = _post(request, workspace, dcr, model_admin, offered)
        if isinstance(outcome, HttpResponse):
            return outcome
        if isinstance(outcome, DCRSettingsForm):
            form, tab = outcome, "dcr"
        elif isinstance(outcome, DryRunForm):
            dry_run_form, tab = outcome, "test"
        else:
            registrar_form, tab = outcome, "registrar"
    fetched = once.take(request, f"fetched:{workspace.pk}") or {}
    dry_run = once.take(request, f"dry_run:{workspace.pk}") if tab == "test" else None
    if dry_run is not None:
        dry_run_form = DryRunForm(initial={"metadata": dry_run["input"]})
    registrar = once.take(request, f"registrar:{workspace.pk}") if tab == "registrar" else None
    if registrar is not None:
        created = Client.objects.filter(pk=registrar["client_pk"], workspace=workspace).first()
        registrar = (
            {
                "client": created,
                "secret": registrar["secret"],
                "token_endpoint": request.build_absolute_uri(f"{workspace.path}/oauth2/token"),
            }
            if created is not None
            else None
        )
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
            "fetch_later": form[f"{name}_fetch_later"],
            "saved_keys": data[f"{name}_jwks"] or [],
            "saved_uri": data[f"{name}_jwks_uri"],
            "fetched": fetched if fetched.get("protection") == name else None,
        }
        for name, label, help_text in KEY_PROTECTIONS
    ]
    recent = list(events(workspace=workspace).order_by("-time", "-pk")[:RECENT_EVENTS])
    context = {
        **model_admin.admin_site.each_context(request),
        "title": navigation.CLIENT_REGISTRATION,
        "subtitle": workspace.label,
        "opts": model_admin.opts,
        "workspace": workspace,
        "dcr": dcr,
        "tabs": [(key, label, page_url(workspace, key)) for key, label in TABS],
        "tab": tab,
        "form": form,
        "protections": protections,
        "dry_run_form": dry_run_form,
        "dry_run": dry_run["result"] if dry_run else None,
        "dry_run_json": json.dumps(dry_run["result"].get("metadata"), indent=2)
        if dry_run and dry_run["result"].get("accepted")
        else "",
        "registrar_form": registrar_form,
        "registrar": registrar,
        "registrars": Client.objects.filter(
            workspace=workspace, scope__contains=DCR_REGISTER_SCOPE, registration_source="manual"
        ).order_by("-created"),
        "recent_events": recent,
        "can_change": can_change,
        "discovery_url": request.build_absolute_uri(
            f"{workspace.path}/.well-known/openid-configuration"
        ),
        "registration_endpoint": request.build_absolute_uri(f"{workspace.path}/oauth2/register"),
        "applications_url": navigation.applications_url(workspace),
        "audit_url": navigation.audit_url(workspace),
    }
    return TemplateResponse(request, "admin/registration/client_registration.html", context)


# -- Applications: actions on one client -------------------------------------------------------


def _confirm(
    request: HttpRequest,
    client: Client,
    model_admin: ModelAdmin[Client],
    *,
    title: str,
    question: str,
    button: str,
) -> HttpResponse:
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "subtitle": client.name or client.client_id,
        "opts": model_admin.opts,
        "original": client,
        "question": question,
        "button": button,
        "form": ConfirmForm(),
        "change_url": reverse("admin:registration_client_change", args=[client.pk]),
    }
    return TemplateResponse(request, "admin/registration/client/confirm_action.html", context)


def _confirmed(request: HttpRequest) -> bool:
    return request.method == "POST" and ConfirmForm(request.POST).is_valid()


def reissue_token(
    request: HttpRequest, object_id: str, *, model_admin: ModelAdmin[Client]
) -> HttpResponse:
    """A new registration access token, shown once; the previous one stops working at once."""
    client = model_admin.get_object_for_action(request, object_id, change=True)  # type: ignore[attr-defined]
    navigation.remember(request, client.workspace)
    if not _confirmed(request):
        return _confirm(
            request,
            client,
            model_admin,
            title="Reissue the registration access token?",
            question="The client's current registration access token stops working at once; "
            "the new one is shown once, on the next page.",
            button="Yes, reissue the token",
        )
    issued = token_reissue(client=client, info=admin_actor(request))
    model_admin.log_change(request, client, "Reissued the registration access token.")
    once.stash(
        request,
        f"token:{client.pk}",
        {
            "token": issued.registration_access_token,
            "expires_in": issued.registration_access_token_expires_in,
        },
    )
    return HttpResponseRedirect(reverse("admin:registration_client_change", args=[client.pk]))


def revoke_tokens(
    request: HttpRequest, object_id: str, *, model_admin: ModelAdmin[Client]
) -> HttpResponse:
    """Delete every access token, refresh token, ID token and grant issued to the client."""
    client = model_admin.get_object_for_action(request, object_id, change=True)  # type: ignore[attr-defined]
    navigation.remember(request, client.workspace)
    name = client.name or client.client_id
    if not _confirmed(request):
        return _confirm(
            request,
            client,
            model_admin,
            title="Revoke all tokens?",
            question=f"Every access token, refresh token, ID token and authorization grant "
            f"issued to {name} is deleted; its users must authorize it again.",
            button="Yes, revoke all tokens",
        )
    with transaction.atomic():
        revoked = sum(
            model.objects.filter(application=client).delete()[0]
            for model in (
                get_refresh_token_model(),
                get_access_token_model(),
                get_id_token_model(),
                get_grant_model(),
            )
        )
        model_admin.log_change(request, client, "Revoked all tokens and grants.")
    # One message, whatever there was to revoke.
    messages.success(request, f"Revoked all tokens of {name} ({revoked} deleted).")
    return HttpResponseRedirect(reverse("admin:registration_client_change", args=[client.pk]))
