"""FLT2xx: state kept in one worker's memory and changed by request code."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Optional

from fastlint.findings import ChainStep, Span
from fastlint.index.summary import Argument, Binding, CallSite, ModuleSummary, Mutation, Value
from fastlint.index.symbols import CALL, join_symbol, split_symbol
from fastlint.project import Function, ProjectModel
from fastlint.rules.base import Example, RawFinding, Rule
from fastlint.rules.request_code import (
    is_connection,
    is_process_object,
    is_test_file,
    is_websocket,
    memoizer_of,
    names_process_type,
    relative_path,
    request_functions,
)

_COMMON_DOC = """

## Where request code runs
fastlint follows every request from its entry points (routes, dependencies, middleware,
exception and websocket handlers, background tasks; sync or async) through the project's own
functions, across modules. Code that runs once is not request code: module level (a registry
filled at import time), the app's lifespan and `@app.on_event("startup")` handlers, a memoised
function (`@lru_cache def get_settings()`), and lazy initialisation behind a check such as
`if _model is None:` on a global or on `self`. Test files are left out.

## Why one worker's memory is not enough
Production FastAPI runs several worker processes (`uvicorn --workers`, gunicorn, several
containers), and restarts them. Each worker has its own copy of every module-level object:
what one request writes there, a request served by another worker does not see, and a
restart or deploy loses it.

## Options
What counts as a container, a cache, a mutating method or a memoising decorator comes from
fastlint's catalog. Add your own under `[tool.fastlint.catalog]`:

```toml
[tool.fastlint.catalog.state]
containers = ["sortedcontainers.{SortedDict,SortedList}"]
caches = ["mylib.cache.LocalCache"]
mutating-methods = ["push"]

[tool.fastlint.catalog.memoizers]
other = ["mylib.memoize"]
```
"""

# What a module-level binding holds, as far as these rules care.
_CONTAINER = "container"
_CACHE = "cache"
_INSTANCE = "instance"  # of a project class
_OTHER = "other"

_ITEM_KINDS = ("setitem", "delitem", "augassign")


@dataclass(frozen=True)
class StateChange:
    """One place where request code changes module-level state."""

    function: Function
    span: Span
    websocket: bool = False  # it stores or removes a websocket connection
    # For a call into a method of a module-level object: where the method changes it.
    inner: tuple[StateChange, ...] = ()


@dataclass
class ModuleState:
    """A module-level binding, and the request code that changes it (filled by the scan)."""

    key: str  # ``pkg.module.name``
    name: str
    module: ModuleSummary
    span: Span  # the module-level definition
    holds: str  # _CONTAINER, _CACHE, _INSTANCE or _OTHER
    annotation_websocket: bool
    changes: list[StateChange] = field(default_factory=list)  # containers, caches, objects
    rebinds: list[StateChange] = field(default_factory=list)  # ``global name`` rebound
    # Request code stores clients, locks or tasks in it: a registry of objects that belong to
    # the process by nature (a client per API key, a lock per user, the running tasks).
    holds_process_objects: bool = False


@dataclass(frozen=True)
class UnboundedCache:
    """A function memoised without a size limit, called with request data."""

    function: Function
    decorator_span: Span
    decorator_label: str
    calls: tuple[tuple[Function, CallSite], ...]


@dataclass(frozen=True)
class StateAnalysis:
    states: tuple[ModuleState, ...]
    unbounded_caches: tuple[UnboundedCache, ...]


# --- the analysis -----------------------------------------------------------------------


class _StateFinder:
    def __init__(self, project: ProjectModel) -> None:
        self.project = project
        self.catalog = project.catalog
        self.states: dict[str, Optional[ModuleState]] = {}
        self._self_changes: dict[str, tuple[StateChange, ...]] = {}
        self._function_rebinds = self._rebind_spans()

    def _rebind_spans(self) -> set[tuple[str, Span]]:
        """Spans of ``global name`` assignments in functions, which the index also lists
        among the module's bindings."""
        spans = set()
        for summary in self.project.modules.values():
            for function in summary.functions:
                for mutation in function.mutations:
                    if mutation.kind == "rebind":
                        spans.add((summary.module, mutation.span))
        return spans

    # module-level bindings

    def state(self, key: str) -> Optional[ModuleState]:
        if key not in self.states:
            self.states[key] = self._describe(key)
        return self.states[key]

    def _describe(self, key: str) -> Optional[ModuleState]:
        module_name, _, name = key.rpartition(".")
        module = self.project.modules.get(module_name)
        if module is None or is_test_file(module.path, self.project.root):
            return None
        every = [b for b in module.bindings if b.name == name]
        if not every:
            return None
        at_module = [b for b in every if (module_name, b.span) not in self._function_rebinds]
        definition = min(at_module or every, key=lambda b: (b.span.line, b.span.column))
        return ModuleState(
            key=key,
            name=name,
            module=module,
            span=definition.span,
            holds=self._holds(at_module),
            annotation_websocket=any(self._mentions_websocket(b.annotation) for b in at_module),
            holds_process_objects=any(
                names_process_type(self.project, b.annotation) for b in at_module
            ),
        )

    def _holds(self, bindings: list[Binding]) -> str:
        kinds = {self.value_kind(b.value) for b in bindings}
        if len(kinds) == 1:
            kind = kinds.pop()
            if kind is not None:
                return kind
        return _OTHER

    def value_kind(self, value: Value) -> Optional[str]:
        """_CONTAINER, _CACHE or _INSTANCE for a value that makes one, else None."""
        if value.kind in ("dict", "list", "set", "comprehension"):
            return _CONTAINER
        if value.kind == "call" and value.symbol:
            resolved = self.project.resolve(value.symbol)
            if resolved.kind == "external":
                return self.catalog.state_kind(resolved.symbol)
            if resolved.kind == "class":
                return _INSTANCE
        return None

    def _mentions_websocket(self, annotation: Optional[Value]) -> bool:
        if annotation is None:
            return False
        if annotation.symbol:
            resolved = self.project.resolve(annotation.symbol).symbol
            if resolved == "starlette.websockets.WebSocket":
                return True
        return any(self._mentions_websocket(element) for element in annotation.elements)

    def binding_root(self, symbol: str) -> Optional[tuple[ModuleState, list[str]]]:
        """The module-level state a symbol starts from, and the rest of the symbol."""
        if not symbol:
            return None
        tokens = split_symbol(symbol)
        names = 0
        while names < len(tokens) and tokens[names] != CALL:
            names += 1
        for end in range(names, 0, -1):
            key = self.project.binding_of(join_symbol(tokens[:end]))
            if key is not None:
                state = self.state(key)
                return (state, tokens[end:]) if state is not None else None
        return None

    # classes

    def class_of(self, state: ModuleState) -> Optional[str]:
        for binding in state.module.bindings:
            if binding.name == state.name and binding.value.kind == "call":
                resolved = self.project.resolve(binding.value.symbol)
                if resolved.kind == "class":
                    return resolved.symbol
        return None

    def attribute_kind(self, class_key: str, attribute: str) -> Optional[str]:
        """What a class's attribute holds, judged by every value assigned to it."""
        seen: set[str] = set()
        pending = [class_key]
        while pending:
            key = pending.pop()
            if key in seen:
                continue
            seen.add(key)
            klass = self.project.classes.get(key)
            if klass is None:
                continue
            for name, values in klass[1].attributes:
                if name == attribute:
                    kinds = {self.value_kind(v) for v in values}
                    for kind in (_CONTAINER, _CACHE, _INSTANCE):
                        if kind in kinds:
                            return kind
                    return None
            pending.extend(self.project.class_bases(key))
        return None

    def derives_from_container(self, class_key: str) -> bool:
        return any(
            self.catalog.state_kind(base) is not None
            or (base in self.project.classes and self.derives_from_container(base))
            for base in self.project.class_bases(class_key)
        )

    def self_changes(self, method: Function) -> tuple[StateChange, ...]:
        """Where calling ``method`` changes its own object's state, through other methods too."""
        if method.key in self._self_changes:
            return self._self_changes[method.key]
        self._self_changes[method.key] = ()  # recursion guard
        changes = tuple(self._compute_self_changes(method))
        self._self_changes[method.key] = changes
        return changes

    def _compute_self_changes(self, method: Function) -> Iterator[StateChange]:
        class_name = method.summary.class_name
        if class_name is None:
            return
        class_key = f"{method.module.module}.{class_name}"
        own = f"{class_key}{CALL}"
        for mutation in method.summary.mutations:
            if mutation.guarded:
                continue
            tokens = split_symbol(mutation.symbol) if mutation.symbol else []
            if mutation.symbol == own and (
                mutation.kind in ("setitem", "delitem", "setattr")
                or self._mutating_item_call(mutation)
            ):
                # ``self[k] = v`` in a container subclass; ``self.count += 1``
                yield StateChange(method, mutation.span, is_websocket(self.project, mutation.value))
            elif (
                len(tokens) == len(split_symbol(own)) + 1
                and mutation.symbol.startswith(f"{own}.")
                and (mutation.kind in _ITEM_KINDS or self._mutating_item_call(mutation))
                and not self._memo_fill(mutation)
                and self.attribute_kind(class_key, tokens[-1]) in (_CONTAINER, _CACHE)
            ):
                yield StateChange(method, mutation.span, is_websocket(self.project, mutation.value))
        for call in method.summary.calls:
            if call.guarded or not call.symbol.startswith(f"{own}."):
                continue
            rest = split_symbol(call.symbol)[len(split_symbol(own)) :]
            if (
                len(rest) == 2
                and self.catalog.is_mutating_method(rest[1])
                and self.attribute_kind(class_key, rest[0]) in (_CONTAINER, _CACHE)
            ):
                yield StateChange(method, call.span, self._passes_websocket(call.args))
                continue
            callee = self.project.resolve_callee(call.symbol)
            if callee is not None and callee.summary.class_name is not None:
                inner = self.self_changes(callee)
                if inner:
                    websocket = self._passes_websocket(call.args) or any(c.websocket for c in inner)
                    yield StateChange(method, call.span, websocket, inner)
            elif (
                callee is None
                and len(rest) == 1
                and self.catalog.is_mutating_method(rest[0])
                and self.derives_from_container(class_key)
            ):
                yield StateChange(method, call.span, self._passes_websocket(call.args))

    @staticmethod
    def _memo_fill(mutation: Mutation) -> bool:
        """``if key not in cache: cache[key] = compute(key)``: memoising what is computed
        there, which each worker may do for itself (not request data: a parameter, a literal)."""
        return (
            mutation.on_miss
            and mutation.kind == "setitem"
            and mutation.value is not None
            and mutation.value.kind not in ("ref", "dict", "list", "set", "str", "num", "const")
        )

    def _mutating_item_call(self, mutation: Mutation) -> bool:
        return mutation.kind == "itemcall" and self.catalog.is_mutating_method(mutation.method)

    def _passes_websocket(self, args: tuple[Argument, ...]) -> bool:
        return any(is_websocket(self.project, arg.value) for arg in args)

    # request code

    def scan(self, function: Function) -> None:
        for call in function.summary.calls:
            if not call.guarded:
                self._scan_call(function, call)
        for mutation in function.summary.mutations:
            if not mutation.guarded:
                self._scan_mutation(function, mutation)

    def _scan_call(self, function: Function, call: CallSite) -> None:
        root = self.binding_root(call.symbol)
        if root is None:
            return
        state, rest = root
        websocket = self._passes_websocket(call.args)
        if state.holds in (_CONTAINER, _CACHE):
            if len(rest) == 1 and self.catalog.is_mutating_method(rest[0]):
                state.changes.append(StateChange(function, call.span, websocket))
                if any(is_process_object(self.project, arg.value) for arg in call.args):
                    state.holds_process_objects = True
            return
        if state.holds != _INSTANCE:
            return
        class_key = self.class_of(state)
        if class_key is None:
            return
        if (
            len(rest) == 2
            and self.catalog.is_mutating_method(rest[1])
            and self.attribute_kind(class_key, rest[0]) in (_CONTAINER, _CACHE)
        ):
            state.changes.append(StateChange(function, call.span, websocket))
            return
        callee = self.project.resolve_callee(call.symbol)
        if callee is None:
            # A method inherited from a container: ``registry.update(...)`` on a ``dict`` subclass.
            if (
                len(rest) == 1
                and self.catalog.is_mutating_method(rest[0])
                and self.derives_from_container(class_key)
            ):
                state.changes.append(StateChange(function, call.span, websocket))
            return
        if callee.summary.class_name is None:
            return
        inner = self.self_changes(callee)
        if inner:
            websocket = websocket or any(change.websocket for change in inner)
            state.changes.append(StateChange(function, call.span, websocket, inner))

    def _scan_mutation(self, function: Function, mutation: Mutation) -> None:
        root = self.binding_root(mutation.symbol)
        if root is None:
            return
        state, rest = root
        websocket = is_websocket(self.project, mutation.value)
        change = StateChange(function, mutation.span, websocket)
        if state.holds in (_CONTAINER, _CACHE):
            if state.holds == _CONTAINER and self._memo_fill(mutation):
                return  # a cachetools cache is reported however it is filled (FLT205)
            if not rest and (
                mutation.kind in (*_ITEM_KINDS, "rebind") or self._mutating_item_call(mutation)
            ):
                state.changes.append(change)
                if is_process_object(self.project, mutation.value):
                    state.holds_process_objects = True
            return
        if not rest and mutation.kind in ("rebind", "augassign"):
            # ``global name`` rebound: a counter, the "current user"...
            if not is_connection(self.project, mutation.value):
                state.rebinds.append(change)
            return
        if state.holds != _INSTANCE:
            return
        class_key = self.class_of(state)
        if class_key is None:
            return
        if not rest and mutation.kind == "setattr":
            if not is_connection(self.project, mutation.value):
                state.changes.append(change)
        elif (
            len(rest) == 1
            and (mutation.kind in _ITEM_KINDS or self._mutating_item_call(mutation))
            and self.attribute_kind(class_key, rest[0]) in (_CONTAINER, _CACHE)
        ):
            state.changes.append(change)

    def scan_dependency_object(self, function: Function) -> None:
        """``Depends(limiter)`` with ``limiter = RateLimiter()``: FastAPI calls
        ``limiter.__call__`` for each request."""
        class_name = function.summary.class_name
        if class_name is None or function.summary.name != "__call__":
            return
        inner = self.self_changes(function)
        if not inner:
            return
        class_key = f"{function.module.module}.{class_name}"
        for summary in self.project.modules.values():
            for binding in summary.bindings:
                if binding.value.kind != "call" or not binding.value.symbol:
                    continue
                resolved = self.project.resolve(binding.value.symbol)
                if resolved.kind != "class" or resolved.symbol != class_key:
                    continue
                state = self.state(f"{summary.module}.{binding.name}")
                if state is not None and state.holds == _INSTANCE:
                    for change in inner:
                        if change not in state.changes:
                            state.changes.append(change)

    # unbounded caches

    def unbounded_caches(self) -> Iterator[UnboundedCache]:
        calls: dict[str, list[tuple[Function, CallSite]]] = {}
        found: dict[str, tuple[Function, Span, str]] = {}
        for step in request_functions(self.project):
            caller = step.function
            for call in caller.summary.calls:
                if call.guarded or not _has_request_data(caller, call):
                    continue
                callee = self.project.resolve_callee(call.symbol)
                if callee is None:
                    continue
                if callee.key not in found:
                    decorator = self._unbounded_decorator(callee)
                    if decorator is None:
                        continue
                    found[callee.key] = (callee, *decorator)
                calls.setdefault(callee.key, []).append((caller, call))
        for key in sorted(found):
            callee, span, label = found[key]
            yield UnboundedCache(callee, span, label, tuple(calls[key]))

    def _unbounded_decorator(self, function: Function) -> Optional[tuple[Span, str]]:
        if is_test_file(function.module.path, self.project.root):
            return None
        for decorator in function.summary.decorators:
            kind = memoizer_of(self.project, decorator)
            value = decorator.value
            name = value.symbol.rpartition(".")[2]
            if kind == "unbounded":
                return decorator.span, f"@{name}"
            if kind == "sized" and value.kind == "call":
                for index, arg in enumerate(value.args):
                    if (arg.keyword == "maxsize" or (arg.keyword is None and index == 0)) and (
                        arg.value.kind == "const" and arg.value.literal == "None"
                    ):
                        return decorator.span, f"@{name}(maxsize=None)"
        return None


def _has_request_data(caller: Function, call: CallSite) -> bool:
    own = ""
    if caller.summary.class_name is not None:
        own = f"{caller.module.module}.{caller.summary.class_name}{CALL}."
    return any(
        arg.star or _is_request_data(arg.value, own)
        for index, arg in enumerate(call.args)
        if index not in call.object_args
    )


def _is_request_data(value: Value, own: str) -> bool:
    """Whether an argument may differ from request to request: not a literal, not a
    module-level name (a constant, a setting), not the calling object's own attribute
    (``self.api_base``: its configuration)."""
    if value.kind in ("num", "const"):
        return False
    if value.kind == "str":
        return value.literal is None  # an f-string
    if value.kind in ("tuple", "list", "set"):
        return any(_is_request_data(element, own) for element in value.elements)
    if value.kind == "ref":
        if own and value.symbol.startswith(own):
            return False
        # Parameters and locals resolve to nothing or to an instance (``T()``).
        return not value.symbol or CALL in value.symbol
    return True


def analyse_state(project: ProjectModel) -> StateAnalysis:
    def compute() -> StateAnalysis:
        finder = _StateFinder(project)
        for step in request_functions(project):
            finder.scan(step.function)
            if not step.chain:
                finder.scan_dependency_object(step.function)
        states = tuple(
            state
            for _, state in sorted(finder.states.items())
            if state is not None
            and (state.changes or state.rebinds)
            and not state.holds_process_objects
        )
        return StateAnalysis(states, tuple(finder.unbounded_caches()))

    return project.memoized("fastlint.rules.state", compute)


# --- reporting --------------------------------------------------------------------------


def _flatten(changes: list[StateChange]) -> list[StateChange]:
    """The changes with the method calls that lead to them, each site once, in order."""
    out: list[StateChange] = []
    seen: set[tuple[str, Span]] = set()

    def visit(change: StateChange) -> None:
        site = (change.function.module.path, change.span)
        if site in seen:
            return
        seen.add(site)
        out.append(change)
        for inner in change.inner:
            visit(inner)

    for change in sorted(changes, key=lambda c: (c.function.module.path, c.span)):
        visit(change)
    return out


def _sites(changes: list[StateChange], root: str) -> tuple[ChainStep, ...]:
    return tuple(
        ChainStep(
            change.function.display_name,
            relative_path(change.function.module.path, root),
            change.span.line,
            change.span.column,
        )
        for change in _flatten(changes)
    )


def _who(changes: list[StateChange], root: str) -> str:
    """``create_item() [app/routes.py:31] and 2 more``: the request code that changes it."""
    ordered = sorted(changes, key=lambda c: (c.function.module.path, c.span))
    first = ordered[0]
    where = f"{relative_path(first.function.module.path, root)}:{first.span.line}"
    others = {c.function.key for c in ordered} - {first.function.key}
    more = f" and {len(others)} more" if others else ""
    return f"`{first.function.display_name}` [{where}]{more}"


class StateRule(Rule):
    """Shared behaviour of the FLT2xx rules that report module-level state."""

    common_doc = _COMMON_DOC

    def check(self, project: ProjectModel) -> Iterator[RawFinding]:
        for state in analyse_state(project).states:
            changes = self.changes_of(state)
            if changes:
                yield RawFinding(
                    path=state.module.path,
                    span=state.span,
                    message=self.message(state, _who(changes, project.root)),
                    related=_sites(changes, project.root),
                )

    def changes_of(self, state: ModuleState) -> list[StateChange]:
        raise NotImplementedError

    def message(self, state: ModuleState, who: str) -> str:
        raise NotImplementedError


def _holds_websockets(state: ModuleState) -> bool:
    return state.annotation_websocket or any(c.websocket for c in state.changes)


class MutableModuleState(StateRule):
    """## What it does
    Finds a module-level container (a `dict`, `list` or `set`, `defaultdict`, `OrderedDict`,
    `Counter`, `deque`) or a module-level instance of a project class that request code
    changes: item assignment or `del`, `append`, `update`, `pop` and the other mutating
    methods, augmented assignment, or a method of the object that changes its own attributes.
    It reports the definition and names the request code that changes it; every place that
    does is listed in the `full`, `json` and SARIF output.

    ## Why is this bad?
    Each worker process has its own copy of the object. An item created through one worker
    is missing on the others, so the same request gives different answers depending on which
    worker serves it, and everything is lost on a restart or deploy. Keep the data in the
    database or in Redis.

    Read-only constants and lookup tables, registries filled at import time and data loaded
    in the app's lifespan are not reported, nor are module-level clients of Redis, MongoDB or
    a database (their methods write to the shared store, not to process memory).
    """

    code = "FLT201"
    name = "module-state-mutated-in-request"
    summary = "Module-level data in one worker's memory, changed by request code"
    valid = (
        """
from fastapi import Depends, FastAPI
from sqlalchemy.orm import Session

from app.db import get_db
from app.models import Item

app = FastAPI()

@app.post("/items")
def create_item(name: str, db: Session = Depends(get_db)):
    item = Item(name=name)
    db.add(item)
    db.commit()
    return item
""",
        """
from fastapi import FastAPI

app = FastAPI()
COUNTRIES = {"fr": "France", "de": "Germany"}  # read-only: fine

@app.get("/countries/{code}")
async def country(code: str):
    return {"name": COUNTRIES.get(code)}
""",
    )
    invalid = (
        Example(
            """
from fastapi import FastAPI

app = FastAPI()
items_db: dict[int, dict] = {}

@app.post("/items")
async def create_item(item: dict):
    items_db[len(items_db) + 1] = item
    return item
"""
        ),
    )

    def changes_of(self, state: ModuleState) -> list[StateChange]:
        if state.holds in (_CONTAINER, _INSTANCE) and not _holds_websockets(state):
            return state.changes
        return []

    def message(self, state: ModuleState, who: str) -> str:
        return (
            f"`{state.name}` lives in one worker's memory and is changed by {who}: each worker"
            " has its own copy, lost on restart; keep it in the database or Redis"
        )


class GlobalReboundInRequest(StateRule):
    """## What it does
    Finds a module-level name that request code rebinds through `global name`: a counter
    (`global hits; hits += 1`), the "current user", the time of the last call for rate
    limiting.

    ## Why is this bad?
    The value belongs to one worker process, so counts and limits are per worker and start
    over on every restart. Worse, concurrent requests share it: a "current user" set by one
    request is seen by another one served at the same time. Keep per-request data in the
    request (a dependency, `request.state`) and shared data in Redis or the database.

    Lazy initialisation (`global _model; if _model is None: _model = load()`) is not
    reported: it runs once.
    """

    code = "FLT202"
    name = "global-rebound-in-request"
    summary = "A module-level name rebound through `global` by request code"
    valid = (
        """
from fastapi import FastAPI

app = FastAPI()
_model = None

def get_model():
    global _model
    if _model is None:  # lazy initialisation: once per worker
        _model = {"weights": [0.1, 0.2]}
    return _model

@app.get("/predict")
def predict(x: float):
    return {"y": x * get_model()["weights"][0]}
""",
    )
    invalid = (
        Example(
            """
from fastapi import FastAPI

app = FastAPI()
hits = 0

@app.get("/")
async def index():
    global hits
    hits += 1
    return {"hits": hits}
"""
        ),
    )

    def changes_of(self, state: ModuleState) -> list[StateChange]:
        if state.holds in (_CONTAINER, _CACHE) or _holds_websockets(state):
            return []
        return state.rebinds

    def message(self, state: ModuleState, who: str) -> str:
        return (
            f"`{state.name}` is rebound through `global` by {who}: its value is per worker and"
            " shared by concurrent requests; keep per-request data in the request and shared"
            " data in Redis or the database"
        )


class WebsocketConnectionsInProcess(StateRule):
    """## What it does
    Finds websocket connections kept in a module-level list, set or dict, or in a
    module-level connection manager, by request code, typically to broadcast to them.

    ## Why is this bad?
    A websocket lives in the worker that accepted it. With several workers, each manager
    knows only its own clients: a broadcast reaches the clients of the worker that sent it
    and misses everyone else. Fan messages out through a pub/sub channel (Redis pub/sub, the
    `broadcaster` package) that every worker subscribes to.
    """

    code = "FLT203"
    name = "websocket-connections-in-process"
    summary = "Websocket connections kept in one worker's memory for broadcasting"
    valid = (
        """
from fastapi import FastAPI, WebSocket

app = FastAPI()

@app.websocket("/echo")
async def echo(websocket: WebSocket):
    await websocket.accept()
    async for message in websocket.iter_text():
        await websocket.send_text(message)
""",
    )
    invalid = (
        Example(
            """
from fastapi import FastAPI, WebSocket

app = FastAPI()

class ConnectionManager:
    def __init__(self):
        self.active_connections: list[WebSocket] = []

    async def connect(self, websocket: WebSocket):
        await websocket.accept()
        self.active_connections.append(websocket)

    async def broadcast(self, message: str):
        for connection in self.active_connections:
            await connection.send_text(message)

manager = ConnectionManager()

@app.websocket("/chat")
async def chat(websocket: WebSocket):
    await manager.connect(websocket)
    async for message in websocket.iter_text():
        await manager.broadcast(message)
"""
        ),
    )

    def changes_of(self, state: ModuleState) -> list[StateChange]:
        if state.holds != _OTHER and _holds_websockets(state):
            return state.changes
        return []

    def message(self, state: ModuleState, who: str) -> str:
        return (
            f"`{state.name}` keeps live websocket connections in one worker's memory"
            f" (changed by {who}): with several workers a broadcast reaches only this worker's"
            " clients; fan out through a pub/sub channel such as Redis"
        )


class ProcessLocalCache(StateRule):
    """## What it does
    Finds a module-level `cachetools` cache (`TTLCache`, `LRUCache`...) that request code
    fills or invalidates.

    ## Why is this bad?
    Each worker caches on its own: an entry invalidated after a write in one worker stays
    stale in the others until it expires, and every worker pays for its own misses. That is
    sometimes the trade-off you want (then ignore this code); when workers must agree, use a
    shared cache with a TTL, such as Redis.
    """

    code = "FLT205"
    name = "process-local-cache-in-request"
    summary = "A cache in one worker's memory, filled or invalidated by request code"
    valid = (
        """
from fastapi import FastAPI
from redis.asyncio import Redis

app = FastAPI()
cache = Redis()  # shared by every worker

@app.get("/rates/{currency}")
async def rate(currency: str):
    cached = await cache.get(currency)
    if cached is None:
        cached = "1.0"
        await cache.set(currency, cached, ex=300)
    return {"rate": cached}
""",
    )
    invalid = (
        Example(
            """
from cachetools import TTLCache
from fastapi import FastAPI

app = FastAPI()
rates = TTLCache(maxsize=1024, ttl=300)

@app.get("/rates/{currency}")
async def rate(currency: str):
    if currency not in rates:
        rates[currency] = "1.0"
    return {"rate": rates[currency]}
"""
        ),
    )

    def changes_of(self, state: ModuleState) -> list[StateChange]:
        return state.changes if state.holds == _CACHE and not _holds_websockets(state) else []

    def message(self, state: ModuleState, who: str) -> str:
        return (
            f"`{state.name}` is a cache in one worker's memory, changed by {who}: each worker"
            " caches and invalidates on its own; use a shared cache with a TTL (Redis) if"
            " workers must agree"
        )


class UnboundedCacheOnRequestData(Rule):
    """## What it does
    Finds a function memoised without a size limit (`@functools.cache`,
    `@lru_cache(maxsize=None)`) that request code calls with request data. It reports the
    decorator and names the calls.

    ## Why is this bad?
    The cache keeps the result for every distinct argument for the life of the worker: with
    user ids, search terms or tokens as arguments, memory grows with traffic until the
    worker is killed. Give it a `maxsize`, or use a cache with a TTL. A cache of a
    zero-argument function (`@lru_cache def get_settings()`) or one called with constants
    only is not reported.
    """

    code = "FLT204"
    name = "unbounded-cache-on-request-data"
    summary = "A function cached without a size limit and called with request data"
    common_doc = _COMMON_DOC
    valid = (
        """
from functools import lru_cache
from fastapi import Depends, FastAPI

app = FastAPI()

@lru_cache
def get_settings():
    return {"debug": False}

@lru_cache(maxsize=1024)
def score(text: str) -> int:
    return len(text)

@app.get("/score")
def read_score(text: str, settings=Depends(get_settings)):
    return {"score": score(text)}
""",
    )
    invalid = (
        Example(
            """
from functools import lru_cache
from fastapi import FastAPI

app = FastAPI()

@lru_cache(maxsize=None)
def score(text: str) -> int:
    return len(text)

@app.get("/score")
def read_score(text: str):
    return {"score": score(text)}
"""
        ),
    )

    def check(self, project: ProjectModel) -> Iterator[RawFinding]:
        root = project.root
        for cache in analyse_state(project).unbounded_caches:
            ordered = sorted(cache.calls, key=lambda item: (item[0].module.path, item[1].span))
            caller, call = ordered[0]
            others = {f.key for f, _ in ordered} - {caller.key}
            more = f" and {len(others)} more" if others else ""
            where = f"{relative_path(caller.module.path, root)}:{call.span.line}"
            message = (
                f"`{cache.function.display_name}` keeps a result for every distinct argument"
                f" (`{cache.decorator_label}`) and is called with request data by"
                f" `{caller.display_name}` [{where}]{more}: memory grows with traffic; set a"
                " maxsize, or use a cache with a TTL"
            )
            related = tuple(
                ChainStep(
                    f.display_name, relative_path(f.module.path, root), c.span.line, c.span.column
                )
                for f, c in ordered
            )
            yield RawFinding(cache.function.module.path, cache.decorator_span, message, (), related)


STATE_RULES: tuple[type[Rule], ...] = (
    MutableModuleState,
    GlobalReboundInRequest,
    WebsocketConnectionsInProcess,
    UnboundedCacheOnRequestData,
    ProcessLocalCache,
)
