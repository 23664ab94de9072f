"""Which function or class each line of a file belongs to, named as the index names them."""

from __future__ import annotations

import ast
import io
import tokenize
from dataclasses import dataclass
from typing import Optional, Union

_Scoped = Union[ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef]


@dataclass(frozen=True)
class Scope:
    qualname: str  # ``get_user``, ``UserService.get``, ``outer.<locals>.inner``
    first_line: int  # decorators included
    last_line: int


def read_source(path: str) -> Optional[str]:
    """The text of a Python file in its declared encoding, or None when it cannot be read."""
    try:
        with open(path, "rb") as handle:
            source = handle.read()
    except OSError:
        return None
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(source).readline)
        return source.decode(encoding, errors="replace")
    except (SyntaxError, LookupError):
        return source.decode("utf-8", errors="replace")


def scopes_of(source: str) -> list[Scope]:
    """Every function and class, outer ones first; empty when the file does not parse."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError):
        return []
    out: list[Scope] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                scoped: _Scoped = child
                qualname = f"{prefix}{scoped.name}"
                first = min([scoped.lineno, *(d.lineno for d in scoped.decorator_list)])
                out.append(Scope(qualname, first, scoped.end_lineno or scoped.lineno))
                inner = (
                    f"{qualname}." if isinstance(child, ast.ClassDef) else f"{qualname}.<locals>."
                )
                visit(child, inner)
            else:
                visit(child, prefix)

    visit(tree, "")
    return out


def innermost(scopes: list[Scope], line: int) -> Optional[Scope]:
    """The innermost function or class whose lines (decorators included) hold ``line``."""
    found: Optional[Scope] = None
    for scope in scopes:
        if scope.first_line <= line <= scope.last_line and (
            found is None or scope.first_line >= found.first_line
        ):
            found = scope
    return found
