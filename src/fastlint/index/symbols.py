"""Symbols: dotted paths with ``()`` marking calls, e.g. ``requests.Session().get``."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

CALL = "()"


def join_symbol(tokens: Sequence[str]) -> str:
    """``("requests", "Session", "()", "get")`` → ``requests.Session().get``."""
    out: list[str] = []
    for token in tokens:
        if token == CALL or not out:
            out.append(token)
        else:
            out.append("." + token)
    return "".join(out)


def split_symbol(symbol: str) -> list[str]:
    """The inverse of :func:`join_symbol`."""
    return list(_split(symbol))


# The link phase splits the same symbols hundreds of thousands of times.
@lru_cache(maxsize=1 << 16)
def _split(symbol: str) -> tuple[str, ...]:
    tokens: list[str] = []
    for part in symbol.split("."):
        name = part.replace(CALL, "")
        if name:
            tokens.append(name)
        tokens.extend([CALL] * part.count(CALL))
    return tuple(tokens)


def strip_calls(symbol: str) -> str:
    """``a.B().c`` → ``a.B.c``: the names alone."""
    return symbol.replace(CALL, "")


def last_name(symbol: str) -> str:
    for token in reversed(split_symbol(symbol)):
        if token != CALL:
            return token
    return ""
