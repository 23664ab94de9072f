"""The flake8 front door: the same findings as ``fastlint check``, one file at a time.

flake8 hands the plugin one file, but fastlint's findings depend on the whole project (a
route in one file reaches a blocking call in another). So the plugin builds the project
model once per process and per project root, and reports each file's share of it.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Iterator
from typing import Any

from fastlint import __version__
from fastlint.baseline import Baseline
from fastlint.config import Config, ConfigError, load_config
from fastlint.engine import ProjectFindings, file_ignored, filter_reportable, project_findings
from fastlint.rules import RawFinding

_FindingsByPath = dict[str, list[tuple[str, RawFinding]]]


class _ProjectFindings:
    """Findings of each project analysed by this process, by project root."""

    def __init__(self) -> None:
        self._configs: dict[str, Config] = {}
        self._findings: dict[tuple[str, tuple[str, ...]], _FindingsByPath] = {}

    def config_for(self, path: str) -> Config:
        directory = os.path.dirname(path)
        config = self._configs.get(directory)
        if config is None:
            config = load_config([path])
            self._configs[directory] = config
        return config

    def findings_for(self, path: str) -> list[tuple[str, RawFinding]]:
        config = self.config_for(path)
        key: tuple[str, tuple[str, ...]] = (config.root, ())
        by_path = self._findings.get(key)
        if by_path is None or path not in by_path:
            # A file outside the project's own files (excluded, or given explicitly) is
            # analysed along with the project.
            if by_path is not None:
                key = (config.root, (path,))
                by_path = self._findings.get(key)
            if by_path is None:
                by_path = self._analyse(config, key[1])
                self._findings[key] = by_path
        return [
            (code, raw)
            for code, raw in by_path.get(path, [])
            if not file_ignored(path, code, config)
        ]

    @staticmethod
    def _analyse(config: Config, extra: tuple[str, ...]) -> _FindingsByPath:
        # Through the cache the CLI uses: flake8's worker processes share the indexing of
        # a cold cache, and each loads the stored findings when it is warm.
        analysis = project_findings(config, extra)
        held = _held_by_baseline(config, analysis)
        by_path: _FindingsByPath = {path: [] for path in analysis.suppressions}
        for code, raw in analysis.findings:
            # flake8 reports unparsable files itself (E999)
            if code != "FLT001" and id(raw) not in held:
                by_path.setdefault(raw.path, []).append((code, raw))
        return by_path


def _held_by_baseline(config: Config, analysis: ProjectFindings) -> set[int]:
    """The ids of the findings the configured baseline holds. As in the CLI, it is matched
    against what would be reported, after ``# noqa`` comments and per-file ignores."""
    if config.baseline is None:
        return set()
    reportable = filter_reportable(analysis.findings, analysis.suppressions, config)
    located = [(code, raw.path, raw.span.line) for code, raw in reportable]
    new = set(Baseline.load(config.baseline).match(located, config.root).new)
    return {id(raw) for index, (_, raw) in enumerate(reportable) if index not in new}


_PROJECTS = _ProjectFindings()


class Flake8Plugin:
    name = "fastlint"
    version = __version__

    def __init__(self, tree: ast.AST, filename: str) -> None:
        self.filename = filename

    def run(self) -> Iterator[tuple[int, int, str, type[Any]]]:
        path = os.path.abspath(self.filename)
        try:
            findings = _PROJECTS.findings_for(path)
        except ConfigError as error:
            yield 1, 0, f"FLT002 invalid fastlint configuration: {error}", type(self)
            return
        for code, raw in sorted(findings, key=lambda item: (item[1].span, item[0])):
            yield raw.span.line, raw.span.column, f"{code} {raw.message}", type(self)
