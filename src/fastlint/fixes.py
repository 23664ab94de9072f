"""Applying fixes: find the node each fix rewrites, skip overlaps, add imports, refuse any
result that does not compile, repeat until stable, and write files atomically."""

from __future__ import annotations

import difflib
import os
import stat
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Optional

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor
from libcst.metadata import (
    MetadataWrapper,
    ParentNodeProvider,
    WhitespaceInclusivePositionProvider,
)

from fastlint.catalog import load_catalog
from fastlint.config import Config
from fastlint.discovery import discover
from fastlint.engine import build_project, display_path, reportable_findings
from fastlint.findings import Span
from fastlint.index import index_source
from fastlint.index.nesting import with_deep_stack
from fastlint.project import ProjectModel
from fastlint.rules import RULES_BY_CODE, RawFinding
from fastlint.rules.base import FixRequest

MAX_PASSES = 8
_THREADPOOL_HELPERS = ("run_in_threadpool",)
_THREADPOOL_MODULES = ("fastapi.concurrency", "starlette.concurrency")


class FixContext:
    """What a rule's ``build_fix`` may ask about the file being fixed."""

    def __init__(self, wrapper: MetadataWrapper) -> None:
        self.module = wrapper.module
        self.parents = wrapper.resolve(ParentNodeProvider)
        self.imports: list[tuple[str, Optional[str]]] = []

    def parent(self, node: cst.CSTNode) -> Optional[cst.CSTNode]:
        return self.parents.get(node)

    def enclosing_async_function(self, node: cst.CSTNode) -> Optional[cst.FunctionDef]:
        """The ``async def`` whose body holds ``node`` directly: not through a lambda, a
        comprehension or a nested def, where ``await`` would change meaning or be illegal."""
        current = self.parent(node)
        while current is not None:
            if isinstance(current, cst.FunctionDef):
                return current if current.asynchronous is not None else None
            if isinstance(
                current,
                (
                    cst.Lambda,
                    cst.ListComp,
                    cst.SetComp,
                    cst.DictComp,
                    cst.GeneratorExp,
                    cst.ClassDef,
                ),
            ):
                return None
            current = self.parent(current)
        return None

    def add_import(self, module: str, name: Optional[str] = None) -> None:
        self.imports.append((module, name))

    def threadpool_runner(self) -> cst.BaseExpression:
        """``run_in_threadpool`` when the module already imports it, else ``asyncio.to_thread``."""
        for statement in self.module.body:
            if not isinstance(statement, cst.SimpleStatementLine):
                continue
            for small in statement.body:
                if (
                    isinstance(small, cst.ImportFrom)
                    and small.module is not None
                    and cst.helpers.get_full_name_for_node(small.module) in _THREADPOOL_MODULES
                    and not isinstance(small.names, cst.ImportStar)
                ):
                    for alias in small.names:
                        if cst.helpers.get_full_name_for_node(alias.name) in _THREADPOOL_HELPERS:
                            local = alias.evaluated_alias or alias.evaluated_name
                            return cst.Name(local)
        self.add_import("asyncio")
        return cst.Attribute(cst.Name("asyncio"), cst.Name("to_thread"))

    def needs_parentheses(self, node: cst.CSTNode) -> bool:
        """Whether an ``await`` put in the place of ``node`` must be parenthesised."""
        parent = self.parent(node)
        if isinstance(parent, cst.Attribute) and parent.value is node:
            return True
        if isinstance(parent, cst.Call) and parent.func is node:
            return True
        if isinstance(parent, cst.Subscript) and parent.value is node:
            return True
        return isinstance(parent, cst.BinaryOperation) and parent.operator.__class__ is cst.Power


def awaited(expression: cst.BaseExpression, parenthesize: bool) -> cst.BaseExpression:
    node = cst.Await(expression=expression)
    if parenthesize:
        node = node.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    return node


@dataclass
class FileFixResult:
    path: str
    new_source: Optional[bytes]
    applied: list[tuple[str, str]] = field(default_factory=list)  # (code, title)
    problem: Optional[str] = None


class _Locator(cst.CSTVisitor):
    def __init__(self, positions: object) -> None:
        self.positions = positions
        self.calls: dict[Span, cst.Call] = {}
        self.functions: dict[Span, cst.FunctionDef] = {}

    def _span(self, node: cst.CSTNode) -> Span:
        code_range = self.positions[node]  # type: ignore[index]
        start, end = code_range.start, code_range.end
        return Span(start.line, start.column, end.line, end.column)

    def visit_Call(self, node: cst.Call) -> None:
        self.calls[self._span(node)] = node

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.functions[self._span(node.name)] = node


class _Replacer(cst.CSTTransformer):
    """Replaces nodes of the original tree in one pass, so that no edit hides another."""

    def __init__(self, replacements: dict[cst.CSTNode, cst.CSTNode]) -> None:
        super().__init__()
        self.replacements = replacements

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode) -> cst.CSTNode:  # type: ignore[override]
        return self.replacements.get(original_node, updated_node)


def _overlaps(a: cst.CSTNode, b: cst.CSTNode, spans: dict[cst.CSTNode, Span]) -> bool:
    first, second = spans[a], spans[b]
    return not (
        (first.end_line, first.end_column) <= (second.line, second.column)
        or (second.end_line, second.end_column) <= (first.line, first.column)
    )


def apply_fixes(
    path: str, source: bytes, requests: Sequence[tuple[str, FixRequest]]
) -> FileFixResult:
    """Apply the non-overlapping fixes to one file's source; None when nothing changed."""
    try:
        module = cst.parse_module(source)
    except Exception as error:  # the file changed under us or cannot be parsed
        return FileFixResult(path, None, problem=f"cannot parse for fixing: {error}")
    if module.bytes != source:  # libcst drops the last newline of a file that ends lines in CR
        return FileFixResult(
            path, None, problem="cannot be fixed without changing other lines, left unchanged"
        )
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    positions = wrapper.resolve(WhitespaceInclusivePositionProvider)
    locator = _Locator(positions)
    wrapper.visit(locator)
    context = FixContext(wrapper)
    chosen: list[tuple[cst.CSTNode, cst.CSTNode]] = []
    applied: list[tuple[str, str]] = []
    spans: dict[cst.CSTNode, Span] = {}
    seen: set[tuple[str, Span]] = set()
    for code, request in sorted(requests, key=lambda item: (item[1].span, item[0])):
        if (request.kind, request.span) in seen:
            continue
        seen.add((request.kind, request.span))
        target: Optional[cst.CSTNode]
        target = (locator.calls if request.target == "call" else locator.functions).get(
            request.span
        )
        if target is None:
            continue
        spans[target] = request.span if request.target == "call" else locator._span(target)
        if any(_overlaps(target, other, spans) for other, _ in chosen):
            continue  # the next pass gets it
        imports_before = len(context.imports)
        built = RULES_BY_CODE[code]().build_fix(request, target, context)
        edits = built if isinstance(built, dict) else {} if built is None else {target: built}
        # A fix that rewrites several nodes must clear every fix already chosen, and its nodes
        # must be nodes of this file; otherwise the next pass gets it.
        for node in edits:
            if node in positions and node not in spans:
                spans[node] = locator._span(node)
        if not edits or any(
            node not in spans or any(_overlaps(node, other, spans) for other, _ in chosen)
            for node in edits
            if node is not target
        ):
            del context.imports[imports_before:]
            continue
        chosen.extend(edits.items())
        applied.append((code, request.title))
    if not chosen:
        return FileFixResult(path, None)
    module = module.visit(_Replacer(dict(chosen)))
    if context.imports:
        codemod = CodemodContext()
        for module_name, name in dict.fromkeys(context.imports):
            AddImportsVisitor.add_needed_import(codemod, module_name, name)
        module = AddImportsVisitor(codemod).transform_module(module)
    new_source = module.bytes
    problem = compile_problem(path, new_source, module.encoding)
    if problem is not None:
        return FileFixResult(
            path, None, problem=f"a fix would break the file, left unchanged: {problem}"
        )
    return FileFixResult(path, new_source, applied=applied)


def compile_problem(path: str, source: bytes, encoding: str) -> Optional[str]:
    """Why the fixed source would not compile, or None when it does (it is never run)."""
    try:
        cst.parse_module(source)
        compile(source.decode(encoding), path, "exec", dont_inherit=True)
    except Exception as error:
        return str(error).splitlines()[0] if str(error) else type(error).__name__
    return None


@dataclass
class FixOutcome:
    originals: dict[str, bytes] = field(default_factory=dict)
    fixed: dict[str, bytes] = field(default_factory=dict)
    applied: list[tuple[str, str, str]] = field(default_factory=list)  # (path, code, title)
    problems: list[str] = field(default_factory=list)

    def diff(self) -> str:
        chunks: list[str] = []
        for path in sorted(self.fixed):
            before = (
                self.originals[path].decode("utf-8", errors="replace").splitlines(keepends=True)
            )
            after = self.fixed[path].decode("utf-8", errors="replace").splitlines(keepends=True)
            shown = display_path(path)
            chunks.extend(difflib.unified_diff(before, after, f"a/{shown}", f"b/{shown}"))
        return "".join(chunks)


def _fixable(
    findings: Iterable[tuple[str, RawFinding]], unsafe: bool
) -> dict[str, list[tuple[str, FixRequest]]]:
    by_path: dict[str, list[tuple[str, FixRequest]]] = {}
    for code, raw in findings:
        request = raw.fix
        if request is None:
            continue
        rule_safety = RULES_BY_CODE[code].fix_safety
        # A single fix may be downgraded below the rule's declared safety, never upgraded.
        safety = "unsafe" if "unsafe" in (request.safety, rule_safety) else "safe"
        if safety == "safe" or unsafe:
            by_path.setdefault(raw.path, []).append((code, request))
    return by_path


def fix_paths(paths: Sequence[str], config: Config, *, unsafe: bool) -> FixOutcome:
    """Compute the fixes for the files under ``paths``, pass after pass, without writing."""
    outcome = FixOutcome()
    found = discover(paths, config)
    reported = set(found.files)
    if not reported:
        return outcome
    project, summaries, problems = build_project(config, found.files)
    outcome.problems.extend(problems)
    catalog = load_catalog(config.catalog, config.source or "config")
    for _ in range(MAX_PASSES):
        findings = reportable_findings(project, summaries, config, reported)
        changed = False
        for path, requests in sorted(_fixable(findings, unsafe).items()):
            source = outcome.fixed.get(path)
            if source is None:
                try:
                    with open(path, "rb") as handle:
                        source = handle.read()
                except OSError as error:
                    outcome.problems.append(
                        f"{display_path(path)}: cannot read: {error.strerror or error}"
                    )
                    continue
                outcome.originals[path] = source
            try:
                result = apply_fixes(path, source, requests)
            except RecursionError:  # a deep file that indexing managed with a deeper stack
                deeper = with_deep_stack(apply_fixes, path, source, requests)
                result = deeper or FileFixResult(
                    path, None, problem="too deeply nested to fix, left unchanged"
                )
            if result.problem is not None:
                outcome.problems.append(f"{display_path(path)}: {result.problem}")
            if result.new_source is not None and result.new_source != source:
                outcome.fixed[path] = result.new_source
                outcome.applied.extend((path, code, title) for code, title in result.applied)
                changed = True
        if not changed:
            break
        summaries = [
            index_source(s.path, outcome.fixed[s.path]) if s.path in outcome.fixed else s
            for s in summaries
        ]
        project = ProjectModel(summaries, catalog, config.root)
    return outcome


class ChangedOnDisk(Exception):
    """The file changed since it was analysed; it is left alone."""


def write_atomically(path: str, data: bytes, expected: bytes) -> None:
    """Replace ``path`` with ``data`` (same permission bits) if it still holds ``expected``."""
    real = os.path.realpath(path)
    with open(real, "rb") as handle:
        if handle.read() != expected:
            raise ChangedOnDisk(path)
    mode = stat.S_IMODE(os.stat(real).st_mode)
    directory = os.path.dirname(real)
    descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=".fastlint-", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, real)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def write_fixes(outcome: FixOutcome, roots: Sequence[str]) -> list[str]:
    """Write every fixed file; returns one-line problems for the files left alone."""
    problems = []
    allowed = [os.path.realpath(r) for r in roots]
    written: dict[str, bytes] = {}  # by real path: a link and its target are one file
    for path, data in sorted(outcome.fixed.items()):
        real = os.path.realpath(path)
        if not any(
            real == root or real.startswith(root.rstrip(os.sep) + os.sep) for root in allowed
        ):
            problems.append(f"{display_path(path)}: links outside the checked paths, not fixed")
            continue
        if real in written:
            if written[real] != data:
                problems.append(
                    f"{display_path(path)}: the same file as another path, fixed through that one"
                )
            continue
        try:
            write_atomically(path, data, outcome.originals[path])
            written[real] = data
        except ChangedOnDisk:
            problems.append(
                f"{display_path(path)}: changed while fastlint was fixing it, left alone"
            )
        except OSError as error:
            problems.append(f"{display_path(path)}: cannot write: {error.strerror or error}")
    return problems
