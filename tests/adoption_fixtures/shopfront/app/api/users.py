import time

from fastapi import APIRouter, Depends

from app.deps import current_user

router = APIRouter(prefix="/users", dependencies=[Depends(current_user)])


@router.get("/me")
async def read_me(user: dict = Depends(current_user)):
    time.sleep(0.1)
    return user


@router.api_route("/me/settings", methods=["GET", "PUT"])
def settings(user: dict = Depends(current_user)):
    return {}
