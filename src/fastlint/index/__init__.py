"""The index phase: each file parsed once and distilled into a picklable summary."""

from __future__ import annotations

import ast
import io
import os
import re
import tokenize
from functools import lru_cache
from typing import Callable, Optional

import libcst as cst
from libcst._nodes.base import CSTNode

from fastlint.index.indexer import build_summary
from fastlint.index.nesting import nesting_problem, with_deep_stack
from fastlint.index.summary import ModuleSummary, ParseError
from fastlint.index.swaps import swapped_methods
from fastlint.noqa import read_suppressions

_MAY_HAVE_NOQA = re.compile(rb"noqa", re.IGNORECASE)


def _no_validation(node: CSTNode) -> None:
    return None


@lru_cache(maxsize=4096)
def _is_package_dir(directory: str) -> bool:
    return os.path.isfile(os.path.join(directory, "__init__.py"))


def module_name_for(path: str) -> tuple[str, bool]:
    """The dotted module name a file is imported as, judged by ``__init__.py`` files above it."""
    directory, filename = os.path.split(path)
    stem = filename[:-3] if filename.endswith(".py") else filename
    is_package = stem == "__init__"
    parts = [] if is_package else [stem]
    while _is_package_dir(directory):
        directory, package = os.path.split(directory)
        parts.append(package)
        if not package:
            break
    parts.reverse()
    return ".".join(p for p in parts if p) or stem, is_package


def _error_summary(path: str, module: str, is_package: bool, error: ParseError) -> ModuleSummary:
    return ModuleSummary(
        path=path,
        module=module,
        is_package=is_package,
        imports=(),
        functions=(),
        classes=(),
        bindings=(),
        module_calls=(),
        module_mutations=(),
        noqa=(),
        error=error,
    )


def index_source(path: str, source: bytes, module_name: Optional[str] = None) -> ModuleSummary:
    """Parse and summarise one file's bytes. Never raises for bad input: the summary says."""
    default_name, is_package = module_name_for(path)
    module_name = module_name or default_name
    if b"\0" in source:  # Python refuses the file, even with the NUL in a comment
        line = source.count(b"\n", 0, source.index(b"\0")) + 1
        error = ParseError("SyntaxError: source code cannot contain null bytes", line, 0)
        return _error_summary(path, module_name, is_package, error)
    too_deep = nesting_problem(source)  # libcst would crash or take minutes on it
    if too_deep is not None:  # unless it is not even text: say that first, as Python does
        undecodable = _decoding_problem(source)
        if undecodable is not None:
            too_deep = ParseError(undecodable, 1, 0)
        return _error_summary(path, module_name, is_package, too_deep)
    try:
        # Without libcst's per-node validation (balanced parentheses, required whitespace...:
        # a fifth of the parse): a tree the parser built from source satisfies it by
        # construction, as libcst's own comment on ``CSTNode.__post_init__`` says. Trees
        # built afterwards (fixes, other flake8 plugins) are checked again.
        with swapped_methods((CSTNode, "__post_init__", _no_validation)):
            tree = cst.parse_module(source)
    except cst.ParserSyntaxError as error:
        return _error_summary(path, module_name, is_package, _syntax_error(source, error))
    except UnicodeDecodeError as error:
        return _error_summary(
            path,
            module_name,
            is_package,
            ParseError(f"cannot decode the file: {error.reason} at byte {error.start}", 1, 0),
        )
    except (SyntaxError, LookupError) as error:  # e.g. an unknown ``# -*- coding: ... -*-``
        undecodable = _decoding_problem(source)
        if undecodable is not None:
            return _error_summary(path, module_name, is_package, ParseError(undecodable, 1, 0))
        return _error_summary(
            path, module_name, is_package, ParseError(f"cannot read the file: {error}", 1, 0)
        )
    except RecursionError:
        return _error_summary(
            path, module_name, is_package, ParseError("too deeply nested to parse", 1, 0)
        )
    noqa = (
        read_suppressions(source.decode(tree.encoding, errors="replace"))
        if _MAY_HAVE_NOQA.search(source)
        else ()
    )
    try:
        return build_summary(
            tree, path=path, module_name=module_name, is_package=is_package, noqa=noqa
        )
    except RecursionError:
        pass
    # Deeper than Python's default limit allows, within the limits checked above (a prompt
    # written as 500 adjacent strings): once more, with room to recurse.
    summary = with_deep_stack(
        build_summary, tree, path=path, module_name=module_name, is_package=is_package, noqa=noqa
    )
    if summary is None:
        return _error_summary(
            path, module_name, is_package, ParseError("too deeply nested to analyse", 1, 0)
        )
    return summary


def _syntax_error(source: bytes, error: cst.ParserSyntaxError) -> ParseError:
    """Python's own message and position when it agrees the file is invalid (it words
    errors better); libcst's otherwise, e.g. for syntax newer than libcst knows."""
    try:
        ast.parse(source)
    except SyntaxError as python_error:
        line = python_error.lineno or 1
        column = max((python_error.offset or 1) - 1, 0)
        return ParseError(f"SyntaxError: {python_error.msg}", line, column)
    except (ValueError, RecursionError, MemoryError):
        pass
    message = str(error).splitlines()[0] if str(error) else "invalid syntax"
    return ParseError(f"SyntaxError: {message}", error.raw_line, error.raw_column)


def _decoding_problem(source: bytes) -> Optional[str]:
    """Why the bytes do not decode in the file's declared (or default UTF-8) encoding."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(source).readline)
        source.decode(encoding)
    except UnicodeDecodeError as error:
        return f"cannot decode the file as {error.encoding}: {error.reason} at byte {error.start}"
    except (SyntaxError, LookupError) as error:
        return f"cannot decode the file: {error}"
    return None


def index_file(path: str, module_name: Optional[str] = None) -> ModuleSummary:
    """Read and summarise a file; an OSError propagates for the caller to report."""
    with open(path, "rb") as handle:
        source = handle.read()
    return index_source(path, source, module_name)


def disambiguate_modules(
    summaries: list[ModuleSummary],
    root: str,
    reindex: Callable[[str, str], ModuleSummary] = index_file,
) -> list[ModuleSummary]:
    """Give each file its own module name: two scripts both named ``app.py`` in folders
    without ``__init__.py`` would otherwise hide one another. The later one (by path) is
    named by its path from the project root, as a namespace package would import it.
    ``reindex(path, module_name)`` summarises a file again under its new name."""
    taken: set[str] = set()
    out = []
    for summary in sorted(summaries, key=lambda s: s.path):
        if summary.module in taken:
            relative = os.path.relpath(summary.path, root).replace(os.sep, "/")
            parts = [p for p in relative[: -len(".py")].split("/") if p not in ("", ".", "..")]
            if summary.is_package:
                parts = parts[:-1]
            name = ".".join(parts) or summary.module
            while name in taken:
                name += "_"
            summary = reindex(summary.path, name) if os.path.exists(summary.path) else summary
        taken.add(summary.module)
        out.append(summary)
    return out
