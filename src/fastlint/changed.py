"""The files changed since a git revision, for ``fastlint check --changed-since REV``."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence

from fastlint.config import ConfigError


class ChangedFilesError(ConfigError):
    """git cannot say which files changed; the message says why."""


def _git(arguments: Sequence[str], directory: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            ["git", "-c", "core.quotepath=off", *arguments],
            cwd=directory,
            capture_output=True,
            check=False,
        )
    except FileNotFoundError:
        raise ChangedFilesError("--changed-since needs git, and it is not installed") from None
    except OSError as error:
        raise ChangedFilesError(f"--changed-since: cannot run git: {error}") from None


def _names(output: bytes, top: str) -> set[str]:
    names = output.decode("utf-8", errors="surrogateescape").split("\0")
    return {os.path.realpath(os.path.join(top, name)) for name in names if name}


def changed_files(directory: str, revision: str) -> frozenset[str]:
    """Real paths of the files that differ from ``revision`` (from where the current branch
    left it, when it is a branch that has moved on): committed since, staged, unstaged, and
    new files git does not ignore. Deleted files are left out."""
    found = _git(["rev-parse", "--show-toplevel"], directory)
    if found.returncode != 0:
        raise ChangedFilesError(
            f"--changed-since needs a git repository, and {directory} is not in one"
        )
    top = found.stdout.decode("utf-8", errors="surrogateescape").strip()
    if revision.startswith("-"):
        raise ChangedFilesError(f"--changed-since: {revision!r} is not a git revision")
    verified = _git(["rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}"], top)
    if verified.returncode != 0:
        raise ChangedFilesError(f"--changed-since: unknown git revision {revision!r}")
    base = verified.stdout.decode().strip()
    # Compare with the fork point, so that what was merged into ``main`` since this branch
    # left it does not count as a change of this branch.
    fork = _git(["merge-base", base, "HEAD"], top)
    if fork.returncode == 0 and fork.stdout.strip():
        base = fork.stdout.decode().strip()
    diff = _git(["diff", "--name-only", "--no-renames", "-z", base, "--"], top)
    if diff.returncode != 0:
        message = diff.stderr.decode("utf-8", errors="replace").strip().splitlines()
        raise ChangedFilesError(
            f"--changed-since: git diff failed: {message[0] if message else diff.returncode}"
        )
    untracked = _git(["ls-files", "--others", "--exclude-standard", "-z"], top)
    names = _names(diff.stdout, top)
    if untracked.returncode == 0:
        names |= _names(untracked.stdout, top)
    return frozenset(name for name in names if os.path.isfile(name))
