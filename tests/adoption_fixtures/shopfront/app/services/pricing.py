import requests


def exchange_rate(currency: str) -> float:
    return requests.get(f"https://rates.example/{currency}", timeout=5).json()["rate"]


def convert_price(amount: float) -> float:
    return amount * exchange_rate("EUR")
