"""Every rule over its examples and the fixtures: exact (path, line, column, code)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from conftest import (
    FIXTURES,
    PROJECTS,
    Finding,
    cli_findings,
    expected_markers,
    flake8_findings,
    run_cli,
)

from fastlint.config import Config
from fastlint.docs import render_rules_document
from fastlint.engine import check
from fastlint.rules import ALL_RULES, Rule


def _findings_for_source(tmp_path: Path, source: str) -> list[tuple[int, int, str]]:
    module = tmp_path / "example.py"
    module.write_text(textwrap.dedent(source).lstrip("\n"), encoding="utf-8")
    config = Config(root=str(tmp_path), select=("FLT",))
    result = check([str(module)], config)
    assert not result.problems
    return [(f.line, f.column, f.code) for f in result.findings]


_EXAMPLES = [
    pytest.param(rule, index, source, id=f"{rule.code}-valid-{index}")
    for rule in ALL_RULES
    for index, source in enumerate(rule.valid)
]
_INVALID = [
    pytest.param(rule, index, example.code, id=f"{rule.code}-invalid-{index}")
    for rule in ALL_RULES
    for index, example in enumerate(rule.invalid)
]


@pytest.mark.parametrize(("rule", "index", "source"), _EXAMPLES)
def test_valid_example_is_clean(tmp_path: Path, rule: type[Rule], index: int, source: str) -> None:
    codes = [code for _, _, code in _findings_for_source(tmp_path, source)]
    assert rule.code not in codes


@pytest.mark.parametrize(("rule", "index", "source"), _INVALID)
def test_invalid_example_is_reported(
    tmp_path: Path, rule: type[Rule], index: int, source: str
) -> None:
    codes = [code for _, _, code in _findings_for_source(tmp_path, source)]
    assert rule.code in codes


def test_every_rule_documents_itself() -> None:
    codes = [rule.code for rule in ALL_RULES]
    assert len(codes) == len(set(codes))
    names = [rule.name for rule in ALL_RULES]
    assert len(names) == len(set(names))
    for rule in ALL_RULES:
        doc = rule.documentation()
        assert "## What it does" in doc and "## Why is this bad?" in doc, rule.code
        if rule.code not in ("FLT002", "FLT109"):
            assert rule.invalid, f"{rule.code} has no invalid example"


def test_fixture_findings_match_markers(fixture_cli_findings: set[Finding]) -> None:
    assert fixture_cli_findings == expected_markers(FIXTURES)


def test_flake8_reports_the_same_findings_as_the_cli(fixture_cli_findings: set[Finding]) -> None:
    without_syntax_errors = {f for f in fixture_cli_findings if f[3] != "FLT001"}
    assert flake8_findings(FIXTURES, "--extend-exclude", "projects") == without_syntax_errors


PROJECT_DIRS = sorted(p for p in PROJECTS.iterdir() if p.is_dir()) if PROJECTS.is_dir() else []


@pytest.mark.parametrize("project", PROJECT_DIRS, ids=[p.name for p in PROJECT_DIRS])
def test_project_findings(project: Path) -> None:
    found = cli_findings(project)
    assert found == expected_markers(project)
    expected_report = project / "expected.txt"
    if expected_report.exists():
        from conftest import run_cli

        result = run_cli("check", ".", "--quiet", cwd=project)
        assert result.stdout == expected_report.read_text(encoding="utf-8")
    assert flake8_findings(project) == {f for f in found if f[3] != "FLT001"}


def test_docs_are_in_sync() -> None:
    document = (Path(__file__).resolve().parent.parent / "docs" / "rules.md").read_text(
        encoding="utf-8"
    )
    assert document == render_rules_document(), "run: python -m fastlint.docs > docs/rules.md"


def test_explicit_files_limit_what_is_reported_not_what_is_analysed() -> None:
    """As pre-commit does: one changed file is given, the chain into an unchanged module
    is still followed, and only that file's findings are reported."""
    project = PROJECTS / "entry_points"
    result = run_cli("check", "svc/main.py", "--output-format", "json", cwd=project)
    findings = json.loads(result.stdout)
    assert {f["path"] for f in findings} == {"svc/main.py"}
    lines = {(f["line"], f["code"]) for f in findings}
    assert (30, "FLT107") in lines  # create_order() → charge() in svc/clients.py
    expected = {
        (line, code) for path, line, _, code in expected_markers(project) if path == "svc/main.py"
    }
    assert lines == expected
