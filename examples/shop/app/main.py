import time
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from app.config import MAINTENANCE_FLAG
from app.errors import OutOfStockError
from app.routers import admin, items, stores, users

# FLT503: the app serves lists but compresses no response (no GZipMiddleware).
app = FastAPI(title="Shop API")
requests_served = 0  # FLT202: a counter rebound by maintenance_mode(), per worker
app.include_router(items.router)
app.include_router(users.router)
app.include_router(admin.router)
app.include_router(stores.router)


@app.middleware("http")
async def maintenance_mode(request: Request, call_next):
    global requests_served
    flag = Path(MAINTENANCE_FLAG)
    if flag.exists():
        # FLT103: a file read on every request, on the event loop.
        return JSONResponse({"detail": flag.read_text().strip()}, status_code=503)
    requests_served += 1
    started = time.perf_counter()
    response = await call_next(request)
    response.headers["X-Process-Time"] = f"{time.perf_counter() - started:.4f}"
    response.headers["X-Requests-Served"] = str(requests_served)
    return response


@app.exception_handler(OutOfStockError)
async def out_of_stock_handler(request: Request, exc: OutOfStockError):
    return JSONResponse({"detail": str(exc), "sku": exc.sku}, status_code=409)


@app.get("/health")
async def health():
    return {"status": "ok"}
