"""Which files a run looks at: the given paths, less the usual non-source folders and excludes."""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

from fastlint.config import Config


@dataclass(frozen=True)
class Discovery:
    files: tuple[str, ...]  # absolute paths, sorted
    missing: tuple[str, ...]  # given paths that do not exist
    empty: tuple[str, ...]  # given directories with no Python file


def _relative(path: str, root: str) -> str:
    prefix = os.path.join(root, "")
    if path.startswith(prefix):  # the usual case, without relpath's normalisation
        return path[len(prefix) :].replace(os.sep, "/")
    try:
        return os.path.relpath(path, root).replace(os.sep, "/")
    except ValueError:
        return path.replace(os.sep, "/")


@lru_cache(maxsize=16)
def _exclusions(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """One regex for names and one for relative paths, matching what any pattern matches:
    tested for every folder and file, so compiled once."""
    cleaned = []
    for pattern in patterns:
        pattern = pattern.rstrip("/")
        if pattern.startswith("./"):  # written relative to the root: the same as without
            pattern = pattern[2:]
        cleaned.append(pattern)
    globs = [f"(?:{fnmatch.translate(p)})" for p in cleaned]
    # A pattern naming a folder also excludes everything below it.
    below = [f"(?:{re.escape(p)}(?:/.*)?\\Z)" for p in cleaned]
    never = "(?!)"
    return (
        re.compile("|".join(globs) or never, re.DOTALL),
        re.compile("|".join(globs + below) or never, re.DOTALL),
    )


def is_excluded(path: str, config: Config) -> bool:
    """Whether a path matches an exclude pattern, by name or by path from the project root."""
    by_name, by_path = _exclusions((*config.exclude, *config.extend_exclude))
    if by_name.match(os.path.basename(path)):
        return True
    return by_path.match(_relative(path, config.root)) is not None


def _walk(directory: str, config: Config) -> Iterator[str]:
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        path = entry.path
        try:
            if entry.is_dir(follow_symlinks=False):
                if is_excluded(path, config) or os.path.exists(os.path.join(path, "pyvenv.cfg")):
                    continue
                yield from _walk(path, config)
            elif entry.name.endswith(".py") and entry.is_file() and not is_excluded(path, config):
                yield path
        except OSError:
            continue


def discover(paths: Sequence[str], config: Config) -> Discovery:
    """Python files under ``paths``. A file named explicitly is always included."""
    files: set[str] = set()
    missing: list[str] = []
    empty: list[str] = []
    for given in paths:
        path = os.path.abspath(given)
        if os.path.isdir(path):
            found = list(_walk(path, config))
            if not found:
                empty.append(given)
            files.update(found)
        elif os.path.isfile(path):
            files.add(path)
        else:
            missing.append(given)
    return Discovery(tuple(sorted(files)), tuple(missing), tuple(empty))
