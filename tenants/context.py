"""The workspace the current request addresses, and its issuer URL.

DOT's OAuth2 validator is a process-wide singleton called by oauthlib without the Django request,
so the workspace travels in a context variable set by :func:`tenants.resolve.workspace_view`.
"""

from __future__ import annotations

from contextvars import ContextVar, Token
from dataclasses import dataclass

from tenants.models import Workspace


@dataclass(frozen=True)
class WorkspaceContext:
    workspace: Workspace
    issuer: str


_current: ContextVar[WorkspaceContext | None] = ContextVar("current_workspace", default=None)


class NoWorkspace(RuntimeError):
    """Code that needs a workspace ran outside a workspace-scoped request."""


def current_context() -> WorkspaceContext:
    context = _current.get()
    if context is None:
        raise NoWorkspace("no workspace is active for this request")
    return context


def current_workspace() -> Workspace:
    return current_context().workspace


def active_workspace_id() -> int | None:
    """The primary key of the workspace this request addresses, or None outside one."""
    context = _current.get()
    return context.workspace.pk if context is not None else None


def active_workspace() -> Workspace | None:
    """The request's workspace, or None outside a workspace-scoped request (never raises)."""
    context = _current.get()
    return context.workspace if context is not None else None


def activate(context: WorkspaceContext | None) -> Token[WorkspaceContext | None]:
    return _current.set(context)


def deactivate(token: Token[WorkspaceContext | None]) -> None:
    _current.reset(token)
