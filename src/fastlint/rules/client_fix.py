"""FLT303's fix: a route's ``async with httpx.AsyncClient(...) as client:`` becomes one client
made in the app's lifespan, kept on ``app.state`` and read back from ``request.app.state``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Optional

import libcst as cst

from fastlint.rules.syntax import descendants

if TYPE_CHECKING:
    from fastlint.fixes import FixContext

_ASYNC_CONTEXT_MANAGERS = ("asynccontextmanager", "contextlib.asynccontextmanager")
_APP_CLASSES = ("FastAPI", "fastapi.FastAPI")
_REQUEST_ANNOTATIONS = ("Request", "fastapi.Request", "starlette.requests.Request")
_CLOSERS = ("aclose", "close", "__aexit__", "__aenter__")
_Statement = cst.BaseStatement


def lifespan_client_fix(
    call: cst.Call, context: FixContext
) -> Optional[dict[cst.CSTNode, cst.CSTNode]]:
    """The route and the lifespan rewritten, or None unless every condition holds."""
    item = context.parent(call)
    statement = context.parent(item) if isinstance(item, cst.WithItem) else None
    if not (
        isinstance(item, cst.WithItem)
        and isinstance(statement, cst.With)
        and statement.asynchronous is not None
        and len(statement.items) == 1
        and item.asname is not None
        and isinstance(item.asname.name, cst.Name)
    ):
        return None
    block = context.parent(statement)
    route = context.parent(block) if isinstance(block, cst.IndentedBlock) else None
    if not (
        isinstance(route, cst.FunctionDef)
        and route.asynchronous is not None
        and route in context.module.body
    ):
        return None
    variable = item.asname.name.value
    lifespan = _app_and_lifespan(route, context.module)
    if lifespan is None or (
        isinstance(statement.body, cst.IndentedBlock) and statement.body.footer
    ):
        return None  # comments closing the block would have no place to go
    lifespan_app = _single_param(lifespan)
    route_locals = _bound_names(route)
    module_names = _module_names(context.module)
    if lifespan_app is None or not _made_of_constants(
        call, module_names, route_locals | _bound_names(lifespan) | {lifespan_app}
    ):
        return None
    if any(_closes(node, variable) for node in descendants(statement.body)):
        return None  # closing the shared client would break every later request
    attribute = _state_attribute(variable, context.module, lifespan)
    request_param = _request_parameter(route, module_names, context)
    if attribute is None or request_param is None:
        return None
    new_lifespan = _with_client(lifespan, call, lifespan_app, attribute)
    if new_lifespan is None:
        return None
    request_name, new_params = request_param
    read = cst.SimpleStatementLine(
        [
            cst.Assign(
                [cst.AssignTarget(cst.Name(variable))],
                cst.parse_expression(f"{request_name}.app.state.{attribute}"),
            )
        ],
        leading_lines=statement.leading_lines,
    )
    if isinstance(statement.body, cst.IndentedBlock):
        read = read.with_changes(trailing_whitespace=statement.body.header)
    body: list[_Statement] = []
    assert isinstance(block, cst.IndentedBlock)
    for existing in block.body:
        if existing is statement:
            body.append(read)
            body.extend(_statements(statement.body))
        else:
            body.append(existing)
    new_route = route.with_changes(body=block.with_changes(body=body), params=new_params)
    return {route: new_route, lifespan: new_lifespan}


def _dotted(node: cst.BaseExpression) -> Optional[str]:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        head = _dotted(node.value)
        return None if head is None else f"{head}.{node.attr.value}"
    return None


def _app_and_lifespan(route: cst.FunctionDef, module: cst.Module) -> Optional[cst.FunctionDef]:
    """The one module-level ``app = FastAPI(lifespan=name)`` the route is registered on, and
    the ``@asynccontextmanager async def name(app)`` it names, in the same module."""
    apps: dict[str, str] = {}
    assigned: dict[str, int] = {}
    for statement in module.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if not isinstance(small, cst.Assign):
                continue
            for target in small.targets:
                for node in descendants(target.target):
                    if isinstance(node, cst.Name):
                        assigned[node.value] = assigned.get(node.value, 0) + 1
            if (
                len(small.targets) == 1
                and isinstance(small.targets[0].target, cst.Name)
                and isinstance(small.value, cst.Call)
                and _dotted(small.value.func) in _APP_CLASSES
            ):
                for arg in small.value.args:
                    keyword = arg.keyword.value if arg.keyword is not None else None
                    if keyword == "lifespan" and isinstance(arg.value, cst.Name):
                        apps[small.targets[0].target.value] = arg.value.value
    owners = set()
    for decorator in route.decorators:
        expression = decorator.decorator
        if isinstance(expression, cst.Call) and isinstance(expression.func, cst.Attribute):
            owner = expression.func.value
            if isinstance(owner, cst.Name):
                owners.add(owner.value)
    registered = [name for name in owners if name in apps]
    if len(registered) != 1 or len(owners) != 1 or assigned.get(registered[0]) != 1:
        return None
    app_name = registered[0]
    lifespan_name = apps[app_name]
    definitions = [
        statement
        for statement in module.body
        if isinstance(statement, (cst.FunctionDef, cst.ClassDef))
        and statement.name.value == lifespan_name
    ]
    if len(definitions) != 1 or lifespan_name in assigned:
        return None
    lifespan = definitions[0]
    if not isinstance(lifespan, cst.FunctionDef) or lifespan.asynchronous is None:
        return None
    decorators = [_dotted(d.decorator) for d in lifespan.decorators]
    if len(decorators) != 1 or decorators[0] not in _ASYNC_CONTEXT_MANAGERS:
        return None
    return lifespan


def _single_param(function: cst.FunctionDef) -> Optional[str]:
    params = function.params
    if (
        len(params.params) == 1
        and not params.posonly_params
        and not params.kwonly_params
        and not isinstance(params.star_arg, cst.Param)
        and params.star_kwarg is None
    ):
        return params.params[0].name.value
    return None


def _bound_names(function: cst.FunctionDef) -> set[str]:
    """Every name the function binds or declares: parameters, assignment, loop, ``with`` and
    ``except`` targets, imports, nested definitions, ``global`` and ``nonlocal``."""
    names: set[str] = set()
    params = function.params
    for param in (*params.posonly_params, *params.params, *params.kwonly_params):
        names.add(param.name.value)
    for extra in (params.star_arg, params.star_kwarg):
        if isinstance(extra, cst.Param):
            names.add(extra.name.value)
    targets: list[cst.CSTNode] = []
    for node in descendants(function.body):
        if isinstance(node, (cst.AssignTarget, cst.AnnAssign, cst.AugAssign, cst.For, cst.CompFor)):
            targets.append(node.target)
        elif isinstance(node, cst.AsName):
            targets.append(node.name)
        elif isinstance(node, cst.NamedExpr):
            targets.append(node.target)
        elif isinstance(node, (cst.FunctionDef, cst.ClassDef)):
            names.add(node.name.value)
        elif isinstance(node, (cst.Global, cst.Nonlocal)):
            names.update(item.name.value for item in node.names)
        elif isinstance(node, (cst.Import, cst.ImportFrom)):
            return {"*"}  # a local import: too unusual to reason about
    for target in targets:
        names.update(n.value for n in descendants(target) if isinstance(n, cst.Name))
    return names


def _module_names(module: cst.Module) -> set[str]:
    """The names bound at module level: assignments, imports, definitions."""
    names: set[str] = set()
    for statement in module.body:
        if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
            names.add(statement.name.value)
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if isinstance(small, cst.Assign):
                for target in small.targets:
                    if isinstance(target.target, cst.Name):
                        names.add(target.target.value)
            elif isinstance(small, cst.AnnAssign) and small.value is not None:
                if isinstance(small.target, cst.Name):
                    names.add(small.target.value)
            elif isinstance(small, cst.Import):
                for alias in small.names:
                    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                        names.add(alias.asname.name.value)
                    else:
                        names.add((_dotted(alias.name) or "").split(".")[0])
            elif isinstance(small, cst.ImportFrom) and not isinstance(small.names, cst.ImportStar):
                for alias in small.names:
                    bound = alias.asname.name if alias.asname is not None else alias.name
                    if isinstance(bound, cst.Name):
                        names.add(bound.value)
    return names


def _made_of_constants(call: cst.Call, module_names: set[str], local: set[str]) -> bool:
    """Whether the constructor and its arguments mean the same at startup as in the request:
    literals, and names bound at module level that neither function rebinds."""
    if "*" in local:
        return False
    root = call.func
    while isinstance(root, cst.Attribute):
        root = root.value
    if not isinstance(root, cst.Name) or root.value not in module_names or root.value in local:
        return False
    return all(not arg.star and _constant(arg.value, module_names, local) for arg in call.args)


def _constant(node: cst.BaseExpression, module_names: set[str], local: set[str]) -> bool:
    if isinstance(node, (cst.Integer, cst.Float, cst.SimpleString)):
        return True
    if isinstance(node, cst.ConcatenatedString):
        return all(
            isinstance(part, (cst.SimpleString, cst.ConcatenatedString))
            and _constant(part, module_names, local)
            for part in (node.left, node.right)
        )
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        return isinstance(node.expression, (cst.Integer, cst.Float))
    if isinstance(node, cst.Name):
        if node.value in ("True", "False", "None"):
            return True
        return node.value in module_names and node.value not in local
    if isinstance(node, (cst.Tuple, cst.List)):
        return all(
            isinstance(element, cst.Element) and _constant(element.value, module_names, local)
            for element in node.elements
        )
    if isinstance(node, cst.Dict):
        return all(
            isinstance(element, cst.DictElement)
            and _constant(element.key, module_names, local)
            and _constant(element.value, module_names, local)
            for element in node.elements
        )
    return False


def _closes(node: cst.CSTNode, variable: str) -> bool:
    return (
        isinstance(node, cst.Attribute)
        and isinstance(node.value, cst.Name)
        and node.value.value == variable
        and node.attr.value in _CLOSERS
    )


def _state_attribute(variable: str, module: cst.Module, lifespan: cst.FunctionDef) -> Optional[str]:
    """``client``, else ``client_2``...: a ``state`` attribute the module never uses, and a
    name the lifespan does not use either (it names the client there)."""
    state_attributes = {
        node.attr.value
        for node in descendants(module)
        if isinstance(node, cst.Attribute)
        and isinstance(node.value, cst.Attribute)
        and node.value.attr.value == "state"
    }
    if any(
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Name)
        and node.func.value in ("getattr", "setattr")
        for node in descendants(module)
    ):
        return None  # state read or written by computed names
    in_lifespan = {n.value for n in descendants(lifespan) if isinstance(n, cst.Name)}
    for index in range(1, 20):
        candidate = variable if index == 1 else f"{variable}_{index}"
        if candidate not in state_attributes and candidate not in in_lifespan:
            return candidate
    return None


def _request_parameter(
    route: cst.FunctionDef, module_names: set[str], context: FixContext
) -> Optional[tuple[str, cst.Parameters]]:
    """The route's ``Request`` parameter, or its parameters with ``request: Request`` added
    (and ``Request`` imported from fastapi), or None when that is not simple."""
    params = route.params
    every = (*params.posonly_params, *params.params, *params.kwonly_params)
    for param in every:
        annotation = _dotted(param.annotation.annotation) if param.annotation else None
        if annotation in _REQUEST_ANNOTATIONS and (
            annotation != "Request" or _imports_request(context.module)
        ):
            return param.name.value, params
    if isinstance(params.star_arg, cst.Param) or params.star_kwarg is not None:
        return None
    if any(isinstance(n, cst.Name) and n.value == "request" for n in descendants(route)):
        return None  # ``request`` already means something here
    if "Request" in module_names and not _imports_request(context.module):
        return None
    context.add_import("fastapi", "Request")
    added = cst.Param(cst.Name("request"), cst.Annotation(cst.Name("Request")))
    if (
        not params.kwonly_params
        and params.star_arg is cst.MaybeSentinel.DEFAULT
        and all(param.default is None for param in (*params.posonly_params, *params.params))
    ):
        return "request", params.with_changes(params=[*params.params, added])
    star = params.star_arg if isinstance(params.star_arg, cst.ParamStar) else cst.ParamStar()
    return "request", params.with_changes(
        star_arg=star, kwonly_params=[*params.kwonly_params, added]
    )


def _imports_request(module: cst.Module) -> bool:
    """Whether ``Request`` is imported, unrenamed, from fastapi or starlette."""
    for statement in module.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if (
                isinstance(small, cst.ImportFrom)
                and small.module is not None
                and _dotted(small.module) in ("fastapi", "starlette.requests", "fastapi.requests")
                and not isinstance(small.names, cst.ImportStar)
                and any(
                    _dotted(alias.name) == "Request" and alias.asname is None
                    for alias in small.names
                )
            ):
                return True
    return False


def _with_client(
    lifespan: cst.FunctionDef, call: cst.Call, app: str, attribute: str
) -> Optional[cst.FunctionDef]:
    """The lifespan with its one ``yield`` wrapped in ``async with <call> as <attribute>:``.

    The ``yield`` must be the only one, a statement of its own, and reached only through
    ``with`` blocks: then the client lives exactly as long as the app serves."""
    yields = [
        node
        for node in descendants(lifespan.body)
        if isinstance(node, (cst.Yield, cst.FunctionDef, cst.Lambda, cst.ClassDef))
    ]
    if len(yields) != 1 or not isinstance(yields[0], cst.Yield) or yields[0].value is not None:
        return None
    wrapped = _wrap_yield(lifespan.body, call, app, attribute)
    return None if wrapped is None else lifespan.with_changes(body=wrapped)


def _wrap_yield(
    block: cst.BaseSuite, call: cst.Call, app: str, attribute: str
) -> Optional[cst.IndentedBlock]:
    if not isinstance(block, cst.IndentedBlock):
        return None
    body: list[_Statement] = []
    done = False
    for statement in block.body:
        if _is_bare_yield(statement):
            assert isinstance(statement, cst.SimpleStatementLine)
            store = cst.parse_statement(f"{app}.state.{attribute} = {attribute}\n")
            client = cst.With(
                items=[cst.WithItem(call.deep_clone(), asname=cst.AsName(cst.Name(attribute)))],
                body=cst.IndentedBlock([store, statement.with_changes(leading_lines=[])]),
                asynchronous=cst.Asynchronous(),
                leading_lines=statement.leading_lines,
            )
            body.append(client)
            done = True
        elif isinstance(statement, cst.With) and _contains_yield(statement):
            inner = _wrap_yield(statement.body, call, app, attribute)
            if inner is None:
                return None
            body.append(statement.with_changes(body=inner))
            done = True
        elif _contains_yield(statement):
            return None  # inside an if, a loop or a try: not reached exactly once
        else:
            body.append(statement)
    return block.with_changes(body=body) if done else None


def _is_bare_yield(statement: cst.CSTNode) -> bool:
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return False
    expression = statement.body[0]
    return (
        isinstance(expression, cst.Expr)
        and isinstance(expression.value, cst.Yield)
        and expression.value.value is None
    )


def _contains_yield(statement: cst.CSTNode) -> bool:
    return any(isinstance(node, cst.Yield) for node in descendants(statement))


def _statements(suite: cst.BaseSuite) -> Sequence[_Statement]:
    if isinstance(suite, cst.IndentedBlock):
        return suite.body
    assert isinstance(suite, cst.SimpleStatementSuite)
    return [cst.SimpleStatementLine(list(suite.body))]
