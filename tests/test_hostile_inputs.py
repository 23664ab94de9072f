"""Files and trees that try to break the run: each gets a clear finding or a one-line error,
the rest of the run goes on, and the exit code follows the contract (0 clean, 1 findings,
2 an error). tests/test_cli.py covers a syntax error, invalid UTF-8, an unreadable file, a
directory named like a file, a dangling link and bad settings; these are the others.
"""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Optional

import pytest
from click.testing import CliRunner

from fastlint import cli
from fastlint import engine as engine_module
from fastlint.index import index_source
from fastlint.index.nesting import nesting_problem

SLEEP = "time.sleep() blocks the event loop (sleeps the whole worker); use await asyncio.sleep(...)"

# An async route that sleeps on line 10, column 5.
ROUTE = """\
import time

from fastapi import FastAPI

app = FastAPI()


@app.get("/")
async def index() -> None:
    time.sleep(1)
"""
FIXED_ROUTE = ROUTE.replace("FastAPI\n", "FastAPI\nimport asyncio\n", 1).replace(
    "    time.sleep(1)", "    await asyncio.sleep(1)"
)


def run(cwd: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "fastlint", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        errors="replace",
        env={**os.environ, "NO_COLOR": "1"},
        timeout=timeout,
    )
    assert "Traceback" not in result.stderr + result.stdout
    assert "internal error" not in result.stderr
    return result


def project(root: Path, files: Optional[dict[str, bytes]] = None, settings: str = "") -> Path:
    (root / "pyproject.toml").write_text(f"[tool.fastlint]\n{settings}", encoding="utf-8")
    for name, data in (files or {}).items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def sleepy(name: str) -> str:
    return f"{name}:10:5: FLT101 {SLEEP}"


# --- contents --------------------------------------------------------------------------------


def test_empty_and_comment_only_files_pass(tmp_path: Path) -> None:
    files = {
        "empty.py": b"",
        "comments.py": b"# nothing here\n#\n   # indented\n",
        "blank.py": b"\n\n   \n\t\n",
        "no_newline.py": b"# the end",
    }
    result = run(project(tmp_path, files), "check")
    assert result.stdout == ""
    assert result.stderr == "All checks passed!\n"
    assert result.returncode == 0


def test_nul_bytes_are_one_finding(tmp_path: Path) -> None:
    files = {
        "app.py": ROUTE.encode(),
        "nul.py": ROUTE.encode().replace(b"import time", b"import time\x00"),
        "nul_in_comment.py": b"x = 1\ny = 2  # \x00\n",
    }
    result = run(project(tmp_path, files), "check")
    out = result.stdout.splitlines()
    assert out[0] == sleepy("app.py")
    # The parser's own words; the sleep in the same file is not reported: it was not parsed.
    assert out[1:] == [
        "nul.py:1:1: FLT001 SyntaxError: source code cannot contain null bytes",
        "nul_in_comment.py:2:1: FLT001 SyntaxError: source code cannot contain null bytes",
    ]
    assert result.returncode == 1


def _encoded(text: str, *, newline: str = "\n", bom: bool = False, coding: str = "") -> bytes:
    header = f"# -*- coding: {coding} -*-\n" if coding else ""
    body = (header + text).replace("\n", newline)
    return (b"\xef\xbb\xbf" if bom else b"") + body.encode(coding or "utf-8")


def test_encodings_bom_line_endings_and_tabs_are_read_right(tmp_path: Path) -> None:
    """The same route written every way a file can be written: one finding each, at the
    same line and column (one line further down after a coding declaration)."""
    latin = ROUTE.replace("import time\n", "import time\n# caf\u00e9\n")
    mixed = "".join(line + ("\r\n" if n % 2 else "\n") for n, line in enumerate(ROUTE.splitlines()))
    files = {
        "bom.py": _encoded(ROUTE, bom=True),
        "cr.py": _encoded(ROUTE, newline="\r"),
        "crlf.py": _encoded(ROUTE, newline="\r\n"),
        "latin.py": _encoded(latin, coding="latin-1"),
        "mixed.py": mixed.encode(),
        "tabs.py": ROUTE.replace("    time.sleep", "\ttime.sleep").encode(),
        "utf16.py": _encoded(ROUTE, coding="utf-16"),
        "klingon.py": b"# -*- coding: klingon -*-\n" + ROUTE.encode(),
        "bom_and_latin.py": _encoded(ROUTE, bom=True).replace(
            b"import time", b"# -*- coding: latin-1 -*-\nimport time"
        ),
        "tab_error.py": b"if x:\n\tpass\n        pass\n",
    }
    result = run(project(tmp_path, files), "check")
    assert result.stdout.splitlines() == [
        "bom.py:10:5: FLT101 " + SLEEP,
        "bom_and_latin.py:1:1: FLT001 cannot decode the file: encoding problem: utf-8",
        "cr.py:10:5: FLT101 " + SLEEP,
        "crlf.py:10:5: FLT101 " + SLEEP,
        "klingon.py:1:1: FLT001 cannot decode the file: unknown encoding: klingon",
        "latin.py:12:5: FLT101 " + SLEEP,
        "mixed.py:10:5: FLT101 " + SLEEP,
        "tab_error.py:3:1: FLT001 SyntaxError: inconsistent use of tabs and spaces in indentation",
        "tabs.py:10:2: FLT101 " + SLEEP,
        "utf16.py:1:1: FLT001 SyntaxError: source code cannot contain null bytes",
    ]
    assert result.returncode == 1


def test_binary_garbage_is_undecodable_not_deep() -> None:
    """Bytes that are not text, with brackets enough to look deeply nested: not being text
    is what is reported, as Python would."""
    rng = random.Random(0)
    garbage = bytes(rng.randrange(1, 256) for _ in range(10_000)) + b"(" * 300
    assert nesting_problem(garbage) is not None
    error = index_source("garbage.py", garbage).error
    assert error is not None
    assert error.message.startswith("cannot decode the file"), error.message


def test_fix_skips_unparsable_files_and_fixes_the_rest(tmp_path: Path) -> None:
    files = {
        "app.py": ROUTE.encode(),
        "latin.py": b"x = '\xff'\n",
        "nul.py": b"x = 1\x00\n",
        "broken.py": b"def f(:\n",
    }
    root = project(tmp_path, files)
    result = run(root, "check", "--fix")
    assert (root / "app.py").read_text(encoding="utf-8") == FIXED_ROUTE
    for name in ("latin.py", "nul.py", "broken.py"):
        assert (root / name).read_bytes() == files[name]
    codes = [line.split()[1] for line in result.stdout.splitlines()]
    assert codes == ["FLT001", "FLT001", "FLT001"]
    assert result.returncode == 1


def test_a_five_megabyte_module_is_analysed(tmp_path: Path) -> None:
    """Generated code: the route, then 5 MB of data in long string constants."""
    line = "    " + repr("x" * 100) + ",\n"
    data = "TABLE = (\n" + line * (5 * 1024 * 1024 // len(line)) + ")\n"
    root = project(tmp_path, {"app.py": (ROUTE + "\n\n" + data).encode()})
    assert (root / "app.py").stat().st_size > 5 * 1024 * 1024
    started = time.monotonic()
    result = run(root, "check", "--no-cache")
    assert time.monotonic() - started < 60
    assert result.stdout.splitlines() == [sleepy("app.py")]
    assert result.returncode == 1


# --- depth and length ------------------------------------------------------------------------

_TOO_DEEP = r"FLT001 expression too deeply nested to analyse \(over \d+ levels\)"
_NESTED = [
    pytest.param(
        "x = " + "(" * 10_000 + ")" * 10_000,
        "FLT001 SyntaxError: too many nested parentheses",
        id="parens",
    ),
    pytest.param(
        "x = " + "[" * 300 + "]" * 300,
        "FLT001 SyntaxError: too many nested parentheses",
        id="brackets",
    ),
    pytest.param(
        "x = " + "f(" * 5000 + ")" * 5000,
        "FLT001 SyntaxError: too many nested parentheses",
        id="calls-in-calls",
    ),
    pytest.param("x = " + "1 + " * 20_000 + "1", _TOO_DEEP, id="sum"),
    pytest.param("x = " + "-" * 100_000 + "1", _TOO_DEEP, id="unary"),
    pytest.param("x = a" + "[0]" * 20_000, _TOO_DEEP, id="subscripts"),
    pytest.param("x = a" + "()" * 20_000, _TOO_DEEP, id="call-chain"),
    pytest.param("x = a" + ".b" * 20_000, _TOO_DEEP, id="attributes"),
    pytest.param("x = " + "1 if c else " * 5000 + "1", _TOO_DEEP, id="conditionals"),
    pytest.param("x = " + "lambda: " * 5000 + "1", _TOO_DEEP, id="lambdas"),
    pytest.param("x = " + "not " * 5000 + "1", _TOO_DEEP, id="nots"),
]


@pytest.mark.parametrize(("code", "finding"), _NESTED)
def test_deep_nesting_is_a_finding_not_a_crash(tmp_path: Path, code: str, finding: str) -> None:
    """Past these depths libcst's parser overflows its stack (a segmentation fault) or takes
    minutes; the file is reported as unparsable and the others are still checked."""
    root = project(tmp_path, {"app.py": ROUTE.encode(), "deep.py": (code + "\n").encode()})
    started = time.monotonic()
    result = run(root, "check")
    assert time.monotonic() - started < 30
    out = result.stdout.splitlines()
    assert out[0] == sleepy("app.py")
    assert re.fullmatch(r"deep\.py:1:1: " + finding, out[1]), out[1]
    assert len(out) == 2
    assert result.returncode == 1


_DEEP_BUT_FINE = [
    pytest.param(
        "PROMPT = (\n" + "".join(f'    "line {n}\\n"\n' for n in range(2000)) + ")\n",
        id="adjacent-strings",
    ),
    pytest.param(
        "TOTAL = (\n" + "".join(f"    + v{n}\n" for n in range(900)) + ")\n", id="long-sum"
    ),
    pytest.param(
        "QUERY = q" + "".join(f".where(c{n})" for n in range(200)) + "\n", id="method-chain"
    ),
    pytest.param("x = " + "(" * 150 + "1" + ")" * 150 + "\n", id="150-brackets"),
    pytest.param("ROW = [" + ", ".join("0" for _ in range(5_000)) + "]\n", id="long-line"),
    pytest.param("BLOB = " + repr("y" * 1_000_000) + "\n", id="megabyte-line"),
]


@pytest.mark.parametrize("code", _DEEP_BUT_FINE)
def test_deep_but_valid_code_is_analysed_and_fixed(tmp_path: Path, code: str) -> None:
    """Deeper than Python's default recursion limit lets a tree walk go, but valid: the file
    is analysed (its route's finding is reported) and fixed like any other."""
    root = project(tmp_path, {"app.py": (ROUTE + "\n\n" + code).encode()})
    result = run(root, "check")
    assert result.stdout.splitlines() == [sleepy("app.py")]
    assert result.returncode == 1
    fixed = run(root, "check", "--fix")
    assert fixed.stdout == ""
    assert fixed.returncode == 0
    assert (root / "app.py").read_text(encoding="utf-8") == FIXED_ROUTE + "\n\n" + code


# --- trees -----------------------------------------------------------------------------------


def test_symlink_loops_are_not_followed(tmp_path: Path) -> None:
    root = project(tmp_path, {"app.py": ROUTE.encode(), "pkg/mod.py": ROUTE.encode()})
    (root / "pkg" / "up").symlink_to("..")  # a folder that contains itself
    (root / "pkg" / "self").symlink_to(".")
    (root / "a.py").symlink_to("b.py")  # two files that point at each other
    (root / "b.py").symlink_to("a.py")
    result = run(root, "check")
    assert result.stdout.splitlines() == [sleepy("app.py"), sleepy("pkg/mod.py")]
    assert result.returncode == 1
    given = run(root, "check", "a.py", "app.py")
    assert given.stdout.splitlines() == [sleepy("app.py")]
    assert given.stderr.splitlines()[0] == "fastlint: error: a.py: no such file or directory"
    assert given.returncode == 2


def test_a_folder_named_like_a_module_is_walked(tmp_path: Path) -> None:
    root = project(tmp_path, {"models.py/app.py": ROUTE.encode()})
    result = run(root, "check")
    assert result.stdout.splitlines() == [sleepy("models.py/app.py")]
    assert result.returncode == 1


def _unreadable(path: Path) -> None:
    """An unreadable ``.py`` file, for root too (see tests/test_cli.py)."""
    if os.geteuid() != 0:
        path.write_text("x = 1\n", encoding="utf-8")
        path.chmod(0)
        return
    if not Path("/proc/self/mem").is_file():  # pragma: no cover
        pytest.skip("root, and no /proc/self/mem to make an unreadable file with")
    path.symlink_to("/proc/self/mem")


def test_fix_goes_on_past_an_unreadable_file(tmp_path: Path) -> None:
    root = project(tmp_path, {"app.py": ROUTE.encode()})
    _unreadable(root / "secret.py")
    result = run(root, "check", "--fix")
    assert (root / "app.py").read_text(encoding="utf-8") == FIXED_ROUTE
    assert result.stdout == ""
    err = result.stderr.splitlines()
    assert err[0] == "Fixed 1 problem."
    assert re.fullmatch(r"fastlint: error: secret\.py: cannot read: .+", err[1]), err
    assert len(err) == 2
    assert result.returncode == 2


def test_a_file_deleted_between_discovery_and_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = project(tmp_path, {"app.py": ROUTE.encode(), "gone.py": ROUTE.encode()})
    real_discover = engine_module.discover

    def discover_then_delete(*args: object, **kwargs: object) -> object:
        found = real_discover(*args, **kwargs)  # type: ignore[arg-type]
        if (root / "gone.py").exists():
            (root / "gone.py").unlink()
        return found

    monkeypatch.setattr(engine_module, "discover", discover_then_delete)
    monkeypatch.chdir(root)
    result = CliRunner().invoke(cli.main, ["check", "--jobs", "1"])
    assert result.output.splitlines() == [
        "fastlint: error: gone.py: cannot read: No such file or directory",
        sleepy("app.py"),
        "Found 1 problem.",
    ]
    assert result.exit_code == 2


def test_file_names_that_are_not_utf8(tmp_path: Path) -> None:
    root = project(tmp_path, {"app.py": ROUTE.encode()})
    name = os.fsdecode(b"caf\xe9.py")  # latin-1 bytes in the name: a surrogate escape here
    try:
        (root / name).write_bytes(ROUTE.encode())
    except (OSError, UnicodeEncodeError):  # pragma: no cover - a file system that refuses
        pytest.skip("this file system does not take non-UTF-8 names")
    shown = "caf\ufffd.py"  # printed with a replacement character
    result = run(root, "check")
    assert result.stdout.splitlines() == [sleepy("app.py"), sleepy(shown)]
    assert result.returncode == 1
    as_json = json.loads(run(root, "check", "--output-format", "json").stdout)
    assert [f["path"] for f in as_json] == ["app.py", "caf\udce9.py"]
    sarif = json.loads(run(root, "check", "--output-format", "sarif").stdout)
    uris = [
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in sarif["runs"][0]["results"]
    ]
    assert uris == ["app.py", "caf%E9.py"]
    assert run(root, "check", "--output-format", "github").returncode == 1
    assert run(root, "routes").returncode == 0
    fixed = run(root, "check", "--fix")
    assert fixed.returncode == 0
    assert (root / name).read_text(encoding="utf-8") == FIXED_ROUTE


# --- settings --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pyproject", "message"),
    [
        (b'[tool.fastlint]\nselect = ["FLT\xff"]\n', "invalid TOML: not UTF-8"),
        (b"[tool.fastlint]\nselect = [\x00]\n", "invalid TOML: "),
        (b"[tool.fastlint]\nexclude = 3\n", "'exclude' must be an array of strings"),
        (b"[tool.fastlint]\nbaseline = []\n", "'baseline' must be a file path"),
        (b"[tool]\nfastlint = []\n", "[tool.fastlint] must be a table"),
    ],
    ids=["not-utf8", "nul", "exclude-type", "baseline-type", "not-a-table"],
)
def test_bad_settings_stop_a_fix_run_with_one_line(
    tmp_path: Path, pyproject: bytes, message: str
) -> None:
    root = project(tmp_path, {"app.py": ROUTE.encode()})
    (root / "pyproject.toml").write_bytes(pyproject)
    result = run(root, "check", "--fix")
    assert result.stdout == ""
    err = result.stderr.splitlines()
    assert len(err) == 1
    assert err[0].startswith(f"fastlint: error: {os.path.realpath(root / 'pyproject.toml')}: ")
    assert message in err[0]
    assert result.returncode == 2
    assert (root / "app.py").read_text(encoding="utf-8") == ROUTE  # nothing was fixed


@pytest.mark.parametrize("command", ["check", "routes", "clean"])
def test_bad_settings_stop_every_command_with_one_line(tmp_path: Path, command: str) -> None:
    root = project(tmp_path, {"app.py": ROUTE.encode()})
    (root / "pyproject.toml").write_bytes(b'[tool.fastlint]\nselect = ["FLT\xff"]\n')
    result = run(root, command)
    assert result.stdout == ""
    pyproject = os.path.realpath(root / "pyproject.toml")
    assert result.stderr == f"fastlint: error: {pyproject}: invalid TOML: not UTF-8\n"
    assert result.returncode == 2


def test_an_unreadable_pyproject_is_one_line(tmp_path: Path) -> None:
    root = project(tmp_path, {"app.py": ROUTE.encode()})
    (root / "pyproject.toml").unlink()
    _unreadable(root / "pyproject.toml")
    result = run(root, "check")
    assert re.fullmatch(r"fastlint: error: .*pyproject\.toml: cannot read: .+\n", result.stderr)
    assert result.returncode == 2


@pytest.mark.parametrize("source", [ROUTE.encode(), b"def broken(:\n", b"x = '\xff'\n"])
def test_node_validation_is_back_once_a_file_is_indexed(source: bytes) -> None:
    """The index trusts the parser's own trees and skips libcst's per-node checks while it
    parses; whatever the file, those checks are back for trees built afterwards (fixes, and
    other flake8 plugins in the same process)."""
    import libcst as cst

    summary = index_source("app.py", source)
    assert (summary.error is None) == (source == ROUTE.encode())
    with pytest.raises(cst.CSTValidationError):
        cst.Name("")
