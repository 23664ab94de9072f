"""Source positions for the few nodes a summary needs, in one cheap code-generation pass.

libcst's ``PositionProvider`` records a range for every node of the tree, which costs about
twice the parse. The index needs positions for a few hundred nodes per file (calls,
definitions, decorators), so this state records only those.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst
from libcst._nodes.internal import CodegenState

from fastlint.findings import Span


class _NoPosition:
    """``record_syntactic_position`` for a recorder that needs none: one shared object
    instead of a generator per node (the codegen pass calls it for most nodes)."""

    __slots__ = ()

    def __enter__(self) -> None:
        return None

    def __exit__(self, *args: object) -> None:
        return None


_NO_POSITION = _NoPosition()


class _PositionRecorder(CodegenState):
    def __init__(self, module: cst.Module, wanted: set[cst.CSTNode]) -> None:
        super().__init__(
            default_indent=module.default_indent, default_newline=module.default_newline
        )
        # Ids, not nodes: a node's __hash__ is a Python-level call, made for every node.
        self.wanted = {id(node) for node in wanted}
        self.line = 1
        self.column = 0
        self.starts: list[tuple[int, int]] = []
        self.spans: dict[cst.CSTNode, Span] = {}

    def add_indent_tokens(self) -> None:
        for token in self.indent_tokens:
            self.add_token(token)

    def add_token(self, value: str) -> None:
        if "\n" not in value and "\r" not in value:  # nearly every token
            self.column += len(value)
            return
        newlines = value.count("\n") + value.count("\r") - value.count("\r\n")
        self.line += newlines
        self.column = len(value) - max(value.rfind("\n"), value.rfind("\r")) - 1

    def before_codegen(self, node: cst.CSTNode) -> None:
        if id(node) in self.wanted:
            self.starts.append((self.line, self.column))

    def after_codegen(self, node: cst.CSTNode) -> None:
        if id(node) in self.wanted:
            line, column = self.starts.pop()
            self.spans[node] = Span(line, column, self.line, self.column)

    def record_syntactic_position(  # type: ignore[override]
        self,
        node: cst.CSTNode,
        *,
        start_node: Optional[cst.CSTNode] = None,
        end_node: Optional[cst.CSTNode] = None,
    ) -> _NoPosition:
        return _NO_POSITION


def positions_of(module: cst.Module, wanted: set[cst.CSTNode]) -> dict[cst.CSTNode, Span]:
    """Spans (whitespace-inclusive; expressions own no leading lines) of the wanted nodes."""
    if not wanted:
        return {}
    recorder = _PositionRecorder(module, wanted)
    module._codegen(recorder)
    return recorder.spans
