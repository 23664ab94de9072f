"""Work that must grow linearly: inputs shaped like the ones that once made indexing or
linking quadratic, measured by the work done rather than by the clock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Optional

import pytest

from fastlint.catalog import load_catalog
from fastlint.index import index_file, index_source, indexer
from fastlint.project import ProjectModel

LINES = 400


class _CountingEntries(list):  # type: ignore[type-arg]
    """A name's binding entries, counting every entry anyone reads from them."""

    visited = 0

    def __iter__(self) -> Iterator[object]:
        for entry in super().__iter__():
            _CountingEntries.visited += 1
            yield entry


@pytest.fixture
def entries_visited(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[_CountingEntries]]:
    def bind(self: indexer._Scope, name: str, entry: indexer._BindingEntry) -> None:
        self.bindings.setdefault(name, _CountingEntries()).append(entry)

    monkeypatch.setattr(indexer._Scope, "bind", bind)
    _CountingEntries.visited = 0
    yield _CountingEntries


def _index(source: str) -> None:
    summary = index_source("generated.py", source.encode())
    assert summary.error is None


def test_a_module_name_bound_and_read_many_times(
    entries_visited: type[_CountingEntries],
) -> None:
    # A script or a converted notebook: ``r`` bound n times, read n times.
    lines = [f"r = client.get('/{i}')\nprint(r.json())\n" for i in range(LINES)]
    _index("import client\n" + "".join(lines))
    assert entries_visited.visited <= 2 * LINES  # each read used to visit every binding


def test_a_local_bound_and_read_many_times(entries_visited: type[_CountingEntries]) -> None:
    # A long test function: the same response variable assigned and asserted on n times.
    lines = [f"    r = client.get('/{i}')\n    assert r.status_code == 200\n" for i in range(LINES)]
    _index("import client\ndef test_all():\n" + "".join(lines))
    assert entries_visited.visited <= 2 * LINES


def test_a_name_rebound_from_itself(entries_visited: type[_CountingEntries]) -> None:
    _index("x = 0\n" + "".join(f"x = x + {i}\n" for i in range(LINES)))
    assert entries_visited.visited <= 2 * LINES


def test_router_prefixes_are_found_once_not_per_route(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A package with a router per module, each included into one API router: every route's
    # full path used to look through every include_router call of the project.
    routers = 100
    package = tmp_path / "app"
    package.mkdir()
    (package / "__init__.py").write_text("")
    includes = "".join(
        f"from app import m{i}\napi.include_router(m{i}.router, prefix='/m{i}')\n"
        for i in range(routers)
    )
    (package / "main.py").write_text(
        "from fastapi import APIRouter, FastAPI\napp = FastAPI()\napi = APIRouter()\n"
        + includes
        + "app.include_router(api, prefix='/api')\n"
    )
    for i in range(routers):
        (package / f"m{i}.py").write_text(
            "from fastapi import APIRouter\nrouter = APIRouter(prefix='/r')\n"
            f"@router.get('/items')\nasync def items_{i}():\n    return []\n"
        )
    summaries = [index_file(str(path)) for path in sorted(package.glob("*.py"))]
    project = ProjectModel(summaries, load_catalog(), str(tmp_path))
    calls = 0
    binding_of = ProjectModel.binding_of

    def counting(self: ProjectModel, symbol: str) -> Optional[str]:
        nonlocal calls
        calls += 1
        return binding_of(self, symbol)

    monkeypatch.setattr(ProjectModel, "binding_of", counting)
    paths = {tuple(project.full_paths(route)) for route in project.routes}
    assert paths == {(f"/api/m{i}/r/items",) for i in range(routers)}
    assert calls <= 5 * routers  # was routers * routers
