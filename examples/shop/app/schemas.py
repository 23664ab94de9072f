from decimal import Decimal

from pydantic import BaseModel, EmailStr


class ItemIn(BaseModel):
    sku: str
    name: str
    price_eur: Decimal


class ItemOut(ItemIn):
    id: int
    image_key: str | None = None

    model_config = {"from_attributes": True}


class PricedItem(ItemOut):
    currency: str
    price: Decimal


class UserIn(BaseModel):
    email: EmailStr
    password: str


class UserOut(BaseModel):
    id: int
    email: EmailStr

    model_config = {"from_attributes": True}


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
