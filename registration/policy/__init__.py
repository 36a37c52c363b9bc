"""The workspace's DCR policy (CONTRACT.md "The DCR policy document").

Pure Python: ``parse_policy`` validates a stored document into a typed ``Policy``;
``evaluate_policy`` applies it to normalized client metadata and raises the RFC 7591 errors
(``rule`` = the refusing key); the ``hook`` key names a custom rule run last (``hook.py``).
``rate_limit`` is parsed here and enforced by the caller.  ``schema.json`` documents the shape.
"""

from .document import (
    POLICY_KEYS,
    AllowRule,
    ClientNameRule,
    Policy,
    PolicyError,
    RateLimit,
    RedirectUrisRule,
    ScopesRule,
    SoftwareStatementRule,
    parse_policy,
    policy_to_document,
)
from .evaluate import PolicyContext, check_quotas, evaluate_policy
from .hook import HookContext, load_hook, run_hook

__all__ = [
    "POLICY_KEYS",
    "AllowRule",
    "ClientNameRule",
    "HookContext",
    "Policy",
    "PolicyContext",
    "PolicyError",
    "RateLimit",
    "RedirectUrisRule",
    "ScopesRule",
    "SoftwareStatementRule",
    "check_quotas",
    "evaluate_policy",
    "load_hook",
    "parse_policy",
    "policy_to_document",
    "run_hook",
]
