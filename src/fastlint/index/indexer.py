"""Distils one parsed file into a :class:`ModuleSummary`: the only analysis walk over a CST.

The walk is hand-written rather than a ``CSTVisitor``: it descends only into fields that can
hold code, which makes it several times cheaper than libcst's generic traversal. Name
resolution happens once the walk is complete, because a name's meaning in a function
depends on every assignment in it (Python's scoping is per function, not per line).
"""

from __future__ import annotations

import builtins
import dataclasses
from collections.abc import Sequence
from typing import Callable, Optional, Union

import libcst as cst

from fastlint.findings import Span
from fastlint.index.positions import positions_of
from fastlint.index.summary import (
    UNKNOWN,
    Argument,
    Assignment,
    AttributeRead,
    Binding,
    CallSite,
    ClassSummary,
    Decorator,
    FunctionSummary,
    Loop,
    ModuleSummary,
    Mutation,
    Parameter,
    Value,
)
from fastlint.index.symbols import CALL, join_symbol

_BUILTIN_NAMES = frozenset(dir(builtins))
# Functions whose positional arguments must be awaitables (asyncio, anyio, task groups).
_AWAITABLE_CONSUMERS = frozenset(
    {"gather", "wait_for", "create_task", "ensure_future", "shield", "run_coroutine_threadsafe"}
)

# Fields that never hold code: skipping them is most of the speed of the walk.
_NON_CODE_FIELDS = frozenset(
    {
        "whitespace_before",
        "whitespace_after",
        "lpar",
        "rpar",
        "leading_lines",
        "lines_after_decorators",
        "header",
        "footer",
        "comma",
        "semicolon",
        "whitespace_after_def",
        "whitespace_before_params",
        "whitespace_after_func",
        "whitespace_before_args",
        "whitespace_before_colon",
        "whitespace_after_arg",
        "whitespace_after_colon",
        "whitespace_after_star",
        "whitespace_after_param",
        "whitespace_after_await",
        "whitespace_after_import",
        "whitespace_before_import",
        "whitespace_after_from",
        "whitespace_after_yield",
        "whitespace_after_return",
        "whitespace_after_del",
        "whitespace_after_global",
        "whitespace_after_nonlocal",
        "whitespace_after_lambda",
        "whitespace_after_assert",
        "whitespace_after_class",
        "whitespace_after_async",
        "whitespace_after_at",
        "whitespace_after_walrus",
        "whitespace_before_walrus",
        "whitespace_after_in",
        "whitespace_before_in",
        "whitespace_after_for",
        "whitespace_after_with",
        "whitespace_after_if",
        "whitespace_before_if",
        "whitespace_after_else",
        "whitespace_before_else",
        "whitespace_after_while",
        "whitespace_after_as",
        "whitespace_before_as",
        "whitespace_after_except",
        "whitespace_after_raise",
        "whitespace_before_from",
        "whitespace_before_value",
        "whitespace_before_indicator",
        "whitespace_after_indicator",
        "whitespace_after_case",
        "whitespace_after_match",
        "equal",
        "colon",
        "dot",
        "operator",
        "asynchronous",
        "relative",
        "lbracket",
        "rbracket",
        "lbrace",
        "rbrace",
        "first_line",
        "empty_lines",
        "last_line",
        "newline",
        "trailing_whitespace",
        "body_indent",
    }
)

_field_cache: dict[type, tuple[str, ...]] = {}


_NODE_TYPES: dict[type, bool] = {}


def _learn_node_type(kind: type) -> bool:
    known = _NODE_TYPES[kind] = issubclass(kind, cst.CSTNode)
    return known


def _code_fields(node_type: type) -> tuple[str, ...]:
    names = _field_cache.get(node_type)
    if names is None:
        names = tuple(
            f.name for f in dataclasses.fields(node_type) if f.name not in _NON_CODE_FIELDS
        )
        _field_cache[node_type] = names
    return names


# --- scopes -----------------------------------------------------------------------------

# What a name is bound to in a scope:
#   ("import", qualified) | ("def", symbol) | ("expr", node) | ("type", node) |
#   ("param", (annotation, Depends call)) | ("self", class symbol) | ("cls", class symbol) |
#   ("unknown", None)
_BindingEntry = tuple[str, object]


class _Scope:
    __slots__ = ("bindings", "globals", "kind", "parent", "qualname")

    def __init__(self, kind: str, parent: Optional[_Scope], qualname: str) -> None:
        self.kind = kind  # "module", "class" or "function"
        self.parent = parent
        self.qualname = qualname
        self.bindings: dict[str, list[_BindingEntry]] = {}
        self.globals: set[str] = set()

    def bind(self, name: str, entry: _BindingEntry) -> None:
        self.bindings.setdefault(name, []).append(entry)


class _PendingFunction:
    def __init__(
        self,
        node: cst.FunctionDef,
        qualname: str,
        scope: _Scope,
        class_name: Optional[str],
        outer: _Scope,
    ) -> None:
        self.node = node
        self.qualname = qualname
        self.scope = scope
        self.outer = outer  # where decorators and defaults are evaluated
        self.class_name = class_name
        self.calls: list[tuple[cst.Call, bool, bool]] = []  # node, awaited, in_loop
        self.returns: list[cst.BaseExpression] = []
        self.mutations: list[tuple[cst.BaseExpression, str, cst.CSTNode]] = []
        self.is_generator = False
        self.has_await = False
        # target name, assigned expression, element position for ``a, b = ...``
        self.assignments: list[tuple[cst.Name, cst.BaseExpression, Optional[int]]] = []
        # iterable, target, the loop or comprehension node, whether a comprehension
        self.loops: list[tuple[cst.BaseExpression, cst.BaseExpression, cst.CSTNode, bool]] = []
        self.attribute_reads: list[cst.Attribute] = []
        self.with_items: list[cst.BaseExpression] = []
        self.ordered_comparisons: list[str] = []


class _PendingClass:
    def __init__(self, node: cst.ClassDef, qualname: str, scope: _Scope, outer: _Scope) -> None:
        self.node = node
        self.qualname = qualname
        self.scope = scope
        self.outer = outer
        self.methods: list[str] = []
        self.self_attributes: list[tuple[str, cst.BaseExpression, _Scope]] = []
        self.annotations: list[tuple[str, cst.BaseExpression]] = []


class _Context:
    __slots__ = ("function", "in_loop", "klass", "scope")

    def __init__(
        self,
        scope: _Scope,
        function: Optional[_PendingFunction],
        klass: Optional[_PendingClass],
        in_loop: bool,
    ) -> None:
        self.scope = scope
        self.function = function
        self.klass = klass
        self.in_loop = in_loop


# --- the walk ---------------------------------------------------------------------------


class _Indexer:
    def __init__(self, module_name: str, is_package: bool) -> None:
        self.module_name = module_name
        self.is_package = is_package
        self.module_scope = _Scope("module", None, "")
        self.functions: list[_PendingFunction] = []
        self.classes: list[_PendingClass] = []
        self.bindings: list[tuple[cst.Name, cst.BaseExpression, Optional[cst.BaseExpression]]] = []
        self.module_calls: list[tuple[cst.Call, bool, bool, _Scope]] = []
        self.module_mutations: list[tuple[cst.BaseExpression, str, cst.CSTNode, _Scope]] = []
        self.awaited: set[cst.Call] = set()
        self.trailing: dict[cst.Call, tuple[str, ...]] = {}
        self.wanted: set[cst.CSTNode] = set()
        self.imports: dict[str, str] = {}
        # Lazy initialisation: how many ``if x is None:`` guards enclose the walk, per function,
        # and the calls and mutations found inside one.
        self.guard_depth: dict[_PendingFunction, int] = {}
        self.guarded_nodes: set[cst.CSTNode] = set()
        self.miss_depth: dict[_PendingFunction, int] = {}
        self.miss_nodes: set[cst.CSTNode] = set()
        self.default_fills: set[cst.Call] = set()
        self.kept_calls: dict[cst.Call, str] = {}
        # mutation node -> (value assigned or added, method of an "itemcall")
        self.mutation_extras: dict[cst.CSTNode, tuple[Optional[cst.BaseExpression], str]] = {}
        # per function: local name -> the call whose result it holds (``client = make()``)
        self.local_calls: dict[_PendingFunction, dict[str, cst.Call]] = {}
        # per method: locals computed only from ``self``; per call: such arguments
        self.object_locals: dict[_PendingFunction, set[str]] = {}
        self.object_args: dict[cst.Call, tuple[int, ...]] = {}
        self._handlers: dict[type, Callable[[cst.CSTNode, _Context], None]] = {
            cst.FunctionDef: self._function_def,  # type: ignore[dict-item]
            cst.ClassDef: self._class_def,  # type: ignore[dict-item]
            cst.Lambda: self._lambda,  # type: ignore[dict-item]
            cst.Call: self._call,  # type: ignore[dict-item]
            cst.Await: self._await,  # type: ignore[dict-item]
            cst.Import: self._import,  # type: ignore[dict-item]
            cst.ImportFrom: self._import_from,  # type: ignore[dict-item]
            cst.Assign: self._assign,  # type: ignore[dict-item]
            cst.AnnAssign: self._ann_assign,  # type: ignore[dict-item]
            cst.AugAssign: self._aug_assign,  # type: ignore[dict-item]
            cst.Del: self._del,  # type: ignore[dict-item]
            cst.Global: self._global,  # type: ignore[dict-item]
            cst.Return: self._return,  # type: ignore[dict-item]
            cst.Yield: self._yield,  # type: ignore[dict-item]
            cst.For: self._for,  # type: ignore[dict-item]
            cst.While: self._while,  # type: ignore[dict-item]
            cst.If: self._if,  # type: ignore[dict-item]
            cst.With: self._with,  # type: ignore[dict-item]
            cst.ListComp: self._comprehension,  # type: ignore[dict-item]
            cst.SetComp: self._comprehension,  # type: ignore[dict-item]
            cst.GeneratorExp: self._comprehension,  # type: ignore[dict-item]
            cst.DictComp: self._comprehension,  # type: ignore[dict-item]
            cst.NamedExpr: self._named_expr,  # type: ignore[dict-item]
            cst.Attribute: self._attribute,  # type: ignore[dict-item]
            cst.Comparison: self._comparison,  # type: ignore[dict-item]
            cst.ExceptHandler: self._except_handler,  # type: ignore[dict-item]
            cst.SimpleString: self._leaf,
            cst.ConcatenatedString: self._leaf,
            cst.Integer: self._leaf,
            cst.Float: self._leaf,
            cst.Imaginary: self._leaf,
            cst.Name: self._leaf,
            cst.Pass: self._leaf,
            cst.Break: self._leaf,
            cst.Continue: self._leaf,
        }

    # generic descent

    def release(self) -> None:
        """Drop the handler table: its bound methods make a cycle through the indexer."""
        self._handlers.clear()

    def walk(self, node: cst.CSTNode, ctx: _Context) -> None:
        handler = self._handlers.get(type(node))
        if handler is not None:
            handler(node, ctx)
        else:
            self.walk_children(node, ctx)

    def walk_children(self, node: cst.CSTNode, ctx: _Context) -> None:
        walk = self.walk
        # By type, from a table: isinstance against CSTNode (an ABC) is a Python-level call.
        is_node = _NODE_TYPES.get
        for name in _code_fields(type(node)):
            value = getattr(node, name)
            kind = type(value)
            if kind is tuple or kind is list:
                for child in value:
                    known = is_node(type(child))
                    if known or (known is None and _learn_node_type(type(child))):
                        walk(child, ctx)
            else:
                known = is_node(kind)
                if known or (known is None and _learn_node_type(kind)):
                    walk(value, ctx)

    def _leaf(self, node: cst.CSTNode, ctx: _Context) -> None:
        pass

    # definitions

    def _function_def(self, node: cst.FunctionDef, ctx: _Context) -> None:
        name = node.name.value
        if ctx.scope.kind == "function":
            qualname = f"{ctx.scope.qualname}.<locals>.{name}"
        elif ctx.scope.kind == "class":
            qualname = f"{ctx.scope.qualname}.{name}"
        else:
            qualname = name
        for decorator in node.decorators:
            self.walk(decorator.decorator, ctx)
            self.wanted.add(decorator.decorator)
        self.wanted.add(node.name)
        scope = _Scope("function", self._enclosing_function_scope(ctx.scope), qualname)
        class_name = (
            ctx.klass.qualname if ctx.klass is not None and ctx.scope.kind == "class" else None
        )
        pending = _PendingFunction(node, qualname, scope, class_name, ctx.scope)
        self.functions.append(pending)
        if class_name is not None and ctx.klass is not None:
            ctx.klass.methods.append(qualname)
        ctx.scope.bind(name, ("def", self._symbol_for_definition(qualname, ctx.scope)))
        self._bind_parameters(node, pending, ctx)
        self.walk(node.body, _Context(scope, pending, None, False))

    def _bind_parameters(
        self, node: cst.FunctionDef, pending: _PendingFunction, ctx: _Context
    ) -> None:
        params = node.params
        every = [*params.posonly_params, *params.params, *params.kwonly_params]
        if isinstance(params.star_arg, cst.Param):
            every.append(params.star_arg)
        if params.star_kwarg is not None:
            every.append(params.star_kwarg)
        is_static = any(_decorator_name(d) == "staticmethod" for d in node.decorators)
        is_classmethod = any(_decorator_name(d) == "classmethod" for d in node.decorators)
        for index, param in enumerate(every):
            self.wanted.add(param.name)
            if param.annotation is not None:
                self.walk(param.annotation.annotation, ctx)
            if param.default is not None:
                self.walk(param.default, ctx)
            name = param.name.value
            if (
                index == 0
                and pending.class_name is not None
                and not is_static
                and (params.posonly_params or params.params)
            ):
                class_symbol = f"{self.module_name}.{pending.class_name}"
                pending.scope.bind(name, ("cls" if is_classmethod else "self", class_symbol))
                continue
            annotation = param.annotation.annotation if param.annotation is not None else None
            target = _depends_target(param.default) if param.default is not None else None
            dependency = param.default if isinstance(target, cst.BaseExpression) else None
            if annotation is None and dependency is None:
                pending.scope.bind(name, ("unknown", None))
            else:
                pending.scope.bind(name, ("param", (annotation, dependency)))

    def _class_def(self, node: cst.ClassDef, ctx: _Context) -> None:
        name = node.name.value
        qualname = name if ctx.scope.kind == "module" else f"{ctx.scope.qualname}.{name}"
        for decorator in node.decorators:
            self.walk(decorator.decorator, ctx)
            self.wanted.add(decorator.decorator)
        for arg in node.bases:
            self.walk(arg.value, ctx)
        for arg in node.keywords:
            self.walk(arg.value, ctx)
        self.wanted.add(node.name)
        scope = _Scope("class", ctx.scope, qualname)
        pending = _PendingClass(node, qualname, scope, ctx.scope)
        self.classes.append(pending)
        ctx.scope.bind(name, ("def", self._symbol_for_definition(qualname, ctx.scope)))
        self.walk(node.body, _Context(scope, ctx.function, pending, ctx.in_loop))

    def _symbol_for_definition(self, qualname: str, scope: _Scope) -> str:
        return f"{self.module_name}.{qualname}"

    @staticmethod
    def _enclosing_function_scope(scope: _Scope) -> _Scope:
        # Class bodies do not enclose the functions defined in them.
        while scope.kind == "class" and scope.parent is not None:
            scope = scope.parent
        return scope

    def _lambda(self, node: cst.Lambda, ctx: _Context) -> None:
        # A lambda's body runs when the lambda is called, which is not here.
        for param in node.params.params:
            if param.default is not None:
                self.walk(param.default, ctx)

    # calls

    def _call(self, node: cst.Call, ctx: _Context) -> None:
        awaited = node in self.awaited
        if _dotted(node.func).rpartition(".")[2] in _AWAITABLE_CONSUMERS:
            # ``asyncio.gather(f(), g())``: f() and g() make awaitables, they block nobody.
            for arg in node.args:
                if arg.keyword is None and isinstance(arg.value, cst.Call):
                    self.awaited.add(arg.value)
        self.wanted.add(node)
        if self._guarded(ctx):
            self.guarded_nodes.add(node)
        if ctx.function is not None and ctx.function.class_name is not None:
            own = tuple(
                i for i, arg in enumerate(node.args) if self._from_own_object(arg.value, ctx)
            )
            if own:
                self.object_args[node] = own
        if isinstance(node.func, cst.Attribute) and isinstance(node.func.value, cst.Subscript):
            owner = _item_owner(node.func.value)
            if isinstance(owner, (cst.Name, cst.Attribute)):
                first = next((a.value for a in node.args if a.keyword is None and not a.star), None)
                self._record_mutation(
                    owner, "itemcall", node, ctx, value=first, method=node.func.attr.value
                )
        if ctx.function is not None and ctx.klass is None:
            ctx.function.calls.append((node, awaited, ctx.in_loop))
        else:
            self.module_calls.append((node, awaited, ctx.in_loop, ctx.scope))
        func = node.func
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Call):
            self.trailing[func.value] = (func.attr.value, *self.trailing.get(node, ()))
        # A called attribute is a method call, not an attribute read.
        self.walk(func.value if isinstance(func, cst.Attribute) else func, ctx)
        for arg in node.args:
            self.walk(arg.value, ctx)

    def _await(self, node: cst.Await, ctx: _Context) -> None:
        if ctx.function is not None:
            ctx.function.has_await = True
        if isinstance(node.expression, cst.Call):
            self.awaited.add(node.expression)
        self.walk(node.expression, ctx)

    # bindings

    def _import(self, node: cst.Import, ctx: _Context) -> None:
        for alias in node.names:
            dotted = _dotted(alias.name)
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                self._bind_import(ctx, alias.asname.name.value, dotted)
            else:
                top = dotted.split(".")[0]
                self._bind_import(ctx, top, top)

    def _import_from(self, node: cst.ImportFrom, ctx: _Context) -> None:
        base = _dotted(node.module) if node.module is not None else ""
        if node.relative:
            package = self.module_name if self.is_package else self.module_name.rpartition(".")[0]
            for _ in range(len(node.relative) - 1):
                package = package.rpartition(".")[0]
            base = f"{package}.{base}" if base and package else (base or package)
        if isinstance(node.names, cst.ImportStar):
            return
        for alias in node.names:
            name = _dotted(alias.name)
            local = name
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                local = alias.asname.name.value
            self._bind_import(ctx, local, f"{base}.{name}" if base else name)

    def _bind_import(self, ctx: _Context, local: str, qualified: str) -> None:
        ctx.scope.bind(local, ("import", qualified))
        if ctx.scope.kind == "module":
            self.imports.setdefault(local, qualified)

    def _bind_target(
        self, target: cst.BaseExpression, value: Optional[cst.BaseExpression], ctx: _Context
    ) -> None:
        if isinstance(target, cst.Name):
            entry: _BindingEntry = ("expr", value) if value is not None else ("unknown", None)
            scope = self.module_scope if target.value in ctx.scope.globals else ctx.scope
            scope.bind(target.value, entry)
            if scope.kind == "function" and ctx.function is not None:
                made = self.local_calls.setdefault(ctx.function, {})
                call = _called(value)
                if call is not None:
                    made[target.value] = call
                else:
                    made.pop(target.value, None)
                owned = self.object_locals.setdefault(ctx.function, set())
                if value is not None and self._from_own_object(value, ctx):
                    owned.add(target.value)
                else:
                    owned.discard(target.value)
            if scope.kind == "module" and value is not None:
                self.wanted.add(target)
                self.bindings.append((target, value, None))
            if target.value in ctx.scope.globals:
                self._record_mutation(target, "rebind", target, ctx, value=value)
                self._keep(value, "global", ctx)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                inner = element.value
                if isinstance(inner, cst.StarredElement):
                    inner = inner.value
                self._bind_target(inner, None, ctx)
        elif isinstance(target, cst.StarredElement):
            self._bind_target(target.value, None, ctx)
        elif isinstance(target, cst.Subscript):
            self._record_mutation(_item_owner(target.value), "setitem", target, ctx, value=value)
            self._keep(value, "item", ctx)
        elif isinstance(target, cst.Attribute):
            obj = target.value
            if (
                isinstance(obj, cst.Name)
                and ctx.function is not None
                and ctx.function.class_name is not None
                and _first_param_name(ctx.function.node) == obj.value
            ):
                klass = self._class_named(ctx.function.class_name)
                if klass is not None and value is not None:
                    klass.self_attributes.append((target.attr.value, value, ctx.scope))
                self._keep(value, "self", ctx)
            else:
                self._record_mutation(obj, "setattr", target, ctx, value=value)
                self._keep(value, "attribute", ctx)

    def _keep(self, value: Optional[cst.BaseExpression], where: str, ctx: _Context) -> None:
        """Remember that a call's result is stored in ``where`` (``x = x or make()`` too, and
        ``client = make()`` followed by ``clients[key] = client``)."""
        call = _called(value)
        if call is None and isinstance(value, cst.Name) and ctx.function is not None:
            call = self.local_calls.get(ctx.function, {}).get(value.value)
        if call is not None:
            self.kept_calls[call] = where

    def _from_own_object(self, node: cst.BaseExpression, ctx: _Context, depth: int = 0) -> bool:
        """Whether ``node`` is computed from the method's ``self`` and constants only."""
        function = ctx.function
        if function is None or function.class_name is None or depth > 8:
            return False
        if isinstance(node, cst.Name):
            own = node.value == _first_param_name(function.node)
            return own or node.value in self.object_locals.get(function, ())
        if isinstance(node, (cst.Attribute, cst.Subscript)):
            return self._from_own_object(node.value, ctx, depth + 1)
        if isinstance(node, cst.BooleanOperation):
            parts = [node.left, node.right]
        elif isinstance(node, cst.IfExp):
            parts = [node.body, node.orelse]
        else:
            return False
        owned = [p for p in parts if not _is_constant(p)]
        return bool(owned) and all(self._from_own_object(p, ctx, depth + 1) for p in owned)

    def _guarded(self, ctx: _Context) -> bool:
        return ctx.function is not None and self.guard_depth.get(ctx.function, 0) > 0

    def _record_mutation(
        self,
        target: cst.BaseExpression,
        kind: str,
        node: cst.CSTNode,
        ctx: _Context,
        *,
        value: Optional[cst.BaseExpression] = None,
        method: str = "",
    ) -> None:
        self.wanted.add(node)
        if isinstance(value, cst.Name) and ctx.function is not None:
            # ``client = make(); clients[key] = client`` stores what ``make()`` returned.
            value = self.local_calls.get(ctx.function, {}).get(value.value, value)
        if value is not None or method:
            self.mutation_extras[node] = (value, method)
        if self._guarded(ctx):
            self.guarded_nodes.add(node)
        if ctx.function is not None and self.miss_depth.get(ctx.function, 0) > 0:
            self.miss_nodes.add(node)
        if ctx.function is not None and ctx.klass is None:
            ctx.function.mutations.append((target, kind, node))
        else:
            self.module_mutations.append((target, kind, node, ctx.scope))

    def _class_named(self, qualname: str) -> Optional[_PendingClass]:
        for klass in reversed(self.classes):
            if klass.qualname == qualname:
                return klass
        return None

    def _assign(self, node: cst.Assign, ctx: _Context) -> None:
        self.walk(node.value, ctx)
        for target in node.targets:
            self._walk_target_parts(target.target, ctx)
            self._bind_target(target.target, node.value, ctx)
            self._record_assignment(target.target, node.value, ctx)

    def _record_assignment(
        self, target: cst.BaseExpression, value: cst.BaseExpression, ctx: _Context
    ) -> None:
        """Keep a function's local assignments, so rules can follow a value through names."""
        function = ctx.function
        if function is None or ctx.klass is not None or ctx.scope.kind != "function":
            return
        if isinstance(target, cst.Name):
            function.assignments.append((target, value, None))
            self.wanted.add(target)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for position, element in enumerate(target.elements):
                if isinstance(element.value, cst.Name):
                    function.assignments.append((element.value, value, position))
                    self.wanted.add(element.value)

    def _ann_assign(self, node: cst.AnnAssign, ctx: _Context) -> None:
        if (
            ctx.klass is not None
            and ctx.scope.kind == "class"
            and isinstance(node.target, cst.Name)
        ):
            ctx.klass.annotations.append((node.target.value, node.annotation.annotation))
        self.walk(node.annotation.annotation, ctx)
        if node.value is not None:
            self.walk(node.value, ctx)
        self._walk_target_parts(node.target, ctx)
        if node.value is not None:
            self._bind_target(node.target, node.value, ctx)
            self._record_assignment(node.target, node.value, ctx)
            if isinstance(node.target, cst.Name) and ctx.scope.kind == "module":
                target, value, _ = self.bindings[-1]
                self.bindings[-1] = (target, value, node.annotation.annotation)
        elif isinstance(node.target, cst.Name) and ctx.scope.kind == "function":
            ctx.scope.bind(node.target.value, ("type", node.annotation.annotation))

    def _walk_target_parts(self, target: cst.BaseExpression, ctx: _Context) -> None:
        # ``d[key()] = v`` and ``obj.attr = v`` evaluate code inside the target.
        if isinstance(target, cst.Subscript):
            self.walk(target.value, ctx)
            for element in target.slice:
                self.walk(element.slice, ctx)
        elif isinstance(target, cst.Attribute):
            self.walk(target.value, ctx)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for item in target.elements:
                self._walk_target_parts(item.value, ctx)

    def _aug_assign(self, node: cst.AugAssign, ctx: _Context) -> None:
        self.walk(node.value, ctx)
        self._walk_target_parts(node.target, ctx)
        target = node.target
        if isinstance(target, cst.Name):
            if ctx.scope.kind == "module" or target.value in ctx.scope.globals:
                self._record_mutation(target, "augassign", target, ctx, value=node.value)
            else:
                ctx.scope.bind(target.value, ("unknown", None))
        elif isinstance(target, cst.Subscript):
            owner = _item_owner(target.value)
            self._record_mutation(owner, "augassign", target, ctx, value=node.value)
        elif isinstance(target, cst.Attribute):
            self._record_mutation(target.value, "setattr", target, ctx, value=node.value)

    def _del(self, node: cst.Del, ctx: _Context) -> None:
        targets: list[cst.BaseExpression] = [node.target]
        if isinstance(node.target, (cst.Tuple, cst.List)):
            targets = [e.value for e in node.target.elements]
        for target in targets:
            self._walk_target_parts(target, ctx)
            if isinstance(target, cst.Subscript):
                self._record_mutation(_item_owner(target.value), "delitem", target, ctx)

    def _global(self, node: cst.Global, ctx: _Context) -> None:
        for item in node.names:
            ctx.scope.globals.add(item.name.value)

    def _return(self, node: cst.Return, ctx: _Context) -> None:
        if node.value is not None:
            self.walk(node.value, ctx)
            if ctx.function is not None:
                ctx.function.returns.append(node.value)

    def _yield(self, node: cst.Yield, ctx: _Context) -> None:
        if ctx.function is not None:
            ctx.function.is_generator = True
        if isinstance(node.value, cst.BaseExpression):
            self.walk(node.value, ctx)
            if ctx.function is not None:
                ctx.function.returns.append(node.value)
        elif isinstance(node.value, cst.From):
            self.walk(node.value.item, ctx)

    def _for(self, node: cst.For, ctx: _Context) -> None:
        if node.asynchronous is not None and ctx.function is not None:
            ctx.function.has_await = True
        self.walk(node.iter, ctx)
        self._bind_target(node.target, None, ctx)
        if ctx.function is not None and ctx.klass is None:
            ctx.function.loops.append((node.iter, node.target, node, False))
            self.wanted.add(node)
        inner = _Context(ctx.scope, ctx.function, ctx.klass, True)
        self.walk(node.body, inner)
        if node.orelse is not None:
            self.walk(node.orelse, ctx)

    def _if(self, node: cst.If, ctx: _Context) -> None:
        self.walk(node.test, ctx)
        self._note_default_fills(node)
        function = ctx.function
        unset = function is not None and self._lazy_guard(node.test, ctx, unset=True)
        missing = function is not None and _miss_guard(node.test, unset=True)
        if function is not None and unset:
            self.guard_depth[function] = self.guard_depth.get(function, 0) + 1
        if function is not None and missing:
            self.miss_depth[function] = self.miss_depth.get(function, 0) + 1
        self.walk(node.body, ctx)
        if function is not None and unset:
            self.guard_depth[function] -= 1
        if function is not None and missing:
            self.miss_depth[function] -= 1
        if node.orelse is not None:
            self.walk(node.orelse, ctx)
        # ``if x is not None: return x``: what follows runs only while ``x`` is unset.
        if function is not None and _ends_with_return(node.body):
            if self._lazy_guard(node.test, ctx, unset=False):
                self.guard_depth[function] = self.guard_depth.get(function, 0) + 1
            if _miss_guard(node.test, unset=False):
                self.miss_depth[function] = self.miss_depth.get(function, 0) + 1

    def _note_default_fills(self, node: cst.If) -> None:
        """``if x is None: x = compute()`` (also ``if not x:``, ``if d.get(k) is None: d[k] =``):
        ``compute()`` runs only when the value is missing, which callers may never let happen."""
        tested = _tested_for_missing(node.test)
        if tested is None or not isinstance(node.body, cst.IndentedBlock):
            return
        for statement in node.body.body:
            if not isinstance(statement, cst.SimpleStatementLine):
                continue
            for small in statement.body:
                if (
                    isinstance(small, cst.Assign)
                    and len(small.targets) == 1
                    and isinstance(small.value, cst.Call)
                    and _same_place(small.targets[0].target, tested)
                ):
                    self.default_fills.add(small.value)

    def _lazy_guard(self, test: cst.BaseExpression, ctx: _Context, *, unset: bool) -> bool:
        """Whether ``test`` holds when a global or ``self`` attribute is unset (``unset``), or
        set: ``x is None``, ``not x``, ``not hasattr(self, "x")`` and their negations."""
        if isinstance(test, cst.BooleanOperation):
            return self._lazy_guard(test.left, ctx, unset=unset) or self._lazy_guard(
                test.right, ctx, unset=unset
            )
        if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
            return self._lazy_guard(test.expression, ctx, unset=not unset)
        if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
            comparison = test.comparisons[0]
            operator = comparison.operator
            right = comparison.comparator
            if isinstance(right, cst.Name) and right.value == "None":
                if isinstance(operator, (cst.Is, cst.Equal)):
                    return unset and self._lazy_target(test.left, ctx)
                if isinstance(operator, (cst.IsNot, cst.NotEqual)):
                    return not unset and self._lazy_target(test.left, ctx)
            return False
        if (
            isinstance(test, cst.Call)
            and isinstance(test.func, cst.Name)
            and test.func.value in ("hasattr", "getattr")
            and test.args
        ):
            return not unset and self._lazy_target(test.args[0].value, ctx)
        return not unset and self._lazy_target(test, ctx)

    @staticmethod
    def _lazy_target(node: cst.BaseExpression, ctx: _Context) -> bool:
        """A global: a name declared ``global`` or a module-level variable the function does
        not bind; or an attribute of one declared ``global`` or of the method's ``self``."""
        if isinstance(node, cst.Name) and ctx.function is not None:
            entries = _module_scope(ctx.scope).bindings.get(node.value, ())
            if node.value not in ctx.scope.bindings and any(k == "expr" for k, _ in entries):
                return True
        while isinstance(node, cst.Attribute):
            node = node.value
        if not isinstance(node, cst.Name) or ctx.function is None:
            return False
        if node.value in ctx.scope.globals:
            return True
        return (
            ctx.function.class_name is not None
            and _first_param_name(ctx.function.node) == node.value
        )

    def _while(self, node: cst.While, ctx: _Context) -> None:
        self.walk(node.test, ctx)
        self.walk(node.body, _Context(ctx.scope, ctx.function, ctx.klass, True))
        if node.orelse is not None:
            self.walk(node.orelse, ctx)

    def _with(self, node: cst.With, ctx: _Context) -> None:
        if node.asynchronous is not None and ctx.function is not None:
            ctx.function.has_await = True
        for item in node.items:
            self.walk(item.item, ctx)
            if ctx.function is not None and ctx.klass is None:
                ctx.function.with_items.append(item.item)
            if item.asname is not None:
                target = item.asname.name
                if isinstance(target, cst.Name):
                    self._bind_target(target, item.item, ctx)
                    self._record_assignment(target, item.item, ctx)
                else:
                    self._bind_target(target, None, ctx)
        self.walk(node.body, ctx)

    def _comprehension(
        self, node: Union[cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp], ctx: _Context
    ) -> None:
        inner = _Context(ctx.scope, ctx.function, ctx.klass, True)
        comp: Optional[cst.CompFor] = node.for_in
        first = True
        while comp is not None:
            if comp.asynchronous is not None and ctx.function is not None:
                ctx.function.has_await = True
            # The first iterable is evaluated once, in the enclosing scope.
            self.walk(comp.iter, ctx if first else inner)
            first = False
            self._bind_target(comp.target, None, ctx)
            if ctx.function is not None and ctx.klass is None:
                ctx.function.loops.append((comp.iter, comp.target, node, True))
                self.wanted.add(node)
            for condition in comp.ifs:
                self.walk(condition.test, inner)
            comp = comp.inner_for_in
        if isinstance(node, cst.DictComp):
            self.walk(node.key, inner)
            self.walk(node.value, inner)
        else:
            self.walk(node.elt, inner)

    def _named_expr(self, node: cst.NamedExpr, ctx: _Context) -> None:
        self.walk(node.value, ctx)
        self._bind_target(node.target, node.value, ctx)
        self._record_assignment(node.target, node.value, ctx)

    def _attribute(self, node: cst.Attribute, ctx: _Context) -> None:
        if isinstance(node.value, cst.Name) and ctx.function is not None and ctx.klass is None:
            ctx.function.attribute_reads.append(node)
            self.wanted.add(node)
        self.walk(node.value, ctx)

    def _comparison(self, node: cst.Comparison, ctx: _Context) -> None:
        if ctx.function is not None and ctx.klass is None:
            left = node.left
            for target in node.comparisons:
                if isinstance(target.operator, _ORDERING_OPERATORS):
                    for operand in (left, target.comparator):
                        name = _pure_dotted(operand)
                        if name:
                            ctx.function.ordered_comparisons.append(name)
                left = target.comparator
        self.walk_children(node, ctx)

    def _except_handler(self, node: cst.ExceptHandler, ctx: _Context) -> None:
        if node.type is not None:
            self.walk(node.type, ctx)
        if node.name is not None:
            self._bind_target(node.name.name, None, ctx)
        self.walk(node.body, ctx)


# --- resolution -------------------------------------------------------------------------


class _Resolver:
    """Turns expressions into symbols and values, once every binding is known."""

    def __init__(self, indexer: _Indexer, spans: dict[cst.CSTNode, Span]) -> None:
        self.module_name = indexer.module_name
        self.trailing = indexer.trailing
        self.guarded_nodes = indexer.guarded_nodes
        self.default_fills = indexer.default_fills
        self.miss_nodes = indexer.miss_nodes
        self.kept_calls = indexer.kept_calls
        self.object_args = indexer.object_args
        self.mutation_extras = indexer.mutation_extras
        self.spans = spans
        self._active: set[int] = set()
        self._depth = 0
        # What each (scope, name) resolves to when nothing is being resolved already (no
        # cycle guard can cut it short, so the answer is the same each time): a name bound
        # n times and read m times would otherwise cost n * m.
        self._names: dict[tuple[_Scope, str], str] = {}

    def span(self, node: cst.CSTNode) -> Span:
        return self.spans.get(node, _NO_SPAN)

    def symbol(self, node: cst.BaseExpression, scope: _Scope) -> str:
        tokens = self._tokens(node)
        if tokens is None:
            return UNKNOWN
        root = self._resolve_name(tokens[0], scope)
        if root == UNKNOWN:
            return UNKNOWN
        return join_symbol([root, *tokens[1:]])

    def _tokens(self, node: cst.BaseExpression) -> Optional[list[str]]:
        tokens: list[str] = []
        while True:
            if type(node) is cst.Name:
                tokens.append(node.value)
                tokens.reverse()
                return tokens
            if type(node) is cst.Attribute:
                tokens.append(node.attr.value)
                node = node.value
            elif type(node) is cst.Call:
                tokens.append(CALL)
                node = node.func
            elif type(node) is cst.Await:
                node = node.expression
            else:
                return None

    def _resolve_name(self, name: str, scope: _Scope) -> str:
        current: Optional[_Scope] = scope
        while current is not None:
            if name in current.globals:
                current = _module_scope(current)
                continue
            entries = current.bindings.get(name)
            if entries and self._active:
                return self._resolve_entries(name, entries, current)
            if entries:
                key = (current, name)
                known = self._names.get(key)
                if known is None:
                    known = self._names[key] = self._resolve_entries(name, entries, current)
                return known
            current = current.parent
            while current is not None and current.kind == "class" and scope is not current:
                current = current.parent
        if name in _BUILTIN_NAMES:
            return f"builtins.{name}"
        return UNKNOWN

    def _resolve_entries(self, name: str, entries: list[_BindingEntry], scope: _Scope) -> str:
        results: set[str] = set()
        for kind, payload in entries:
            if kind == "import" or kind == "def":
                results.add(str(payload))
            elif scope.kind == "module" and kind in ("expr", "unknown"):
                results.add(f"{self.module_name}.{name}")
            elif scope.kind == "class" and kind in ("expr", "unknown"):
                results.add(f"{self.module_name}.{scope.qualname}.{name}")
            elif kind == "self":
                results.add(f"{payload}{CALL}")
            elif kind == "cls":
                results.add(str(payload))
            elif kind == "expr":
                results.add(self._guarded(payload, scope, self.symbol))
            elif kind == "type":
                results.add(self._guarded(payload, scope, self._instance_of_annotation))
            elif kind == "param" and isinstance(payload, tuple):
                results.add(self._parameter_value(payload[0], payload[1], scope))
            else:
                return UNKNOWN
            # An unknown entry makes the name unknown: stop here, or ``q = q.where(...)``
            # written n times explores n! orders of its own bindings.
            if len(results) > 1 or UNKNOWN in results:
                return UNKNOWN
        return results.pop() if results else UNKNOWN

    def _guarded(
        self, payload: object, scope: _Scope, how: Callable[[cst.BaseExpression, _Scope], str]
    ) -> str:
        key = id(payload)
        if key in self._active or not isinstance(payload, cst.BaseExpression):
            return UNKNOWN  # ``x = x.next`` and other self-references
        self._active.add(key)
        try:
            return how(payload, scope)
        finally:
            self._active.discard(key)

    def _parameter_value(
        self,
        annotation: Optional[cst.BaseExpression],
        dependency: Optional[cst.BaseExpression],
        scope: _Scope,
    ) -> str:
        """A parameter is what its annotation declares; failing that, what its dependency gives."""
        if annotation is not None:
            declared = self._guarded(annotation, scope, self._instance_of_annotation)
            if declared:
                return declared
        if dependency is not None:
            return self._guarded(dependency, scope, self._dependency_value)
        return UNKNOWN

    def _instance_of_annotation(self, annotation: cst.BaseExpression, scope: _Scope) -> str:
        inner = _unwrap_annotation(annotation)
        if inner is None:
            return UNKNOWN
        dependency = _annotated_dependency(annotation)
        symbol = self.symbol(inner, scope)
        if not symbol or symbol.startswith(("builtins.", "typing.", "typing_extensions.")):
            if dependency is not None:
                return self._dependency_value(dependency, scope)
            return UNKNOWN
        return f"{symbol}{CALL}"

    def _dependency_value(self, default: cst.BaseExpression, scope: _Scope) -> str:
        target = _depends_target(default)
        if target is None or isinstance(target, bool):
            return UNKNOWN
        symbol = self.symbol(target, scope)
        return f"{symbol}{CALL}" if symbol else UNKNOWN

    def value(self, node: cst.BaseExpression, scope: _Scope) -> Value:
        # Exact type tests: libcst's node classes are final, and isinstance against them (ABCs)
        # is a Python-level call whenever it fails, which is for most tests here.
        if type(node) is cst.Name:
            if node.value in ("True", "False", "None"):
                return Value("const", literal=node.value)
            return Value("ref", self.symbol(node, scope), text=node.value)
        if type(node) is cst.Attribute:
            dotted = _pure_dotted(node)
            return Value(
                "ref",
                self.symbol(node, scope),
                text=dotted or f".{node.attr.value}",
                receiver=None if dotted else self._nested(node.value, scope),
            )
        if type(node) is cst.Call:
            func = node.func
            receiver: Optional[Value] = None
            text = _pure_dotted(func)
            if isinstance(func, cst.Attribute):
                receiver = self._nested(func.value, scope)
                text = text or f".{func.attr.value}"
            return Value(
                "call",
                self.symbol(func, scope),
                args=self.arguments(node.args, scope),
                trailing_calls=self.trailing.get(node, ()),
                receiver=receiver,
                text=text,
                span=self.spans.get(node),
            )
        if type(node) is cst.SimpleString:
            return Value("str", literal=_string_value(node))
        if isinstance(node, (cst.ConcatenatedString, cst.FormattedString)):
            return Value("str")
        if type(node) is cst.Integer:
            return Value("num", literal=_int_literal(node.value))
        if type(node) is cst.Float:
            return Value("num", literal=_float_literal(node.value))
        if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
            kind = {cst.List: "list", cst.Tuple: "tuple", cst.Set: "set"}[type(node)]
            return Value(kind, elements=tuple(self.value(e.value, scope) for e in node.elements))
        if type(node) is cst.Dict:
            entries = [e for e in node.elements if isinstance(e, cst.DictElement)]
            values = tuple(self._nested(e.value, scope) for e in entries)
            return Value(
                "dict",
                elements=values,
                args=tuple(
                    Argument(_string_key(e.key), value) for e, value in zip(entries, values)
                ),
            )
        if type(node) is cst.Lambda:
            return Value("lambda")
        if isinstance(node, (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)):
            element = node.value if isinstance(node, cst.DictComp) else node.elt
            return Value(
                "comprehension",
                elements=(self.value(node.for_in.iter, scope), self._nested(element, scope)),
            )
        if type(node) is cst.Await:
            return Value("await", elements=(self.value(node.expression, scope),))
        if type(node) is cst.Subscript:
            return Value(
                "subscript",
                self.symbol(node.value, scope),
                elements=tuple(self._subscript_element(e.slice, scope) for e in node.slice),
                receiver=self._nested(node.value, scope),
            )
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.BitOr):
            return Value(
                "union", elements=(self.value(node.left, scope), self.value(node.right, scope))
            )
        if isinstance(node, cst.BinaryOperation):
            return Value(
                "binop", elements=(self._nested(node.left, scope), self._nested(node.right, scope))
            )
        if type(node) is cst.BooleanOperation:
            return Value(
                "boolop",
                elements=(self._nested(node.left, scope), self._nested(node.right, scope)),
            )
        if type(node) is cst.Comparison:
            return Value(
                "compare",
                elements=(
                    self._nested(node.left, scope),
                    *(self._nested(c.comparator, scope) for c in node.comparisons),
                ),
            )
        if type(node) is cst.IfExp:
            return Value(
                "ifexp", elements=(self._nested(node.body, scope), self._nested(node.orelse, scope))
            )
        if isinstance(node, cst.UnaryOperation) and isinstance(
            node.expression, (cst.Integer, cst.Float)
        ):
            inner = self.value(node.expression, scope)
            if isinstance(node.operator, cst.Minus) and isinstance(inner.literal, (int, float)):
                return Value("num", literal=-inner.literal)
        return Value("other")

    def _nested(self, node: cst.BaseExpression, scope: _Scope) -> Value:
        """The value of a sub-expression, cut short in very deep expressions."""
        if self._depth > 48:
            return Value("other")
        self._depth += 1
        try:
            return self.value(node, scope)
        finally:
            self._depth -= 1

    def _subscript_element(self, element: cst.BaseSlice, scope: _Scope) -> Value:
        if isinstance(element, cst.Index):
            return self.value(element.value, scope)
        if isinstance(element, cst.Slice):
            parts = (element.lower, element.upper, element.step)
            return Value(
                "slice",
                elements=tuple(
                    self._nested(p, scope) if p is not None else _NONE_CONST for p in parts
                ),
            )
        return Value("other")

    def arguments(self, args: Sequence[cst.Arg], scope: _Scope) -> tuple[Argument, ...]:
        return tuple(
            Argument(
                arg.keyword.value if arg.keyword is not None else None,
                self.value(arg.value, scope),
                arg.star if isinstance(arg.star, str) else "",
            )
            for arg in args
        )


_NO_SPAN = Span(0, 0, 0, 0)
_NONE_CONST = Value("const", literal="None")
_ORDERING_OPERATORS = (cst.LessThan, cst.LessThanEqual, cst.GreaterThan, cst.GreaterThanEqual)


def _module_scope(scope: _Scope) -> _Scope:
    while scope.parent is not None:
        scope = scope.parent
    return scope


def _int_literal(text: str) -> Optional[int]:
    try:
        return int(text.replace("_", ""), 0)
    except ValueError:
        return None


def _float_literal(text: str) -> Optional[float]:
    try:
        return float(text.replace("_", ""))
    except ValueError:
        return None


def _dotted(node: Union[cst.Attribute, cst.Name, cst.BaseExpression]) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{_dotted(node.value)}.{node.attr.value}"
    return ""


def _string_key(node: cst.BaseExpression) -> Optional[str]:
    if isinstance(node, cst.SimpleString):
        return _string_value(node)
    return None


def _string_value(node: cst.SimpleString) -> Optional[str]:
    """The text of a string literal; None for bytes. Plain literals (no prefix, escape or
    carriage return) are read directly: ``evaluated_value`` compiles each one."""
    value = node.value
    quote = value[0]
    if quote in "'\"" and "\\" not in value and "\r" not in value:
        if len(value) >= 6 and value[:3] == quote * 3:
            return value[3:-3]
        return value[1:-1]
    evaluated = node.evaluated_value
    return evaluated if isinstance(evaluated, str) else None


def _pure_dotted(node: cst.BaseExpression) -> str:
    """``a.b.c`` for a chain of names only; "" for anything else (calls, subscripts)."""
    parts: list[str] = []
    while type(node) is cst.Attribute:
        parts.append(node.attr.value)
        node = node.value
    if type(node) is not cst.Name:
        return ""
    parts.append(node.value)
    return ".".join(reversed(parts))


def _is_constant(node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.Name):
        return node.value in ("None", "True", "False")
    return isinstance(node, (cst.Integer, cst.Float, cst.SimpleString))


def _called(value: Optional[cst.BaseExpression]) -> Optional[cst.Call]:
    """The call whose result an expression is: ``make()``, ``await make()``, ``x or make()``."""
    for _ in range(4):
        if isinstance(value, cst.Await):
            value = value.expression
        elif isinstance(value, cst.BooleanOperation) and isinstance(value.operator, cst.Or):
            value = value.right
        else:
            break
    return value if isinstance(value, cst.Call) else None


def _item_owner(node: cst.BaseExpression) -> cst.BaseExpression:
    """``x`` for ``x[k][j]``: the container an item assignment changes."""
    while isinstance(node, cst.Subscript):
        node = node.value
    return node


def _miss_guard(test: cst.BaseExpression, *, unset: bool) -> bool:
    """Whether ``test`` holds when a looked-up value is missing (``unset``) or present:
    ``key not in cache``, ``cached is None``, ``not cache.get(key)`` and their negations."""
    if isinstance(test, cst.BooleanOperation):
        return _miss_guard(test.left, unset=unset) or _miss_guard(test.right, unset=unset)
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return _miss_guard(test.expression, unset=not unset)
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        comparison = test.comparisons[0]
        if isinstance(comparison.operator, cst.NotIn):
            return unset
        if isinstance(comparison.operator, cst.In):
            return not unset
        right = comparison.comparator
        if isinstance(right, cst.Name) and right.value == "None":
            if isinstance(comparison.operator, (cst.Is, cst.Equal)):
                return unset and _looked_up(test.left)
            if isinstance(comparison.operator, (cst.IsNot, cst.NotEqual)):
                return not unset and _looked_up(test.left)
        return False
    return not unset and _looked_up(test)


def _tested_for_missing(test: cst.BaseExpression) -> Optional[cst.BaseExpression]:
    """``x`` in ``x is None``, ``x == None`` and ``not x``."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return test.expression
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        comparison = test.comparisons[0]
        right = comparison.comparator
        if (
            isinstance(comparison.operator, (cst.Is, cst.Equal))
            and isinstance(right, cst.Name)
            and right.value == "None"
        ):
            return test.left
    return None


def _same_place(target: cst.BaseExpression, tested: cst.BaseExpression) -> bool:
    """Whether assigning ``target`` fills what ``tested`` read: the same expression, or
    ``d[k]`` for ``d.get(k)``."""
    if target.deep_equals(tested):
        return True
    if (
        isinstance(tested, cst.Call)
        and isinstance(tested.func, cst.Attribute)
        and tested.func.attr.value == "get"
        and tested.args
        and isinstance(target, cst.Subscript)
        and len(target.slice) == 1
        and isinstance(target.slice[0].slice, cst.Index)
    ):
        key = target.slice[0].slice.value
        return target.value.deep_equals(tested.func.value) and key.deep_equals(tested.args[0].value)
    return False


def _looked_up(node: cst.BaseExpression) -> bool:
    """A value that may be missing: a name, an item, or ``something.get(...)``."""
    if isinstance(node, (cst.Name, cst.Subscript)):
        return True
    return (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and node.func.attr.value == "get"
    )


def _ends_with_return(body: cst.BaseSuite) -> bool:
    statements = body.body
    if not statements:
        return False
    last = statements[-1]
    if isinstance(last, cst.SimpleStatementLine):
        return bool(last.body) and isinstance(last.body[-1], cst.Return)
    return isinstance(last, cst.Return)


def _decorator_name(decorator: cst.Decorator) -> str:
    expr = decorator.decorator
    if isinstance(expr, cst.Call):
        expr = expr.func
    return _dotted(expr).rpartition(".")[2]


def _first_param_name(node: cst.FunctionDef) -> Optional[str]:
    params = [*node.params.posonly_params, *node.params.params]
    return params[0].name.value if params else None


_DEPENDS_NAMES = ("Depends", "Security")


def _depends_target(default: cst.BaseExpression) -> Union[cst.BaseExpression, bool, None]:
    """For ``Depends(fn)``: ``fn``; for a bare ``Depends()``: True; otherwise None.

    Matched by the callee's last name here; the link phase checks what it resolves to.
    """
    if not isinstance(default, cst.Call):
        return None
    name = _dotted(default.func).rpartition(".")[2]
    if name not in _DEPENDS_NAMES:
        return None
    for arg in default.args:
        if arg.keyword is None or arg.keyword.value == "dependency":
            return arg.value
    return True


def _unwrap_annotation(annotation: cst.BaseExpression) -> Optional[cst.BaseExpression]:
    """``Annotated[T, ...]``, ``Optional[T]`` and ``T | None`` → ``T``."""
    node = annotation
    for _ in range(8):
        if isinstance(node, cst.Subscript):
            head = _dotted(node.value).rpartition(".")[2]
            if head in ("Annotated", "Optional") and node.slice:
                first = node.slice[0].slice
                if isinstance(first, cst.Index):
                    node = first.value
                    continue
            return node
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.BitOr):
            left, right = node.left, node.right
            if isinstance(right, cst.Name) and right.value == "None":
                node = left
                continue
            if isinstance(left, cst.Name) and left.value == "None":
                node = right
                continue
            return None
        if isinstance(node, cst.SimpleString):
            return None  # a forward reference; not worth a second parse
        return node
    return None


def _annotated_dependency(annotation: cst.BaseExpression) -> Optional[cst.BaseExpression]:
    if (
        isinstance(annotation, cst.Subscript)
        and _dotted(annotation.value).rpartition(".")[2] == "Annotated"
    ):
        for element in annotation.slice[1:]:
            if (
                isinstance(element.slice, cst.Index)
                and _depends_target(element.slice.value) is not None
            ):
                return element.slice.value
    return None


# --- building the summary ---------------------------------------------------------------


def build_summary(
    module: cst.Module,
    *,
    path: str,
    module_name: str,
    is_package: bool,
    noqa: tuple[tuple[int, Optional[tuple[str, ...]]], ...],
) -> ModuleSummary:
    indexer = _Indexer(module_name, is_package)
    try:
        return _summarise(indexer, module, path=path, is_package=is_package, noqa=noqa)
    finally:
        # The handler table holds bound methods of the indexer: a cycle that would keep the
        # whole tree alive until the collector runs. Broken, the tree is freed as soon as
        # the caller drops it.
        indexer.release()


def _summarise(
    indexer: _Indexer,
    module: cst.Module,
    *,
    path: str,
    is_package: bool,
    noqa: tuple[tuple[int, Optional[tuple[str, ...]]], ...],
) -> ModuleSummary:
    module_name = indexer.module_name
    root = _Context(indexer.module_scope, None, None, False)
    indexer.walk(module, root)
    spans = positions_of(module, indexer.wanted)
    resolver = _Resolver(indexer, spans)

    functions = tuple(_build_function(fn, resolver) for fn in indexer.functions)
    classes = tuple(_build_class(cls, resolver) for cls in indexer.classes)
    bindings = tuple(
        Binding(
            name=target.value,
            value=resolver.value(value, indexer.module_scope),
            annotation=resolver.value(annotation, indexer.module_scope)
            if annotation is not None
            else None,
            span=resolver.span(target),
        )
        for target, value, annotation in indexer.bindings
    )
    module_calls = tuple(
        _build_call(node, awaited, in_loop, scope, resolver)
        for node, awaited, in_loop, scope in indexer.module_calls
    )
    module_mutations = tuple(
        _build_mutation(target, kind, node, scope, resolver)
        for target, kind, node, scope in indexer.module_mutations
    )
    return ModuleSummary(
        path=path,
        module=module_name,
        is_package=is_package,
        imports=tuple(sorted(indexer.imports.items())),
        functions=functions,
        classes=classes,
        bindings=bindings,
        module_calls=module_calls,
        module_mutations=module_mutations,
        noqa=noqa,
    )


def _build_call(
    node: cst.Call, awaited: bool, in_loop: bool, scope: _Scope, resolver: _Resolver
) -> CallSite:
    func = node.func
    return CallSite(
        symbol=resolver.symbol(func, scope),
        span=resolver.span(node),
        args=resolver.arguments(node.args, scope),
        awaited=awaited,
        trailing_calls=resolver.trailing.get(node, ()),
        in_loop=in_loop,
        guarded=node in resolver.guarded_nodes,
        fills_missing=node in resolver.default_fills,
        kept=resolver.kept_calls.get(node, ""),
        object_args=resolver.object_args.get(node, ()),
        receiver=resolver.value(func.value, scope) if isinstance(func, cst.Attribute) else None,
        text=_pure_dotted(func)
        or (f".{func.attr.value}" if isinstance(func, cst.Attribute) else ""),
    )


def _build_mutation(
    target: cst.BaseExpression, kind: str, node: cst.CSTNode, scope: _Scope, resolver: _Resolver
) -> Mutation:
    value, method = resolver.mutation_extras.get(node, (None, ""))
    return Mutation(
        resolver.symbol(target, scope),
        kind,
        resolver.span(node),
        value=resolver.value(value, scope) if value is not None else None,
        guarded=node in resolver.guarded_nodes,
        method=method,
        on_miss=node in resolver.miss_nodes,
    )


def _build_function(fn: _PendingFunction, resolver: _Resolver) -> FunctionSummary:
    node = fn.node
    params: list[Parameter] = []
    every = [
        *(("positional", p) for p in node.params.posonly_params),
        *(("positional", p) for p in node.params.params),
        *(("keyword", p) for p in node.params.kwonly_params),
    ]
    if isinstance(node.params.star_arg, cst.Param):
        every.append(("*", node.params.star_arg))
    if node.params.star_kwarg is not None:
        every.append(("**", node.params.star_kwarg))
    for kind, param in every:
        annotation = param.annotation.annotation if param.annotation is not None else None
        extras: tuple[Value, ...] = ()
        unwrapped: Optional[Value] = None
        if annotation is not None:
            inner = _unwrap_annotation(annotation)
            unwrapped = resolver.value(inner if inner is not None else annotation, fn.outer)
            if (
                isinstance(annotation, cst.Subscript)
                and _dotted(annotation.value).rpartition(".")[2] == "Annotated"
            ):
                extras = tuple(
                    resolver.value(e.slice.value, fn.outer)
                    for e in annotation.slice[1:]
                    if isinstance(e.slice, cst.Index)
                )
        params.append(
            Parameter(
                name=param.name.value,
                kind=kind,
                annotation=unwrapped,
                annotation_extras=extras,
                default=resolver.value(param.default, fn.outer)
                if param.default is not None
                else None,
                span=resolver.span(param.name),
            )
        )
    name_span = resolver.span(node.name)
    decorators = tuple(
        Decorator(resolver.value(d.decorator, fn.outer), resolver.span(d.decorator))
        for d in node.decorators
    )
    first_line = min([name_span.line, *(d.span.line for d in decorators)])
    return FunctionSummary(
        qualname=fn.qualname,
        name=node.name.value,
        is_async=node.asynchronous is not None,
        is_generator=fn.is_generator,
        has_await=fn.has_await,
        class_name=fn.class_name,
        decorators=decorators,
        params=tuple(params),
        calls=tuple(
            _build_call(c, awaited, in_loop, fn.scope, resolver) for c, awaited, in_loop in fn.calls
        ),
        returns=tuple(resolver.value(r, fn.scope) for r in fn.returns),
        mutations=tuple(
            _build_mutation(target, kind, n, fn.scope, resolver) for target, kind, n in fn.mutations
        ),
        globals_declared=tuple(sorted(fn.scope.globals)),
        span=name_span,
        def_line=name_span.line,
        first_line=first_line,
        assignments=tuple(
            Assignment(
                target.value, resolver.value(value, fn.scope), resolver.span(target), position
            )
            for target, value, position in fn.assignments
        ),
        loops=tuple(
            Loop(
                resolver.value(iterable, fn.scope),
                tuple(_target_names(target)),
                resolver.span(loop),
                comprehension,
            )
            for iterable, target, loop, comprehension in fn.loops
        ),
        attribute_reads=_attribute_reads(fn, resolver),
        ordered_comparisons=tuple(sorted(set(fn.ordered_comparisons))),
        return_annotation=_return_annotation(node, fn.outer, resolver),
        with_items=tuple(resolver.value(item, fn.scope) for item in fn.with_items),
    )


def _return_annotation(
    node: cst.FunctionDef, scope: _Scope, resolver: _Resolver
) -> Optional[Value]:
    if node.returns is None:
        return None
    annotation = node.returns.annotation
    inner = _unwrap_annotation(annotation)
    return resolver.value(inner if inner is not None else annotation, scope)


def _target_names(target: cst.BaseExpression) -> list[str]:
    if isinstance(target, cst.Name):
        return [target.value]
    if isinstance(target, (cst.Tuple, cst.List)):
        return [name for element in target.elements for name in _target_names(element.value)]
    if isinstance(target, cst.StarredElement):
        return _target_names(target.value)
    return []


def _attribute_reads(fn: _PendingFunction, resolver: _Resolver) -> tuple[AttributeRead, ...]:
    """Reads of attributes of the function's own parameters and variables."""
    local: dict[str, bool] = {}  # each name judged once: it may be bound and read 1000s of times
    out = []
    for read in fn.attribute_reads:
        if isinstance(read.value, cst.Name):
            name = read.value.value
            if name not in local:
                local[name] = _is_local(name, fn.scope)
            if local[name]:
                out.append(AttributeRead(name, read.attr.value, resolver.span(read)))
    return tuple(out)


def _is_local(name: str, scope: _Scope) -> bool:
    """A parameter or variable of the function itself (not ``self``, imports or defs)."""
    entries = scope.bindings.get(name)
    return bool(entries) and all(
        kind not in ("self", "cls", "import", "def") for kind, _ in entries or ()
    )


def _build_class(cls: _PendingClass, resolver: _Resolver) -> ClassSummary:
    node = cls.node
    attributes: dict[str, list[Value]] = {}
    for name, entries in cls.scope.bindings.items():
        for kind, payload in entries:
            if kind == "expr" and isinstance(payload, cst.BaseExpression):
                attributes.setdefault(name, []).append(resolver.value(payload, cls.scope))
    for name, value, scope in cls.self_attributes:
        attributes.setdefault(name, []).append(resolver.value(value, scope))
    return ClassSummary(
        qualname=cls.qualname,
        name=node.name.value,
        bases=tuple(resolver.value(arg.value, cls.outer) for arg in node.bases),
        keywords=resolver.arguments(node.keywords, cls.outer),
        decorators=tuple(
            Decorator(resolver.value(d.decorator, cls.outer), resolver.span(d.decorator))
            for d in node.decorators
        ),
        methods=tuple(cls.methods),
        attributes=tuple((name, tuple(values)) for name, values in sorted(attributes.items())),
        span=resolver.span(node.name),
        annotations=tuple(
            (name, resolver.value(annotation, cls.outer)) for name, annotation in cls.annotations
        ),
    )
