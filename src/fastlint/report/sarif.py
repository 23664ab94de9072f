"""SARIF 2.1.0 output, as read by code scanning services and editors."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any
from urllib.parse import quote

from fastlint.findings import ChainStep, Finding, RuleMeta

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/fastlint/fastlint"
RULES_DOC_URI = "https://github.com/fastlint/fastlint/blob/main/docs/rules.md#"
SRCROOT = "%SRCROOT%"

# Codes reported at level "error", and at level "note" (judgement calls a project may well
# accept, such as an unpaginated child collection); every other rule is a "warning".
ERROR_CODES = frozenset({"FLT001"})
NOTE_CODES = frozenset({"FLT402"})


def level_for(code: str) -> str:
    if code in ERROR_CODES:
        return "error"
    return "note" if code in NOTE_CODES else "warning"


def _artifact_location(path: str) -> dict[str, Any]:
    """A display path as an artifact location: relative to %SRCROOT% unless absolute."""
    windows = PureWindowsPath(path)
    if windows.drive and windows.is_absolute():
        return {"uri": windows.as_uri()}
    posix = PurePosixPath(path.replace("\\", "/"))
    if posix.is_absolute():
        return {"uri": posix.as_uri()}
    # The name's own bytes, percent-encoded: it need not be UTF-8 (as ``as_uri`` does).
    return {"uri": quote(os.fsencode(posix.as_posix())), "uriBaseId": SRCROOT}


def _physical_location(path: str, region: dict[str, int]) -> dict[str, Any]:
    return {"artifactLocation": _artifact_location(path), "region": region}


def _finding_region(finding: Finding) -> dict[str, int]:
    span = finding.span
    return {
        "startLine": span.line,
        "startColumn": span.column + 1,
        "endLine": span.end_line,
        "endColumn": span.end_column + 1,
    }


def _step_location(step: ChainStep, location_id: int | None = None) -> dict[str, Any]:
    location: dict[str, Any] = {}
    if location_id is not None:
        location["id"] = location_id
    location["physicalLocation"] = _physical_location(
        step.path, {"startLine": step.line, "startColumn": step.column + 1}
    )
    location["message"] = {"text": step.label}
    return location


def _rule_descriptor(rule: RuleMeta) -> dict[str, Any]:
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "helpUri": RULES_DOC_URI + rule.code.lower(),
        "defaultConfiguration": {"level": level_for(rule.code)},
    }


def _result(finding: Finding, rule_index: int | None) -> dict[str, Any]:
    result: dict[str, Any] = {"ruleId": finding.code}
    if rule_index is not None:
        result["ruleIndex"] = rule_index
    result["level"] = level_for(finding.code)
    result["message"] = {"text": finding.message}
    result["locations"] = [
        {"physicalLocation": _physical_location(finding.path, _finding_region(finding))}
    ]
    if finding.chain:
        result["codeFlows"] = [
            {
                "threadFlows": [
                    {"locations": [{"location": _step_location(step)} for step in finding.chain]}
                ]
            }
        ]
    if finding.related:
        result["relatedLocations"] = [
            _step_location(step, index) for index, step in enumerate(finding.related)
        ]
    if finding.fix is not None:
        # The schema requires a fix to carry at least one artifact change with at
        # least one replacement, and a replacement to name a deleted region. Findings
        # describe fixes but carry no edits, so the replacement is an empty region
        # (an insertion point at the start of the finding) with nothing inserted: it
        # is valid, and a viewer that applies it changes nothing rather than deleting
        # the reported code.
        start = finding.span
        insertion_point = {
            "startLine": start.line,
            "startColumn": start.column + 1,
            "endLine": start.line,
            "endColumn": start.column + 1,
        }
        result["fixes"] = [
            {
                "description": {"text": f"{finding.fix.title} ({finding.fix.safety})"},
                "artifactChanges": [
                    {
                        "artifactLocation": _artifact_location(finding.path),
                        "replacements": [{"deletedRegion": insertion_point}],
                    }
                ],
            }
        ]
    return result


def build_sarif(
    findings: Sequence[Finding], *, rules: Sequence[RuleMeta], tool_version: str
) -> dict[str, Any]:
    """The SARIF log as a JSON-ready dict: one run, every given rule in its table."""
    descriptors: list[dict[str, Any]] = []
    rule_indexes: dict[str, int] = {}
    for rule in rules:
        if rule.code not in rule_indexes:
            rule_indexes[rule.code] = len(descriptors)
            descriptors.append(_rule_descriptor(rule))
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "fastlint",
                        "version": tool_version,
                        "informationUri": INFORMATION_URI,
                        "rules": descriptors,
                    }
                },
                # Columns count characters (code points), not UTF-16 code units.
                "columnKind": "unicodeCodePoints",
                "results": [
                    _result(finding, rule_indexes.get(finding.code)) for finding in findings
                ],
            }
        ],
    }


def render_sarif(
    findings: Sequence[Finding], *, rules: Sequence[RuleMeta], tool_version: str
) -> str:
    return (
        json.dumps(build_sarif(findings, rules=rules, tool_version=tool_version), indent=2) + "\n"
    )
