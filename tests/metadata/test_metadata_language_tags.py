"""Language-tagged human-readable fields (RFC 7591 §2.2, BCP 47 / RFC 5646)."""

from __future__ import annotations

import pytest

from registration.errors import InvalidClientMetadata


@pytest.mark.parametrize(
    "tag",
    [
        "ja-Jpan-JP",
        "en",
        "en-US",
        "de-CH-1901",
        "zh-Hant",
        "es-419",
        "sl-rozaj-biske",
        "en-a-bbb-x-a-ccc",
        "x-whatever",
        "zh-yue-HK",
        "i-klingon",
        "FR-ca",
    ],
)
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("client_name", "Client Name"),
        ("client_uri", "https://app.example.com/"),
        ("logo_uri", "https://app.example.com/logo.png"),
        ("tos_uri", "https://app.example.com/tos"),
        ("policy_uri", "https://app.example.com/privacy"),
    ],
)
def test_language_tagged_fields_are_kept_under_their_key_rfc7591_2_2(
    validate, web_client, field, value, tag
):
    """RFC 7591 §2.2: "client_name#ja-Jpan-JP" -- the tag is a BCP 47 language tag."""
    key = f"{field}#{tag}"
    result = validate({**web_client, key: value})
    assert result[key] == value


@pytest.mark.parametrize(
    "tag", ["", "e", "toolongtag9", "en_US", "en-", "-en", "en--US", "x", "en-x", "ja#JP", "日本"]
)
def test_malformed_language_tags_are_refused_rfc5646_2_1(validate, web_client, tag):
    """RFC 5646 §2.1 / RFC 7591 §2.2: the tag must be well-formed BCP 47."""
    with pytest.raises(InvalidClientMetadata, match=r"^client_name#.*not a well-formed BCP 47"):
        validate({**web_client, f"client_name#{tag}": "Name"})


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("client_name#en", ""),
        ("client_name#en", "bad\x00name"),
        ("client_name#en", ["Name"]),
        ("logo_uri#en", "http://app.example.com/logo.png"),
        ("tos_uri#fr", "javascript:alert(1)"),
    ],
)
def test_tagged_values_follow_the_untagged_rules_rfc7591_2_2(validate, web_client, key, value):
    """RFC 7591 §2.2: a tagged value is the same field, in another language."""
    with pytest.raises(InvalidClientMetadata, match=rf"^{key}"):
        validate({**web_client, key: value})


def test_tags_differing_only_in_case_collide_rfc5646_2_1_1(validate, web_client):
    """RFC 5646 §2.1.1: tags are case-insensitive, so en and EN name the same language."""
    with pytest.raises(InvalidClientMetadata, match=r"duplicate language tag"):
        validate({**web_client, "client_name#en": "A", "client_name#EN": "B"})


@pytest.mark.parametrize("key", ["software_id#en", "redirect_uris#en", "unknown#en", "#en"])
def test_tags_on_other_fields_are_ignored_rfc7591_2(validate, web_client, key):
    """RFC 7591 §2: unknown fields (a tag on a non human-readable field is one) are ignored."""
    assert key not in validate({**web_client, key: "whatever"})


def test_untagged_and_tagged_names_coexist_rfc7591_2_2(validate, web_client):
    """RFC 7591 §2.2 example: "client_name" alongside "client_name#ja-Jpan-JP"."""
    raw = {**web_client, "client_name": "My Example", "client_name#ja-Jpan-JP": "クライアント名"}
    result = validate(raw)
    assert result["client_name"] == "My Example"
    assert result["client_name#ja-Jpan-JP"] == "クライアント名"


def test_overlong_tag_is_clipped_in_the_error_rfc7591_3_2_2(validate, web_client):
    """RFC 7591 §3.2.2: the description never echoes large client input."""
    with pytest.raises(InvalidClientMetadata) as excinfo:
        validate({**web_client, "client_name#" + "a" * 5000: "x"})
    assert len(excinfo.value.description) < 250
