"""The full format: the concise line, then the source line with the span underlined."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Callable

import click

from fastlint.findings import ChainStep, Finding
from fastlint.report.concise import header

_TAB_SIZE = 4


def _style(text: str, color: bool, *, fg: str | None = None, bold: bool = False) -> str:
    return click.style(text, fg=fg, bold=bold) if color else text


def format_steps(steps: Sequence[ChainStep], separator: str = " → ") -> str:
    """``label [path:line]`` for each step: a chain joined by arrows, a list by commas."""
    return separator.join(f"{step.label} [{step.path}:{step.line}]" for step in steps)


def _snippet(finding: Finding, lines: Sequence[str] | None, color: bool) -> list[str]:
    """The gutter block with the finding's first line and carets under its span."""
    span = finding.span
    if lines is None or not 1 <= span.line <= len(lines):
        return []
    source = lines[span.line - 1]
    start = min(span.column, len(source))
    end = span.end_column if span.end_line == span.line else len(source)
    end = max(start, min(end, len(source)))
    # Columns count characters; measure them on the tab-expanded line that is shown.
    shown = source.expandtabs(_TAB_SIZE)
    shown_start = len(source[:start].expandtabs(_TAB_SIZE))
    shown_end = len(source[:end].expandtabs(_TAB_SIZE))
    carets = "^" * max(1, shown_end - shown_start)

    number = str(span.line)
    blank_gutter = _style(" " * len(number) + " |", color, fg="blue", bold=True)
    line_gutter = _style(number + " |", color, fg="blue", bold=True)
    source_line = f"{line_gutter} {shown}" if shown else line_gutter
    caret_line = f"{blank_gutter} {' ' * shown_start}{_style(carets, color, fg='red', bold=True)}"
    return [blank_gutter, source_line, caret_line, blank_gutter]


def _note(label: str, text: str, color: bool) -> str:
    return f"  {_style('= ' + label + ':', color, bold=True)} {text}"


def _block(finding: Finding, lines: Sequence[str] | None, color: bool) -> str:
    out = [header(finding, color=color)]
    out.extend(_snippet(finding, lines, color))
    if finding.chain:
        out.append(_note("chain", format_steps(finding.chain), color))
    if finding.related:
        out.append(_note("also", format_steps(finding.related, ", "), color))
    if finding.fix is not None:
        out.append(_note(f"fix ({finding.fix.safety})", finding.fix.title, color))
    return "\n".join(out) + "\n"


def render_full(
    findings: Sequence[Finding],
    *,
    source_lines: Callable[[str], Sequence[str] | None],
    color: bool = False,
) -> str:
    cache: dict[str, Sequence[str] | None] = {}

    def lines_of(path: str) -> Sequence[str] | None:
        if path not in cache:
            cache[path] = source_lines(path)
        return cache[path]

    return "\n".join(_block(finding, lines_of(finding.path), color) for finding in findings)
