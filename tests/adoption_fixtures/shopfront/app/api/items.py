from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from app.deps import get_db
from app.models import Item
from app.services.pricing import convert_price, exchange_rate

router = APIRouter()


@router.get("/")
def list_items(db: Session = Depends(get_db)):
    return db.query(Item).all()


@router.get("/{item_id}")
async def read_item(item_id: int, db=Depends(get_db)):
    price = convert_price(10.0)
    return {"id": item_id, "price": price}


@router.get("/{item_id}/rate")
async def item_rate(item_id: int):
    return {"rate": exchange_rate("EUR")}


@router.post("/{item_id}/refresh", status_code=202)
async def refresh(item_id: int):
    return {"queued": item_id}
