"""``# noqa`` comments, read the way flake8 reads them so both front doors agree."""

from __future__ import annotations

import io
import re
import tokenize
from typing import Optional

# flake8's own pattern (flake8.defaults.NOQA_INLINE_REGEXP).
NOQA_INLINE = re.compile(r"# noqa(?::[\s]?(?P<codes>([A-Z]+[0-9]+(?:[,\s]+)?)+))?", re.IGNORECASE)
NOQA_FILE = re.compile(r"\s*# flake8[:=]\s*noqa", re.IGNORECASE)

Suppressions = tuple[tuple[int, Optional[tuple[str, ...]]], ...]
FILE_SUPPRESSED = 0  # a pseudo line number: the whole file is exempt (flake8 file-level noqa)


def _codes(match: re.Match[str]) -> Optional[tuple[str, ...]]:
    codes = match.group("codes")
    if codes is None:
        return None
    return tuple(sorted({c for c in re.split(r"[,\s]+", codes.strip()) if c}))


def read_suppressions(text: str) -> Suppressions:
    """Line → suppressed codes (None: all), for every line of a statement carrying a noqa.

    Like flake8, a ``# noqa`` anywhere in a multi-line statement covers all its lines.
    """
    if "noqa" not in text.lower():
        return ()
    lines = text.splitlines(keepends=True)
    if any(NOQA_FILE.match(line) for line in lines):
        return ((FILE_SUPPRESSED, None),)
    out: dict[int, Optional[tuple[str, ...]]] = {}
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        tokens = []
    first, last = len(lines) + 2, -1
    for token in tokens:
        if token.type in (tokenize.ENDMARKER, tokenize.DEDENT):
            continue
        first = min(first, token.start[0])
        last = max(last, token.end[0])
        if token.type in (tokenize.NL, tokenize.NEWLINE):
            joined = "".join(lines[first - 1 : last])
            match = NOQA_INLINE.search(joined)
            if match is not None:
                codes = _codes(match)
                for line in range(first, last + 1):
                    out[line] = codes
            first, last = len(lines) + 2, -1
    if not tokens:  # untokenizable: fall back to physical lines
        for number, physical in enumerate(lines, start=1):
            found = NOQA_INLINE.search(physical)
            if found is not None:
                out[number] = _codes(found)
    return tuple(sorted(out.items()))


def is_suppressed(suppressions: dict[int, Optional[tuple[str, ...]]], line: int, code: str) -> bool:
    if FILE_SUPPRESSED in suppressions:
        return True
    if line not in suppressions:
        return False
    codes = suppressions[line]
    return codes is None or code in codes or code.startswith(codes)
