"""The docs runner's parts: ```console blocks read from Markdown, and their output compared.

A block is a shell session. A line starting with ``$ `` is a command (a line ending in ``\\``
continues it on the next line); the lines after it, up to the next ``$ `` line or the end of
the block, are what the command prints (stdout and stderr together). Only ```console fences
are run; ```bash and ```text fences are for reading.

Comparing, the documented output may use:

- a line that is only ``...``: any number of lines, none included;
- ``...`` inside a line: any text on that line;
- real-looking values for what differs per run. Both sides are normalised before comparing:
  ISO 8601 times and ``YYYY-MM-DD HH:MM:SS`` become ``<time>``, epoch seconds ``<epoch>``, and
  any run of 20 or more characters of ``[A-Za-z0-9_-]`` that mixes upper- and lower-case
  letters (client ids, secrets, tokens, JWS parts) becomes ``<random>``. Fixed strings such as
  ``registration_access_token`` or ``4NRB1-0XZABZI9E6-5SM3R`` do not mix cases and stay.

The live server's address in the docs is ``127.0.0.1:8000``; the runner serves elsewhere and
swaps the two (commands get the real port, output is shown with 8000).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

FENCE_OPEN = re.compile(r"^```console\s*$")
FENCE_CLOSE = re.compile(r"^```\s*$")
PROMPT = "$ "
ELISION = "..."

_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?")
_EPOCH = re.compile(r"(?<![\w.])1[6-9]\d{8}(?![\w.])")
_RANDOM = re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{20,}(?![A-Za-z0-9_-])")


@dataclass
class Command:
    text: str  # the command as bash gets it (continuation lines included)
    line: int  # 1-based line number of its "$ " line in the Markdown file
    expected: list[str] = field(default_factory=list)


def console_commands(markdown: str) -> list[Command]:
    """Every command of every ```console block, in document order."""
    commands: list[Command] = []
    inside = False
    current: Command | None = None
    continuing = False
    for number, line in enumerate(markdown.splitlines(), start=1):
        if not inside:
            inside = bool(FENCE_OPEN.match(line))
            continue
        if FENCE_CLOSE.match(line):
            inside, current, continuing = False, None, False
            continue
        if continuing and current is not None:
            current.text += "\n" + line
        elif line.startswith(PROMPT):
            current = Command(text=line[len(PROMPT) :], line=number)
            commands.append(current)
        elif current is not None:
            current.expected.append(line)
        else:
            raise ValueError(f"line {number}: output before any $ command in a console block")
        continuing = current is not None and not current.expected and line.endswith("\\")
    if inside:
        raise ValueError("a ```console block is not closed")
    return commands


def _mixed_case(match: re.Match[str]) -> str:
    text = match.group(0)
    if any(c.islower() for c in text) and any(c.isupper() for c in text):
        return "<random>"
    return text


def normalise(line: str) -> str:
    line = _TIME.sub("<time>", line.rstrip())
    line = _EPOCH.sub("<epoch>", line)
    return _RANDOM.sub(_mixed_case, line)


def _line_pattern(expected: str) -> re.Pattern[str]:
    parts = [re.escape(part) for part in normalise(expected).split(ELISION)]
    return re.compile(".*".join(parts))


def matches(expected: list[str], actual: list[str]) -> bool:
    """Whether ``actual`` is what ``expected`` documents (elisions and normalisation above)."""
    wanted = [line for line in expected]
    got = [normalise(line) for line in actual]
    patterns = [None if line.strip() == ELISION else _line_pattern(line) for line in wanted]

    @cache
    def match_from(i: int, j: int) -> bool:
        if i == len(patterns):
            return j == len(got)
        pattern = patterns[i]
        if pattern is None:  # an elided run of lines: try every length
            return any(match_from(i + 1, k) for k in range(j, len(got) + 1))
        return j < len(got) and bool(pattern.fullmatch(got[j])) and match_from(i + 1, j + 1)

    return match_from(0, 0)
