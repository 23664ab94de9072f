"""``fastlint routes``: every endpoint of the project, with what runs for it and what fastlint
found on the way, so reviewers and newcomers can find the slow routes."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Optional

from fastlint.index.summary import Argument, Value
from fastlint.index.symbols import join_symbol, split_symbol
from fastlint.project import Function, ProjectModel, Route
from fastlint.rules import RawFinding
from fastlint.scopes import Scope, innermost, read_source, scopes_of

_DEPENDS = (
    "fastapi.Depends",
    "fastapi.Security",
    "fastapi.params.Depends",
    "fastapi.params.Security",
)
# The response rules that say a list route returns every row; read from their findings on
# the route's decorator, so this module knows nothing of how they decide.
_UNBOUNDED_CODES = ("FLT401", "FLT402")
# Findings about fastlint itself, not about the code a request runs.
_NOT_ON_A_PATH = ("FLT001", "FLT002", "FLT003")
# Shown for a part of a path that is not a literal string, e.g. ``f"{base}/items"``.
DYNAMIC = "<?>"
_METHOD_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE")


@dataclass(frozen=True)
class Endpoint:
    """One route at one full path."""

    methods: tuple[str, ...]
    path: str  # with the prefixes of the routers around it
    handler: str  # e.g. ``list_items``
    file: str  # display path of the handler's file
    line: int  # the handler's ``def``
    is_async: bool
    websocket: bool
    dependencies: tuple[str, ...]  # what FastAPI resolves for it: parameters, route, routers
    path_known: bool  # False when the route's own path is not a literal (shown as ``<?>``)
    unbounded: Optional[bool]  # True: a list response with no bound; None: not known
    findings: tuple[tuple[str, int], ...] = ()  # (family, count): ``("FLT1xx", 2)``
    codes: tuple[tuple[str, int], ...] = field(default=(), compare=False)

    @property
    def method_label(self) -> str:
        return "WS" if self.websocket else ",".join(self.methods)


def _argument(args: tuple[Argument, ...], position: int, keyword: str) -> Optional[Value]:
    positional = [a for a in args if a.keyword is None and not a.star]
    for arg in args:
        if arg.keyword == keyword:
            return arg.value
    return positional[position].value if position < len(positional) else None


def _keyword(args: tuple[Argument, ...], keyword: str) -> Optional[Value]:
    return next((arg.value for arg in args if arg.keyword == keyword), None)


def _depends_targets(project: ProjectModel, value: Optional[Value]) -> Iterator[Function]:
    """The callables of ``[Depends(a), Security(b)]``, as given to ``dependencies=``."""
    if value is None:
        return
    for element in value.elements:
        if element.kind != "call" or project.resolve(element.symbol).symbol not in _DEPENDS:
            continue
        target = _argument(element.args, 0, "dependency")
        if target is not None and target.kind == "ref":
            function = project.resolve_callee(target.symbol)
            if function is not None:
                yield function


def _router_dependencies(project: ProjectModel, owner: str, seen: frozenset[str]) -> list[Function]:
    """``dependencies=`` of the router a route is on, of the ``include_router`` calls that
    mount it, and of the routers and app above."""
    if not owner or owner in seen:
        return []
    seen = seen | {owner}
    out: list[Function] = []
    value = project.binding_value(owner)
    if value is not None and value.kind == "call":
        out.extend(_depends_targets(project, _keyword(value.args, "dependencies")))
    for call in project.include_router_calls():
        child = _argument(call.args, 0, "router")
        if child is None or child.kind != "ref" or project.binding_of(child.symbol) != owner:
            continue
        out.extend(_depends_targets(project, _keyword(call.args, "dependencies")))
        parent = project.binding_of(join_symbol(split_symbol(call.symbol)[:-1]))
        if parent:
            out.extend(_router_dependencies(project, parent, seen))
    return out


def route_dependencies(project: ProjectModel, route: Route) -> list[Function]:
    """What FastAPI calls before the handler: its ``Depends`` parameters, the route's and the
    routers' ``dependencies=``; each once, in that order."""
    found: list[Function] = list(project.dependencies_of(route.handler))
    if route.registration is not None:
        found.extend(_depends_targets(project, _keyword(route.registration.args, "dependencies")))
    found.extend(
        project.memoized(
            f"routes.router_dependencies:{route.owner}",
            lambda: _router_dependencies(project, route.owner, frozenset()),
        )
    )
    unique: dict[str, Function] = {}
    for function in found:
        unique.setdefault(function.key, function)
    return list(unique.values())


def _literal_path(route: Route) -> bool:
    if route.registration is None:
        return True
    value = _argument(route.registration.args, 0, "path")
    return value is not None and value.kind == "str" and isinstance(value.literal, str)


def _full_paths(project: ProjectModel, route: Route, path_known: bool) -> list[str]:
    """The route's full paths; the router prefixes are worked out once per router."""
    prefixes = project.memoized(
        f"routes.prefixes:{route.owner}",
        lambda: project.full_paths(dataclasses.replace(route, path="")) or [""],
    )
    own = route.path if path_known else DYNAMIC
    return sorted({prefix + own for prefix in prefixes})


def request_functions(project: ProjectModel, route: Route) -> set[str]:
    """Keys of every project function that runs for the route: the handler, its dependencies
    (and theirs), and whatever they call or hand to a thread or task."""
    queue = [route.handler, *route_dependencies(project, route)]
    reached: set[str] = set()
    while queue:
        function = queue.pop()
        if function.key in reached:
            continue
        reached.add(function.key)
        queue.extend(project.dependencies_of(function))
        for call in function.summary.calls:
            callee = project.resolve_callee(call.symbol)
            if callee is not None:
                queue.append(callee)
            for arg in call.args:
                if arg.value.kind == "ref" and arg.value.symbol:
                    handed = project.resolve_function(arg.value.symbol)
                    if handed is not None:
                        queue.append(handed)
    return reached


class _FindingPlaces:
    """Which project function each finding is in, by reading the files that have findings."""

    def __init__(self, project: ProjectModel) -> None:
        self._keys: dict[tuple[str, str], str] = {
            (f.module.path, f.summary.qualname): key for key, f in project.functions.items()
        }
        self._scopes: dict[str, list[Scope]] = {}

    def function_at(self, path: str, line: int) -> Optional[str]:
        scopes = self._scopes.get(path)
        if scopes is None:
            scopes = self._scopes[path] = scopes_of(read_source(path) or "")
        candidates = [s for s in scopes if s.first_line <= line <= s.last_line]
        # The innermost function around the line (a class body is not request code).
        while candidates:
            scope = innermost(candidates, line)
            if scope is None:
                return None
            key = self._keys.get((path, scope.qualname))
            if key is not None:
                return key
            candidates.remove(scope)
        return None


def _family(code: str) -> str:
    return f"{code[:4]}xx"


def inventory(
    project: ProjectModel,
    findings: Iterable[tuple[str, RawFinding]],
    display_path: Any,
    only: Optional[set[str]] = None,
) -> list[Endpoint]:
    """Every route whose handler is in ``only`` (all when None), one entry per full path.

    ``findings`` are the run's reportable findings; ``display_path(path)`` names files.
    """
    places = _FindingPlaces(project)
    per_function: dict[str, list[str]] = {}
    on_decorator: dict[tuple[str, int], set[str]] = {}
    for code, raw in findings:
        on_decorator.setdefault((raw.path, raw.span.line), set()).add(code)
        if code in _NOT_ON_A_PATH:
            continue
        key = places.function_at(raw.path, raw.span.line)
        if key is not None:
            per_function.setdefault(key, []).append(code)
    out: list[Endpoint] = []
    for route in project.routes:
        handler = route.handler
        if only is not None and handler.module.path not in only:
            continue
        counts: dict[str, int] = {}
        for key in request_functions(project, route):
            for code in per_function.get(key, ()):
                counts[code] = counts.get(code, 0) + 1
        families: dict[str, int] = {}
        for code, count in counts.items():
            families[_family(code)] = families.get(_family(code), 0) + count
        codes_here = on_decorator.get((handler.module.path, route.span.line), set())
        unbounded: Optional[bool] = True if codes_here & set(_UNBOUNDED_CODES) else None
        dependencies = tuple(
            f.display_name.rstrip("()") for f in route_dependencies(project, route)
        )
        path_known = _literal_path(route)
        for path in _full_paths(project, route, path_known):
            out.append(
                Endpoint(
                    methods=route.methods,
                    path=path,
                    handler=handler.display_name.rstrip("()"),
                    file=display_path(handler.module.path),
                    line=handler.summary.def_line,
                    is_async=handler.summary.is_async,
                    websocket=route.websocket,
                    dependencies=dependencies,
                    path_known=path_known,
                    unbounded=unbounded,
                    findings=tuple(sorted(families.items())),
                    codes=tuple(sorted(counts.items())),
                )
            )

    def order(endpoint: Endpoint) -> tuple[str, int, str, int]:
        first = endpoint.methods[0] if endpoint.methods else ""
        rank = _METHOD_ORDER.index(first) if first in _METHOD_ORDER else len(_METHOD_ORDER)
        return (endpoint.path, rank, endpoint.file, endpoint.line)

    return sorted(out, key=order)


def _findings_cell(endpoint: Endpoint) -> str:
    return " ".join(f"{family}:{count}" for family, count in endpoint.findings) or "-"


def render_table(endpoints: Sequence[Endpoint]) -> str:
    header = (
        "METHOD",
        "PATH",
        "HANDLER",
        "FILE:LINE",
        "KIND",
        "DEPENDENCIES",
        "RESPONSE",
        "FINDINGS",
    )
    rows = [
        (
            endpoint.method_label,
            endpoint.path,
            endpoint.handler,
            f"{endpoint.file}:{endpoint.line}",
            "async" if endpoint.is_async else "sync",
            ", ".join(endpoint.dependencies) or "-",
            "unbounded" if endpoint.unbounded else "-",
            _findings_cell(endpoint),
        )
        for endpoint in endpoints
    ]
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip()
        for row in (header, *rows)
    ]
    return "\n".join(lines) + "\n"


def render_json(endpoints: Sequence[Endpoint]) -> str:
    items = [
        {
            "methods": list(endpoint.methods),
            "path": endpoint.path,
            "path_known": endpoint.path_known,
            "websocket": endpoint.websocket,
            "handler": {
                "name": endpoint.handler,
                "file": endpoint.file,
                "line": endpoint.line,
                "async": endpoint.is_async,
            },
            "dependencies": list(endpoint.dependencies),
            "response": "unbounded" if endpoint.unbounded else None,
            "findings": dict(endpoint.findings),
            "codes": dict(endpoint.codes),
        }
        for endpoint in endpoints
    ]
    return json.dumps(items, indent=2) + "\n"


def summary_line(endpoints: Sequence[Endpoint]) -> str:
    """``42 endpoints (30 async, 12 sync) in 9 files; 7 with findings on their request path
    (FLT1xx on 5, FLT4xx on 2); 2 with an unbounded list response.``"""
    count = len(endpoints)
    async_count = sum(1 for e in endpoints if e.is_async)
    files = len({e.file for e in endpoints})
    with_findings = [e for e in endpoints if e.findings]
    reached: dict[str, int] = {}  # family -> endpoints with at least one of its findings
    for endpoint in with_findings:
        for family, _ in endpoint.findings:
            reached[family] = reached.get(family, 0) + 1
    unbounded = sum(1 for e in endpoints if e.unbounded)
    families = ", ".join(f"{family} on {n}" for family, n in sorted(reached.items()))
    parts = [
        f"{count} endpoint{'s' if count != 1 else ''} ({async_count} async, "
        f"{count - async_count} sync) in {files} file{'s' if files != 1 else ''}",
        f"{len(with_findings)} with findings on their request path"
        + (f" ({families})" if families else ""),
        f"{unbounded} with an unbounded list response",
    ]
    return "; ".join(parts) + "."
