"""Source positions for the few nodes a summary needs, in one cheap code-generation pass.

libcst's ``PositionProvider`` records a range for every node of the tree, which costs about
twice the parse. The index needs positions for a few hundred nodes per file (calls,
definitions, decorators), so this state records only those.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Optional

import libcst as cst
from libcst._nodes.internal import CodegenState

from fastlint.findings import Span


class _PositionRecorder(CodegenState):
    def __init__(self, module: cst.Module, wanted: set[cst.CSTNode]) -> None:
        super().__init__(
            default_indent=module.default_indent, default_newline=module.default_newline
        )
        self.wanted = wanted
        self.line = 1
        self.column = 0
        self.starts: list[tuple[int, int]] = []
        self.spans: dict[cst.CSTNode, Span] = {}

    def add_indent_tokens(self) -> None:
        for token in self.indent_tokens:
            self.add_token(token)

    def add_token(self, value: str) -> None:
        newlines = value.count("\n") + value.count("\r") - value.count("\r\n")
        if newlines:
            self.line += newlines
            self.column = len(value) - max(value.rfind("\n"), value.rfind("\r")) - 1
        else:
            self.column += len(value)

    def before_codegen(self, node: cst.CSTNode) -> None:
        if node in self.wanted:
            self.starts.append((self.line, self.column))

    def after_codegen(self, node: cst.CSTNode) -> None:
        if node in self.wanted:
            line, column = self.starts.pop()
            self.spans[node] = Span(line, column, self.line, self.column)

    @contextmanager
    def record_syntactic_position(
        self,
        node: cst.CSTNode,
        *,
        start_node: Optional[cst.CSTNode] = None,
        end_node: Optional[cst.CSTNode] = None,
    ) -> Iterator[None]:
        yield


def positions_of(module: cst.Module, wanted: set[cst.CSTNode]) -> dict[cst.CSTNode, Span]:
    """Spans (whitespace-inclusive; expressions own no leading lines) of the wanted nodes."""
    if not wanted:
        return {}
    recorder = _PositionRecorder(module, wanted)
    module._codegen(recorder)
    return recorder.spans
