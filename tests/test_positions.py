"""The index's position pass against libcst's own ``WhitespaceInclusivePositionProvider``:
the same range for every node, on real fixtures and on layouts chosen to trip it (line
endings, parentheses, brackets, comments, continuation lines); and libcst's code generation
untouched once the pass is over."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, WhitespaceInclusivePositionProvider

from fastlint.findings import Span
from fastlint.index import index_source
from fastlint.index.positions import positions_of

FIXTURES = Path(__file__).parent / "fixtures"

TRICKY = {
    "crlf": "import time\r\n\r\nasync def f(x):\r\n    time.sleep(1)  # why\r\n    return (x)\r\n",
    "mixed line endings": "a = 1\r\nb = f(2)\nc = (3)\rd = [\n  4]\r\n",
    "cr only": "a = 1\rb = (a)\rprint(b)\r",
    "parentheses": "x = ((f)(1))[0]\ny = (a.b)(c)(d)\nz = (yield_ := (1, 2))\n",
    "brackets": "items = [1, [2, {3: {4}}], {5, 6}]\nd = {**a, 'k': [v for v in b if v]}\n",
    "comments": "# head\n\ndef g(  # open\n    a,  # first\n    b=(1),\n):\n    pass  # end\n",
    "continuation": "total = 1 + \\\n    2 + \\\n    f(3)\n",
    "strings": 's = """a\nb"""; t = f"{x!r:>{w}}"; u = b"\\x00" b"y"\n',
    "decorators": "@app.get('/')\n@(lambda f: f)\nasync def route():\n    await h()\n",
    "no trailing newline": "def h():\n    return [1,\n            2]",
    "tabs and form feed": "if x:\n\tif y:\n\t\tz = (1)\n\x0c\nw = 2\n",
}


# Never wanted by the index, and written without a stop for them.
UNPLACED = (cst.Module, cst.SimpleWhitespace, cst.Comment, cst.Newline)


def _libcst_spans(module: cst.Module) -> dict[cst.CSTNode, Span]:
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    ranges = wrapper.resolve(WhitespaceInclusivePositionProvider)
    return {
        node: Span(r.start.line, r.start.column, r.end.line, r.end.column)
        for node, r in ranges.items()
        if not isinstance(node, UNPLACED)
    }


def _sources() -> list[tuple[str, str]]:
    real = sorted(p for p in FIXTURES.rglob("*.py") if p.stat().st_size)
    assert len(real) > 20
    return [*TRICKY.items(), *((str(p.relative_to(FIXTURES)), p.read_text()) for p in real)]


@pytest.mark.parametrize(("name", "source"), _sources(), ids=lambda value: str(value)[:40])
def test_every_node_has_libcst_own_range(name: str, source: str) -> None:
    module = cst.parse_module(source)
    expected = _libcst_spans(module)
    assert len(expected) > 5
    assert positions_of(module, set(expected)) == expected


def test_only_the_wanted_nodes_are_placed() -> None:
    module = cst.parse_module("x = f(1)\n")
    call = module.body[0].body[0].value  # type: ignore[attr-defined]
    assert positions_of(module, {call}) == {call: Span(1, 4, 1, 8)}
    assert positions_of(module, set()) == {}


def test_code_generation_is_libcst_own_after_the_pass() -> None:
    """The pass swaps some of libcst's code-generation methods while it runs; a tree
    printed afterwards (a fix) must come out exactly as libcst prints it."""
    source = "async def f(x):\r\n    return ((x)), [1, {2}], {3: (4)}  # c\r\n"
    summary = index_source("app.py", source.encode())
    assert summary.error is None and summary.functions
    module = cst.parse_module(source)
    assert module.code == source
    edited = module.with_deep_changes(
        module.body[0].name,  # type: ignore[attr-defined]
        value="g",
    )
    assert edited.code == source.replace("def f", "def g")


def test_threads_indexing_at_once_leave_libcst_as_they_found_it() -> None:
    """Parsing without validation and the position pass swap libcst methods process-wide;
    two threads indexing at once must take turns, not restore each other's swaps."""
    import argparse
    import threading

    source = Path(argparse.__file__).read_bytes()
    errors: list[BaseException] = []

    def index_three_times() -> None:
        try:
            for _ in range(3):
                assert index_source("argparse.py", source).functions
        except BaseException as error:  # re-raised below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=index_three_times) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with pytest.raises(cst.CSTValidationError):
        cst.Name("not valid!")
    assert cst.parse_module("x = f(a)  # c\n").code == "x = f(a)  # c\n"
