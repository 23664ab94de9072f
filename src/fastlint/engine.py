"""One run of fastlint: discover, index, link, check, then filter what is reported."""

from __future__ import annotations

import dataclasses
import fnmatch
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Optional

from fastlint.cache import Cache, gc_paused, linking_settings
from fastlint.catalog import load_catalog
from fastlint.config import Config
from fastlint.discovery import discover
from fastlint.findings import Finding, Fix, Span
from fastlint.index import disambiguate_modules, module_name_for
from fastlint.index.summary import ModuleSummary
from fastlint.noqa import Suppressions, is_suppressed
from fastlint.parallel import IndexRequest, index_many, settle
from fastlint.project import ProjectModel
from fastlint.rules import ALL_RULES, RULES_BY_CODE, RawFinding, Rule
from fastlint.rules.meta import UNUSED_NOQA, unused_noqa_findings


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


def index_paths(
    paths: Sequence[str], *, jobs: Optional[int] = None, cache: Optional[Cache] = None
) -> tuple[list[ModuleSummary], list[str]]:
    """The summaries of the files, in their order, and a problem for each unreadable one.

    Files found in ``cache`` are not parsed; the others are indexed over ``jobs`` processes
    (None: every core; 1: this process only).
    """
    summaries: list[ModuleSummary] = []
    problems: list[str] = []
    outcomes = index_many([IndexRequest(path) for path in paths], jobs=jobs, cache=cache)
    for path, outcome in zip(paths, outcomes):
        if isinstance(outcome, OSError):
            problems.append(f"{display_path(path)}: cannot read: {outcome.strerror or outcome}")
        else:
            summaries.append(outcome)
    return summaries, problems


def _analysed_files(config: Config, extra_files: Iterable[str]) -> list[str]:
    project_files = discover([config.root], config).files
    return sorted(set(project_files) | set(extra_files))


def _open_cache(config: Config) -> Optional[Cache]:
    return Cache.for_config(config) if config.use_cache else None


def build_project(
    config: Config, extra_files: Sequence[str] = ()
) -> tuple[ProjectModel, list[ModuleSummary], list[str]]:
    """Index every file of the project (plus ``extra_files``) and link them."""
    analysed = _analysed_files(config, extra_files)
    # Linking allocates much and makes no cycles: the collector would only rescan summaries
    # (indexing collects after each file for itself).
    with gc_paused():
        built = _build_project(config, analysed, _open_cache(config))
        settle(len(built[1]))
    return built


def _build_project(
    config: Config, analysed: Sequence[str], cache: Optional[Cache]
) -> tuple[ProjectModel, list[ModuleSummary], list[str]]:
    summaries, problems = index_paths(analysed, jobs=config.jobs, cache=cache)
    # Learn which files need another module name first, then index them again in one batch.
    renamed: dict[str, str] = {}

    def rename(path: str, module_name: str) -> ModuleSummary:
        renamed[path] = module_name
        return dataclasses.replace(by_path[path], module=module_name)

    by_path = {summary.path: summary for summary in summaries}
    summaries = disambiguate_modules(summaries, config.root, rename)
    if renamed:
        requests = [IndexRequest(path, name) for path, name in renamed.items()]
        # In this process: they are few, and workers forked from a process that now holds
        # every summary would each count it again in the resident memory of the run.
        again = index_many(requests, jobs=1, cache=cache)
        fresh = {r.path: s for r, s in zip(requests, again) if isinstance(s, ModuleSummary)}
        summaries = [fresh.get(s.path, s) if s.path in renamed else s for s in summaries]
    catalog = load_catalog(config.catalog, config.source or "config")
    return ProjectModel(summaries, catalog, config.root), summaries, problems


@dataclass(frozen=True)
class ProjectFindings:
    """Every selected rule's findings over the whole project, before suppressions and path
    filters, with each file's ``# noqa`` comments: what a run needs, and what is cached."""

    findings: tuple[tuple[str, RawFinding], ...]
    suppressions: Mapping[str, Suppressions]  # by path, for every file analysed
    problems: tuple[str, ...]


def project_findings(config: Config, extra_files: Sequence[str] = ()) -> ProjectFindings:
    """The findings of the project (plus ``extra_files``), from the cache when no file and
    no setting that matters has changed since they were stored."""
    analysed = _analysed_files(config, extra_files)
    cache = _open_cache(config)
    stored_at: Optional[str] = None
    if cache is not None:
        states = cache.file_states(analysed)
        if all(state.digest is not None for state in states):
            files = [(s.path, module_name_for(s.path)[0], s.digest or "") for s in states]
            codes = [rule.code for rule in selected_rules(config)]
            key = cache.result_key(files, linking_settings(config, codes))
            stored_at = cache.result_path(key)
            cached = cache.load(stored_at)
            if isinstance(cached, ProjectFindings):
                return cached
    with gc_paused():  # as in build_project; the rules make no cycles either
        project, summaries, problems = _build_project(config, analysed, cache)
        result = ProjectFindings(
            findings=tuple(raw_findings(project, summaries, config)),
            suppressions={summary.path: summary.noqa for summary in summaries},
            problems=tuple(problems),
        )
        settle(len(summaries))
    if cache is not None and stored_at is not None and not problems:
        cache.store(stored_at, result)
    return result


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
    if UNUSED_NOQA in codes:  # last: it reads every other rule's findings
        known = [rule.code for rule in ALL_RULES]
        unused = unused_noqa_findings(summaries, list(out), known, codes)
        out.extend((UNUSED_NOQA, finding) for finding in unused)
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
    suppressions = {s.path: s.noqa for s in summaries}
    findings = raw_findings(project, summaries, config)
    return filter_reportable(findings, suppressions, config, reported)


def filter_reportable(
    findings: Iterable[tuple[str, RawFinding]],
    suppressions: Mapping[str, Suppressions],
    config: Config,
    reported: Optional[set[str]] = None,
) -> list[tuple[str, RawFinding]]:
    """The findings in the reported files that no ``# noqa`` or per-file ignore suppresses."""
    by_line: dict[str, dict[int, Optional[tuple[str, ...]]]] = {}
    out = []
    for code, raw in findings:
        if reported is not None and raw.path not in reported:
            continue
        noqa = by_line.get(raw.path)
        if noqa is None:
            noqa = by_line[raw.path] = dict(suppressions.get(raw.path, ()))
        if is_suppressed(noqa, raw.span.line, code):
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
    analysis = project_findings(config, found.files)
    result.problems.extend(analysis.problems)
    reported_findings = filter_reportable(
        analysis.findings, analysis.suppressions, config, reported
    )
    findings = {to_finding(code, raw) for code, raw in reported_findings}
    result.findings = sorted(findings, key=Finding.sort_key)
    return result
