"""A module that writes fastapi.Depends, and whose Query is SQLAlchemy's: fastapi.Query."""

import fastapi
from sqlalchemy.orm import Query, Session

from .models import Item

router = fastapi.APIRouter()


def get_db(): ...


def active(query: Query) -> Query:
    return query.filter(Item.active)


@router.get("/items")
def items(db: Session = fastapi.Depends(get_db)):
    return db.query(Item).all()
