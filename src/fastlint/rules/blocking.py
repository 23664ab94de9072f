"""FLT1xx: blocking work on the event loop, written in request code or reached from it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, ClassVar, Optional

import libcst as cst

from fastlint.findings import ChainStep, Span
from fastlint.project import BlockingSite, Function, ProjectModel
from fastlint.rules.base import Example, FixRequest, RawFinding, Rule

if TYPE_CHECKING:
    from fastlint.fixes import FixContext

_SYNC_DEF_ROLES = ("async route", "async dependency")
# Calls that need a running event loop: a function making them cannot move to a thread.
_NEEDS_EVENT_LOOP = ("asyncio.", "anyio.", "trio.")

_COMMON_DOC = """

## Where the event loop runs
FastAPI runs `async def` routes, dependencies, middleware, exception handlers and websocket
handlers on the event loop, as well as async functions given to `BackgroundTasks.add_task`
and everything those await. It runs sync `def` routes and dependencies in a threadpool, so
blocking work there is fine and is not reported. fastlint follows calls into the project's
own sync functions, across modules, and reports on the line of the event-loop function where
the blocking work starts, with the chain that leads to it:
`login() → authenticate_user() [auth.py:41] → CryptContext.verify()`.

Work handed to a thread is not reported: a function *passed* (not called) to
`asyncio.to_thread`, `run_in_threadpool`, `anyio.to_thread.run_sync` or
`loop.run_in_executor`, or called inside a lambda given to them, and a sync function
decorated with `@sync_to_async` or `@asyncify`.

fastlint stays silent where it cannot be sure: an object whose type it cannot tell (it
never decides from a variable's name), calls given to `asyncio.gather`, `wait_for` or
`create_task` (they must make awaitables), a value computed only when it is missing
(`if x is None: x = load()`, which callers may never let happen), a sync generator
(it does no work until iterated, and Starlette iterates it in a thread), and calls that
are quick by their literal arguments (`time.sleep(0)`, a `pbkdf2_hmac` with a few
thousand iterations).

## Options
The calls come from fastlint's catalog. Add your own under `[tool.fastlint.catalog]`:

```toml
[[tool.fastlint.catalog.blocking-calls]]
# kind picks the rule: sleep, http, file, subprocess, network, database, sdk, cpu or custom
kind = "http"
calls = ["mylib.client.fetch", "mylib.Client().{get,post}"]
instead = "await mylib.client.afetch(...)"
# optional: a literal argument below this value makes the call quick (not reported)
quick-below = { position = 0, keyword = "timeout", value = 0.01 }

[tool.fastlint.catalog.types]
"mylib.make_client()" = "mylib.Client()"   # what a factory returns
```
In symbols, `()` marks a call: `mylib.Client().get` is the `get` method of an object made
by `mylib.Client(...)`. In patterns, `{a,b}` is any of the names, `*` any one name and
`**` any run of names.
"""


def _relative(path: str, root: str) -> str:
    try:
        return os.path.relpath(path, root).replace(os.sep, "/")
    except ValueError:  # another drive on Windows
        return path


class BlockingCallRule(Rule):
    """Shared behaviour of the FLT1xx rules: one rule per kind of blocking call."""

    kind: ClassVar[str]
    reason: ClassVar[str]
    common_doc = _COMMON_DOC

    # How the direct-call fix runs the call: "thread" (``asyncio.to_thread``) or "sleep".
    direct_fix: ClassVar[str] = "thread"
    # Whether moving a call of this kind to a thread keeps behaviour in every case.
    thread_fix_safety: ClassVar[str] = "safe"

    def check(self, project: ProjectModel) -> Iterator[RawFinding]:
        # One finding per call site: a helper that blocks three times is one problem where
        # the route calls it; the other blocking calls are listed with it.
        groups: dict[tuple[str, Span], list[BlockingSite]] = {}
        for site in project.blocking_sites():
            if site.blocking.kind == self.kind:
                groups.setdefault((site.function.key, site.call.span), []).append(site)
        for sites in groups.values():
            first, others = sites[0], sites[1:]
            finding = self._finding(first, project.root)
            message = finding.message
            related: tuple[ChainStep, ...] = ()
            if others:
                labels = ", ".join(dict.fromkeys(site.leaf_label for site in others))
                count = len(others)
                message += f" (and {count} more blocking call{'s' if count > 1 else ''}: {labels})"
                related = tuple(
                    step for site in others for step in self._finding(site, project.root).chain[-1:]
                )
            yield RawFinding(
                finding.path,
                finding.span,
                message,
                finding.chain,
                related=related,
                fix=self._fix_for(first, project),
            )

    def _fix_for(self, site: BlockingSite, project: ProjectModel) -> Optional[FixRequest]:
        if not site.chain:
            if self.direct_fix == "sleep":
                return FixRequest(
                    "asyncio-sleep",
                    "Use `await asyncio.sleep(...)`",
                    "safe",
                    "call",
                    site.call.span,
                )
            return FixRequest(
                "to-thread",
                "Run the call in a thread with `await asyncio.to_thread(...)`",
                self.thread_fix_safety,
                "call",
                site.call.span,
            )
        if self._can_become_sync(site.function, project):
            name = site.function.summary.name
            return FixRequest(
                "sync-def",
                f"Make `{name}` a plain `def` so FastAPI runs it in the threadpool",
                "unsafe",
                "function",
                site.function.summary.span,
            )
        return None

    @staticmethod
    def _can_become_sync(function: Function, project: ProjectModel) -> bool:
        summary = function.summary
        if summary.has_await or summary.is_generator:
            return False
        if project.event_loop_functions().get(function.key) not in _SYNC_DEF_ROLES:
            return False
        if project.is_called_in_project(function):
            return False  # someone awaits it; as a plain def it would return no coroutine
        for call in summary.calls:
            resolved = project.resolve(call.symbol).symbol if call.symbol else ""
            if resolved.startswith(_NEEDS_EVENT_LOOP):
                return False
            callee = project.resolve_callee(call.symbol)
            if callee is not None and callee.summary.is_async:
                return False
        return True

    def build_fix(
        self, request: FixRequest, target: cst.CSTNode, context: FixContext
    ) -> Optional[cst.CSTNode]:
        if request.kind == "sync-def" and isinstance(target, cst.FunctionDef):
            return target.with_changes(asynchronous=None)
        if not isinstance(target, cst.Call) or context.enclosing_async_function(target) is None:
            return None
        if request.kind == "asyncio-sleep":
            context.add_import("asyncio")
            sleep = cst.Call(
                cst.Attribute(cst.Name("asyncio"), cst.Name("sleep")), args=target.args
            )
            return awaited_expression(sleep, context.needs_parentheses(target))
        if request.kind == "to-thread":
            return _to_thread(target, context)
        return None

    def _finding(self, site: BlockingSite, root: str) -> RawFinding:
        steps = [site.function.display_name] if site.chain else []
        chain = [
            ChainStep(
                site.function.display_name,
                _relative(site.function.module.path, root),
                site.call.span.line,
                site.call.span.column,
            )
        ]
        for function, call in site.chain:
            path = _relative(function.module.path, root)
            steps.append(f"{function.display_name} [{path}:{call.span.line}]")
            chain.append(ChainStep(function.display_name, path, call.span.line, call.span.column))
        steps.append(site.leaf_label)
        if site.chain:
            last_function, last_call = site.chain[-1]
            chain.append(
                ChainStep(
                    site.leaf_label,
                    _relative(last_function.module.path, root),
                    last_call.span.line,
                    last_call.span.column,
                )
            )
        chain_text = " → ".join(steps)
        message = f"{chain_text} blocks the event loop ({self.reason}); use {site.blocking.instead}"
        return RawFinding(
            path=site.function.module.path,
            span=site.call.span,
            message=message,
            chain=tuple(chain) if site.chain else (),
        )


def awaited_expression(expression: cst.BaseExpression, parenthesize: bool) -> cst.BaseExpression:
    node = cst.Await(expression=expression)
    if parenthesize:
        return node.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    return node


def _is_reference(node: cst.BaseExpression) -> bool:
    """A name or attribute chain (``requests.get``, ``Path(p).read_text``): passing it to
    ``to_thread`` evaluates it in the same order as calling it did."""
    while isinstance(node, (cst.Attribute, cst.Call)):
        node = node.value if isinstance(node, cst.Attribute) else node.func
    return isinstance(node, cst.Name)


def _to_thread(call: cst.Call, context: FixContext) -> Optional[cst.BaseExpression]:
    """``f(a, b=c)`` → ``await asyncio.to_thread(f, a, b=c)``, when the call is a statement of
    its own or a value whose use stays in the event loop (``x = f(a)``, ``return f(a)``)."""
    if not _is_reference(call.func):
        return None
    parent = context.parent(call)
    if isinstance(parent, (cst.WithItem, cst.Attribute, cst.Subscript)) or (
        isinstance(parent, cst.Call) and parent.func is call
    ):
        # ``with open(...)`` and ``f(...).read()``: the blocking work goes on after the call.
        return None
    runner = context.threadpool_runner()
    # The function goes first, laid out like the first argument was (same line or its own).
    layout = call.whitespace_before_args
    separator = (
        layout if isinstance(layout, cst.ParenthesizedWhitespace) else cst.SimpleWhitespace(" ")
    )
    if call.args:
        head = cst.Arg(call.func, comma=cst.Comma(whitespace_after=separator))
        args = [head, *call.args]
    else:
        args = [cst.Arg(call.func)]
    moved = cst.Call(runner, args=args, whitespace_before_args=layout)
    return awaited_expression(moved, context.needs_parentheses(call))


class BlockingSleep(BlockingCallRule):
    """## What it does
    Finds `time.sleep()` on the event loop.

    ## Why is this bad?
    `time.sleep()` stops the whole event loop: no other request of this worker makes
    progress until it returns. `await asyncio.sleep()` waits without blocking anyone.
    """

    code = "FLT101"
    name = "blocking-sleep-in-async-code"
    summary = "`time.sleep()` in code that runs on the event loop"
    kind = "sleep"
    reason = "sleeps the whole worker"
    direct_fix = "sleep"
    fix_title = "Use `await asyncio.sleep(...)`"
    fix_safety = "safe"
    valid = (
        """
import asyncio
from fastapi import FastAPI

app = FastAPI()

@app.get("/slow")
async def slow():
    await asyncio.sleep(1)
    return {"ok": True}
""",
        """
import time
from fastapi import FastAPI

app = FastAPI()

@app.get("/slow")
def slow():  # a sync route runs in the threadpool
    time.sleep(1)
    return {"ok": True}
""",
    )
    invalid = (
        Example(
            """
import time
from fastapi import FastAPI

app = FastAPI()

@app.get("/slow")
async def slow():
    time.sleep(1)
    return {"ok": True}
""",
            fixed="""
import time
from fastapi import FastAPI
import asyncio

app = FastAPI()

@app.get("/slow")
async def slow():
    await asyncio.sleep(1)
    return {"ok": True}
""",
        ),
    )


class BlockingHttpCall(BlockingCallRule):
    """## What it does
    Finds synchronous HTTP calls (`requests`, sync `httpx`, `urllib.request.urlopen`,
    `urllib3`, `http.client`) on the event loop.

    ## Why is this bad?
    A synchronous request holds the event loop for the whole round trip to the other
    service; every other request of the worker waits behind it. Use an async client that
    is created once (`httpx.AsyncClient` in the app's lifespan), or hand the call to a
    thread.
    """

    code = "FLT102"
    name = "blocking-http-call-in-async-code"
    summary = "A synchronous HTTP request in code that runs on the event loop"
    kind = "http"
    fix_title = "Run the call in a thread with `await asyncio.to_thread(...)`"
    fix_safety = "safe"
    reason = "synchronous HTTP request"
    valid = (
        """
import asyncio
import requests
from fastapi import FastAPI

app = FastAPI()

@app.get("/weather")
async def weather(city: str):
    response = await asyncio.to_thread(requests.get, f"https://wttr.in/{city}", timeout=5)
    return response.json()
""",
    )
    invalid = (
        Example(
            """
import requests
from fastapi import FastAPI

app = FastAPI()

@app.get("/weather")
async def weather(city: str):
    response = requests.get(f"https://wttr.in/{city}", timeout=5)
    return response.json()
""",
            fixed="""
import requests
from fastapi import FastAPI
import asyncio

app = FastAPI()

@app.get("/weather")
async def weather(city: str):
    response = await asyncio.to_thread(requests.get, f"https://wttr.in/{city}", timeout=5)
    return response.json()
""",
        ),
    )


class BlockingFileIO(BlockingCallRule):
    """## What it does
    Finds file I/O (`open()`, `pathlib.Path` reads and writes, `shutil` copies) on the
    event loop.

    ## Why is this bad?
    Disk access blocks the thread that does it; on a busy or networked disk that is
    milliseconds to seconds of a stopped event loop. Use `await asyncio.to_thread(...)`,
    `anyio.Path`, or `aiofiles`.
    """

    code = "FLT103"
    name = "blocking-file-io-in-async-code"
    summary = "File I/O in code that runs on the event loop"
    kind = "file"
    fix_title = "Run the call in a thread with `await asyncio.to_thread(...)`"
    fix_safety = "safe"
    reason = "file I/O"
    valid = (
        """
import asyncio
from pathlib import Path
from fastapi import FastAPI

app = FastAPI()

@app.get("/report")
async def report():
    return {"text": await asyncio.to_thread(Path("report.txt").read_text)}
""",
    )
    invalid = (
        Example(
            """
from fastapi import FastAPI

app = FastAPI()

@app.get("/report")
async def report():
    with open("report.txt") as handle:
        return {"text": handle.read()}
"""
        ),
    )


class BlockingSubprocess(BlockingCallRule):
    """## What it does
    Finds `subprocess` calls, `os.system` and `os.popen` on the event loop.

    ## Why is this bad?
    Waiting for a child process stops the event loop for as long as the process runs.
    Use `asyncio.create_subprocess_exec`, or run the call in a thread.
    """

    code = "FLT104"
    name = "blocking-subprocess-in-async-code"
    summary = "A subprocess waited for in code that runs on the event loop"
    kind = "subprocess"
    fix_title = "Run the call in a thread with `await asyncio.to_thread(...)`"
    fix_safety = "safe"
    reason = "waits for a subprocess"
    valid = (
        """
import asyncio
from fastapi import FastAPI

app = FastAPI()

@app.post("/convert")
async def convert():
    process = await asyncio.create_subprocess_exec("convert", "in.png", "out.jpg")
    await process.wait()
""",
    )
    invalid = (
        Example(
            """
import subprocess
from fastapi import FastAPI

app = FastAPI()

@app.post("/convert")
async def convert():
    subprocess.run(["convert", "in.png", "out.jpg"], check=True)
"""
        ),
    )


class BlockingNetworkCall(BlockingCallRule):
    """## What it does
    Finds blocking socket operations, DNS look-ups, `smtplib` and `ftplib` on the event loop.

    ## Why is this bad?
    These wait on the network with the event loop stopped. Use asyncio streams or an async
    client (`aiosmtplib`), or run the call in a thread.
    """

    code = "FLT105"
    name = "blocking-network-call-in-async-code"
    summary = "Blocking socket, DNS, SMTP or FTP I/O in code that runs on the event loop"
    kind = "network"
    fix_title = "Run the call in a thread with `await asyncio.to_thread(...)`"
    fix_safety = "safe"
    reason = "synchronous network I/O"
    valid = (
        """
import smtplib
from fastapi import BackgroundTasks, FastAPI

app = FastAPI()

def send_welcome(address: str) -> None:
    with smtplib.SMTP("localhost") as smtp:
        smtp.sendmail("noreply@example.com", [address], "Welcome!")

@app.post("/signup")
async def signup(address: str, tasks: BackgroundTasks):
    tasks.add_task(send_welcome, address)  # sync tasks run in the threadpool
""",
    )
    invalid = (
        Example(
            """
import smtplib
from fastapi import FastAPI

app = FastAPI()

@app.post("/signup")
async def signup(address: str):
    with smtplib.SMTP("localhost") as smtp:
        smtp.sendmail("noreply@example.com", [address], "Welcome!")
"""
        ),
    )


class BlockingDatabaseCall(BlockingCallRule):
    """## What it does
    Finds synchronous database access on the event loop: a sync SQLAlchemy or SQLModel
    `Session` (also one injected by a `get_db` dependency), `psycopg2`, `psycopg`,
    `pymysql` and `sqlite3` connections and cursors, `pymongo` and sync `redis` clients.

    ## Why is this bad?
    Each query waits for the database with the event loop stopped, so one slow query
    stalls every request of the worker. Use the async driver (`AsyncSession`, `asyncpg`,
    `motor`, `redis.asyncio`), or make the route a plain `def` so FastAPI runs it in the
    threadpool. fastlint only reports a session it knows is synchronous: one made by
    `sessionmaker()`, `Session(engine)` or annotated as `Session`, never a variable that is
    merely named `session`.
    """

    code = "FLT106"
    name = "blocking-database-call-in-async-code"
    summary = "A synchronous database call in code that runs on the event loop"
    kind = "database"
    fix_title = "Run the call in a thread with `await asyncio.to_thread(...)`"
    fix_safety = "unsafe"
    thread_fix_safety = "unsafe"
    reason = "synchronous database call"
    valid = (
        """
from fastapi import Depends, FastAPI
from sqlalchemy.orm import Session

app = FastAPI()

def get_db(): ...

@app.get("/users")
def list_users(db: Session = Depends(get_db)):  # runs in the threadpool
    return db.execute("select 1").all()
""",
    )
    invalid = (
        Example(
            """
from fastapi import Depends, FastAPI
from sqlalchemy.orm import Session

app = FastAPI()

def get_db(): ...

@app.get("/users/{user_id}")
async def read_user(user_id: int, db: Session = Depends(get_db)):
    return db.get(User, user_id)
"""
        ),
    )


class BlockingSdkCall(BlockingCallRule):
    """## What it does
    Finds calls of synchronous cloud and API SDK clients on the event loop: `boto3`
    clients and resources, the sync `openai`, `anthropic` and `stripe` clients.

    ## Why is this bad?
    Each call is an HTTP round trip made with the event loop stopped; model APIs in
    particular take seconds. Use the SDK's async client or run the call in a thread.
    Local operations such as `generate_presigned_url` are not reported.
    """

    code = "FLT107"
    name = "blocking-sdk-call-in-async-code"
    summary = "A synchronous cloud or API SDK call in code that runs on the event loop"
    kind = "sdk"
    fix_title = "Run the call in a thread with `await asyncio.to_thread(...)`"
    fix_safety = "safe"
    reason = "synchronous SDK call over the network"
    valid = (
        """
import boto3
from fastapi import FastAPI

app = FastAPI()
s3 = boto3.client("s3")

@app.get("/download/{key}")
async def download(key: str):
    url = s3.generate_presigned_url("get_object", Params={"Bucket": "b", "Key": key})
    return {"url": url}
""",
    )
    invalid = (
        Example(
            """
import boto3
from fastapi import FastAPI

app = FastAPI()
s3 = boto3.client("s3")

@app.post("/upload/{key}")
async def upload(key: str, body: bytes):
    s3.put_object(Bucket="uploads", Key=key, Body=body)
"""
        ),
    )


class CpuBoundCall(BlockingCallRule):
    """## What it does
    Finds CPU-heavy work on the event loop: password hashing and verification (passlib,
    bcrypt, argon2, `hashlib.pbkdf2_hmac`, `hashlib.scrypt`) and model inference of common
    ML libraries.

    ## Why is this bad?
    Password hashing is slow on purpose: 100 ms or more of CPU during which the event loop
    serves nobody. A login endpoint under load then stalls every other route. Run it in a
    thread with `await asyncio.to_thread(...)` or `run_in_threadpool(...)`. These are kept
    under one code so that projects that accept the cost can ignore them together.
    """

    code = "FLT108"
    name = "cpu-bound-call-in-async-code"
    summary = "CPU-bound work (password hashing, model inference) on the event loop"
    kind = "cpu"
    fix_title = "Run the call in a thread with `await asyncio.to_thread(...)`"
    fix_safety = "safe"
    reason = "CPU-bound work"
    valid = (
        """
from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from passlib.context import CryptContext

app = FastAPI()
pwd_context = CryptContext(schemes=["bcrypt"])

@app.post("/login")
async def login(password: str, hashed: str):
    return {"ok": await run_in_threadpool(pwd_context.verify, password, hashed)}
""",
    )
    invalid = (
        Example(
            """
from fastapi import FastAPI
from passlib.context import CryptContext

app = FastAPI()
pwd_context = CryptContext(schemes=["bcrypt"])

@app.post("/login")
async def login(password: str, hashed: str):
    return {"ok": pwd_context.verify(password, hashed)}
"""
        ),
    )


class BlockingCustomCall(BlockingCallRule):
    """## What it does
    Finds calls that the project's own catalog entries (with `kind = "custom"`, the
    default) declare as blocking, on the event loop.

    ## Why is this bad?
    Whatever the project declared: a blocking call holds the event loop and every other
    request of the worker waits behind it.
    """

    code = "FLT109"
    name = "blocking-call-in-async-code"
    summary = "A call the project's catalog declares blocking, on the event loop"
    kind = "custom"
    fix_title = "Run the call in a thread with `await asyncio.to_thread(...)`"
    fix_safety = "unsafe"
    thread_fix_safety = "unsafe"
    reason = "declared blocking in the project's catalog"


BLOCKING_RULES: tuple[type[BlockingCallRule], ...] = (
    BlockingSleep,
    BlockingHttpCall,
    BlockingFileIO,
    BlockingSubprocess,
    BlockingNetworkCall,
    BlockingDatabaseCall,
    BlockingSdkCall,
    CpuBoundCall,
    BlockingCustomCall,
)
