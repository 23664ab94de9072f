import asyncio

from fastapi import APIRouter
from pydantic import BaseModel

from app.services.weather import get_alerts, get_forecast

router = APIRouter(prefix="/stores", tags=["stores"])


@router.get("/{city}/weather")
async def store_weather(city: str):
    # OK: get_forecast() uses requests, but it is handed to a worker thread.
    forecast = await asyncio.to_thread(get_forecast, city)
    return {"city": city, "temp_c": forecast["temp_C"], "description": forecast["weatherDesc"][0]["value"]}


@router.get("/{city}/weather/sync")
def store_weather_sync(city: str):
    # OK: a sync route; the blocking request runs in the threadpool.
    forecast = get_forecast(city)
    return {"city": city, "temp_c": forecast["temp_C"]}


class Cities(BaseModel):
    names: list[str]


@router.post("/weather")
async def weather_for_cities(cities: Cities):
    # FLT504: one thread and one request to the weather API per city the client sends, all
    # at once. Bound the list (Field(max_length=...)) or use an asyncio.Semaphore.
    forecasts = await asyncio.gather(*[asyncio.to_thread(get_forecast, c) for c in cities.names])
    return dict(zip(cities.names, forecasts))


@router.get("/{city}/alerts")
def store_alerts(city: str):
    # FLT505 (in get_alerts()): no timeout on the request to the weather API.
    return get_alerts(city)
