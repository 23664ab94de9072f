import requests

from app.config import WEATHER_API


def get_forecast(city: str) -> dict:
    response = requests.get(f"{WEATHER_API}/{city}", params={"format": "j1"}, timeout=5)
    response.raise_for_status()
    return response.json()["current_condition"][0]


def get_alerts(city: str) -> list[dict]:
    response = requests.get(f"{WEATHER_API}/{city}/alerts")  # FLT505: no timeout
    response.raise_for_status()
    return response.json()["alerts"]
