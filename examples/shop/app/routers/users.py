import time

from fastapi import APIRouter, BackgroundTasks, Depends, HTTPException, status
from fastapi.security import OAuth2PasswordRequestForm
from sqlalchemy.orm import Session

from app.db import get_db
from app.models import Item, User
from app.schemas import ItemOut, Token, UserIn, UserOut
from app.services.auth import authenticate_user, create_access_token, get_current_user, hash_password
from app.services.mail import send_email, send_welcome_email

router = APIRouter(prefix="/users", tags=["users"])


@router.get("/", response_model=list[UserOut])
def list_users(skip: int = 0, limit: int = 50, db: Session = Depends(get_db)):
    # OK: sync route, runs in the threadpool; and it is paginated.
    # FLT501 (on `limit`): but with no upper bound: `?limit=10000000` returns every user.
    return db.query(User).order_by(User.id).offset(skip).limit(limit).all()


@router.get("/me/items", response_model=list[ItemOut])
def my_items(user: User = Depends(get_current_user), db: Session = Depends(get_db)):
    # FLT402 (on the decorator): every item of the current user, unpaginated. A collection
    # scoped to a parent or the user is often small, hence a code of its own.
    return db.query(Item).filter(Item.owner_id == user.id).all()


@router.post("/", response_model=UserOut, status_code=201)
def register(payload: UserIn, tasks: BackgroundTasks, db: Session = Depends(get_db)):
    # OK: a sync route may hash, query and commit; FastAPI runs it in the threadpool.
    user = User(email=payload.email, hashed_password=hash_password(payload.password))
    db.add(user)
    db.commit()
    db.refresh(user)
    # OK: a sync function given to add_task runs in the threadpool after the response.
    tasks.add_task(send_welcome_email, user.email)
    return user


@router.post("/login", response_model=Token)
async def login(form: OAuth2PasswordRequestForm = Depends(), db: Session = Depends(get_db)):
    # FLT106 and FLT108: authenticate_user() in services/auth.py queries the sync
    # Session and runs bcrypt's verify on the event loop.
    user = authenticate_user(db, form.username, form.password)
    if user is None:
        time.sleep(1)  # FLT101: meant to slow down password guessing; stalls every request
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong email or password")
    return Token(access_token=create_access_token(user.id))


@router.get("/me", response_model=UserOut)
async def read_me(user: User = Depends(get_current_user)):
    # OK: get_current_user() is a sync dependency, run in the threadpool.
    return user


@router.post("/me/contact", status_code=202)
async def contact_support(message: str, user: User = Depends(get_current_user)):
    send_email("support@example.com", f"Message from {user.email}", message)  # FLT105 via mail.py
    return {"queued": True}
