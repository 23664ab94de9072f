"""The module already imports Query (under another name): the fix writes it so."""

from fastapi import Depends, FastAPI
from fastapi import Query as Q
from sqlalchemy.orm import Session

from .models import Item

app = FastAPI()


def get_db(): ...


@app.get("/search")
def search(term: str = Q(..., min_length=2), db: Session = Depends(get_db)):
    return db.query(Item).filter(Item.name.contains(term)).all()
