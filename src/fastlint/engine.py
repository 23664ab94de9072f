"""One run of fastlint: discover, index, link, check, then filter what is reported."""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Optional

from fastlint.catalog import load_catalog
from fastlint.config import Config
from fastlint.discovery import discover
from fastlint.findings import Finding, Fix, Span
from fastlint.index import disambiguate_modules, index_file
from fastlint.index.summary import ModuleSummary
from fastlint.noqa import is_suppressed
from fastlint.project import ProjectModel
from fastlint.rules import ALL_RULES, RULES_BY_CODE, RawFinding, Rule


@dataclass
class RunResult:
    findings: list[Finding] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # one-line messages about the run
    warnings: list[str] = field(default_factory=list)
    files_reported: int = 0


def _prefix_length(code: str, prefixes: Sequence[str]) -> int:
    return max((len(p) for p in prefixes if code.startswith(p)), default=-1)


def is_selected(rule: type[Rule], config: Config) -> bool:
    """ruff's semantics: the most specific matching selector wins; ties go to ignore.
    A file that cannot be parsed is always reported unless FLT001 is ignored by name."""
    if rule.code == "FLT001":
        return "FLT001" not in config.ignore
    selectors = (*config.select, *config.extend_select)
    chosen = _prefix_length(rule.code, selectors)
    if not config.select:
        default = 3 if rule.enabled_by_default else -1  # as if ``select = ["FLT"]``
        chosen = max(chosen, default)
    return chosen > _prefix_length(rule.code, config.ignore)


def selected_rules(config: Config) -> list[type[Rule]]:
    return [rule for rule in ALL_RULES if is_selected(rule, config)]


def display_path(path: str, cwd: Optional[str] = None) -> str:
    base = cwd or os.getcwd()
    try:
        relative = os.path.relpath(path, base)
    except ValueError:
        return path
    return path if relative.startswith(os.pardir) else relative


def _without_dot_slash(pattern: str) -> str:
    return pattern[2:] if pattern.startswith("./") else pattern


def file_ignored(path: str, code: str, config: Config) -> bool:
    if not config.per_file_ignores:
        return False
    try:
        relative = os.path.relpath(path, config.root).replace(os.sep, "/")
    except ValueError:
        relative = path
    name = os.path.basename(path)
    return any(
        (
            fnmatch.fnmatchcase(relative, _without_dot_slash(pattern))
            or fnmatch.fnmatchcase(name, pattern)
        )
        and any(code.startswith(c) for c in codes)
        for pattern, codes in config.per_file_ignores
    )


def index_paths(paths: Sequence[str]) -> tuple[list[ModuleSummary], list[str]]:
    summaries: list[ModuleSummary] = []
    problems: list[str] = []
    for path in paths:
        try:
            summaries.append(index_file(path))
        except OSError as error:
            problems.append(f"{display_path(path)}: cannot read: {error.strerror or error}")
    return summaries, problems


def build_project(
    config: Config, extra_files: Sequence[str] = ()
) -> tuple[ProjectModel, list[ModuleSummary], list[str]]:
    """Index every file of the project (plus ``extra_files``) and link them."""
    project_files = discover([config.root], config).files
    analysed = sorted(set(project_files) | set(extra_files))
    summaries, problems = index_paths(analysed)
    summaries = disambiguate_modules(summaries, config.root)
    catalog = load_catalog(config.catalog, config.source or "config")
    return ProjectModel(summaries, catalog, config.root), summaries, problems


def raw_findings(
    project: ProjectModel, summaries: Sequence[ModuleSummary], config: Config
) -> list[tuple[str, RawFinding]]:
    """(code, finding) for every selected rule, before suppressions and path filters."""
    out: list[tuple[str, RawFinding]] = []
    rules = selected_rules(config)
    codes = {rule.code for rule in rules}
    if "FLT001" in codes:
        for summary in summaries:
            if summary.error is not None:
                error = summary.error
                span = Span(error.line, error.column, error.line, error.column)
                out.append(("FLT001", RawFinding(summary.path, span, error.message)))
    for rule in rules:
        if rule.code == "FLT001":
            continue
        for finding in rule().check(project):
            out.append((rule.code, finding))
    return out


def to_finding(code: str, raw: RawFinding, cwd: Optional[str] = None) -> Finding:
    rule = RULES_BY_CODE[code]
    return Finding(
        path=display_path(raw.path, cwd),
        span=raw.span,
        code=code,
        name=rule.name,
        message=raw.message,
        chain=raw.chain,
        related=raw.related,
        fix=Fix(raw.fix.title, raw.fix.safety) if raw.fix is not None else None,
    )


def reportable_findings(
    project: ProjectModel,
    summaries: Sequence[ModuleSummary],
    config: Config,
    reported: Optional[set[str]] = None,
) -> list[tuple[str, RawFinding]]:
    """Findings in the reported files that no ``# noqa`` or per-file ignore suppresses."""
    suppressions = {s.path: dict(s.noqa) for s in summaries}
    out = []
    for code, raw in raw_findings(project, summaries, config):
        if reported is not None and raw.path not in reported:
            continue
        if is_suppressed(suppressions.get(raw.path, {}), raw.span.line, code):
            continue
        if file_ignored(raw.path, code, config):
            continue
        out.append((code, raw))
    return out


def check(paths: Sequence[str], config: Config) -> RunResult:
    result = RunResult()
    found = discover(paths, config)
    for missing in found.missing:
        result.problems.append(f"{missing}: no such file or directory")
    for empty in found.empty:
        result.warnings.append(f"no Python files found in {empty}")
    reported = set(found.files)
    result.files_reported = len(reported)
    if not reported:
        return result
    project, summaries, problems = build_project(config, found.files)
    result.problems.extend(problems)
    reported_findings = reportable_findings(project, summaries, config, reported)
    findings = {to_finding(code, raw) for code, raw in reported_findings}
    result.findings = sorted(findings, key=Finding.sort_key)
    return result
