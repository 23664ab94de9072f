"""Small questions about libcst trees that the fixes share."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst


def descendants(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """The node and every node below it, in no particular order (no recursion: a fix may
    look at a deeply nested tree)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(current.children)
