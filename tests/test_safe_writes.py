"""``--fix`` writes safely: atomically, only inside the paths given, never over a file that
changed since it was read, and never partially, even when the process is killed midway.

tests/test_fixes.py covers the kept encoding, byte order mark, line endings and mode, a
refused fix, and a file edited between analysis and writing; these are the rest.
"""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fastlint.config import Config
from fastlint.fixes import fix_paths, write_fixes

ROUTE = """\
import time

from fastapi import FastAPI

app = FastAPI()


@app.get("/{number}")
async def index() -> None:
    time.sleep({number})
"""


def route(number: int) -> bytes:
    return ROUTE.replace("{number}", str(number)).encode()


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "fastlint", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
        timeout=300,
    )
    assert "Traceback" not in result.stderr
    assert "internal error" not in result.stderr
    return result


def start(cwd: Path, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "fastlint", *args],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "NO_COLOR": "1"},
    )


def project(root: Path, files: dict[str, bytes]) -> Path:
    (root / "pyproject.toml").write_text("[tool.fastlint]\n", encoding="utf-8")
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def snapshot(root: Path) -> dict[str, bytes]:
    """Every ``.py`` file under ``root`` (not following links) and its bytes."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*.py"))
        if not path.is_symlink()
    }


def test_only_the_paths_given_are_written(tmp_path: Path) -> None:
    root = project(tmp_path, {"app/a.py": route(1), "other/b.py": route(2), "c.py": route(3)})
    os.utime(root / "other" / "b.py", (1_000_000_000, 1_000_000_000))
    result = run(root, "check", "--fix", "app")
    assert result.returncode == 0, result.stderr
    assert b"await asyncio.sleep(1)" in (root / "app" / "a.py").read_bytes()
    assert (root / "other" / "b.py").read_bytes() == route(2)
    assert (root / "other" / "b.py").stat().st_mtime == 1_000_000_000
    assert (root / "c.py").read_bytes() == route(3)


def test_a_link_out_of_the_paths_is_not_followed(tmp_path: Path) -> None:
    root = project(tmp_path, {"app/a.py": route(1), "outside/target.py": route(2)})
    (root / "app" / "link.py").symlink_to(Path("..") / "outside" / "target.py")
    result = run(root, "check", "--fix", "app")
    assert (root / "outside" / "target.py").read_bytes() == route(2)
    assert (root / "app" / "link.py").is_symlink()
    assert b"await asyncio.sleep(1)" in (root / "app" / "a.py").read_bytes()
    assert "fastlint: error: app/link.py: links outside the checked paths, not fixed" in (
        result.stderr.splitlines()
    )
    assert result.returncode == 2


def test_a_link_inside_the_paths_stays_a_link(tmp_path: Path) -> None:
    """The link and its target are one file: fixed once, and no false alarm that it changed."""
    root = project(tmp_path, {"app/real.py": route(1)})
    (root / "app" / "alias.py").symlink_to("real.py")
    result = run(root, "check", "--fix")
    assert result.returncode == 0, result.stderr
    assert (root / "app" / "alias.py").is_symlink()
    assert os.readlink(root / "app" / "alias.py") == "real.py"
    fixed = (root / "app" / "real.py").read_bytes()
    assert fixed.count(b"await asyncio.sleep(1)") == 1
    assert fixed.count(b"import asyncio") == 1


def test_a_fixed_file_is_replaced_whole_with_its_mode(tmp_path: Path) -> None:
    root = project(tmp_path, {"app.py": route(1), "clean.py": b"x = 1\n"})
    target = root / "app.py"
    os.chmod(target, 0o600)
    inode = target.stat().st_ino
    result = run(root, "check", "--fix")
    assert result.returncode == 0, result.stderr
    # A new file renamed over the old one (readers see one or the other, never a mix).
    assert target.stat().st_ino != inode
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert sorted(p.name for p in root.iterdir() if p.name != ".fastlint_cache") == [
        "app.py",
        "clean.py",
        "pyproject.toml",
    ]


def test_a_file_deleted_before_writing_is_not_recreated(tmp_path: Path) -> None:
    root = project(tmp_path, {"app.py": route(1), "other.py": route(2)})
    config = Config(root=str(root), use_cache=False, jobs=1)
    outcome = fix_paths([str(root)], config, unsafe=False)
    assert len(outcome.fixed) == 2
    (root / "app.py").unlink()
    problems = write_fixes(outcome, [str(root)])
    assert len(problems) == 1
    assert problems[0].endswith("app.py: cannot write: No such file or directory")
    assert not (root / "app.py").exists()
    assert b"await asyncio.sleep(2)" in (root / "other.py").read_bytes()


def test_a_file_replaced_by_a_link_before_writing_is_left_alone(tmp_path: Path) -> None:
    root = project(tmp_path, {"app.py": route(1)})
    outside = tmp_path.parent / f"{tmp_path.name}-outside.py"
    outside.write_bytes(route(1))
    config = Config(root=str(root), use_cache=False, jobs=1)
    outcome = fix_paths([str(root)], config, unsafe=False)
    (root / "app.py").unlink()
    (root / "app.py").symlink_to(outside)  # the same bytes, somewhere else
    problems = write_fixes(outcome, [str(root)])
    assert [p.split(": ", 1)[1] for p in problems] == ["links outside the checked paths, not fixed"]
    assert outside.read_bytes() == route(1)


# --- interrupted and concurrent runs -----------------------------------------------------------

FILES = 60


def _tree(root: Path) -> dict[str, bytes]:
    """Many fixable files, written in several ways, and a few with nothing to fix."""
    files: dict[str, bytes] = {}
    for number in range(FILES):
        source = route(number + 1)  # sleep(0) is fine: it only yields
        if number % 3 == 1:
            source = source.replace(b"\n", b"\r\n")
        elif number % 3 == 2:
            source = b"\xef\xbb\xbf" + source
        files[f"pkg{number % 4}/mod_{number:03d}.py"] = source
    for number in range(4):
        files[f"pkg{number}/__init__.py"] = b""
        files[f"pkg{number}/clean.py"] = b"def helper():\n    return 1\n"
    project(root, files)
    return snapshot(root)


def _first_write(root: Path, before: dict[str, bytes], process: subprocess.Popen[bytes]) -> bool:
    """Wait until the process writes its first file; False if it ended first."""
    paths = [root / name for name in before]
    mtimes = [path.stat().st_mtime_ns for path in paths]
    deadline = time.monotonic() + 240
    while process.poll() is None and time.monotonic() < deadline:
        # A file is renamed into place, so its name always leads to the old or the new one.
        if any(path.stat().st_mtime_ns != mtime for path, mtime in zip(paths, mtimes)):
            return True
        time.sleep(0.0005)
    return False


def test_a_killed_fix_run_leaves_every_file_old_or_new(tmp_path: Path) -> None:
    """SIGKILL at several moments of the writing: each file is byte for byte its original or
    its fully fixed version, never a mix; a later run finishes the work; the cache written by
    the killed runs does not change what is found."""
    root = tmp_path / "tree"
    root.mkdir()
    original = _tree(root)
    reference = tmp_path / "reference"
    shutil.copytree(root, reference)
    assert run(reference, "check", "--fix", "-q").returncode == 0
    fixed = snapshot(reference)
    assert sum(fixed[name] != original[name] for name in original) == FILES

    mixed = 0
    for delay in (0.0, 0.005, 0.02):
        before = snapshot(root)
        process = start(root, "check", "--fix", "-q")
        try:
            if _first_write(root, before, process):
                time.sleep(delay)
                process.send_signal(signal.SIGKILL)
        finally:
            process.wait(timeout=60)
            assert process.stderr is not None
            process.stderr.close()
        now = snapshot(root)
        assert set(now) == set(original)
        for name, data in now.items():
            assert data in (original[name], fixed[name]), f"{name} is neither old nor new"
        new = sum(now[name] == fixed[name] != original[name] for name in now)
        mixed += 0 < new < FILES
        # Nothing but fastlint's own temporary files is left beside them.
        strays = [
            p.name
            for p in root.rglob("*")
            if p.is_file() and ".fastlint_cache" not in p.parts and p.suffix != ".py"
        ]
        assert all(n == "pyproject.toml" or n.startswith(".fastlint-") for n in strays), strays
    assert mixed, "no run was killed while it was writing"

    finished = run(root, "check", "--fix", "-q")
    assert finished.returncode == 0, finished.stderr
    assert snapshot(root) == fixed
    after = run(root, "check", "--output-format", "json")
    cold = run(reference, "check", "--output-format", "json", "--no-cache")
    assert after.stdout == cold.stdout
    assert after.returncode == cold.returncode


def test_two_fix_runs_at_once(tmp_path: Path) -> None:
    """Two processes fixing the same tree: every file ends fixed once, never twice or torn;
    a file the other process rewrote first is left alone with a message."""
    root = tmp_path / "tree"
    root.mkdir()
    original = _tree(root)
    reference = tmp_path / "reference"
    shutil.copytree(root, reference)
    run(reference, "check", "--fix", "-q")
    fixed = snapshot(reference)
    processes = [start(root, "check", "--fix", "-q") for _ in range(2)]
    errors = []
    for process in processes:
        _, err = process.communicate(timeout=300)
        text = err.decode("utf-8", errors="replace")
        assert "Traceback" not in text and "internal error" not in text
        assert process.returncode in (0, 2)
        errors.extend(text.splitlines())
    assert snapshot(root) == fixed
    assert set(original) == set(fixed)
    for line in errors:
        assert line.endswith("changed while fastlint was fixing it, left alone"), line
    assert run(root, "check", "-q").returncode == 0


@pytest.mark.parametrize("damage", [b"", b"garbage", b"FLTCACHE1\n" + b"\x00" * 64])
def test_a_damaged_cache_is_rebuilt_by_the_command_line(tmp_path: Path, damage: bytes) -> None:
    root = project(tmp_path, {"app.py": route(1), "other.py": route(2)})
    cold = run(root, "check", "--output-format", "json", "--no-cache")
    run(root, "check")
    cache = root / ".fastlint_cache"
    entries = [p for p in cache.rglob("*") if p.is_file() and p.name not in (".gitignore",)]
    assert entries
    for entry in entries:
        entry.write_bytes(damage)
    warm = run(root, "check", "--output-format", "json")
    assert warm.stdout == cold.stdout
    assert warm.stderr == cold.stderr
    assert warm.returncode == cold.returncode == 1
