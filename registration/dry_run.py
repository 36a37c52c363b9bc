"""Test a payload against a workspace's policy without registering anything.

Runs the same pipeline as a registration (software statement when the workspace requires one,
RFC 7591 validation, the policy over the final metadata) and writes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from registration.audit import RequestInfo
from registration.errors import RegistrationError
from registration.intake import apply_software_statement
from registration.selectors import dcr_settings_for
from registration.validation import validate_submission
from tenants.models import Workspace


@dataclass(frozen=True)
class DryRunResult:
    accepted: bool
    metadata: dict[str, Any] | None = None
    error: str = ""
    error_description: str = ""
    rule: str = ""

    def as_dict(self) -> dict[str, Any]:
        if self.accepted:
            return {"accepted": True, "metadata": self.metadata}
        return {
            "accepted": False,
            "error": self.error,
            "error_description": self.error_description,
            "rule": self.rule or None,
        }


def policy_dry_run(
    *, workspace: Workspace, raw_metadata: Mapping[str, Any], source_ip: str | None = None
) -> DryRunResult:
    settings = dcr_settings_for(workspace=workspace)
    try:
        submission = apply_software_statement(settings, dict(raw_metadata), signed=False)
        info = RequestInfo(
            source_ip=source_ip,
            actor="dry-run",
            software_statement_issuer=submission.software_statement_issuer or "",
        )
        metadata = validate_submission(
            workspace=workspace,
            settings=settings,
            raw_metadata=submission.metadata,
            software_statement=submission.software_statement,
            info=info,
        )
    except RegistrationError as exc:
        return DryRunResult(
            accepted=False, error=exc.error, error_description=exc.description, rule=exc.rule or ""
        )
    return DryRunResult(accepted=True, metadata=metadata)
