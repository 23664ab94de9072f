"""The command line, run for real: ``python -m fastlint`` in a temporary project.

Every test pins the project root with a ``pyproject.toml`` holding ``[tool.fastlint]``, so
that nothing above the temporary directory takes part, and checks the exact lines printed
and the exit code.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Optional

import jsonschema
import pytest

from fastlint import __version__

SARIF_SCHEMA = Path(__file__).parent / "schemas" / "sarif-schema-2.1.0.json"

SLEEP_MESSAGE = (
    "time.sleep() blocks the event loop (sleeps the whole worker); use await asyncio.sleep(...)"
)
HTTP_MESSAGE = (
    "requests.get() blocks the event loop (synchronous HTTP request); "
    "use an async client such as httpx.AsyncClient, or await asyncio.to_thread(...)"
)

# An async route that sleeps on line 9, column 5.
SLEEPY_APP = """\
import time

from fastapi import FastAPI

app = FastAPI()


@app.get("/")
async def index() -> None:
    time.sleep(1)
"""
SLEEPY_FINDING = f"app.py:10:5: FLT101 {SLEEP_MESSAGE}"

# An async route with a blocking sleep (line 11) and a blocking HTTP call (line 12).
MIXED_APP = """\
import time

import requests
from fastapi import FastAPI

app = FastAPI()


@app.get("/")
async def index() -> None:
    time.sleep(1)
    requests.get("http://a", timeout=1)
"""

CLEAN_APP = """\
import asyncio

from fastapi import FastAPI

app = FastAPI()


@app.get("/")
async def index() -> None:
    await asyncio.sleep(1)
"""


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m fastlint ARGS`` in ``cwd``; stdout and stderr captured as text."""
    return subprocess.run(
        [sys.executable, "-m", "fastlint", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
        timeout=60,
    )


def write(root: Path, name: str, text: str) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def project(root: Path, settings: str = "", files: Optional[dict[str, str]] = None) -> Path:
    """A project: ``pyproject.toml`` with ``[tool.fastlint]`` plus ``settings``, and ``files``."""
    write(root, "pyproject.toml", "[tool.fastlint]\n" + textwrap.dedent(settings))
    for name, text in (files or {}).items():
        write(root, name, text)
    return root


def lines(text: str) -> list[str]:
    return text.splitlines()


def assert_no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr
    assert "Traceback" not in result.stdout


def real(path: Path) -> str:
    """The path as the CLI sees it: the working directory resolved, as ``os.getcwd()`` gives."""
    return os.path.realpath(path)


# --- files that cannot be analysed ---------------------------------------------------------


def test_syntax_error_is_one_finding_and_other_files_are_still_checked(tmp_path: Path) -> None:
    project(tmp_path, "", {"app.py": SLEEPY_APP, "broken.py": "def handler():\nreturn 1\n"})
    result = run(tmp_path, "check")
    assert_no_traceback(result)
    out = lines(result.stdout)
    assert len(out) == 2
    assert out[0] == SLEEPY_FINDING
    # The parser's own message, at the line and column where it stopped.
    assert re.fullmatch(r"broken\.py:2:1: FLT001 SyntaxError: \S.*", out[1]), out[1]
    assert result.stderr == "Found 2 problems.\n"
    assert result.returncode == 1


def test_undecodable_bytes_are_a_finding_and_the_run_continues(tmp_path: Path) -> None:
    project(tmp_path, "", {"app.py": SLEEPY_APP})
    (tmp_path / "latin.py").write_bytes(b"x = '\xff'\n")
    result = run(tmp_path, "check")
    assert_no_traceback(result)
    out = lines(result.stdout)
    assert out[0] == SLEEPY_FINDING
    assert len(out) == 2
    assert re.fullmatch(r"latin\.py:1:1: FLT001 cannot decode the file\b.*", out[1]), out[1]
    assert result.returncode == 1


def _make_unreadable(path: Path) -> None:
    """Put an unreadable ``.py`` file at ``path``.

    ``chmod 000`` is enough for an ordinary user, but root reads such a file regardless. For
    root the file is instead a symlink to ``/proc/self/mem``: a regular file by ``stat``, whose
    first page (address 0 of the reading process, never mapped) fails to read with EIO. That
    is a real read error from ``read()``, not a file that is missing or skipped.
    """
    if os.geteuid() != 0:
        path.write_text("x = 1\n", encoding="utf-8")
        path.chmod(0)
        return
    mem = Path("/proc/self/mem")
    if not mem.is_file():  # pragma: no cover - root on a system without procfs
        pytest.skip("root, and no /proc/self/mem to make an unreadable file with")
    path.symlink_to(mem)


def test_unreadable_file_is_an_error_and_the_run_continues(tmp_path: Path) -> None:
    project(tmp_path, "", {"app.py": SLEEPY_APP})
    _make_unreadable(tmp_path / "secret.py")
    try:
        result = run(tmp_path, "check")
    finally:
        if not (tmp_path / "secret.py").is_symlink():
            (tmp_path / "secret.py").chmod(0o644)
    assert_no_traceback(result)
    assert lines(result.stdout) == [SLEEPY_FINDING]
    err = lines(result.stderr)
    assert len(err) == 2
    assert re.fullmatch(r"fastlint: error: secret\.py: cannot read: .+", err[0]), err[0]
    assert err[1] == "Found 1 problem."
    assert result.returncode == 2


def test_directory_named_like_a_python_file_is_walked_not_read(tmp_path: Path) -> None:
    project(tmp_path, "", {"app.py": SLEEPY_APP})
    (tmp_path / "odd.py").mkdir()
    result = run(tmp_path, "check", "odd.py", "app.py")
    assert_no_traceback(result)
    assert lines(result.stdout) == [SLEEPY_FINDING]
    assert lines(result.stderr) == [
        "fastlint: warning: no Python files found in odd.py",
        "Found 1 problem.",
    ]
    assert result.returncode == 1


def test_dangling_symlink_in_a_directory_is_skipped(tmp_path: Path) -> None:
    project(tmp_path, "", {"app.py": SLEEPY_APP})
    (tmp_path / "gone.py").symlink_to(tmp_path / "nowhere.py")
    result = run(tmp_path, "check")
    assert lines(result.stdout) == [SLEEPY_FINDING]
    assert result.stderr == "Found 1 problem.\n"
    assert result.returncode == 1


# --- paths ------------------------------------------------------------------------------------


def test_missing_path_is_a_one_line_error(tmp_path: Path) -> None:
    project(tmp_path, "", {"app.py": SLEEPY_APP})
    result = run(tmp_path, "check", "nope.py")
    assert result.stdout == ""
    assert result.stderr == "fastlint: error: nope.py: no such file or directory\n"
    assert result.returncode == 2


def test_missing_path_beside_a_real_one_still_checks_the_real_one(tmp_path: Path) -> None:
    project(tmp_path, "", {"app.py": SLEEPY_APP})
    result = run(tmp_path, "check", "nope", "app.py", "--exit-zero")
    assert lines(result.stdout) == [SLEEPY_FINDING]
    assert lines(result.stderr) == [
        "fastlint: error: nope: no such file or directory",
        "Found 1 problem.",
    ]
    assert result.returncode == 2  # a path that is not there is an error, even with --exit-zero


def test_directory_without_python_files_warns_and_exits_zero(tmp_path: Path) -> None:
    project(tmp_path)
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text("# docs\n", encoding="utf-8")
    result = run(tmp_path, "check", "docs")
    assert result.stdout == ""
    assert result.stderr == "fastlint: warning: no Python files found in docs\n"
    assert result.returncode == 0


# --- exit codes and output options ----------------------------------------------------------


def test_findings_exit_one(tmp_path: Path) -> None:
    project(tmp_path, "", {"app.py": MIXED_APP})
    result = run(tmp_path, "check")
    assert lines(result.stdout) == [
        f"app.py:11:5: FLT101 {SLEEP_MESSAGE}",
        f"app.py:12:5: FLT102 {HTTP_MESSAGE}",
    ]
    assert result.stderr == "Found 2 problems.\n"
    assert result.returncode == 1


def test_exit_zero(tmp_path: Path) -> None:
    project(tmp_path, "", {"app.py": SLEEPY_APP})
    result = run(tmp_path, "check", "--exit-zero")
    assert lines(result.stdout) == [SLEEPY_FINDING]
    assert result.returncode == 0


def test_clean_project_exits_zero(tmp_path: Path) -> None:
    project(tmp_path, "", {"app.py": CLEAN_APP})
    result = run(tmp_path, "check")
    assert result.stdout == ""
    assert result.stderr == "All checks passed!\n"
    assert result.returncode == 0


def test_quiet_prints_findings_only(tmp_path: Path) -> None:
    project(tmp_path, "", {"app.py": SLEEPY_APP})
    result = run(tmp_path, "check", "--quiet")
    assert lines(result.stdout) == [SLEEPY_FINDING]
    assert result.stderr == ""
    assert result.returncode == 1


def test_statistics(tmp_path: Path) -> None:
    project(tmp_path, "", {"app.py": MIXED_APP, "other.py": SLEEPY_APP})
    result = run(tmp_path, "check", "--statistics")
    # count, code, then the name, marked [*] when the rule offers a safe fix
    assert re.fullmatch(
        r"    2\tFLT101\t(\[\*\] )?blocking-sleep-in-async-code\n"
        r"    1\tFLT102\t(\[\*\] )?blocking-http-call-in-async-code\n",
        result.stdout,
    ), result.stdout
    assert result.stderr == ""
    assert result.returncode == 1


def test_output_format_json(tmp_path: Path) -> None:
    project(tmp_path, "", {"app.py": MIXED_APP})
    result = run(tmp_path, "check", "--output-format", "json")
    findings = json.loads(result.stdout)
    assert result.stderr == ""
    assert result.returncode == 1
    keys = {"path", "line", "column", "end_line", "end_column", "code", "name", "message", "fix"}
    assert all(keys <= set(finding) for finding in findings)
    for finding in findings:  # null, or the fix the rule offers
        fix = finding["fix"]
        assert fix is None or (
            set(fix) == {"title", "safety"} and fix["safety"] in ("safe", "unsafe")
        )
    assert [{key: finding[key] for key in sorted(keys - {"fix"})} for finding in findings] == [
        {
            "path": "app.py",
            "line": 11,
            "column": 5,
            "end_line": 11,
            "end_column": 18,
            "code": "FLT101",
            "name": "blocking-sleep-in-async-code",
            "message": SLEEP_MESSAGE,
        },
        {
            "path": "app.py",
            "line": 12,
            "column": 5,
            "end_line": 12,
            "end_column": 40,
            "code": "FLT102",
            "name": "blocking-http-call-in-async-code",
            "message": HTTP_MESSAGE,
        },
    ]


def test_output_format_sarif_is_valid(tmp_path: Path) -> None:
    project(tmp_path, "", {"app.py": MIXED_APP})
    result = run(tmp_path, "check", "--output-format", "sarif")
    assert result.returncode == 1
    log = json.loads(result.stdout)
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    # The schema names its draft in "$schema"; validate with that draft's rules.
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator_class(schema).validate(log)
    results = log["runs"][0]["results"]
    assert [
        (
            r["ruleId"],
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
            r["locations"][0]["physicalLocation"]["region"]["startColumn"],
        )
        for r in results
    ] == [("FLT101", "app.py", 11, 5), ("FLT102", "app.py", 12, 5)]
    assert log["runs"][0]["tool"]["driver"]["version"] == __version__


def test_output_format_github(tmp_path: Path) -> None:
    project(tmp_path, "", {"app.py": MIXED_APP})
    result = run(tmp_path, "check", "--output-format", "github")
    out = lines(result.stdout)
    assert len(out) == 2
    assert all(line.startswith("::error ") for line in out)
    assert out[0].startswith("::error title=fastlint (FLT101),file=app.py,line=11,col=5,")
    assert out[0].endswith(f"::FLT101 {SLEEP_MESSAGE}")
    assert out[1].startswith("::error title=fastlint (FLT102),file=app.py,line=12,col=5,")
    assert result.returncode == 1


# --- noqa -------------------------------------------------------------------------------------


def test_noqa_comments(tmp_path: Path) -> None:
    project(
        tmp_path,
        "",
        {
            "app.py": """\
        import time

        from fastapi import FastAPI

        app = FastAPI()


        @app.get("/")
        async def index() -> None:
            time.sleep(1)  # noqa
            time.sleep(2)  # noqa: FLT101
            time.sleep(3)  # noqa: FLT102
            time.sleep(4)  # noqa:FLT1
            time.sleep(5)  # noqa: FLT102, FLT101
            time.sleep(6)
        """
        },
    )
    result = run(tmp_path, "check")
    # Only the sleep whose noqa names another rule, and the one without a noqa, are reported;
    # and FLT102, which suppresses nothing, as an unused noqa code.
    assert lines(result.stdout) == [
        f"app.py:12:5: FLT101 {SLEEP_MESSAGE}",
        "app.py:12:20: FLT003 Unused `noqa` directive (unused: `FLT102`)",
        "app.py:14:20: FLT003 Unused `noqa` directive (unused: `FLT102`)",
        f"app.py:15:5: FLT101 {SLEEP_MESSAGE}",
    ]
    assert result.returncode == 1


# --- configuration errors ---------------------------------------------------------------------


def test_unknown_key_names_the_key_and_the_file(tmp_path: Path) -> None:
    project(tmp_path, "selct = ['FLT1']\n", {"app.py": SLEEPY_APP})
    result = run(tmp_path, "check")
    assert result.stdout == ""
    pyproject = os.path.join(real(tmp_path), "pyproject.toml")
    assert (
        result.stderr == f"fastlint: error: {pyproject}: unknown key 'selct' in [tool.fastlint]\n"
    )
    assert result.returncode == 2


def test_wrong_type_names_the_key(tmp_path: Path) -> None:
    project(tmp_path, 'select = "FLT1"\n', {"app.py": SLEEPY_APP})
    result = run(tmp_path, "check")
    assert result.stdout == ""
    pyproject = os.path.join(real(tmp_path), "pyproject.toml")
    assert result.stderr == f"fastlint: error: {pyproject}: 'select' must be an array of strings\n"
    assert result.returncode == 2


def test_invalid_toml(tmp_path: Path) -> None:
    project(tmp_path, "", {"app.py": SLEEPY_APP})
    write(tmp_path, "pyproject.toml", "[tool.fastlint\nselect = ['FLT1']\n")
    result = run(tmp_path, "check")
    assert result.stdout == ""
    pyproject = os.path.join(real(tmp_path), "pyproject.toml")
    err = lines(result.stderr)
    assert len(err) == 1
    assert err[0].startswith(f"fastlint: error: {pyproject}: invalid TOML: ")
    assert result.returncode == 2


@pytest.mark.parametrize("option", ["--select", "--ignore"])
def test_bad_code_on_the_command_line(tmp_path: Path, option: str) -> None:
    project(tmp_path, "", {"app.py": SLEEPY_APP})
    result = run(tmp_path, "check", option, "FLT101,E501")
    assert result.stdout == ""
    assert result.stderr == (
        f"fastlint: error: {option}: 'E501' is not a fastlint code or prefix (FLT, FLT1, FLT101)\n"
    )
    assert result.returncode == 2


def test_catalog_entry_with_a_bad_kind(tmp_path: Path) -> None:
    project(
        tmp_path,
        """\
        [[tool.fastlint.catalog.blocking-calls]]
        kind = "teleport"
        calls = ["mylib.fetch"]
        """,
        {"app.py": SLEEPY_APP},
    )
    result = run(tmp_path, "check")
    assert result.stdout == ""
    pyproject = os.path.join(real(tmp_path), "pyproject.toml")
    err = lines(result.stderr)
    assert len(err) == 1
    assert err[0].startswith(
        f"fastlint: error: {pyproject}: blocking-calls[0]: kind must be one of "
    )
    assert "http" in err[0]
    assert result.returncode == 2


def test_missing_config_file(tmp_path: Path) -> None:
    project(tmp_path, "", {"app.py": SLEEPY_APP})
    result = run(tmp_path, "check", "--config", "nope.toml")
    assert result.stdout == ""
    missing = os.path.join(real(tmp_path), "nope.toml")
    assert result.stderr == f"fastlint: error: {missing}: cannot read: No such file or directory\n"
    assert result.returncode == 2


# --- configuration behaviour -------------------------------------------------------------------


def test_select_in_config(tmp_path: Path) -> None:
    project(tmp_path, 'select = ["FLT102"]\n', {"app.py": MIXED_APP})
    result = run(tmp_path, "check")
    assert lines(result.stdout) == [f"app.py:12:5: FLT102 {HTTP_MESSAGE}"]
    assert result.returncode == 1


def test_ignore_in_config(tmp_path: Path) -> None:
    project(tmp_path, 'ignore = ["FLT102"]\n', {"app.py": MIXED_APP})
    result = run(tmp_path, "check")
    assert lines(result.stdout) == [f"app.py:11:5: FLT101 {SLEEP_MESSAGE}"]
    assert result.returncode == 1


def test_extend_select_in_config(tmp_path: Path) -> None:
    project(
        tmp_path,
        'select = ["FLT101"]\nextend-select = ["FLT102"]\n',
        {"app.py": MIXED_APP, "other.py": SLEEPY_APP},
    )
    result = run(tmp_path, "check", "--quiet")
    assert lines(result.stdout) == [
        f"app.py:11:5: FLT101 {SLEEP_MESSAGE}",
        f"app.py:12:5: FLT102 {HTTP_MESSAGE}",
        f"other.py:10:5: FLT101 {SLEEP_MESSAGE}",
    ]


def test_select_ignore_and_extend_select_on_the_command_line(tmp_path: Path) -> None:
    project(tmp_path, "", {"app.py": MIXED_APP})
    assert lines(run(tmp_path, "check", "--select", "FLT102").stdout) == [
        f"app.py:12:5: FLT102 {HTTP_MESSAGE}"
    ]
    assert lines(run(tmp_path, "check", "--ignore", "FLT101").stdout) == [
        f"app.py:12:5: FLT102 {HTTP_MESSAGE}"
    ]
    assert lines(
        run(tmp_path, "check", "--select", "FLT101", "--extend-select", "FLT102").stdout
    ) == [
        f"app.py:11:5: FLT101 {SLEEP_MESSAGE}",
        f"app.py:12:5: FLT102 {HTTP_MESSAGE}",
    ]


def test_select_on_the_command_line_replaces_the_configured_set(tmp_path: Path) -> None:
    # `--select` replaces what the configuration selects and ignores, as ruff's does: asking
    # for a rule by name on the command line reports it.
    project(tmp_path, 'ignore = ["FLT102"]\nextend-select = ["FLT101"]\n', {"app.py": MIXED_APP})
    result = run(tmp_path, "check", "--select", "FLT102")
    assert lines(result.stdout) == [f"app.py:12:5: FLT102 {HTTP_MESSAGE}"]
    assert result.returncode == 1


def test_per_file_ignores(tmp_path: Path) -> None:
    project(
        tmp_path,
        """\
        [tool.fastlint.per-file-ignores]
        "api/*.py" = ["FLT101"]
        """,
        {"api/routes.py": MIXED_APP, "app.py": SLEEPY_APP},
    )
    result = run(tmp_path, "check")
    assert lines(result.stdout) == [
        f"api/routes.py:12:5: FLT102 {HTTP_MESSAGE}",
        SLEEPY_FINDING,
    ]
    assert result.returncode == 1


def test_extend_exclude_unless_passed_explicitly(tmp_path: Path) -> None:
    project(
        tmp_path,
        'extend-exclude = ["generated"]\n',
        {"generated/client.py": SLEEPY_APP, "app.py": SLEEPY_APP},
    )
    result = run(tmp_path, "check")
    assert lines(result.stdout) == [SLEEPY_FINDING]
    result = run(tmp_path, "check", "generated/client.py")
    assert lines(result.stdout) == [f"generated/client.py:10:5: FLT101 {SLEEP_MESSAGE}"]
    assert result.returncode == 1


def test_files_with_the_same_module_name_are_all_checked(tmp_path: Path) -> None:
    # Without __init__.py files both are module `app`; neither may hide the other.
    project(tmp_path, "", {"scripts/app.py": SLEEPY_APP, "app.py": SLEEPY_APP})
    result = run(tmp_path, "check")
    assert lines(result.stdout) == [
        SLEEPY_FINDING,
        f"scripts/app.py:10:5: FLT101 {SLEEP_MESSAGE}",
    ]


def test_default_excludes_and_exclude_replacing_them(tmp_path: Path) -> None:
    project(tmp_path, "", {"build/app.py": SLEEPY_APP, "legacy.py": SLEEPY_APP})
    # `build` is excluded by default.
    assert lines(run(tmp_path, "check").stdout) == [f"legacy.py:10:5: FLT101 {SLEEP_MESSAGE}"]
    # `exclude` replaces the default list.
    project(tmp_path, 'exclude = ["legacy.py"]\n')
    assert lines(run(tmp_path, "check").stdout) == [f"build/app.py:10:5: FLT101 {SLEEP_MESSAGE}"]


def test_config_option_reads_a_standalone_file(tmp_path: Path) -> None:
    project(tmp_path, "", {"app.py": MIXED_APP})
    write(tmp_path, "fastlint.toml", 'select = ["FLT102"]\n')
    result = run(tmp_path, "check", "--config", "fastlint.toml")
    assert lines(result.stdout) == [f"app.py:12:5: FLT102 {HTTP_MESSAGE}"]
    assert result.returncode == 1


def test_config_option_replaces_pyproject_settings(tmp_path: Path) -> None:
    # The pyproject.toml is broken; --config names the file to use instead.
    project(tmp_path, "bogus = 1\n", {"app.py": MIXED_APP})
    write(tmp_path, "ci/lint.toml", '[tool.fastlint]\nignore = ["FLT101"]\n')
    result = run(tmp_path, "check", "--config", "ci/lint.toml")
    assert lines(result.stdout) == [f"app.py:12:5: FLT102 {HTTP_MESSAGE}"]
    assert result.returncode == 1


def test_config_file_elsewhere_still_links_the_whole_project(tmp_path: Path) -> None:
    # The route reaches time.sleep() through a helper in another module; checking only the
    # route must still see the helper, whichever file the settings come from.
    helpers = """\
        import time


        def nap() -> None:
            time.sleep(1)
        """
    routes = """\
        from fastapi import FastAPI

        from pkg.helpers import nap

        app = FastAPI()


        @app.get("/")
        async def index() -> None:
            nap()
        """
    project(
        tmp_path, "", {"pkg/__init__.py": "", "pkg/helpers.py": helpers, "pkg/routes.py": routes}
    )
    write(tmp_path, "ci/lint.toml", "ignore = []\n")
    for extra in ((), ("--config", "ci/lint.toml")):
        result = run(tmp_path, "check", "pkg/routes.py", *extra)
        out = lines(result.stdout)
        assert len(out) == 1, (extra, result.stdout, result.stderr)
        assert out[0].startswith("pkg/routes.py:10:5: FLT101 index() → nap() [pkg/helpers.py:5]")
        assert result.returncode == 1


CATALOG_APP = """\
import mylib
import otherlib
from fastapi import FastAPI
from mylib import fetch

app = FastAPI()


@app.get("/")
async def index() -> None:
    mylib.fetch()
    fetch()
    otherlib.load()


def sync_view() -> None:
    mylib.fetch()
"""


def test_catalog_extension(tmp_path: Path) -> None:
    project(
        tmp_path,
        """\
        [[tool.fastlint.catalog.blocking-calls]]
        kind = "http"
        calls = ["mylib.fetch"]

        [[tool.fastlint.catalog.blocking-calls]]
        calls = ["otherlib.load"]
        instead = "otherlib.aload()"
        """,
        {"app.py": CATALOG_APP},
    )
    result = run(tmp_path, "check")
    http = "blocks the event loop (synchronous HTTP request); use await asyncio.to_thread(...)"
    custom = (
        "blocks the event loop (declared blocking in the project's catalog); use otherlib.aload()"
    )
    assert lines(result.stdout) == [
        f"app.py:11:5: FLT102 mylib.fetch() {http}",
        f"app.py:12:5: FLT102 mylib.fetch() {http}",
        f"app.py:13:5: FLT109 otherlib.load() {custom}",
    ]
    assert result.returncode == 1


def test_rules_lists_every_rule(tmp_path: Path) -> None:
    result = run(tmp_path, "rules")
    rows = [line.split()[:2] for line in lines(result.stdout)]
    assert ["FLT101", "blocking-sleep-in-async-code"] in rows
    assert ["FLT001", "syntax-error"] in rows
    codes = [code for code, _ in rows]
    assert codes == sorted(set(codes))
    assert result.returncode == 0


def test_rule_prints_its_documentation(tmp_path: Path) -> None:
    result = run(tmp_path, "rule", "FLT101")
    assert result.stdout.startswith("## FLT101: blocking-sleep-in-async-code\n")
    assert "### Why is this bad?" in result.stdout
    assert result.returncode == 0


def test_unknown_rule(tmp_path: Path) -> None:
    result = run(tmp_path, "rule", "NOPE")
    assert result.stdout == ""
    assert result.stderr == "fastlint: error: unknown rule 'NOPE'; `fastlint rules` lists them\n"
    assert result.returncode == 2


def test_version(tmp_path: Path) -> None:
    result = run(tmp_path, "--version")
    assert result.stdout == f"fastlint, version {__version__}\n"
    assert result.returncode == 0
