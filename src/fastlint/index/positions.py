"""Source positions for the few nodes a summary needs, in one cheap code-generation pass.

libcst's ``PositionProvider`` records a range for every node of the tree, which costs about
twice the parse. The index needs positions for a few hundred nodes per file (calls,
definitions, decorators), so this pass generates the module's code once, notes where each
wanted node's tokens begin and end, and turns those token counts into lines and columns at
the end.

Code generation runs a Python method or two per node; that is the whole cost. While the
pass runs, a few of libcst's code-generation methods are swapped for leaner equivalents
(same tokens, fewer Python frames): the per-node hook that would call ``before_codegen`` and
``after_codegen`` on every node, the context managers that write parentheses and brackets
(generators, the dearest part), and the leaves that are nearly half of all nodes
(whitespace, names, newlines). They are restored when the pass ends, so a tree printed
later (a fix) goes through libcst's own code (see ``swaps`` for threads).
"""

from __future__ import annotations

import re
import threading
from bisect import bisect_right
from itertools import accumulate
from typing import Any, Optional

import libcst as cst
from libcst._nodes.base import CSTNode
from libcst._nodes.expression import BaseList, _BaseParenthesizedNode, _BaseSetOrDict
from libcst._nodes.internal import CodegenState

from fastlint.findings import Span
from fastlint.index.swaps import swapped_methods

# Entering and leaving a reentrant lock runs no Python code: the cheapest context manager
# that does nothing, for the places where libcst's code generation asks for one.
_NOTHING = threading.RLock()
_NEWLINE = re.compile(r"\r\n?|\n")


class _Parentheses:
    __slots__ = ("node", "state")

    def __init__(self, node: _BaseParenthesizedNode, state: CodegenState) -> None:
        self.node = node
        self.state = state

    def __enter__(self) -> None:
        for lpar in self.node.lpar:
            lpar._codegen(self.state)

    def __exit__(self, *exc_info: object) -> None:
        for rpar in self.node.rpar:
            rpar._codegen(self.state)


class _Brackets:
    __slots__ = ("closing", "opening", "state")

    def __init__(self, opening: CSTNode, closing: CSTNode, state: CodegenState) -> None:
        self.opening = opening
        self.closing = closing
        self.state = state

    def __enter__(self) -> None:
        self.opening._codegen(self.state)

    def __exit__(self, *exc_info: object) -> None:
        self.closing._codegen(self.state)


def _parenthesize(self: _BaseParenthesizedNode, state: CodegenState) -> Any:
    return _Parentheses(self, state) if self.lpar else _NOTHING


def _bracketize(self: Any, state: CodegenState) -> _Brackets:
    return _Brackets(self.lbracket, self.rbracket, state)


def _braceize(self: Any, state: CodegenState) -> _Brackets:
    return _Brackets(self.lbrace, self.rbrace, state)


class _TokenList(CodegenState):
    """Collects the tokens; ``add_token`` is the list's own ``append`` (see positions_of)."""

    def record_syntactic_position(
        self,
        node: CSTNode,
        *,
        start_node: Optional[CSTNode] = None,
        end_node: Optional[CSTNode] = None,
    ) -> Any:
        return _NOTHING

    def pop_trailing_newline(self) -> None:
        pass  # positions are taken before; the token counts must stay as they were


def positions_of(module: cst.Module, wanted: set[cst.CSTNode]) -> dict[cst.CSTNode, Span]:
    """Spans (whitespace-inclusive; expressions own no leading lines) of the wanted nodes."""
    if not wanted:
        return {}
    state = _TokenList(default_indent=module.default_indent, default_newline=module.default_newline)
    tokens = state.tokens
    append = tokens.append
    state.add_token = append  # type: ignore[method-assign,assignment]  # a C call, no Python frame
    # Ids, not nodes: a node's __hash__ is a Python-level call, made for every node.
    wanted_ids = {id(node) for node in wanted}
    marks: list[tuple[CSTNode, int, int]] = []
    newline = module.default_newline
    simple_whitespace, comment, name, newline_node = (
        cst.SimpleWhitespace,
        cst.Comment,
        cst.Name,
        cst.Newline,
    )

    def codegen(self: CSTNode, state: CodegenState, **kwargs: Any) -> None:
        kind = type(self)
        # The commonest leaves, written as their own _codegen_impl would.
        if (
            kind is simple_whitespace
            or kind is comment
            or (kind is name and not self.lpar and id(self) not in wanted_ids)  # type: ignore[attr-defined]
        ):
            append(self.value)  # type: ignore[attr-defined]
        elif kind is newline_node:
            value = self.value  # type: ignore[attr-defined]
            append(newline if value is None else value)
        elif id(self) in wanted_ids:
            start = len(tokens)
            self._codegen_impl(state, **kwargs)
            marks.append((self, start, len(tokens)))
        else:
            self._codegen_impl(state, **kwargs)

    with swapped_methods(
        (CSTNode, "_codegen", codegen),
        (_BaseParenthesizedNode, "_parenthesize", _parenthesize),
        (BaseList, "_bracketize", _bracketize),
        (_BaseSetOrDict, "_braceize", _braceize),
    ):
        module._codegen_impl(state)

    offsets = [0, *accumulate(map(len, tokens))]
    line_starts = [0, *(match.end() for match in _NEWLINE.finditer("".join(tokens)))]

    def place(token_index: int) -> tuple[int, int]:
        offset = offsets[token_index]
        line = bisect_right(line_starts, offset)
        return line, offset - line_starts[line - 1]

    spans: dict[cst.CSTNode, Span] = {}
    for node, start, end in marks:
        line, column = place(start)
        end_line, end_column = place(end)
        spans[node] = Span(line, column, end_line, end_column)
    return spans
