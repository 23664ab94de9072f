from collections.abc import Iterator

from sqlalchemy import create_engine
from sqlalchemy.orm import Session, sessionmaker

from app.config import DATABASE_URL

# A synchronous engine: every query made through it blocks the calling thread.
engine = create_engine(DATABASE_URL, pool_pre_ping=True)
SessionLocal = sessionmaker(bind=engine, autoflush=False, expire_on_commit=False)


def get_db() -> Iterator[Session]:
    # OK: one engine and one session factory per worker (above); a session per request.
    db = SessionLocal()
    try:
        yield db
    finally:
        db.close()
