"""What ``fastlint check`` does for a project adopting it: a baseline, changed-files mode and
``--add-noqa``, applied to the findings of a normal run."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Optional

import click

from fastlint.baseline import Baseline, BaselineEntry, baseline_in_scope, write_baseline
from fastlint.changed import changed_files
from fastlint.config import Config, ConfigError
from fastlint.engine import RunResult, display_path
from fastlint.findings import Finding

EXIT_CLEAN, EXIT_ERROR = 0, 2
# Never given a noqa comment: a syntax error is not suppressed, and an unused noqa is fixed
# by removing a code, not by adding one.
_NOT_SUPPRESSIBLE = ("FLT001", "FLT003")


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _located(findings: Sequence[Finding]) -> list[tuple[str, str, int]]:
    return [(f.code, os.path.abspath(f.path), f.line) for f in findings]


@dataclass
class Adoption:
    config: Config
    targets: Sequence[str]
    baseline: Optional[Baseline] = None
    write_baseline: Optional[str] = None
    changed_since: Optional[str] = None
    changed: Optional[frozenset[str]] = None  # real paths
    add_noqa: bool = False
    hidden: int = 0  # findings the baseline holds
    unmatched: tuple[BaselineEntry, ...] = ()  # baseline entries no finding matched

    @classmethod
    def prepare(
        cls,
        config: Config,
        targets: Sequence[str],
        *,
        baseline_file: Optional[str],
        write_baseline: Optional[str],
        changed_since: Optional[str],
        add_noqa: bool,
        previewing: bool,
    ) -> Adoption:
        """Check the options go together, read the baseline and ask git, before analysing."""
        if write_baseline is not None and add_noqa:
            raise ConfigError("--write-baseline and --add-noqa cannot be used together")
        if write_baseline is not None and changed_since is not None:
            raise ConfigError(
                "--write-baseline records the whole project's findings; "
                "it cannot be used with --changed-since"
            )
        if previewing and (write_baseline is not None or add_noqa):
            raise ConfigError(
                "--diff writes nothing; it cannot be used with --write-baseline or --add-noqa"
            )
        adoption = cls(config, targets, add_noqa=add_noqa, changed_since=changed_since)
        if write_baseline is not None:
            adoption.write_baseline = os.path.abspath(write_baseline)
        else:
            path = os.path.abspath(baseline_file) if baseline_file else config.baseline
            if path is not None:
                adoption.baseline = Baseline.load(path)
        if changed_since is not None:
            adoption.changed = changed_files(config.root, changed_since)
        return adoption

    @property
    def acts(self) -> bool:
        """Whether the run writes something instead of reporting."""
        return self.write_baseline is not None or self.add_noqa

    def filter(self, result: RunResult) -> None:
        """Keep the findings in changed files, then those the baseline does not hold."""
        if self.changed is not None:
            changed = self.changed
            result.findings = [f for f in result.findings if os.path.realpath(f.path) in changed]
        if self.baseline is not None:
            match = self.baseline.match(_located(result.findings), self.config.root)
            self.hidden = match.hidden
            self.unmatched = tuple(
                entry
                for entry in match.unmatched
                if baseline_in_scope(entry, self.config.root, self.targets)
                and (
                    self.changed is None
                    or os.path.realpath(os.path.join(self.config.root, entry.path)) in self.changed
                )
            )
            result.findings = [result.findings[i] for i in match.new]

    def act(self, result: RunResult, *, quiet: bool) -> int:
        """Write the baseline or the noqa comments; the exit code."""
        for problem in result.problems:
            click.echo(f"fastlint: error: {problem}", err=True)
        for warning in result.warnings:
            click.echo(f"fastlint: warning: {warning}", err=True)
        if self.write_baseline is not None:
            shown = display_path(self.write_baseline)
            if result.problems:
                click.echo(
                    f"fastlint: error: {shown} not written: not every file was read", err=True
                )
                return EXIT_ERROR
            try:
                write_baseline(self.write_baseline, _located(result.findings), self.config.root)
            except ConfigError as error:
                click.echo(f"fastlint: error: {error}", err=True)
                return EXIT_ERROR
            if not quiet:
                count = len(result.findings)
                click.echo(f"Wrote {_plural(count, 'finding')} to {shown}.", err=True)
            return EXIT_CLEAN
        from fastlint.suppressions import add_noqa

        wanted = [f for f in result.findings if f.code not in _NOT_SUPPRESSIBLE]
        located = _located(wanted)
        outcome = add_noqa(located, {path: display_path(path) for _, path, _ in located})
        for problem in outcome.problems:
            click.echo(f"fastlint: error: {problem}", err=True)
        if not quiet:
            files = len(outcome.files)
            click.echo(
                f"Added {_plural(outcome.directives, 'noqa directive')} "
                f"to {_plural(files, 'file')}.",
                err=True,
            )
        return EXIT_ERROR if result.problems or outcome.problems else EXIT_CLEAN

    def report(self, result: RunResult) -> None:
        """One line each on what the baseline and changed-files mode left out."""
        if self.changed is not None:
            click.echo(
                f"Reported findings in files changed since {self.changed_since} only.", err=True
            )
        if self.baseline is not None:
            shown = display_path(self.baseline.path)
            if self.hidden:
                click.echo(f"{_plural(self.hidden, 'finding')} in {shown} not shown.", err=True)
            stale = sum(entry.count for entry in self.unmatched)
            if stale:
                click.echo(
                    f"{_plural(stale, 'finding')} in {shown} no longer found; "
                    f"write it again with --write-baseline to drop "
                    f"{'it' if stale == 1 else 'them'}.",
                    err=True,
                )
