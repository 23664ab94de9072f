"""GitHub Actions workflow commands: one ``::error`` annotation per finding."""

from __future__ import annotations

from collections.abc import Sequence

from fastlint.findings import Finding


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _annotation(finding: Finding) -> str:
    span = finding.span
    properties = ",".join(
        [
            f"title={escape_property(f'fastlint ({finding.code})')}",
            f"file={escape_property(finding.path)}",
            f"line={span.line}",
            f"col={finding.column}",
            f"endLine={span.end_line}",
            f"endColumn={span.end_column + 1}",
        ]
    )
    return f"::error {properties}::{escape_data(f'{finding.code} {finding.message}')}"


def render_github(findings: Sequence[Finding]) -> str:
    return "".join(_annotation(finding) + "\n" for finding in findings)
