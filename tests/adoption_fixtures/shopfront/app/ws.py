from fastapi import APIRouter, WebSocket

router = APIRouter()


@router.websocket("/ws/prices")
async def prices(websocket: WebSocket):
    await websocket.accept()
