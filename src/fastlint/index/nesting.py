"""A cheap look at how deeply a file's expressions nest, taken before libcst parses it.

libcst's native parser overflows its stack (the process dies with a segmentation fault, no
exception to catch) on a few thousand nested brackets or operators, and its time grows with
the cube of a chain such as ``a[0][0]...`` or ``1 + 1 + ...``. CPython itself refuses more
than 200 nested brackets. So before parsing, one pass of a regular expression over the
bytes estimates how deep the expression tree goes, skipping comments and the inside of
strings: operators are ranked by precedence, so ``a*b + c*d + ...`` is as deep as its
number of ``+``, as in the parsed tree. A file past either limit is reported as unparsable
instead of parsed.
"""

from __future__ import annotations

import re
import sys
import threading
from typing import Callable, Optional, TypeVar

from fastlint.index.summary import ParseError

MAX_BRACKETS = 200  # CPython's own limit (the tokenizer's MAXLEVEL)
MAX_DEPTH = 1000  # libcst takes seconds on a chain this long, and crashes a few times deeper
# Walking a tree that deep takes a few frames per level: more than Python's default
# recursion limit, and far less than this stack holds.
_DEEP_STACK_BYTES = 256 * 1024 * 1024
_DEEP_RECURSION_LIMIT = 20_000

_Result = TypeVar("_Result")

_STRING = (
    rb"[rRbBuUfF]{0,3}(?:'''(?:[^'\\]|\\.|'(?!''))*'''"
    rb'|"""(?:[^"\\]|\\.|"(?!""))*"""'
    rb"|'(?:[^'\\\r\n]|\\.)*'"
    rb'|"(?:[^"\\\r\n]|\\.)*")'
)
_TOKENS = re.compile(
    rb"#[^\r\n]*|\\\r?\n|" + _STRING + rb"|\r\n?|\n"
    rb"|\*\*|//|<<|>>|[<>=!]=|[-+*/%@&|^~<>.()\[\]{},;=]"
    rb"|\b(?:and|or|not|if|lambda|await|is|in)\b",
    re.DOTALL,
)
# Binding power, low to high; a reset (comma, ``=``) ends the expression.
_POSTFIX = 15
_RANK = {
    b"lambda": 0,
    b"if": 1,
    b"or": 2,
    b"and": 3,
    b"not": 4,
    b"in": 5,
    b"is": 5,
    b"<": 5,
    b">": 5,
    b"==": 5,
    b"!=": 5,
    b"<=": 5,
    b">=": 5,
    b"|": 6,
    b"^": 7,
    b"&": 8,
    b"<<": 9,
    b">>": 9,
    b"+": 10,
    b"-": 10,
    b"*": 11,
    b"/": 11,
    b"//": 11,
    b"%": 11,
    b"@": 11,
    b"~": 12,
    b"**": 13,
    b"await": 14,
    b".": _POSTFIX,
}
_LEVELS = _POSTFIX + 1
_HASH = ord("#")


def _too_deep(line: int) -> ParseError:
    return ParseError(f"expression too deeply nested to analyse (over {MAX_DEPTH} levels)", line, 0)


def nesting_problem(source: bytes) -> Optional[ParseError]:
    """Why the file nests too deeply to be parsed safely, or None."""
    if len(source) < MAX_BRACKETS:
        return None
    line = 1
    # One frame per open bracket: how deep the expression was where it opened, and the
    # length of the chain of each binding power in the operand being written.
    bases = [0]
    chains = [[0] * _LEVELS]
    depth = 0  # of the innermost operand: bases[-1] + sum(chains[-1])
    for token in _TOKENS.findall(source):  # a list of bytes: no match object per token
        rank = _RANK.get(token)
        if rank is not None:
            counts = chains[-1]
            counts[rank] += 1
            depth += 1
            for higher in range(rank + 1, _LEVELS):  # ``*`` chains end at the next ``+``
                if counts[higher]:
                    depth -= counts[higher]
                    counts[higher] = 0
            if depth > MAX_DEPTH:
                return _too_deep(line)
        elif token in b"([{":
            if len(bases) > MAX_BRACKETS:
                return ParseError("SyntaxError: too many nested parentheses", line, 0)
            bases.append(depth + 1)
            chains.append([0] * _LEVELS)
            depth += 1
        elif token in b")]}":
            if len(bases) > 1:
                bases.pop()
                chains.pop()
            # What the brackets held is one more link of the chain: ``f(x)``, ``a[0]``.
            chains[-1][_POSTFIX] += 1
            depth = bases[-1] + sum(chains[-1])
            if depth > MAX_DEPTH:
                return _too_deep(line)
        elif token in (b",", b";", b"="):
            chains[-1] = [0] * _LEVELS
            depth = bases[-1]
        elif token[0] in b"\r\n":
            line += 1
            if len(bases) == 1:
                chains[0] = [0] * _LEVELS
                depth = 0
        elif token[0] != _HASH:  # a string (libcst nests adjacent ones, but parses them
            line += token.count(b"\n")  # in linear time) or a line continuation
    return None


def with_deep_stack(
    function: Callable[..., _Result], *args: object, **kwargs: object
) -> Optional[_Result]:
    """``function(*args, **kwargs)`` in a thread with a large stack and a high recursion
    limit, for trees that pass :func:`nesting_problem` but not Python's default limit; None
    when even that is not deep enough (or no such thread can be made)."""
    outcome: list[tuple[bool, object]] = []

    def run() -> None:
        try:
            outcome.append((True, function(*args, **kwargs)))
        except RecursionError:
            outcome.append((True, None))
        except BaseException as error:  # raised again in the caller's thread
            outcome.append((False, error))

    limit = sys.getrecursionlimit()
    try:
        previous_size = threading.stack_size(_DEEP_STACK_BYTES)
    except (ValueError, RuntimeError):  # a platform that cannot size thread stacks
        return None
    # The limit is per interpreter; the calling thread only waits meanwhile.
    sys.setrecursionlimit(max(limit, _DEEP_RECURSION_LIMIT))
    try:
        thread = threading.Thread(target=run, name="fastlint-deep-stack")
        try:
            thread.start()
        finally:
            threading.stack_size(previous_size)
        thread.join()
    except RuntimeError:  # the stack cannot be allocated
        return None
    finally:
        sys.setrecursionlimit(limit)
    succeeded, value = outcome[0]
    if not succeeded:
        raise value  # type: ignore[misc]
    return value  # type: ignore[return-value]
