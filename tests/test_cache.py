"""The persistent cache: hits give what a cold run gives; changes invalidate exactly what
they should; damaged entries are ignored and rebuilt; two processes can share it."""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import flake8_findings, run_cli

import fastlint.cache as cache_module
import fastlint.parallel as parallel
from fastlint.cache import CACHE_DIR, Cache, code_fingerprint
from fastlint.config import Config, load_config
from fastlint.engine import check, index_paths, project_findings

MAIN = """\
from fastapi import FastAPI

from app.services import fetch

app = FastAPI()


@app.get("/")
async def root():
    return fetch()
"""

SERVICES = """\
import requests


def fetch():
    return requests.get("https://example.com", timeout=5)
"""

OTHER = """\
def unrelated():
    return 1
"""


def _project(root: Path) -> Path:
    (root / "app").mkdir(parents=True)
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "main.py").write_text(MAIN)
    (root / "app" / "services.py").write_text(SERVICES)
    (root / "app" / "other.py").write_text(OTHER)
    (root / "pyproject.toml").write_text("[tool.fastlint]\n")
    _age(root)
    return root


def _age(root: Path) -> None:
    """Date the files back, as files are between two runs (a file written within the
    same clock tick as its hashing is always hashed again)."""
    past = time.time() - 60
    for path in root.rglob("*.py"):
        os.utime(path, (past, past))


def _config(root: Path, **changes: object) -> Config:
    return dataclasses.replace(load_config([str(root)]), jobs=1, **changes)


class _Counter:
    """Counts the files the index phase parses."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.paths: list[str] = []
        original = parallel.summarise

        def counting(path: str, source: bytes, module_name: object = None) -> object:
            self.paths.append(os.path.basename(path))
            return original(path, source, module_name)  # type: ignore[arg-type]

        monkeypatch.setattr(parallel, "summarise", counting)

    def take(self) -> list[str]:
        out, self.paths = sorted(self.paths), []
        return out


@pytest.fixture
def counter(monkeypatch: pytest.MonkeyPatch) -> _Counter:
    return _Counter(monkeypatch)


def _findings(root: Path, **changes: object) -> list[tuple[str, int, int, str]]:
    result = check([str(root)], _config(root, **changes))
    return [(f.path, f.span.line, f.span.column, f.code) for f in result.findings]


def test_cache_folder_has_a_gitignore(tmp_path: Path) -> None:
    root = _project(tmp_path)
    _findings(root)
    assert (root / CACHE_DIR / ".gitignore").read_text().splitlines()[-1] == "*"
    assert (root / CACHE_DIR / "CACHEDIR.TAG").exists()


def test_warm_run_parses_nothing_and_finds_the_same(tmp_path: Path, counter: _Counter) -> None:
    root = _project(tmp_path)
    cold = _findings(root, use_cache=False)
    assert cold and len(counter.take()) == 4
    first = _findings(root)
    assert first == cold and len(counter.take()) == 4
    assert _findings(root) == cold
    assert counter.take() == []


def test_summaries_from_the_cache_equal_fresh_ones(tmp_path: Path, counter: _Counter) -> None:
    root = _project(tmp_path)
    paths = sorted(str(p) for p in root.rglob("*.py"))
    cache = Cache.for_config(_config(root))
    fresh, _ = index_paths(paths, jobs=1)
    stored, _ = index_paths(paths, jobs=1, cache=cache)
    counter.take()
    loaded, _ = index_paths(paths, jobs=1, cache=Cache.for_config(_config(root)))
    assert counter.take() == []
    assert loaded == stored == fresh


def test_editing_one_file_reindexes_that_file_only(tmp_path: Path, counter: _Counter) -> None:
    root = _project(tmp_path)
    _findings(root)
    counter.take()
    (root / "app" / "services.py").write_text(SERVICES.replace(", timeout=5", ""))
    after = _findings(root)
    assert counter.take() == ["services.py"]
    assert after == _findings(root, use_cache=False)  # relinked with the new summary


def test_same_size_edit_within_the_same_second_is_seen(tmp_path: Path, counter: _Counter) -> None:
    root = _project(tmp_path)
    (root / "app" / "other.py").write_text(OTHER)  # fresh: not trusted by its stat
    _findings(root)
    counter.take()
    target = root / "app" / "other.py"
    stat = target.stat()
    target.write_text(OTHER.replace("1", "2"))  # same size
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # and the same mtime
    _findings(root)
    assert counter.take() == ["other.py"]


def test_touching_a_file_without_changing_it_parses_nothing(
    tmp_path: Path, counter: _Counter
) -> None:
    root = _project(tmp_path)
    _findings(root)
    counter.take()
    os.utime(root / "app" / "other.py")
    _findings(root)
    assert counter.take() == []


def test_rule_selection_reuses_the_summaries(tmp_path: Path, counter: _Counter) -> None:
    root = _project(tmp_path)
    _findings(root)
    counter.take()
    config = dataclasses.replace(_config(root), ignore=("FLT1",))
    check([str(root)], config)
    assert counter.take() == []  # the link and the rules ran again; nothing was parsed


def test_settings_the_index_reads_invalidate_every_summary(
    tmp_path: Path, counter: _Counter, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _project(tmp_path)
    _findings(root)
    counter.take()
    # No setting changes how files are summarised today; were per-file-ignores one, then
    # changing it would re-index every file, and only that would.
    monkeypatch.setattr(cache_module, "INDEXING_FIELDS", ("per_file_ignores",))
    _findings(root)
    assert len(counter.take()) == 4  # the keys now hold the setting
    _findings(root)
    assert counter.take() == []
    (root / "pyproject.toml").write_text(
        '[tool.fastlint]\nper-file-ignores = { "x.py" = ["FLT1"] }\n'
    )
    _findings(root)
    assert len(counter.take()) == 4
    _findings(root)
    assert counter.take() == []


def test_config_outside_the_index_does_not_reindex(tmp_path: Path, counter: _Counter) -> None:
    root = _project(tmp_path)
    _findings(root)
    counter.take()
    (root / "pyproject.toml").write_text(
        '[tool.fastlint]\nper-file-ignores = { "x.py" = ["FLT1"] }\n'
    )
    _findings(root)
    assert counter.take() == []


def test_a_new_fastlint_version_invalidates_everything(
    tmp_path: Path, counter: _Counter, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _project(tmp_path)
    cold = _findings(root)
    counter.take()
    monkeypatch.setattr(cache_module, "__version__", "999.0.0")
    code_fingerprint.cache_clear()
    try:
        assert _findings(root) == cold
        assert len(counter.take()) == 4
    finally:
        monkeypatch.undo()
        code_fingerprint.cache_clear()


def test_the_fingerprint_covers_the_index_code(tmp_path: Path) -> None:
    assert code_fingerprint("index") != code_fingerprint("all")
    sources = cache_module._package_sources("index")
    names = {os.path.relpath(p, os.path.dirname(cache_module.__file__)) for p in sources}
    assert os.path.join("index", "indexer.py") in names
    assert "findings.py" in names
    assert not any(n.startswith("rules") for n in names)


@pytest.mark.parametrize("damage", ["truncate", "garbage", "flip", "empty"])
def test_a_damaged_entry_is_ignored_and_rebuilt(
    tmp_path: Path, counter: _Counter, damage: str
) -> None:
    root = _project(tmp_path)
    cold = _findings(root)
    counter.take()
    entries = [p for sub in ("summaries", "results") for p in (root / CACHE_DIR / sub).iterdir()]
    assert entries
    for entry in entries:
        data = entry.read_bytes()
        if damage == "truncate":
            entry.write_bytes(data[: len(data) // 2])
        elif damage == "garbage":
            entry.write_bytes(b"not a pickle at all")
        elif damage == "flip":
            entry.write_bytes(data[:-1] + bytes([data[-1] ^ 0xFF]))
        else:
            entry.write_bytes(b"")
    assert _findings(root) == cold
    assert len(counter.take()) == 4
    assert _findings(root) == cold
    assert counter.take() == []


def test_a_damaged_manifest_is_ignored(tmp_path: Path, counter: _Counter) -> None:
    root = _project(tmp_path)
    cold = _findings(root)
    counter.take()
    (root / CACHE_DIR / "files.pickle").write_bytes(b"\x80\x05garbage")
    assert _findings(root) == cold
    assert counter.take() == []  # hashes recomputed, summaries still found by content


def test_no_cache_neither_reads_nor_writes(tmp_path: Path) -> None:
    root = _project(tmp_path)
    result = run_cli("check", ".", "--no-cache", cwd=root)
    assert result.returncode in (0, 1), result.stderr
    assert not (root / CACHE_DIR).exists()


def test_clean_removes_the_cache(tmp_path: Path) -> None:
    root = _project(tmp_path)
    assert run_cli("check", ".", cwd=root).returncode in (0, 1)
    assert (root / CACHE_DIR).is_dir()
    result = run_cli("clean", cwd=root)
    assert result.returncode == 0 and "Removed" in result.stderr
    assert not (root / CACHE_DIR).exists()
    assert "No cache" in run_cli("clean", cwd=root).stderr


def test_cli_warm_output_equals_cold_output(tmp_path: Path) -> None:
    root = _project(tmp_path)
    cold = run_cli("check", ".", "--no-cache", "--output-format", "json", cwd=root)
    first = run_cli("check", ".", "--output-format", "json", cwd=root)
    warm = run_cli("check", ".", "--output-format", "json", cwd=root)
    assert cold.stdout == first.stdout == warm.stdout
    assert cold.returncode == first.returncode == warm.returncode


def test_an_unwritable_cache_only_costs_time(tmp_path: Path) -> None:
    root = _project(tmp_path)
    (root / CACHE_DIR).write_text("a file where the folder should be")
    assert _findings(root) == _findings(root, use_cache=False)


def test_two_processes_fill_the_cache_at_once(tmp_path: Path) -> None:
    root = _project(tmp_path)
    for n in range(30):
        (root / "app" / f"extra_{n}.py").write_text(SERVICES.replace("fetch", f"fetch_{n}"))
    _age(root)
    command = [
        sys.executable,
        "-m",
        "fastlint",
        "check",
        ".",
        "--jobs",
        "1",
        "--output-format",
        "json",
    ]
    env = {**os.environ, "NO_COLOR": "1"}
    runs = [subprocess.Popen(command, cwd=root, stdout=subprocess.PIPE, env=env) for _ in range(2)]
    outputs = [run.communicate()[0] for run in runs]
    cold = run_cli("check", ".", "--no-cache", "--output-format", "json", cwd=root).stdout
    assert outputs[0].decode() == outputs[1].decode() == cold
    assert not list((root / CACHE_DIR / "claims").iterdir())  # every claim released
    assert not [p for p in (root / CACHE_DIR / "summaries").iterdir() if p.name.startswith(".tmp")]


def test_a_stale_claim_is_taken_over(tmp_path: Path, counter: _Counter) -> None:
    root = _project(tmp_path)
    config = _config(root)
    cache = Cache.for_config(config)
    cache.prepare()
    state = cache.file_states([str(root / "app" / "other.py")])[0]
    assert state.digest is not None
    key = cache.summary_key(state.path, "app.other", state.digest)
    (root / CACHE_DIR / "claims" / key).write_text("999999999")  # a process that is gone
    assert project_findings(config).problems == ()
    assert "other.py" in counter.take()


def test_flake8_shares_the_cache(tmp_path: Path, counter: _Counter) -> None:
    root = _project(tmp_path)
    for n in range(12):
        (root / "app" / f"extra_{n}.py").write_text(SERVICES.replace("fetch", f"fetch_{n}"))
    _age(root)
    cold = set(_findings(root, use_cache=False))
    assert cold
    counter.take()
    shutil.rmtree(root / CACHE_DIR, ignore_errors=True)
    # flake8's worker processes index the project between them and store it...
    expected = {
        (
            Path(os.path.relpath(os.path.join(os.getcwd(), path), root)).as_posix(),
            line,
            col + 1,
            code,
        )
        for path, line, col, code in cold
    }
    assert flake8_findings(root, "--jobs", "2") == expected
    assert not list((root / CACHE_DIR / "claims").iterdir())
    # ...and the command line then finds everything in the cache.
    assert set(_findings(root)) == cold
    assert counter.take() == []


def test_a_record_must_be_rebuildable_from_its_fields_in_order() -> None:
    """Cached records are rebuilt by calling the class with every field, positionally: a
    field ``__init__`` does not take that way is refused when the class is made."""
    from fastlint.findings import record

    @dataclasses.dataclass(unsafe_hash=True)
    class Derived:
        a: int
        b: int = dataclasses.field(default=0, init=False)

    with pytest.raises(TypeError, match="Derived"):
        record(Derived)
