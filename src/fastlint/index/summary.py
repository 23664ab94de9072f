"""The picklable facts one file is distilled into: what the link phase and the rules read.

Names in a summary are *symbols*: dotted paths resolved as far as one file allows.
``requests.get`` is the imported function, ``app.db.SessionLocal`` a name defined in the
project module ``app.db``, and ``()`` marks a call, so ``requests.Session().get`` is the
``get`` method of an object made by ``requests.Session(...)``. The link phase finishes the
resolution across files.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Optional, Union

from fastlint.findings import Span, record

UNKNOWN = ""  # the symbol of an expression the index cannot resolve


# Values, arguments and calls intern their strings when built (and again when loaded from
# the cache, which rebuilds them through __init__): the same few names recur all over a
# file, so a pickled summary stores each string once (the rest are references) and a
# project holding every summary keeps far fewer strings.


@record
@dataclass(unsafe_hash=True)
class Value:
    """What an expression is, as far as the rules care.

    ``kind`` is one of: ``ref`` (a name or attribute chain), ``call``, ``str``, ``num``,
    ``const`` (True/False/None), ``list``, ``tuple``, ``set``, ``dict`` (``elements``: its
    values; ``args``: the same, keyed by their string keys), ``lambda``, ``comprehension``
    (``elements``: the first iterable, then the element), ``await``, ``subscript``
    (``elements``: the index, a ``slice`` for ``x[a:b]`` with lower, upper and step, missing
    parts as ``const`` None), ``union``, ``compare`` and ``boolop`` and ``binop``
    (``elements``: the operands), ``ifexp`` (``elements``: the two outcomes), ``other``.
    """

    kind: str
    symbol: str = UNKNOWN  # for ref and call: the referenced / called symbol
    literal: Union[str, int, float, None] = None  # for str and num
    args: tuple[Argument, ...] = ()  # for call
    elements: tuple[Value, ...] = ()  # for list, tuple and set literals
    span: Optional[Span] = None
    # For a call: the method chain hanging off it, e.g. ``.limit(10).all()``.
    trailing_calls: tuple[str, ...] = ()
    # For a method call or a subscript: the object it applies to, so a chain such as
    # ``db.query(X).limit(10).all()`` can be read link by link, arguments included.
    receiver: Optional[Value] = None
    # For a ref: the dotted source text (``item.owner``), which names locals the symbol cannot.
    text: str = ""

    def __post_init__(self) -> None:
        self.symbol = sys.intern(self.symbol)
        self.text = sys.intern(self.text)
        if type(self.literal) is str:
            self.literal = sys.intern(self.literal)


@record
@dataclass(unsafe_hash=True)
class Argument:
    keyword: Optional[str]  # None for a positional argument
    value: Value
    star: str = ""  # "", "*" or "**"

    def __post_init__(self) -> None:
        if self.keyword is not None:
            self.keyword = sys.intern(self.keyword)


@record
@dataclass(unsafe_hash=True)
class CallSite:
    """A call made by a function (or by module-level code)."""

    symbol: str  # what is called: a resolved symbol, or UNKNOWN
    span: Span
    args: tuple[Argument, ...]
    awaited: bool  # ``await f(...)``
    # The calls chained onto this call's result, e.g. ``.filter(...).all`` → ("filter", "all").
    trailing_calls: tuple[str, ...] = ()
    in_loop: bool = False  # inside a for/while loop or a comprehension
    # Inside ``if x is None:`` (or ``if not x:``, or after ``if x is not None: return x``) where
    # ``x`` is a global or an attribute of ``self``: work done once, when first needed.
    guarded: bool = False
    # ``x = f()`` under ``if x is None:``: runs only when the value is missing, maybe never.
    fills_missing: bool = False
    # Where the call's result is stored when not in a local variable: "global" (a name declared
    # ``global``), "self" (an attribute of the method's ``self``/``cls``), "attribute" (of
    # another object) or "item" (``container[key] = ...``).
    kept: str = ""
    # In a method: the positions of the arguments computed only from the method's own object
    # and constants (``self.api_base``, or a local set from it): its configuration.
    object_args: tuple[int, ...] = ()
    receiver: Optional[Value] = None  # for a method call: the object, e.g. ``client``
    text: str = ""  # the callee as written (``db.query``), or ``.all`` on a computed object

    def __post_init__(self) -> None:
        self.symbol = sys.intern(self.symbol)
        self.text = sys.intern(self.text)


@record
@dataclass(unsafe_hash=True)
class Parameter:
    name: str
    kind: str  # "positional", "keyword", "*", "**"
    annotation: Optional[Value]  # the annotation, with ``Annotated[T, ...]`` unwrapped to T
    annotation_extras: tuple[Value, ...]  # the metadata of ``Annotated[T, extra...]``
    default: Optional[Value]
    span: Span


@record
@dataclass(unsafe_hash=True)
class Decorator:
    value: Value  # a ref (``@cache``) or a call (``@app.get("/items")``)
    span: Span  # the decorator expression, after the ``@``


@record
@dataclass(unsafe_hash=True)
class Mutation:
    """A write to a name that may be module-level: ``x[k] = v``, ``del x[k]``, ``x += 1``...

    For items (``x[k][j] = v``, ``x[k].append(v)``) the symbol is the outermost container's.
    """

    symbol: str  # resolved symbol of what is mutated
    # "setitem", "delitem", "augassign", "rebind", "setattr", or "itemcall" for a method
    # called on an item, ``x[k].append(v)``
    kind: str
    span: Span
    value: Optional[Value] = None  # what is assigned or added
    guarded: bool = False  # as ``CallSite.guarded``: lazy initialisation
    method: str = ""  # for "itemcall": the method called
    # On a cache-miss path: inside ``if key not in cache:`` or ``if cached is None:``, or after
    # ``if key in cache: return ...`` (memoisation, when what is stored is computed there).
    on_miss: bool = False


@record
@dataclass(unsafe_hash=True)
class Assignment:
    """``name = value`` in a function; also ``with ... as name`` and ``name := value``."""

    name: str
    value: Value
    span: Span  # the target name
    position: Optional[int] = None  # for ``a, b = value``: which element of the value


@record
@dataclass(unsafe_hash=True)
class Loop:
    """A ``for`` loop, or one ``for`` clause of a comprehension."""

    iterable: Value
    targets: tuple[str, ...]  # the names the loop binds
    span: Span  # the whole statement or comprehension
    comprehension: bool


@record
@dataclass(unsafe_hash=True)
class AttributeRead:
    """``name.attribute`` read (not called) in a function, ``name`` a local or parameter."""

    name: str
    attribute: str
    span: Span


@record
@dataclass(unsafe_hash=True)
class FunctionSummary:
    qualname: str  # ``get_user``, ``UserService.get``, ``outer.<locals>.inner``
    name: str
    is_async: bool
    is_generator: bool
    has_await: bool  # contains await / async for / async with (not in nested functions)
    class_name: Optional[str]  # the class whose body defines it (a method)
    decorators: tuple[Decorator, ...]
    params: tuple[Parameter, ...]
    calls: tuple[CallSite, ...]
    returns: tuple[Value, ...]  # returned and yielded values
    mutations: tuple[Mutation, ...]
    globals_declared: tuple[str, ...]
    span: Span  # the function name
    def_line: int  # the line of ``def`` (after decorators)
    first_line: int  # the first line, decorators included
    assignments: tuple[Assignment, ...] = ()
    loops: tuple[Loop, ...] = ()
    attribute_reads: tuple[AttributeRead, ...] = ()
    ordered_comparisons: tuple[str, ...] = ()  # dotted names compared with <, <=, > or >=
    return_annotation: Optional[Value] = None  # ``-> list[Item]``, unwrapped like parameters
    with_items: tuple[Value, ...] = ()  # what ``with`` / ``async with`` enter, e.g. a semaphore


@record
@dataclass(unsafe_hash=True)
class ClassSummary:
    qualname: str
    name: str
    bases: tuple[Value, ...]
    keywords: tuple[Argument, ...]
    decorators: tuple[Decorator, ...]
    methods: tuple[str, ...]  # qualnames of the functions defined in the class body
    # attribute -> values assigned to it, in the class body or as ``self.attr = ...``
    attributes: tuple[tuple[str, tuple[Value, ...]], ...]
    span: Span
    # name -> annotation as written in the class body (``limit: int = 10``), for model fields
    annotations: tuple[tuple[str, Value], ...] = ()


@record
@dataclass(unsafe_hash=True)
class Binding:
    """A module-level assignment ``name = value`` (or ``name: T = value``)."""

    name: str
    value: Value
    annotation: Optional[Value]
    span: Span


@record
@dataclass(unsafe_hash=True)
class ModuleSummary:
    path: str  # absolute path of the file
    module: str  # dotted module name, e.g. ``app.routers.items``
    is_package: bool  # an ``__init__.py``
    imports: tuple[tuple[str, str], ...]  # local name -> qualified name, module level
    functions: tuple[FunctionSummary, ...]
    classes: tuple[ClassSummary, ...]
    bindings: tuple[Binding, ...]
    module_calls: tuple[CallSite, ...]  # calls made at import time (module and class bodies)
    module_mutations: tuple[Mutation, ...]
    noqa: tuple[tuple[int, Optional[tuple[str, ...]]], ...]  # line -> codes (None: all)
    error: Optional[ParseError] = None


@record
@dataclass(unsafe_hash=True)
class ParseError:
    message: str
    line: int
    column: int  # 0-based
