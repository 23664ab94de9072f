"""What runs for every request, as the state (FLT2xx) and connection (FLT3xx) rules see it.

Both families ask the same question of the project model: which functions run once per
request, and through which calls. Work done once does not count: code reached only through a
memoised function (``@lru_cache``) or a lazy initialisation (``if _client is None: ...``),
and anything reached from a test file.
"""

from __future__ import annotations

import os
from typing import Optional

from fastlint.findings import ChainStep
from fastlint.index.summary import CallSite, Decorator, Value
from fastlint.index.symbols import CALL
from fastlint.project import Function, ProjectModel, RequestReach

_TEST_DIRECTORIES = frozenset({"tests", "test", "testing"})


def relative_path(path: str, root: str) -> str:
    try:
        return os.path.relpath(path, root).replace(os.sep, "/")
    except ValueError:  # another drive on Windows
        return path


def is_test_file(path: str, root: str) -> bool:
    """A test module: ``test_*.py``, ``*_test.py``, ``conftest.py`` or in a tests folder."""
    relative = relative_path(path, root)
    *folders, name = relative.split("/")
    if name == "conftest.py" or name.startswith("test_") or name.endswith("_test.py"):
        return True
    return any(folder in _TEST_DIRECTORIES for folder in folders)


def memoizer_of(project: ProjectModel, decorator: Decorator) -> Optional[str]:
    """The catalog's kind of a memoising decorator (``unbounded``, ``sized``, ``other``)."""
    value = decorator.value
    if value.kind not in ("ref", "call") or not value.symbol:
        return None
    resolved = project.resolve(value.symbol)
    if resolved.kind != "external":
        return None
    return project.catalog.memoizer_kind(resolved.symbol)


def is_memoized(project: ProjectModel, function: Function) -> bool:
    return any(memoizer_of(project, d) is not None for d in function.summary.decorators)


def is_kept(function: Function, call: CallSite) -> bool:
    """Whether the call's result is stored for reuse: on an object (``app.state.client``,
    ``self._client`` outside ``__init__``) or in a container (``clients[key]``)."""
    if call.kept in ("attribute", "item"):
        return True
    return call.kept == "self" and function.summary.name != "__init__"


def _follow(project: ProjectModel, caller: Function, call: CallSite, callee: Function) -> bool:
    # A guarded call is lazy initialisation, a kept result is made once per key or object,
    # and a memoised function runs once per argument.
    return not call.guarded and not is_kept(caller, call) and not is_memoized(project, callee)


def request_functions(project: ProjectModel) -> list[RequestReach]:
    """Every function that runs once per request, outside test files, sorted by key."""

    def compute() -> list[RequestReach]:
        reach = project.request_reach(lambda a, c, b: _follow(project, a, c, b))
        out = []
        for key in sorted(reach):
            step = reach[key]
            entry = step.chain[0][0] if step.chain else step.function
            if is_test_file(entry.module.path, project.root):
                continue
            if is_test_file(step.function.module.path, project.root):
                continue
            out.append(step)
        return out

    return project.memoized("fastlint.rules.request_code.request_functions", compute)


def chain_text(step: RequestReach, root: str) -> str:
    """``read_item() [app/routes.py:12] → convert_price()``: how a request gets there."""
    parts = [
        f"{function.display_name} [{relative_path(function.module.path, root)}:{call.span.line}]"
        for function, call in step.chain
    ]
    return " → ".join([*parts, step.function.display_name])


def chain_steps(step: RequestReach, root: str) -> tuple[ChainStep, ...]:
    return tuple(
        ChainStep(
            function.display_name,
            relative_path(function.module.path, root),
            call.span.line,
            call.span.column,
        )
        for function, call in step.chain
    )


def is_websocket(project: ProjectModel, value: Optional[Value]) -> bool:
    """A value that is a websocket connection (a ``WebSocket`` parameter, typically)."""
    if value is None or value.kind != "ref" or not value.symbol:
        return False
    return project.resolve(value.symbol).symbol == f"starlette.websockets.WebSocket{CALL}"


def is_connection(project: ProjectModel, value: Optional[Value]) -> bool:
    """A value made by a catalog connection constructor (an engine, a pool, a client), by a
    project function that calls one (``get_openai_client(key)``), or an object of a project
    class that holds one."""
    while value is not None and value.kind == "await" and value.elements:
        value = value.elements[0]
    if value is None or value.kind != "call" or not value.symbol:
        return False
    resolved = project.resolve(value.symbol)
    if resolved.kind == "external":
        return project.catalog.connection_constructor(resolved.symbol) is not None
    if resolved.kind == "function" and resolved.function is not None:
        return any(
            _constructs_connection(project, call) for call in resolved.function.summary.calls
        )
    if resolved.kind == "class":
        return resolved.symbol in client_classes(project)
    return False


def is_process_object(project: ProjectModel, value: Optional[Value]) -> bool:
    """What belongs to one process by nature: a client, a lock, a task, an executor."""
    if is_connection(project, value):
        return True
    while value is not None and value.kind == "await" and value.elements:
        value = value.elements[0]
    if value is None or value.kind != "call" or not value.symbol:
        return False
    resolved = project.resolve(value.symbol)
    return resolved.kind == "external" and project.catalog.is_process_bound(resolved.symbol)


def client_classes(project: ProjectModel) -> frozenset[str]:
    """Project classes whose objects hold a client (``self.client = httpx.AsyncClient()``),
    and their base classes, whose objects may be any of them."""

    def compute() -> frozenset[str]:
        holders = {
            key
            for key, (_, klass) in project.classes.items()
            if any(
                is_connection(project, value)
                for _, values in klass.attributes
                for value in values
                if value.kind == "call" and project.resolve(value.symbol).kind == "external"
            )
        }
        out = set(holders)
        pending = list(holders)
        while pending:
            for base in project.class_bases(pending.pop()):
                if base in project.classes and base not in out:
                    out.add(base)
                    pending.append(base)
        return frozenset(out)

    return project.memoized("fastlint.rules.request_code.client_classes", compute)


def _constructs_connection(project: ProjectModel, call: CallSite) -> bool:
    if not call.symbol:
        return False
    resolved = project.resolve(call.symbol)
    if resolved.kind == "class":
        return resolved.symbol in client_classes(project)
    return (
        resolved.kind == "external"
        and project.catalog.connection_constructor(resolved.symbol) is not None
    )


def names_process_type(project: ProjectModel, annotation: Optional[Value]) -> bool:
    """An annotation that mentions a client, lock or task type: ``dict[str, AsyncOpenAI]``,
    ``set[asyncio.Task]``, ``dict[str, Provider]`` where providers hold clients."""
    if annotation is None:
        return False
    if annotation.symbol:
        resolved = project.resolve(annotation.symbol)
        if resolved.kind == "external" and (
            project.catalog.connection_constructor(resolved.symbol) is not None
            or project.catalog.is_process_bound(resolved.symbol)
        ):
            return True
        if resolved.kind == "class" and resolved.symbol in client_classes(project):
            return True
    return any(names_process_type(project, element) for element in annotation.elements)
