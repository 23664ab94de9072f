"""The pre-commit hook, run by the real ``pre-commit`` against a throwaway git repository.

``pre-commit try-repo`` installs the hook from this checkout's working tree (committed
files plus uncommitted changes to tracked files), so the test covers the code as it is now,
not only what has been committed. Building the hook's environment installs fastlint's
dependencies from the package index; nothing else needs the network.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

BLOCKING_ROUTE = """\
import time

from fastapi import FastAPI

app = FastAPI()


@app.get("/slow")
async def slow():
    time.sleep(1)
    return {"ok": True}
"""

CLEAN_ROUTE = """\
import asyncio

from fastapi import FastAPI

app = FastAPI()


@app.get("/slow")
async def slow():
    await asyncio.sleep(1)
    return {"ok": True}
"""


def _pre_commit() -> str:
    """The ``pre-commit`` executable installed beside this interpreter (the test extra)."""
    name = "pre-commit.exe" if sys.platform == "win32" else "pre-commit"
    candidate = Path(sysconfig.get_path("scripts")) / name
    if candidate.is_file():
        return str(candidate)
    found = shutil.which("pre-commit")
    assert found, "pre-commit is not installed; run pip install -e '.[test]'"
    return found


@pytest.fixture(scope="session")
def pre_commit_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment for git and pre-commit: no inherited git or pre-commit state, and a
    pre-commit cache that lives under pytest's temporary directory for the whole session."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT"))}
    env["PRE_COMMIT_HOME"] = str(tmp_path_factory.mktemp("pre-commit-home"))
    env["PRE_COMMIT_COLOR"] = "never"
    env["NO_COLOR"] = "1"
    return env


def _git(cwd: Path, env: dict[str, str], *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True)


def _project(path: Path, env: dict[str, str], files: dict[str, str]) -> Path:
    path.mkdir()
    _git(path, env, "init", "-q")
    _git(path, env, "config", "user.email", "dev@example.com")
    _git(path, env, "config", "user.name", "Dev")
    _git(path, env, "config", "commit.gpgsign", "false")
    for name, text in files.items():
        (path / name).write_text(text, encoding="utf-8")
    _git(path, env, "add", "--", *files)  # --all-files means the files git tracks
    return path


def _try_repo(
    project: Path, env: dict[str, str], hook: str = "fastlint"
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_pre_commit(), "try-repo", str(REPO), hook, "--all-files", "--color", "never"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


def test_hook_fails_on_blocking_call(tmp_path: Path, pre_commit_env: dict[str, str]) -> None:
    project = _project(tmp_path / "project", pre_commit_env, {"api.py": BLOCKING_ROUTE})
    result = _try_repo(project, pre_commit_env)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "api.py:10:5: FLT101" in output, output


def test_hook_passes_on_clean_code(tmp_path: Path, pre_commit_env: dict[str, str]) -> None:
    project = _project(tmp_path / "project", pre_commit_env, {"api.py": CLEAN_ROUTE})
    result = _try_repo(project, pre_commit_env)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "FLT1" not in output, output
    assert "Passed" in output, output


def test_fix_hook_fixes_and_reports_the_modified_file(
    tmp_path: Path, pre_commit_env: dict[str, str]
) -> None:
    project = _project(tmp_path / "project", pre_commit_env, {"api.py": BLOCKING_ROUTE})
    result = _try_repo(project, pre_commit_env, "fastlint-fix")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output  # pre-commit fails a hook that modifies files
    assert "files were modified by this hook" in output, output
    fixed = (project / "api.py").read_text(encoding="utf-8")
    assert "    await asyncio.sleep(1)\n" in fixed
    assert "import asyncio\n" in fixed
