"""A module that declares parameters with Annotated: the fix does too."""

from typing import Annotated

from fastapi import Query, Depends, FastAPI, Path
from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import Item, Tag

app = FastAPI()


def get_db(): ...


DbSession = Annotated[Session, Depends(get_db)]


@app.get("/items/{item_id}")
def read_item(item_id: Annotated[int, Path(ge=1)], db: DbSession):
    return db.get(Item, item_id)


@app.get("/tags")
def list_tags(
    db: DbSession,
    skip: int = 0,
    limit: Annotated[int, Query(le=1000)] = 100,
):
    return db.scalars(select(Tag).order_by(Tag.name).offset(skip).limit(limit)).all()
