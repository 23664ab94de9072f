"""``fastlint routes``: every endpoint of a multi-router app, with its full path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_cli
from git_projects import git_project

from fastlint.rules import RULES_BY_CODE

TABLE = """\
METHOD   PATH                             HANDLER     FILE:LINE            KIND   DEPENDENCIES         RESPONSE  FINDINGS
GET      /api/v1/items/                   list_items  app/api/items.py:12  sync   get_db, audit        -         -
GET      /api/v1/items/{item_id}          read_item   app/api/items.py:17  async  get_db, audit        -         FLT1xx:1
GET      /api/v1/items/{item_id}/rate     item_rate   app/api/items.py:23  async  audit                -         FLT1xx:1
POST     /api/v1/items/{item_id}/refresh  refresh     app/api/items.py:28  async  audit                -         -
GET      /api/v1/users/me                 read_me     app/api/users.py:11  async  current_user, audit  -         FLT1xx:1
GET,PUT  /api/v1/users/me/settings        settings    app/api/users.py:17  sync   current_user, audit  -         -
GET      /health                          health      app/main.py:13       async  audit                -         -
WS       /ws/prices                       prices      app/ws.py:7          async  audit                -         -
"""  # noqa: E501


def test_routes_lists_every_endpoint_with_its_full_path(tmp_path: Path) -> None:
    root = git_project(tmp_path)
    result = run_cli("routes", cwd=root)
    assert result.returncode == 0, result.stderr
    assert result.stdout == TABLE
    assert result.stderr == (
        "8 endpoints (6 async, 2 sync) in 4 files; 3 with findings on their request path "
        "(FLT1xx on 3); 0 with an unbounded list response.\n"
    )


def test_routes_as_json(tmp_path: Path) -> None:
    root = git_project(tmp_path)
    result = run_cli("routes", ".", "--output-format", "json", cwd=root)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    endpoints = json.loads(result.stdout)
    assert [(e["methods"], e["path"]) for e in endpoints] == [
        (["GET"], "/api/v1/items/"),
        (["GET"], "/api/v1/items/{item_id}"),
        (["GET"], "/api/v1/items/{item_id}/rate"),
        (["POST"], "/api/v1/items/{item_id}/refresh"),
        (["GET"], "/api/v1/users/me"),
        (["GET", "PUT"], "/api/v1/users/me/settings"),
        (["GET"], "/health"),
        (["WEBSOCKET"], "/ws/prices"),
    ]
    assert endpoints[1] == {
        "methods": ["GET"],
        "path": "/api/v1/items/{item_id}",
        "path_known": True,
        "websocket": False,
        "handler": {"name": "read_item", "file": "app/api/items.py", "line": 17, "async": True},
        "dependencies": ["get_db", "audit"],
        "response": None,
        "findings": {"FLT1xx": 1},
        "codes": {"FLT102": 1},
    }
    assert endpoints[0]["response"] is None


@pytest.mark.skipif("FLT401" not in RULES_BY_CODE, reason="the FLT4xx rules are not there")
def test_unbounded_list_responses_come_from_the_list_rules(tmp_path: Path) -> None:
    root = git_project(tmp_path)
    (root / "pyproject.toml").write_text(
        '[tool.fastlint]\nselect = ["FLT0", "FLT1", "FLT401"]\n', encoding="utf-8"
    )
    result = run_cli("routes", "--output-format", "json", cwd=root)
    assert result.returncode == 0, result.stderr
    by_path = {e["path"]: e for e in json.loads(result.stdout)}
    assert by_path["/api/v1/items/"]["response"] == "unbounded"
    assert by_path["/api/v1/items/"]["findings"] == {"FLT4xx": 1}
    assert [p for p, e in by_path.items() if e["response"]] == ["/api/v1/items/"]


def test_a_blocking_call_in_a_shared_dependency_counts_for_every_route_using_it(
    tmp_path: Path,
) -> None:
    root = git_project(tmp_path)
    deps = root / "app" / "deps.py"
    deps.write_text(
        deps.read_text(encoding="utf-8").replace(
            "def current_user(token: str = Header(), db=Depends(get_db)) -> dict:\n",
            "async def current_user(token: str = Header(), db=Depends(get_db)) -> dict:\n"
            "    import time\n\n    time.sleep(0.5)\n",
        ),
        encoding="utf-8",
    )
    result = run_cli("routes", "--output-format", "json", cwd=root)
    by_path = {e["path"]: e for e in json.loads(result.stdout)}
    assert by_path["/api/v1/users/me"]["findings"] == {"FLT1xx": 2}
    assert by_path["/api/v1/users/me/settings"]["findings"] == {"FLT1xx": 1}
    assert by_path["/health"]["findings"] == {}


def test_routes_of_one_folder_and_suppressed_findings(tmp_path: Path) -> None:
    root = git_project(tmp_path)
    users = root / "app" / "api" / "users.py"
    users.write_text(
        users.read_text(encoding="utf-8").replace(
            "time.sleep(0.1)", "time.sleep(0.1)  # noqa: FLT101"
        ),
        encoding="utf-8",
    )
    result = run_cli("routes", "app/api/", "--quiet", cwd=root)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    rows = result.stdout.splitlines()[1:]
    assert [row.split()[1] for row in rows] == [
        "/api/v1/items/",
        "/api/v1/items/{item_id}",
        "/api/v1/items/{item_id}/rate",
        "/api/v1/items/{item_id}/refresh",
        "/api/v1/users/me",
        "/api/v1/users/me/settings",
    ]
    assert rows[4].endswith(" -")  # the noqa'd sleep is not counted


def test_routes_of_a_missing_path_is_an_error(tmp_path: Path) -> None:
    result = run_cli("routes", "nowhere", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == "fastlint: error: nowhere: no such file or directory\n"
