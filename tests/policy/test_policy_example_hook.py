"""registration.policy.examples.check, the hook the full example of docs/policy.md names."""

from __future__ import annotations

import pytest

from registration.errors import InvalidClientMetadata
from registration.policy import HookContext, load_hook
from registration.policy.examples import DEFAULT_CONTACT, check


def _context(*, is_update: bool) -> HookContext:
    return HookContext(
        workspace_label="default/default",
        source_ip="127.0.0.1",
        user_agent="test",
        is_update=is_update,
        software_statement_issuer=None,
    )


def test_the_documented_dotted_path_loads() -> None:
    assert load_hook("registration.policy.examples.check") is check


def test_a_client_without_contacts_gets_the_owners() -> None:
    adjusted = check(context=_context(is_update=False), metadata={"client_name": "App"})

    assert adjusted == {"client_name": "App", "contacts": [DEFAULT_CONTACT]}


def test_a_client_with_contacts_is_unchanged() -> None:
    metadata = {"client_name": "App", "contacts": ["ops@example.org"]}

    assert check(context=_context(is_update=False), metadata=metadata) is None


def test_a_partner_update_is_refused() -> None:
    with pytest.raises(InvalidClientMetadata, match="partner"):
        check(context=_context(is_update=True), metadata={"client_name": "Partner app"})
