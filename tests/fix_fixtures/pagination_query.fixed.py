"""List routes over SQLAlchemy queries, in SQLite in memory, paged by the unsafe fix."""

from fastapi import Depends, FastAPI
from pydantic import BaseModel, ConfigDict
from sqlalchemy import create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.pool import StaticPool

engine = create_engine(
    "sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool
)
SessionLocal = sessionmaker(bind=engine)


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "items"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str]
    active: Mapped[bool] = mapped_column(default=True)


class ItemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str


Base.metadata.create_all(engine)
with SessionLocal() as setup:
    setup.add_all([Item(name="plum"), Item(name="apple"), Item(name="pear")])
    setup.commit()


def get_db():
    with SessionLocal() as db:
        yield db


app = FastAPI()


@app.get("/items", response_model=list[ItemOut])
def list_items(db: Session = Depends(get_db)):
    # SQLAlchemy 1.x: the query gets .offset(skip).limit(limit) before .all().
    return db.query(Item).filter(Item.active).order_by(Item.id).all()


@app.get("/names")
def list_names(
    db: Session = Depends(get_db),  # one parameter per line, with a trailing comma
):
    # SQLAlchemy 2.0: the statement given to execute() is paged.
    statement = select(Item).where(Item.active)
    statement = statement.order_by(Item.name)
    result = db.execute(statement)
    return [item.name for item in result.scalars().all()]


@app.get("/items/chained", response_model=list[ItemOut])
def chained(db: Session = Depends(get_db)):
    # A chain written one call per line keeps that layout.
    return (
        db.query(Item)
        .filter(Item.active)
        .order_by(Item.id.desc())
        .all()
    )


@app.get("/items/scalars", response_model=list[ItemOut])
def with_scalars(db: Session = Depends(get_db)) -> list[Item]:
    items = db.scalars(select(Item).order_by(Item.id)).all()
    return items
