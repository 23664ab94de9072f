"""The persistent cache in ``.fastlint_cache/``: file summaries and whole-project findings.

A file's summary is stored under a key made of its content hash, its path and module name,
and a *salt*: the fastlint version, the libcst and Python versions, a fingerprint of the
code that builds summaries, and the settings the index reads. A project's findings are
stored under the keys of all its files plus the settings the link and the rules read, so a
run over an unchanged project loads one entry and parses nothing.

Every entry is written to a temporary file and renamed into place, so readers never see a
partial entry and two processes can fill the cache at once. Each entry carries a checksum;
an entry that fails it, or fails to unpickle, is ignored and rebuilt.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import pickle
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Optional

from fastlint import __version__
from fastlint.config import Config

CACHE_DIR = ".fastlint_cache"
_MAGIC = b"FLTCACHE1\n"
_CHECKSUM_SIZE = 16
_SUMMARIES = "summaries"
_RESULTS = "results"
_CLAIMS = "claims"
_MANIFEST = "files.pickle"
# A file's (mtime, size, inode) stands in for its content only when the file was last
# modified well before it was hashed: a write within the same clock tick as the hash would
# otherwise go unnoticed (git's "racy clean" problem).
_RACY_SECONDS = 2.0
# A claim older than this is taken to belong to a process that died.
_STALE_CLAIM_SECONDS = 120.0

# The Config fields that the index phase reads. None does today: the catalog and the rule
# selection apply at link time. A setting that comes to change how files are summarised
# must be named here, so that changing it re-indexes the files.
INDEXING_FIELDS: tuple[str, ...] = ()

_GITIGNORE = "# Created by fastlint: the whole folder is a cache.\n*\n"
_CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by fastlint.\n"
)


def _digest(*parts: bytes) -> str:
    hasher = hashlib.blake2b(digest_size=20)
    for part in parts:
        hasher.update(len(part).to_bytes(8, "little"))
        hasher.update(part)
    return hasher.hexdigest()


def content_digest(source: bytes) -> str:
    return hashlib.blake2b(source, digest_size=20).hexdigest()


_INDEX_CODE = ("index", "findings.py", "noqa.py", "__init__.py")  # what builds a summary


def _package_sources(scope: str) -> list[str]:
    """The source files of the package whose behaviour the cached values depend on."""
    here = os.path.dirname(os.path.abspath(__file__))
    out: list[str] = []
    for directory, subdirs, names in os.walk(here):
        subdirs[:] = sorted(d for d in subdirs if not d.startswith(("__", ".")))
        for name in sorted(names):
            if not name.endswith((".py", ".toml")):
                continue
            path = os.path.join(directory, name)
            first = os.path.relpath(path, here).split(os.sep)[0]
            if scope == "all" or first in _INDEX_CODE:
                out.append(path)
    return out


def _libcst_version() -> str:
    """libcst's version and build, read without importing it (which takes 0.2 s)."""
    spec = importlib.util.find_spec("libcst")
    if spec is not None and spec.origin:
        data = _read(os.path.join(os.path.dirname(spec.origin), "_version.py"))
        if data is not None:
            return data.decode("utf-8", "replace")
    try:
        return importlib.metadata.version("libcst")
    except Exception:  # pragma: no cover - a broken installation
        return "unknown"


@functools.cache
def code_fingerprint(scope: str) -> str:
    """The versions and the source of the code whose output is cached.

    ``scope`` is ``"index"`` (the code that builds summaries) or ``"all"`` (everything, for
    cached findings). Hashing the source as well as the version keeps the cache honest for
    an editable install, where the code changes and the version does not.
    """
    parts = [
        __version__.encode(),
        _libcst_version().encode(),
        f"{sys.version_info[0]}.{sys.version_info[1]}".encode(),
        scope.encode(),
    ]
    for path in _package_sources(scope):
        parts.append(path.rsplit("fastlint", 1)[-1].encode())
        parts.append(_read(path) or b"")
    return _digest(*parts)


def indexing_settings(config: Config) -> str:
    """The settings the index phase reads, as a stable string for cache keys."""
    values = {name: getattr(config, name) for name in INDEXING_FIELDS}
    return json.dumps(values, sort_keys=True, default=repr)


def linking_settings(config: Config, rule_codes: Sequence[str]) -> str:
    """The settings the link phase and the rules read: the catalog and the selected rules."""
    return json.dumps(
        {"catalog": config.catalog, "rules": sorted(rule_codes), "root": config.root},
        sort_keys=True,
        default=repr,
    )


@dataclass(frozen=True)
class FileState:
    """What the cache knows of one file's content: its hash, or why it cannot be read."""

    path: str
    digest: Optional[str]  # None when the file cannot be read
    error: Optional[OSError] = None
    source: Optional[bytes] = None  # the bytes, when they had to be read to hash them


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Unpickling builds many objects and no cycles: the collector's passes are pure cost."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def encode_entry(value: Any) -> bytes:
    payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    checksum = hashlib.blake2b(payload, digest_size=_CHECKSUM_SIZE).digest()
    return _MAGIC + checksum + payload


def decode_entry(data: bytes) -> Any:
    """The value stored in ``data``; ValueError when the entry is damaged."""
    header = len(_MAGIC) + _CHECKSUM_SIZE
    if len(data) < header or not data.startswith(_MAGIC):
        raise ValueError("not a fastlint cache entry")
    payload = data[header:]
    if hashlib.blake2b(payload, digest_size=_CHECKSUM_SIZE).digest() != data[len(_MAGIC) : header]:
        raise ValueError("checksum mismatch")
    try:
        return pickle.loads(payload)
    except Exception as error:  # a damaged pickle can raise nearly anything
        raise ValueError(f"cannot unpickle: {error}") from None


def write_atomically(path: str, data: bytes) -> bool:
    """Write ``data`` to ``path`` through a temporary file and a rename; False on failure."""
    directory = os.path.dirname(path)
    try:
        descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".part")
    except OSError:
        return False
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        os.chmod(temporary, 0o644)  # mkstemp makes it private; a cache is shared like a build
        os.replace(temporary, path)
        return True
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        return False


def _read(path: str) -> Optional[bytes]:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError:
        return None


class Cache:
    """One project's cache folder. Every method fails soft: a cache that cannot be read or
    written only makes the run slower."""

    def __init__(self, root: str, index_salt: str, result_salt: str) -> None:
        self.directory = os.path.join(root, CACHE_DIR)
        self.index_salt = index_salt
        self.result_salt = result_salt
        self._manifest: Optional[dict[str, tuple[int, int, int, str]]] = None
        self._manifest_changed = False
        self._started = time.time_ns()
        self._states: dict[str, FileState] = {}

    def __getstate__(self) -> dict[str, Any]:
        # A worker process needs where entries go, not what this run has read.
        return {**self.__dict__, "_manifest": None, "_states": {}}

    @classmethod
    def for_config(cls, config: Config) -> Cache:
        index_salt = _digest(code_fingerprint("index").encode(), indexing_settings(config).encode())
        result_salt = _digest(index_salt.encode(), code_fingerprint("all").encode())
        return cls(config.root, index_salt, result_salt)

    # --- the folder -----------------------------------------------------------------

    def prepare(self) -> bool:
        """Create the folder with its .gitignore; False when it cannot be written."""
        try:
            for sub in (_SUMMARIES, _RESULTS, _CLAIMS):
                os.makedirs(os.path.join(self.directory, sub), exist_ok=True)
            for name, text in ((".gitignore", _GITIGNORE), ("CACHEDIR.TAG", _CACHEDIR_TAG)):
                path = os.path.join(self.directory, name)
                if not os.path.exists(path):
                    write_atomically(path, text.encode())
        except OSError:
            return False
        return True

    # --- file states ----------------------------------------------------------------

    def _load_manifest(self) -> dict[str, tuple[int, int, int, str]]:
        if self._manifest is None:
            manifest: dict[str, tuple[int, int, int, str]] = {}
            data = _read(os.path.join(self.directory, _MANIFEST))
            if data is not None:
                try:
                    with gc_paused():
                        loaded = decode_entry(data)
                    if isinstance(loaded, dict):
                        manifest = loaded
                except ValueError:
                    pass
            self._manifest = manifest
        return self._manifest

    def file_states(self, paths: Sequence[str]) -> list[FileState]:
        """The content hash of each file, from the manifest when its stat has not changed."""
        manifest = self._load_manifest()
        trusted_before = self._started - int(_RACY_SECONDS * 1e9)
        states: list[FileState] = []
        for path in paths:
            seen = self._states.get(path)
            if seen is not None:  # asked before in this run
                states.append(seen)
                continue
            try:
                stat = os.stat(path)
            except OSError as error:
                states.append(FileState(path, None, error))
                continue
            known = manifest.get(path)
            signature = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
            if known is not None and known[:3] == signature:
                states.append(self._remember(FileState(path, known[3])))
                continue
            try:
                with open(path, "rb") as handle:
                    source = handle.read()
            except OSError as error:
                states.append(FileState(path, None, error))
                continue
            digest = content_digest(source)
            states.append(self._remember(FileState(path, digest, None, source)))
            if stat.st_mtime_ns < trusted_before and len(source) == stat.st_size:
                manifest[path] = (*signature, digest)
                self._manifest_changed = True
            elif known is not None:
                del manifest[path]
                self._manifest_changed = True
        return states

    def _remember(self, state: FileState) -> FileState:
        self._states[state.path] = state
        return state

    def save_manifest(self) -> None:
        if self._manifest is not None and self._manifest_changed and self.prepare():
            write_atomically(os.path.join(self.directory, _MANIFEST), encode_entry(self._manifest))
            self._manifest_changed = False

    # --- summaries ------------------------------------------------------------------

    def summary_key(self, path: str, module_name: str, digest: str) -> str:
        return _digest(
            self.index_salt.encode(),
            os.fsencode(path),  # a file name need not be UTF-8
            module_name.encode("utf-8", "surrogateescape"),
            digest.encode(),
        )

    def summary_path(self, key: str) -> str:
        return os.path.join(self.directory, _SUMMARIES, key)

    def load(self, entry_path: str) -> Any:
        """The value of one entry, or None when it is missing or damaged."""
        data = _read(entry_path)
        if data is None:
            return None
        try:
            with gc_paused():
                return decode_entry(data)
        except ValueError:
            return None

    def store(self, entry_path: str, value: Any) -> bytes:
        """Store a value; returns the encoded entry (which decodes to ``value``)."""
        data = encode_entry(value)
        self.store_encoded(entry_path, data)
        return data

    def store_encoded(self, entry_path: str, data: bytes) -> None:
        if self.prepare():
            write_atomically(entry_path, data)

    # --- claims: processes that share the cache share the indexing work --------------

    def claim(self, key: str) -> bool:
        """Take the right to index the file with this key; False if a live process has it."""
        path = os.path.join(self.directory, _CLAIMS, key)
        for _attempt in range(2):
            try:
                descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                if not self._claim_is_stale(path):
                    return False
                with contextlib.suppress(OSError):
                    os.unlink(path)
                continue
            except OSError:
                return True  # no claims without a writable cache: just do the work
            with os.fdopen(descriptor, "w") as handle:
                handle.write(str(os.getpid()))
            return True
        return False

    def release(self, key: str) -> None:
        with contextlib.suppress(OSError):
            os.unlink(os.path.join(self.directory, _CLAIMS, key))

    def is_claimed(self, key: str) -> bool:
        path = os.path.join(self.directory, _CLAIMS, key)
        return os.path.exists(path) and not self._claim_is_stale(path)

    @staticmethod
    def _claim_is_stale(path: str) -> bool:
        try:
            age = time.time() - os.stat(path).st_mtime
            with open(path) as handle:
                text = handle.read().strip()
        except OSError:
            return False  # gone already, or unreadable: let the caller try again
        if age > _STALE_CLAIM_SECONDS:
            return True
        if not text.isdigit():
            return age > 5.0  # a claim being written, or garbage
        try:
            os.kill(int(text), 0)
        except ProcessLookupError:
            return True
        except OSError:
            return False
        return False

    # --- whole-project findings -------------------------------------------------------

    def result_key(self, files: Sequence[tuple[str, str, str]], settings: str) -> str:
        """The key of a project's findings: (path, module name, digest) of every file."""
        parts = [self.result_salt.encode(), settings.encode()]
        for path, module_name, digest in files:
            parts.append(f"{path}\0{module_name}\0{digest}".encode("utf-8", "surrogateescape"))
        return _digest(*parts)

    def result_path(self, key: str) -> str:
        return os.path.join(self.directory, _RESULTS, key)


def clean(root: str) -> bool:
    """Remove the cache folder of a project; False when there was none."""
    directory = os.path.join(root, CACHE_DIR)
    if not os.path.isdir(directory):
        return False
    shutil.rmtree(directory, ignore_errors=True)
    return True
