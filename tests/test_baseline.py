"""``--write-baseline`` and ``--baseline``: the CLI run for real on a fixture app in git."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import flake8_findings, run_cli
from git_projects import check_json, commit_all, edit, found, git, git_project, prepend

ITEMS = "app/api/items.py"
USERS = "app/api/users.py"
KNOWN = {
    (ITEMS, 18, "FLT102"),
    (ITEMS, 24, "FLT102"),
    (USERS, 12, "FLT101"),
}
NEW_ROUTE = """

@router.get("/{item_id}/rate-usd")
async def item_rate_usd(item_id: int):
    return {"rate": exchange_rate("USD")}
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = git_project(tmp_path)
    result = run_cli("check", "--write-baseline", "fastlint-baseline.json", cwd=root)
    assert result.returncode == 0, result.stderr
    assert result.stderr == "Wrote 3 findings to fastlint-baseline.json.\n"
    commit_all(root, "baseline")
    return root


def test_without_the_baseline_everything_is_reported(project: Path) -> None:
    code, findings, _ = check_json(project)
    assert code == 1
    assert found(findings) == KNOWN


def test_the_baseline_hides_what_it_holds(project: Path) -> None:
    result = run_cli("check", "--baseline", "fastlint-baseline.json", cwd=project)
    assert result.returncode == 0
    assert result.stdout == ""
    assert result.stderr == "All checks passed!\n3 findings in fastlint-baseline.json not shown.\n"


def test_the_baseline_survives_edits_that_move_lines(project: Path) -> None:
    prepend(project / ITEMS, '"""Items: listing, prices and rates."""\n\nimport logging\n\n')
    edit(
        project / ITEMS,
        '@router.get("/{item_id}")\n',
        '@router.get("/{item_id}/exists")\nasync def exists(item_id: int):\n'
        '    return {"exists": True}\n\n\n@router.get("/{item_id}")\n',
    )
    prepend(project / USERS, "# Users of the shop.\n\n\n")
    code, findings, _ = check_json(project)
    assert code == 1
    moved = found(findings)
    assert moved != KNOWN and len(moved) == 3  # every finding is on another line now
    code, findings, _ = check_json(project, "--baseline", "fastlint-baseline.json")
    assert (code, findings) == (0, [])


def test_a_new_finding_is_reported_alone(project: Path) -> None:
    prepend(project / ITEMS, "# moved down\n")
    (project / ITEMS).write_text((project / ITEMS).read_text() + NEW_ROUTE)
    code, findings, _ = check_json(project, "--baseline", "fastlint-baseline.json")
    assert code == 1
    assert found(findings) == {(ITEMS, 35, "FLT102")}
    assert findings[0]["message"].startswith("item_rate_usd() → exchange_rate()")


def test_a_second_identical_finding_in_the_same_function_is_new(project: Path) -> None:
    edit(project / USERS, "    time.sleep(0.1)\n", "    time.sleep(0.1)\n    time.sleep(0.1)\n")
    code, findings, _ = check_json(project, "--baseline", "fastlint-baseline.json")
    assert code == 1
    assert found(findings) == {(USERS, 13, "FLT101")}  # the first one is the known one


def test_changing_the_reported_line_makes_the_finding_new(project: Path) -> None:
    edit(project / USERS, "time.sleep(0.1)", "time.sleep(0.2)")
    _, findings, _ = check_json(project, "--baseline", "fastlint-baseline.json")
    assert found(findings) == {(USERS, 12, "FLT101")}


def test_fixed_findings_drop_out_when_the_baseline_is_written_again(project: Path) -> None:
    edit(project / USERS, "    time.sleep(0.1)\n", "")
    result = run_cli("check", "--baseline", "fastlint-baseline.json", cwd=project)
    assert result.returncode == 0
    assert result.stderr == (
        "All checks passed!\n"
        "2 findings in fastlint-baseline.json not shown.\n"
        "1 finding in fastlint-baseline.json no longer found; "
        "write it again with --write-baseline to drop it.\n"
    )
    result = run_cli("check", "--write-baseline", "fastlint-baseline.json", cwd=project)
    assert result.returncode == 0
    diff = git(project, "diff", "--unified=0", "fastlint-baseline.json")
    removed = [line for line in diff.splitlines() if line.startswith("-") and "---" not in line]
    added = [line for line in diff.splitlines() if line.startswith("+") and "+++" not in line]
    assert added == []  # only the entry of the fixed finding goes
    assert any('"time.sleep(0.1)"' in line for line in removed)


def test_the_file_is_sorted_readable_and_has_no_line_numbers(project: Path) -> None:
    data = json.loads((project / "fastlint-baseline.json").read_text(encoding="utf-8"))
    assert data["version"] == 1
    entries = data["findings"]
    assert [sorted(e) for e in entries] == [
        ["code", "count", "fingerprint", "path", "scope", "source"]
    ] * 3
    keys = [(e["path"], e["scope"], e["code"]) for e in entries]
    assert keys == sorted(keys)
    assert {(e["path"], e["scope"], e["code"], e["source"]) for e in entries} == {
        (ITEMS, "read_item", "FLT102", "price = convert_price(10.0)"),
        (ITEMS, "item_rate", "FLT102", 'return {"rate": exchange_rate("EUR")}'),
        (USERS, "read_me", "FLT101", "time.sleep(0.1)"),
    }
    text = (project / "fastlint-baseline.json").read_text(encoding="utf-8")
    assert '"line"' not in text and text.endswith("}\n")


def test_baseline_from_the_configuration_applies_to_both_front_doors(project: Path) -> None:
    (project / "pyproject.toml").write_text(
        '[tool.fastlint]\nselect = ["FLT0", "FLT1"]\nbaseline = "fastlint-baseline.json"\n',
        encoding="utf-8",
    )
    (project / ITEMS).write_text((project / ITEMS).read_text() + NEW_ROUTE)
    _, findings, _ = check_json(project)
    assert found(findings) == {(ITEMS, 34, "FLT102")}
    assert flake8_findings(project) == {(ITEMS, 34, 21, "FLT102")}
    # --write-baseline ignores the configured baseline: it records every finding.
    result = run_cli("check", "--write-baseline", "fastlint-baseline.json", cwd=project)
    assert result.stderr == "Wrote 4 findings to fastlint-baseline.json.\n"
    result = run_cli("check", cwd=project)
    assert (result.returncode, result.stdout) == (0, "")
    assert result.stderr == "All checks passed!\n4 findings in fastlint-baseline.json not shown.\n"


def test_a_missing_or_invalid_baseline_is_an_error(project: Path) -> None:
    result = run_cli("check", "--baseline", "nowhere.json", cwd=project)
    assert result.returncode == 2
    assert result.stderr == (
        "fastlint: error: nowhere.json: no such baseline file; "
        "write one with `fastlint check --write-baseline nowhere.json`\n"
    )
    (project / "broken.json").write_text("{", encoding="utf-8")
    result = run_cli("check", "--baseline", "broken.json", cwd=project)
    assert result.returncode == 2
    assert result.stderr.startswith("fastlint: error: broken.json: not a fastlint baseline")
    (project / "pyproject.toml").write_text("[tool.fastlint]\nbaseline = 1\n", encoding="utf-8")
    result = run_cli("check", cwd=project)
    assert result.returncode == 2
    assert "'baseline' must be a file path" in result.stderr


def test_write_baseline_does_not_go_with_diff_or_changed_since(project: Path) -> None:
    for extra in (("--diff",), ("--changed-since", "HEAD"), ("--add-noqa",)):
        result = run_cli("check", "--write-baseline", "b.json", *extra, cwd=project)
        assert result.returncode == 2, extra
        assert "cannot be used with" in result.stderr or "cannot be used together" in (
            result.stderr
        )
    assert not (project / "b.json").exists()
