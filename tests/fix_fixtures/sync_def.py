import time

from fastapi import FastAPI

app = FastAPI()


def slow_square(number: int) -> int:
    time.sleep(0.001)
    return number * number


@app.get("/square/{number}")
async def square(number: int):
    return {"square": slow_square(number)}


async def awaited_elsewhere(number: int):
    return slow_square(number)


@app.get("/cube/{number}")
async def cube(number: int):
    # Awaited by project code: turning it into a plain def would break this caller.
    return {"cube": number * await awaited_elsewhere(number)}
