from decimal import Decimal

import httpx

from app.config import SHIPPING_API


async def shipping_quote(sku: str, country: str) -> Decimal:
    # FLT303: a new AsyncClient (and connection pool) per request; create one client in the
    # app's lifespan and share it. Not FLT1xx: nothing here blocks.
    async with httpx.AsyncClient(base_url=SHIPPING_API, timeout=5) as client:
        response = await client.get("/quote", params={"sku": sku, "country": country})
        response.raise_for_status()
        return Decimal(str(response.json()["price"]))
