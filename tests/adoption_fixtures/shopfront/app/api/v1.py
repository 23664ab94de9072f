from fastapi import APIRouter

from app.api import items, users

api_router = APIRouter(prefix="/v1")
api_router.include_router(items.router, prefix="/items", tags=["items"])
api_router.include_router(users.router)
