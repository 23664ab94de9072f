import csv
import subprocess
from datetime import datetime, timezone

from fastapi import APIRouter, Depends
from fastapi.responses import FileResponse

from app.config import DATABASE_URL
from app.routers.items import items_db
from app.services.auth import require_admin

router = APIRouter(prefix="/admin", tags=["admin"], dependencies=[Depends(require_admin)])


@router.post("/backup")
async def backup_database():
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
    target = f"/var/backups/shop/{stamp}.dump"
    # FLT104: pg_dump runs for minutes with the event loop waiting on it.
    subprocess.run(["pg_dump", "--format=custom", f"--file={target}", DATABASE_URL], check=True)
    return {"file": target}


@router.get("/drafts.csv")
async def export_drafts():
    path = "/tmp/drafts.csv"
    with open(path, "w", newline="") as handle:  # FLT103
        writer = csv.DictWriter(handle, fieldnames=["id", "sku", "name", "price_eur"])
        writer.writeheader()
        for draft_id, draft in items_db.items():
            writer.writerow({"id": draft_id, **draft})
    return FileResponse(path, media_type="text/csv")
