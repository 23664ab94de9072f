from decimal import Decimal

import requests
from fastapi import APIRouter, Depends, HTTPException, Query, UploadFile
from sqlalchemy.orm import Session, selectinload

from app.config import MEDIA_BUCKET, SUPPLIER_API
from app.db import get_db
from app.errors import OutOfStockError
from app.models import Item
from app.schemas import ItemIn, ItemOut, PricedItem
from app.services import storage
from app.services.pricing import convert_price
from app.services.shipping import shipping_quote

router = APIRouter(prefix="/items", tags=["items"])

# FLT201: per-process state, changed by create_draft() and delete_draft(). Each worker has
# its own copy, so a draft created on one worker is missing on the others and is lost on
# restart.
items_db: dict[int, dict] = {}


@router.get("/", response_model=list[ItemOut])
def list_items(db: Session = Depends(get_db)):
    # OK: a sync `def` route runs in the threadpool, so the query does not block the loop.
    # FLT401 (on the decorator): returns the whole table: no limit/offset, no pagination.
    return db.query(Item).all()


@router.get("/with-owners")
def list_items_with_owners(
    offset: int = 0, limit: int = Query(50, le=200), db: Session = Depends(get_db)
):
    # OK: paginated, with an upper bound on `limit`.
    items = db.query(Item).order_by(Item.id).offset(offset).limit(limit).all()
    # FLT502: Item.owner is a lazy relationship: one more query per item (N+1).
    return [{"sku": item.sku, "owner": item.owner.email} for item in items]


@router.get("/with-owners/eager")
def list_items_with_owners_eager(
    offset: int = 0, limit: int = Query(50, le=200), db: Session = Depends(get_db)
):
    # OK: selectinload() fetches the owners of the whole page in one more query.
    query = db.query(Item).options(selectinload(Item.owner)).order_by(Item.id)
    items = query.offset(offset).limit(limit).all()
    return [{"sku": item.sku, "owner": item.owner.email} for item in items]


@router.get("/{item_id}", response_model=PricedItem)
async def read_item(item_id: int, currency: str = "EUR", db: Session = Depends(get_db)):
    item = db.get(Item, item_id)  # FLT106: sync Session in an async route
    if item is None:
        raise HTTPException(404, "item not found")
    # FLT102: convert_price() → get_exchange_rate() → requests.get(), in another module
    price = convert_price(item.price_eur, currency)
    return PricedItem(**ItemOut.model_validate(item).model_dump(), currency=currency, price=price)


@router.get("/{sku}/stock")
async def check_stock(sku: str):
    response = requests.get(f"{SUPPLIER_API}/stock/{sku}", timeout=5)  # FLT102
    response.raise_for_status()
    available = response.json()["available"]
    if available == 0:
        raise OutOfStockError(sku)
    return {"sku": sku, "available": available}


@router.get("/{sku}/shipping")
async def shipping(sku: str, country: str) -> dict[str, Decimal]:
    # Awaited, so not blocking; but shipping_quote() builds a client per request (FLT303).
    return {"price": await shipping_quote(sku, country)}


@router.put("/{sku}/image")
async def upload_image(sku: str, image: UploadFile):
    key = f"items/{sku}/{image.filename}"
    body = await image.read()
    storage.s3.put_object(Bucket=MEDIA_BUCKET, Key=key, Body=body, ContentType=image.content_type)  # FLT107
    # OK: generate_presigned_url() signs locally, no request to S3.
    return {"key": key, "url": storage.image_url(key)}


@router.post("/drafts", status_code=201)
async def create_draft(draft: ItemIn):
    draft_id = len(items_db) + 1
    items_db[draft_id] = draft.model_dump()  # FLT201, reported at items_db
    return {"id": draft_id, **items_db[draft_id]}


@router.delete("/drafts/{draft_id}", status_code=204)
async def delete_draft(draft_id: int):
    items_db.pop(draft_id, None)  # FLT201, reported at items_db
