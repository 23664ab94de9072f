"""The baseline: the findings a project has accepted for now, so only new ones are reported.

A finding is identified by its rule, its file (from the project root) and a fingerprint of
the code involved: the reported line with its whitespace normalised and the function (or
class) around it. Line numbers play no part, so an edit elsewhere in the file that moves the
line keeps it matched. Identical findings in one function are counted: a baseline holding
two lets two through, and a third is new.

The file is JSON, sorted and indented, one entry per line of code, so that a rewrite after
fixing findings shows up in review as removed entries only.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fastlint.config import ConfigError
from fastlint.scopes import Scope, innermost, read_source, scopes_of

BASELINE_VERSION = 1
_ABOUT = (
    "Findings fastlint accepts for now. Written by `fastlint check --write-baseline FILE`; "
    "write it again to drop the findings that were fixed."
)
_SHOWN_SOURCE = 120  # characters of the reported line kept for readers of the file

# (code, absolute path, line) of a finding, as both front doors can give it
Located = tuple[str, str, int]
_Key = tuple[str, str, str]  # (code, path from the root, fingerprint)


class BaselineError(ConfigError):
    """The baseline file cannot be read or written; the message names it."""


@dataclass(frozen=True)
class BaselineEntry:
    code: str
    path: str  # from the project root, with ``/``
    scope: str  # the function or class around the line (``Service.get``), "" at module level
    source: str  # the reported line, whitespace-normalised, for people reading the file
    fingerprint: str
    count: int = 1

    @property
    def key(self) -> _Key:
        return (self.code, self.path, self.fingerprint)


def _relative(path: str, root: str) -> str:
    try:
        relative = os.path.relpath(path, root)
    except ValueError:  # another drive
        relative = path
    return relative.replace(os.sep, "/")


def _fingerprint(code: str, path: str, scope: str, text: str) -> str:
    data = "\0".join((code, path, scope, text)).encode("utf-8", errors="replace")
    return hashlib.sha256(data).hexdigest()[:16]


class _Sources:
    """Each file's lines and scopes, read once and only when a finding needs them."""

    def __init__(self) -> None:
        self._lines: dict[str, list[str]] = {}
        self._scopes: dict[str, list[Scope]] = {}
        self._text: dict[str, str] = {}

    def line(self, path: str, number: int) -> str:
        lines = self._lines.get(path)
        if lines is None:
            self._text[path] = read_source(path) or ""
            lines = self._lines[path] = self._text[path].splitlines()
        return lines[number - 1] if 0 < number <= len(lines) else ""

    def scope(self, path: str, number: int) -> str:
        scopes = self._scopes.get(path)
        if scopes is None:
            self.line(path, number)
            scopes = self._scopes[path] = scopes_of(self._text[path])
        found = innermost(scopes, number)
        return found.qualname if found is not None else ""


def fingerprint_findings(findings: Sequence[Located], root: str) -> list[BaselineEntry]:
    """One entry (count 1) per finding, in the order given."""
    sources = _Sources()
    out = []
    for code, path, line in findings:
        relative = _relative(path, root)
        text = " ".join(sources.line(path, line).split())
        scope = sources.scope(path, line)
        shown = text if len(text) <= _SHOWN_SOURCE else text[: _SHOWN_SOURCE - 3] + "..."
        out.append(
            BaselineEntry(code, relative, scope, shown, _fingerprint(code, relative, scope, text))
        )
    return out


@dataclass(frozen=True)
class BaselineMatch:
    """What a baseline lets through of a run's findings."""

    new: tuple[int, ...]  # indices of the findings the baseline does not hold
    hidden: int  # findings the baseline holds
    unmatched: tuple[BaselineEntry, ...] = ()  # entries (count: how many) no finding used


@dataclass(frozen=True)
class Baseline:
    path: str
    entries: tuple[BaselineEntry, ...] = ()
    _counts: Mapping[_Key, int] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_entries(cls, path: str, entries: Sequence[BaselineEntry]) -> Baseline:
        counts: dict[_Key, int] = {}
        for entry in entries:
            counts[entry.key] = counts.get(entry.key, 0) + entry.count
        return cls(path, tuple(entries), counts)

    @classmethod
    def load(cls, path: str) -> Baseline:
        shown = _display(path)
        try:
            with open(path, encoding="utf-8") as handle:
                data = json.load(handle)
        except FileNotFoundError:
            raise BaselineError(
                f"{shown}: no such baseline file; write one with "
                f"`fastlint check --write-baseline {shown}`"
            ) from None
        except OSError as error:
            raise BaselineError(f"{shown}: cannot read: {error.strerror or error}") from None
        except (ValueError, UnicodeDecodeError) as error:
            raise BaselineError(
                f"{shown}: not a fastlint baseline (invalid JSON: {error})"
            ) from None
        return cls.from_entries(path, _parse(data, shown))

    def match(self, findings: Sequence[Located], root: str) -> BaselineMatch:
        """Which findings are new. Of identical findings, the first ones (by line) are the
        ones the baseline holds."""
        entries = fingerprint_findings(findings, root)
        order = sorted(range(len(findings)), key=lambda i: (findings[i][1], findings[i][2]))
        left = dict(self._counts)
        new: list[int] = []
        for index in order:
            key = entries[index].key
            if left.get(key, 0) > 0:
                left[key] -= 1
            else:
                new.append(index)
        unmatched = tuple(
            BaselineEntry(e.code, e.path, e.scope, e.source, e.fingerprint, left[e.key])
            for e in self.entries
            if left.get(e.key, 0) > 0
        )
        return BaselineMatch(tuple(sorted(new)), len(findings) - len(new), unmatched)


def _parse(data: Any, shown: str) -> list[BaselineEntry]:
    problem = f"{shown}: not a fastlint baseline"
    if not isinstance(data, dict) or not isinstance(data.get("findings"), list):
        raise BaselineError(f'{problem} (no "findings" list)')
    version = data.get("version")
    if version != BASELINE_VERSION:
        raise BaselineError(
            f"{problem} of a version this fastlint reads (version {version!r}, "
            f"expected {BASELINE_VERSION}); write it again with --write-baseline"
        )
    out = []
    for number, item in enumerate(data["findings"], start=1):
        if not isinstance(item, dict):
            raise BaselineError(f"{problem} (entry {number} is not an object)")
        values = {}
        for name in ("code", "path", "fingerprint"):
            if not isinstance(item.get(name), str) or not item[name]:
                raise BaselineError(f"{problem} (entry {number} has no {name!r})")
            values[name] = item[name]
        count = item.get("count", 1)
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            raise BaselineError(f"{problem} (entry {number}: 'count' must be a positive integer)")
        out.append(
            BaselineEntry(
                code=values["code"],
                path=values["path"],
                scope=str(item.get("scope", "")),
                source=str(item.get("source", "")),
                fingerprint=values["fingerprint"],
                count=count,
            )
        )
    return out


def _display(path: str) -> str:
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return path
    return path if relative.startswith(os.pardir) else relative


def render_baseline(findings: Sequence[Located], root: str) -> str:
    """The baseline file holding ``findings``: sorted, one entry per identical finding."""
    merged: dict[_Key, BaselineEntry] = {}
    for entry in fingerprint_findings(findings, root):
        before = merged.get(entry.key)
        merged[entry.key] = (
            entry
            if before is None
            else BaselineEntry(
                entry.code,
                entry.path,
                entry.scope,
                entry.source,
                entry.fingerprint,
                before.count + 1,
            )
        )
    ordered = sorted(
        merged.values(), key=lambda e: (e.path, e.scope, e.code, e.source, e.fingerprint)
    )
    document = {
        "about": _ABOUT,
        "version": BASELINE_VERSION,
        "findings": [
            {
                "code": e.code,
                "path": e.path,
                "scope": e.scope,
                "source": e.source,
                "fingerprint": e.fingerprint,
                "count": e.count,
            }
            for e in ordered
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def write_baseline(path: str, findings: Sequence[Located], root: str) -> None:
    """Write the baseline atomically: a reader never sees half a file."""
    text = render_baseline(findings, root)
    directory = os.path.dirname(os.path.abspath(path))
    try:
        descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=".fastlint-", suffix=".tmp")
    except OSError as error:
        raise BaselineError(f"{_display(path)}: cannot write: {error.strerror or error}") from None
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        if os.path.exists(path):
            os.chmod(temporary, os.stat(path).st_mode & 0o7777)
        else:  # as open() would have made it, not mkstemp's owner-only mode
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    except OSError as error:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise BaselineError(f"{_display(path)}: cannot write: {error.strerror or error}") from None


def baseline_in_scope(entry: BaselineEntry, root: str, targets: Sequence[str]) -> bool:
    """Whether ``entry``'s file is among the paths a run was given."""
    path = os.path.normpath(os.path.join(root, entry.path))
    for target in targets:
        target = os.path.abspath(target)
        if path == target or path.startswith(target.rstrip(os.sep) + os.sep):
            return True
    return False
