"""FLT5xx: resource bounds and round trips: limits, N+1 queries, compression, fan-out, timeouts."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Optional

from fastlint.catalog.bounds import OutboundCall, SymbolPatterns
from fastlint.findings import ChainStep, Span
from fastlint.index.summary import CallSite, Loop, Parameter, Value
from fastlint.index.symbols import CALL, split_symbol
from fastlint.project import Function, ProjectModel, Route
from fastlint.rules.base import Example, RawFinding, Rule
from fastlint.rules.responses import (
    Frame,
    QueryReader,
    Rows,
    argument,
    describe,
    relative_path,
    root_name,
    walk_values,
)

# Methods whose argument is how many rows to return.
_LIMIT_METHODS = frozenset({"limit", "fetch", "head", "fetchmany", "to_list", "take", "top"})
# Keywords that give a number or a collection an upper bound.
_UPPER_BOUND_KEYWORDS = ("le", "lt", "max_length", "max_items")
_ANNOTATED_BOUNDS = ("annotated_types.Le", "annotated_types.Lt", "annotated_types.MaxLen")
_INT_TYPES = ("builtins.int", "pydantic.conint", "pydantic.types.conint")
_CLAMPS = ("builtins.min",)
_NOT_REQUEST_DATA = (
    "starlette.requests.Request",
    "starlette.requests.HTTPConnection",
    "starlette.websockets.WebSocket",
    "starlette.background.BackgroundTasks",
    "starlette.responses.Response",
    "fastapi.Response",
    "fastapi.responses.Response",
)
_LIST_TYPES = (
    "builtins.list",
    "builtins.set",
    "builtins.tuple",
    "typing.List",
    "typing.Set",
    "typing.Tuple",
    "typing.Sequence",
    "collections.abc.Sequence",
    "pydantic.conlist",
    "pydantic.types.conlist",
)
_FASTAPI_APPS = ("fastapi.FastAPI",)
# Server configuration files that may compress responses in front of the app.
_SERVER_CONFIG = re.compile(r"(nginx.*\.conf|.*\.nginx|Caddyfile|traefik.*\.(ya?ml|toml))$", re.I)
_COMPRESSION_SETTING = re.compile(
    r"^\s*(gzip|brotli|zstd)\s+on\b|^\s*encode\s+(gzip|zstd|br)\b|\bcompress\b", re.I | re.M
)
_SKIPPED_DIRS = {".git", "node_modules", ".venv", "venv", "__pycache__", ".tox", "dist", "build"}


_COMMON_DOC = """

## The FLT5xx family
FLT5xx rules are about the resources one request may take: rows, queries, bandwidth, tasks
and time. They are a family of their own so that a project can adopt them separately:
`ignore = ["FLT5"]` turns them all off, `extend-select = ["FLT503"]` turns on the one that
is off by default. They report only request code: routes, dependencies and the project
functions they call, across modules.

## Options
The knowledge behind them is catalog data, extensible under `[tool.fastlint.catalog]`:

```toml
[tool.fastlint.catalog.pagination]
limit-keywords = ["max_hits"]          # keywords that set how many rows a call returns
[tool.fastlint.catalog.concurrency]
limits = ["app.throttle.Limiter"]      # what bounds concurrency, like asyncio.Semaphore
[tool.fastlint.catalog.compression]
middleware = ["app.middleware.Compress"]

[[tool.fastlint.catalog.outbound-calls]]
timeout = "required"                   # no default timeout: every call needs one
calls = ["app.clients.legacy.fetch"]
```
"""


def _references(value: Value, name: str) -> bool:
    return any(root_name(inner) == name for inner in walk_values(value))


def _within(span: Span, outer: Span) -> bool:
    return (outer.line, outer.column) <= (span.line, span.column) and (
        span.end_line,
        span.end_column,
    ) <= (outer.end_line, outer.end_column)


def _keyword(value: Value, name: str) -> Optional[Value]:
    for arg in value.args:
        if arg.keyword == name:
            return arg.value
    return None


def _class_attribute_values(
    project: ProjectModel, class_key: str, name: str, _seen: Optional[set[str]] = None
) -> list[Value]:
    seen = _seen if _seen is not None else set()
    if class_key in seen or class_key not in project.classes:
        return []
    seen.add(class_key)
    _, klass = project.classes[class_key]
    for attribute, values in klass.attributes:
        if attribute == name:
            return list(values)
    for base in project.class_bases(class_key):
        found = _class_attribute_values(project, base, name, seen)
        if found:
            return found
    return []


def _class_annotation(
    project: ProjectModel, class_key: str, name: str, _seen: Optional[set[str]] = None
) -> Optional[Value]:
    seen = _seen if _seen is not None else set()
    if class_key in seen or class_key not in project.classes:
        return None
    seen.add(class_key)
    _, klass = project.classes[class_key]
    for attribute, annotation in klass.annotations:
        if attribute == name:
            return annotation
    for base in project.class_bases(class_key):
        found = _class_annotation(project, base, name, seen)
        if found is not None:
            return found
    return None


def _request_functions(project: ProjectModel) -> list[Function]:
    """Every function that runs for a request, in a stable order."""
    return [project.functions[key] for key in sorted(project.request_path())]


def _route_functions(project: ProjectModel) -> list[Function]:
    """Route handlers and the dependencies FastAPI resolves for them: where parameters are."""
    out: dict[str, Function] = {}
    stack = [route.handler for route in project.routes if not route.websocket]
    while stack:
        function = stack.pop()
        if function.key in out:
            continue
        out[function.key] = function
        stack.extend(project.dependencies_of(function))
    return [out[key] for key in sorted(out)]


def _is_self(function: Function, index: int) -> bool:
    return index == 0 and function.summary.class_name is not None


# --- FLT501 -----------------------------------------------------------------------------


@dataclass(frozen=True)
class LimitParameter:
    function: Function
    param: Parameter
    use: str  # how it reaches the query, e.g. ``.limit(limit)``


class LimitReader:
    """Finds integer request parameters that set how many rows a query returns."""

    def __init__(self, project: ProjectModel, reader: QueryReader) -> None:
        self.project = project
        self.reader = reader
        self.limit_keywords = project.catalog.bounds.names("pagination", "limit-keywords")

    def is_int(self, param: Parameter) -> bool:
        annotation, _ = self.reader.annotation_parts(param)
        if annotation is None:
            default = param.default
            if default is not None and default.kind == "call":
                default = argument(default.args, 0, "default")
            return (
                default is not None and default.kind == "num" and isinstance(default.literal, int)
            )
        symbol = self.reader.resolved(annotation.symbol) if annotation.symbol else ""
        return symbol in _INT_TYPES

    def has_upper_bound(self, param: Parameter) -> bool:
        annotation, extras = self.reader.annotation_parts(param)
        for candidate in (param.default, annotation, *extras):
            if candidate is None or candidate.kind != "call":
                continue
            if any(
                arg.keyword in _UPPER_BOUND_KEYWORDS and not _is_none(arg.value)
                for arg in candidate.args
            ):
                return True
            symbol = self.reader.resolved(candidate.symbol)
            if symbol in _ANNOTATED_BOUNDS or symbol == "annotated_types.Interval":
                return True
        return False

    def use(self, function: Function, name: str, depth: int = 0) -> str:
        """How the named parameter sets a number of rows, or "" (also when it is clamped)."""
        summary = function.summary
        if depth > 4 or self._clamped(function, name):
            return ""
        for call in summary.calls:
            refs = [arg for arg in call.args if _references(arg.value, name)]
            if not refs:
                continue
            callee = self.project.resolve_callee(call.symbol) if call.symbol else None
            if callee is not None and callee.key != function.key:
                for param, value, _ in self.reader.bind_arguments(
                    callee, Value("call", call.symbol, args=call.args), self.reader.frame(function)
                ):
                    if _references(value, name):
                        found = self.use(callee, param, depth + 1)
                        if found:
                            return found
                continue
            method = call.text.rpartition(".")[2]
            if method in _LIMIT_METHODS and call.receiver is not None:
                return f"`.{method}({describe(refs[0].value, 24)})`"
            for arg in refs:
                if arg.keyword in self.limit_keywords:
                    return f"`{call.text or method}({arg.keyword}={describe(arg.value, 24)})`"
                if arg.value.kind == "dict" and any(
                    key.keyword in self.limit_keywords and _references(key.value, name)
                    for key in arg.value.args
                ):
                    return f"the bind parameters of `{method or call.text}()`"
        # A dependency hands it on: ``return {"limit": limit}``, ``self.limit = limit``.
        for returned in summary.returns:
            for inner in walk_values(returned, 40):
                if inner.kind == "dict" and any(
                    key.keyword in self.limit_keywords and _references(key.value, name)
                    for key in inner.args
                ):
                    return f"the `limit` that `{function.display_name}` returns"
        if summary.class_name is not None and summary.name == "__init__":
            class_key = f"{function.module.module}.{summary.class_name}"
            for keyword in self.limit_keywords:
                values = _class_attribute_values(self.project, class_key, keyword)
                if any(v.kind == "ref" and v.text == name for v in values):
                    shown = summary.class_name.rpartition(".")[2]
                    return f"`{shown}({keyword}=...)`"
        for candidate in self._values(function):
            for inner in walk_values(candidate):
                if inner.kind != "subscript" or not inner.elements:
                    continue
                index = inner.elements[0]
                if index.kind != "slice" or len(index.elements) < 2:
                    continue
                lower, upper = index.elements[0], index.elements[1]
                # ``rows[offset:offset + limit]``: the offset moves the window, the limit
                # sizes it; a name in both bounds (a page number) does not size it.
                if _references(upper, name) and not _references(lower, name):
                    return f"the slice `[...:{describe(upper, 24)}]`"
        return ""

    def _clamped(self, function: Function, name: str) -> bool:
        summary = function.summary
        if name in summary.ordered_comparisons:
            return True
        if any(a.name == name for a in summary.assignments):
            return True
        return any(
            self.reader.resolved(call.symbol) in _CLAMPS
            and any(_references(a.value, name) for a in call.args)
            for call in summary.calls
            if call.symbol
        )

    @staticmethod
    def _values(function: Function) -> Iterator[Value]:
        summary = function.summary
        yield from summary.returns
        for assignment in summary.assignments:
            yield assignment.value
        for loop in summary.loops:
            yield loop.iterable
        for call in summary.calls:
            for arg in call.args:
                yield arg.value


def unbounded_limit_parameters(project: ProjectModel) -> list[LimitParameter]:
    def compute() -> list[LimitParameter]:
        reader = QueryReader(project)
        limits = LimitReader(project, reader)
        out = []
        for function in _route_functions(project):
            for index, param in enumerate(function.summary.params):
                if param.kind not in ("positional", "keyword") or _is_self(function, index):
                    continue
                if reader.is_injected(param) or not limits.is_int(param):
                    continue
                if limits.has_upper_bound(param):
                    continue
                use = limits.use(function, param.name)
                if use:
                    out.append(LimitParameter(function, param, use))
        return out

    return project.memoized("FLT5xx.limit_parameters", compute)


class UnboundedLimitParameter(Rule):
    """## What it does
    Finds an integer request parameter that sets how many rows a query returns (it reaches
    `.limit(...)`, a slice, `to_list(...)`, or a `limit=` keyword, also through the
    project's own functions) with no upper bound: `limit: int = 100` without `le=`.

    ## Why is this bad?
    The default protects nobody: any client can send `?limit=10000000` and have the route
    load, serialise and send the whole table, which is what pagination was meant to stop.
    Declare the largest page the route serves: `limit: int = Query(100, ge=1, le=1000)` or
    `Annotated[int, Query(le=1000)]`. A parameter clamped in code (`min(limit, 1000)`, or
    compared with `<`/`>` before use) is not reported. Parameters of the route and of its
    dependencies are checked; fields of a parameter model are not (yet).
    """

    common_doc = _COMMON_DOC
    code = "FLT501"
    name = "unbounded-limit-parameter"
    summary = "A `limit` or page-size parameter with no upper bound"
    valid = (
        """
from fastapi import Depends, FastAPI, Query
from sqlalchemy.orm import Session

app = FastAPI()

def get_db(): ...

@app.get("/items")
def list_items(limit: int = Query(100, ge=1, le=1000), db: Session = Depends(get_db)):
    return db.query(Item).limit(limit).all()
""",
        """
from fastapi import Depends, FastAPI
from sqlalchemy.orm import Session

app = FastAPI()
MAX_PAGE = 500

def get_db(): ...

@app.get("/items")
def list_items(limit: int = 100, db: Session = Depends(get_db)):
    return db.query(Item).limit(min(limit, MAX_PAGE)).all()
""",
    )
    invalid = (
        Example(
            """
from fastapi import Depends, FastAPI
from sqlalchemy.orm import Session

app = FastAPI()

def get_db(): ...

@app.get("/items")
def list_items(skip: int = 0, limit: int = 100, db: Session = Depends(get_db)):
    return db.query(Item).offset(skip).limit(limit).all()
"""
        ),
    )

    def check(self, project: ProjectModel) -> Iterator[RawFinding]:
        for found in unbounded_limit_parameters(project):
            name = found.param.name
            yield RawFinding(
                path=found.function.module.path,
                span=found.param.span,
                message=(
                    f"`{name}` reaches {found.use} with no upper bound: a client can send "
                    f"`?{name}=10000000` and get that many rows; declare one, e.g. "
                    f"`{name}: int = Query(100, le=1000)`"
                ),
            )


# --- FLT502 -----------------------------------------------------------------------------


@dataclass(frozen=True)
class LazyLoad:
    function: Function  # where it is reported
    span: Span
    target: str  # the loop variable, e.g. ``item``
    attribute: str
    rows: Rows
    via: str = ""  # the helper that reads it, e.g. ``serialize()``


class RelationshipReader:
    def __init__(self, project: ProjectModel, reader: QueryReader) -> None:
        self.project = project
        self.reader = reader
        self._memo: dict[tuple[str, str], bool] = {}

    def is_lazy(self, model: str, attribute: str) -> bool:
        """Whether ``Model.attribute`` is a relationship loaded on first access."""
        key = (model, attribute)
        hit = self._memo.get(key)
        if hit is None:
            hit = any(
                self._lazy(value)
                for value in _class_attribute_values(self.project, model, attribute)
            )
            self._memo[key] = hit
        return hit

    def _lazy(self, value: Value) -> bool:
        if value.kind != "call":
            return False
        if not self.reader.relationships.matches(self.reader.resolved(value.symbol)):
            return False
        lazy = _keyword(value, "lazy")
        options = _keyword(value, "sa_relationship_kwargs")
        if lazy is None and options is not None and options.kind == "dict":
            lazy = next((a.value for a in options.args if a.keyword == "lazy"), None)
        inner = _keyword(value, "sa_relationship")
        if lazy is None and inner is not None:
            return self._lazy(inner)
        if lazy is None:
            return True  # SQLAlchemy's default, "select": one query on first access
        if lazy.kind == "const":
            return lazy.literal == "True"
        if lazy.kind == "str" and isinstance(lazy.literal, str):
            return lazy.literal == "select"
        return False  # set from a variable: cannot tell


def lazy_loads(project: ProjectModel) -> list[LazyLoad]:
    def compute() -> list[LazyLoad]:
        reader = QueryReader(project)
        relationships = RelationshipReader(project, reader)
        found: dict[tuple[str, int, int], LazyLoad] = {}
        for function in _request_functions(project):
            frame = reader.frame(function)
            for loop in function.summary.loops:
                for load in _loop_loads(project, reader, relationships, function, loop, frame):
                    found.setdefault((function.module.path, load.span.line, load.span.column), load)
            # A helper that loops over rows the caller passes it.
            for call in function.summary.calls:
                callee = project.resolve_callee(call.symbol) if call.symbol else None
                if callee is None or callee.key == function.key or not callee.summary.loops:
                    continue
                call_value = Value("call", call.symbol, args=call.args)
                callee_frame = reader.callee_frame(callee, call_value, frame)
                bound = {name for name, _, _ in callee_frame.arguments}
                for loop in callee.summary.loops:
                    if not any(root_name(v) in bound for v in walk_values(loop.iterable)):
                        continue
                    for load in _loop_loads(
                        project, reader, relationships, callee, loop, callee_frame
                    ):
                        found.setdefault(
                            (callee.module.path, load.span.line, load.span.column), load
                        )
        return [found[key] for key in sorted(found)]

    return project.memoized("FLT5xx.lazy_loads", compute)


def _loop_loads(
    project: ProjectModel,
    reader: QueryReader,
    relationships: RelationshipReader,
    function: Function,
    loop: Loop,
    frame: Frame,
) -> Iterator[LazyLoad]:
    if len(loop.targets) != 1:
        return
    rows = reader.rows(loop.iterable, frame)
    if rows is None or not rows.iterable or not rows.model or rows.eager:
        return
    target = loop.targets[0]
    # Rows filtered on ``parent_id`` share one parent: SQLAlchemy loads it once and serves
    # the other rows from its identity map.
    seen: set[str] = {c[: -len("_id")] for c in rows.filtered_columns if c.endswith("_id")}
    for read in function.summary.attribute_reads:
        if read.name != target or read.attribute in seen or not _within(read.span, loop.span):
            continue
        if relationships.is_lazy(rows.model, read.attribute):
            seen.add(read.attribute)
            yield LazyLoad(function, read.span, target, read.attribute, rows)
    for call in function.summary.calls:
        if not _within(call.span, loop.span) or not call.symbol:
            continue
        if not any(root_name(a.value) == target and a.value.text == target for a in call.args):
            continue
        callee = project.resolve_callee(call.symbol)
        if callee is None or callee.key == function.key:
            continue
        call_value = Value("call", call.symbol, args=call.args)
        for param, value, _ in reader.bind_arguments(callee, call_value, frame):
            if value.kind != "ref" or value.text != target:
                continue
            for read in callee.summary.attribute_reads:
                if read.name != param or read.attribute in seen:
                    continue
                if relationships.is_lazy(rows.model, read.attribute):
                    seen.add(read.attribute)
                    yield LazyLoad(
                        function, call.span, target, read.attribute, rows, callee.display_name
                    )


class NPlusOneLazyLoad(Rule):
    """## What it does
    Finds a loop or comprehension over the rows of a query, in request code or the project
    functions it calls, that reads a relationship SQLAlchemy (or SQLModel) loads lazily: a
    `relationship()` with no eager `lazy=` setting, on a query with no `selectinload`,
    `joinedload` or `subqueryload` option. Reading it in a helper the loop calls with the
    row counts too.

    ## Why is this bad?
    Each first access of a lazy relationship is one more query: a list of 100 orders that
    shows each order's customer makes 101 round trips to the database, and the route gets
    slower with every row. Load the relationship with the query
    (`.options(selectinload(Order.customer))`) or declare it eager on the model
    (`relationship(lazy="selectin")`). With an `AsyncSession` the lazy load fails outright
    (`MissingGreenlet`). Tortoise's `prefetch_related`/`select_related` count as eager.
    """

    common_doc = _COMMON_DOC
    code = "FLT502"
    name = "n-plus-one-lazy-load"
    summary = "A loop over query rows reads a lazily loaded relationship: one query per row"
    valid = (
        """
from fastapi import Depends, FastAPI
from sqlalchemy import ForeignKey, select
from sqlalchemy.orm import DeclarativeBase, Session, relationship, selectinload

app = FastAPI()

class Base(DeclarativeBase): ...

class Order(Base):
    __tablename__ = "orders"
    customer = relationship("Customer")

def get_db(): ...

@app.get("/orders")
def orders(db: Session = Depends(get_db)):
    statement = select(Order).options(selectinload(Order.customer)).limit(100)
    return [{"id": o.id, "customer": o.customer.name} for o in db.scalars(statement)]
""",
    )
    invalid = (
        Example(
            """
from fastapi import Depends, FastAPI
from sqlalchemy import select
from sqlalchemy.orm import DeclarativeBase, Session, relationship

app = FastAPI()

class Base(DeclarativeBase): ...

class Order(Base):
    __tablename__ = "orders"
    customer = relationship("Customer")

def get_db(): ...

@app.get("/orders")
def orders(db: Session = Depends(get_db)):
    statement = select(Order).limit(100)
    return [{"id": o.id, "customer": o.customer.name} for o in db.scalars(statement)]
"""
        ),
    )

    def check(self, project: ProjectModel) -> Iterator[RawFinding]:
        for load in lazy_loads(project):
            model = load.rows.model_name or load.rows.model.rpartition(".")[2]
            reader = f"{load.via} reads" if load.via else "reads"
            where = ""
            rows = load.rows
            if rows.function is not None and rows.span is not None:
                path = relative_path(rows.function.module.path, project.root)
                where = f" [{path}:{rows.span.line}]"
            yield RawFinding(
                path=load.function.module.path,
                span=load.span,
                message=(
                    f"{reader} `{load.target}.{load.attribute}`, a lazily loaded relationship, "
                    f"once per row of `{rows.text}`{where}: one query per row (N+1); load it "
                    f"with the query, `.options(selectinload({model}.{load.attribute}))`, or "
                    'declare it `lazy="selectin"`'
                ),
            )


# --- FLT503 -----------------------------------------------------------------------------


@dataclass(frozen=True)
class UncompressedApp:
    module_path: str
    span: Span
    list_routes: tuple[str, ...]


def _all_calls(project: ProjectModel) -> Iterator[tuple[str, CallSite]]:
    for summary in project.modules.values():
        for call in summary.module_calls:
            yield summary.path, call
        for function in summary.functions:
            for call in function.calls:
                yield summary.path, call


def _is_test_module(path: str) -> bool:
    """Apps made by tests (``tests/``, ``test_*.py``, ``conftest.py``) are not served."""
    parts = path.replace(os.sep, "/").split("/")
    name = parts[-1]
    return (
        name == "conftest.py"
        or name.startswith("test_")
        or name.endswith("_test.py")
        or any(part in ("tests", "test") for part in parts[:-1])
    )


def _server_compresses(root: str) -> bool:
    """A web server configuration in the project that compresses responses."""
    if not root or not os.path.isdir(root):
        return False
    base_depth = root.rstrip(os.sep).count(os.sep)
    for directory, subdirectories, files in os.walk(root):
        subdirectories[:] = [
            d for d in subdirectories if d not in _SKIPPED_DIRS and not d.startswith(".")
        ]
        if directory.count(os.sep) - base_depth >= 3:
            subdirectories[:] = []
        for name in files:
            if not _SERVER_CONFIG.search(name):
                continue
            try:
                with open(os.path.join(directory, name), encoding="utf-8", errors="replace") as f:
                    if _COMPRESSION_SETTING.search(f.read(200_000)):
                        return True
            except OSError:
                continue
    return False


def uncompressed_apps(project: ProjectModel) -> list[UncompressedApp]:
    def compute() -> list[UncompressedApp]:
        reader = QueryReader(project)
        middleware = project.catalog.bounds.patterns("compression", "middleware")
        apps: list[tuple[str, CallSite]] = []
        for path, call in _all_calls(project):
            symbol = reader.resolved(call.symbol) if call.symbol else ""
            if symbol in _FASTAPI_APPS and not _is_test_module(relative_path(path, project.root)):
                apps.append((path, call))
            if middleware.matches(symbol):
                return []  # ``GZipMiddleware(app)``
            for arg in call.args:
                for inner in walk_values(arg.value, 20):
                    if inner.kind == "ref" and middleware.matches(reader.resolved(inner.symbol)):
                        return []  # ``add_middleware(GZipMiddleware)``, ``Middleware(...)``
        if not apps or _server_compresses(project.root):
            return []
        serving = _AppsServing(project, reader)
        list_routes = [
            route
            for route in project.routes
            if not route.websocket and "GET" in route.methods and _returns_list(reader, route)
        ]
        out = []
        for path, call in apps:
            key = serving.app_key(path, call) if len(apps) > 1 else ""
            if len(apps) > 1 and not key:
                continue  # made in a function: which routes it serves cannot be told
            served = sorted(
                {
                    f"GET {(project.full_paths(route) or [route.path])[0]}"
                    for route in list_routes
                    if not key or key in serving.apps_of(route.owner)
                }
            )
            if served:
                out.append(UncompressedApp(path, call.span, tuple(served)))
        return out

    return project.memoized("FLT5xx.uncompressed_apps", compute)


class _AppsServing:
    """Which module-level app serves a router, through ``include_router``."""

    def __init__(self, project: ProjectModel, reader: QueryReader) -> None:
        self.project = project
        self.parents: dict[str, set[str]] = {}  # router binding -> bindings including it
        for _, call in _all_calls(project):
            tokens = split_symbol(call.symbol) if call.symbol else []
            if not tokens or tokens[-1] != "include_router":
                continue
            child = argument(call.args, 0, "router")
            if child is None or child.kind != "ref" or not child.symbol:
                continue
            child_key = project.binding_of(child.symbol)
            parent_key = project.binding_of(".".join(tokens[:-1]))
            if child_key and parent_key:
                self.parents.setdefault(child_key, set()).add(parent_key)

    def app_key(self, path: str, call: CallSite) -> str:
        """The binding ``FastAPI(...)`` is assigned to at module level, or ""."""
        for summary in self.project.modules.values():
            if summary.path != path:
                continue
            for binding in summary.bindings:
                if binding.value.kind == "call" and binding.value.span == call.span:
                    return f"{summary.module}.{binding.name}"
        return ""

    def apps_of(self, owner: str, _seen: Optional[set[str]] = None) -> set[str]:
        seen = _seen if _seen is not None else set()
        if not owner or owner in seen:
            return set()
        seen.add(owner)
        out = {owner}
        for parent in self.parents.get(owner, ()):
            out |= self.apps_of(parent, seen)
        return out


def _returns_list(reader: QueryReader, route: Route) -> bool:
    if reader.declares_collection(route):
        return True
    rows = reader.route_returns(route)
    return rows is not None and rows.stage == "list"


class MissingResponseCompression(Rule):
    """## What it does
    Finds a FastAPI app (the `FastAPI(...)` call) that has list endpoints (GET routes that
    declare a list response or return the rows of a query) but compresses no response: no
    `GZipMiddleware` (or a Brotli or Zstandard middleware) anywhere in the project, and no
    `gzip on`/`encode`/`compress` setting in a web server configuration kept in the
    project (nginx, Caddy, Traefik).

    Off by default: many deployments compress at a proxy fastlint cannot see.

    ## Why is this bad?
    JSON lists compress five to ten times. Uncompressed, a page of results that could be
    30 KB on the wire is 250 KB: slower for every client on a slow network, and more
    bandwidth for you. Add `app.add_middleware(GZipMiddleware, minimum_size=1000)`, or
    compress at the proxy in front of the app.
    """

    common_doc = _COMMON_DOC
    code = "FLT503"
    name = "missing-response-compression"
    summary = "An app with list endpoints compresses no response"
    enabled_by_default = False
    valid = (
        """
from fastapi import FastAPI
from fastapi.middleware.gzip import GZipMiddleware

app = FastAPI()
app.add_middleware(GZipMiddleware, minimum_size=1000)

@app.get("/items", response_model=list[Item])
def items(): ...
""",
    )
    invalid = (
        Example(
            """
from fastapi import FastAPI

app = FastAPI()

@app.get("/items", response_model=list[Item])
def items(): ...
"""
        ),
    )

    def check(self, project: ProjectModel) -> Iterator[RawFinding]:
        for app in uncompressed_apps(project):
            shown = ", ".join(app.list_routes[:3])
            more = f" and {len(app.list_routes) - 3} more" if len(app.list_routes) > 3 else ""
            yield RawFinding(
                path=app.module_path,
                span=app.span,
                message=(
                    f"the app serves lists ({shown}{more}) but compresses no response; add "
                    "`app.add_middleware(GZipMiddleware, minimum_size=1000)` or compress at "
                    "the proxy"
                ),
            )


# --- FLT504 -----------------------------------------------------------------------------


@dataclass(frozen=True)
class FanOut:
    function: Function
    call: CallSite
    source: str  # what the tasks are made from
    kind: str  # "request data" or "query"


class FanOutReader:
    def __init__(self, project: ProjectModel, reader: QueryReader) -> None:
        self.project = project
        self.reader = reader
        knowledge = project.catalog.bounds
        self.gathers = knowledge.patterns("concurrency", "gathers")
        self.waits = knowledge.patterns("concurrency", "waits")
        self.limits = knowledge.patterns("concurrency", "limits")

    def request_inputs(self, function: Function) -> set[str]:
        names = set()
        for index, param in enumerate(function.summary.params):
            if _is_self(function, index) or self.reader.is_injected(param):
                continue
            annotation, _ = self.reader.annotation_parts(param)
            symbol = self.reader.resolved(annotation.symbol) if annotation is not None else ""
            if symbol in _NOT_REQUEST_DATA:
                continue
            names.add(param.name)
        return names

    def collection(self, call: CallSite) -> Optional[Value]:
        symbol = self.reader.resolved(call.symbol) if call.symbol else ""
        if self.gathers.matches(symbol):
            starred = [a.value for a in call.args if a.star == "*"]
            return starred[0] if len(starred) == 1 else None
        if self.waits.matches(symbol):
            return argument(call.args, 0, "fs", "aws")
        return None

    def tasks(self, value: Value, frame: Frame, depth: int = 0) -> Optional[tuple[Value, Value]]:
        """(iterable, what each task runs) of ``[f(x) for x in xs]`` or ``map(f, xs)``."""
        if depth > 3:
            return None
        if value.kind == "comprehension" and len(value.elements) == 2:
            return value.elements[0], value.elements[1]
        if value.kind == "call" and self.reader.resolved(value.symbol) == "builtins.map":
            func, iterable = argument(value.args, 0), argument(value.args, 1)
            if func is not None and iterable is not None:
                return iterable, Value("call", func.symbol)
        if value.kind == "ref" and value.text and "." not in value.text:
            for assignment in self.reader.assignments(frame.function).get(value.text, ()):
                found = self.tasks(assignment.value, frame, depth + 1)
                if found is not None:
                    return found
        return None

    def source(self, iterable: Value, frame: Frame) -> Optional[tuple[str, str]]:
        """What the tasks iterate, when it is unbounded request data or query rows."""
        rows = self.reader.rows(iterable, frame)
        if rows is not None:
            if rows.iterable and not rows.bounded and not rows.paginated:
                return "query", rows.text
            return None
        if self.unbounded_request_data(iterable, frame):
            return "request data", describe(iterable, 40)
        return None

    def unbounded_request_data(self, value: Value, frame: Frame, depth: int = 0) -> bool:
        if depth > 4 or value.kind != "ref" or not value.text or value.text.startswith("."):
            return False
        parts = value.text.split(".")
        name = parts[0]
        bound = frame.argument(name)
        if bound is not None:
            caller_value, caller = bound
            if caller is None or len(parts) > 1:
                return False
            return self.unbounded_request_data(caller_value, caller, depth + 1)
        if frame.depth == 0 and name in frame.scope:
            return self._unbounded_input(frame.function, name, parts[1:])
        if len(parts) == 1:
            return any(
                self.unbounded_request_data(a.value, frame, depth + 1)
                for a in self.reader.assignments(frame.function).get(name, ())
            )
        return False

    def _unbounded_input(self, function: Function, name: str, fields: list[str]) -> bool:
        param = next((p for p in function.summary.params if p.name == name), None)
        if param is None:
            return False
        annotation, extras = self.reader.annotation_parts(param)
        if not fields:
            return self._unbounded_list(annotation, [param.default, *extras])
        if len(fields) != 1 or annotation is None:
            return False
        key = self.reader.class_key(annotation)
        if not key:
            return False
        field_annotation = _class_annotation(self.project, key, fields[0])
        if field_annotation is None:
            return False
        defaults = _class_attribute_values(self.project, key, fields[0])
        extras_of_field: list[Optional[Value]] = list(defaults)
        if (
            field_annotation.kind == "subscript"
            and self.reader.resolved(field_annotation.symbol) in ("typing.Annotated",)
            and field_annotation.elements
        ):
            extras_of_field += field_annotation.elements[1:]
            field_annotation = field_annotation.elements[0]
        return self._unbounded_list(field_annotation, extras_of_field)

    def _unbounded_list(self, annotation: Optional[Value], extras: list[Optional[Value]]) -> bool:
        if annotation is None:
            return False
        symbol = self.reader.resolved(annotation.symbol) if annotation.symbol else ""
        if symbol not in _LIST_TYPES:
            return False
        for candidate in (annotation, *extras):
            if candidate is None or candidate.kind != "call":
                continue
            if any(a.keyword in _UPPER_BOUND_KEYWORDS for a in candidate.args):
                return False
        return True

    def limited(self, function: Function, task: Value) -> bool:
        """A semaphore or capacity limiter made or entered by the function or the task's."""
        functions = [function]
        callee = self.project.resolve_callee(task.symbol) if task.symbol else None
        if callee is not None:
            functions.append(callee)
        for current in functions:
            summary = current.summary
            if any(self._is_limit(call.symbol) for call in summary.calls if call.symbol):
                return True  # made here, or acquired: ``limiter.acquire()``
            for item in summary.with_items:
                if self._is_limiter(current, item):
                    return True
        return False

    def _is_limit(self, symbol: str) -> bool:
        """A call that makes a limiter, or a method of one (``semaphore.acquire()``)."""
        resolved = self.reader.resolved(symbol)
        if self.limits.matches(resolved):
            return True
        tokens = split_symbol(resolved)
        return len(tokens) > 2 and self._made_by_limit(tokens[:-1])

    def _made_by_limit(self, tokens: list[str]) -> bool:
        """``asyncio.Semaphore()``: an object a limiter constructor made."""
        return len(tokens) > 1 and tokens[-1] == CALL and self.limits.matches(".".join(tokens[:-1]))

    def _is_limiter(self, function: Function, item: Value) -> bool:
        """``async with slots:`` where ``slots`` is a semaphore (a module name, an attribute,
        a local), or ``async with anyio.CapacityLimiter(5):``."""
        if item.kind == "call":
            return bool(item.symbol) and self._is_limit(item.symbol)
        if item.kind != "ref":
            return False
        if item.symbol and self._made_by_limit(split_symbol(self.reader.resolved(item.symbol))):
            return True
        if item.text and "." not in item.text:
            return any(
                a.value.kind == "call" and self._is_limit(a.value.symbol)
                for a in self.reader.assignments(function).get(item.text, ())
                if a.value.symbol
            )
        return False


def fan_outs(project: ProjectModel) -> list[FanOut]:
    def compute() -> list[FanOut]:
        reader = QueryReader(project)
        fan = FanOutReader(project, reader)
        found: dict[tuple[str, int, int], FanOut] = {}
        for route in project.routes:
            if route.websocket:
                continue
            handler = route.handler
            start = reader.frame(handler, fan.request_inputs(handler))
            stack = [start]
            visited: set[str] = set()
            while stack:
                frame = stack.pop()
                function = frame.function
                if function.key in visited:
                    continue
                visited.add(function.key)
                for call in function.summary.calls:
                    collection = fan.collection(call)
                    if collection is not None and not call.in_loop:
                        tasks = fan.tasks(collection, frame)
                        if tasks is not None:
                            source = fan.source(tasks[0], frame)
                            if source is not None and not fan.limited(function, tasks[1]):
                                key = (function.module.path, call.span.line, call.span.column)
                                found.setdefault(key, FanOut(function, call, source[1], source[0]))
                    callee = project.resolve_callee(call.symbol) if call.symbol else None
                    if callee is not None and frame.depth < 3:
                        value = Value("call", call.symbol, args=call.args)
                        stack.append(reader.callee_frame(callee, value, frame))
        return [found[key] for key in sorted(found)]

    return project.memoized("FLT5xx.fan_outs", compute)


class UnboundedFanOut(Rule):
    """## What it does
    Finds `asyncio.gather(*[... for x in xs])` (also `map(...)`, `asyncio.wait` and
    `asyncio.as_completed`) in request code where `xs` is request data with no size limit
    (a list parameter or body field without `max_length`) or the rows of an unbounded query,
    and no semaphore or capacity limiter bounds how many run at once.

    ## Why is this bad?
    The client decides how many tasks start at once. A body with 10,000 URLs opens 10,000
    connections to the upstream (which may rate-limit or ban you), exhausts the connection
    pool and file descriptors, and holds memory for every response until the last one
    arrives. Bound the input (`Field(max_length=100)`), process it in chunks, or limit
    concurrency with an `asyncio.Semaphore` created once and acquired in the task.
    A `gather` inside a loop (over chunks) is not reported.
    """

    common_doc = _COMMON_DOC
    code = "FLT504"
    name = "unbounded-fan-out"
    summary = "`asyncio.gather` over request data or query rows with no concurrency limit"
    valid = (
        """
import asyncio
import httpx
from fastapi import FastAPI
from pydantic import BaseModel

app = FastAPI()
limit = asyncio.Semaphore(10)

class Batch(BaseModel):
    urls: list[str]

async def fetch(client, url):
    async with limit:
        return (await client.get(url)).status_code

@app.post("/check")
async def check(batch: Batch):
    async with httpx.AsyncClient() as client:
        return await asyncio.gather(*[fetch(client, url) for url in batch.urls])
""",
    )
    invalid = (
        Example(
            """
import asyncio
import httpx
from fastapi import FastAPI
from pydantic import BaseModel

app = FastAPI()

class Batch(BaseModel):
    urls: list[str]

async def fetch(client, url):
    return (await client.get(url)).status_code

@app.post("/check")
async def check(batch: Batch):
    async with httpx.AsyncClient() as client:
        return await asyncio.gather(*[fetch(client, url) for url in batch.urls])
"""
        ),
    )

    def check(self, project: ProjectModel) -> Iterator[RawFinding]:
        for found in fan_outs(project):
            yield RawFinding(
                path=found.function.module.path,
                span=found.call.span,
                message=(
                    f"`{found.call.text or 'gather'}()` starts one task per item of "
                    f"`{found.source}` ({found.kind}) all at once, "
                    "with no semaphore or chunking; bound the input or limit concurrency with "
                    "an `asyncio.Semaphore`"
                ),
            )


# --- FLT505 -----------------------------------------------------------------------------


@dataclass(frozen=True)
class NoTimeout:
    function: Function
    call: CallSite
    label: str  # ``requests.get()``
    reason: str
    related: tuple[ChainStep, ...] = ()


class TimeoutReader:
    def __init__(self, project: ProjectModel, reader: QueryReader) -> None:
        self.project = project
        self.reader = reader
        self.entries = [
            (SymbolPatterns(entry.patterns), entry) for entry in project.catalog.bounds.outbound
        ]
        self.timeout_types = SymbolPatterns(
            t for entry in project.catalog.bounds.outbound for t in entry.timeout_types
        )
        self.adapters = any(
            project.derives_from(key, "requests.adapters.HTTPAdapter") for key in project.classes
        )
        self.default_socket_timeout = any(
            reader.resolved(call.symbol) == "socket.setdefaulttimeout"
            for _, call in _all_calls(project)
            if call.symbol
        )

    def entry(self, symbol: str) -> Optional[OutboundCall]:
        for patterns, entry in self.entries:
            if patterns.matches(symbol):
                return entry
        return None

    def waits_forever(self, value: Value) -> bool:
        if value.kind == "const" and value.literal == "None":
            return True
        if value.kind == "call" and self.timeout_types.matches(self.reader.resolved(value.symbol)):
            return all(_is_none(a.value) for a in value.args if not a.star)
        return False

    def check(self, function: Function, call: CallSite) -> Optional[NoTimeout]:
        if not call.symbol:
            return None
        symbol = self.reader.resolved(call.symbol)
        entry = self.entry(symbol)
        if entry is None:
            return None
        label = _label(symbol)
        if any(a.star == "**" for a in call.args):
            return None  # the timeout may be in there
        timeout = argument(call.args, -1, "timeout")
        if timeout is None and entry.timeout_position is not None:
            timeout = argument(call.args, entry.timeout_position)
        if timeout is not None:
            if self.waits_forever(timeout):
                return NoTimeout(function, call, label, "is called with `timeout=None`")
            return None
        if entry.timeout == "required":
            if symbol.startswith("requests.Session()") and self.adapters:
                return None  # a mounted adapter may set the timeout
            if symbol.startswith("urllib.") and self.default_socket_timeout:
                return None
            return NoTimeout(function, call, label, "has no timeout")
        made = self._client(function, call)
        if made is not None:
            client, where = made
            value = _keyword(client, "timeout")
            if value is not None and self.waits_forever(value):
                return NoTimeout(
                    function, call, label, "runs on a client made with `timeout=None`", where
                )
        return None

    def _client(
        self, function: Function, call: CallSite
    ) -> Optional[tuple[Value, tuple[ChainStep, ...]]]:
        """The call that made the client a method is called on, when it can be found, with
        where it is: a local, a module-level name, or an attribute set in a class."""
        receiver = call.receiver
        if receiver is None or receiver.kind != "ref":
            return None
        candidates: list[Value] = []
        path = ""
        if receiver.text and "." not in receiver.text:
            candidates = [a.value for a in self.reader.assignments(function).get(receiver.text, ())]
            path = function.module.path
        if not candidates and receiver.symbol:
            tokens = split_symbol(receiver.symbol)
            key = self.project.binding_of(receiver.symbol)
            if key is not None:
                value = self.project.binding_value(key)
                candidates = [value] if value is not None else []
                module = self.project.modules.get(key.rpartition(".")[0])
                path = module.path if module is not None else ""
            elif len(tokens) >= 3 and tokens[-2] == CALL:
                class_key = ".".join(t for t in tokens[:-2] if t != CALL)
                candidates = _class_attribute_values(self.project, class_key, tokens[-1])
                klass = self.project.classes.get(class_key)
                path = klass[0].path if klass is not None else ""
        calls = [c for c in candidates if c.kind == "call"]
        if len(calls) != 1:
            return None
        made = calls[0]
        if made.span is None or not path:
            return made, ()
        step = ChainStep(
            describe(made, 40),
            relative_path(path, self.project.root),
            made.span.line,
            made.span.column,
        )
        return made, (step,)


def _label(symbol: str) -> str:
    tokens = split_symbol(symbol)
    if CALL in tokens:
        last = len(tokens) - 1 - tokens[::-1].index(CALL)
        maker = tokens[last - 1] if last > 0 else ""
        rest = [t for t in tokens[last + 1 :] if t != CALL]
        return ".".join([maker, *rest]) + "()"
    return f"{symbol}()"


def _is_none(value: Value) -> bool:
    return value.kind == "const" and value.literal == "None"


def missing_timeouts(project: ProjectModel) -> list[NoTimeout]:
    def compute() -> list[NoTimeout]:
        reader = QueryReader(project)
        timeouts = TimeoutReader(project, reader)
        found = []
        for function in _request_functions(project):
            for call in function.summary.calls:
                problem = timeouts.check(function, call)
                if problem is not None:
                    found.append(problem)
        return found

    return project.memoized("FLT5xx.missing_timeouts", compute)


class OutboundCallWithoutTimeout(Rule):
    """## What it does
    Finds outbound HTTP calls in request code (routes, dependencies, and the project
    functions they call) that can wait forever: `requests` calls without `timeout=`
    (requests has no default), `urllib.request.urlopen` without a timeout, and `httpx` or
    `aiohttp` calls made with `timeout=None` or on a client created with `timeout=None`.

    ## Why is this bad?
    An upstream that stops answering does not fail the call, it holds it: the request
    hangs, and with it a worker thread (sync routes) or a connection and its memory (async
    routes). A few hundred such requests and the app stops serving everyone. Pass a timeout
    that fits the upstream, `requests.get(url, timeout=10)`, and keep httpx's default (5
    seconds) or set your own.
    """

    common_doc = _COMMON_DOC
    code = "FLT505"
    name = "outbound-call-without-timeout"
    summary = "An outbound HTTP call in request code with no timeout"
    valid = (
        """
import requests
from fastapi import FastAPI

app = FastAPI()

@app.get("/rates")
def rates():
    return requests.get("https://api.example.com/rates", timeout=10).json()
""",
        """
import httpx
from fastapi import FastAPI

app = FastAPI()
client = httpx.AsyncClient()  # httpx's default timeout: 5 seconds

@app.get("/rates")
async def rates():
    return (await client.get("https://api.example.com/rates")).json()
""",
    )
    invalid = (
        Example(
            """
import requests
from fastapi import FastAPI

app = FastAPI()

@app.get("/rates")
def rates():
    return requests.get("https://api.example.com/rates").json()
"""
        ),
        Example(
            """
import httpx
from fastapi import FastAPI

app = FastAPI()
client = httpx.AsyncClient(timeout=None)

@app.get("/rates")
async def rates():
    return (await client.get("https://api.example.com/rates")).json()
"""
        ),
    )

    def check(self, project: ProjectModel) -> Iterator[RawFinding]:
        for found in missing_timeouts(project):
            yield RawFinding(
                path=found.function.module.path,
                span=found.call.span,
                message=(
                    f"`{found.label}` {found.reason}: a slow or silent upstream holds the "
                    "request and its worker for as long as it takes; pass a timeout, e.g. "
                    "`timeout=10`"
                ),
                related=found.related,
            )


BOUNDS_RULES: tuple[type[Rule], ...] = (
    UnboundedLimitParameter,
    NPlusOneLazyLoad,
    MissingResponseCompression,
    UnboundedFanOut,
    OutboundCallWithoutTimeout,
)
