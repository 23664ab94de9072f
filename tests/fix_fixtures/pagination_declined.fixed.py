"""FLT401 findings with no fix: the fix would be incomplete or change more than paging."""

import functools

from fastapi import Depends, FastAPI
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .models import Item

app = FastAPI()


def get_db(): ...


def all_items(db: Session):
    return db.query(Item).all()


@app.get("/helper")
def from_helper(db: Session = Depends(get_db)):
    # The query is in a helper: the route cannot take the parameters to it by itself.
    return all_items(db)


@app.get("/two-queries")
def two_queries(db: Session = Depends(get_db)):
    # A second query (a count): which one to page is not for the fix to decide.
    total = db.scalar(select(func.count()).select_from(Item))
    items = db.query(Item).all()
    return items if total else []


@app.get("/skip-taken")
def skip_taken(skip: bool = False, db: Session = Depends(get_db)):
    # `skip` already means something else, and the module has no other convention.
    return db.query(Item).all()


@app.get("/skip-local")
def skip_local(db: Session = Depends(get_db)):
    limit = 10  # a local of the same name
    print(limit)
    return db.query(Item).all()


@app.get("/wrapped")
def wrapped(db: Session = Depends(get_db)):
    # The other fields would describe a page, not the table.
    rows = db.query(Item).all()
    return {"items": rows, "count": len(rows)}


@app.get("/sorted")
def sorted_in_python(db: Session = Depends(get_db)):
    # Sorted after the query: a page of it is not the sorted page of the table.
    return sorted(db.query(Item).all(), key=lambda item: item.name)


def cached(function):
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        return function(*args, **kwargs)

    return wrapper


@app.get("/decorated")
@cached
def decorated(db: Session = Depends(get_db)):
    # Another decorator may hide the new parameters from FastAPI.
    return db.query(Item).all()


@app.get("/called")
def called(db: Session = Depends(get_db)):
    return db.query(Item).all()


@app.get("/caller")
def caller(db: Session = Depends(get_db)):
    # Calls the route above directly, which would then get Query(...) objects as defaults.
    return called(db)


@app.get("/already-offset")
def already_offset(db: Session = Depends(get_db)):
    return db.query(Item).offset(10).all()


class Views:
    @staticmethod
    @app.get("/method")
    def method(db: Session = Depends(get_db)):
        return db.query(Item).all()
