import subprocess
import time
from pathlib import Path

import requests
from fastapi import FastAPI

app = FastAPI()
DATA = Path(__file__).with_name("data.txt")


@app.get("/sleep")
async def nap(seconds: float = 0):
    time.sleep(seconds)  # the comment stays
    return {"slept": seconds}


@app.get("/read")
async def read():
    text = DATA.read_text(encoding="utf-8")
    return {"text": text}


@app.get("/echo")
async def echo(word: str = "hi"):
    result = subprocess.run(
        ["echo", word],
        capture_output=True,
        text=True,
    )
    return {"out": result.stdout}


@app.get("/status")
async def status(url: str):
    return {"code": requests.get(url, timeout=5).status_code}


@app.get("/suppressed")
async def suppressed():
    time.sleep(0)  # noqa: FLT101
    return {}


@app.get("/chained")
async def chained():
    with open(DATA) as handle:
        return {"text": handle.read()}
