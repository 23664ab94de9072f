"""Shared helpers: fixture markers, running the real CLI and the real flake8."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
PROJECTS = FIXTURES / "projects"

_MARKER = re.compile(r"#\s*expect:\s*(?P<codes>[^#]+)")
_ONE = re.compile(r"(FLT\d{3})@(\d+)")

Finding = tuple[str, int, int, str]  # path relative to the fixture root, line, column, code


def expected_markers(root: Path) -> set[Finding]:
    """``# expect: FLT101@5, FLT102@9`` comments: a finding at that line and 1-based column."""
    out: set[Finding] = set()
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root).as_posix()
        if relative.startswith("projects/") and root == FIXTURES:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            match = _MARKER.search(line)
            if match:
                for code, column in _ONE.findall(match.group("codes")):
                    out.add((relative, number, int(column), code))
    return out


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fastlint", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )


def cli_findings(root: Path, *extra: str) -> set[Finding]:
    result = run_cli("check", ".", "--output-format", "json", *extra, cwd=root)
    assert result.returncode in (0, 1), result.stderr
    return {
        (Path(f["path"]).as_posix(), f["line"], f["column"], f["code"])
        for f in json.loads(result.stdout)
    }


def flake8_findings(root: Path, *extra: str) -> set[Finding]:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "flake8",
            "--isolated",
            "--select",
            "FLT",
            "--format",
            "%(path)s|%(row)d|%(col)d|%(code)s",
            *extra,
            ".",
        ],
        cwd=root,
        capture_output=True,
        text=True,
    )
    assert result.returncode in (0, 1), result.stderr
    out: set[Finding] = set()
    for line in result.stdout.splitlines():
        path, row, col, code = line.split("|")
        out.add((Path(os.path.normpath(path)).as_posix(), int(row), int(col), code))
    return out


@pytest.fixture(scope="session")
def fixture_cli_findings() -> set[Finding]:
    return cli_findings(FIXTURES)
