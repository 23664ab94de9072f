"""Fixture projects copied into temporary git repositories, for the adoption tests."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from conftest import ROOT, run_cli

ADOPTION_FIXTURES = ROOT / "tests" / "adoption_fixtures"

_GIT_ENV = {
    "GIT_AUTHOR_NAME": "fastlint tests",
    "GIT_AUTHOR_EMAIL": "tests@example.com",
    "GIT_COMMITTER_NAME": "fastlint tests",
    "GIT_COMMITTER_EMAIL": "tests@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
}


def git(root: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", *args],
        cwd=root,
        capture_output=True,
        text=True,
        env={**os.environ, **_GIT_ENV},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def git_project(tmp_path: Path, name: str = "shopfront") -> Path:
    """A copy of ``tests/adoption_fixtures/<name>`` in a new git repository, committed."""
    root = tmp_path / name
    shutil.copytree(ADOPTION_FIXTURES / name, root)
    git(root, "init", "-q", "-b", "main")
    commit_all(root, "initial")
    return root


def commit_all(root: Path, message: str) -> None:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)


def check_json(root: Path, *args: str) -> tuple[int, list[dict[str, Any]], str]:
    """Exit code, findings and stderr of ``fastlint check . --output-format json ARGS``."""
    result = run_cli("check", ".", "--output-format", "json", *args, cwd=root)
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, json.loads(result.stdout), result.stderr


def found(findings: list[dict[str, Any]]) -> set[tuple[str, int, str]]:
    return {(Path(f["path"]).as_posix(), f["line"], f["code"]) for f in findings}


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def prepend(path: Path, text: str) -> None:
    path.write_text(text + path.read_text(encoding="utf-8"), encoding="utf-8")
