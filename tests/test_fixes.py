"""--fix, --diff and --unsafe-fixes through the real CLI: exact output, stability, safe writes."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import stat
import sys
import textwrap
from collections import Counter
from pathlib import Path
from types import ModuleType

import libcst as cst
import pytest
from conftest import ROOT, run_cli
from fastapi.testclient import TestClient

from fastlint.config import Config
from fastlint.fixes import fix_paths, write_fixes
from fastlint.rules import ALL_RULES, RULES_BY_CODE

FIX_FIXTURES = ROOT / "tests" / "fix_fixtures"
CASES = sorted(p.stem for p in FIX_FIXTURES.glob("*.py") if p.stem.count(".") == 0)
CLEAN_SOURCE = "def untouched():\n    return 1\n"


def _project(tmp_path: Path, name: str, source: bytes) -> Path:
    (tmp_path / "pyproject.toml").write_text("[tool.fastlint]\n", encoding="utf-8")
    (tmp_path / "data.txt").write_text("hello", encoding="utf-8")
    clean = tmp_path / "clean.py"
    clean.write_text(CLEAN_SOURCE, encoding="utf-8")
    os.utime(clean, (1_000_000_000, 1_000_000_000))
    target = tmp_path / f"{name}.py"
    target.write_bytes(source)
    return target


def _codes(tmp_path: Path) -> Counter[str]:
    result = run_cli("check", ".", "--output-format", "json", cwd=tmp_path)
    return Counter(f["code"] for f in json.loads(result.stdout))


def _fixed_codes(stderr: str) -> Counter[str]:
    return Counter(
        line.split("fixed ")[1].split(":")[0]
        for line in stderr.splitlines()
        if ": fixed FLT" in line
    )


@pytest.mark.parametrize("unsafe", [False, True], ids=["safe", "unsafe"])
@pytest.mark.parametrize("name", CASES)
def test_fix_output_is_exact_stable_and_clean(tmp_path: Path, name: str, unsafe: bool) -> None:
    expected_file = FIX_FIXTURES / f"{name}.{'unsafe' if unsafe else 'fixed'}.py"
    if unsafe and not expected_file.exists():
        expected_file = FIX_FIXTURES / f"{name}.fixed.py"
    target = _project(tmp_path, name, (FIX_FIXTURES / f"{name}.py").read_bytes())
    before = _codes(tmp_path)
    flags = ["--fix", "--show-fixes", *(["--unsafe-fixes"] if unsafe else [])]

    first = run_cli("check", ".", *flags, cwd=tmp_path)
    assert "Traceback" not in first.stderr
    assert target.read_text(encoding="utf-8") == expected_file.read_text(encoding="utf-8")
    compile(target.read_text(encoding="utf-8"), str(target), "exec")

    clean = tmp_path / "clean.py"
    assert clean.read_text(encoding="utf-8") == CLEAN_SOURCE
    assert clean.stat().st_mtime == 1_000_000_000

    # What was fixed is gone, and nothing new appeared.
    assert _codes(tmp_path) == before - _fixed_codes(first.stderr)

    mtime = target.stat().st_mtime_ns
    second = run_cli("check", ".", *flags, cwd=tmp_path)
    assert ": fixed " not in second.stderr
    assert target.read_text(encoding="utf-8") == expected_file.read_text(encoding="utf-8")
    assert target.stat().st_mtime_ns == mtime


def test_diff_writes_nothing_and_exits_1(tmp_path: Path) -> None:
    source = (FIX_FIXTURES / "direct_calls.py").read_bytes()
    target = _project(tmp_path, "direct_calls", source)
    result = run_cli("check", ".", "--diff", cwd=tmp_path)
    assert result.returncode == 1
    assert "+    await asyncio.sleep(seconds)  # the comment stays" in result.stdout
    assert "-    time.sleep(seconds)  # the comment stays" in result.stdout
    assert target.read_bytes() == source
    clean_run = run_cli("check", "clean.py", "--diff", cwd=tmp_path)
    assert clean_run.returncode == 0 and clean_run.stdout == ""


def test_noqa_finding_is_not_fixed(tmp_path: Path) -> None:
    source = textwrap.dedent(
        """\
        import time
        from fastapi import FastAPI

        app = FastAPI()

        @app.get("/")
        async def index():
            time.sleep(1)  # noqa: FLT101
        """
    ).encode()
    target = _project(tmp_path, "app", source)
    result = run_cli("check", ".", "--fix", cwd=tmp_path)
    assert result.returncode == 0
    assert target.read_bytes() == source


SLEEPY = textwrap.dedent(
    """\
    # -*- coding: {encoding} -*-
    # caf\u00e9
    import time
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/")
    async def index():
        time.sleep(1)
    """
)


@pytest.mark.parametrize(
    ("encoding", "bom", "newline"),
    [("utf-8", False, "\r\n"), ("utf-8", True, "\n"), ("latin-1", False, "\n")],
    ids=["crlf", "bom", "latin-1"],
)
def test_fix_keeps_encoding_bom_line_endings_and_mode(
    tmp_path: Path, encoding: str, bom: bool, newline: str
) -> None:
    text = SLEEPY.format(encoding=encoding).replace("\n", newline)
    source = (b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding)
    target = _project(tmp_path, "app", source)
    os.chmod(target, 0o754)
    result = run_cli("check", ".", "--fix", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    fixed = target.read_bytes()
    assert fixed.startswith(b"\xef\xbb\xbf") == bom
    body = fixed[3:] if bom else fixed
    decoded = body.decode(encoding)
    assert "caf\u00e9" in decoded
    assert "    await asyncio.sleep(1)" in decoded
    lines = decoded.split(newline)
    assert "import asyncio" in lines
    if newline == "\r\n":
        assert decoded.count("\r\n") == decoded.count("\n")
    assert stat.S_IMODE(target.stat().st_mode) == 0o754


def test_a_fix_that_would_break_the_file_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = SLEEPY.format(encoding="utf-8").encode()
    target = _project(tmp_path, "app", source)
    rule = RULES_BY_CODE["FLT101"]
    # Fault injection: a transformation that produces code that cannot compile.
    monkeypatch.setattr(rule, "build_fix", lambda self, request, node, context: cst.Name("def"))
    config = Config(root=str(tmp_path))
    outcome = fix_paths([str(tmp_path)], config, unsafe=False)
    assert outcome.fixed == {}
    assert any("would break the file" in problem for problem in outcome.problems)
    assert write_fixes(outcome, [str(tmp_path)]) == []
    assert target.read_bytes() == source


def test_a_file_changed_since_analysis_is_left_alone(tmp_path: Path) -> None:
    source = SLEEPY.format(encoding="utf-8").encode()
    target = _project(tmp_path, "app", source)
    outcome = fix_paths([str(tmp_path)], Config(root=str(tmp_path)), unsafe=False)
    assert str(target) in outcome.fixed
    target.write_bytes(source + b"# edited meanwhile\n")
    problems = write_fixes(outcome, [str(tmp_path)])
    assert problems and "changed while fastlint was fixing it" in problems[0]
    assert target.read_bytes() == source + b"# edited meanwhile\n"


_EXAMPLES_WITH_FIXES = [
    pytest.param(rule, example, id=f"{rule.code}-{index}")
    for rule in ALL_RULES
    for index, example in enumerate(rule.invalid)
    if example.fixed is not None
]


@pytest.mark.parametrize(("rule", "example"), _EXAMPLES_WITH_FIXES)
def test_rule_example_fix(tmp_path: Path, rule: object, example: object) -> None:
    code = textwrap.dedent(example.code).lstrip("\n")  # type: ignore[attr-defined]
    fixed = textwrap.dedent(example.fixed).lstrip("\n")  # type: ignore[attr-defined]
    target = _project(tmp_path, "example", code.encode())
    unsafe = rule.fix_safety == "unsafe"  # type: ignore[attr-defined]
    run_cli("check", ".", "--fix", *(["--unsafe-fixes"] if unsafe else []), cwd=tmp_path)
    assert target.read_text(encoding="utf-8") == fixed


def _load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


BEHAVIOUR = {
    "direct_calls": ["/sleep?seconds=0", "/read", "/echo?word=same", "/suppressed", "/chained"],
    "sync_def": ["/square/7", "/cube/3"],
    "lifespan_client": ["/quote", "/items/3?verbose=true", "/token", "/closed", "/helper"],
    # Three rows: under the default limit of 100, every route answers as before.
    "pagination_query": ["/items", "/names", "/items/chained", "/items/scalars"],
}

# After the fix only: what the new parameters do. (url, status, body or None)
AFTER_FIX = {
    "pagination_query": [
        ("/items?limit=2", 200, [{"id": 1, "name": "plum"}, {"id": 2, "name": "apple"}]),
        ("/items?skip=1&limit=1", 200, [{"id": 2, "name": "apple"}]),
        ("/items?limit=5000", 422, None),
        ("/names?limit=2", 200, ["apple", "pear"]),
        ("/names?skip=2", 200, ["plum"]),
        ("/items/chained?limit=1", 200, [{"id": 3, "name": "pear"}]),
        ("/items/scalars?limit=1000", 200, None),
        ("/items/scalars?limit=1001", 422, None),
    ],
}


@pytest.mark.parametrize(
    ("name", "unsafe"),
    [
        ("direct_calls", False),
        ("direct_calls", True),
        ("sync_def", True),
        ("lifespan_client", True),
        ("pagination_query", True),
    ],
)
def test_fixed_app_answers_exactly_as_before(tmp_path: Path, name: str, unsafe: bool) -> None:
    """The routes return the same responses through FastAPI before and after the fix."""
    target = _project(tmp_path, name, (FIX_FIXTURES / f"{name}.py").read_bytes())
    original = tmp_path / f"{name}_original.py"
    shutil.copy(target, original)
    flags = ["--fix", *(["--unsafe-fixes"] if unsafe else [])]
    run_cli("check", str(target.name), *flags, cwd=tmp_path)
    assert target.read_bytes() != original.read_bytes()
    # As clients: the apps' lifespans run, as they do when served.
    old_app = _load(original, f"before_{name}_{unsafe}").app
    new_app = _load(target, f"after_{name}_{unsafe}").app
    with TestClient(old_app) as before, TestClient(new_app) as after:
        for url in BEHAVIOUR[name]:
            old, new = before.get(url), after.get(url)
            assert (old.status_code, old.json()) == (new.status_code, new.json()), url
        for url, status, body in AFTER_FIX.get(name, []):
            response = after.get(url)
            assert response.status_code == status, url
            assert body is None or response.json() == body, url


def test_pagination_fix_is_offered_exactly_where_it_applies(tmp_path: Path) -> None:
    """Every FLT401 finding that offers a fix offers it as unsafe and gets it; the others
    offer none."""
    (tmp_path / "pyproject.toml").write_text("[tool.fastlint]\n", encoding="utf-8")
    for source in FIX_FIXTURES.glob("pagination_*.py"):
        if source.stem.count(".") == 0:
            shutil.copy(source, tmp_path / source.name)
    findings = json.loads(run_cli("check", ".", "--output-format", "json", cwd=tmp_path).stdout)
    listed = [f for f in findings if f["code"] == "FLT401"]
    assert {f["fix"]["safety"] for f in listed if f["fix"]} == {"unsafe"}
    offered = Counter(f["path"] for f in listed if f["fix"])
    declined = [f for f in listed if f["path"] == "pagination_declined.py"]
    assert len(declined) == 11 and not any(f["fix"] for f in declined)
    result = run_cli("check", ".", "--fix", "--unsafe-fixes", "--show-fixes", cwd=tmp_path)
    applied = Counter(
        line.split(":")[0] for line in result.stderr.splitlines() if ": fixed FLT401" in line
    )
    assert applied == offered


PAGINATION_EDGES = {
    # ``Query`` is SQLAlchemy's and fastapi is imported only by name: ``import fastapi``.
    "query_taken": (
        """\
        from fastapi import APIRouter, Depends
        from sqlalchemy.orm import Query, Session

        router = APIRouter()


        def get_db(): ...


        def active(query: Query) -> Query:
            return query


        @router.get("/items")
        def items(db: Session = Depends(get_db)):
            return db.query(Item).all()
        """,
        [
            "import fastapi",
            "    limit: int = fastapi.Query(100, le=1000),",
            "    return db.query(Item).offset(skip).limit(limit).all()",
        ],
    ),
    "positional_only_and_star_args": (
        """\
        from fastapi import FastAPI, Query
        from sqlalchemy.orm import Session

        app = FastAPI()


        @app.get("/a")
        def a(db: Session, /):
            return db.query(Item).all()


        @app.get("/b")
        def b(db: Session, *args):
            return db.query(Item).all()
        """,
        [
            "def a(db: Session, /, skip: int = 0, limit: int = Query(100, le=1000)):",
            "def b(db: Session, *args, skip: int = 0, limit: int = Query(100, le=1000)):",
        ],
    ),
}


@pytest.mark.parametrize("name", sorted(PAGINATION_EDGES))
def test_pagination_fix_edges(tmp_path: Path, name: str) -> None:
    source, expected_lines = PAGINATION_EDGES[name]
    target = _project(tmp_path, name, textwrap.dedent(source).encode())
    outcome = fix_paths([str(tmp_path)], Config(root=str(tmp_path)), unsafe=True)
    fixed = outcome.fixed[str(target)].decode()
    compile(fixed, str(target), "exec")
    lines = fixed.splitlines()
    for line in expected_lines:
        assert line in lines, fixed
