"""FLT4xx: list endpoints that return every row of a query, with no limit or pagination.

The :class:`QueryReader` here follows what a function returns back to the query that made
it (through local names, method chains, comprehensions and the project's own helpers, across
files) and says whether the rows are bounded. The FLT5xx rules read queries through it too.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Optional

from fastlint.findings import Span
from fastlint.index.summary import Argument, Assignment, Parameter, Value
from fastlint.index.symbols import CALL, join_symbol, split_symbol
from fastlint.project import Function, ProjectModel, Route
from fastlint.rules.base import Example, FixRequest, RawFinding, Rule

if TYPE_CHECKING:
    import libcst as cst

    from fastlint.fixes import FixContext

# Stages of a query's rows.
STATEMENT = "statement"  # describes rows, fetches nothing: ``select(Item)``
QUERY = "query"  # fetches when read: ``db.query(Item)``, ``collection.find()``
RESULT = "result"  # fetched, iterable: ``session.execute(select(Item))``
LIST = "list"  # every row, in a list: ``.all()``, ``list(cursor)``
SINGLE = "single"  # one row or one value: ``.first()``, ``.count()``
_ITERABLE = (QUERY, RESULT, LIST)

DEPENDS = (
    "fastapi.Depends",
    "fastapi.Security",
    "fastapi.params.Depends",
    "fastapi.params.Security",
)
ANNOTATED = ("typing.Annotated", "typing_extensions.Annotated")
_PATH_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z_0-9]*)(?::[^}]*)?\}")
_COLLECTION_TYPES = (
    "builtins.list",
    "builtins.set",
    "builtins.frozenset",
    "builtins.tuple",
    "typing.List",
    "typing.Set",
    "typing.FrozenSet",
    "typing.Tuple",
    "typing.Sequence",
    "typing.Iterable",
    "typing.Collection",
    "collections.abc.Sequence",
    "collections.abc.Iterable",
    "collections.abc.Collection",
    "collections.abc.Set",
)
_MAX_DEPTH = 6  # project functions followed from a route


@dataclass(frozen=True)
class Rows:
    """What fastlint knows of a value that holds the rows of a query."""

    stage: str
    bounded: bool = False  # a limit, a slice or a single-row pick applies
    paginated: bool = False  # a pagination helper made it
    model: str = ""  # the project class of the rows, when the query names one
    model_name: str = ""  # the model as written, e.g. ``Item``
    eager: bool = False  # relationships loaded up front (loader options)
    scoped: bool = False  # filtered by a path parameter or an injected value
    runs_on_await: bool = False  # ``await Model.all()`` fetches every row (Tortoise)
    # columns the filters compare, e.g. ``owner_id`` for ``.where(Item.owner_id == x)``
    filtered_columns: frozenset[str] = frozenset()
    text: str = ""  # the code that makes it, e.g. ``db.query(Item).all()``
    function: Optional[Function] = None  # the function that code is in
    span: Optional[Span] = None

    @property
    def iterable(self) -> bool:
        return self.stage in _ITERABLE

    @property
    def unbounded_list(self) -> bool:
        return self.stage == LIST and not self.bounded and not self.paginated


@dataclass(frozen=True)
class Frame:
    """A function being read, with what its parameters are bound to by the caller."""

    function: Function
    scope: frozenset[str] = frozenset()  # names that carry a path parameter or injected value
    arguments: tuple[tuple[str, Value, Optional[Frame]], ...] = ()
    depth: int = 0

    def argument(self, name: str) -> Optional[tuple[Value, Optional[Frame]]]:
        for param, value, frame in self.arguments:
            if param == name:
                return value, frame
        return None


def method_name(value: Value) -> str:
    """``db.query`` → ``query``; ``.all`` → ``all``."""
    return value.text.rpartition(".")[2]


def root_name(value: Value) -> str:
    """The local name a ref starts from (``item`` for ``item.owner``), or ""."""
    if value.kind != "ref" or not value.text or value.text.startswith("."):
        return ""
    return value.text.partition(".")[0]


def argument(args: tuple[Argument, ...], position: int, *keywords: str) -> Optional[Value]:
    positional = [a for a in args if a.keyword is None and not a.star]
    if 0 <= position < len(positional):
        return positional[position].value
    for arg in args:
        if arg.keyword in keywords:
            return arg.value
    return None


def sub_values(value: Value) -> Iterator[Value]:
    """The values directly inside a value: operands, arguments, elements, the receiver."""
    if value.receiver is not None:
        yield value.receiver
    for arg in value.args:
        yield arg.value
    yield from value.elements


def walk_values(value: Value, limit: int = 400) -> Iterator[Value]:
    stack = [value]
    seen = 0
    while stack and seen < limit:
        current = stack.pop()
        seen += 1
        yield current
        stack.extend(sub_values(current))


def describe(value: Value, width: int = 72) -> str:
    """How a value reads in source, shortened: ``db.query(Item).filter(...).all()``."""
    text = _describe(value, 0)
    return text if len(text) <= width else text[: width - 4] + "...)"


def _describe(value: Value, depth: int) -> str:
    if depth > 12:
        return "..."
    if value.kind == "call":
        if value.receiver is not None and value.text.startswith("."):
            head = f"{_describe_object(value.receiver, depth + 1)}{value.text}"
        else:
            head = value.text or "..."
        return f"{head}({_describe_args(value.args, depth)})"
    if value.kind == "ref":
        if value.receiver is not None and value.text.startswith("."):
            return f"{_describe_object(value.receiver, depth + 1)}{value.text}"
        return value.text or "..."
    if value.kind == "await" and value.elements:
        return f"await {_describe(value.elements[0], depth + 1)}"
    if value.kind == "subscript" and value.receiver is not None:
        return f"{_describe_object(value.receiver, depth + 1)}[...]"
    if value.kind == "comprehension" and value.elements:
        return f"[... for ... in {_describe(value.elements[0], depth + 1)}]"
    return "..."


def _describe_object(value: Value, depth: int) -> str:
    text = _describe(value, depth)
    return f"({text})" if value.kind == "await" else text


def _describe_args(args: tuple[Argument, ...], depth: int) -> str:
    if not args:
        return ""
    first = args[0].value
    shown = "..."
    if args[0].keyword is None and not args[0].star and first.kind in ("ref", "call"):
        shown = _describe(first, depth + 1)
        if len(shown) > 32:
            shown = "..."
    return shown if len(args) == 1 else f"{shown}, ..."


def relative_path(path: str, root: str) -> str:
    try:
        return os.path.relpath(path, root).replace(os.sep, "/")
    except ValueError:  # another drive on Windows
        return path


class QueryReader:
    """Reads values as queries: where their rows come from and whether they are bounded."""

    def __init__(self, project: ProjectModel) -> None:
        self.project = project
        knowledge = project.catalog.bounds
        self.statements = knowledge.patterns("queries", "statements")
        self.queries = knowledge.patterns("queries", "queries")
        self.pass_through = knowledge.patterns("queries", "pass-through")
        self.eager_loaders = knowledge.patterns("queries", "eager-loaders")
        self.relationships = knowledge.patterns("queries", "relationships")
        self.helpers = knowledge.patterns("pagination", "helpers")
        self.model_bases = tuple(knowledge.tables.get("queries", {}).get("model-bases", ()))
        self.model_methods = knowledge.names("queries", "model-query-methods")
        self.run_methods = knowledge.names("queries", "run-methods")
        self.fetch_all_methods = knowledge.names("queries", "fetch-all-methods")
        self.chain_methods = knowledge.names("queries", "chain-methods")
        self.filter_methods = knowledge.names("queries", "filter-methods")
        self.bounding_methods = knowledge.names("queries", "bounding-methods")
        self.single_methods = knowledge.names("queries", "single-methods")
        self.all_rows_methods = knowledge.names("queries", "all-rows-methods")
        self.eager_methods = knowledge.names("queries", "eager-methods")
        self.aggregating_methods = knowledge.names("queries", "aggregating-methods")
        self.eager_lazy = knowledge.names("queries", "eager-lazy")
        self.pagination_parameters = knowledge.names("pagination", "parameters")
        self._assignments: dict[str, dict[str, list[Assignment]]] = {}
        self._active: set[tuple[int, str]] = set()
        self._bases: dict[tuple[int, str], Optional[Rows]] = {}
        self._returns: dict[tuple[str, tuple[str, ...]], Optional[Rows]] = {}
        self._frames: list[Frame] = []  # keeps frames alive while their ids key the caches
        self._primary_keys: dict[str, frozenset[str]] = {}

    # --- symbols ------------------------------------------------------------------------

    def resolved(self, symbol: str) -> str:
        return self.project.resolve(symbol).symbol if symbol else ""

    def call_symbol(self, value: Value) -> str:
        """The resolved callee of a call value, also through subscripts (``db["items"].find``)."""
        if value.symbol:
            return self.resolved(value.symbol)
        if value.receiver is not None and value.text.startswith("."):
            base = self._object_tokens(value.receiver, 0)
            if base:
                return self.resolved(join_symbol([*base, value.text[1:]]))
        return ""

    def _object_tokens(self, value: Value, depth: int) -> list[str]:
        if depth > 8:
            return []
        if value.kind == "ref":
            if value.symbol:
                return split_symbol(value.symbol)
            if value.receiver is not None and value.text.startswith("."):
                base = self._object_tokens(value.receiver, depth + 1)
                return [*base, value.text[1:]] if base else []
            return []
        if value.kind == "subscript" and value.receiver is not None:
            base = self._object_tokens(value.receiver, depth + 1)
            return [*base, "[]"] if base else []
        if value.kind == "call":
            if value.symbol:
                return [*split_symbol(value.symbol), CALL]
            if value.receiver is not None and value.text.startswith("."):
                base = self._object_tokens(value.receiver, depth + 1)
                return [*base, value.text[1:], CALL] if base else []
        if value.kind == "await" and value.elements:
            return self._object_tokens(value.elements[0], depth + 1)
        return []

    def class_key(self, value: Value) -> str:
        """The project class a ref names, or ""."""
        if value.kind != "ref" or not value.symbol:
            return ""
        resolved = self.project.resolve(value.symbol)
        return resolved.symbol if resolved.kind == "class" else ""

    # --- locals -------------------------------------------------------------------------

    def assignments(self, function: Function) -> dict[str, list[Assignment]]:
        table = self._assignments.get(function.key)
        if table is None:
            table = {}
            for assignment in function.summary.assignments:
                table.setdefault(assignment.name, []).append(assignment)
            self._assignments[function.key] = table
        return table

    def frame(
        self,
        function: Function,
        scope: Iterable[str] = (),
        arguments: tuple[tuple[str, Value, Optional[Frame]], ...] = (),
        depth: int = 0,
    ) -> Frame:
        frame = Frame(function, frozenset(scope), arguments, depth)
        self._frames.append(frame)
        return frame

    def bind_arguments(
        self, callee: Function, call: Value, caller: Frame
    ) -> tuple[tuple[str, Value, Optional[Frame]], ...]:
        """The callee's parameters, each with the caller's value passed to it."""
        params = [p for p in callee.summary.params if p.kind in ("positional", "keyword")]
        if callee.summary.class_name is not None and params and not _is_static(callee):
            params = params[1:]  # self or cls
        positional = [p for p in params if p.kind == "positional"]
        bound: list[tuple[str, Value, Optional[Frame]]] = []
        index = 0
        for arg in call.args:
            if arg.star:
                continue
            if arg.keyword is None:
                if index < len(positional):
                    bound.append((positional[index].name, arg.value, caller))
                index += 1
            elif any(p.name == arg.keyword for p in params):
                bound.append((arg.keyword, arg.value, caller))
        return tuple(bound)

    def callee_frame(self, callee: Function, call: Value, caller: Frame) -> Frame:
        arguments = self.bind_arguments(callee, call, caller)
        scope = {name for name, value, frame in arguments if frame and self.in_scope(value, frame)}
        return self.frame(callee, scope, arguments, caller.depth + 1)

    def in_scope(
        self, value: Value, frame: Frame, _seen: Optional[set[tuple[int, str]]] = None
    ) -> bool:
        """Whether a value carries a path parameter or an injected value (the current user)."""
        seen = _seen if _seen is not None else set()
        for inner in walk_values(value):
            name = root_name(inner)
            if not name:
                continue
            if name in frame.scope:
                return True
            key = (id(frame), name)
            if key in seen:
                continue
            seen.add(key)
            bound = frame.argument(name)
            if bound is not None:
                if bound[1] is not None and self.in_scope(bound[0], bound[1], seen):
                    return True
                continue
            for assignment in self.assignments(frame.function).get(name, ()):
                if self.in_scope(assignment.value, frame, seen):
                    return True
        return False

    # --- rows ---------------------------------------------------------------------------

    def rows(self, value: Value, frame: Frame) -> Optional[Rows]:
        """The rows a value holds, if it is (or is made from) a query fastlint recognises."""
        kind = value.kind
        if kind == "call":
            return self._call(value, frame)
        if kind == "ref":
            return self._ref(value, frame)
        if kind == "await" and value.elements:
            inner = self.rows(value.elements[0], frame)
            if inner is not None and inner.stage == QUERY and inner.runs_on_await:
                return replace(inner, stage=LIST, text=describe(value))
            return inner
        if kind == "comprehension" and value.elements:
            inner = self.rows(value.elements[0], frame)
            if inner is not None and inner.iterable:
                element = value.elements[1] if len(value.elements) > 1 else None
                keeps_rows = (
                    element is not None and element.kind == "ref" and "." not in element.text
                )
                # ``[ItemOut.from_orm(i) for i in rows]`` holds as many items, not the rows
                return replace(inner, stage=LIST, model=inner.model if keeps_rows else "")
            return None
        if kind == "subscript" and value.receiver is not None:
            inner = self.rows(value.receiver, frame)
            if inner is None or not inner.iterable:
                return None
            index = value.elements[0] if value.elements else None
            if index is not None and index.kind == "slice":
                upper = index.elements[1] if len(index.elements) > 1 else None
                if upper is not None and not (upper.kind == "const" and upper.literal == "None"):
                    return replace(inner, stage=LIST, bounded=True, text=describe(value))
                return replace(inner, stage=LIST)
            return replace(inner, stage=SINGLE, bounded=True)
        if kind == "dict":
            return self.combine([self.rows(e, frame) for e in value.elements], wrapped=True)
        if kind == "ifexp":
            return self.combine([self.rows(e, frame) for e in value.elements])
        return None

    def combine(self, outcomes: Iterable[Optional[Rows]], wrapped: bool = False) -> Optional[Rows]:
        """One value that may be any of several: bounded if any is, else the first rows."""
        known = [o for o in outcomes if o is not None]
        if wrapped:
            # The fields of one object (``{"items": rows, "total": count}``): the rows are
            # unbounded whatever the other fields hold, unless a page holds them.
            known = [o for o in known if o.stage == LIST or o.paginated]
            known.sort(key=lambda o: (not o.paginated, not o.unbounded_list))
        if not known:
            return None
        scoped = any(o.scoped for o in known)
        eager = any(o.eager for o in known)
        chosen = (
            known[0]
            if wrapped
            else next((o for o in known if o.bounded or o.paginated or o.stage == SINGLE), known[0])
        )
        return replace(chosen, scoped=scoped, eager=eager)

    def _ref(self, value: Value, frame: Frame) -> Optional[Rows]:
        name = value.text
        if not name or "." in name:
            return None
        bound = frame.argument(name)
        if bound is not None:
            return self.rows(bound[0], bound[1]) if bound[1] is not None else None
        assignments = self.assignments(frame.function).get(name)
        if not assignments:
            return None
        key = (id(frame), name)
        if key in self._active:
            return self._bases.get(key)
        self._active.add(key)
        try:
            plain = [a for a in assignments if not _mentions(a.value, name)]
            again = [a for a in assignments if _mentions(a.value, name)]
            base = self.combine(self._assigned(a, frame) for a in plain)
            self._bases[key] = base
            return self.combine([base, *(self._assigned(a, frame) for a in again)])
        finally:
            self._active.discard(key)
            self._bases.pop(key, None)

    def _assigned(self, assignment: Assignment, frame: Frame) -> Optional[Rows]:
        value = assignment.value
        if assignment.position is not None:
            if value.kind not in ("tuple", "list") or assignment.position >= len(value.elements):
                return None
            value = value.elements[assignment.position]
        return self.rows(value, frame)

    def _call(self, value: Value, frame: Frame) -> Optional[Rows]:
        name = method_name(value)
        symbol = self.call_symbol(value)
        if symbol:
            if self.helpers.matches(symbol):
                return _at(Rows(LIST, paginated=True), value, frame)
            if self.statements.matches(symbol):
                return self._start(value, frame, STATEMENT)
            if self.queries.matches(symbol):
                return self._start(value, frame, QUERY)
            if self.pass_through.matches(symbol):
                inner_value = argument(value.args, 0, "content", "obj", "iterable", "queryset")
                inner = self.rows(inner_value, frame) if inner_value is not None else None
                if inner is not None and inner.iterable:
                    return replace(inner, stage=LIST)
                return inner if inner is not None and inner.stage == SINGLE else None
        if value.receiver is not None and name in self.run_methods | self.fetch_all_methods:
            # ``session.execute(select(...))``: the statement says what it is, whatever the
            # session is.
            statement = argument(value.args, 0, "statement", "query")
            inner = self.rows(statement, frame) if statement is not None else None
            if inner is not None and inner.stage == STATEMENT:
                stage = LIST if name in self.fetch_all_methods else RESULT
                return _at(inner, value, frame, stage=stage)
        if value.receiver is not None:
            base = self.rows(value.receiver, frame)
            if base is not None:
                return self._method(base, name, value, frame)
            model = self._model_query(value, name)
            if model:
                return self._start(value, frame, QUERY, model=model, on_await=True)
        if value.symbol:
            resolved = self.project.resolve(value.symbol)
            if resolved.kind == "function" and resolved.function is not None:
                return self._returned(resolved.function, value, frame)
            if resolved.kind == "instance":  # a callable object: its ``__call__``
                method = self.project.find_method(resolved.symbol[: -len(CALL)], "__call__")
                return self._returned(method, value, frame) if method is not None else None
            if resolved.kind == "class":
                return self.combine(
                    [self.rows(arg.value, frame) for arg in value.args if not arg.star],
                    wrapped=True,
                )
        return None

    def _start(
        self, value: Value, frame: Frame, stage: str, model: str = "", on_await: bool = False
    ) -> Rows:
        first = argument(value.args, 0, "entities", "filter")
        model_name = ""
        if not model and first is not None:
            model = self.class_key(first)
        if model:
            model_name = model.rpartition(".")[2]
        elif first is not None and first.kind == "ref" and first.text:
            model_name = first.text
        scoped = False
        bounded = False
        if stage == QUERY:
            # ``find(filter, limit=n)``; and a query's own filter argument
            limit = argument(value.args, -1, "limit")
            bounded = limit is not None and not _is_none_or_zero(limit)
            if not model and first is not None:
                scoped = self.in_scope(first, frame)
                bounded = bounded or (
                    first.kind == "dict" and any(a.keyword == "_id" for a in first.args)
                )
            if on_await:
                scoped = any(self.in_scope(a.value, frame) for a in value.args)
        return Rows(
            stage,
            bounded=bounded,
            model=model,
            model_name=model_name,
            scoped=scoped,
            runs_on_await=on_await,
            text=describe(value),
            function=frame.function,
            span=value.span,
        )

    def _model_query(self, value: Value, name: str) -> str:
        """``Item.all()`` / ``Item.find(...)`` on an ORM model class (Tortoise, Beanie)."""
        if name not in self.model_methods or value.receiver is None:
            return ""
        key = self.class_key(value.receiver)
        if key and any(self.project.derives_from(key, base) for base in self.model_bases):
            return key
        return ""

    def _method(self, base: Rows, name: str, value: Value, frame: Frame) -> Optional[Rows]:
        if name in self.bounding_methods:
            return _at(base, value, frame, bounded=True)
        if name in self.single_methods:
            return _at(base, value, frame, stage=SINGLE, bounded=True)
        if name in self.all_rows_methods:
            if not base.iterable:
                return None
            bounded = base.bounded
            if name == "to_list":
                length = argument(value.args, 0, "length")
                bounded = bounded or (length is not None and not _is_none_or_zero(length))
            return _at(base, value, frame, stage=LIST, bounded=bounded)
        if name in self.aggregating_methods or (name == "distinct" and not base.model):
            # one row per group, or per distinct value of a column: not the table's rows
            return _at(base, value, frame, bounded=True, model="")
        if name in self.chain_methods or name in self.filter_methods:
            scoped = base.scoped
            eager = base.eager or name in self.eager_methods
            bounded = base.bounded
            columns = base.filtered_columns
            if name in self.filter_methods:
                scoped = scoped or any(self.in_scope(a.value, frame) for a in value.args)
                limit = argument(value.args, -1, "limit")  # ``find(filter, limit=n)``
                bounded = bounded or (limit is not None and not _is_none_or_zero(limit))
                compared = _compared_columns(value)
                columns = columns | compared
                bounded = bounded or self._picks_by_key(value, base.model, compared, frame)
            if name == "options":
                eager = eager or self._eager_options(value)
            return _at(
                base,
                value,
                frame,
                scoped=scoped,
                eager=eager,
                bounded=bounded,
                filtered_columns=columns,
            )
        return None

    def _picks_by_key(
        self, value: Value, model: str, compared: frozenset[str], frame: Frame
    ) -> bool:
        """A filter that picks rows by key: the primary key (``Item.id == x``, ``_id``), or
        the keys a request lists (``Item.id.in_(ids)``): as many rows as keys, not the table."""
        keys = self.primary_keys(model)
        # every column of the key (one column usually; a composite key needs them all)
        if "_id" in compared or (keys and keys <= self._model_columns(value, model)):
            return True
        for arg in value.args:
            for inner in walk_values(arg.value, 60):
                if inner.kind == "call" and method_name(inner) == "in_" and inner.args:
                    column = inner.receiver if inner.receiver is not None else inner
                    listed = inner.args[0].value
                    if (
                        len(keys) == 1
                        and self._column_of(column, model) in keys
                        and self.rows(listed, frame) is None
                        and listed.kind != "call"
                    ):
                        return True
                if inner.kind == "dict" and any(a.keyword == "_id" for a in inner.args):
                    return True
        return False

    def _column_of(self, value: Value, model: str) -> str:
        """``Item.id`` → ``id`` when ``Item`` is the model (not a joined one), else ""."""
        if value.kind != "ref" or not value.symbol or "." not in value.text:
            return ""
        owner, _, column = value.symbol.rpartition(".")
        resolved = self.project.resolve(owner) if owner else None
        return column if resolved is not None and resolved.symbol == model else ""

    def _model_columns(self, value: Value, model: str) -> set[str]:
        """Columns of the model that a filter compares: ``filter_by`` keywords, and
        ``Model.column`` operands of comparisons."""
        columns = {a.keyword for a in value.args if a.keyword}
        for arg in value.args:
            for inner in walk_values(arg.value, 60):
                if inner.kind == "compare":
                    columns.update(self._column_of(operand, model) for operand in inner.elements)
        return {c for c in columns if c}

    def primary_keys(self, model: str) -> frozenset[str]:
        """Columns declared ``primary_key=True`` (or ``pk=True``) on a model class."""
        if not model or model not in self.project.classes:
            return frozenset()
        hit = self._primary_keys.get(model)
        if hit is None:
            names: set[str] = set()
            seen: set[str] = set()
            stack = [model]
            while stack:
                key = stack.pop()
                if key in seen or key not in self.project.classes:
                    continue
                seen.add(key)
                for name, values in self.project.classes[key][1].attributes:
                    if any(_declares_key(v) for v in values):
                        names.add(name)
                stack.extend(self.project.class_bases(key))
            hit = frozenset(names)
            self._primary_keys[model] = hit
        return hit

    def _eager_options(self, value: Value) -> bool:
        """Loader options: eager when any is a known eager loader or cannot be told."""
        for arg in value.args:
            inner = arg.value
            while (
                inner.kind == "call" and inner.receiver is not None and inner.text.startswith(".")
            ):
                inner = inner.receiver  # ``selectinload(A.b).selectinload(B.c)``
            if inner.kind != "call":
                return True
            symbol = self.resolved(inner.symbol)
            if not symbol or self.eager_loaders.matches(symbol):
                return True
        return False

    def _returned(self, callee: Function, call: Value, frame: Frame) -> Optional[Rows]:
        """What a project function returns, read with the caller's arguments."""
        if frame.depth >= _MAX_DEPTH or callee.summary.is_generator:
            return None
        callee_frame = self.callee_frame(callee, call, frame)
        key = (callee.key, tuple(sorted(callee_frame.scope)))
        cacheable = not callee_frame.arguments or all(
            _is_plain(value) for _, value, _ in callee_frame.arguments
        )
        if cacheable and key in self._returns:
            return self._returns[key]
        marker = (id(callee), callee.key)
        if marker in self._active:
            return None  # recursion
        self._active.add(marker)
        try:
            outcome = self.combine(self.rows(r, callee_frame) for r in callee.summary.returns)
        finally:
            self._active.discard(marker)
        if cacheable:
            self._returns[key] = outcome
        return outcome

    # --- routes -------------------------------------------------------------------------

    def route_scope(self, route: Route) -> set[str]:
        """A route's path parameters and the parameters FastAPI injects (the current user)."""
        names: set[str] = set()
        for path in {route.path, *self.project.full_paths(route)}:
            names.update(_PATH_PARAM.findall(path))
        for param in route.handler.summary.params:
            if self.is_injected(param) or self._is_path_param(param):
                names.add(param.name)
        return names

    def _is_path_param(self, param: Parameter) -> bool:
        default = param.default
        return bool(
            default is not None
            and default.kind == "call"
            and self.resolved(default.symbol) in ("fastapi.Path", "fastapi.params.Path")
        )

    def annotation_parts(self, param: Parameter) -> tuple[Optional[Value], tuple[Value, ...]]:
        """A parameter's type and its ``Annotated`` metadata, through type aliases."""
        annotation, extras = param.annotation, param.annotation_extras
        for _ in range(4):
            if annotation is None or annotation.kind != "ref" or not annotation.symbol:
                break
            key = self.project.binding_of(annotation.symbol)
            aliased = self.project.binding_value(key) if key else None
            if (
                aliased is None
                or aliased.kind != "subscript"
                or self.resolved(aliased.symbol) not in ANNOTATED
                or not aliased.elements
            ):
                break
            annotation, extras = aliased.elements[0], (*extras, *aliased.elements[1:])
        return annotation, extras

    def is_injected(self, param: Parameter) -> bool:
        """Given by a dependency (``Depends``/``Security``), not read from the request."""
        _, extras = self.annotation_parts(param)
        candidates = [param.default, *extras]
        return any(
            c is not None and c.kind == "call" and self.resolved(c.symbol) in DEPENDS
            for c in candidates
        )

    def dependency_target(self, param: Parameter) -> Optional[Value]:
        """What ``Depends(x)`` calls: ``x``, or the annotation for a bare ``Depends()``."""
        annotation, extras = self.annotation_parts(param)
        for candidate in (param.default, *extras):
            if candidate is None or candidate.kind != "call":
                continue
            if self.resolved(candidate.symbol) not in DEPENDS:
                continue
            target = argument(candidate.args, 0, "dependency")
            return target if target is not None else annotation
        return None

    def parameter_names(self, function: Function, seen: Optional[set[str]] = None) -> set[str]:
        """Every request parameter a function takes, through its dependencies and models."""
        seen = seen if seen is not None else set()
        if function.key in seen:
            return set()
        seen.add(function.key)
        names: set[str] = set()
        for param in function.summary.params:
            names.add(param.name)
            annotation, _ = self.annotation_parts(param)
            for type_value in (annotation, self.dependency_target(param)):
                if type_value is None or type_value.kind != "ref":
                    continue
                key = self.class_key(type_value)
                if key:
                    names |= self.class_fields(key)
                dependency = self.project.resolve_function(type_value.symbol)
                if dependency is not None:  # ``Annotated[dict, Depends(paging)]`` via an alias
                    names |= self.parameter_names(dependency, seen)
        for dependency in self.project.dependencies_of(function):
            names |= self.parameter_names(dependency, seen)
        return names

    def class_fields(self, class_key: str, _seen: Optional[set[str]] = None) -> set[str]:
        seen = _seen if _seen is not None else set()
        if class_key in seen or class_key not in self.project.classes:
            return set()
        seen.add(class_key)
        _, klass = self.project.classes[class_key]
        names = {name for name, _ in klass.attributes} | {name for name, _ in klass.annotations}
        init = self.project.functions.get(f"{class_key}.__init__")
        if init is not None:
            names |= {p.name for p in init.summary.params}
        for base in self.project.class_bases(class_key):
            names |= self.class_fields(base, seen)
        return names

    def uses_pagination_helper(self, route: Route) -> bool:
        """A pagination type or helper in the route's declaration, parameters or calls."""
        handler = route.handler
        declared: list[Value] = []
        if route.registration is not None:
            declared += [a.value for a in route.registration.args if a.keyword == "response_model"]
        if handler.summary.return_annotation is not None:
            declared.append(handler.summary.return_annotation)
        declared += [d.value for d in handler.summary.decorators]
        for param in handler.summary.params:
            annotation, _ = self.annotation_parts(param)
            declared += [v for v in (annotation, self.dependency_target(param)) if v is not None]
        for value in declared:
            for inner in walk_values(value, 40):
                if inner.kind in ("ref", "call", "subscript") and self.helpers.matches(
                    self.resolved(inner.symbol)
                ):
                    return True
        functions = [handler, *self.project.dependencies_of(handler)]
        return any(
            self.helpers.matches(self.resolved(call.symbol))
            for function in functions
            for call in function.summary.calls
            if call.symbol
        )

    def route_returns(self, route: Route) -> Optional[Rows]:
        """The rows a route returns, read from its return statements."""
        handler = route.handler
        if handler.summary.is_generator:
            return None
        frame = self.frame(handler, self.route_scope(route))
        return self.combine(self.rows(r, frame) for r in handler.summary.returns)

    def declares_collection(self, route: Route) -> bool:
        """``response_model=list[...]`` or ``-> list[...]`` (also Sequence, set...)."""
        declared: list[Value] = []
        if route.registration is not None:
            declared += [a.value for a in route.registration.args if a.keyword == "response_model"]
        if route.handler.summary.return_annotation is not None:
            declared.append(route.handler.summary.return_annotation)
        for value in declared:
            head = value.symbol if value.kind in ("subscript", "ref") else ""
            if head and self.resolved(head) in _COLLECTION_TYPES:
                return True
        return False


def _at(rows: Rows, value: Value, frame: Frame, **changes: object) -> Rows:
    """The rows as of ``value``, the code that now makes them."""
    return replace(
        rows,
        text=describe(value),
        function=frame.function,
        span=value.span,
        **changes,  # type: ignore[arg-type]
    )


def _declares_key(value: Value) -> bool:
    return value.kind == "call" and any(
        a.keyword in ("primary_key", "pk") and a.value.kind == "const" and a.value.literal == "True"
        for a in value.args
    )


def _compared_columns(value: Value) -> frozenset[str]:
    """``.where(Item.owner_id == x)`` → ``owner_id``; ``.filter_by(owner_id=x)`` too."""
    names = {a.keyword for a in value.args if a.keyword}
    for arg in value.args:
        for inner in walk_values(arg.value, 60):
            if inner.kind != "compare":
                continue
            for operand in inner.elements:
                parts = operand.text.split(".") if operand.kind == "ref" else []
                if len(parts) == 2 and parts[0][:1].isupper():
                    names.add(parts[1])
    return frozenset(n for n in names if n)


def _is_static(function: Function) -> bool:
    return any(
        d.value.kind == "ref" and d.value.symbol == "builtins.staticmethod"
        for d in function.summary.decorators
    )


def _is_none_or_zero(value: Value) -> bool:
    return (value.kind == "const" and value.literal == "None") or (
        value.kind == "num" and value.literal == 0
    )


def _is_plain(value: Value) -> bool:
    """A value whose rows do not depend on the caller's frame (a literal, a constant)."""
    return value.kind in ("str", "num", "const")


def _mentions(value: Value, name: str) -> bool:
    return any(root_name(inner) == name for inner in walk_values(value))


# --- the findings -----------------------------------------------------------------------


@dataclass(frozen=True)
class UnboundedListRoute:
    route: Route
    rows: Rows
    path: str


def unbounded_list_routes(project: ProjectModel) -> list[UnboundedListRoute]:
    """GET routes that return every row of a query, with no bound and no pagination."""

    def compute() -> list[UnboundedListRoute]:
        reader = QueryReader(project)
        out: list[UnboundedListRoute] = []
        for route in project.routes:
            if route.websocket or "GET" not in route.methods:
                continue
            rows = reader.route_returns(route)
            if rows is None or not rows.unbounded_list:
                continue
            if reader.uses_pagination_helper(route):
                continue
            names = reader.parameter_names(route.handler)
            if names & reader.pagination_parameters:
                continue
            paths = project.full_paths(route)
            out.append(UnboundedListRoute(route, rows, paths[0] if paths else route.path))
        return out

    return project.memoized("FLT4xx.unbounded_list_routes", compute)


def _where(rows: Rows, route: Route, root: str) -> str:
    """`` in crud.get_items() [app/crud.py:12]`` when the query is outside the handler."""
    function = rows.function
    if function is None or function.key == route.handler.key:
        return ""
    line = rows.span.line if rows.span is not None else function.summary.def_line
    return f" in {function.display_name} [{relative_path(function.module.path, root)}:{line}]"


_COMMON_DOC = """

## What counts as a bound
A route is left alone when any of these holds:

- it takes a parameter that limits the result: `limit`, `size`, `page`, `per_page`,
  `page_size`, `cursor`, `first`/`last`, `after`/`before`... (`offset` and `skip` only with a
  limit), directly, through `Query(...)`, through a dependency (a function or a class, also
  `Annotated[..., Depends(...)]`) or through a parameter model;
- the query is bounded: `.limit(n)`, `.slice(a, b)`, `[:n]`, `.first()`, `.one()`, `.get()`,
  `.count()`, `find(..., limit=n)`, `to_list(n)`;
- it uses a pagination library: a `fastapi-pagination` `Page[...]` response model or return
  annotation, its `Params` dependency, or its `paginate(...)`;
- the query aggregates: `.group_by(...)` (one row per group), or `.distinct()` over columns;
- it returns something fastlint cannot trace to a query: a module-level constant, a literal
  list, a value from a library it does not know, raw SQL text.

fastlint follows the returned value through local names, method chains (`.filter()`,
`.order_by()`, `.scalars()`), comprehensions (`[ItemOut.model_validate(i) for i in rows]`),
wrapper objects and dicts (`{"items": rows}`), `list()`, `sorted()` and
`jsonable_encoder()`, and into the project's own functions (repositories, CRUD helpers)
across files. Queries it reads: SQLAlchemy and SQLModel (`session.query(...)`,
`session.execute/scalars/exec(select(...))`, sync and async), `databases`
(`fetch_all(table.select())`), PyMongo and Motor (`find()`, `list(cursor)`,
`to_list(None)`), Tortoise and Beanie model queries.

## Options
Mark the project's own pagination helper as a bound in `pyproject.toml`. A route is not
reported when the helper is its response model or return annotation (`Page[Item]`), a
decorator on it, the type or the dependency of one of its parameters, or a function it (or
one of its dependencies) calls, or the call that makes what it returns:

```toml
[tool.fastlint.catalog.pagination]
helpers = ["app.api.pagination.paginate", "app.api.pagination.Page"]
# more names of parameters that bound a route's result
parameters = ["max_items"]
```
"""


class UnpaginatedListEndpoint(Rule):
    """## What it does
    Finds GET routes that return every row of a query: `db.query(Item).all()`,
    `session.scalars(select(Item)).all()`, `list(collection.find())`, in the route or in a
    project function it calls, with no limit parameter, no bound on the query and no
    pagination.

    ## Why is this bad?
    The response grows with the table. What returns ten rows in development returns a
    hundred thousand in production: one request then loads them all into memory, serialises
    them and sends megabytes, and a few such requests take the worker down. Take a `limit`
    (with an upper bound, see FLT501) and an `offset` or a cursor, or use a pagination
    library such as `fastapi-pagination`.

    Routes whose query is scoped to a parent (`/articles/{slug}/comments`) or to the current
    user are reported as FLT402 instead.

    ## Fix safety
    The fix is unsafe: it changes the API. A client that got every row now gets the first
    100 (`limit` defaults to 100; more than 1000 is refused with a 422) and has to page with
    `skip` and `limit` to read the rest. The fix adds `skip: int = 0` and
    `limit: int = Query(100, le=1000)` after the route's last ordinary parameter (or last
    keyword-only one, when it has a `*`), and applies `.offset(skip).limit(limit)` to the
    query where it runs: `db.query(Item).filter(...).offset(skip).limit(limit).all()`,
    `session.execute(select(Item).where(...).offset(skip).limit(limit))`, likewise for
    `session.scalars()` and SQLModel's `session.exec()`. It follows the module: `offset`
    rather than `skip` when its other routes take `offset` and `limit`,
    `limit: Annotated[int, Query(le=1000)] = 100` when it declares parameters with
    `Annotated`, and `Query` as the module imports it (imported from fastapi when missing).

    It is offered only when fastlint sees the whole change: the route is a module-level
    function that no project code calls, with no decorator besides its route registrations;
    its one SQLAlchemy or SQLModel query (no second one, such as a count) is written in it,
    not in a helper; the rows the route returns are that query's, directly or through local
    names, `list()` or a comprehension (not sorted in Python or wrapped in a dict, whose
    other fields would then describe a page); the query has no `.offset()` yet; and the new
    names are free (neither parameters, path parameters, nor names the route or the module
    uses). Pages are only stable when the query is ordered: add an `order_by` if it has none.
    """

    code = "FLT401"
    name = "unpaginated-list-endpoint"
    summary = "A GET route returns every row of a query, with no limit or pagination"
    common_doc = _COMMON_DOC
    fix_title = "Take `skip` and `limit` parameters and apply them to the query"
    fix_safety = "unsafe"
    valid = (
        """
from fastapi import Depends, FastAPI, Query
from sqlalchemy.orm import Session

app = FastAPI()

def get_db(): ...

@app.get("/items")
def list_items(
    offset: int = 0,
    limit: int = Query(50, le=200),
    db: Session = Depends(get_db),
):
    return db.query(Item).offset(offset).limit(limit).all()
""",
        """
from fastapi import FastAPI

app = FastAPI()
COUNTRIES = ["DE", "FR", "NL"]

@app.get("/countries")
def countries():
    return COUNTRIES  # a constant: it does not grow
""",
    )
    invalid = (
        Example(
            """
from fastapi import Depends, FastAPI
from sqlalchemy.orm import Session

app = FastAPI()

def get_db(): ...

@app.get("/items", response_model=list[ItemOut])
def list_items(db: Session = Depends(get_db)):
    return db.query(Item).order_by(Item.id).all()
""",
            fixed="""
from fastapi import Query, Depends, FastAPI
from sqlalchemy.orm import Session

app = FastAPI()

def get_db(): ...

@app.get("/items", response_model=list[ItemOut])
def list_items(
    db: Session = Depends(get_db),
    skip: int = 0,
    limit: int = Query(100, le=1000),
):
    return db.query(Item).order_by(Item.id).offset(skip).limit(limit).all()
""",
        ),
        Example(
            """
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

app = FastAPI()

@app.get("/orders")
async def list_orders(session: AsyncSession):
    result = await session.execute(select(Order).order_by(Order.created_at))
    return [OrderOut.model_validate(o) for o in result.scalars().all()]
"""
        ),
    )

    def check(self, project: ProjectModel) -> Iterator[RawFinding]:
        # Imported here: the fix reads queries with this module's QueryReader.
        from fastlint.rules.pagination_fix import pagination_fix

        reader: Optional[QueryReader] = None
        for found in unbounded_list_routes(project):
            if found.rows.scoped:
                continue
            reader = reader or QueryReader(project)
            rows = found.rows
            what = f"every `{rows.model_name}` row" if rows.model_name else "every row of a query"
            yield RawFinding(
                path=found.route.handler.module.path,
                span=found.route.span,
                message=(
                    f"GET {found.path} returns {what} (`{rows.text}`"
                    f"{_where(rows, found.route, project.root)}) with no limit or pagination; "
                    "take a bounded `limit` (and an offset or cursor) or use a pagination "
                    "library"
                ),
                fix=pagination_fix(project, found, reader),
            )

    def build_fix(
        self, request: FixRequest, target: cst.CSTNode, context: FixContext
    ) -> Optional[cst.CSTNode]:
        from fastlint.rules.pagination_fix import paginate_route

        return paginate_route(request, target, context)


class UnpaginatedChildCollection(Rule):
    """## What it does
    Finds GET routes that return every row of a query scoped to a parent or to the current
    user: `/articles/{slug}/comments` returning all the article's comments, `/me/orders`
    returning all the user's orders. Otherwise as FLT401.

    ## Why is this bad?
    A child collection is usually small, which is why it is reported under a code of its
    own, at a lower severity (a SARIF `note`). But some grow without limit: the comments of
    a popular post, the orders of a long-standing customer, the events of a busy device. If
    the collection stays small by design, ignore this code
    (`ignore = ["FLT402"]`, or `# noqa: FLT402` on the route); otherwise paginate it like any
    list.

    A query is scoped when its filter (`.where()`, `.filter()`, `.filter_by()`, a `find()`
    document) uses a path parameter of the route, a value FastAPI injects through `Depends`
    (such as the current user), or a value computed from them, also inside the project
    functions they are passed to.
    """

    code = "FLT402"
    name = "unpaginated-child-collection"
    summary = "A GET route returns every row of a collection scoped to a parent or the user"
    common_doc = _COMMON_DOC
    valid = (
        """
from fastapi import Depends, FastAPI, Query
from sqlalchemy import select
from sqlalchemy.orm import Session

app = FastAPI()

def get_db(): ...

@app.get("/articles/{slug}/comments")
def comments(slug: str, limit: int = Query(20, le=100), db: Session = Depends(get_db)):
    statement = select(Comment).where(Comment.article_slug == slug).limit(limit)
    return db.scalars(statement).all()
""",
    )
    invalid = (
        Example(
            """
from fastapi import Depends, FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session

app = FastAPI()

def get_db(): ...

@app.get("/articles/{slug}/comments")
def comments(slug: str, db: Session = Depends(get_db)):
    return db.scalars(select(Comment).where(Comment.article_slug == slug)).all()
"""
        ),
    )

    def check(self, project: ProjectModel) -> Iterator[RawFinding]:
        for found in unbounded_list_routes(project):
            if not found.rows.scoped:
                continue
            rows = found.rows
            what = f"every `{rows.model_name}` row" if rows.model_name else "every row"
            yield RawFinding(
                path=found.route.handler.module.path,
                span=found.route.span,
                message=(
                    f"GET {found.path} returns {what} of a scoped collection (`{rows.text}`"
                    f"{_where(rows, found.route, project.root)}) with no limit; paginate it "
                    "unless it stays small by design"
                ),
            )


RESPONSE_RULES: tuple[type[Rule], ...] = (UnpaginatedListEndpoint, UnpaginatedChildCollection)
