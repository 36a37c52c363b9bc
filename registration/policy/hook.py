"""The custom-rule hook: a callable named by the policy's ``hook`` key, run after every
declarative rule.

A hook is called with keyword arguments only -- ``hook(context=..., metadata=...)`` -- so a
swapped pair of positional arguments cannot go unnoticed.  It receives a copy of the metadata
and returns None (no change) or a dict (the adjusted metadata), or raises a
``RegistrationError`` subclass to refuse.  Any other exception, or any other return value,
refuses the registration with a generic 403 ``access_denied`` (``rule="hook"``): a broken
hook fails closed and its exception text never reaches the client.  Example::

    # mycompany/dcr_rules.py -- policy: {"hook": "mycompany.dcr_rules.check"}
    from registration.errors import InvalidClientMetadata
    from registration.policy import HookContext

    def check(*, context: HookContext, metadata: dict) -> dict | None:
        if "partner" in metadata.get("client_name", "").lower() and context.is_update:
            raise InvalidClientMetadata("client_name: partner clients cannot be renamed")
        if not metadata.get("contacts"):
            return {**metadata, "contacts": ["dcr-owners@mycompany.example"]}
        return None

Only modules under an allow-listed prefix are ever imported (``DCR_POLICY_HOOK_MODULES``,
comma-separated module prefixes matched on whole dotted components; empty by default, so no hook
runs until an operator names where hooks live). The path is checked before anything is imported:
an administrator saving a policy cannot make the server import an arbitrary module (importing
runs its top-level code).

Pure Python: ``importlib`` resolves the dotted path; no Django object is passed in (the
allow-list is read from the settings only when the caller does not pass it).
"""

from __future__ import annotations

import copy
import importlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from registration.errors import AccessDenied, RegistrationError

from .document import PolicyError

logger = logging.getLogger(__name__)

HOOK_FAILED = "policy hook: the registration was refused by the workspace's custom rule"


@dataclass(frozen=True)
class HookContext:
    """What a hook may know about the request (never a Django request or model)."""

    workspace_label: str
    source_ip: str | None
    user_agent: str
    is_update: bool
    software_statement_issuer: str | None


def configured_hook_modules() -> tuple[str, ...]:
    """``DCR_POLICY_HOOK_MODULES``: the module prefixes hooks may come from."""
    from django.conf import settings

    return tuple(getattr(settings, "DCR_POLICY_HOOK_MODULES", ()) or ())


def _allowed(module_name: str, prefixes: Sequence[str]) -> bool:
    return any(module_name == prefix or module_name.startswith(prefix + ".") for prefix in prefixes)


def load_hook(
    dotted_path: str, *, allowed_modules: Sequence[str] | None = None
) -> Callable[..., Any]:
    """Import ``package.module.callable``; ``PolicyError`` (naming ``hook``) if it is outside
    the allow-list (``allowed_modules``, default ``DCR_POLICY_HOOK_MODULES``), missing or not
    callable.  Call it when a policy is saved to refuse a hook that cannot run."""
    module_name, _, attribute = dotted_path.rpartition(".")
    if not module_name or not attribute:
        raise PolicyError("hook", 'must be a dotted Python path "package.module.callable"')
    prefixes = configured_hook_modules() if allowed_modules is None else tuple(allowed_modules)
    if not _allowed(module_name, prefixes):
        allowed = ", ".join(prefixes) if prefixes else "none are"
        raise PolicyError(
            "hook",
            f"module {module_name!r} is not under DCR_POLICY_HOOK_MODULES ({allowed} allowed)",
        )
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise PolicyError("hook", f"cannot import module {module_name!r}") from exc
    except Exception as exc:  # the module itself is broken (raises while importing)
        msg = f"importing module {module_name!r} failed: {type(exc).__name__}"
        raise PolicyError("hook", msg) from exc
    target = getattr(module, attribute, None)
    if target is None:
        raise PolicyError("hook", f"module {module_name!r} has no attribute {attribute!r}")
    if not callable(target):
        raise PolicyError("hook", f"{dotted_path!r} is not callable")
    return target


def run_hook(dotted_path: str, *, context: HookContext, metadata: dict[str, Any]) -> dict[str, Any]:
    """Run the hook; return the metadata it settled on (the input unchanged if it returned None)."""
    try:
        hook = load_hook(dotted_path)
    except PolicyError as exc:
        # A hook that cannot be loaded now (module removed since the policy was saved): refuse.
        logger.error("DCR policy hook %s cannot be loaded: %s", dotted_path, exc)
        raise AccessDenied(HOOK_FAILED, rule="hook") from exc
    try:
        # Keyword arguments only: a hook defined ``def h(*, context, metadata)`` or
        # ``def h(context, metadata)`` binds by name either way.
        outcome = hook(context=context, metadata=copy.deepcopy(metadata))
    except RegistrationError as exc:
        if exc.rule is None:
            exc.rule = "hook"
        raise
    except Exception as exc:
        # Fail closed; the traceback goes to the server log, never to the client.
        logger.exception("DCR policy hook %s raised", dotted_path)
        raise AccessDenied(HOOK_FAILED, rule="hook") from exc
    if outcome is None:
        return metadata
    if not isinstance(outcome, dict) or not all(isinstance(key, str) for key in outcome):
        logger.error(
            "DCR policy hook %s returned %s; expected None or a dict",
            dotted_path,
            type(outcome).__name__,
        )
        raise AccessDenied(HOOK_FAILED, rule="hook")
    return copy.deepcopy(outcome)
