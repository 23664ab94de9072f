"""Benchmark fastlint against flake8-async, ruff and a bare libcst parse of the same files.

    python bench/run.py CORPUS [--repeat 3] [--jobs N] [--lines N] [--scale 160000,330000]

CORPUS is a folder of real code (bench/README.md says how to fetch one). The Python files
fastlint would check there are copied to a scratch folder, so that the cache and the
"touched" file never change the corpus, and every tool is run on that copy, interleaved,
``--repeat`` times. It prints the median wall time, lines per second and peak memory (the
resident memory of all the processes of a run, summed, sampled every 10 ms) of each, and
the ratios the targets are stated in.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Callable, Optional

HERE = os.path.dirname(os.path.abspath(__file__))


# --- what a run costs -----------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                out.extend(int(child) for child in handle.read().split())
        except OSError:
            continue
    return out


def _rss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _tree_rss(pid: int) -> int:
    total, stack, seen = 0, [pid], set()
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        total += _rss_bytes(current)
        stack.extend(_children(current))
    return total


@dataclass
class Measurement:
    seconds: float
    cpu_seconds: float  # user + system, of the process and the children it waited for
    peak_bytes: int
    returncode: int


def measure(command: Sequence[str], cwd: str, env: Optional[dict[str, str]] = None) -> Measurement:
    """Run a command; its wall time and the peak of the summed RSS of its process tree."""
    peak = 0
    done = threading.Event()
    start = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss(process.pid))
            done.wait(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
    process.returncode = os.waitstatus_to_exitcode(status)
    # ru_maxrss (KiB on Linux) is the largest single process: a floor for the sum.
    peak = max(peak, usage.ru_maxrss * 1024)
    if process.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n{stderr[-2000:]}")
    cpu = usage.ru_utime + usage.ru_stime
    return Measurement(seconds, cpu, peak, process.returncode)


# --- the corpus copy ------------------------------------------------------------------------


def _count_lines(path: str) -> int:
    with open(path, "rb") as handle:
        return handle.read().count(b"\n")


def corpus_files(corpus: str) -> list[str]:
    """The files fastlint checks under ``corpus``, by fastlint's own discovery."""
    from fastlint.config import Config
    from fastlint.discovery import discover

    return list(discover([corpus], Config(root=os.path.abspath(corpus))).files)


@dataclass
class Tree:
    root: str
    files: list[str]
    lines: int
    parts: dict[str, tuple[int, int]] = field(default_factory=dict)  # top folder -> files, lines


def _named(spec: str) -> tuple[str, str]:
    """``NAME=PATH`` or ``PATH`` (named by its last folder)."""
    name, sep, path = spec.partition("=")
    if not sep:
        path = spec
        name = os.path.basename(os.path.normpath(spec))
    return name, os.path.abspath(path)


def make_tree(corpus: Sequence[str], destination: str, max_lines: Optional[int]) -> Tree:
    """Copy the Python files of each code base (``NAME=PATH``) to ``destination/NAME``: the
    first ``max_lines`` lines' worth, whole files, code bases in the order given."""
    tree = Tree(destination, [], 0)
    for name, path in map(_named, corpus):
        sources = corpus_files(path) if os.path.isdir(path) else []
        if not sources:  # a mistyped folder would silently shrink the corpus
            raise SystemExit(f"bench: {path}: no Python files to check (not a folder?)")
        for source in sources:
            if max_lines is not None and tree.lines >= max_lines:
                break
            lines = _count_lines(source)
            target = os.path.join(destination, name, os.path.relpath(source, path))
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.copyfile(source, target)
            tree.files.append(target)
            tree.lines += lines
            files, counted = tree.parts.get(name, (0, 0))
            tree.parts[name] = (files + 1, counted + lines)
    # Date the copies back, as a checkout's files are between two runs.
    past = time.time() - 3600
    for path in tree.files:
        os.utime(path, (past, past))
    return tree


# --- the tools ------------------------------------------------------------------------------


@dataclass
class Tool:
    name: str
    command: list[str]
    before: Optional[Callable[[], None]] = None  # untimed, before each run


def tools(tree: Tree, jobs: int, only: Optional[set[str]]) -> list[Tool]:
    python = sys.executable
    # Every rule family on, the opt-in ones too.
    fastlint = [python, "-m", "fastlint", "check", ".", "--select", "FLT", "--exit-zero", "-q"]
    fastlint += ["--jobs", str(jobs)]
    touched = os.path.join(tree.root, _touch_target(tree))
    counter = [0]

    def touch() -> None:
        counter[0] += 1
        with open(touched, "a") as handle:
            handle.write(f"# touched by the benchmark, run {counter[0]}\n")

    parse_list = os.path.join(os.path.dirname(tree.root), "files.txt")
    with open(parse_list, "w") as handle:
        handle.write("\n".join(tree.files))
    floor = [python, os.path.join(HERE, "run.py"), "--parse-floor", parse_list, "--jobs"]
    ruff = ["ruff", "check", ".", "--no-cache", "--isolated", "--exit-zero", "-q"]
    every = [
        Tool("fastlint cold", [*fastlint, "--no-cache"]),
        Tool("fastlint warm", fastlint),
        Tool("fastlint 1 file touched", fastlint, touch),
        Tool(
            "flake8 --select ASYNC",
            [
                python,
                os.path.join(HERE, "run.py"),
                "--flake8",
                "--select",
                "ASYNC",
                "--jobs",
                str(jobs),
                "--exit-zero",
                ".",
            ],
        ),
        Tool("ruff --select ASYNC", [*ruff, "--select", "ASYNC"]),
        Tool("ruff --select ALL", [*ruff, "--select", "ALL"]),
        Tool("libcst parse, 1 process", [*floor, "1"]),
        Tool(f"libcst parse, {jobs} processes", [*floor, str(jobs)]),
    ]
    return [t for t in every if only is None or any(o in t.name for o in only)]


def _touch_target(tree: Tree) -> str:
    """A mid-sized module: the file a developer just edited."""
    sized = sorted((os.path.getsize(p), p) for p in tree.files if not p.endswith("__init__.py"))
    return os.path.relpath(sized[len(sized) // 2][1], tree.root)


def run_tools(
    tree: Tree, selected: list[Tool], repeat: int, slow_repeat: Optional[int] = None
) -> dict[str, list[Measurement]]:
    env = {**os.environ, "NO_COLOR": "1"}
    results: dict[str, list[Measurement]] = {t.name: [] for t in selected}
    if any(t.name.startswith("fastlint warm") or "touched" in t.name for t in selected):
        warm = next(t for t in selected if t.name.startswith("fastlint"))
        measure([c for c in warm.command if c != "--no-cache"], tree.root, env)  # fill the cache
    for round_ in range(repeat):
        for tool in selected:
            if tool.name.startswith("flake8") and slow_repeat is not None and round_ >= slow_repeat:
                continue
            if tool.before is not None:
                tool.before()
            result = measure(tool.command, tree.root, env)
            results[tool.name].append(result)
            print(
                f"  round {round_ + 1}: {tool.name:<28} {result.seconds:8.2f} s"
                f" {result.cpu_seconds:8.2f} s CPU {result.peak_bytes / 2**20:7.0f} MB",
                file=sys.stderr,
                flush=True,
            )
    return results


# --- reporting ------------------------------------------------------------------------------


def _median(values: Sequence[Measurement]) -> float:
    return statistics.median(v.seconds for v in values)


def _median_cpu(values: Sequence[Measurement]) -> float:
    return statistics.median(v.cpu_seconds for v in values)


def _peak(values: Sequence[Measurement]) -> float:
    return max(v.peak_bytes for v in values) / 2**20


def print_table(tree: Tree, results: dict[str, list[Measurement]]) -> None:
    print(f"\n{tree.lines:,} lines in {len(tree.files):,} files; medians\n")
    print(
        f"| {'run':<30} | {'runs':>4} | {'wall s':>8} | {'min s':>7} | {'CPU s':>7} |"
        f" {'lines/s':>9} | {'peak MB':>7} |"
    )
    print(f"|{'-' * 32}|{'-' * 6}|{'-' * 10}|{'-' * 9}|{'-' * 9}|{'-' * 11}|{'-' * 9}|")
    for name, values in results.items():
        median = _median(values)
        print(
            f"| {name:<30} | {len(values):4} | {median:8.2f} |"
            f" {min(v.seconds for v in values):7.2f} | {_median_cpu(values):7.2f} |"
            f" {tree.lines / median:9,.0f} | {_peak(values):7.0f} |"
        )


def print_ratios(results: dict[str, list[Measurement]], jobs: int) -> None:
    def ratio(a: str, b: str, target: float, label: str) -> None:
        if a in results and b in results:
            wall = _median(results[a]) / _median(results[b])
            cpu = _median_cpu(results[a]) / _median_cpu(results[b])
            verdict = "ok" if wall <= target else "MISSED"
            print(f"| {label:<42} | {wall:7.3f} | {cpu:7.3f} | <= {target:<5} | {verdict:<6} |")

    # The targets are stated in wall time; CPU time gives the same ratio with the machine's
    # other load taken out (it counts the work done, not the waiting for a core).
    print(f"\n| {'ratio (medians)':<42} | {'wall':>7} | {'CPU':>7} | {'target':<8} | {'':<6} |")
    print(f"|{'-' * 44}|{'-' * 9}|{'-' * 9}|{'-' * 10}|{'-' * 8}|")
    ratio("fastlint cold", "flake8 --select ASYNC", 0.08, "fastlint cold / flake8-async")
    ratio(
        "fastlint cold",
        f"libcst parse, {jobs} processes",
        2.0,
        "fastlint cold / libcst parse floor",
    )
    ratio("fastlint warm", "ruff --select ALL", 1.0, "fastlint warm / ruff ALL (cold)")
    ratio("fastlint 1 file touched", "ruff --select ALL", 1.5, "fastlint touched / ruff ALL (cold)")


def describe_environment(corpus: Sequence[str], jobs: int) -> None:
    from importlib.metadata import PackageNotFoundError, version

    def v(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:
            return "not installed"

    import fastlint

    commit = ""
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        commit = subprocess.run(
            ["git", "-C", os.path.dirname(fastlint.__file__), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    print("corpus: " + ", ".join(f"{name} ({path})" for name, path in map(_named, corpus)))
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, --jobs {jobs};"
        f" Python {platform.python_version()}"
    )
    print(
        f"fastlint {fastlint.__version__} {commit} ({os.path.dirname(fastlint.__file__)}),"
        f" libcst {v('libcst')}, flake8 {v('flake8')}, flake8-async {v('flake8-async')},"
        f" ruff {v('ruff')}"
    )


# --- helpers run as their own process ---------------------------------------------------


def _parse_one(path: str) -> int:
    import libcst

    with open(path, "rb") as handle:
        source = handle.read()
    try:
        libcst.parse_module(source)
    except Exception:
        return 0
    return 1


def parse_floor(list_file: str, jobs: int) -> None:
    """The floor: libcst.parse_module of every file, in ``jobs`` processes, nothing else."""
    import multiprocessing

    import libcst  # noqa: F401  (imported before the fork, as fastlint does)

    with open(list_file) as handle:
        paths = handle.read().split("\n")
    if jobs == 1:
        for path in paths:
            _parse_one(path)
        return
    sized = sorted(paths, key=lambda p: -os.path.getsize(p))
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        for _ in pool.imap_unordered(_parse_one, sized, chunksize=1):
            pass


def flake8_without_fastlint(argv: list[str]) -> int:
    """flake8 with every installed plugin but fastlint's, which would otherwise run too
    (flake8 runs every plugin and filters the codes afterwards)."""
    from flake8.main.cli import main
    from flake8.plugins import finder

    original = finder._find_importlib_plugins

    def without_fastlint():  # type: ignore[no-untyped-def]
        for plugin in original():
            if not plugin.entry_point.value.startswith("fastlint."):
                yield plugin

    finder._find_importlib_plugins = without_fastlint  # type: ignore[assignment]
    return main(argv)


# --- main -------------------------------------------------------------------------------------


def main(argv: Optional[list[str]] = None) -> int:
    args_in = sys.argv[1:] if argv is None else argv
    if args_in[:1] == ["--parse-floor"]:
        parse_floor(args_in[1], int(args_in[3]))
        return 0
    if args_in[:1] == ["--flake8"]:
        return flake8_without_fastlint(args_in[1:])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "corpus",
        nargs="+",
        help="code bases, each PATH or NAME=PATH (see bench/README.md)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs of each tool (default 3)")
    parser.add_argument(
        "--flake8-repeat", type=int, help="runs of flake8, which takes minutes (default: --repeat)"
    )
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="default: cores")
    parser.add_argument("--lines", type=int, help="use only the first N lines' worth of files")
    parser.add_argument(
        "--only", help="comma-separated parts of tool names to run, e.g. 'fastlint,ruff'"
    )
    parser.add_argument(
        "--scale",
        help="comma-separated line counts: run fastlint cold and warm and the parse floor"
        " at each size, to show how time and memory grow",
    )
    parser.add_argument("--scale-only", action="store_true", help="skip the main table")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    args = parser.parse_args(args_in)
    only = set(args.only.split(",")) if args.only else None
    describe_environment(args.corpus, args.jobs)
    scratch = tempfile.mkdtemp(prefix="fastlint-bench-")
    try:
        tree = make_tree(args.corpus, os.path.join(scratch, "main", "tree"), args.lines)
        print("code bases:")
        for top, (files, lines) in sorted(tree.parts.items()):
            print(f"  {top:<40} {files:6,} files {lines:9,} lines")
        if not args.scale_only:
            selected = tools(tree, args.jobs, only)
            results = run_tools(tree, selected, args.repeat, args.flake8_repeat)
            print_table(tree, results)
            print_ratios(results, args.jobs)
        if args.scale:
            scale(args, scratch)
    finally:
        if args.keep:
            print(f"scratch folder kept: {scratch}", file=sys.stderr)
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    return 0


def scale(args: argparse.Namespace, scratch: str) -> None:
    rows = []
    for size in (int(s) for s in args.scale.split(",")):
        tree = make_tree(args.corpus, os.path.join(scratch, f"scale-{size}", "tree"), size)
        selected = [
            t
            for t in tools(tree, args.jobs, None)
            if t.name in ("fastlint cold", "fastlint warm", f"libcst parse, {args.jobs} processes")
        ]
        print(f"scale: {tree.lines:,} lines", file=sys.stderr, flush=True)
        results = run_tools(tree, selected, args.repeat)
        rows.append((tree, results))
    print(f"\nscaling (medians of {args.repeat}: fastlint cold, warm, the parse floor)\n")
    print(
        f"| {'lines':>9} | {'files':>6} | {'cold s':>7} | {'cold CPU s':>10} |"
        f" {'CPU s/100k':>10} | {'cold MB':>8} | {'warm s':>7} | {'warm MB':>8} |"
        f" {'parse s':>7} | {'parse CPU s':>11} |"
    )
    print(
        f"|{'-' * 11}|{'-' * 8}|{'-' * 9}|{'-' * 12}|{'-' * 12}|{'-' * 10}|{'-' * 9}|"
        f"{'-' * 10}|{'-' * 9}|{'-' * 13}|"
    )
    for tree, results in rows:
        cold, warm = results["fastlint cold"], results["fastlint warm"]
        parse = results[f"libcst parse, {args.jobs} processes"]
        print(
            f"| {tree.lines:9,} | {len(tree.files):6,} | {_median(cold):7.2f} |"
            f" {_median_cpu(cold):10.2f} | {_median_cpu(cold) / tree.lines * 1e5:10.2f} |"
            f" {_peak(cold):8.0f} | {_median(warm):7.2f} | {_peak(warm):8.0f} |"
            f" {_median(parse):7.2f} | {_median_cpu(parse):11.2f} |"
        )


if __name__ == "__main__":
    sys.exit(main())
