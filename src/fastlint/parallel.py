"""The index phase over many files: cache look-ups first, then a process pool for the rest.

Results come back in the order of the requests whatever the pool's schedule, so a parallel
run and a serial one give the same summaries in the same order.
"""

from __future__ import annotations

import functools
import gc
import itertools
import multiprocessing
import os
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Callable, Optional, Union, cast

from fastlint.cache import Cache, decode_entry, encode_entry, gc_paused
from fastlint.index import index_source, module_name_for
from fastlint.index.summary import ModuleSummary
from fastlint.noqa import read_suppressions

# Below these, starting worker processes costs more than it saves.
MIN_FILES_FOR_POOL = 8
MIN_BYTES_FOR_POOL = 128 * 1024  # about a quarter of a second of parsing
# Left to its thresholds, the collector runs hundreds of times per file, scanning the tree
# being built. A tree is freed by reference counting once the indexer lets go of it (see
# indexer.build_summary), so while indexing the collector is off, and what few cycles a
# file leaves are collected once, right after the file.
# A file this large leaves a tree worth handing its memory back for (see _give_back_memory).
_TRIM_AFTER_BYTES = 16 * 1024
_FULL_COLLECTION_EVERY = 64  # files, in a worker: for cycles that outlived their file
_CLAIM_POLL_SECONDS = 0.01
SETTLE_MIN_FILES = 200

IndexResult = Union[ModuleSummary, OSError]


@dataclass(frozen=True)
class IndexRequest:
    path: str
    module_name: Optional[str] = None  # None: as the ``__init__.py`` files above it say


@dataclass(frozen=True)
class _Task:
    index: int
    path: str
    module_name: Optional[str]
    source: Optional[bytes]  # None: the worker reads the file
    key: Optional[str]  # the cache key, when there is a cache
    size: int


def available_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


# --- cheap early exit -------------------------------------------------------------------

_CODING = re.compile(rb"^[ \t\f]*#.*?coding[:=]", re.MULTILINE)


def _only_comments(source: bytes) -> bool:
    """A file of blank lines and comments: nothing in it can bind, define or call."""
    if b"\0" in source or source.startswith(b"\xef\xbb\xbf"):
        return False
    for line in source.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith(b"#"):
            return False
    head = b"\n".join(source.splitlines()[:2])
    if _CODING.search(head):  # an encoding the parser must check
        return False
    try:
        source.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def summarise(path: str, source: bytes, module_name: Optional[str] = None) -> ModuleSummary:
    """``index_source``, without parsing a file that holds only comments.

    The link phase reads a file's imports, definitions, bindings and calls; a file of
    comments has none, and cannot fail to parse once it decodes. Its summary is empty but
    for its ``# noqa`` comments, exactly as the parser would make it.
    """
    if _only_comments(source):
        default_name, is_package = module_name_for(path)
        text = source.decode("utf-8")
        return ModuleSummary(
            path=path,
            module=module_name or default_name,
            is_package=is_package,
            imports=(),
            functions=(),
            classes=(),
            bindings=(),
            module_calls=(),
            module_mutations=(),
            noqa=read_suppressions(text) if "noqa" in text.lower() else (),
        )
    return index_source(path, source, module_name)


# --- the work of one file -----------------------------------------------------------------


def _read_source(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def _index_one(task: _Task, cache: Optional[Cache]) -> IndexResult:
    """Index one file and store its summary in the cache."""
    try:
        source = task.source if task.source is not None else _read_source(task.path)
    except OSError as error:
        return error
    summary = summarise(task.path, source, task.module_name)
    if cache is not None and task.key is not None:
        cache.store(cache.summary_path(task.key), summary)
    # The young generations only: this file's tree, not the summaries made before it.
    gc.collect(1)
    return summary


_worker_cache: Optional[Cache] = None


_worker_files = itertools.count(1)


def _worker_init(cache: Optional[Cache]) -> None:
    global _worker_cache
    _worker_cache = cache
    gc.freeze()  # what the worker inherited is never garbage: do not scan it again
    gc.disable()


def _worker_task(task: _Task) -> tuple[int, Union[bytes, OSError]]:
    """In a worker: index one file; the summary travels back encoded, as it is stored."""
    try:
        source = task.source if task.source is not None else _read_source(task.path)
    except OSError as error:
        return task.index, error
    data = encode_entry(summarise(task.path, source, task.module_name))
    if _worker_cache is not None and task.key is not None:
        _worker_cache.store_encoded(_worker_cache.summary_path(task.key), data)
    gc.collect(2 if next(_worker_files) % _FULL_COLLECTION_EVERY == 0 else 1)
    if len(source) >= _TRIM_AFTER_BYTES:
        _give_back_memory()
    return task.index, data


@functools.cache
def _malloc_trim() -> Optional[Callable[[int], int]]:
    """glibc's ``malloc_trim``, looked up once in the worker that first needs it (ctypes is
    not imported by runs that index nothing)."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        return cast("Callable[[int], int]", ctypes.CDLL("libc.so.6").malloc_trim)
    except (OSError, AttributeError):  # not glibc
        return None


def _give_back_memory() -> None:
    """Return the memory a freed parse tree leaves in the C heap to the system. glibc keeps
    it otherwise, and a worker would stay the size of the largest tree it has parsed for
    the rest of the run, while the main process gathers every summary."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def _decode(data: bytes) -> ModuleSummary:
    summary = decode_entry(data)
    assert isinstance(summary, ModuleSummary)
    return summary


# --- scheduling ---------------------------------------------------------------------------


def _pool_context() -> multiprocessing.context.BaseContext:
    # fork starts a worker in milliseconds, with libcst already imported.
    if sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


def _can_start_processes() -> bool:
    # A daemonic process (a flake8 worker) may not have children.
    return not multiprocessing.current_process().daemon


def _index_in_pool(
    tasks: Sequence[_Task], jobs: int, cache: Optional[Cache], results: list[Optional[IndexResult]]
) -> None:
    ordered = sorted(tasks, key=lambda t: -t.size)  # longest first: the pool ends together
    pool = _pool_context().Pool(jobs, initializer=_worker_init, initargs=(cache,))
    with pool, gc_paused():
        for index, outcome in pool.imap_unordered(_worker_task, ordered, chunksize=1):
            results[index] = outcome if isinstance(outcome, OSError) else _decode(outcome)


def _index_serially(
    tasks: Sequence[_Task], cache: Optional[Cache], results: list[Optional[IndexResult]]
) -> None:
    """Index in this process. With a cache, each file is claimed first, so that processes
    sharing the cache (flake8's workers) share the work instead of repeating it."""
    deferred: list[_Task] = []
    for task in tasks:
        if cache is not None and task.key is not None:
            if not cache.claim(task.key):
                deferred.append(task)
                continue
            try:
                _index_claimed(task, cache, results)
            finally:
                cache.release(task.key)
        else:
            results[task.index] = _index_one(task, None)
    for task in deferred:
        assert cache is not None and task.key is not None
        entry = cache.summary_path(task.key)
        while cache.is_claimed(task.key) and not os.path.exists(entry):
            time.sleep(_CLAIM_POLL_SECONDS)
        summary = cache.load(entry)
        if _fits(summary, task):
            results[task.index] = summary
        else:  # the other process gave up: do it here
            results[task.index] = _index_one(task, cache)


def _index_claimed(task: _Task, cache: Cache, results: list[Optional[IndexResult]]) -> None:
    assert task.key is not None
    summary = cache.load(cache.summary_path(task.key))  # finished while we were busy?
    if _fits(summary, task):
        results[task.index] = summary
        return
    results[task.index] = _index_one(task, cache)


def _fits(summary: object, task: _Task) -> bool:
    if not isinstance(summary, ModuleSummary) or summary.path != task.path:
        return False
    return task.module_name is None or summary.module == task.module_name


def index_many(
    requests: Sequence[IndexRequest], *, jobs: Optional[int] = None, cache: Optional[Cache] = None
) -> list[IndexResult]:
    """The summary of each requested file (or the OSError that stopped its reading), in
    the order of the requests. ``jobs``: processes to use (None: every core; 1: this one)."""
    results: list[Optional[IndexResult]] = [None] * len(requests)
    tasks: list[_Task] = []
    hits: list[tuple[int, str, str]] = []  # (request, entry path, module name)
    if cache is not None:
        states = cache.file_states([r.path for r in requests])
        for i, (request, state) in enumerate(zip(requests, states)):
            if state.digest is None:
                results[i] = state.error or OSError(f"cannot read {request.path}")
                continue
            module = request.module_name or module_name_for(request.path)[0]
            key = cache.summary_key(request.path, module, state.digest)
            entry = cache.summary_path(key)
            if os.path.exists(entry):
                hits.append((i, entry, module))
            else:
                size = len(state.source) if state.source is not None else _size(request.path)
                tasks.append(_Task(i, request.path, module, state.source, key, size))
        cache.save_manifest()
    else:
        for i, request in enumerate(requests):
            size = _size(request.path)
            tasks.append(_Task(i, request.path, request.module_name, None, None, size))
    # The misses first: indexing collects after each file, and that collection would
    # otherwise scan every summary loaded from the cache, over and over.
    _index_tasks(tasks, jobs, cache, results)
    if hits:
        assert cache is not None
        damaged: list[_Task] = []
        with gc_paused():
            for i, entry, module in hits:
                summary = cache.load(entry)
                task = _Task(i, requests[i].path, module, None, os.path.basename(entry), 0)
                if _fits(summary, task):
                    results[i] = summary
                else:  # damaged or foreign: rebuild it
                    damaged.append(task)
        _index_tasks(damaged, 1, cache, results)
    settle(len(requests))
    assert all(r is not None for r in results)
    return results  # type: ignore[return-value]


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def settle(files: int) -> None:
    """Exempt the objects alive now (the summaries) from the collector's future scans.

    A large project's summaries are millions of objects that live as long as the run; each
    collection would scan them again, and the one at interpreter exit costs a second. Frozen
    objects are still freed when unreferenced. Small projects (and test suites that run
    fastlint many times in one process) are left alone.
    """
    if files >= SETTLE_MIN_FILES:
        gc.freeze()


def _index_tasks(
    tasks: Sequence[_Task],
    jobs: Optional[int],
    cache: Optional[Cache],
    results: list[Optional[IndexResult]],
) -> None:
    if not tasks:
        return
    workers = min(jobs or available_cores(), len(tasks))
    worth_a_pool = (
        len(tasks) >= MIN_FILES_FOR_POOL and sum(t.size for t in tasks) >= MIN_BYTES_FOR_POOL
    )
    if workers > 1 and worth_a_pool and _can_start_processes():
        _index_in_pool(tasks, workers, cache, results)
        return
    with gc_paused():  # each file is collected after it instead
        _index_serially(tasks, cache, results)
