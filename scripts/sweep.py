"""Crash sweep: run fastlint over every ``.py`` file of the running Python's standard library
and installed site-packages, and count what must never happen.

    python scripts/sweep.py                  # the standard library and site-packages
    python scripts/sweep.py --only stdlib    # one of the two
    python scripts/sweep.py --sample 300     # a random sample of each (what the tests run)
    python scripts/sweep.py PATH...          # other trees

Each tree is checked as one project, twice through the real command line: ``fastlint check``
and ``fastlint check --fix --unsafe-fixes --diff`` (which writes nothing). The trees are
never written to: each is linked (or, with ``--sample``, copied) into a temporary project
that holds the settings (every rule selected, nothing excluded) and the cache.

For each tree it prints the number of files, of files reported as unparsable (FLT001), of
internal errors (must be 0), of unparsable files with other findings too (must be 0), and
of files that ``ast.parse`` accepts but fastlint rejects, each with fastlint's reason. The
exit code is 1 when anything that must be 0 is not.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import random
import shutil
import site
import subprocess
import sys
import sysconfig
import tempfile
import time
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Optional

INTERNAL_ERROR = "fastlint: error: internal error:"
# Folders that hold other trees (or nothing to check), left out of the standard library.
_STDLIB_SKIP = ("site-packages", "dist-packages", "__pycache__")
TIMEOUT_SECONDS = 3600


@dataclass
class TreeReport:
    name: str
    source: str
    files: int = 0
    unparsable: int = 0  # files reported as FLT001
    internal_errors: list[str] = field(default_factory=list)
    mixed: list[str] = field(default_factory=list)  # FLT001 files with other findings too
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (file, FLT001 message)
    problems: list[str] = field(default_factory=list)  # other one-line errors (cannot read...)
    findings: Counter[str] = field(default_factory=Counter)
    refused_fixes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.internal_errors and not self.mixed


def python_trees() -> list[tuple[str, str]]:
    """(name, path) of the standard library and of every site-packages folder."""
    paths = sysconfig.get_paths()
    trees = [("stdlib", paths["stdlib"])]
    seen = {os.path.realpath(paths["stdlib"])}
    candidates = [paths["purelib"], paths["platlib"], *site.getsitepackages()]
    if site.ENABLE_USER_SITE:
        candidates.append(site.getusersitepackages())
    for number, path in enumerate(dict.fromkeys(candidates)):
        real = os.path.realpath(path)
        if os.path.isdir(path) and real not in seen:
            seen.add(real)
            trees.append(("site-packages" if number == 0 else f"site-packages-{number}", path))
    return trees


def python_files(tree: str, skip: Sequence[str] = ()) -> list[str]:
    """Every ``.py`` file under ``tree``, as paths relative to it, not following links."""
    out: list[str] = []
    for directory, subdirs, names in os.walk(tree):
        subdirs[:] = sorted(d for d in subdirs if d not in skip)
        for name in sorted(names):
            path = os.path.join(directory, name)
            if name.endswith(".py") and os.path.isfile(path):
                out.append(os.path.relpath(path, tree))
    return out


def _settings(skip: Sequence[str]) -> str:
    excludes = ", ".join(json.dumps(s) for s in skip)
    return f'[tool.fastlint]\nselect = ["FLT"]\nexclude = [{excludes}]\n'


def prepare(
    workdir: str, name: str, tree: str, skip: Sequence[str], sample: Optional[Sequence[str]]
) -> None:
    """A project in ``workdir`` whose folder ``name`` is ``tree`` (or the ``sample`` of it)."""
    with open(os.path.join(workdir, "pyproject.toml"), "w", encoding="utf-8") as handle:
        handle.write(_settings(skip))
    target = os.path.join(workdir, name)
    if sample is None:
        os.symlink(tree, target, target_is_directory=True)
        return
    for relative in sample:
        destination = os.path.join(target, relative)
        os.makedirs(os.path.dirname(destination), exist_ok=True)
        shutil.copyfile(os.path.join(tree, relative), destination)


def run_fastlint(workdir: str, *args: str) -> subprocess.CompletedProcess[bytes]:
    command = [sys.executable, "-m", "fastlint", "check", *args]
    env = {**os.environ, "NO_COLOR": "1"}
    try:
        return subprocess.run(
            command, cwd=workdir, capture_output=True, env=env, timeout=TIMEOUT_SECONDS
        )
    except subprocess.TimeoutExpired as expired:
        message = f"{INTERNAL_ERROR} no answer after {TIMEOUT_SECONDS} s ({' '.join(args)})"
        return subprocess.CompletedProcess(command, -1, expired.stdout or b"", message.encode())


def _error_lines(result: subprocess.CompletedProcess[bytes]) -> list[str]:
    text = result.stderr.decode("utf-8", errors="replace")
    return [line for line in text.splitlines() if line.startswith("fastlint: error:")]


def ast_accepts(source: bytes) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escape sequences and the like
            ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def _count_files(workdir: str, name: str) -> int:
    # What fastlint's discovery finds, which is what it analyses.
    from fastlint.config import load_config
    from fastlint.discovery import discover

    config = load_config([os.path.join(workdir, name)])
    return len(discover([os.path.join(workdir, name)], config).files)


def _culprits(workdir: str, name: str) -> list[str]:
    """After an internal error: the files whose indexing raises, found one by one."""
    from fastlint.index import index_source

    out = []
    for relative in python_files(os.path.join(workdir, name)):
        path = os.path.join(workdir, name, relative)
        try:
            with open(path, "rb") as handle:
                source = handle.read()
            index_source(path, source)
        except OSError:
            continue
        except BaseException as error:  # what escapes here is the bug being looked for
            out.append(f"{name}/{relative}: {type(error).__name__}: {error}")
    return out


def pick_sample(tree: str, skip: Sequence[str], size: int, seed: int = 0) -> list[str]:
    every = python_files(tree, skip)
    return sorted(random.Random(seed).sample(every, min(size, len(every))))


def sweep_tree(
    name: str,
    tree: str,
    *,
    skip: Sequence[str] = ("__pycache__",),
    files: Optional[Sequence[str]] = None,
    jobs: Optional[int] = None,
) -> TreeReport:
    """Check one tree with ``check`` and ``--fix --diff``: all of it, or only ``files``
    (paths relative to it, copied into the temporary project)."""
    report = TreeReport(name, tree)
    started = time.monotonic()
    chosen = sorted(set(files)) if files is not None else None
    jobs_args = ["--jobs", str(jobs)] if jobs else []
    with tempfile.TemporaryDirectory(prefix="fastlint-sweep-") as workdir:
        prepare(workdir, name, tree, skip, chosen)
        report.files = _count_files(workdir, name)
        checked = run_fastlint(
            workdir, name, "--output-format", "json", "--exit-zero", "--quiet", *jobs_args
        )
        fixed = run_fastlint(
            workdir, name, "--fix", "--unsafe-fixes", "--diff", "--quiet", *jobs_args
        )
        for result, what in ((checked, "check"), (fixed, "check --fix --unsafe-fixes --diff")):
            for line in _error_lines(result):
                if line.startswith(INTERNAL_ERROR):
                    report.internal_errors.append(f"{what}: {line}")
                elif "a fix would break the file" in line:
                    report.refused_fixes.append(line)
                elif result is checked:
                    report.problems.append(line)
            if result.returncode not in (0, 1, 2):
                report.internal_errors.append(f"{what}: exit code {result.returncode}")
        if report.internal_errors:
            report.internal_errors.extend(_culprits(workdir, name))
        try:
            findings = json.loads(checked.stdout.decode("utf-8") or "[]")
        except ValueError:
            findings = []
            report.internal_errors.append("check: the JSON output does not parse")
        codes_by_file: dict[str, set[str]] = {}
        messages: dict[str, str] = {}
        for finding in findings:
            codes_by_file.setdefault(finding["path"], set()).add(finding["code"])
            report.findings[finding["code"]] += 1
            if finding["code"] == "FLT001":
                messages[finding["path"]] = finding["message"]
        for path, message in sorted(messages.items()):
            report.unparsable += 1
            if codes_by_file[path] - {"FLT001", "FLT003"}:  # an unused-noqa is about comments
                report.mixed.append(f"{path}: {sorted(codes_by_file[path])}")
            try:
                with open(os.path.join(workdir, path), "rb") as handle:
                    source = handle.read()
            except OSError:
                continue
            if ast_accepts(source):
                report.rejected.append((path, message))
    report.seconds = time.monotonic() - started
    return report


def print_report(report: TreeReport) -> None:
    print(f"{report.name} ({report.source}): {report.seconds:.0f} s")
    print(f"  files: {report.files}")
    print(f"  FLT001 (unparsable): {report.unparsable}")
    print(f"  internal errors: {len(report.internal_errors)}")
    for line in report.internal_errors:
        print(f"    {line}")
    print(f"  FLT001 files with other findings: {len(report.mixed)}")
    for line in report.mixed:
        print(f"    {line}")
    print(f"  accepted by ast.parse, rejected by fastlint: {len(report.rejected)}")
    for path, message in report.rejected:
        print(f"    {path}: {message}")
    if report.problems:
        print(f"  other errors: {len(report.problems)}")
        for line in report.problems[:20]:
            print(f"    {line}")
    if report.refused_fixes:
        print(f"  fixes refused because the result would not compile: {len(report.refused_fixes)}")
        for line in report.refused_fixes[:20]:
            print(f"    {line}")
    top = ", ".join(f"{code} {count}" for code, count in report.findings.most_common())
    print(f"  findings: {top or 'none'}")


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "paths", nargs="*", help="trees to sweep (default: stdlib and site-packages)"
    )
    parser.add_argument("--only", choices=("stdlib", "site-packages"), help="sweep only this tree")
    parser.add_argument("--sample", type=int, help="check a random sample of N files per tree")
    parser.add_argument("--seed", type=int, default=0, help="the sample's random seed")
    parser.add_argument("-j", "--jobs", type=int, help="processes fastlint indexes with")
    args = parser.parse_args(argv)
    if args.paths:
        trees = [(os.path.basename(os.path.abspath(p)) or "tree", p) for p in args.paths]
    else:
        trees = [t for t in python_trees() if not args.only or t[0].startswith(args.only)]
    reports = []
    for name, tree in trees:
        skip = (*_STDLIB_SKIP,) if name == "stdlib" else ("__pycache__",)
        sample = pick_sample(tree, skip, args.sample, args.seed) if args.sample else None
        report = sweep_tree(name, tree, skip=skip, files=sample, jobs=args.jobs)
        print_report(report)
        reports.append(report)
        sys.stdout.flush()
    files = sum(r.files for r in reports)
    unparsable = sum(r.unparsable for r in reports)
    errors = sum(len(r.internal_errors) for r in reports)
    mixed = sum(len(r.mixed) for r in reports)
    rejected = sum(len(r.rejected) for r in reports)
    print(
        f"total: {files} files, {unparsable} FLT001, {errors} internal errors, "
        f"{mixed} FLT001 files with other findings, {rejected} accepted by ast.parse but rejected"
    )
    return 0 if all(r.ok for r in reports) else 1


if __name__ == "__main__":
    sys.exit(main())
