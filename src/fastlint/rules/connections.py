"""FLT3xx: engines, pools and clients built for every request instead of once."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Optional

import libcst as cst

from fastlint.catalog import ConnectionConstructor
from fastlint.findings import ChainStep
from fastlint.index.summary import CallSite, Value
from fastlint.project import ProjectModel, RequestReach
from fastlint.rules.base import Example, FixRequest, RawFinding, Rule
from fastlint.rules.client_fix import lifespan_client_fix

if TYPE_CHECKING:
    from fastlint.fixes import FixContext
from fastlint.rules.request_code import (
    chain_steps,
    chain_text,
    is_kept,
    is_memoized,
    relative_path,
    request_functions,
)

_COMMON_DOC = """

## Where request code runs
fastlint follows every request from its entry points (routes, dependencies, middleware,
exception and websocket handlers, background tasks; sync or async) through the project's own
functions and the `__init__` of the project's classes they build, across modules. A client
built there is built again for every request. Not reported:

- construction at module level, in the app's lifespan or an `@app.on_event("startup")`
  handler;
- construction in a memoised factory (`@lru_cache def get_client()`), or behind a lazy check
  on a global or on `self` (`if _client is None: _client = httpx.AsyncClient()`), or stored
  on an object or in a dict for reuse;
- what comes from a factory made once: `SessionLocal()` in `get_db`, `pool.acquire()`,
  `request.app.state.client`;
- one-shot calls that open and close their own connection (`httpx.get`, `requests.get`,
  `urlopen`): on the event loop those are FLT1xx matters.

## Options
The constructors come from fastlint's catalog. Add your own under `[tool.fastlint.catalog]`:

```toml
[[tool.fastlint.catalog.connection-constructors]]
# kind picks the rule: database (FLT301), sqlite (FLT302) or client (FLT303)
kind = "client"
calls = ["mylib.ApiClient", "mylib.connect"]
unless-keywords = ["pool"]  # not reported when given one of these
instead = "create it once in the lifespan"
```
"""


@dataclass(frozen=True)
class PerRequestConstruction:
    """A connection constructor called in code that runs for every request."""

    step: RequestReach  # the function it is called in, and how a request gets there
    call: CallSite
    constructor: ConnectionConstructor
    label: str  # e.g. ``httpx.AsyncClient()``


def _is_per_request(step: RequestReach, call: CallSite) -> bool:
    # Lazy initialisation, or stored for reuse (``app.state.client = ...``,
    # ``clients[name] = ...``, ``self._client`` outside ``__init__``): made once per key or
    # object, not per request.
    return not call.guarded and not is_kept(step.function, call)


def per_request_constructions(project: ProjectModel) -> list[PerRequestConstruction]:
    def compute() -> list[PerRequestConstruction]:
        out = []
        for step in request_functions(project):
            if is_memoized(project, step.function):
                continue
            for call in step.function.summary.calls:
                if not call.symbol or not _is_per_request(step, call):
                    continue
                resolved = project.resolve(call.symbol)
                if resolved.kind != "external":
                    continue
                constructor = project.catalog.connection_constructor(resolved.symbol)
                if constructor is None:
                    continue
                if any(arg.keyword in constructor.unless_keywords for arg in call.args):
                    continue
                out.append(PerRequestConstruction(step, call, constructor, f"{resolved.symbol}()"))
        return out

    return project.memoized("fastlint.rules.connections", compute)


_LIFESPAN_CLIENTS = ("httpx.AsyncClient()",)
_LIFESPAN_FIX_TITLE = "Create the client once in the app's lifespan and keep it on `app.state`"
_ASYNC_CONTEXT_MANAGERS = ("contextlib.asynccontextmanager",)


def _startup_value(value: Value, local: set[str], project: ProjectModel) -> bool:
    """Whether the value is the same at startup as in the request: literals, containers of
    them, and module-level names."""
    if value.kind in ("str", "num", "const"):
        return True
    if value.kind == "ref":
        return (
            bool(value.symbol)
            and value.text.isidentifier()
            and value.text not in local
            and (
                project.binding_of(value.symbol) is not None
                or project.resolve(value.symbol).kind in ("function", "class", "external")
            )
        )
    if value.kind in ("list", "tuple", "set", "dict"):
        return all(
            not arg.star and _startup_value(arg.value, local, project) for arg in value.args
        ) and all(_startup_value(element, local, project) for element in value.elements)
    return False


def _lifespan_fix(found: PerRequestConstruction, project: ProjectModel) -> Optional[FixRequest]:
    """Offered for ``async with httpx.AsyncClient(...) as client:`` right in an async route of
    the module whose app has a lifespan defined there; ``build_fix`` checks the rest."""
    step, function = found.step, found.step.function
    summary = function.summary
    if (
        found.label not in _LIFESPAN_CLIENTS
        or step.chain
        or step.role != "route"
        or not summary.is_async
        or summary.class_name is not None
        or summary.qualname != summary.name
        or not any(item.span == found.call.span for item in summary.with_items)
        or project.is_called_in_project(function)  # a new parameter would break the caller
    ):
        return None
    names = [a.name for a in summary.assignments if a.value.span == found.call.span]
    local = {p.name for p in summary.params} | {a.name for a in summary.assignments}
    if (
        len(names) != 1
        or any(arg.star or not _startup_value(arg.value, local, project) for arg in found.call.args)
        # Closing the client would close it for every later request.
        or any(call.text in (f"{names[0]}.aclose", f"{names[0]}.close") for call in summary.calls)
    ):
        return None
    routes = [route for route in project.routes if route.handler.key == function.key]
    if len(routes) != 1 or not routes[0].owner:
        return None
    app = project.binding_value(routes[0].owner)
    if app is None or app.kind != "call" or project.resolve(app.symbol).symbol != "fastapi.FastAPI":
        return None
    lifespan = next((arg.value for arg in app.args if arg.keyword == "lifespan"), None)
    handler = project.resolve_function(lifespan.symbol) if lifespan is not None else None
    if (
        handler is None
        or handler.module.path != function.module.path
        or not handler.summary.is_async
        or not any(
            project.resolve(d.value.symbol).symbol in _ASYNC_CONTEXT_MANAGERS
            for d in handler.summary.decorators
        )
    ):
        return None
    return FixRequest(
        "lifespan-client",
        _LIFESPAN_FIX_TITLE,
        "unsafe",
        "call",
        found.call.span,
    )


class PerRequestConnectionRule(Rule):
    """Shared behaviour of the FLT3xx rules: one rule per kind of constructor."""

    kind: ClassVar[str]
    default_instead: ClassVar[str]
    common_doc = _COMMON_DOC

    def check(self, project: ProjectModel) -> Iterator[RawFinding]:
        root = project.root
        for found in per_request_constructions(project):
            if found.constructor.kind != self.kind:
                continue
            step = found.step
            instead = found.constructor.instead or self.default_instead
            if step.chain:
                where = f": {chain_text(step, root)}"
                path = relative_path(step.function.module.path, root)
                line, column = found.call.span.line, found.call.span.column
                chain = (
                    *chain_steps(step, root),
                    ChainStep(step.function.display_name, path, line, column),
                    ChainStep(found.label, path, line, column),
                )
            else:
                where = f" in the {step.role} `{step.function.display_name}`"
                chain = ()
            yield RawFinding(
                path=step.function.module.path,
                span=found.call.span,
                message=f"`{found.label}` is called on every request{where}; {instead}",
                chain=chain,
                fix=self._fix_for(found, project),
            )

    def _fix_for(
        self, found: PerRequestConstruction, project: ProjectModel
    ) -> Optional[FixRequest]:
        return None


class PerRequestDatabaseConnection(PerRequestConnectionRule):
    """## What it does
    Finds a database engine, session factory, connection pool or connection created in code
    that runs for every request: `create_engine`, `create_async_engine`, `sessionmaker`,
    `async_sessionmaker`, `psycopg2.connect`, `asyncpg.connect`/`create_pool`,
    `pymysql.connect`, `aiomysql.connect`, `MongoClient`, `AsyncIOMotorClient`, and Redis
    clients (`redis.Redis`, `redis.from_url`, `redis.asyncio`, `aioredis`).

    ## Why is this bad?
    An engine, a pool or a client *is* a pool of connections, built to be shared. Made per
    request, every request pays for new TCP connections, authentication and TLS, nothing is
    reused, and connections that are not closed pile up until the database refuses more.
    Create it once, at module level or in the app's lifespan, and take a session or a
    connection from it per request (`SessionLocal()` in a `get_db` dependency is right).
    A `psycopg2.connect` in an `async def` route is reported here and as FLT106.
    """

    code = "FLT301"
    name = "database-connection-per-request"
    summary = "A database engine, session factory, pool or connection created per request"
    kind = "database"
    default_instead = "create it once, at module level or in the app's lifespan"
    valid = (
        """
from fastapi import Depends, FastAPI
from sqlalchemy import create_engine
from sqlalchemy.orm import Session, sessionmaker

engine = create_engine("postgresql://localhost/app")
SessionLocal = sessionmaker(bind=engine)
app = FastAPI()

def get_db():
    db = SessionLocal()  # a session per request, from one factory: right
    try:
        yield db
    finally:
        db.close()

@app.get("/users")
def list_users(db: Session = Depends(get_db)):
    return db.execute("select 1").all()
""",
    )
    invalid = (
        Example(
            """
from fastapi import Depends, FastAPI
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

app = FastAPI()

def get_db():
    engine = create_engine("postgresql://localhost/app")
    db = sessionmaker(bind=engine)()
    try:
        yield db
    finally:
        db.close()

@app.get("/users")
def list_users(db=Depends(get_db)):
    return db.execute("select 1").all()
"""
        ),
    )


class PerRequestSqliteConnection(PerRequestConnectionRule):
    """## What it does
    Finds `sqlite3.connect` or `aiosqlite.connect` in code that runs for every request.

    ## Why is this bad?
    Opening the file, reading its schema and setting up the connection is repeated for every
    request. For SQLite that cost is small, and a connection per request is a common and
    legitimate way to stay clear of SQLite's threading rules, so this has its own code:
    ignore FLT302 if that is your choice. Otherwise open the connection once in the app's
    lifespan, or use a pooled engine.
    """

    code = "FLT302"
    name = "sqlite-connection-per-request"
    summary = "A SQLite connection opened per request"
    kind = "sqlite"
    default_instead = "open it once in the app's lifespan and reuse it"
    valid = (
        """
import sqlite3
from contextlib import asynccontextmanager
from fastapi import FastAPI, Request

@asynccontextmanager
async def lifespan(app: FastAPI):
    app.state.db = sqlite3.connect("app.db", check_same_thread=False)
    yield
    app.state.db.close()

app = FastAPI(lifespan=lifespan)

@app.get("/notes")
def notes(request: Request):
    return request.app.state.db.execute("select * from notes").fetchall()
""",
    )
    invalid = (
        Example(
            """
import sqlite3
from fastapi import FastAPI

app = FastAPI()

@app.get("/notes")
def notes():
    with sqlite3.connect("app.db") as db:
        return db.execute("select * from notes").fetchall()
"""
        ),
    )


class PerRequestHttpClient(PerRequestConnectionRule):
    """## What it does
    Finds an HTTP client or an API SDK client created in code that runs for every request:
    `httpx.Client()`/`AsyncClient()`, `requests.Session()`, `aiohttp.ClientSession()`,
    `boto3.client`/`resource`, `openai.OpenAI()`/`AsyncOpenAI()`, `Elasticsearch()` and
    similar, including in a dependency that yields a fresh client per request, and a project
    class whose `__init__` builds one, constructed per request.

    ## Why is this bad?
    A client holds a connection pool. Made per request, each request opens new connections
    (a TCP and TLS handshake to the same host every time), keep-alive never helps, and a
    client that is not closed leaks sockets. SDK clients also load configuration and
    credentials when built, which is slow. Create one client in the app's lifespan, keep it
    on `app.state` (or at module level), and reuse it.

    ## Fix safety
    The fix is unsafe: the route then shares one client with every other request, built with
    its configuration at startup, reusing connections, and created and closed with the app
    (so a mounted sub-application, whose lifespan does not run, would find none). It is
    offered only for `async with httpx.AsyncClient(...) as client:` written directly in an
    `async def` route registered on `app = FastAPI(lifespan=lifespan)` in the same module,
    whose lifespan is an `@asynccontextmanager async def lifespan(app)` there with a single
    `yield`, reached through nothing but `with` blocks; the client's arguments must be
    literals or module-level names, and the block must not close the client. The fix wraps
    the `yield` in `async with httpx.AsyncClient(...) as client:` storing it on
    `app.state.client` (another name when that one is taken), replaces the route's block by
    `client = request.app.state.client` and its body, and adds a `request: Request` parameter
    when the route has none.
    """

    code = "FLT303"
    name = "http-client-per-request"
    summary = "An HTTP or API SDK client created per request"
    kind = "client"
    default_instead = "create it once in the app's lifespan and reuse it"
    fix_title = _LIFESPAN_FIX_TITLE
    fix_safety = "unsafe"
    valid = (
        """
from contextlib import asynccontextmanager
import httpx
from fastapi import FastAPI, Request

@asynccontextmanager
async def lifespan(app: FastAPI):
    async with httpx.AsyncClient(base_url="https://api.example.com") as client:
        app.state.client = client
        yield

app = FastAPI(lifespan=lifespan)

@app.get("/quote")
async def quote(request: Request):
    response = await request.app.state.client.get("/quote")
    return response.json()
""",
    )
    invalid = (
        Example(
            """
import httpx
from fastapi import FastAPI

app = FastAPI()

@app.get("/quote")
async def quote():
    async with httpx.AsyncClient(base_url="https://api.example.com") as client:
        response = await client.get("/quote")
    return response.json()
"""
        ),
        Example(
            """
import httpx
from fastapi import Depends, FastAPI

app = FastAPI()

async def get_client():
    async with httpx.AsyncClient() as client:
        yield client

@app.get("/quote")
async def quote(client: httpx.AsyncClient = Depends(get_client)):
    return (await client.get("https://api.example.com/quote")).json()
"""
        ),
        Example(
            """
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI


@asynccontextmanager
async def lifespan(app: FastAPI):
    yield


app = FastAPI(lifespan=lifespan)


@app.get("/quote")
async def quote():
    async with httpx.AsyncClient(base_url="https://api.example.com") as client:
        response = await client.get("/quote")
    return response.json()
""",
            fixed="""
from contextlib import asynccontextmanager

import httpx
from fastapi import Request, FastAPI


@asynccontextmanager
async def lifespan(app: FastAPI):
    async with httpx.AsyncClient(base_url="https://api.example.com") as client:
        app.state.client = client
        yield


app = FastAPI(lifespan=lifespan)


@app.get("/quote")
async def quote(request: Request):
    client = request.app.state.client
    response = await client.get("/quote")
    return response.json()
""",
        ),
    )

    def _fix_for(
        self, found: PerRequestConstruction, project: ProjectModel
    ) -> Optional[FixRequest]:
        return _lifespan_fix(found, project)

    def build_fix(
        self, request: FixRequest, target: cst.CSTNode, context: FixContext
    ) -> Optional[dict[cst.CSTNode, cst.CSTNode]]:
        if request.kind != "lifespan-client" or not isinstance(target, cst.Call):
            return None
        return lifespan_client_fix(target, context)


CONNECTION_RULES: tuple[type[Rule], ...] = (
    PerRequestDatabaseConnection,
    PerRequestSqliteConnection,
    PerRequestHttpClient,
)
