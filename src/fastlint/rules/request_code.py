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


def _follow(project: ProjectModel, caller: Function, call: CallSite, callee: Function) -> bool:
    # A guarded call is lazy initialisation; a memoised function runs once per argument.
    return not call.guarded and not is_memoized(project, callee)


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
    """A value made by a catalog connection constructor: an engine, a pool, a client."""
    while value is not None and value.kind == "await" and value.elements:
        value = value.elements[0]
    if value is None or value.kind != "call" or not value.symbol:
        return False
    resolved = project.resolve(value.symbol)
    return (
        resolved.kind == "external"
        and project.catalog.connection_constructor(resolved.symbol) is not None
    )
