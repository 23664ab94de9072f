"""Turning findings into text: the output formats and the statistics table."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Callable

from fastlint.findings import Finding, RuleMeta
from fastlint.report.concise import render_concise
from fastlint.report.full import render_full
from fastlint.report.github import render_github
from fastlint.report.json_format import render_json
from fastlint.report.sarif import render_sarif
from fastlint.report.statistics import render_statistics as _render_statistics

__all__ = ["OUTPUT_FORMATS", "render", "render_statistics"]

OUTPUT_FORMATS = ("concise", "full", "json", "sarif", "github")


def render(
    findings: Sequence[Finding],
    output_format: str,
    *,
    rules: Sequence[RuleMeta],
    source_lines: Callable[[str], Sequence[str] | None],
    color: bool = False,
    tool_version: str,
) -> str:
    """Render ``findings`` (already filtered and sorted) in ``output_format``.

    The result is the complete text to print: it ends with a newline when it is
    not empty. ``source_lines(path)`` gives a file's lines, without line endings,
    or None when the file cannot be read; only the full format uses it.
    """
    if output_format == "concise":
        return render_concise(findings, color=color)
    if output_format == "full":
        return render_full(findings, source_lines=source_lines, color=color)
    if output_format == "json":
        return render_json(findings)
    if output_format == "sarif":
        return render_sarif(findings, rules=rules, tool_version=tool_version)
    if output_format == "github":
        return render_github(findings)
    expected = ", ".join(OUTPUT_FORMATS)
    raise ValueError(f"unknown output format {output_format!r} (expected one of: {expected})")


def render_statistics(
    findings: Sequence[Finding], *, rules: Sequence[RuleMeta], color: bool = False
) -> str:
    """One line per rule code with its number of findings, most frequent first."""
    return _render_statistics(findings, rules=rules, color=color)
