"""Where the new parameters go: after path parameters, in a keyword-only section, before
**kwargs; a signature without a trailing comma; a def line that would grow too long."""

from fastapi import Query, Depends, FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import Item

app = FastAPI()


def get_db(): ...


@app.get("/shops/{shop}/catalogue/{section}")
def catalogue(
    shop: str,
    section: str,
    *,
    db: Session = Depends(get_db),
    skip: int = 0,
    limit: int = Query(100, le=1000),
):
    # Path parameters that filter nothing: the whole table, so FLT401.
    return db.scalars(select(Item).offset(skip).limit(limit)).all()


@app.get("/keyword-only")
def keyword_only(
    *,
    db: Session = Depends(get_db),
    verbose: bool = False,
    skip: int = 0,
    limit: int = Query(100, le=1000),
):
    return db.query(Item).offset(skip).limit(limit).all()


@app.get("/no-trailing-comma")
def no_trailing_comma(
    verbose: bool,
    db: Session = Depends(get_db),
    skip: int = 0,
    limit: int = Query(100, le=1000)
):
    return db.query(Item).offset(skip).limit(limit).all()


@app.get("/options/{kind}")
def with_options(
    kind: str,
    *,
    db: Session = Depends(get_db),  # the session
    verbose: bool = False,
    skip: int = 0,
    limit: int = Query(100, le=1000),
):
    return db.query(Item).order_by(Item.id).offset(skip).limit(limit).all()


@app.get("/extra")
def with_kwargs(
    db: Session = Depends(get_db),
    skip: int = 0,
    limit: int = Query(100, le=1000),
    **extra,
):
    return list(db.query(Item).offset(skip).limit(limit))
