"""``[tool.fastlint]`` from pyproject.toml into a frozen :class:`Config`."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Optional

from fastlint.catalog import CatalogError, load_catalog

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on older interpreters only
    import tomli as tomllib

DEFAULT_EXCLUDES = (
    ".git",
    ".hg",
    ".svn",
    ".bzr",
    ".venv",
    "venv",
    ".tox",
    ".nox",
    ".eggs",
    "*.egg-info",
    "__pycache__",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    ".fastlint_cache",
    "build",
    "dist",
    "node_modules",
    "site-packages",
    "__pypackages__",
)


class ConfigError(Exception):
    """The configuration cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class Config:
    root: str  # the project root: what is analysed
    source: Optional[str] = None  # the file the settings came from
    select: tuple[str, ...] = ()  # empty: the rules enabled by default
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    exclude: tuple[str, ...] = DEFAULT_EXCLUDES
    extend_exclude: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    baseline: Optional[str] = None  # absolute path of the baseline file
    catalog: Mapping[str, Any] = field(default_factory=dict, hash=False, compare=False)
    # How to run, from the command line; they never change what is found.
    jobs: Optional[int] = field(default=None, compare=False)  # None: every core
    use_cache: bool = field(default=True, compare=False)

    def with_cli(
        self,
        select: Optional[Sequence[str]] = None,
        ignore: Sequence[str] = (),
        extend_select: Sequence[str] = (),
    ) -> Config:
        """These settings with the command line's on top. ``--select`` replaces the configured
        set, so the configuration's ``ignore`` and ``extend-select`` no longer apply: a rule
        named on the command line is reported, as with ruff."""
        if select:
            return replace(
                self, select=tuple(select), ignore=tuple(ignore), extend_select=tuple(extend_select)
            )
        return replace(
            self,
            ignore=(*self.ignore, *ignore),
            extend_select=(*self.extend_select, *extend_select),
        )


def _string_list(value: Any, key: str, origin: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{origin}: '{key}' must be an array of strings")
    return tuple(value)


def _codes(value: Any, key: str, origin: str) -> tuple[str, ...]:
    codes = _string_list(value, key, origin)
    for code in codes:
        if not code.startswith("FLT") or not (code == "FLT" or code[3:].isdigit()):
            raise ConfigError(
                f"{origin}: '{key}' has {code!r}, which is not a fastlint code or prefix"
                " (FLT, FLT1, FLT101)"
            )
    return codes


def parse_settings(
    table: Mapping[str, Any], origin: str, root: str, source: Optional[str]
) -> Config:
    """Validate a ``[tool.fastlint]`` table; unknown keys and wrong types are errors."""
    config = Config(root=root, source=source)
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key in ("select", "ignore", "extend-select"):
            values[key.replace("-", "_")] = _codes(value, key, origin)
        elif key in ("exclude", "extend-exclude"):
            values[key.replace("-", "_")] = _string_list(value, key, origin)
        elif key == "per-file-ignores":
            if not isinstance(value, dict):
                raise ConfigError(
                    f"{origin}: 'per-file-ignores' must be a table of pattern = [codes]"
                )
            values["per_file_ignores"] = tuple(
                (pattern, _codes(codes, f"per-file-ignores.{pattern}", origin))
                for pattern, codes in value.items()
            )
        elif key == "baseline":
            if not isinstance(value, str) or not value.strip():
                raise ConfigError(f"{origin}: 'baseline' must be a file path (a string)")
            # Relative to the folder of the file that names it, as in ruff.
            folder = os.path.dirname(source) if source else root
            values["baseline"] = os.path.normpath(os.path.join(folder, value))
        elif key == "catalog":
            if not isinstance(value, dict):
                raise ConfigError(f"{origin}: 'catalog' must be a table")
            try:
                load_catalog(value, origin)
            except CatalogError as error:
                message = str(error)
                if not message.startswith(f"{origin}: "):  # e.g. a bad pattern: name the file
                    message = f"{origin}: catalog: {message}"
                raise ConfigError(message) from None
            values["catalog"] = value
        else:
            raise ConfigError(f"{origin}: unknown key '{key}' in [tool.fastlint]")
    return replace(config, **values)


def _read_toml(path: str) -> dict[str, Any]:
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror or error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: {error}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: invalid TOML: not UTF-8") from None


def _fastlint_table(data: Mapping[str, Any], path: str) -> Optional[Mapping[str, Any]]:
    tool = data.get("tool")
    if not isinstance(tool, dict) or "fastlint" not in tool:
        return None
    table = tool["fastlint"]
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.fastlint] must be a table")
    return table


def find_git_root(start: str) -> Optional[str]:
    current = start
    while True:
        if os.path.exists(os.path.join(current, ".git")):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent


def _nearest_settings(
    start: str, *, strict: bool = True
) -> Optional[tuple[str, Mapping[str, Any]]]:
    """The nearest pyproject.toml above ``start`` with a ``[tool.fastlint]`` table, and the table.

    Unless ``strict``, a pyproject.toml that cannot be read or parsed is passed over.
    """
    current = start
    while True:
        candidate = os.path.join(current, "pyproject.toml")
        if os.path.isfile(candidate):
            try:
                table = _fastlint_table(_read_toml(candidate), candidate)
            except ConfigError:
                if strict:
                    raise
                table = None
            if table is not None:
                return candidate, table
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent


def _is_within(path: str, directory: str) -> bool:
    try:
        return os.path.commonpath([path, directory]) == directory
    except ValueError:  # different drives
        return False


def load_config(paths: Sequence[str], config_file: Optional[str] = None) -> Config:
    """Settings for a run over ``paths``: from ``config_file``, or the nearest
    pyproject.toml with a ``[tool.fastlint]`` table above the first path.

    The project root is the folder of that pyproject.toml, else the git root, else the first
    path. A ``config_file`` whose folder holds the first path is the root too; one kept
    elsewhere (``ci/lint.toml``) leaves the root where it would be without it.
    """
    start = os.path.abspath(paths[0] if paths else ".")
    if not os.path.isdir(start):
        start = os.path.dirname(start)
    if config_file is not None:
        path = os.path.abspath(config_file)
        data = _read_toml(path)
        table = _fastlint_table(data, path)
        if table is None:
            # A standalone fastlint.toml holds the settings at the top level; a pyproject.toml
            # without [tool.fastlint] holds none.
            table = {} if os.path.basename(path) == "pyproject.toml" else data
        root = os.path.dirname(path)
        if not _is_within(start, root):
            nearest = _nearest_settings(start, strict=False)
            root = os.path.dirname(nearest[0]) if nearest else find_git_root(start) or start
        return parse_settings(table, path, root, path)
    nearest = _nearest_settings(start)
    if nearest is not None:
        candidate, table = nearest
        return parse_settings(table, candidate, os.path.dirname(candidate), candidate)
    return Config(root=find_git_root(start) or start)
