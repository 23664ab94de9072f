"""The crash sweep (scripts/sweep.py) on a sample of the standard library, through the real
command line: no internal error, unparsable files reported as FLT001 and nothing else, and
no file that Python accepts rejected for a reason of fastlint's own."""

from __future__ import annotations

import importlib.util
import os
import random
import sys
import sysconfig
from types import ModuleType

from conftest import ROOT

SAMPLE = 300
MAX_BYTES = 40_000  # keeps the sample quick: parsing time grows with size


def _sweep_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("sweep", ROOT / "scripts" / "sweep.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["sweep"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_a_sample_of_the_standard_library() -> None:
    sweep = _sweep_module()
    stdlib = sysconfig.get_paths()["stdlib"]
    skip = ("site-packages", "dist-packages", "__pycache__")
    every = sweep.python_files(stdlib, skip)
    small = [f for f in every if os.path.getsize(os.path.join(stdlib, f)) < MAX_BYTES]
    chosen = random.Random(0).sample(small, min(SAMPLE, len(small)))
    # Files written to be hard to read, where the interpreter ships them: Python 2 syntax,
    # byte order marks, wrong and unknown encodings, CRLF.
    hostile = [f for f in every if f.startswith(os.path.join("lib2to3", "tests", "data"))]
    report = sweep.sweep_tree("stdlib", stdlib, skip=skip, files=chosen + hostile)
    assert report.files == len(set(chosen + hostile))
    assert report.internal_errors == []
    assert report.mixed == []
    if hostile:
        assert report.unparsable > 0
    for path, message in report.rejected:
        # Python accepts it and libcst's grammar does not: not fastlint's own doing.
        assert message.startswith("SyntaxError: Syntax Error @ "), (path, message)
