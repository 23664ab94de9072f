"""What a check reports: findings, the chain that leads to them, and the fix they offer."""

from __future__ import annotations

import dataclasses
import operator
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, TypeVar, cast

_T = TypeVar("_T")


def record(cls: type[_T]) -> type[_T]:
    """A dataclass made slotted, for the facts a project holds by the hundred thousand.

    Apply it over ``@dataclass(unsafe_hash=True)``: treat the result as frozen (nothing
    assigns to it after construction), hashable by value. Not ``frozen=True`` because a
    frozen ``__init__`` sets each field through ``object.__setattr__``, and records are
    rebuilt by calling ``__init__`` when loaded from the cache. Slots halve the memory of a
    large project's summaries. (``slots=True`` needs 3.10.)
    """
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    if any(not f.init or getattr(f, "kw_only", False) for f in fields):
        # Pickled records are rebuilt by calling the class with every field, in order.
        raise TypeError(f"{cls.__name__}: a record's fields are all positional __init__ fields")
    names = tuple(f.name for f in fields)
    namespace = {
        key: value
        for key, value in cls.__dict__.items()
        if key not in names and key not in ("__dict__", "__weakref__")
    }
    namespace["__slots__"] = names
    namespace["__reduce__"] = _reducer(names)
    return cast("type[_T]", type(cls.__name__, cls.__bases__, namespace))


def _reducer(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, tuple[Any, ...]]]:
    """Pickle a record as its class and field values, rebuilt by calling the class.

    The default for a slotted object pickles a dict of its slots and restores them one
    ``setattr`` at a time: twice as slow to load as one call of the generated ``__init__``.
    """
    if len(names) < 2:
        raise TypeError("a record has two fields or more")  # else attrgetter gives no tuple
    fields = operator.attrgetter(*names)  # in C: one tuple of every field
    return lambda self: (type(self), fields(self))


@record
@dataclass(unsafe_hash=True, order=True)
class Span:
    """A source range. Lines are 1-based; columns are 0-based character offsets."""

    line: int
    column: int
    end_line: int
    end_column: int


@dataclass(frozen=True)
class ChainStep:
    """One step of the path from request code to the work that is reported."""

    label: str  # e.g. "authenticate_user()" or "CryptContext.verify()"
    path: str  # display path of the file the step is in
    line: int
    column: int


@dataclass(frozen=True)
class Fix:
    """A fix a rule offers; ``safety`` is "safe" or "unsafe"."""

    title: str
    safety: str


@dataclass(frozen=True)
class Finding:
    """One diagnostic, in the terms both front doors (CLI and flake8) report."""

    path: str  # display path: as passed, or relative to the working directory
    span: Span
    code: str
    name: str
    message: str
    chain: tuple[ChainStep, ...] = ()
    fix: Optional[Fix] = None
    # Where the finding's evidence lives, beyond its own line (mutation sites...).
    related: tuple[ChainStep, ...] = field(default=(), compare=False)

    @property
    def line(self) -> int:
        return self.span.line

    @property
    def column(self) -> int:
        """1-based column, as shown to users."""
        return self.span.column + 1

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.path, self.span.line, self.span.column, self.code, self.message)


@dataclass(frozen=True)
class RuleMeta:
    """What reports need to know about a rule (SARIF rule table, statistics, docs links)."""

    code: str
    name: str
    summary: str  # one sentence: what the rule finds
    fix_safety: Optional[str] = None  # "safe", "unsafe" or None when it cannot fix
