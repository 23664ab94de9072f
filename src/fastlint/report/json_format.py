"""The JSON format: an array of finding objects, columns 1-based."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from fastlint.findings import ChainStep, Finding


def _step(step: ChainStep) -> dict[str, Any]:
    return {"label": step.label, "path": step.path, "line": step.line, "column": step.column + 1}


def finding_to_dict(finding: Finding) -> dict[str, Any]:
    fix = None
    if finding.fix is not None:
        fix = {"title": finding.fix.title, "safety": finding.fix.safety}
    return {
        "path": finding.path,
        "line": finding.span.line,
        "column": finding.column,
        "end_line": finding.span.end_line,
        "end_column": finding.span.end_column + 1,
        "code": finding.code,
        "name": finding.name,
        "message": finding.message,
        "fix": fix,
        "chain": [_step(step) for step in finding.chain],
        "related": [_step(step) for step in finding.related],
    }


def render_json(findings: Sequence[Finding]) -> str:
    return json.dumps([finding_to_dict(finding) for finding in findings], indent=2) + "\n"
