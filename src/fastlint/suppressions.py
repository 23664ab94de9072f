"""``--add-noqa``: write ``# noqa: CODE`` on the line of every current finding.

Existing comments are kept as they are written: a line that already has ``# noqa: E501``
gets ``# noqa: E501, FLT101`` (in the separator style it uses), any other comment stays
where it is, and a finding inside a multi-line string gets its comment after the string,
where flake8 and fastlint both read it.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Sequence
from dataclasses import dataclass, field

from fastlint.noqa import (
    NoqaDirective,
    is_suppressed,
    noqa_directives,
    noqa_ranges,
    physical_lines,
    read_suppressions,
)

Located = tuple[str, str, int]  # (code, absolute path, line)


@dataclass
class NoqaOutcome:
    directives: int = 0  # comments added or extended
    files: list[str] = field(default_factory=list)  # the files changed
    problems: list[str] = field(default_factory=list)


class _CannotAdd(Exception):
    """The file cannot take the comments; the message says why."""


def _separator(line: str, directive: NoqaDirective) -> str:
    codes = directive.codes or ()
    if len(codes) >= 2:
        written = line[directive.column : directive.codes_end]
        between = re.search(re.escape(codes[0]) + r"([,\s]+)" + re.escape(codes[1]), written)
        if between is not None:
            return between.group(1)
    return ", "


def _line_ending(line: str) -> str:
    for ending in ("\r\n", "\n", "\r"):
        if line.endswith(ending):
            return ending
    return ""


def add_noqa_to_source(text: str, wanted: dict[int, set[str]]) -> tuple[str, int]:
    """``text`` with ``wanted`` (line → codes) suppressed, and how many comments changed."""
    lines = physical_lines(text)
    range_of: dict[int, tuple[int, int]] = {}
    for first, last in noqa_ranges(text):
        for number in range(first, last + 1):
            range_of[number] = (first, last)
    directives = {d.first: d for d in noqa_directives(text)}
    by_range: dict[tuple[int, int], set[str]] = {}
    for number, codes in wanted.items():
        by_range.setdefault(range_of.get(number, (number, number)), set()).update(codes)
    changed = 0
    for (first, last), codes in sorted(by_range.items()):
        directive = directives.get(first)
        if directive is not None:
            existing = directive.codes
            if existing is None:
                continue  # a bare directive already suppresses everything
            missing = sorted(c for c in codes if not c.startswith(existing))
            if not missing:
                continue
            if not directive.in_comment or directive.codes_end is None:
                raise _CannotAdd(f"line {directive.line} has a `noqa` fastlint cannot extend")
            line = lines[directive.line - 1]
            at = directive.codes_end
            separator = _separator(line, directive)
            lines[directive.line - 1] = line[:at] + separator + separator.join(missing) + line[at:]
        else:
            if not 0 < last <= len(lines):
                raise _CannotAdd(f"line {last} is not in the file")
            line = lines[last - 1]
            ending = _line_ending(line)
            body = line[: len(line) - len(ending)].rstrip()
            lines[last - 1] = f"{body}  # noqa: {', '.join(sorted(codes))}{ending}"
        changed += 1
    new_text = "".join(lines)
    # The comments must now suppress every finding, read the way both front doors read them.
    suppressions = dict(read_suppressions(new_text))
    for number, codes in wanted.items():
        for code in codes:
            if not is_suppressed(suppressions, number, code):
                raise _CannotAdd(f"a `# noqa` on line {number} would not be read")
    return new_text, changed


def add_noqa(findings: Sequence[Located], display: dict[str, str]) -> NoqaOutcome:
    """Add the comments to the files of ``findings``; ``display`` names files in messages."""
    # Imported here: it loads libcst.codemod, which only fixing needs otherwise.
    from fastlint.fixes import ChangedOnDisk, write_atomically

    outcome = NoqaOutcome()
    by_path: dict[str, dict[int, set[str]]] = {}
    for code, path, line in findings:
        by_path.setdefault(path, {}).setdefault(line, set()).add(code)
    for path, wanted in sorted(by_path.items()):
        shown = display.get(path, path)
        try:
            with open(path, "rb") as handle:
                data = handle.read()
            encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
            text = data.decode(encoding)
            # Keep the file's own newlines: decode without translating them.
            new_text, changed = add_noqa_to_source(text, wanted)
            if not changed:
                continue
            write_atomically(path, new_text.encode(encoding), data)
        except _CannotAdd as error:
            outcome.problems.append(f"{shown}: no `# noqa` added: {error}")
            continue
        except (SyntaxError, LookupError, UnicodeError) as error:
            outcome.problems.append(f"{shown}: no `# noqa` added: cannot decode: {error}")
            continue
        except ChangedOnDisk:
            outcome.problems.append(f"{shown}: changed while fastlint was editing it, left alone")
            continue
        except OSError as error:
            outcome.problems.append(f"{shown}: cannot write: {error.strerror or error}")
            continue
        outcome.directives += changed
        outcome.files.append(path)
    return outcome
