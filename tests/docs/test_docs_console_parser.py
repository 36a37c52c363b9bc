"""The docs runner's reader and comparison (tests/docs/console.py) on small pages."""

from __future__ import annotations

from tests.docs.console import console_commands, matches, normalise

PAGE = """Intro.

```bash
$ not run
```

```console
$ echo one \\
    two
one two
$ true
$ printf 'a\\nb\\n'
a
...
```
"""


def test_only_console_blocks_are_read_with_continuations_and_outputs() -> None:
    commands = console_commands(PAGE)

    assert [c.text for c in commands] == ["echo one \\\n    two", "true", "printf 'a\\nb\\n'"]
    assert [c.expected for c in commands] == [["one two"], [], ["a", "..."]]
    assert commands[0].line == 8


def test_an_elision_line_matches_any_number_of_lines() -> None:
    assert matches(["{", "...", "}"], ["{", "}"])
    assert matches(["{", "...", "}"], ["{", "a", "b", "}"])
    assert not matches(["{", "...", "}"], ["{", "a"])


def test_an_inline_elision_matches_any_text() -> None:
    assert matches(['"scope": "...",'], ['"scope": "openid email",'])
    assert not matches(['"scope": "...",'], ['"grant": "x",'])


def test_per_run_values_are_normalised_but_fixed_strings_stay() -> None:
    assert matches(
        ['"client_id": "7g24JeVxDfMHJRFUl3Vys0jJ",'], ['"client_id": "Q2w3e4r5t6y7u8i9o0pAsDfG",']
    )
    assert matches(['"client_id_issued_at": 1795796052,'], ['"client_id_issued_at": 1796000000,'])
    assert matches(["2026-11-27 17:33:54  refused"], ["2026-12-01 08:00:01  refused"])
    assert (
        normalise("registration_access_token_expires_in") == "registration_access_token_expires_in"
    )
    assert normalise("4NRB1-0XZABZI9E6-5SM3R") == "4NRB1-0XZABZI9E6-5SM3R"
    assert not matches(['"error": "invalid_token"'], ['"error": "invalid_client"'])


def test_missing_or_extra_output_does_not_match() -> None:
    assert not matches([], ["unexpected"])
    assert not matches(["expected"], [])
