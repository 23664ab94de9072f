"""Every rule fastlint has, by code."""

from __future__ import annotations

from collections.abc import Iterator

from fastlint.project import ProjectModel
from fastlint.rules.base import Example, RawFinding, Rule
from fastlint.rules.blocking import BLOCKING_RULES


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


ALL_RULES: tuple[type[Rule], ...] = (SyntaxErrorRule, *BLOCKING_RULES)
RULES_BY_CODE: dict[str, type[Rule]] = {rule.code: rule for rule in ALL_RULES}

__all__ = ["ALL_RULES", "RULES_BY_CODE", "Example", "RawFinding", "Rule"]
