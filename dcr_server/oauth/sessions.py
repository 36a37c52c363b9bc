"""Logins bound to workspaces (issue 14, finding 11): one login does not authorize everywhere.

Every workspace is its own authorization server, so a Django session login counts only at the
workspaces it was made for. The login page learns the workspace from its ``next`` URL (the
authorization request that sent the user there): ``WorkspaceLoginView`` records that
workspace in the session after a successful sign-in. The authorization endpoint
(``require_workspace_login``) treats a user signed in elsewhere only as anonymous: it sends them
to the login page again, with ``next`` naming this workspace. Signing in again (the same user)
keeps the earlier workspaces; another user, or logging out, starts a fresh session.

Consent needs nothing extra: DOT remembers approval per client (an unexpired token of that
application for that user), and every client belongs to exactly one workspace.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from django.contrib.auth.views import LoginView, redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve

from tenants.context import current_workspace
from tenants.models import Workspace
from tenants.resolve import find_workspace

SESSION_KEY = "dcr_login_workspaces"


def bind_login(request: HttpRequest, workspace: Workspace) -> None:
    """Record that the session's user signed in for ``workspace``."""
    bound = [pk for pk in request.session.get(SESSION_KEY, []) if isinstance(pk, int)]
    if workspace.pk not in bound:
        request.session[SESSION_KEY] = [*bound, workspace.pk]


def login_bound(request: HttpRequest, workspace: Workspace) -> bool:
    return workspace.pk in request.session.get(SESSION_KEY, [])


def workspace_of_url(url: str) -> Workspace | None:
    """The workspace whose URL ``url`` is (``/{tenant}/{workspace}/...``), or None."""
    try:
        match = resolve(urlsplit(url).path)
    except Resolver404:
        return None
    tenant, workspace = match.kwargs.get("tenant"), match.kwargs.get("workspace")
    if not isinstance(tenant, str) or not isinstance(workspace, str):
        return None
    return find_workspace(tenant, workspace)


class WorkspaceLoginView(LoginView):
    """Django's login page; a successful sign-in is bound to the workspace of ``next``."""

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        # get_success_url: the ``next`` Django already checked (same host, safe scheme).
        workspace = workspace_of_url(self.get_success_url())
        if workspace is not None:
            bind_login(self.request, workspace)
        return response


def require_workspace_login(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Inside ``workspace_view``: a user signed in only at other workspaces signs in again."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated and not login_bound(request, current_workspace()):
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapper
