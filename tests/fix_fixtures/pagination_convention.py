"""The module pages with offset/limit: the fix follows it."""

from fastapi import Depends, FastAPI, Query
from sqlalchemy.orm import Session

from .models import Item, User

app = FastAPI()


def get_db(): ...


@app.get("/users")
def list_users(
    offset: int = 0, limit: int = Query(50, le=200), db: Session = Depends(get_db)
):
    return db.query(User).offset(offset).limit(limit).all()


@app.get("/items")
def list_items(db: Session = Depends(get_db)):
    return db.query(Item).all()


@app.get("/zones/{offset}/items")
def zone_items(offset: str, db: Session = Depends(get_db)):
    # `offset` is a time zone (a path parameter): the fix falls back to skip/limit.
    return [{"id": item.id, "zone": offset} for item in db.query(Item).all()]
