"""SQLModel's session.exec(select(...)) and SQLAlchemy's async session, paged by the fix."""

from typing import Optional

from fastapi import Query, Depends, FastAPI
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, Session, SQLModel, select

app = FastAPI()


class Hero(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    name: str
    age: Optional[int] = None


def get_session(): ...


async def get_async_session(): ...


@app.get("/heroes", response_model=list[Hero])
def read_heroes(
    session: Session = Depends(get_session),
    skip: int = 0,
    limit: int = Query(100, le=1000),
):
    heroes = session.exec(select(Hero).where(Hero.age > 18).offset(skip).limit(limit)).all()
    return heroes


@app.get("/heroes/names")
async def hero_names(
    session: AsyncSession = Depends(get_async_session),
    skip: int = 0,
    limit: int = Query(100, le=1000),
):
    result = await session.execute(select(Hero.name).order_by(Hero.name).offset(skip).limit(limit))
    return [name for name in result.scalars().all()]


@app.get("/heroes/awaited")
async def heroes_awaited(
    session: AsyncSession = Depends(get_async_session),
    skip: int = 0,
    limit: int = Query(100, le=1000),
):
    return (await session.scalars(select(Hero).offset(skip).limit(limit))).all()
