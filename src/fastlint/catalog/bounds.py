"""Catalog knowledge of queries, pagination and outbound calls (FLT4xx and FLT5xx)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Optional

from fastlint.catalog import CatalogError, _PatternSet, expand_braces
from fastlint.index.symbols import split_symbol

# Catalog tables read here, each with the keys it may hold.
PAGINATION_KEYS = ("parameters", "limit-keywords", "helpers")
QUERY_KEYS = (
    "statements",
    "queries",
    "model-bases",
    "model-query-methods",
    "run-methods",
    "fetch-all-methods",
    "chain-methods",
    "filter-methods",
    "bounding-methods",
    "single-methods",
    "all-rows-methods",
    "pass-through",
    "eager-loaders",
    "eager-methods",
    "aggregating-methods",
    "relationships",
    "eager-lazy",
)
COMPRESSION_KEYS = ("middleware",)
CONCURRENCY_KEYS = ("gathers", "waits", "limits")
OUTBOUND_KEYS = ("calls", "timeout", "timeout-position", "timeout-types")
TIMEOUT_KINDS = ("required", "default")
BOUNDS_TABLES = ("pagination", "queries", "compression", "concurrency", "outbound-calls")


class SymbolPatterns:
    """A set of symbol patterns (``{a,b}``, ``*``, ``**``) asked one question: does it match?"""

    def __init__(self, patterns: Iterable[str]) -> None:
        self.patterns = tuple(patterns)
        self._set = _PatternSet()
        for pattern in self.patterns:
            for expanded in expand_braces(pattern):
                self._set.add(expanded, True)

    def matches(self, symbol: str) -> bool:
        return bool(symbol) and self._set.find(tuple(split_symbol(symbol))) is not None


@dataclass(frozen=True)
class OutboundCall:
    """A family of outbound HTTP calls and how their timeout works."""

    patterns: tuple[str, ...]
    timeout: str  # "required": no default; "default": only an explicit None removes it
    timeout_position: Optional[int] = None  # the timeout's positional index, if it has one
    timeout_types: tuple[str, ...] = ()  # timeout objects that wait forever when given None


@dataclass(frozen=True)
class BoundsKnowledge:
    """The data behind FLT4xx and FLT5xx: every table a list of strings, as in the TOML."""

    tables: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)
    outbound: tuple[OutboundCall, ...] = ()

    def names(self, table: str, key: str) -> frozenset[str]:
        """A list of plain names (methods, parameters), braces expanded."""
        return frozenset(
            name for item in self.tables.get(table, {}).get(key, ()) for name in expand_braces(item)
        )

    def patterns(self, table: str, key: str) -> SymbolPatterns:
        return SymbolPatterns(self.tables.get(table, {}).get(key, ()))


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CatalogError(f"{where} must be an array of strings")
    return tuple(value)


def _table(value: Any, name: str, keys: tuple[str, ...], origin: str) -> dict[str, tuple[str, ...]]:
    if not isinstance(value, dict):
        raise CatalogError(f"{origin}: '{name}' must be a table")
    unknown = set(value) - set(keys)
    if unknown:
        raise CatalogError(f"{origin}: unknown key {name}.{sorted(unknown)[0]}")
    return {key: _strings(items, f"{origin}: '{name}.{key}'") for key, items in value.items()}


def _outbound(items: Any, origin: str) -> list[OutboundCall]:
    if not isinstance(items, list):
        raise CatalogError(f"{origin}: 'outbound-calls' must be an array of tables")
    out = []
    for index, item in enumerate(items):
        where = f"{origin}: outbound-calls[{index}]"
        if not isinstance(item, dict):
            raise CatalogError(f"{where} must be a table")
        unknown = set(item) - set(OUTBOUND_KEYS)
        if unknown:
            raise CatalogError(f"{where}: unknown key {sorted(unknown)[0]!r}")
        calls = _strings(item.get("calls"), f"{where}: 'calls'")
        if not calls:
            raise CatalogError(f"{where}: 'calls' must be a non-empty array of strings")
        timeout = item.get("timeout", "required")
        if timeout not in TIMEOUT_KINDS:
            raise CatalogError(f"{where}: timeout must be one of {', '.join(TIMEOUT_KINDS)}")
        position = item.get("timeout-position")
        if position is not None and (not isinstance(position, int) or position < 0):
            raise CatalogError(f"{where}: 'timeout-position' must be a non-negative integer")
        types = _strings(item.get("timeout-types", []), f"{where}: 'timeout-types'")
        out.append(OutboundCall(calls, timeout, position, types))
    return out


_TABLE_KEYS = {
    "pagination": PAGINATION_KEYS,
    "queries": QUERY_KEYS,
    "compression": COMPRESSION_KEYS,
    "concurrency": CONCURRENCY_KEYS,
}


def bounds_from_data(
    data: Mapping[str, Any], origin: str, base: Optional[BoundsKnowledge] = None
) -> BoundsKnowledge:
    """The FLT4xx/FLT5xx tables of a catalog, appended to ``base``."""
    tables: dict[str, dict[str, tuple[str, ...]]] = {
        name: dict(values) for name, values in (base.tables if base else {}).items()
    }
    for name, keys in _TABLE_KEYS.items():
        if name not in data:
            continue
        for key, items in _table(data[name], name, keys, origin).items():
            current = tables.setdefault(name, {})
            current[key] = (*current.get(key, ()), *items)
    outbound = (
        *(base.outbound if base else ()),
        *_outbound(data.get("outbound-calls", []), origin),
    )
    return BoundsKnowledge(tables, outbound)
