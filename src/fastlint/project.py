"""The link phase: joins file summaries into a model of the whole FastAPI project.

It answers what the rules ask: what a symbol is (a project function, a class, an instance,
something from a library), which routes and dependencies exist, and which functions run
on the event loop.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Callable, Optional, TypeVar, cast

from fastlint.catalog import BlockingCall, Catalog
from fastlint.findings import Span
from fastlint.index.summary import (
    UNKNOWN,
    Argument,
    CallSite,
    ClassSummary,
    FunctionSummary,
    ModuleSummary,
    Value,
)
from fastlint.index.symbols import CALL, join_symbol, split_symbol

HTTP_METHODS = ("get", "post", "put", "patch", "delete", "options", "head", "trace")
_ROUTE_DECORATORS = (*HTTP_METHODS, "api_route", "websocket")
_APP_TYPES = ("fastapi.FastAPI", "fastapi.APIRouter", "starlette.applications.Starlette")
_DEPENDS = (
    "fastapi.Depends",
    "fastapi.Security",
    "fastapi.params.Depends",
    "fastapi.params.Security",
)
_BASE_HTTP_MIDDLEWARE = "starlette.middleware.base.BaseHTTPMiddleware"
_STREAMING_RESPONSES = ("starlette.responses.StreamingResponse",)
_BACKGROUND_TASK_ADDERS = ("starlette.background.BackgroundTasks().add_task",)
_THREAD_DECORATORS = ("asgiref.sync.sync_to_async", "asyncer.asyncify", "aiofiles.os.wrap")
_TYPE_WRAPPERS = ("typing.Annotated", "typing_extensions.Annotated", "typing.Optional")
_BACKGROUND_TASK_TYPES = ("starlette.background.BackgroundTask",)


@dataclass(frozen=True)
class Function:
    """A function of the project, with the module it lives in."""

    key: str  # ``module.qualname``
    module: ModuleSummary
    summary: FunctionSummary

    @property
    def display_name(self) -> str:
        return f"{self.summary.qualname.replace('.<locals>', '')}()"


@dataclass(frozen=True)
class Resolved:
    """What a symbol turned out to be."""

    kind: str  # "function", "class", "instance", "module", "external", "opaque"
    symbol: str
    function: Optional[Function] = None
    klass: Optional[tuple[ModuleSummary, ClassSummary]] = None


@dataclass(frozen=True)
class Route:
    methods: tuple[str, ...]
    path: str  # as written on the route, without router prefixes
    handler: Function
    span: Span  # the decorator (or the registering call)
    websocket: bool = False
    owner: str = ""  # the module-level app or router it is registered on, e.g. ``app.api.router``
    registration: Optional[Value] = None  # the decorator or registering call, for its keywords


@dataclass(frozen=True)
class BlockingSite:
    """Blocking work reached from an event-loop function, reported at ``call``."""

    function: Function  # the event-loop function the call is in
    call: CallSite
    blocking: BlockingCall
    leaf_label: str  # e.g. ``requests.get()``
    # The project functions between ``call`` and the leaf, each with the call it makes.
    chain: tuple[tuple[Function, CallSite], ...] = ()


@dataclass(frozen=True)
class RequestReach:
    """A function that runs for a request, and the way there from its entry point."""

    function: Function
    role: str  # the entry point's role: "route", "dependency", "middleware"...
    # Each function from the entry point on, with the call it makes towards ``function``.
    chain: tuple[tuple[Function, CallSite], ...] = ()


_T = TypeVar("_T")


@dataclass
class _Memo:
    resolved: dict[str, Resolved] = field(default_factory=dict)
    app_methods: dict[str, tuple[Optional[str], str]] = field(default_factory=dict)
    analyses: dict[str, object] = field(default_factory=dict)


class ProjectModel:
    def __init__(
        self, summaries: Iterable[ModuleSummary], catalog: Catalog, root: str = ""
    ) -> None:
        self.catalog = catalog
        self.root = root
        self.modules: dict[str, ModuleSummary] = {}
        for summary in sorted(summaries, key=lambda s: s.path):
            self.modules.setdefault(summary.module, summary)
        self.functions: dict[str, Function] = {}
        self.classes: dict[str, tuple[ModuleSummary, ClassSummary]] = {}
        self._names: dict[str, dict[str, str]] = {}  # module -> top-level name -> what it is
        for summary in self.modules.values():
            names: dict[str, str] = {}
            for local, _ in summary.imports:
                names[local] = "import"
            for binding in summary.bindings:
                names.setdefault(binding.name, "binding")
            for fn in summary.functions:
                self.functions[f"{summary.module}.{fn.qualname}"] = Function(
                    f"{summary.module}.{fn.qualname}", summary, fn
                )
                if "." not in fn.qualname:
                    names[fn.qualname] = "function"
            for cls in summary.classes:
                self.classes[f"{summary.module}.{cls.qualname}"] = (summary, cls)
                if "." not in cls.qualname:
                    names[cls.qualname] = "class"
            self._names[summary.module] = names
        self._imports = {s.module: dict(s.imports) for s in self.modules.values()}
        self._bindings: dict[str, dict[str, list[Value]]] = {}
        for summary in self.modules.values():
            table: dict[str, list[Value]] = {}
            for binding in summary.bindings:
                table.setdefault(binding.name, []).append(binding.value)
            self._bindings[summary.module] = table
        self._aliases = self._source_root_aliases()
        self._memo = _Memo()
        self._event_loop: Optional[dict[str, str]] = None
        self._routes: Optional[list[Route]] = None
        self._called: Optional[set[str]] = None

    # --- resolution ---------------------------------------------------------------------

    def resolve(self, symbol: str) -> Resolved:
        if not symbol:
            return Resolved("opaque", UNKNOWN)
        hit = self._memo.resolved.get(symbol)
        if hit is None:
            hit = self._resolve(split_symbol(symbol), 0)
            self._memo.resolved[symbol] = hit
        return hit

    def _resolve(self, tokens: list[str], depth: int) -> Resolved:
        for _ in range(24):
            if depth > 24 or not tokens:
                return Resolved("opaque", join_symbol(tokens))
            module_end = self._module_prefix(tokens)
            if module_end == 0 and self._aliases:
                tokens = self._with_module_aliases(tokens)
                module_end = self._module_prefix(tokens)
            if module_end == 0:
                tokens = self.catalog.rewrite(tokens)
                return Resolved("external", join_symbol(tokens))
            module = ".".join(tokens[:module_end])
            if module_end == len(tokens):
                return Resolved("module", module)
            name, rest = tokens[module_end], tokens[module_end + 1 :]
            if name == CALL:
                return Resolved("opaque", join_symbol(tokens))
            kind = self._names[module].get(name)
            if kind == "function":
                return self._after_function(f"{module}.{name}", rest, depth)
            if kind == "class":
                return self._after_class(f"{module}.{name}", rest, depth)
            if kind == "import":
                tokens = [*split_symbol(self._imports[module][name]), *rest]
                depth += 1
                continue
            if kind == "binding":
                value = _single_symbol(self._bindings[module][name])
                if value is None:
                    return Resolved("opaque", join_symbol(tokens))
                tokens = [*split_symbol(value), *rest]
                depth += 1
                continue
            return Resolved("opaque", join_symbol(tokens))
        return Resolved("opaque", join_symbol(tokens))

    def _module_prefix(self, tokens: list[str]) -> int:
        best = 0
        dotted = ""
        for index, token in enumerate(tokens):
            if token == CALL:
                break
            dotted = f"{dotted}.{token}" if dotted else token
            if dotted in self.modules:
                best = index + 1
        return best

    def _source_root_aliases(self) -> dict[str, str]:
        """Other names a module is imported by: relative to the folder of the module that
        makes the FastAPI app (often run from there) and to ``src/``, when unambiguous.
        ``from utils import x`` then finds ``newsee/utils.py`` whatever ``__init__.py``
        files lie around."""
        roots = {os.path.join(self.root, "src")} if self.root else set()
        for summary in self.modules.values():
            if any(
                b.value.kind == "call" and b.value.symbol in _APP_TYPES for b in summary.bindings
            ):
                roots.add(os.path.dirname(summary.path))
        # Prefix tests on absolute paths: os.path.relpath per module and root was a hot spot.
        prefixes = [os.path.join(os.path.abspath(root), "") for root in roots]
        candidates: dict[str, set[str]] = {}
        for name, summary in self.modules.items():
            path = os.path.abspath(summary.path)
            for prefix in prefixes:
                if not path.startswith(prefix):
                    continue
                relative = path[len(prefix) :]
                parts = relative[: -len(".py")].split(os.sep) if relative.endswith(".py") else []
                if summary.is_package:
                    parts = parts[:-1]
                if parts and all(p.isidentifier() for p in parts):
                    alias = ".".join(parts)
                    if alias != name:
                        candidates.setdefault(alias, set()).add(name)
        return {
            alias: next(iter(names))
            for alias, names in candidates.items()
            if len(names) == 1 and alias not in self.modules
        }

    def _with_module_aliases(self, tokens: list[str]) -> list[str]:
        """``utils.x`` → ``newsee.utils.x`` when only an alias names the module."""
        dotted = ""
        found: Optional[tuple[int, str]] = None
        for index, token in enumerate(tokens):
            if token == CALL:
                break
            dotted = f"{dotted}.{token}" if dotted else token
            real = self._aliases.get(dotted)
            if real is not None:
                found = (index + 1, real)
        if found is None:
            return tokens
        end, real = found
        return [*real.split("."), *tokens[end:]]

    def _after_function(self, key: str, rest: list[str], depth: int) -> Resolved:
        function = self.functions.get(key)
        if function is None:
            return Resolved("opaque", join_symbol([*split_symbol(key), *rest]))
        if not rest:
            return Resolved("function", key, function=function)
        if rest[0] == "<locals>" and len(rest) > 1:
            return self._after_function(f"{key}.<locals>.{rest[1]}", rest[2:], depth)
        if rest[0] == CALL:
            returned = _single_symbol(function.summary.returns)
            declared = function.summary.return_annotation
            if (
                returned is None
                and declared is not None
                and declared.kind == "ref"
                and declared.symbol
            ):
                returned = f"{declared.symbol}{CALL}"  # ``-> Account``: trust the declaration
            if returned is None:
                return Resolved("opaque", join_symbol([*split_symbol(key), *rest]))
            return self._resolve([*split_symbol(returned), *rest[1:]], depth + 1)
        return Resolved("opaque", join_symbol([*split_symbol(key), *rest]))

    def _after_class(self, key: str, rest: list[str], depth: int) -> Resolved:
        klass = self.classes.get(key)
        if klass is None:
            return Resolved("opaque", key)
        if not rest:
            return Resolved("class", key, klass=klass)
        if rest[0] != CALL:
            method = self.find_method(key, rest[0])
            if method is not None:
                return self._after_function(method.key, rest[1:], depth)
            return Resolved("opaque", join_symbol([*split_symbol(key), *rest]))
        rest = rest[1:]
        if not rest:
            return Resolved("instance", f"{key}{CALL}", klass=klass)
        attribute, rest = rest[0], rest[1:]
        if attribute == CALL:
            method = self.find_method(key, "__call__")
            if method is not None:
                return self._after_function(method.key, [CALL, *rest], depth)
            return Resolved("opaque", key)
        method = self.find_method(key, attribute)
        if method is not None:
            return self._after_function(method.key, rest, depth)
        values = self._class_attribute(key, attribute)
        value = _single_symbol(values) if values else None
        if value is None:
            return Resolved("opaque", join_symbol([*split_symbol(key), CALL, attribute, *rest]))
        return self._resolve([*split_symbol(value), *rest], depth + 1)

    def find_method(
        self, class_key: str, name: str, _seen: Optional[set[str]] = None
    ) -> Optional[Function]:
        seen = _seen if _seen is not None else set()
        if class_key in seen:
            return None
        seen.add(class_key)
        function = self.functions.get(f"{class_key}.{name}")
        if function is not None:
            return function
        for base in self.class_bases(class_key):
            found = self.find_method(base, name, seen)
            if found is not None:
                return found
        return None

    def class_bases(self, class_key: str) -> list[str]:
        """Project classes and external symbols the class derives from."""
        klass = self.classes.get(class_key)
        if klass is None:
            return []
        out = []
        for base in klass[1].bases:
            if base.kind == "ref" and base.symbol:
                resolved = self.resolve(base.symbol)
                out.append(resolved.symbol)
        return out

    def derives_from(self, class_key: str, external: str, _seen: Optional[set[str]] = None) -> bool:
        seen = _seen if _seen is not None else set()
        if class_key in seen:
            return False
        seen.add(class_key)
        for base in self.class_bases(class_key):
            if base == external or self.derives_from(base, external, seen):
                return True
        return False

    def _class_attribute(self, class_key: str, name: str) -> list[Value]:
        klass = self.classes.get(class_key)
        if klass is None:
            return []
        for attribute, values in klass[1].attributes:
            if attribute == name:
                return list(values)
        for base in self.class_bases(class_key):
            found = self._class_attribute(base, name)
            if found:
                return found
        return []

    def resolve_function(self, symbol: str) -> Optional[Function]:
        """The project function a reference or call target names (a class means its __init__)."""
        resolved = self.resolve(symbol)
        if resolved.kind == "function":
            return resolved.function
        return None

    # --- routes and request code --------------------------------------------------------

    def is_app_object(self, symbol: str) -> bool:
        return any(symbol == f"{t}{CALL}" for t in _APP_TYPES)

    @property
    def routes(self) -> list[Route]:
        if self._routes is None:
            self._routes = list(self._find_routes())
        return self._routes

    def _find_routes(self) -> Iterator[Route]:
        for function in self._sorted_functions():
            for decorator in function.summary.decorators:
                value = decorator.value
                if value.kind != "call":
                    continue
                owner, method = self._app_method(value.symbol)
                if owner is None or method not in _ROUTE_DECORATORS:
                    continue
                yield Route(
                    methods=_route_methods(method, value.args),
                    path=_first_str(value.args, "path"),
                    handler=function,
                    span=decorator.span,
                    websocket=method == "websocket",
                    owner=self._owner_binding(value.symbol),
                    registration=value,
                )
        for call in self._all_calls():
            owner, method = self._app_method(call.symbol)
            if owner is None or method not in (
                "add_api_route",
                "add_api_websocket_route",
                "add_route",
                "add_websocket_route",
            ):
                continue
            endpoint = _argument(call.args, 1, "endpoint")
            if endpoint is None or endpoint.kind != "ref":
                continue
            handler = self.resolve_function(endpoint.symbol)
            if handler is None:
                continue
            websocket = "websocket" in method
            yield Route(
                methods=("WEBSOCKET",) if websocket else _route_methods("api_route", call.args),
                path=_first_str(call.args, "path"),
                handler=handler,
                span=call.span,
                websocket=websocket,
                owner=self._owner_binding(call.symbol),
                registration=Value("call", call.symbol, args=call.args),
            )

    def binding_of(self, symbol: str) -> Optional[str]:
        """The module-level binding (``pkg.module.name``) a symbol names, through imports."""
        tokens = split_symbol(symbol)
        for _ in range(16):
            module_end = self._module_prefix(tokens)
            if module_end == 0 and self._aliases:
                tokens = self._with_module_aliases(tokens)
                module_end = self._module_prefix(tokens)
            if module_end == 0 or module_end + 1 != len(tokens):
                return None
            module, name = ".".join(tokens[:module_end]), tokens[module_end]
            kind = self._names[module].get(name)
            if kind == "binding":
                return f"{module}.{name}"
            if kind != "import":
                return None
            tokens = split_symbol(self._imports[module][name])
        return None

    def binding_value(self, key: str) -> Optional[Value]:
        module, _, name = key.rpartition(".")
        values = self._bindings.get(module, {}).get(name)
        return values[0] if values and len(values) == 1 else None

    def _owner_binding(self, method_symbol: str) -> str:
        tokens = split_symbol(method_symbol)
        return self.binding_of(join_symbol(tokens[:-1])) or ""

    def full_paths(self, route: Route) -> list[str]:
        """Every path the route is served at, with the prefixes of the routers around it."""
        return sorted({prefix + route.path for prefix in self._prefixes(route.owner, set())})

    def include_router_calls(self) -> list[CallSite]:
        """Every ``x.include_router(...)`` call of the project, found once per model."""

        def compute() -> list[CallSite]:
            return [
                call
                for call in self._all_calls()
                if call.symbol and split_symbol(call.symbol)[-1] == "include_router"
            ]

        return self.memoized("project.include_router_calls", compute)

    def _prefixes(self, owner: str, seen: set[str]) -> set[str]:
        if not owner or owner in seen:
            return {""}
        seen = seen | {owner}
        own = ""
        value = self.binding_value(owner)
        if value is not None and value.kind == "call":
            own = _keyword_str(value.args, "prefix")
        parents: set[str] = set()
        for parent, include_prefix in self._inclusions().get(owner, ()):
            for outer in self._prefixes(parent, seen):
                parents.add(outer + include_prefix)
        return {parent + own for parent in (parents or {""})}

    def _inclusions(self) -> dict[str, list[tuple[str, str]]]:
        """For each router included somewhere, (where, with what prefix) of each inclusion:
        found once, not once per route (with as many inclusions as routes, that was n * n)."""

        def compute() -> dict[str, list[tuple[str, str]]]:
            out: dict[str, list[tuple[str, str]]] = {}
            for call in self.include_router_calls():
                child = _argument(call.args, 0, "router")
                owner = self.binding_of(child.symbol) if child and child.kind == "ref" else None
                if owner:
                    parent = self.binding_of(join_symbol(split_symbol(call.symbol)[:-1])) or ""
                    out.setdefault(owner, []).append((parent, _keyword_str(call.args, "prefix")))
            return out

        return self.memoized("project.router_inclusions", compute)

    def request_path(self) -> dict[str, tuple[Function, ...]]:
        """Every function that runs for a request, sync or async, with a chain from its entry
        point (the entry point first). Functions handed to threads or tasks count too."""
        chains: dict[str, tuple[Function, ...]] = {}
        queue: list[Function] = []
        for function, _role in self.request_entry_points():
            if function.key not in chains:
                chains[function.key] = (function,)
                queue.append(function)
        while queue:
            function = queue.pop(0)
            for call in function.summary.calls:
                targets = [self.resolve_callee(call.symbol)]
                targets += [
                    self.resolve_function(arg.value.symbol)
                    for arg in call.args
                    if arg.value.kind == "ref" and arg.value.symbol
                ]
                for target in targets:
                    if target is not None and target.key not in chains:
                        chains[target.key] = (*chains[function.key], target)
                        queue.append(target)
        return chains

    def request_reach(
        self, follow: Optional[Callable[[Function, CallSite, Function], bool]] = None
    ) -> dict[str, RequestReach]:
        """As :meth:`request_path`, with the calls that lead to each function. ``follow(caller,
        call, callee)`` decides which calls to go through (all of them when not given)."""
        reached: dict[str, RequestReach] = {}
        queue: list[RequestReach] = []
        for function, role in self.request_entry_points():
            if function.key not in reached:
                reached[function.key] = RequestReach(function, role)
                queue.append(reached[function.key])
        while queue:
            current = queue.pop(0)
            function = current.function
            for call in function.summary.calls:
                targets = [self.resolve_callee(call.symbol)]
                targets += [
                    self.resolve_function(arg.value.symbol)
                    for arg in call.args
                    if arg.value.kind == "ref" and arg.value.symbol
                ]
                for target in targets:
                    if target is None or target.key in reached:
                        continue
                    if follow is not None and not follow(function, call, target):
                        continue
                    step = RequestReach(target, current.role, (*current.chain, (function, call)))
                    reached[target.key] = step
                    queue.append(step)
        return reached

    def memoized(self, key: str, compute: Callable[[], _T]) -> _T:
        """A whole-project analysis that several rules share, computed once per model."""
        if key not in self._memo.analyses:
            self._memo.analyses[key] = compute()
        return cast(_T, self._memo.analyses[key])

    def _app_method(self, symbol: str) -> tuple[Optional[str], str]:
        """For ``app.get`` where ``app`` is a FastAPI app or router: (app symbol, "get")."""
        # Asked of every call in the project, where the same symbols recur: memoized.
        hit = self._memo.app_methods.get(symbol)
        if hit is None:
            hit = self._memo.app_methods[symbol] = self._find_app_method(symbol)
        return hit

    def _find_app_method(self, symbol: str) -> tuple[Optional[str], str]:
        if not symbol:
            return None, ""
        tokens = split_symbol(symbol)
        if len(tokens) < 2 or tokens[-1] == CALL:
            return None, ""
        owner = self.resolve(join_symbol(tokens[:-1]))
        if owner.kind == "external" and self.is_app_object(owner.symbol):
            return owner.symbol, tokens[-1]
        return None, ""

    def _all_calls(self) -> Iterator[CallSite]:
        for summary in self.modules.values():
            yield from summary.module_calls
            for fn in summary.functions:
                yield from fn.calls

    def _sorted_functions(self) -> list[Function]:
        return [self.functions[key] for key in sorted(self.functions)]

    def dependencies_of(self, function: Function) -> Iterator[Function]:
        """Functions FastAPI calls to resolve ``Depends(...)`` in the function's parameters."""
        for param in function.summary.params:
            candidates = [param.default, *param.annotation_extras]
            for candidate in candidates:
                if candidate is None or candidate.kind != "call":
                    continue
                if self.resolve(candidate.symbol).symbol not in _DEPENDS:
                    continue
                target = _argument(candidate.args, 0, "dependency")
                if target is not None and target.kind == "ref":
                    yield from self._dependency_callables(target.symbol)
                elif (
                    target is None
                    and param.annotation is not None
                    and param.annotation.kind == "ref"
                ):
                    yield from self._dependency_callables(param.annotation.symbol)

    def _dependency_callables(self, symbol: str) -> Iterator[Function]:
        resolved = self.resolve(symbol)
        if resolved.kind == "function" and resolved.function is not None:
            yield resolved.function
        elif resolved.kind == "class":
            init = self.find_method(resolved.symbol, "__init__")
            if init is not None:
                yield init
        elif resolved.kind == "instance":
            call = self.find_method(resolved.symbol[: -len(CALL)], "__call__")
            if call is not None:
                yield call

    def _dependencies_in(self, value: Value) -> Iterator[Function]:
        """``[Depends(a), Depends(b)]`` as given to ``dependencies=``."""
        for element in value.elements:
            if element.kind == "call" and self.resolve(element.symbol).symbol in _DEPENDS:
                target = _argument(element.args, 0, "dependency")
                if target is not None and target.kind == "ref":
                    yield from self._dependency_callables(target.symbol)

    def event_loop_functions(self) -> dict[str, str]:
        """Function key → why it runs on the event loop (its role, or who awaits it)."""
        if self._event_loop is None:
            self._event_loop = self._compute_event_loop()
        return self._event_loop

    def request_entry_points(self) -> list[tuple[Function, str]]:
        """Every function FastAPI or Starlette calls for a request, with its role."""
        return self.memoized("request-entry-points", lambda: list(self._request_entry_points()))

    def _request_entry_points(self) -> Iterator[tuple[Function, str]]:
        """Every function FastAPI or Starlette calls for a request, with its role."""
        dependency_roots: list[Function] = []
        for route in self.routes:
            yield route.handler, "websocket handler" if route.websocket else "route"
            dependency_roots.append(route.handler)
        for call in self._all_calls():
            for arg in call.args:
                if arg.keyword == "dependencies" and arg.value.kind in ("list", "tuple"):
                    for dependency in self._dependencies_in(arg.value):
                        yield dependency, "dependency"
                        dependency_roots.append(dependency)
        for function in self._sorted_functions():
            for decorator in function.summary.decorators:
                value = decorator.value
                if value.kind == "call":
                    for arg in value.args:
                        if arg.keyword == "dependencies":
                            for dependency in self._dependencies_in(arg.value):
                                yield dependency, "dependency"
                                dependency_roots.append(dependency)
                    _, method = self._app_method(value.symbol)
                    if method == "middleware":
                        yield function, "middleware"
                    elif method == "exception_handler":
                        yield function, "exception handler"
        seen: set[str] = set()
        while dependency_roots:
            current = dependency_roots.pop()
            if current.key in seen:
                continue
            seen.add(current.key)
            for dependency in self.dependencies_of(current):
                yield dependency, "dependency"
                dependency_roots.append(dependency)
        for key in sorted(self.classes):
            if self.derives_from(key, _BASE_HTTP_MIDDLEWARE):
                dispatch = self.functions.get(f"{key}.dispatch")
                if dispatch is not None:
                    yield dispatch, "middleware"
        for call in self._all_calls():
            owner, method = self._app_method(call.symbol)
            if owner is not None and method == "add_exception_handler":
                handler = _argument(call.args, 1, "handler")
                if handler is not None and handler.kind == "ref":
                    exception_handler = self.resolve_function(handler.symbol)
                    if exception_handler is not None:
                        yield exception_handler, "exception handler"
            if owner is not None and method == "add_middleware":
                middleware = _argument(call.args, 0, "middleware_class")
                if middleware is not None and middleware.kind == "ref":
                    resolved = self.resolve(middleware.symbol)
                    if resolved.kind == "class":
                        asgi_call = self.find_method(resolved.symbol, "__call__")
                        if asgi_call is not None:
                            yield asgi_call, "middleware"

    def _compute_event_loop(self) -> dict[str, str]:
        on_loop: dict[str, str] = {}
        queue: list[Function] = []
        entry_points = self.request_entry_points()
        for function, role in entry_points:
            if function.summary.is_async and function.key not in on_loop:
                on_loop[function.key] = f"async {role}"
                queue.append(function)
        # Async background tasks run on the loop, even when a sync route schedules them.
        for key in sorted({f.key for f, _ in entry_points}):
            function = self.functions[key]
            for call in function.summary.calls:
                for target in self._loop_callables_handed_over(call):
                    if target.summary.is_async and target.key not in on_loop:
                        on_loop[target.key] = "async task or stream"
                        queue.append(target)
        while queue:
            function = queue.pop(0)
            for call in function.summary.calls:
                callee = self.resolve_callee(call.symbol)
                if callee is not None and callee.summary.is_async and callee.key not in on_loop:
                    on_loop[callee.key] = f"awaited from {function.display_name}"
                    queue.append(callee)
                for handed in self._loop_callables_handed_over(call):
                    if handed.summary.is_async and handed.key not in on_loop:
                        on_loop[handed.key] = "async task or stream"
                        queue.append(handed)
        return on_loop

    def _loop_callables_handed_over(self, call: CallSite) -> Iterator[Function]:
        """Async functions given to ``add_task``/``BackgroundTask``/``StreamingResponse``."""
        if not call.symbol:
            return
        resolved = self.resolve(call.symbol).symbol
        if resolved in _BACKGROUND_TASK_ADDERS or resolved in _BACKGROUND_TASK_TYPES:
            first = _argument(call.args, 0, "func")
            if first is not None and first.kind == "ref":
                function = self.resolve_function(first.symbol)
                if function is not None:
                    yield function
        elif resolved in _STREAMING_RESPONSES:
            # Starlette iterates an async generator on the loop, even from a sync route.
            content = _argument(call.args, 0, "content")
            if content is not None and content.kind == "call":
                generator = self.resolve_callee(content.symbol)
                if generator is not None and generator.summary.is_generator:
                    yield generator

    def runs_in_thread(self, function: Function) -> bool:
        """A sync function wrapped by a decorator that runs it in a thread when called
        (``@sync_to_async``, ``@asyncify``): calling it blocks nobody."""
        for decorator in function.summary.decorators:
            value = decorator.value
            symbol = value.symbol if value.kind in ("ref", "call") else ""
            if symbol and self.resolve(symbol).symbol in _THREAD_DECORATORS:
                return True
        return False

    def is_called_in_project(self, function: Function) -> bool:
        """Whether any project code calls the function directly (not as FastAPI does)."""
        if self._called is None:
            called: set[str] = set()
            for call in self._all_calls():
                callee = self.resolve_callee(call.symbol)
                if callee is not None:
                    called.add(callee.key)
            self._called = called
        return function.key in self._called

    def resolve_callee(self, symbol: str) -> Optional[Function]:
        """The project function a call runs: a function, a method, a class's __init__."""
        if not symbol:
            return None
        resolved = self.resolve(symbol)
        if resolved.kind == "function":
            return resolved.function
        if resolved.kind == "class":
            return self.find_method(resolved.symbol, "__init__")
        if resolved.kind == "instance":
            return self.find_method(resolved.symbol[: -len(CALL)], "__call__")
        return None

    # --- blocking work on the event loop -------------------------------------------------

    def blocking_sites(self) -> list[BlockingSite]:
        """Every call on the event loop that blocks, directly or through project functions.
        Each FLT1xx rule asks for its kind: computed once."""
        return self.memoized("blocking-sites", self._compute_blocking_sites)

    def _compute_blocking_sites(self) -> list[BlockingSite]:
        loop = self.event_loop_functions()
        leaves = self._blocking_leaves()
        sites: list[BlockingSite] = []
        for key in sorted(loop):
            function = self.functions[key]
            for call in function.summary.calls:
                if call.awaited or call.fills_missing:
                    continue
                direct = self._direct_blocking(call)
                if direct is not None:
                    sites.append(BlockingSite(function, call, direct[0], direct[1]))
                    continue
                callee = self.resolve_callee(call.symbol)
                if (
                    callee is None
                    or callee.summary.is_async
                    or callee.summary.is_generator
                    or self.runs_in_thread(callee)
                ):
                    continue
                for (_, blocking, label), chain in sorted(
                    leaves.get(callee.key, {}).items(), key=lambda item: (len(item[1]), item[0][0])
                ):
                    sites.append(BlockingSite(function, call, blocking, label, chain))
        return sites

    def _direct_blocking(self, call: CallSite) -> Optional[tuple[BlockingCall, str]]:
        if not call.symbol:
            return None
        resolved = self.resolve(call.symbol)
        if resolved.kind != "external":
            return None
        blocking = self.catalog.blocking_call(resolved.symbol)
        if blocking is None or blocking.is_quick(call.args):
            return None
        return blocking, _display_call(resolved.symbol)

    def _blocking_leaves(
        self,
    ) -> dict[str, dict[tuple[str, BlockingCall, str], tuple[tuple[Function, CallSite], ...]]]:
        """For each sync project function reachable from the loop: the blocking calls it makes,
        directly or through other sync project functions, each with the shortest chain."""
        loop = self.event_loop_functions()
        reachable: dict[str, Function] = {}
        stack = [self.functions[k] for k in sorted(loop)]
        while stack:
            function = stack.pop()
            for call in function.summary.calls:
                callee = self.resolve_callee(call.symbol) if not call.awaited else None
                if (
                    callee is not None
                    and not callee.summary.is_async
                    and not callee.summary.is_generator
                    and not self.runs_in_thread(callee)
                    and callee.key not in reachable
                ):
                    reachable[callee.key] = callee
                    stack.append(callee)
        Leaf = tuple[str, BlockingCall, str]
        best: dict[str, dict[Leaf, tuple[tuple[Function, CallSite], ...]]] = {}
        edges: dict[str, list[tuple[CallSite, Function]]] = {}
        for key in sorted(reachable):
            function = reachable[key]
            table: dict[Leaf, tuple[tuple[Function, CallSite], ...]] = {}
            for call in function.summary.calls:
                if call.fills_missing:
                    continue  # a default filled in only when missing: maybe never
                direct = self._direct_blocking(call)
                if direct is not None:
                    leaf_key = f"{function.module.path}:{call.span.line}:{call.span.column}"
                    table.setdefault((leaf_key, direct[0], direct[1]), ((function, call),))
                    continue
                callee = self.resolve_callee(call.symbol)
                if callee is not None and callee.key in reachable:
                    edges.setdefault(key, []).append((call, callee))
            best[key] = table
        changed = True
        rounds = 0
        while changed and rounds < 64:
            changed = False
            rounds += 1
            for key in sorted(edges):
                function = reachable[key]
                table = best[key]
                for call, callee in edges[key]:
                    for leaf, chain in list(best[callee.key].items()):
                        candidate = ((function, call), *chain)
                        current = table.get(leaf)
                        if current is None or len(candidate) < len(current):
                            table[leaf] = candidate
                            changed = True
        return best


def _single_symbol(values: Iterable[Value]) -> Optional[str]:
    """The one symbol all the values agree on (a reference or a call's result), if any."""
    symbols = set()
    for value in values:
        while value.elements and (
            value.kind == "await" or (value.kind == "subscript" and value.symbol in _TYPE_WRAPPERS)
        ):
            value = value.elements[0]
        if value.kind == "ref" and value.symbol:
            symbols.add(value.symbol)
        elif value.kind == "call" and value.symbol:
            symbols.add(f"{value.symbol}{CALL}")
        elif value.kind == "const" and value.literal == "None":
            continue  # ``return None`` on an error path says nothing about the type
        else:
            return None
    return symbols.pop() if len(symbols) == 1 else None


def _argument(args: tuple[Argument, ...], position: int, keyword: str) -> Optional[Value]:
    positional = [a for a in args if a.keyword is None and not a.star]
    if position < len(positional):
        return positional[position].value
    for arg in args:
        if arg.keyword == keyword:
            return arg.value
    return None


def _keyword_str(args: tuple[Argument, ...], keyword: str) -> str:
    for arg in args:
        if (
            arg.keyword == keyword
            and arg.value.kind == "str"
            and isinstance(arg.value.literal, str)
        ):
            return arg.value.literal
    return ""


def _first_str(args: tuple[Argument, ...], keyword: str) -> str:
    value = _argument(args, 0, keyword)
    if value is not None and value.kind == "str" and isinstance(value.literal, str):
        return value.literal
    return ""


def _route_methods(decorator: str, args: tuple[Argument, ...]) -> tuple[str, ...]:
    if decorator == "websocket":
        return ("WEBSOCKET",)
    if decorator in HTTP_METHODS:
        return (decorator.upper(),)
    methods = _argument(args, 99, "methods")
    if methods is not None and methods.kind in ("list", "tuple", "set"):
        names = [e.literal.upper() for e in methods.elements if isinstance(e.literal, str)]
        return tuple(names) or ("GET",)
    return ("GET",)


def _display_call(symbol: str) -> str:
    """How a call is shown: ``Session.query()`` for a method, ``time.sleep()`` for a function."""
    tokens = split_symbol(symbol)
    if CALL in tokens:
        last_call = len(tokens) - 1 - tokens[::-1].index(CALL)
        maker = tokens[last_call - 1] if last_call > 0 else ""
        if maker[:1].isupper():
            rest = [t for t in tokens[last_call + 1 :] if t != CALL]
            return ".".join([maker, *rest]) + "()"
    shown = symbol[len("builtins.") :] if symbol.startswith("builtins.") else symbol
    return f"{shown}()"
