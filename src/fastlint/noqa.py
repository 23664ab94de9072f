"""``# noqa`` comments, read the way flake8 reads them so both front doors agree."""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass
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


def physical_lines(text: str) -> list[str]:
    """The lines as the tokenizer numbers them, with their endings. ``str.splitlines``
    would also split at form feeds and other separators, and shift the numbers."""
    return io.StringIO(text).readlines()


def _statement_ranges(lines: list[str], text: str) -> Optional[list[tuple[int, int]]]:
    """The (first, last) physical lines of each stretch a ``# noqa`` applies to, as flake8
    joins them: a line, or the lines of a multi-line string or a backslash continuation.
    None when the text cannot be tokenized."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return None
    if not tokens:
        return None
    ranges: list[tuple[int, int]] = []
    first, last = len(lines) + 2, -1
    for token in tokens:
        if token.type in (tokenize.ENDMARKER, tokenize.DEDENT):
            continue
        first = min(first, token.start[0])
        last = max(last, token.end[0])
        if token.type in (tokenize.NL, tokenize.NEWLINE):
            ranges.append((first, last))
            first, last = len(lines) + 2, -1
    return ranges


def _ranges_or_lines(lines: list[str], text: str) -> list[tuple[int, int]]:
    """As :func:`_statement_ranges`, one physical line at a time when it cannot tell."""
    ranges = _statement_ranges(lines, text)
    if ranges is None:  # untokenizable: fall back to physical lines
        return [(number, number) for number in range(1, len(lines) + 1)]
    return ranges


def noqa_ranges(text: str) -> list[tuple[int, int]]:
    """The (first, last) lines of each stretch one ``# noqa`` covers, in order."""
    return _ranges_or_lines(physical_lines(text), text)


def read_suppressions(text: str) -> Suppressions:
    """Line → suppressed codes (None: all), for every line of a statement carrying a noqa.

    Like flake8, a ``# noqa`` anywhere in a multi-line string (or a backslash-continued
    line) covers all its lines.
    """
    if "noqa" not in text.lower():
        return ()
    lines = physical_lines(text)
    if any(NOQA_FILE.match(line) for line in lines):
        return ((FILE_SUPPRESSED, None),)
    out: dict[int, Optional[tuple[str, ...]]] = {}
    for first, last in _ranges_or_lines(lines, text):
        match = NOQA_INLINE.search("".join(lines[first - 1 : last]))
        if match is not None:
            codes = _codes(match)
            for line in range(first, last + 1):
                out[line] = codes
    return tuple(sorted(out.items()))


@dataclass(frozen=True)
class NoqaDirective:
    """One ``# noqa`` comment: where it is, the codes as written, and the lines it covers."""

    line: int  # 1-based line of the directive
    column: int  # 0-based character offset of its ``#``
    end_column: int  # just after the directive (after its last code)
    codes: Optional[tuple[str, ...]]  # in the order written; None when bare (all codes)
    first: int  # the first and last lines it suppresses findings on
    last: int
    in_comment: bool  # False when the text is inside a string rather than a comment
    # Where the last code ends on ``line``, for adding codes after it; None when unknown.
    codes_end: Optional[int] = None


def _comment_starts(text: str) -> dict[int, int]:
    """Line → column of the comment on that line."""
    out: dict[int, int] = {}
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.COMMENT:
                out[token.start[0]] = token.start[1]
    except (tokenize.TokenError, SyntaxError, IndentationError):
        pass
    return out


def noqa_directives(text: str) -> list[NoqaDirective]:
    """Every ``# noqa`` that counts, as :func:`read_suppressions` reads them: the first one
    of each line or multi-line string. A file-level ``# flake8: noqa`` yields none."""
    if "noqa" not in text.lower():
        return []
    lines = physical_lines(text)
    if any(NOQA_FILE.match(line) for line in lines):
        return []
    comments = _comment_starts(text)
    out: list[NoqaDirective] = []
    for first, last in _ranges_or_lines(lines, text):
        joined = "".join(lines[first - 1 : last])
        match = NOQA_INLINE.search(joined)
        if match is None:
            continue
        before = joined[: match.start()]
        line = first + before.count("\n")
        column = len(before) - (before.rfind("\n") + 1)
        written = match.group("codes")
        codes = None
        codes_end: Optional[int] = None
        end = match.end()
        if written is not None:
            codes = tuple(c for c in re.split(r"[,\s]+", written.strip()) if c)
            last_code = match.start("codes") + len(written.rstrip(", \t\r\n\f\v"))
            end = last_code
            if "\n" not in joined[match.start() : last_code]:
                codes_end = column + (last_code - match.start())
        text_end = joined[match.start() : end]
        end_column = column + len(text_end.split("\n")[0])
        out.append(
            NoqaDirective(
                line=line,
                column=column,
                end_column=end_column,
                codes=codes,
                first=first,
                last=last,
                in_comment=line in comments and comments[line] <= column,
                codes_end=codes_end,
            )
        )
    return out


def is_suppressed(suppressions: dict[int, Optional[tuple[str, ...]]], line: int, code: str) -> bool:
    if FILE_SUPPRESSED in suppressions:
        return True
    if line not in suppressions:
        return False
    codes = suppressions[line]
    return codes is None or code in codes or code.startswith(codes)
