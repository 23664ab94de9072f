"""FLT401's fix: a list route whose one SQLAlchemy or SQLModel query is written in it takes
``skip`` and ``limit`` parameters, and the query gets ``.offset(skip).limit(limit)``.

The check plans the fix from the project model (which query, which names, how the module
writes ``Query`` and ``Annotated``) and hands the plan over in the request's details;
``build_fix`` carries it out on the file's tree, and refuses when the tree disagrees.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional, Union

import libcst as cst

from fastlint.findings import Span
from fastlint.index.positions import positions_of
from fastlint.index.summary import Value
from fastlint.rules.base import FixRequest
from fastlint.rules.responses import (
    QUERY,
    RESULT,
    STATEMENT,
    Frame,
    QueryReader,
    UnboundedListRoute,
    argument,
    walk_values,
)
from fastlint.rules.syntax import descendants

if TYPE_CHECKING:
    from fastlint.fixes import FixContext
    from fastlint.project import Function, ProjectModel, Route

KIND = "paginate"
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
# Queries whose statement or query object has ``.offset()`` and ``.limit()``.
_LIBRARIES = ("sqlalchemy.", "sqlmodel.")
# Calls that keep every element of their argument, in its order (``sorted`` does not: a page
# of a sorted list is not the sorted page of the table).
_KEEPS_ROWS = ("builtins.list", "builtins.tuple", "fastapi.encoders.jsonable_encoder")
# Methods of a SQLAlchemy result that keep it a result.
_RESULT_METHODS = ("scalars", "unique", "mappings", "tuples", "columns")
_FETCH_ALL = ("all", "fetchall")
# The parameter names a module may already use for paging, preferred in this order on a tie.
_CONVENTIONS = (("skip", "limit"), ("offset", "limit"))
_FASTAPI_PARAMS = tuple(
    f"fastapi.{prefix}{name}"
    for prefix in ("", "params.")
    for name in ("Query", "Path", "Body", "Header", "Cookie", "Form", "File", "Depends", "Security")
)
_QUERY = ("fastapi.Query", "fastapi.params.Query")
_ANNOTATED = ("typing.Annotated", "typing_extensions.Annotated")
_TYPING_MODULES = ("typing", "typing_extensions")
# A ``def`` line longer than this is laid out one parameter per line (black's and ruff's
# default line length).
_LINE_LENGTH = 88


class _Decline(Exception):
    """The route returns rows, but not in a shape the fix can page."""


@dataclass(frozen=True)
class _Site:
    """Where the query is read: the call at ``span``, and which part of it gets paged:
    ``call`` (the call itself), ``receiver`` (``<receiver>.all()``) or ``argument`` (the
    statement given to ``execute``/``scalars``/``exec``)."""

    span: Span
    role: str
    value: Value  # the expression that gets ``.offset().limit()``


# --- the plan, from the project model ---------------------------------------------------


def pagination_fix(
    project: ProjectModel, found: UnboundedListRoute, reader: QueryReader
) -> Optional[FixRequest]:
    """The unsafe fix for an FLT401 finding, or None unless the analysis can make it whole."""
    route, handler = found.route, found.route.handler
    summary = handler.summary
    rows = found.rows
    if (
        rows.function is None
        or rows.function.key != handler.key
        or summary.class_name is not None
        or summary.qualname != summary.name
        or summary.is_generator
        # A direct caller would get ``Query(...)`` objects as the defaults.
        or project.is_called_in_project(handler)
        or not _only_registered(project, handler)
        or any(_method(call.text) == "offset" for call in summary.calls)
    ):
        return None
    site = _site(reader, handler, reader.frame(handler, reader.route_scope(route)))
    if site is None:
        return None
    starts = [call for call in summary.calls if _starts_query(reader, call.symbol)]
    start = _start_of(reader, handler, site.value, set())
    if (
        len(starts) != 1
        or start is None
        or start.span != starts[0].span
        or not reader.resolved(start.symbol).startswith(_LIBRARIES)
    ):
        return None
    names = _parameter_names(project, route, reader)
    if names is None:
        return None
    offset, limit = names
    spelling = _spelling(project, handler)
    if spelling is None:
        return None
    style, query, annotated, needed_import = spelling
    return FixRequest(
        KIND,
        f"Take `{offset}` and `{limit}` parameters and apply them to the query "
        f"(`{limit}` at most {MAX_LIMIT})",
        "unsafe",
        "function",
        summary.span,
        details=(
            ("site", _span_text(site.span)),
            ("role", site.role),
            ("offset", offset),
            ("limit", limit),
            ("style", style),
            ("query", query),
            ("annotated", annotated),
            ("import", needed_import),
        ),
    )


def _method(text: str) -> str:
    return text.rpartition(".")[2]


def _only_registered(project: ProjectModel, handler: Function) -> bool:
    """Every decorator registers the route: another one may wrap the function in one with a
    signature of its own, and FastAPI would not pass the new parameters."""
    spans = {route.span for route in project.routes if route.handler.key == handler.key}
    return all(decorator.span in spans for decorator in handler.summary.decorators)


def _starts_query(reader: QueryReader, symbol: str) -> bool:
    resolved = reader.resolved(symbol) if symbol else ""
    return bool(resolved) and (
        reader.statements.matches(resolved) or reader.queries.matches(resolved)
    )


def _single_assignment(reader: QueryReader, function: Function, name: str) -> Value:
    assignments = reader.assignments(function).get(name, [])
    if len(assignments) != 1 or assignments[0].position is not None:
        raise _Decline(name)
    return assignments[0].value


def _is_local(value: Value) -> bool:
    return value.kind == "ref" and bool(value.text) and "." not in value.text


def _site(reader: QueryReader, handler: Function, frame: Frame) -> Optional[_Site]:
    """The one place where the rows the route returns are read, or None."""
    sites: set[_Site] = set()
    try:
        for returned in handler.summary.returns:
            site = _rows_site(reader, handler, frame, returned, 0)
            if site is not None:
                sites.add(site)
    except _Decline:
        return None
    return sites.pop() if len(sites) == 1 else None


def _rows_site(
    reader: QueryReader, handler: Function, frame: Frame, value: Value, depth: int
) -> Optional[_Site]:
    """Follows a list of rows back to where its query is read; None when it holds none."""
    if depth > 12:
        raise _Decline("too deep")
    if value.kind == "await" and value.elements:
        return _rows_site(reader, handler, frame, value.elements[0], depth + 1)
    if value.kind == "comprehension" and value.elements:
        return _rows_site(reader, handler, frame, value.elements[0], depth + 1)
    rows = reader.rows(value, frame)
    if rows is None:
        return None
    if _is_local(value):
        if any(p.name == value.text for p in handler.summary.params):
            raise _Decline(value.text)
        assigned = _single_assignment(reader, handler, value.text)
        return _rows_site(reader, handler, frame, assigned, depth + 1)
    if value.kind != "call" or value.span is None:
        raise _Decline(value.kind)
    if rows.stage == QUERY:  # iterated as it is: ``[... for item in db.query(Item)]``
        return _Site(value.span, "call", value)
    if rows.stage == RESULT:
        return _result_site(reader, handler, frame, value, depth + 1)
    if reader.call_symbol(value) in _KEEPS_ROWS:
        inner = argument(value.args, 0, "obj", "iterable")
        if inner is None or len(value.args) != 1:
            raise _Decline("arguments")
        return _rows_site(reader, handler, frame, inner, depth + 1)
    receiver = value.receiver
    if _method(value.text) in _FETCH_ALL and receiver is not None and not value.args:
        base = reader.rows(receiver, frame)
        if base is not None and base.stage == QUERY and _method(value.text) == "all":
            return _Site(value.span, "receiver", receiver)
        if base is not None and base.stage == RESULT:
            return _result_site(reader, handler, frame, receiver, depth + 1)
    raise _Decline(value.text)


def _result_site(
    reader: QueryReader, handler: Function, frame: Frame, value: Value, depth: int
) -> _Site:
    """Follows a result (``session.execute(...)``) back to the statement it ran."""
    if depth > 12:
        raise _Decline("too deep")
    if value.kind == "await" and value.elements:
        return _result_site(reader, handler, frame, value.elements[0], depth + 1)
    if _is_local(value):
        assigned = _single_assignment(reader, handler, value.text)
        return _result_site(reader, handler, frame, assigned, depth + 1)
    receiver = value.receiver
    if value.kind != "call" or receiver is None or value.span is None:
        raise _Decline(value.kind)
    method = _method(value.text)
    if method in _RESULT_METHODS and not value.args:
        return _result_site(reader, handler, frame, receiver, depth + 1)
    if method in reader.run_methods:
        statement = argument(value.args, 0, "statement")
        rows = reader.rows(statement, frame) if statement is not None else None
        if statement is not None and rows is not None and rows.stage == STATEMENT:
            if statement.kind not in ("call", "ref"):
                raise _Decline(statement.kind)
            return _Site(value.span, "argument", statement)
    raise _Decline(value.text)


def _start_of(
    reader: QueryReader, handler: Function, value: Value, seen: set[str]
) -> Optional[Value]:
    """The call that starts the query a value holds (``select(Item)``, ``db.query(Item)``),
    through method chains and the function's own names; None when it is made elsewhere."""
    if value.kind == "call":
        if _starts_query(reader, value.symbol):
            return value
        method = _method(value.text)
        if value.receiver is not None and (
            method in reader.chain_methods or method in reader.filter_methods
        ):
            return _start_of(reader, handler, value.receiver, seen)
        return None
    if not _is_local(value) or value.text in seen:
        return None
    seen.add(value.text)
    if any(p.name == value.text for p in handler.summary.params):
        return None
    # ``statement = select(Item)`` once, then maybe ``statement = statement.where(...)``
    first = [
        a
        for a in reader.assignments(handler).get(value.text, [])
        if not any(v.kind == "ref" and v.text == value.text for v in _walk(a.value))
    ]
    if len(first) != 1 or first[0].position is not None:
        return None
    return _start_of(reader, handler, first[0].value, seen)


def _walk(value: Value) -> Iterator[Value]:
    return walk_values(value)


# --- names and spellings ------------------------------------------------------------------


def _parameter_names(
    project: ProjectModel, route: Route, reader: QueryReader
) -> Optional[tuple[str, str]]:
    """``skip``/``limit``, or the module's own convention, when both names are free."""
    handler = route.handler
    taken = _names_used(handler) | reader.parameter_names(handler) | _module_names(handler)
    taken |= reader.route_scope(route)  # path parameters, also of the routers' prefixes
    votes = {convention: 0 for convention in _CONVENTIONS}
    for function in handler.module.functions:
        names = {p.name for p in function.params}
        for convention in _CONVENTIONS:
            if set(convention) <= names:
                votes[convention] += 1
    ranked = sorted(
        (c for c in _CONVENTIONS if votes[c]), key=lambda c: (-votes[c], _CONVENTIONS.index(c))
    )
    for offset, limit in (*ranked, _CONVENTIONS[0]):
        if offset not in taken and limit not in taken:
            return offset, limit
    return None


def _names_used(handler: Function) -> set[str]:
    """Names the function binds or reads, as far as its summary tells."""
    summary = handler.summary
    names = {p.name for p in summary.params}
    names.update(a.name for a in summary.assignments)
    names.update(t for loop in summary.loops for t in loop.targets)
    names.update(summary.globals_declared)
    names.update(read.name for read in summary.attribute_reads)
    values: list[Value] = [*summary.returns, *summary.with_items]
    values += [a.value for a in summary.assignments]
    values += [loop.iterable for loop in summary.loops]
    for call in summary.calls:
        values += [arg.value for arg in call.args]
        if call.receiver is not None:
            values.append(call.receiver)
        names.add(call.text.partition(".")[0])
    for value in values:
        for inner in _walk(value):
            if inner.kind in ("ref", "call") and inner.text and not inner.text.startswith("."):
                names.add(inner.text.partition(".")[0])
    prefix = f"{summary.qualname}.<locals>."
    names.update(f.name for f in handler.module.functions if f.qualname.startswith(prefix))
    return names


def _module_names(handler: Function) -> set[str]:
    module = handler.module
    names = {local for local, _ in module.imports}
    names.update(binding.name for binding in module.bindings)
    names.update(f.name for f in module.functions if f.qualname == f.name)
    names.update(c.name for c in module.classes if c.qualname == c.name)
    return names


def _spelling(project: ProjectModel, handler: Function) -> Optional[tuple[str, str, str, str]]:
    """How the module writes parameters: (style, ``Query``, ``Annotated``, import to add).

    The style is ``annotated`` (``limit: Annotated[int, Query(le=1000)] = 100``) when the
    module declares more parameters that way than with ``= Query(...)``/``= Depends(...)``
    defaults, else ``default``."""
    module = handler.module
    by_target = {target: local for local, target in reversed(module.imports)}
    annotated_count = default_count = 0
    for function in module.functions:
        for param in function.params:
            if any(_is_fastapi_param(project, extra) for extra in param.annotation_extras):
                annotated_count += 1
            elif param.default is not None and _is_fastapi_param(project, param.default):
                default_count += 1
    bound = _module_names(handler)
    query = next((by_target[t] for t in _QUERY if t in by_target), "")
    needed_import = ""
    if not query:
        fastapi_module = by_target.get("fastapi", "")
        if fastapi_module:
            query = f"{fastapi_module}.Query"
        elif "Query" not in bound:
            query, needed_import = "Query", "fastapi.Query"
        elif "fastapi" not in bound:
            query, needed_import = "fastapi.Query", "fastapi"
        else:
            return None
    annotated = next((by_target[t] for t in _ANNOTATED if t in by_target), "")
    if not annotated:
        typing_module = next((by_target[t] for t in _TYPING_MODULES if t in by_target), "")
        annotated = f"{typing_module}.Annotated" if typing_module else ""
    style = "annotated" if annotated and annotated_count > default_count else "default"
    return style, query, annotated if style == "annotated" else "", needed_import


def _is_fastapi_param(project: ProjectModel, value: Value) -> bool:
    return (
        value.kind == "call"
        and bool(value.symbol)
        and project.resolve(value.symbol).symbol in _FASTAPI_PARAMS
    )


def _span_text(span: Span) -> str:
    return f"{span.line}:{span.column}:{span.end_line}:{span.end_column}"


def _span_from(text: str) -> Optional[Span]:
    parts = text.split(":")
    if len(parts) != 4 or not all(p.isdigit() for p in parts):
        return None
    line, column, end_line, end_column = (int(p) for p in parts)
    return Span(line, column, end_line, end_column)


# --- the edit, on the file's tree ---------------------------------------------------------


def paginate_route(
    request: FixRequest, function: cst.CSTNode, context: FixContext
) -> Optional[cst.FunctionDef]:
    """The route with the new parameters and its query paged, or None when the tree does not
    match the plan."""
    if request.kind != KIND or not isinstance(function, cst.FunctionDef):
        return None
    details = dict(request.details)
    offset, limit = details.get("offset", ""), details.get("limit", "")
    span = _span_from(details.get("site", ""))
    role = details.get("role", "")
    if not (offset.isidentifier() and limit.isidentifier() and span is not None):
        return None
    if _binds_or_reads(function, {offset, limit}):
        return None
    calls = [node for node in descendants(function.body) if isinstance(node, cst.Call)]
    spans = positions_of(context.module, set(calls))
    at_span = [call for call in calls if spans.get(call) == span]
    if len(at_span) != 1:
        return None
    edit = _paged_site(at_span[0], role, offset, limit)
    if edit is None:
        return None
    new_params = _with_parameters(function, _new_parameters(details, offset, limit))
    if new_params is None:
        return None
    needed = details.get("import", "")
    if needed == "fastapi.Query":
        context.add_import("fastapi", "Query")
    elif needed == "fastapi":
        context.add_import("fastapi")
    elif needed:
        return None
    paged = function.with_changes(params=new_params)
    on_one_line = "\n" not in context.module.code_for_node(function.params)
    if on_one_line and _header_length(paged) > _LINE_LENGTH:
        paged = paged.with_changes(
            params=_one_per_line(new_params, context.module.default_indent),
            whitespace_before_params=_line_break(context.module.default_indent),
        )
    replaced = paged.deep_replace(*edit)
    return replaced if isinstance(replaced, cst.FunctionDef) else None


def _header_length(function: cst.FunctionDef) -> int:
    """The length of the ``def`` line of a module-level function whose parameters are on it."""
    header = function.with_changes(
        decorators=[],
        leading_lines=[],
        body=cst.SimpleStatementSuite([cst.Expr(cst.Ellipsis())]),
    )
    first_line = cst.Module([]).code_for_node(header).splitlines()[0]
    return len(first_line) - len(" ...")


def _line_break(indent: str) -> cst.ParenthesizedWhitespace:
    return cst.ParenthesizedWhitespace(
        first_line=cst.TrailingWhitespace(), indent=True, last_line=cst.SimpleWhitespace(indent)
    )


def _one_per_line(params: cst.Parameters, indent: str) -> cst.Parameters:
    """The parameters one per line, with a trailing comma, as formatters lay out a long
    signature (and keep it so)."""
    following = cst.Comma(whitespace_after=_line_break(indent))
    closing = cst.Comma(whitespace_after=_line_break(""))
    flat = cst.SimpleWhitespace("")
    star = params.star_arg if isinstance(params.star_arg, cst.Param) else None
    ordered = [*params.posonly_params, *params.params, star, *params.kwonly_params]
    ordered.append(params.star_kwarg)
    last = next((p for p in reversed(ordered) if p is not None), None)

    def laid(param: cst.Param) -> cst.Param:
        comma = closing if param is last else following
        return param.with_changes(comma=comma, whitespace_after_param=flat)

    star_arg = params.star_arg
    if isinstance(star_arg, cst.Param):
        star_arg = laid(star_arg)
    elif isinstance(star_arg, cst.ParamStar):
        star_arg = star_arg.with_changes(comma=following)
    slash = params.posonly_ind
    if isinstance(slash, cst.ParamSlash):
        slash = slash.with_changes(comma=following, whitespace_after=flat)
    return params.with_changes(
        posonly_params=[laid(p) for p in params.posonly_params],
        posonly_ind=slash,
        params=[laid(p) for p in params.params],
        star_arg=star_arg,
        kwonly_params=[laid(p) for p in params.kwonly_params],
        star_kwarg=laid(params.star_kwarg) if params.star_kwarg is not None else None,
    )


def _binds_or_reads(function: cst.FunctionDef, names: set[str]) -> bool:
    """Whether a name of ``names`` means anything in the function: a parameter, a local, a
    global it reads (attribute names and keyword argument names do not count)."""
    skipped: set[int] = set()
    for node in descendants(function.params):
        if isinstance(node, cst.Name) and node.value in names:
            return True
    for node in descendants(function.body):
        if isinstance(node, cst.Attribute):
            skipped.add(id(node.attr))
        elif isinstance(node, cst.Arg) and node.keyword is not None:
            skipped.add(id(node.keyword))
        elif isinstance(node, cst.Name) and node.value in names and id(node) not in skipped:
            return True
    return False


def _paged(
    expression: cst.BaseExpression, offset: str, limit: str, dot: Optional[cst.Dot]
) -> cst.Call:
    """``expression.offset(offset).limit(limit)``; on lines of their own when ``dot`` starts
    one (a chain written one call per line)."""
    if not isinstance(expression, (cst.Name, cst.Attribute, cst.Call, cst.Subscript)):
        expression = expression.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    paged: cst.BaseExpression = expression
    for method, name in (("offset", offset), ("limit", limit)):
        attribute = cst.Attribute(
            paged, cst.Name(method), dot=dot.deep_clone() if dot is not None else cst.Dot()
        )
        paged = cst.Call(attribute, [cst.Arg(cst.Name(name))])
    assert isinstance(paged, cst.Call)
    return paged


def _chain_dot(node: cst.BaseExpression) -> Optional[cst.Dot]:
    """The dot of a method chain written one call per line, to write new links alike."""
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
        dot = node.func.dot
        if isinstance(dot, cst.Dot) and isinstance(
            dot.whitespace_before, cst.ParenthesizedWhitespace
        ):
            return dot
    return None


def _paged_site(
    call: cst.Call, role: str, offset: str, limit: str
) -> Optional[tuple[cst.CSTNode, cst.CSTNode]]:
    """The node to replace and its replacement."""
    if role == "call":
        return call, _paged(call, offset, limit, _chain_dot(call))
    if role == "receiver":
        if not isinstance(call.func, cst.Attribute):
            return None
        receiver = call.func.value
        paged = _paged(receiver, offset, limit, _chain_dot(call))
        return call, call.with_changes(func=call.func.with_changes(value=paged))
    if role == "argument":
        positional = [a for a in call.args if a.keyword is None and not a.star]
        keyword = [a for a in call.args if a.keyword is not None and a.keyword.value == "statement"]
        chosen = positional[0] if positional else keyword[0] if keyword else None
        if chosen is None:
            return None
        paged = _paged(chosen.value, offset, limit, _chain_dot(chosen.value))
        return chosen, chosen.with_changes(value=paged)
    return None


def _new_parameters(details: dict[str, str], offset: str, limit: str) -> list[cst.Param]:
    query = cst.parse_expression(details.get("query") or "Query")
    skip_param = cst.Param(
        cst.Name(offset), cst.Annotation(cst.Name("int")), default=cst.Integer("0")
    )
    bound = cst.Arg(
        cst.Integer(str(MAX_LIMIT)),
        keyword=cst.Name("le"),
        equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")),
    )
    if details.get("style") == "annotated" and details.get("annotated"):
        annotation = cst.Subscript(
            cst.parse_expression(details["annotated"]),
            [
                cst.SubscriptElement(cst.Index(cst.Name("int"))),
                cst.SubscriptElement(cst.Index(cst.Call(query, [bound]))),
            ],
        )
        limit_param = cst.Param(
            cst.Name(limit), cst.Annotation(annotation), default=cst.Integer(str(DEFAULT_LIMIT))
        )
    else:
        limit_param = cst.Param(
            cst.Name(limit),
            cst.Annotation(cst.Name("int")),
            default=cst.Call(query, [cst.Arg(cst.Integer(str(DEFAULT_LIMIT))), bound]),
        )
    return [skip_param, limit_param]


def _with_parameters(function: cst.FunctionDef, added: list[cst.Param]) -> Optional[cst.Parameters]:
    """The parameters with ``added`` last among the ordinary ones, or among the keyword-only
    ones when the function has a ``*``; the layout (one per line, trailing comma) kept."""
    params = function.params
    keyword_only = bool(params.kwonly_params) or isinstance(
        params.star_arg, (cst.Param, cst.ParamStar)
    )
    section = list(params.kwonly_params if keyword_only else params.params)
    previous: Optional[cst.Param] = section[-1] if section else None
    if previous is None and isinstance(params.star_arg, cst.Param):
        previous = params.star_arg
    if previous is None:
        if keyword_only:
            return None  # a bare ``*`` always has keyword-only parameters after it
        return params.with_changes(params=added)
    first, second = added
    if params.star_kwarg is not None:
        # ``**kwargs`` follows: each new parameter ends as ``previous`` does.
        comma = _without_comment(previous.comma)
        first, second = first.with_changes(comma=comma), second.with_changes(comma=comma)
    elif isinstance(previous.comma, cst.Comma):  # a trailing comma: it ends the new last one
        continued = _continued(previous.comma, _parameter_indent(function))
        first = first.with_changes(comma=_without_comment(continued))
        second = second.with_changes(comma=_without_comment(previous.comma))
        previous = previous.with_changes(comma=continued)
    elif isinstance(previous.whitespace_after_param, cst.ParenthesizedWhitespace):
        # One per line without a trailing comma: the line break before ``)`` moves down.
        closing = previous.whitespace_after_param
        indent = cst.SimpleWhitespace(_parameter_indent(function))
        separator = cst.Comma(whitespace_after=closing.with_changes(last_line=indent))
        first = first.with_changes(comma=_without_comment(separator))
        second = second.with_changes(whitespace_after_param=_clean(closing))
        previous = previous.with_changes(
            comma=separator, whitespace_after_param=cst.SimpleWhitespace("")
        )
    if keyword_only:
        if params.kwonly_params:
            return params.with_changes(
                kwonly_params=[*params.kwonly_params[:-1], previous, first, second]
            )
        return params.with_changes(star_arg=previous, kwonly_params=[first, second])
    return params.with_changes(params=[*params.params[:-1], previous, first, second])


def _parameter_indent(function: cst.FunctionDef) -> str:
    before = function.whitespace_before_params
    if isinstance(before, cst.ParenthesizedWhitespace):
        return before.last_line.value
    return "    "


def _clean(whitespace: cst.BaseParenthesizableWhitespace) -> cst.BaseParenthesizableWhitespace:
    """The same line break without the comment (it stays with the parameter it was on)."""
    if isinstance(whitespace, cst.ParenthesizedWhitespace):
        return whitespace.with_changes(first_line=cst.TrailingWhitespace(), empty_lines=[])
    return whitespace


def _without_comment(
    comma: Union[cst.Comma, cst.MaybeSentinel],
) -> Union[cst.Comma, cst.MaybeSentinel]:
    if isinstance(comma, cst.Comma):
        return comma.with_changes(whitespace_after=_clean(comma.whitespace_after))
    return comma


def _continued(comma: cst.Comma, indent: str) -> cst.Comma:
    """A trailing comma made into one followed by another parameter."""
    after = comma.whitespace_after
    if isinstance(after, cst.ParenthesizedWhitespace):
        return comma.with_changes(
            whitespace_after=after.with_changes(last_line=cst.SimpleWhitespace(indent))
        )
    return comma.with_changes(whitespace_after=cst.SimpleWhitespace(" "))
