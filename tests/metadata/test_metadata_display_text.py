"""Human-readable metadata refuses characters that hide or reorder text (consent spoofing):
zero-width, bidirectional controls and other format characters (Unicode category Cf), other
invisible characters, and spaces other than U+0020. In the pure validator, so registration,
update, software statements and Client ID Metadata Documents all refuse them."""

from __future__ import annotations

import pytest

from registration.errors import InvalidClientMetadata

SPOOFS = {
    "zero-width-space": "Google\u200b Accounts",
    "zero-width-joiner": "Goo\u200dgle",
    "zero-width-non-joiner": "Goo\u200cgle",
    "word-joiner": "Goo\u2060gle",
    "bom": "\ufeffGoogle",
    "soft-hyphen": "Goo\u00adgle",
    "rtl-override": "evil\u202etxt.exe",
    "rtl-isolate": "Bank\u2067 of\u2069",
    "lrm": "Bank\u200e",
    "arabic-letter-mark": "Bank\u061c",
    "tag-character": "Google\U000e0041",
    "hangul-filler": "Google\u3164Accounts",
    "combining-grapheme-joiner": "Goo\u034fgle",
    "braille-blank": "Google\u2800",
    "nbsp": "Google\u00a0Accounts",
    "em-space": "Google\u2003Accounts",
    "ideographic-space": "Google\u3000Accounts",
    "private-use": "Google\ue000",
    "line-separator": "Google\u2028Accounts",
}


@pytest.mark.parametrize("name", SPOOFS.values(), ids=SPOOFS.keys())
def test_client_name_refuses_invisible_and_format_characters(validate, web_client, name):
    """RFC 7591 §2 client_name is "presented to the end-user": nothing that renders invisibly
    or reorders text; the error names the field and the character."""
    with pytest.raises(InvalidClientMetadata) as info:
        validate({**web_client, "client_name": name})
    assert info.value.description.startswith("client_name: must not contain invisible")
    assert "U+" in info.value.description


@pytest.mark.parametrize("field", ["client_name#ja", "client_name#ar-EG"])
def test_language_tagged_names_are_checked_too_rfc7591_2_2(validate, web_client, field):
    """RFC 7591 §2.2: every localized variant of a human-readable field gets the same rule."""
    with pytest.raises(InvalidClientMetadata) as info:
        validate({**web_client, field: "\u30b0\u30fc\u30b0\u30eb\u200b"})
    assert info.value.description.startswith(f"{field}: ")


@pytest.mark.parametrize("field", ["software_id", "software_version"])
def test_software_strings_refuse_format_characters(validate, web_client, field):
    with pytest.raises(InvalidClientMetadata, match=rf"^{field}: must not contain invisible"):
        validate({**web_client, field: "1.0\u200b"})


def test_contacts_refuse_format_characters(validate, web_client):
    with pytest.raises(InvalidClientMetadata, match=r"^contacts\[0\]: "):
        validate({**web_client, "contacts": ["ops\u200b@example.com"]})


@pytest.mark.parametrize(
    "name",
    [
        "Café Müller",
        "Ελληνικά",
        "日本語のアプリ",
        "مثال",  # right-to-left script without control characters
        "עברית",
        "हिन्दी",  # combining marks (Mn/Mc) are letters' parts, not refused
        "App ❤️",  # emoji with variation selector-16 (Mn)
        "Notes 🗒",
    ],
)
def test_ordinary_names_in_any_script_are_kept(validate, web_client, name):
    assert validate({**web_client, "client_name": name})["client_name"] == name
