"""Every rule fastlint has, by code."""

from __future__ import annotations

from collections.abc import Iterator

from fastlint.project import ProjectModel
from fastlint.rules.base import Example, RawFinding, Rule
from fastlint.rules.blocking import BLOCKING_RULES
from fastlint.rules.bounds import BOUNDS_RULES
from fastlint.rules.connections import CONNECTION_RULES
from fastlint.rules.meta import META_RULES
from fastlint.rules.responses import RESPONSE_RULES
from fastlint.rules.state import STATE_RULES


class SyntaxErrorRule(Rule):
    """## What it does
    Reports a file that cannot be parsed, with the parser's message, like flake8's `E999`.

    ## Why is this bad?
    fastlint cannot analyse a file it cannot parse; the rest of the project is still checked.
    """

    code = "FLT001"
    name = "syntax-error"
    summary = "The file cannot be parsed"
    invalid = (Example("def broken(:\n    pass\n"),)

    def check(self, project: ProjectModel) -> Iterator[RawFinding]:
        return iter(())  # the engine reports parse failures itself


class InvalidConfigurationRule(Rule):
    """## What it does
    Reports, through the flake8 plugin, a `[tool.fastlint]` table that cannot be used.

    ## Why is this bad?
    The command line stops with exit code 2 and a message naming the key and the file;
    flake8 has no such channel, so the plugin reports the message on line 1 of each file.
    """

    code = "FLT002"
    name = "invalid-configuration"
    summary = "The `[tool.fastlint]` configuration cannot be used (flake8 plugin only)"

    def check(self, project: ProjectModel) -> Iterator[RawFinding]:
        return iter(())  # the flake8 plugin reports configuration errors itself


ALL_RULES: tuple[type[Rule], ...] = (
    SyntaxErrorRule,
    InvalidConfigurationRule,
    *META_RULES,
    *BLOCKING_RULES,
    *STATE_RULES,
    *CONNECTION_RULES,
    *RESPONSE_RULES,
    *BOUNDS_RULES,
)
RULES_BY_CODE: dict[str, type[Rule]] = {rule.code: rule for rule in ALL_RULES}

__all__ = ["ALL_RULES", "RULES_BY_CODE", "Example", "RawFinding", "Rule"]
