"""The statistics table: how many findings each rule produced."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import click

from fastlint.findings import Finding, RuleMeta


def render_statistics(
    findings: Sequence[Finding], *, rules: Sequence[RuleMeta], color: bool = False
) -> str:
    """``count<TAB>code<TAB>name`` lines, most frequent first, then by code.

    Rules that offer a safe fix get a ``[*]`` marker before their name.
    """
    counts = Counter(finding.code for finding in findings)
    names: dict[str, str] = {}
    for finding in findings:
        names.setdefault(finding.code, finding.name)
    safe = set()
    for rule in rules:
        names[rule.code] = rule.name
        if rule.fix_safety == "safe":
            safe.add(rule.code)

    lines = []
    for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        shown_count = f"{count:>5}"
        shown_code = code
        if color:
            shown_count = click.style(shown_count, bold=True)
            shown_code = click.style(code, fg="red", bold=True)
        marker = "[*] " if code in safe else ""
        lines.append(f"{shown_count}\t{shown_code}\t{marker}{names[code]}\n")
    return "".join(lines)
