"""Property tests over generated programs: nothing escapes, findings are deterministic (and
the same from the cache), every fix result compiles, and a second fix pass changes nothing.

Two sources of programs: hypothesmith, which writes any valid Python from the grammar, and
a generator of FastAPI-shaped packages below (routes, routers, middleware, dependencies,
blocking calls, shared state, clients, nesting and imports across modules), which is what
reaches the rules and their fixes.

A bounded number of examples runs in the suite. For a soak, set FASTLINT_FUZZ_EXAMPLES:

    FASTLINT_FUZZ_EXAMPLES=5000 python -m pytest tests/test_fuzz.py
"""

from __future__ import annotations

import os
import tempfile
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Callable

import hypothesmith
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastlint.config import Config
from fastlint.engine import check
from fastlint.findings import Finding
from fastlint.fixes import fix_paths, write_fixes
from fastlint.index import index_source

SOAK = int(os.environ.get("FASTLINT_FUZZ_EXAMPLES", "0"))


def _settings(examples: int) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """A few examples, always the same ones, in the suite; many random ones in a soak."""
    return settings(
        max_examples=SOAK or examples,
        deadline=None,
        derandomize=not SOAK,
        database=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
        ],
    )


@contextmanager
def project(files: dict[str, str]) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="fastlint-fuzz-") as directory:
        root = Path(directory)
        (root / "pyproject.toml").write_text('[tool.fastlint]\nselect = ["FLT"]\n')
        for name, text in files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(text.encode("utf-8", "surrogatepass"))
        yield root


def findings(root: Path, *, use_cache: bool) -> tuple[list[Finding], list[str]]:
    config = Config(root=str(root), select=("FLT",), use_cache=use_cache, jobs=1)
    result = check([str(root)], config)
    return result.findings, result.problems


def assert_sound(root: Path) -> None:
    """The properties every project must have, whatever it holds."""
    first = findings(root, use_cache=False)
    assert findings(root, use_cache=False) == first, "findings differ between two runs"
    assert findings(root, use_cache=True) == first, "a cold cache changes the findings"
    assert findings(root, use_cache=True) == first, "a warm cache changes the findings"

    config = Config(root=str(root), select=("FLT",), use_cache=False, jobs=1)
    outcome = fix_paths([str(root)], config, unsafe=True)
    assert outcome.problems == []  # a fix that would not compile is a bug in the fix
    for path, source in outcome.fixed.items():
        compile(source, path, "exec", dont_inherit=True)
        assert index_source(path, source).error is None
    assert write_fixes(outcome, [str(root)]) == []
    again = fix_paths([str(root)], config, unsafe=True)
    assert again.fixed == {}, "a second fix pass changed the code again"
    assert again.problems == []
    fixed_findings, _ = findings(root, use_cache=False)
    assert {f.code for f in fixed_findings} <= {f.code for f in first[0]} | {"FLT003"}


# --- any valid Python ------------------------------------------------------------------------


@_settings(examples=25)
@given(source=hypothesmith.from_grammar(), newline=st.sampled_from(["\n", "\r\n"]))
def test_any_valid_program(source: str, newline: str) -> None:
    text = source.replace("\r\n", "\n").replace("\n", newline) if newline != "\n" else source
    summary = index_source("mod.py", text.encode("utf-8", "surrogatepass"))
    assert summary.module == "mod"
    with project({"mod.py": text}) as root:
        assert_sound(root)


# --- FastAPI-shaped packages -----------------------------------------------------------------

# (import, call) pairs: blocking calls of every kind, and harmless ones.
CALLS = [
    ("import time", "time.sleep({n})"),
    ("from time import sleep as nap", "nap({n})"),
    ("import requests", "requests.get('https://example.com', timeout={n})"),
    ("import requests", "requests.Session().post('https://example.com')"),
    ("import httpx", "httpx.get('https://example.com')"),
    ("import subprocess", "subprocess.run(['true'], check=False)"),
    ("import smtplib", "smtplib.SMTP('localhost')"),
    ("from pathlib import Path", "Path('data.txt').read_text()"),
    ("", "open('data.txt').read()"),
    ("import hashlib", "hashlib.pbkdf2_hmac('sha256', b'x', b'salt', 600000)"),
    ("import sqlite3", "sqlite3.connect('db.sqlite')"),
    ("import boto3", "boto3.client('s3').list_buckets()"),
    ("from sqlalchemy.orm import Session", "Session().execute('select 1')"),
    ("import asyncio", "await asyncio.sleep({n})"),
    ("import asyncio", "await asyncio.to_thread(print, {n})"),
    ("import httpx", "await httpx.AsyncClient().get('https://example.com')"),
    ("", "print({n})"),
    ("", "len([{n}])"),
]
STATE = ["CACHE['key'] = {n}", "ITEMS.append({n})", "COUNT += {n}"]
NAMES = ["a", "b", "q", "data", "result"]


def _indent(lines: list[str], level: int) -> list[str]:
    return [("    " * level + line) if line else "" for line in lines]


@st.composite
def statements(draw: st.DrawFn, is_async: bool, helpers: list[str], depth: int = 0) -> list[str]:
    """A function body: calls in every kind of position, nested blocks and definitions."""
    out: list[str] = []
    for _ in range(draw(st.integers(1, 4))):
        imports, call = draw(st.sampled_from(CALLS))
        call = call.replace("{n}", str(draw(st.integers(0, 3))))
        if "await" in call and not is_async:
            call = call.replace("await ", "")
        kind = draw(st.sampled_from(
            ["expr", "assign", "chain", "rebind", "if", "for", "with", "try", "comp", "arg",
             "lambda", "nested", "helper", "state", "return"]
        ))  # fmt: skip
        name = draw(st.sampled_from(NAMES))
        if kind == "expr":
            out.append(call)
        elif kind == "assign":
            out.append(f"{name} = {call}")
        elif kind == "chain":
            out.append(f"{name} = {call}")
            out.append(f"{name} = {name}.strip() if isinstance({name}, str) else {name}")
        elif kind == "rebind":
            out.extend(f"{name} = {name}.where({n})" for n in range(draw(st.integers(2, 12))))
        elif kind in ("if", "for", "with", "try") and depth < 3:
            head = {
                "if": f"if {name}:",
                "for": f"for {name} in range(2):",
                "with": "with open('f.txt') as handle:",
                "try": "try:",
            }[kind]
            out.append(head)
            out.extend(_indent(draw(statements(is_async, helpers, depth + 1)), 1))
            if kind == "try":
                out.extend(["except Exception:", "    pass"])
        elif kind == "comp":
            out.append(f"{name} = [{call.replace('await ', '')} for _ in range(2)]")
        elif kind == "arg":
            out.append(f"{name} = str({call})")
        elif kind == "lambda":
            out.append(f"{name} = lambda: {call.replace('await ', '')}")
        elif kind == "nested" and depth < 3:
            inner_async = draw(st.booleans())
            out.append(f"{'async ' if inner_async else ''}def inner_{depth}():")
            out.extend(_indent(draw(statements(inner_async, helpers, depth + 1)), 1))
            out.append(f"{'await ' if inner_async and is_async else ''}inner_{depth}()")
        elif kind == "helper" and helpers:
            helper = draw(st.sampled_from(helpers))
            out.append(f"{name} = {helper}()")
        elif kind == "state":
            out.extend(draw(st.sampled_from(STATE)).replace("{n}", "1").split("\n"))
        else:
            out.append(f"return {call}")
            break
        if imports:
            out.insert(0, f"{imports}  # local import")
    return out


@st.composite
def function(
    draw: st.DrawFn, name: str, decorator: str, helpers: list[str], params: str = ""
) -> list[str]:
    is_async = draw(st.booleans())
    header = f"{'async ' if is_async else ''}def {name}({params}):"
    body = draw(statements(is_async, helpers))
    if any(line.startswith("COUNT +=") for line in body):  # this function's own statement
        body.insert(0, "global COUNT")
    return ([decorator] if decorator else []) + [header] + _indent(body, 1) + [""]


@st.composite
def fastapi_package(draw: st.DrawFn) -> dict[str, str]:
    """``app/``: main (the app, middleware, handlers), routes (a router), deps, services."""
    services: list[str] = ["import time", "import requests", ""]
    helper_names = []
    for n in range(draw(st.integers(0, 3))):
        helper_names.append(f"helper_{n}")
        services += draw(function(f"helper_{n}", "", helper_names[:-1]))
    deps = ["from typing import Annotated", "from fastapi import Depends", ""]
    dependency_names = []
    for n in range(draw(st.integers(0, 2))):
        name = f"get_thing_{n}"
        dependency_names.append(name)
        if draw(st.booleans()):  # a yield dependency
            deps += [f"def {name}():", "    thing = object()", "    yield thing", ""]
        else:
            deps += draw(function(name, "", []))
    service_import = f"from app.services import {', '.join(helper_names)}" if helper_names else ""
    dep_import = f"from app.deps import {', '.join(dependency_names)}" if dependency_names else ""
    routes = [
        "from fastapi import APIRouter, Depends",
        service_import,
        dep_import,
        "",
        "router = APIRouter(prefix=" + repr(draw(st.sampled_from(["", "/api", "/v1"]))) + ")",
        "",
    ]
    main = [
        "from fastapi import FastAPI, Request",
        "from app.routes import router",
        service_import,
        "",
        "CACHE = {}",
        "ITEMS = []",
        "COUNT = 0",
        "app = FastAPI()",
        "app.include_router(router)",
        "",
    ]
    for n in range(draw(st.integers(1, 5))):
        owner = draw(st.sampled_from(["app", "router"]))
        method = draw(st.sampled_from(["get", "post", "put", "delete", "websocket"]))
        path = f'"/items/{n}"' if method != "websocket" else f'"/ws/{n}"'
        params = ""
        if dependency_names and draw(st.booleans()):
            dependency = draw(st.sampled_from(dependency_names))
            params = draw(st.sampled_from([
                f"thing=Depends({dependency})",
                f"thing: Annotated[object, Depends({dependency})]",
            ]))  # fmt: skip
        if method == "websocket":
            params = "websocket"
        if method == "get" and not params:
            params = draw(st.sampled_from(["", "limit: int = 100", "key: str = 'k'"]))
        target = main if owner == "app" else routes
        target += draw(
            function(f"endpoint_{n}", f"@{owner}.{method}({path})", helper_names, params)
        )
    kind = draw(st.sampled_from(["", "middleware", "exception", "startup"]))
    if kind == "middleware":
        main += draw(
            function("timing", '@app.middleware("http")', helper_names, "request, call_next")
        )
    elif kind == "exception":
        main += draw(
            function("on_error", "@app.exception_handler(Exception)", helper_names, "request, exc")
        )
    elif kind == "startup":
        main += draw(function("on_startup", '@app.on_event("startup")', helper_names))
    files = {
        "app/__init__.py": "",
        "app/main.py": "\n".join(["import time", "import requests", *main]),
        "app/routes.py": "\n".join(["import time", "import requests", *routes]),
        "app/deps.py": "\n".join(["import time", "import requests", *deps]),
        "app/services.py": "\n".join(services),
    }
    for name, text in files.items():  # the generator writes valid code, or this test is moot
        compile(text, name, "exec", dont_inherit=True)
    return files


@_settings(examples=30)
@given(files=fastapi_package())
def test_any_fastapi_package(files: dict[str, str]) -> None:
    with project(files) as root:
        assert_sound(root)


def test_a_known_fixable_package_is_sound() -> None:
    """The properties hold where a fix certainly applies."""
    files = {
        "app/__init__.py": "",
        "app/main.py": textwrap.dedent(
            """\
            import time
            from fastapi import FastAPI

            app = FastAPI()


            @app.get("/")
            async def index():
                time.sleep(1)
            """
        ),
    }
    with project(files) as root:
        found, problems = findings(root, use_cache=False)
        assert [f.code for f in found] == ["FLT101"] and problems == []
        assert_sound(root)


def test_generated_packages_reach_the_rules() -> None:
    """Guards the generator: its packages must give the rules something to find."""
    codes: set[str] = set()

    @settings(max_examples=10, deadline=None, derandomize=True, database=None)
    @given(files=fastapi_package())
    def collect(files: dict[str, str]) -> None:
        with project(files) as root:
            codes.update(f.code for f in findings(root, use_cache=False)[0])

    collect()
    assert len(codes) >= 3, codes
