import asyncio

from fastapi import APIRouter

from app.services.weather import get_forecast

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
