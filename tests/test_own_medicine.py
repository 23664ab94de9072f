"""fastlint's own code passes fastlint, ruff and ``mypy --strict``."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest
from conftest import ROOT

CODE = ["src", "scripts", "tests", "bench"]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=600
    )


def _needs(module: str) -> None:
    if importlib.util.find_spec(module) is None:  # pragma: no cover - the test extra has it
        pytest.skip(f"{module} is not installed")


def test_fastlint_passes_its_own_check() -> None:
    result = _run("-m", "fastlint", "check", *CODE, "--no-cache")
    assert result.stdout == ""
    assert result.returncode == 0, result.stderr


def test_ruff_passes() -> None:
    _needs("ruff")
    result = _run("-m", "ruff", "check", *CODE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_passes() -> None:
    _needs("mypy")
    result = _run("-m", "mypy", "--strict", "src", "scripts")
    assert result.returncode == 0, result.stdout + result.stderr
