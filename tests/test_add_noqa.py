"""``--add-noqa`` and the unused-noqa rule (FLT003), from the command line and flake8."""

from __future__ import annotations

from pathlib import Path

from conftest import flake8_findings, run_cli
from git_projects import check_json, edit, found, git, git_project

from fastlint.suppressions import add_noqa_to_source

ITEMS = "app/api/items.py"
USERS = "app/api/users.py"


def test_add_noqa_then_check_is_clean(tmp_path: Path) -> None:
    root = git_project(tmp_path)
    result = run_cli("check", "--add-noqa", cwd=root)
    assert result.returncode == 0, result.stderr
    assert result.stderr == "Added 3 noqa directives to 2 files.\n"
    diff = git(root, "diff", "--unified=0")
    added = sorted(line for line in diff.splitlines() if line.startswith("+") and "+++" not in line)
    assert added == [
        "+    price = convert_price(10.0)  # noqa: FLT102",
        '+    return {"rate": exchange_rate("EUR")}  # noqa: FLT102',
        "+    time.sleep(0.1)  # noqa: FLT101",
    ]
    result = run_cli("check", cwd=root)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "All checks passed!\n")
    assert flake8_findings(root) == set()
    # Nothing more to add the second time.
    result = run_cli("check", "--add-noqa", cwd=root)
    assert result.stderr == "Added 0 noqa directives to 0 files.\n"


def test_existing_comments_and_codes_are_kept(tmp_path: Path) -> None:
    root = git_project(tmp_path)
    edit(root / USERS, "    time.sleep(0.1)\n", "    time.sleep(0.1)  # noqa:E501,W291 legacy\n")
    edit(
        root / ITEMS,
        "    price = convert_price(10.0)\n",
        "    price = convert_price(10.0)  # EUR only\n",
    )
    assert run_cli("check", "--add-noqa", cwd=root).returncode == 0
    assert "    time.sleep(0.1)  # noqa:E501,W291,FLT101 legacy\n" in (root / USERS).read_text()
    assert "    price = convert_price(10.0)  # EUR only  # noqa: FLT102\n" in (
        (root / ITEMS).read_text()
    )
    assert run_cli("check", cwd=root).returncode == 0
    assert flake8_findings(root) == set()


def test_only_changed_files_and_new_findings_get_comments(tmp_path: Path) -> None:
    root = git_project(tmp_path)
    edit(root / USERS, "return user", "return dict(user)")
    assert run_cli("check", "--add-noqa", "--changed-since", "HEAD", cwd=root).returncode == 0
    assert git(root, "diff", "--name-only").split() == [USERS]


def test_line_endings_and_multi_line_strings() -> None:
    source = 'async def send(client):\r\n    client.post(data="""\r\ntext\r\n""")\r\n    x = 1\r\n'
    fixed, changed = add_noqa_to_source(source, {2: {"FLT102"}, 5: {"FLT101", "FLT102"}})
    assert changed == 2
    assert fixed == (
        "async def send(client):\r\n"
        '    client.post(data="""\r\n'
        "text\r\n"
        '""")  # noqa: FLT102\r\n'
        "    x = 1  # noqa: FLT101, FLT102\r\n"
    )


def test_a_noqa_that_suppresses_nothing_is_reported(tmp_path: Path) -> None:
    root = git_project(tmp_path)
    assert run_cli("check", "--add-noqa", cwd=root).returncode == 0
    # The blocking call is fixed; its noqa stays behind. Another gets a code that is no rule.
    edit(
        root / USERS,
        "    time.sleep(0.1)  # noqa: FLT101",
        "    await asyncio.sleep(0.1)  # noqa: FLT101",
    )
    edit(root / USERS, "import time\n", "import asyncio\nimport time\n")
    edit(
        root / ITEMS, '# noqa: FLT102\n    return {"id"', '# noqa: FLT102, FLT499\n    return {"id"'
    )
    code, findings, _ = check_json(root)
    assert code == 1
    assert found(findings) == {(USERS, 13, "FLT003"), (ITEMS, 18, "FLT003")}
    messages = {f["line"]: f["message"] for f in findings}
    assert messages[13] == "Unused `noqa` directive (unused: `FLT101`)"
    assert messages[18] == "Unused `noqa` directive (unknown: `FLT499`)"
    assert flake8_findings(root) == {(USERS, 13, 31, "FLT003"), (ITEMS, 18, 34, "FLT003")}
    # Ignoring the rule silences it, as any other.
    code, findings, _ = check_json(root, "--ignore", "FLT003")
    assert (code, findings) == (0, [])
