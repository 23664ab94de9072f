"""Output formats: exact text for the human formats, structure and schema for the others."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from fastlint.findings import ChainStep, Finding, Fix, RuleMeta, Span
from fastlint.report import OUTPUT_FORMATS, render, render_statistics

SARIF_SCHEMA = Path(__file__).parent / "schemas" / "sarif-schema-2.1.0.json"

SOURCES: dict[str, list[str]] = {
    "app/main.py": [
        "import time",
        "",
        "async def handler():",
        "    time.sleep(1)",
    ],
    "app/routes.py": [
        "from app.auth import authenticate_user",
        "",
        '@app.post("/login")',
        "async def login(form):",
        "    user = authenticate_user(form)",
        "    return await build_response(",
        "        user,",
        "    )",
    ],
    "app/tabs.py": [
        "async def handler():",
        "\ttime.sleep(1)",
    ],
}

RULES = [
    RuleMeta("FLT001", "syntax-error", "The file cannot be parsed."),
    RuleMeta(
        "FLT101",
        "blocking-sleep-in-async-code",
        "A blocking sleep inside async code stalls the event loop.",
        fix_safety="safe",
    ),
    RuleMeta(
        "FLT102",
        "blocking-call-in-async-route",
        "An async route reaches blocking work through its calls.",
        fix_safety="unsafe",
    ),
    RuleMeta("FLT201", "shared-mutable-state", "Module state is mutated by request handlers."),
]

SLEEP = Finding(
    path="app/main.py",
    span=Span(4, 4, 4, 17),
    code="FLT101",
    name="blocking-sleep-in-async-code",
    message="`time.sleep()` blocks the event loop",
    fix=Fix("Replace with `await asyncio.sleep()`", "safe"),
)

CHAINED = Finding(
    path="app/routes.py",
    span=Span(5, 11, 5, 34),
    code="FLT102",
    name="blocking-call-in-async-route",
    message="`login()` reaches `CryptContext.verify()`, which blocks",
    chain=(
        ChainStep("login()", "app/routes.py", 4, 0),
        ChainStep("authenticate_user()", "app/auth.py", 12, 4),
        ChainStep("CryptContext.verify()", "app/auth.py", 15, 11),
    ),
    fix=Fix("Run it in a worker thread", "unsafe"),
)

MUTATED = Finding(
    path="app/routes.py",
    span=Span(6, 17, 8, 5),
    code="FLT201",
    name="shared-mutable-state",
    message="`CACHE` is mutated by request handlers",
    related=(
        ChainStep("CACHE.append()", "app/cache.py", 9, 4),
        ChainStep("CACHE.clear()", "app/admin.py", 21, 8),
    ),
)

UNREADABLE = Finding(
    path="gone.py",
    span=Span(1, 0, 1, 1),
    code="FLT001",
    name="syntax-error",
    message="Cannot parse: unexpected indent",
)


def source_lines(path: str) -> Sequence[str] | None:
    return SOURCES.get(path)


def run(findings: Sequence[Finding], output_format: str, *, color: bool = False) -> str:
    return render(
        findings,
        output_format,
        rules=RULES,
        source_lines=source_lines,
        color=color,
        tool_version="0.1.0",
    )


# concise


def test_concise() -> None:
    assert run([SLEEP, CHAINED], "concise") == (
        "app/main.py:4:5: FLT101 `time.sleep()` blocks the event loop\n"
        "app/routes.py:5:12: FLT102 `login()` reaches `CryptContext.verify()`, which blocks\n"
    )


def test_concise_color() -> None:
    assert run([SLEEP], "concise", color=True) == (
        "\x1b[1mapp/main.py\x1b[0m:4:5: \x1b[31m\x1b[1mFLT101\x1b[0m"
        " `time.sleep()` blocks the event loop\n"
    )


@pytest.mark.parametrize("output_format", ["concise", "full", "github"])
def test_no_findings_is_empty(output_format: str) -> None:
    assert run([], output_format) == ""


# full


def test_full_without_chain() -> None:
    assert run([SLEEP], "full") == (
        "app/main.py:4:5: FLT101 `time.sleep()` blocks the event loop\n"
        "  |\n"
        "4 |     time.sleep(1)\n"
        "  |     ^^^^^^^^^^^^^\n"
        "  |\n"
        "  = fix (safe): Replace with `await asyncio.sleep()`\n"
    )


def test_full_with_chain_related_and_blank_line_between() -> None:
    assert run([CHAINED, MUTATED], "full") == (
        "app/routes.py:5:12: FLT102 `login()` reaches `CryptContext.verify()`, which blocks\n"
        "  |\n"
        "5 |     user = authenticate_user(form)\n"
        "  |            ^^^^^^^^^^^^^^^^^^^^^^^\n"
        "  |\n"
        "  = chain: login() [app/routes.py:4] → authenticate_user() [app/auth.py:12]"
        " → CryptContext.verify() [app/auth.py:15]\n"
        "  = fix (unsafe): Run it in a worker thread\n"
        "\n"
        "app/routes.py:6:18: FLT201 `CACHE` is mutated by request handlers\n"
        "  |\n"
        "6 |     return await build_response(\n"
        "  |                  ^^^^^^^^^^^^^^^\n"
        "  |\n"
        "  = also: CACHE.append() [app/cache.py:9], CACHE.clear() [app/admin.py:21]\n"
    )


def test_full_without_source_shows_header_only() -> None:
    assert run([UNREADABLE], "full") == ("gone.py:1:1: FLT001 Cannot parse: unexpected indent\n")


def test_full_wide_gutter_and_tabs() -> None:
    long_file = ["x = 1"] * 11 + ["CACHE = []"]
    tabbed = Finding("app/tabs.py", Span(2, 1, 2, 11), "FLT101", "n", "m")
    wide = Finding("long.py", Span(12, 0, 12, 5), "FLT201", "n", "m")

    def lines(path: str) -> Sequence[str] | None:
        return long_file if path == "long.py" else SOURCES.get(path)

    text = render([tabbed, wide], "full", rules=RULES, source_lines=lines, tool_version="0.1.0")
    assert text == (
        "app/tabs.py:2:2: FLT101 m\n"
        "  |\n"
        "2 |     time.sleep(1)\n"
        "  |     ^^^^^^^^^^\n"
        "  |\n"
        "\n"
        "long.py:12:1: FLT201 m\n"
        "   |\n"
        "12 | CACHE = []\n"
        "   | ^^^^^\n"
        "   |\n"
    )


def test_full_color_only_when_asked() -> None:
    assert "\x1b[" not in run([CHAINED, MUTATED], "full")
    colored = run([CHAINED], "full", color=True)
    assert "\x1b[31m\x1b[1m" + "^" * 23 + "\x1b[0m" in colored


# json


def test_json() -> None:
    assert json.loads(run([SLEEP, CHAINED, MUTATED], "json")) == [
        {
            "path": "app/main.py",
            "line": 4,
            "column": 5,
            "end_line": 4,
            "end_column": 18,
            "code": "FLT101",
            "name": "blocking-sleep-in-async-code",
            "message": "`time.sleep()` blocks the event loop",
            "fix": {"title": "Replace with `await asyncio.sleep()`", "safety": "safe"},
            "chain": [],
            "related": [],
        },
        {
            "path": "app/routes.py",
            "line": 5,
            "column": 12,
            "end_line": 5,
            "end_column": 35,
            "code": "FLT102",
            "name": "blocking-call-in-async-route",
            "message": "`login()` reaches `CryptContext.verify()`, which blocks",
            "fix": {"title": "Run it in a worker thread", "safety": "unsafe"},
            "chain": [
                {"label": "login()", "path": "app/routes.py", "line": 4, "column": 1},
                {"label": "authenticate_user()", "path": "app/auth.py", "line": 12, "column": 5},
                {"label": "CryptContext.verify()", "path": "app/auth.py", "line": 15, "column": 12},
            ],
            "related": [],
        },
        {
            "path": "app/routes.py",
            "line": 6,
            "column": 18,
            "end_line": 8,
            "end_column": 6,
            "code": "FLT201",
            "name": "shared-mutable-state",
            "message": "`CACHE` is mutated by request handlers",
            "fix": None,
            "chain": [],
            "related": [
                {"label": "CACHE.append()", "path": "app/cache.py", "line": 9, "column": 5},
                {"label": "CACHE.clear()", "path": "app/admin.py", "line": 21, "column": 9},
            ],
        },
    ]


def test_json_key_order_and_layout() -> None:
    text = run([SLEEP], "json")
    assert text.endswith("}\n]\n")
    assert text.startswith('[\n  {\n    "path": "app/main.py",\n')
    assert list(json.loads(text)[0]) == [
        "path",
        "line",
        "column",
        "end_line",
        "end_column",
        "code",
        "name",
        "message",
        "fix",
        "chain",
        "related",
    ]


def test_json_empty() -> None:
    assert run([], "json") == "[]\n"


# github


def test_github() -> None:
    assert run([SLEEP, MUTATED], "github") == (
        "::error title=fastlint (FLT101),file=app/main.py,line=4,col=5,endLine=4,endColumn=18"
        "::FLT101 `time.sleep()` blocks the event loop\n"
        "::error title=fastlint (FLT201),file=app/routes.py,line=6,col=18,endLine=8,endColumn=6"
        "::FLT201 `CACHE` is mutated by request handlers\n"
    )


def test_github_escaping() -> None:
    odd = Finding(
        path="src/we,ird:name%.py",
        span=Span(1, 0, 1, 3),
        code="FLT101",
        name="blocking-sleep-in-async-code",
        message="bad: 100%\nnext, line\r",
    )
    assert run([odd], "github") == (
        "::error title=fastlint (FLT101),file=src/we%2Cird%3Aname%25.py,"
        "line=1,col=1,endLine=1,endColumn=4::FLT101 bad: 100%25%0Anext, line%0D\n"
    )


# statistics


def test_statistics() -> None:
    findings = [SLEEP, UNREADABLE, SLEEP, CHAINED, SLEEP]
    assert render_statistics(findings, rules=RULES) == (
        "    3\tFLT101\t[*] blocking-sleep-in-async-code\n"
        "    1\tFLT001\tsyntax-error\n"
        "    1\tFLT102\tblocking-call-in-async-route\n"
    )


def test_statistics_unknown_rule_uses_finding_name_and_empty() -> None:
    stray = Finding("a.py", Span(1, 0, 1, 1), "FLT999", "stray-rule", "m")
    assert render_statistics([stray], rules=RULES) == "    1\tFLT999\tstray-rule\n"
    assert render_statistics([], rules=RULES) == ""


# sarif


def sarif_validator() -> Any:
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    # The vendored schema declares its own draft; validate with that draft's rules.
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def assert_valid_sarif(log: Any) -> None:
    errors = sorted(sarif_validator().iter_errors(log), key=lambda error: list(error.path))
    messages = [f"{'/'.join(map(str, error.path))}: {error.message}" for error in errors]
    assert messages == []


def test_sarif_is_valid_against_schema() -> None:
    text = run([SLEEP, CHAINED, MUTATED, UNREADABLE], "sarif")
    assert text.endswith("}\n")
    assert_valid_sarif(json.loads(text))


def test_sarif_empty_is_a_valid_log() -> None:
    log = json.loads(run([], "sarif"))
    assert_valid_sarif(log)
    assert log["runs"][0]["results"] == []
    assert len(log["runs"][0]["tool"]["driver"]["rules"]) == len(RULES)


def test_sarif_schema_check_catches_invalid_output() -> None:
    log = json.loads(run([SLEEP], "sarif"))
    del log["runs"][0]["results"][0]["fixes"][0]["artifactChanges"]
    with pytest.raises(jsonschema.ValidationError):
        sarif_validator().validate(log)


def test_sarif_content() -> None:
    log = json.loads(run([SLEEP, CHAINED, MUTATED, UNREADABLE], "sarif"))
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert log["version"] == "2.1.0"
    (sarif_run,) = log["runs"]
    driver = sarif_run["tool"]["driver"]
    assert driver["name"] == "fastlint"
    assert driver["version"] == "0.1.0"
    assert driver["informationUri"] == "https://github.com/fastlint/fastlint"
    assert driver["rules"][1] == {
        "id": "FLT101",
        "name": "blocking-sleep-in-async-code",
        "shortDescription": {"text": "A blocking sleep inside async code stalls the event loop."},
        "helpUri": "https://github.com/fastlint/fastlint/blob/main/docs/rules.md#flt101",
        "defaultConfiguration": {"level": "warning"},
    }
    assert driver["rules"][0]["defaultConfiguration"] == {"level": "error"}

    sleep, chained, mutated, unreadable = sarif_run["results"]
    assert sleep["ruleId"] == "FLT101"
    assert sleep["ruleIndex"] == 1
    assert sleep["level"] == "warning"
    assert sleep["message"] == {"text": "`time.sleep()` blocks the event loop"}
    assert sleep["locations"] == [
        {
            "physicalLocation": {
                "artifactLocation": {"uri": "app/main.py", "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": 4, "startColumn": 5, "endLine": 4, "endColumn": 18},
            }
        }
    ]
    assert sleep["fixes"] == [
        {
            "description": {"text": "Replace with `await asyncio.sleep()` (safe)"},
            "artifactChanges": [
                {
                    "artifactLocation": {"uri": "app/main.py", "uriBaseId": "%SRCROOT%"},
                    "replacements": [
                        {
                            "deletedRegion": {
                                "startLine": 4,
                                "startColumn": 5,
                                "endLine": 4,
                                "endColumn": 5,
                            }
                        }
                    ],
                }
            ],
        }
    ]
    assert "codeFlows" not in sleep
    assert "relatedLocations" not in sleep

    (code_flow,) = chained["codeFlows"]
    (thread_flow,) = code_flow["threadFlows"]
    assert [step["location"]["message"]["text"] for step in thread_flow["locations"]] == [
        "login()",
        "authenticate_user()",
        "CryptContext.verify()",
    ]
    assert thread_flow["locations"][1]["location"]["physicalLocation"] == {
        "artifactLocation": {"uri": "app/auth.py", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 12, "startColumn": 5},
    }

    assert mutated["relatedLocations"] == [
        {
            "id": 0,
            "physicalLocation": {
                "artifactLocation": {"uri": "app/cache.py", "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": 9, "startColumn": 5},
            },
            "message": {"text": "CACHE.append()"},
        },
        {
            "id": 1,
            "physicalLocation": {
                "artifactLocation": {"uri": "app/admin.py", "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": 21, "startColumn": 9},
            },
            "message": {"text": "CACHE.clear()"},
        },
    ]
    assert "fixes" not in mutated

    assert unreadable["level"] == "error"
    assert unreadable["ruleIndex"] == 0


def test_sarif_paths_become_uris() -> None:
    findings = [
        Finding(path, Span(1, 0, 1, 1), "FLT999", "stray-rule", "m")
        for path in ("src\\pkg\\mod.py", "my app/main.py", "/abs/main.py")
    ]
    log = json.loads(run(findings, "sarif"))
    assert_valid_sarif(log)
    locations = [
        result["locations"][0]["physicalLocation"]["artifactLocation"]
        for result in log["runs"][0]["results"]
    ]
    assert locations == [
        {"uri": "src/pkg/mod.py", "uriBaseId": "%SRCROOT%"},
        {"uri": "my%20app/main.py", "uriBaseId": "%SRCROOT%"},
        {"uri": "file:///abs/main.py"},
    ]
    # A code missing from the rule table still gets a result, without a rule index.
    assert "ruleIndex" not in log["runs"][0]["results"][0]


def test_unknown_format() -> None:
    assert OUTPUT_FORMATS == ("concise", "full", "json", "sarif", "github")
    with pytest.raises(ValueError, match="unknown output format 'xml'"):
        run([SLEEP], "xml")


def test_sarif_levels() -> None:
    from fastlint.report.sarif import level_for

    # An unpaginated child collection is a judgement call: a note, not a warning.
    assert [level_for(code) for code in ("FLT001", "FLT101", "FLT401", "FLT402")] == [
        "error",
        "warning",
        "warning",
        "note",
    ]
