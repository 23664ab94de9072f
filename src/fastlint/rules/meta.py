"""FLT003: ``# noqa`` codes that suppress nothing, or name no fastlint rule (as ruff's RUF100)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence

from fastlint.findings import Span
from fastlint.index.summary import ModuleSummary
from fastlint.noqa import FILE_SUPPRESSED, NoqaDirective, noqa_directives
from fastlint.project import ProjectModel
from fastlint.rules.base import Example, RawFinding, Rule
from fastlint.scopes import read_source

UNUSED_NOQA = "FLT003"
# Never called unused: FLT002 is only reported by the flake8 plugin, FLT003 by this check.
_NEVER_UNUSED = ("FLT002", UNUSED_NOQA)


def _verdict(
    code: str,
    directive: NoqaDirective,
    found: Sequence[tuple[int, str]],
    known: Collection[str],
    selected: Collection[str],
) -> str:
    """ "unused", "unknown", or "" when the code is in use or fastlint cannot tell."""
    covered = [rule for rule in known if rule.startswith(code)]
    if not code[3:].isdigit() or not covered:
        return "unknown"
    if any(rule in _NEVER_UNUSED or rule not in selected for rule in covered):
        return ""  # a rule that is not run here might have needed it
    for line, found_code in found:
        if directive.first <= line <= directive.last and found_code.startswith(code):
            return ""
    return "unused"


def _names_fastlint(codes: Iterable[str]) -> bool:
    return any(code.startswith("FLT") for code in codes)


def unused_noqa_findings(
    summaries: Iterable[ModuleSummary],
    findings: Iterable[tuple[str, RawFinding]],
    known: Collection[str],
    selected: Collection[str],
) -> Iterator[RawFinding]:
    """One finding per ``# noqa: FLT...`` comment with codes that suppress none of
    ``findings`` (every selected rule's, before suppressions) or that name no rule."""
    by_path: dict[str, list[tuple[int, str]]] = {}
    for code, raw in findings:
        by_path.setdefault(raw.path, []).append((raw.span.line, code))
    for summary in summaries:
        if not summary.noqa or summary.noqa[0][0] == FILE_SUPPRESSED:
            continue
        if not any(codes and _names_fastlint(codes) for _, codes in summary.noqa):
            continue  # only bare or other tools' directives: no need to tokenize the file
        found = by_path.get(summary.path, [])
        for directive in noqa_directives(read_source(summary.path) or ""):
            if directive.codes is None or not directive.in_comment:
                continue  # a bare noqa comment may be there for any tool
            unused: list[str] = []
            unknown: list[str] = []
            for code in dict.fromkeys(directive.codes):
                if not code.startswith("FLT"):
                    continue  # another tool's code
                verdict = _verdict(code, directive, found, known, selected)
                if verdict == "unused":
                    unused.append(code)
                elif verdict == "unknown":
                    unknown.append(code)
            if not unused and not unknown:
                continue
            parts = []
            if unused:
                parts.append("unused: " + ", ".join(f"`{c}`" for c in unused))
            if unknown:
                parts.append("unknown: " + ", ".join(f"`{c}`" for c in unknown))
            yield RawFinding(
                path=summary.path,
                span=Span(directive.line, directive.column, directive.line, directive.end_column),
                message=f"Unused `noqa` directive ({'; '.join(parts)})",
            )


class UnusedNoqa(Rule):
    """## What it does
    Reports a `# noqa: FLT...` comment whose fastlint codes suppress nothing on its line, or
    that are not fastlint codes at all (`FLT999`), like ruff's `RUF100`.

    Only `FLT` codes are looked at: a bare `# noqa` and other tools' codes (`E501`) are
    left alone, and so is a code of a rule that is not enabled in this run, since fastlint
    cannot tell whether that rule would have reported the line.

    ## Why is this bad?
    A suppression outlives the finding it was written for: the blocking call is moved or
    fixed, and the `# noqa` stays, ready to hide the next real problem on that line. An
    unknown code (a typo, or a rule that was renumbered) suppresses nothing and only looks
    as if it did. Remove the stale codes (keep the comment if other tools still need it).

    ## With flake8
    The plugin reports FLT003 the same way; flake8 then applies its own `# noqa`, so
    `# noqa: FLT101, FLT003` keeps an intended stale code quiet in both front doors.
    """

    code = UNUSED_NOQA
    name = "unused-noqa"
    summary = "A `# noqa` comment names a fastlint code that suppresses nothing, or no rule"
    valid = (
        """
import time

from fastapi import FastAPI

app = FastAPI()

@app.get("/warm-up")
async def warm_up():
    time.sleep(0.01)  # noqa: FLT101
""",
        """
import asyncio

async def poll():
    await asyncio.sleep(1)  # noqa: E501 (another tool's code is left alone)
""",
    )
    invalid = (
        Example(
            """
import asyncio

from fastapi import FastAPI

app = FastAPI()

@app.get("/warm-up")
async def warm_up():
    await asyncio.sleep(0.01)  # noqa: FLT101
"""
        ),
        Example(
            """
import time

from fastapi import FastAPI

app = FastAPI()

@app.get("/warm-up")
async def warm_up():
    time.sleep(0.01)  # noqa: FLT101, FLT999
"""
        ),
    )

    def check(self, project: ProjectModel) -> Iterator[RawFinding]:
        return iter(())  # the engine reports it: it needs every other rule's findings first


META_RULES: tuple[type[Rule], ...] = (UnusedNoqa,)
