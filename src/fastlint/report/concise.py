"""The concise format: one ``path:line:col: CODE message`` line per finding."""

from __future__ import annotations

from collections.abc import Sequence

import click

from fastlint.findings import Finding


def header(finding: Finding, *, color: bool = False) -> str:
    """The ``path:line:col: CODE message`` line that also heads the full format."""
    path = finding.path
    code = finding.code
    if color:
        path = click.style(path, bold=True)
        code = click.style(code, fg="red", bold=True)
    return f"{path}:{finding.line}:{finding.column}: {code} {finding.message}"


def render_concise(findings: Sequence[Finding], *, color: bool = False) -> str:
    return "".join(header(finding, color=color) + "\n" for finding in findings)
