"""Renders rule documentation (``fastlint rule CODE`` and docs/rules.md) from the rules."""

from __future__ import annotations

import inspect

from fastlint.rules import ALL_RULES, Rule

_FAMILIES = {
    "FLT0": "Engine",
    "FLT1": "FLT1xx: event-loop blocking",
    "FLT2": "FLT2xx: process-local state",
    "FLT3": "FLT3xx: per-request connections and clients",
    "FLT4": "FLT4xx: unpaginated list endpoints",
    "FLT5": "FLT5xx: resource bounds and round trips",
}


def _code_block(source: str) -> str:
    return f"```python\n{inspect.cleandoc(source)}\n```"


def render_rule(rule: type[Rule]) -> str:
    parts = [f"## {rule.code}: {rule.name}", "", f"{rule.summary}."]
    fix = {
        "safe": "Fix is always available (safe).",
        "unsafe": "Fix is sometimes available (unsafe).",
    }
    if rule.fix_safety:
        parts += ["", fix[rule.fix_safety]]
    if not rule.enabled_by_default:
        parts += ["", f'Off by default: enable it with `extend-select = ["{rule.code}"]`.']
    body = rule.documentation().replace("\n## ", "\n### ")
    if body.startswith("## "):
        body = "#" + body
    parts += ["", body]
    if rule.invalid:
        parts += ["", "### Example", ""]
        for example in rule.invalid:
            parts += [_code_block(example.code), ""]
            if example.fixed is not None:
                flags = "--fix --unsafe-fixes" if rule.fix_safety == "unsafe" else "--fix"
                parts += [f"After `fastlint check {flags}`:", "", _code_block(example.fixed), ""]
        parts.pop()
    if rule.valid:
        parts += ["", "### Use instead", ""]
        for source in rule.valid:
            parts += [_code_block(source), ""]
        parts.pop()
    return "\n".join(parts)


def render_rules_document() -> str:
    lines = [
        "# fastlint rules",
        "",
        "<!-- Generated from the rule classes by `python -m fastlint.docs`; do not edit. -->",
        "",
        "| Code | Name | Fix | Default |",
        "| --- | --- | --- | --- |",
    ]
    for rule in ALL_RULES:
        default = "on" if rule.enabled_by_default else "off"
        anchor = f"{rule.code.lower()}-{rule.name}"
        fix = rule.fix_safety or ""
        lines.append(f"| [{rule.code}](#{anchor}) | {rule.summary} | {fix} | {default} |")
    family = None
    for rule in ALL_RULES:
        current = _FAMILIES.get(rule.code[:4], rule.code[:4])
        if current != family:
            family = current
            lines += ["", f"# {family}"]
        lines += ["", render_rule(rule)]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    import sys

    sys.stdout.write(render_rules_document())
