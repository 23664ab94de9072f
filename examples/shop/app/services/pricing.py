from decimal import Decimal

import requests

from app.config import EXCHANGE_API


def get_exchange_rate(currency: str) -> Decimal:
    # A synchronous HTTP call: fine in a thread, a stall on the event loop.
    response = requests.get(f"{EXCHANGE_API}/latest", params={"base": "EUR", "symbols": currency}, timeout=5)
    response.raise_for_status()
    return Decimal(str(response.json()["rates"][currency]))


def convert_price(price_eur: Decimal, currency: str) -> Decimal:
    if currency == "EUR":
        return price_eur
    return (price_eur * get_exchange_rate(currency)).quantize(Decimal("0.01"))
