from contextlib import asynccontextmanager

import httpx
from fastapi import Request, FastAPI


def answer(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"path": request.url.path, "agent": "mock"})


TRANSPORT = httpx.MockTransport(answer)
BASE_URL = "https://api.example.com"


@asynccontextmanager
async def lifespan(app: FastAPI):
    app.state.started = True
    async with httpx.AsyncClient(transport=TRANSPORT, base_url=BASE_URL) as client:
        app.state.client = client
        async with httpx.AsyncClient(transport=TRANSPORT, timeout=5.0) as client_2:
            app.state.client_2 = client_2
            yield
    app.state.started = False


app = FastAPI(lifespan=lifespan)


@app.get("/quote")
async def quote(request: Request):
    # A client per request, with module-level configuration: moved to the lifespan.
    client = request.app.state.client
    response = await client.get("/quote")
    return response.json()


@app.get("/items/{item}")
async def item(item: int, verbose: bool = False, *, request: Request):
    client = request.app.state.client_2
    response = await client.get(f"https://api.example.com/items/{item}")
    return {"item": item, "verbose": verbose, "upstream": response.json()}


@app.get("/token")
async def with_token(token: str = "t"):
    # Configured from the request: it cannot be made once, so no fix.
    async with httpx.AsyncClient(transport=TRANSPORT, headers={"x-token": token}) as client:
        return (await client.get("https://api.example.com/token")).json()


@app.get("/closed")
async def closed():
    # Closes the client itself: sharing it would close it for everyone, so no fix.
    async with httpx.AsyncClient(transport=TRANSPORT) as client:
        response = await client.get("https://api.example.com/closed")
        await client.aclose()
    return response.json()


async def fetch(path: str):
    async with httpx.AsyncClient(transport=TRANSPORT) as client:
        return (await client.get(f"https://api.example.com{path}")).json()


@app.get("/helper")
async def helper():
    # The client is made in a helper, not in the route: no fix.
    return await fetch("/helper")
