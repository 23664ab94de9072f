"""Parallel indexing gives what a serial run gives, in order; the early exits are exact."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import FIXTURES, PROJECTS, run_cli

from fastlint.config import load_config
from fastlint.engine import build_project, check, index_paths
from fastlint.index import index_source
from fastlint.parallel import IndexRequest, index_many, summarise

ROUTE = """\
import time

from fastapi import FastAPI

from .helpers_{n} import slow_{n}

app_{n} = FastAPI()


@app_{n}.get("/items/{n}")
async def read_{n}():
    slow_{n}()
    time.sleep({n})
    return {{"n": {n}}}
"""

HELPER = """\
import requests


def slow_{n}():
    return requests.get("https://example.com/{n}")
"""


def _many_files(root: Path, count: int) -> None:
    """A project big enough that the engine uses a process pool."""
    package = root / "app"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    padding = "\n".join(f"# padding line {i}: long enough to count" for i in range(400))
    for n in range(count):
        (package / f"routes_{n}.py").write_text(ROUTE.format(n=n) + padding + "\n")
        (package / f"helpers_{n}.py").write_text(HELPER.format(n=n))
    (package / "broken.py").write_text("def broken(:\n    pass\n")
    (root / "pyproject.toml").write_text("[tool.fastlint]\n")


def test_parallel_and_serial_summaries_are_identical_and_in_order(tmp_path: Path) -> None:
    _many_files(tmp_path, 20)
    paths = sorted(str(p) for p in tmp_path.rglob("*.py"))
    serial, serial_problems = index_paths(paths, jobs=1)
    parallel, parallel_problems = index_paths(paths, jobs=2)
    assert [s.path for s in parallel] == paths
    assert parallel == serial
    assert parallel_problems == serial_problems == []


def test_a_pool_is_really_used_for_many_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import fastlint.parallel as parallel

    _many_files(tmp_path, 20)
    used: list[int] = []
    original = parallel._index_in_pool

    def spy(tasks, jobs, cache, results):  # type: ignore[no-untyped-def]
        used.append(jobs)
        original(tasks, jobs, cache, results)

    monkeypatch.setattr(parallel, "_index_in_pool", spy)
    paths = sorted(str(p) for p in tmp_path.rglob("*.py"))
    index_many([IndexRequest(p) for p in paths], jobs=2)
    assert used == [2]
    used.clear()
    index_many([IndexRequest(p) for p in paths], jobs=1)  # --jobs 1: this process only
    index_many([IndexRequest(p) for p in paths[:3]], jobs=2)  # too few to be worth it
    assert used == []


def test_parallel_and_serial_cli_output_is_identical(tmp_path: Path) -> None:
    _many_files(tmp_path, 20)
    outputs = set()
    for jobs in ("1", "2"):
        result = run_cli(
            "check", ".", "--no-cache", "--jobs", jobs, "--output-format", "json", cwd=tmp_path
        )
        assert result.returncode == 1, result.stderr
        outputs.add(result.stdout)
    assert len(outputs) == 1
    assert '"FLT101"' in outputs.pop()


@pytest.mark.parametrize("project", ["deep_chains", *sorted(p.name for p in PROJECTS.iterdir())])
def test_fixture_projects_are_the_same_in_parallel(tmp_path: Path, project: str) -> None:
    source = PROJECTS / project
    if not (source / "pyproject.toml").exists():
        pytest.skip("not a fixture project")
    shutil.copytree(source, tmp_path / project, ignore=shutil.ignore_patterns(".fastlint_cache"))
    config = load_config([str(tmp_path / project)])
    serial = check([str(tmp_path / project)], _with(config, jobs=1, use_cache=False))
    parallel = check([str(tmp_path / project)], _with(config, jobs=2, use_cache=False))
    assert parallel.findings == serial.findings
    assert parallel.problems == serial.problems


def _with(config, **changes):  # type: ignore[no-untyped-def]
    import dataclasses

    return dataclasses.replace(config, **changes)


def test_unreadable_file_is_a_problem_in_both_modes(tmp_path: Path) -> None:
    _many_files(tmp_path, 20)
    paths = sorted(str(p) for p in tmp_path.rglob("*.py"))
    missing = str(tmp_path / "app" / "gone.py")
    paths.insert(3, missing)
    for jobs in (1, 2):
        summaries, problems = index_paths(paths, jobs=jobs)
        assert len(summaries) == len(paths) - 1
        assert len(problems) == 1 and "gone.py: cannot read" in problems[0]


# --- cheap early exits: exactly what the parser would give -----------------------------

EARLY_EXIT_SOURCES = [
    b"",
    b"\n\n",
    b"# just a comment\n",
    b"# comment\r\n\r\n   # indented comment\r\n",
    b"# noqa\n# a file-level one: flake8: noqa\n",
    b"# something  # noqa: FLT101\n",
    b"  \t\n# tab and spaces\n",
    b"#!/usr/bin/env python\n# caf\xc3\xa9\n",
]

NOT_EARLY_EXIT_SOURCES = [
    b"# -*- coding: latin-1 -*-\n# caf\xe9\n",  # an encoding the parser must check
    b"# caf\xe9\n",  # not UTF-8: a FLT001 to report
    b"\xef\xbb\xbf# BOM\n",
    b"\\\n",
    b"x = 1\n",
    b'"""docstring only"""\n',
]


@pytest.mark.parametrize("source", EARLY_EXIT_SOURCES)
def test_comment_only_files_skip_the_parser_with_the_same_summary(
    tmp_path: Path, source: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = str(tmp_path / "pkg" / "mod.py")
    os.makedirs(os.path.dirname(path))
    expected = index_source(path, source)
    import fastlint.parallel as parallel

    def no_parse(*args: object) -> None:
        raise AssertionError("parsed a file that cannot hold code")

    monkeypatch.setattr(parallel, "index_source", no_parse)
    assert summarise(path, source) == expected
    assert summarise(path, source, "renamed.mod") == index_source(path, source, "renamed.mod")


@pytest.mark.parametrize("source", NOT_EARLY_EXIT_SOURCES)
def test_files_that_may_hold_code_or_errors_are_parsed(tmp_path: Path, source: bytes) -> None:
    path = str(tmp_path / "mod.py")
    assert summarise(path, source) == index_source(path, source)
    assert not __import__("fastlint.parallel").parallel._only_comments(source)


def test_build_project_matches_across_modes_on_the_rule_fixtures() -> None:
    config = load_config([str(FIXTURES)])
    a = build_project(_with(config, jobs=1, use_cache=False))
    b = build_project(_with(config, jobs=2, use_cache=False))
    assert a[1] == b[1]
