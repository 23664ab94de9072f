from fastapi import Depends, FastAPI

from app.api.v1 import api_router
from app.deps import audit
from app.ws import router as ws_router

app = FastAPI(dependencies=[Depends(audit)])
app.include_router(api_router, prefix="/api")
app.include_router(ws_router)


@app.get("/health")
async def health():
    return {"ok": True}
