"""``--changed-since REV``: findings in changed files only, with the whole project analysed."""

from __future__ import annotations

from pathlib import Path

from conftest import run_cli
from git_projects import check_json, commit_all, edit, found, git, git_project

ITEMS = "app/api/items.py"
USERS = "app/api/users.py"
NEW_ROUTE = """

@router.get("/{item_id}/price-usd")
async def price_usd(item_id: int):
    return {"price": convert_price(12.5)}
"""


def test_a_chain_into_an_unchanged_file_is_reported(tmp_path: Path) -> None:
    root = git_project(tmp_path)
    git(root, "checkout", "-q", "-b", "feature")
    (root / ITEMS).write_text((root / ITEMS).read_text() + NEW_ROUTE)
    code, findings, _ = check_json(root, "--changed-since", "main")
    assert code == 1
    # items.py changed: its findings are reported, the new chain included, although the
    # blocking call at its end is in app/services/pricing.py, which did not change.
    # users.py did not change: its time.sleep() is left out.
    assert found(findings) == {
        (ITEMS, 18, "FLT102"),
        (ITEMS, 24, "FLT102"),
        (ITEMS, 34, "FLT102"),
    }
    new = next(f for f in findings if f["line"] == 34)
    assert new["message"].startswith(
        "price_usd() → convert_price() [app/services/pricing.py:9] → exchange_rate() "
        "[app/services/pricing.py:5] → requests.get() blocks the event loop"
    )


def test_staged_unstaged_and_new_files_count_as_changed(tmp_path: Path) -> None:
    root = git_project(tmp_path)
    edit(root / USERS, "time.sleep(0.1)", "time.sleep(0.2)")
    git(root, "add", USERS)  # staged
    (root / "app" / "reports.py").write_text(  # new, not yet added
        "import time\n\nfrom app.api.items import router\n\n\n"
        '@router.get("/report")\nasync def report():\n    time.sleep(1)\n',
        encoding="utf-8",
    )
    _, findings, _ = check_json(root, "--changed-since", "HEAD")
    assert found(findings) == {(USERS, 12, "FLT101"), ("app/reports.py", 8, "FLT101")}
    git(root, "commit", "-q", "-m", "sleep longer")
    (root / ITEMS).write_text((root / ITEMS).read_text() + "\n# touched\n")  # unstaged
    _, findings, _ = check_json(root, "--changed-since", "HEAD")
    assert {f[0] for f in found(findings)} == {ITEMS, "app/reports.py"}
    _, findings, _ = check_json(root, "--changed-since", "HEAD~1")
    assert {f[0] for f in found(findings)} == {ITEMS, USERS, "app/reports.py"}


def test_changes_merged_into_the_base_branch_after_the_fork_do_not_count(tmp_path: Path) -> None:
    root = git_project(tmp_path)
    git(root, "checkout", "-q", "-b", "feature")
    (root / ITEMS).write_text((root / ITEMS).read_text() + NEW_ROUTE)
    commit_all(root, "a route")
    git(root, "checkout", "-q", "main")
    edit(root / USERS, "time.sleep(0.1)", "time.sleep(0.3)")
    commit_all(root, "meanwhile on main")
    git(root, "checkout", "-q", "feature")
    _, findings, _ = check_json(root, "--changed-since", "main")
    assert {f[0] for f in found(findings)} == {ITEMS}


def test_nothing_changed_is_a_clean_run(tmp_path: Path) -> None:
    root = git_project(tmp_path)
    result = run_cli("check", "--changed-since", "HEAD", cwd=root)
    assert (result.returncode, result.stdout) == (0, "")
    assert result.stderr == (
        "All checks passed!\nReported findings in files changed since HEAD only.\n"
    )


def test_outside_a_git_repository_it_says_so(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.fastlint]\n", encoding="utf-8")
    (tmp_path / "app.py").write_text("x = 1\n", encoding="utf-8")
    result = run_cli("check", "--changed-since", "main", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("fastlint: error: --changed-since needs a git repository")
    assert "Traceback" not in result.stderr


def test_an_unknown_revision_is_an_error(tmp_path: Path) -> None:
    root = git_project(tmp_path)
    result = run_cli("check", "--changed-since", "no-such-branch", cwd=root)
    assert result.returncode == 2
    assert (
        result.stderr == "fastlint: error: --changed-since: unknown git revision 'no-such-branch'\n"
    )


def test_with_a_baseline_only_new_findings_in_changed_files(tmp_path: Path) -> None:
    root = git_project(tmp_path)
    assert run_cli("check", "--write-baseline", "b.json", cwd=root).returncode == 0
    commit_all(root, "baseline")
    git(root, "checkout", "-q", "-b", "feature")
    (root / ITEMS).write_text((root / ITEMS).read_text() + NEW_ROUTE)
    edit(root / USERS, "return user", "return dict(user)")
    _, findings, _ = check_json(root, "--changed-since", "main", "--baseline", "b.json")
    assert found(findings) == {(ITEMS, 34, "FLT102")}
