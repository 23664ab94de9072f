"""A bug inside fastlint ends the run with exit 2 and one clear line, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from fastlint import cli


def test_internal_error_is_one_line_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "app.py").write_text("x = 1\n", encoding="utf-8")

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("simulated bug")

    # Fault injection: no real input makes the engine fail, which is the point.
    monkeypatch.setattr(cli, "run_check", broken)
    result = CliRunner().invoke(cli.main, ["check", str(tmp_path)])
    assert result.exit_code == 2
    assert "fastlint: error: internal error: RuntimeError: simulated bug" in result.output
    assert "Traceback" not in result.output
