"""fastlint reads source and never runs it: a project whose modules write files, exit the
process or kill it when imported is checked, fixed and listed, and none of that happens."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

# Each module leaves a mark in the folder named by MARKS if it is ever run, then ends the
# process every way it can: fastlint would stop short, which the findings would show.
SIDE_EFFECTS = """\
import atexit
import os
import pathlib
import signal
import sys

MARKS = pathlib.Path({marks!r})
MARKS.joinpath({name!r}).write_text("imported")
atexit.register(lambda: MARKS.joinpath({name!r} + ".atexit").write_text("exited"))
os.system("touch " + str(MARKS / ({name!r} + ".shell")))
"""
ENDINGS = [
    "sys.exit(3)",
    "raise SystemExit(4)",
    "os._exit(5)",
    "os.kill(os.getpid(), signal.SIGKILL)",
]

APP = """\
import time

from fastapi import FastAPI

app = FastAPI()


def default(path=MARKS.joinpath("default").write_text("evaluated")):
    return path


class Meta(type):
    def __new__(mcs, *args):
        MARKS.joinpath("metaclass").write_text("ran")
        return super().__new__(mcs, *args)


class Model(metaclass=Meta):
    pass


@app.get("/")
async def index() -> None:
    time.sleep(1)


async def handler():
    return 1
"""


def module(marks: Path, name: str, ending: str, body: str = "") -> str:
    return SIDE_EFFECTS.format(marks=str(marks), name=name) + body + "\n" + ending + "\n"


@pytest.fixture
def booby_trapped(tmp_path: Path) -> tuple[Path, Path]:
    """A project that runs code on import, and the (empty) folder it would leave marks in."""
    marks = tmp_path / "marks"
    marks.mkdir()
    root = tmp_path / "project"
    files = {
        "app/__init__.py": module(marks, "package", ENDINGS[0]),
        "app/main.py": module(marks, "main", ENDINGS[1], APP),
        "app/routes.py": module(marks, "routes", ENDINGS[2], APP.replace("index", "other")),
        "conftest.py": module(marks, "conftest", ENDINGS[3]),
        "setup.py": module(marks, "setup", ENDINGS[0]),
        "__main__.py": module(marks, "dunder_main", ENDINGS[1]),
        "sitecustomize.py": module(marks, "sitecustomize", ENDINGS[2]),
        # Named like what fastlint itself imports: reading them must not import them.
        "click.py": module(marks, "click", ENDINGS[3]),
        "libcst.py": module(marks, "libcst", ENDINGS[0]),
    }
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (root / "pyproject.toml").write_text("[tool.fastlint]\n", encoding="utf-8")
    return root, marks


def fastlint(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # -I: the project folder is not on sys.path, as for the installed ``fastlint`` command.
    return subprocess.run(
        [sys.executable, "-I", "-m", "fastlint", *args],
        cwd=root,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
        timeout=120,
    )


def test_checking_fixing_and_listing_run_no_project_code(
    booby_trapped: tuple[Path, Path],
) -> None:
    root, marks = booby_trapped
    check = fastlint(root, "check", "--output-format", "full")
    assert "Traceback" not in check.stderr
    assert "app/main.py:34:5: FLT101" in check.stdout
    assert "app/routes.py:34:5: FLT101" in check.stdout
    assert check.stderr.endswith("problems.\n")  # the run got to its end
    assert check.returncode == 1

    routes = fastlint(root, "routes")
    assert routes.returncode == 0, routes.stderr
    assert "/" in routes.stdout

    diff = fastlint(root, "check", "--diff", "--unsafe-fixes")
    assert diff.returncode == 1, diff.stderr
    fixed = fastlint(root, "check", "--fix", "--unsafe-fixes")
    assert "Traceback" not in fixed.stderr
    assert fixed.returncode in (0, 1)
    assert "await asyncio.sleep(1)" in (root / "app" / "main.py").read_text(encoding="utf-8")

    flake8 = subprocess.run(
        [sys.executable, "-I", "-m", "flake8", "--select", "FLT", "."],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert flake8.returncode in (0, 1), flake8.stderr
    assert "Traceback" not in flake8.stderr

    assert sorted(p.name for p in marks.iterdir()) == []
