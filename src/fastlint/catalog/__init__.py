"""The catalog: what fastlint knows about libraries, loaded from data and extended by users."""

from __future__ import annotations

import itertools
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any, Optional

from fastlint.index.summary import Argument
from fastlint.index.symbols import CALL, split_symbol

if TYPE_CHECKING:
    from fastlint.catalog.bounds import BoundsKnowledge

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on older interpreters only
    import tomli as tomllib

BLOCKING_KINDS = (
    "sleep",
    "http",
    "file",
    "subprocess",
    "network",
    "database",
    "sdk",
    "cpu",
    "custom",
)

# What a per-request construction is, which picks the FLT3xx rule.
CONNECTION_KINDS = ("database", "sqlite", "client")
# How a memoising decorator bounds what it keeps: always unbounded, bounded by ``maxsize``
# (unbounded when it is None), or bounded some other way (a TTL, a given cache object).
MEMOIZER_KINDS = ("unbounded", "sized", "other")
STATE_KEYS = ("containers", "caches", "mutating-methods", "process-bound")

_BRACES = re.compile(r"\{([^{}]*)\}")


class CatalogError(ValueError):
    """A catalog entry (built in or from the user's config) that does not make sense."""


def expand_braces(pattern: str) -> list[str]:
    """``a.{b,c}.d`` → ``["a.b.d", "a.c.d"]``."""
    parts = _BRACES.split(pattern)
    literals, choices = parts[0::2], parts[1::2]
    options = [[c.strip() for c in choice.split(",") if c.strip()] for choice in choices]
    out = []
    for combo in itertools.product(*options):
        text = literals[0]
        for choice, literal in zip(combo, literals[1:]):
            text += choice + literal
        out.append(text)
    return out


@dataclass(frozen=True)
class BlockingCall:
    """A family of calls that block the event loop, and what to use instead."""

    kind: str
    patterns: tuple[str, ...]
    excludes: tuple[str, ...]
    instead: str
    # A literal argument below this bound makes the call quick: ``time.sleep(0)`` yields,
    # ``pbkdf2_hmac(..., 1000)`` is no password hash. (position, keyword, bound)
    quick_below: Optional[tuple[int, str, float]] = None

    def is_quick(self, args: Sequence[Argument]) -> bool:
        if self.quick_below is None:
            return False
        position, keyword, bound = self.quick_below
        positional = [a for a in args if a.keyword is None and not a.star]
        chosen = positional[position] if position < len(positional) else None
        for arg in args:
            if arg.keyword == keyword:
                chosen = arg
        if chosen is None:
            return False
        literal = chosen.value.literal
        return chosen.value.kind == "num" and isinstance(literal, (int, float)) and literal < bound


@dataclass(frozen=True)
class ConnectionConstructor:
    """Something meant to be made once per process: an engine, a pool, a client."""

    kind: str  # one of CONNECTION_KINDS
    patterns: tuple[str, ...]
    excludes: tuple[str, ...]
    # Made per request but cheap when given one of these (``connection_pool=`` shares a pool).
    unless_keywords: tuple[str, ...]
    instead: str


@dataclass(frozen=True)
class StateKnowledge:
    """What holds data in process memory, and what changes it (FLT2xx)."""

    containers: tuple[str, ...] = ()  # constructors of mutable containers
    caches: tuple[str, ...] = ()  # constructors of in-process caches
    mutating_methods: tuple[str, ...] = ()  # methods that change a container in place
    # Objects that belong to one process by nature (locks, tasks, executors): a container of
    # them is not state to share.
    process_bound: tuple[str, ...] = ()
    # decorator patterns by MEMOIZER_KINDS
    memoizers: tuple[tuple[str, tuple[str, ...]], ...] = ()


def _match(pattern: tuple[str, ...], tokens: tuple[str, ...]) -> bool:
    if not pattern:
        return not tokens
    head = pattern[0]
    if head == "**":
        # any run of names, no calls
        for skip in range(len(tokens) + 1):
            if skip and tokens[skip - 1] == CALL:
                break
            if _match(pattern[1:], tokens[skip:]):
                return True
        return False
    if not tokens:
        return False
    if head == "*":
        return tokens[0] != CALL and _match(pattern[1:], tokens[1:])
    return head == tokens[0] and _match(pattern[1:], tokens[1:])


class _PatternSet:
    """Symbols matched exactly by dictionary and by wildcard patterns grouped by root."""

    def __init__(self) -> None:
        self.exact: dict[tuple[str, ...], Any] = {}
        self.wild: dict[str, list[tuple[tuple[str, ...], Any]]] = {}

    def add(self, pattern: str, payload: Any) -> None:
        tokens = tuple(split_symbol(pattern))
        if not tokens or tokens[0] in ("*", "**"):
            raise CatalogError(f"pattern {pattern!r} must start with a module name")
        if "*" in tokens or "**" in tokens:
            self.wild.setdefault(tokens[0], []).append((tokens, payload))
        else:
            self.exact.setdefault(tokens, payload)

    def find(self, tokens: tuple[str, ...]) -> Any:
        hit = self.exact.get(tokens)
        if hit is not None:
            return hit
        for pattern, payload in self.wild.get(tokens[0], ()) if tokens else ():
            if _match(pattern, tokens):
                return payload
        return None


class Catalog:
    """Blocking calls, connection constructors, state containers and type rewrites, with fast
    lookup by symbol."""

    def __init__(
        self,
        blocking: Iterable[BlockingCall],
        types: Mapping[str, str],
        connections: Iterable[ConnectionConstructor] = (),
        state: Optional[StateKnowledge] = None,
        bounds: Optional[BoundsKnowledge] = None,
    ) -> None:
        # Imported here: the bounds module builds on this one.
        from fastlint.catalog.bounds import BoundsKnowledge

        self.bounds = bounds if bounds is not None else BoundsKnowledge()
        self.blocking = tuple(blocking)
        self.types = dict(types)
        self.connections = tuple(connections)
        self.state = state or StateKnowledge()
        self._constructors = _PatternSet()
        self._constructor_excludes = _PatternSet()
        for constructor in self.connections:
            for pattern in constructor.patterns:
                for expanded in expand_braces(pattern):
                    self._constructors.add(expanded, constructor)
            for pattern in constructor.excludes:
                for expanded in expand_braces(pattern):
                    self._constructor_excludes.add(expanded, True)
        self._state_kinds = _PatternSet()
        for kind, patterns in (("cache", self.state.caches), ("container", self.state.containers)):
            for pattern in patterns:
                for expanded in expand_braces(pattern):
                    self._state_kinds.add(expanded, kind)
        self._memoizers = _PatternSet()
        for kind, patterns in self.state.memoizers:
            for pattern in patterns:
                for expanded in expand_braces(pattern):
                    self._memoizers.add(expanded, kind)
        self._mutating_methods = frozenset(
            name for pattern in self.state.mutating_methods for name in expand_braces(pattern)
        )
        self._process_bound = _PatternSet()
        for pattern in self.state.process_bound:
            for expanded in expand_braces(pattern):
                self._process_bound.add(expanded, True)
        self._calls = _PatternSet()
        self._excluded = _PatternSet()
        for entry in self.blocking:
            for pattern in entry.patterns:
                for expanded in expand_braces(pattern):
                    self._calls.add(expanded, entry)
            for pattern in entry.excludes:
                for expanded in expand_braces(pattern):
                    self._excluded.add(expanded, True)
        # Longest prefixes first, so the most specific rewrite wins.
        self._rewrites = sorted(
            ((tuple(split_symbol(k)), tuple(split_symbol(v))) for k, v in self.types.items()),
            key=lambda item: -len(item[0]),
        )
        self._rewrite_roots = {source[0] for source, _ in self._rewrites}

    def blocking_call(self, symbol: str) -> Optional[BlockingCall]:
        tokens = tuple(split_symbol(symbol))
        entry = self._calls.find(tokens)
        if entry is None or self._excluded.find(tokens):
            return None
        return entry  # type: ignore[no-any-return]

    def connection_constructor(self, symbol: str) -> Optional[ConnectionConstructor]:
        """The catalog entry of a call that makes an engine, pool or client, if it is one."""
        tokens = tuple(split_symbol(symbol))
        entry = self._constructors.find(tokens)
        if entry is None or self._constructor_excludes.find(tokens):
            return None
        return entry  # type: ignore[no-any-return]

    def state_kind(self, symbol: str) -> Optional[str]:
        """The kind of in-memory state ("container", "cache") a constructor makes, or None."""
        kind = self._state_kinds.find(tuple(split_symbol(symbol)))
        return kind if isinstance(kind, str) else None

    def is_mutating_method(self, name: str) -> bool:
        return name in self._mutating_methods

    def is_process_bound(self, symbol: str) -> bool:
        """A lock, a task, an executor...: what a process keeps for itself (or its type)."""
        return bool(self._process_bound.find(tuple(split_symbol(symbol))))

    def memoizer_kind(self, symbol: str) -> Optional[str]:
        """How a memoising decorator bounds its cache (MEMOIZER_KINDS), or None."""
        kind = self._memoizers.find(tuple(split_symbol(symbol)))
        return kind if isinstance(kind, str) else None

    def rewrite(self, tokens: list[str]) -> list[str]:
        """Apply type rewrites to a symbol's tokens until none applies."""
        if not tokens or tokens[0] not in self._rewrite_roots:
            return tokens
        for _ in range(8):
            for source, target in self._rewrites:
                if tuple(tokens[: len(source)]) == source:
                    tokens = [*target, *tokens[len(source) :]]
                    break
            else:
                return tokens
        return tokens


def _blocking_from_data(items: Any, origin: str) -> list[BlockingCall]:
    if not isinstance(items, list):
        raise CatalogError(f"{origin}: 'blocking-calls' must be an array of tables")
    out = []
    for index, item in enumerate(items):
        where = f"{origin}: blocking-calls[{index}]"
        if not isinstance(item, dict):
            raise CatalogError(f"{where} must be a table")
        unknown = set(item) - {"kind", "calls", "except", "instead", "quick-below"}
        if unknown:
            raise CatalogError(f"{where}: unknown key {sorted(unknown)[0]!r}")
        kind = item.get("kind", "custom")
        if kind not in BLOCKING_KINDS:
            raise CatalogError(f"{where}: kind must be one of {', '.join(BLOCKING_KINDS)}")
        calls = item.get("calls")
        excludes = item.get("except", [])
        instead = item.get("instead", "await asyncio.to_thread(...)")
        if not isinstance(calls, list) or not calls or not all(isinstance(c, str) for c in calls):
            raise CatalogError(f"{where}: 'calls' must be a non-empty array of strings")
        if not isinstance(excludes, list) or not all(isinstance(c, str) for c in excludes):
            raise CatalogError(f"{where}: 'except' must be an array of strings")
        if not isinstance(instead, str):
            raise CatalogError(f"{where}: 'instead' must be a string")
        quick = item.get("quick-below")
        quick_below: Optional[tuple[int, str, float]] = None
        if quick is not None:
            if (
                not isinstance(quick, dict)
                or set(quick) != {"position", "keyword", "value"}
                or not isinstance(quick["position"], int)
                or not isinstance(quick["keyword"], str)
                or not isinstance(quick["value"], (int, float))
            ):
                shape = '{ position = N, keyword = "name", value = X }'
                raise CatalogError(f"{where}: 'quick-below' must be {shape}")
            quick_below = (quick["position"], quick["keyword"], float(quick["value"]))
        out.append(BlockingCall(kind, tuple(calls), tuple(excludes), instead, quick_below))
    return out


def _string_array(value: Any, where: str, key: str, *, allow_empty: bool = True) -> tuple[str, ...]:
    if (
        not isinstance(value, list)
        or not all(isinstance(v, str) for v in value)
        or (not allow_empty and not value)
    ):
        qualifier = "a non-empty" if not allow_empty else "an"
        raise CatalogError(f"{where}: '{key}' must be {qualifier} array of strings")
    return tuple(value)


def _connections_from_data(items: Any, origin: str) -> list[ConnectionConstructor]:
    if not isinstance(items, list):
        raise CatalogError(f"{origin}: 'connection-constructors' must be an array of tables")
    out = []
    for index, item in enumerate(items):
        where = f"{origin}: connection-constructors[{index}]"
        if not isinstance(item, dict):
            raise CatalogError(f"{where} must be a table")
        unknown = set(item) - {"kind", "calls", "except", "unless-keywords", "instead"}
        if unknown:
            raise CatalogError(f"{where}: unknown key {sorted(unknown)[0]!r}")
        kind = item.get("kind", "client")
        if kind not in CONNECTION_KINDS:
            raise CatalogError(f"{where}: kind must be one of {', '.join(CONNECTION_KINDS)}")
        instead = item.get("instead", "")
        if not isinstance(instead, str):
            raise CatalogError(f"{where}: 'instead' must be a string")
        out.append(
            ConnectionConstructor(
                kind,
                _string_array(item.get("calls"), where, "calls", allow_empty=False),
                _string_array(item.get("except", []), where, "except"),
                _string_array(item.get("unless-keywords", []), where, "unless-keywords"),
                instead,
            )
        )
    return out


def _state_from_data(
    table: Any, memoizers: Any, origin: str, base: Optional[StateKnowledge] = None
) -> StateKnowledge:
    """``state`` and ``memoizers`` tables, added to ``base``."""
    base = base or StateKnowledge()
    if not isinstance(table, dict):
        raise CatalogError(f"{origin}: 'state' must be a table")
    unknown = set(table) - set(STATE_KEYS)
    if unknown:
        raise CatalogError(f"{origin}: unknown key state.{sorted(unknown)[0]}")
    if not isinstance(memoizers, dict):
        raise CatalogError(f"{origin}: 'memoizers' must be a table")
    unknown = set(memoizers) - set(MEMOIZER_KINDS)
    if unknown:
        raise CatalogError(f"{origin}: unknown key memoizers.{sorted(unknown)[0]}")
    where = f"{origin}: state"
    added = dict(base.memoizers)
    for kind in MEMOIZER_KINDS:
        extra = _string_array(memoizers.get(kind, []), f"{origin}: memoizers", kind)
        added[kind] = (*added.get(kind, ()), *extra)
    return StateKnowledge(
        containers=(
            *base.containers,
            *_string_array(table.get("containers", []), where, "containers"),
        ),
        caches=(*base.caches, *_string_array(table.get("caches", []), where, "caches")),
        mutating_methods=(
            *base.mutating_methods,
            *_string_array(table.get("mutating-methods", []), where, "mutating-methods"),
        ),
        process_bound=(
            *base.process_bound,
            *_string_array(table.get("process-bound", []), where, "process-bound"),
        ),
        memoizers=tuple((kind, added[kind]) for kind in MEMOIZER_KINDS if added.get(kind)),
    )


def _types_from_data(table: Any, origin: str) -> dict[str, str]:
    if not isinstance(table, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in table.items()
    ):
        raise CatalogError(f"{origin}: 'types' must be a table of strings")
    return dict(table)


@lru_cache(maxsize=1)
def _builtin_data() -> dict[str, Any]:
    text = resources.files("fastlint.catalog").joinpath("catalog.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


CATALOG_KEYS = (
    "blocking-calls",
    "types",
    "connection-constructors",
    "state",
    "memoizers",
    # FLT4xx and FLT5xx, read by fastlint.catalog.bounds
    "pagination",
    "queries",
    "compression",
    "concurrency",
    "outbound-calls",
)


def load_catalog(extension: Optional[Mapping[str, Any]] = None, origin: str = "config") -> Catalog:
    """The built-in catalog plus a user's ``[tool.fastlint.catalog]`` table."""
    from fastlint.catalog.bounds import bounds_from_data

    data = _builtin_data()
    bounds = bounds_from_data(data, "built-in catalog")
    blocking = _blocking_from_data(data["blocking-calls"], "built-in catalog")
    types = _types_from_data(data["types"], "built-in catalog")
    connections = _connections_from_data(data["connection-constructors"], "built-in catalog")
    state = _state_from_data(data["state"], data["memoizers"], "built-in catalog")
    if extension:
        unknown = set(extension) - set(CATALOG_KEYS)
        if unknown:
            raise CatalogError(f"{origin}: unknown key catalog.{sorted(unknown)[0]}")
        blocking += _blocking_from_data(extension.get("blocking-calls", []), origin)
        types.update(_types_from_data(extension.get("types", {}), origin))
        connections += _connections_from_data(extension.get("connection-constructors", []), origin)
        state = _state_from_data(
            extension.get("state", {}), extension.get("memoizers", {}), origin, state
        )
        bounds = bounds_from_data(extension, origin, bounds)
    return Catalog(blocking, types, connections, state, bounds)
