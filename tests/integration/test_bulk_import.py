"""The bulk-import CLI on the real store: valid rows in, rejected rows reported, resumable."""

import asyncio
import csv
import os
import signal
import subprocess
from pathlib import Path

import pytest
from pymongo import AsyncMongoClient

from tests.support.casegen import write_file
from tests.support.stack import BIN, MONGO, Services

pytestmark = pytest.mark.real


def import_env(services: Services) -> dict[str, str]:
    return {**os.environ, **services.env_for("intake", 0)}


async def case_ids(services: Services) -> list[str]:
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(MONGO)
    ids = [
        str(d["_id"])
        async for d in client[f"{services.namespace}_intake"]["cases"].find(
            {"channel": {"$exists": True}, "source_ref": None}, {"_id": 1, "description": 1}
        )
    ]
    await client.close()
    return ids


async def test_import_reports_rejections_and_resumes_after_an_interruption(
    services: Services, tmp_path: Path
) -> None:
    path = tmp_path / "letters.csv"
    rows = 1500
    valid = await asyncio.to_thread(write_file, path, rows, 0.05, 11)
    before = len(await case_ids(services))
    command = [str(BIN / "concord-intake-import"), str(path), "--batch-size", "100"]
    progress = path.with_name(path.name + ".progress")

    # Interrupt the first run once some batches are stored.
    first = await asyncio.create_subprocess_exec(
        *command, env=import_env(services), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    for _ in range(600):
        if progress.exists() and '"rows_done": 0' not in progress.read_text():
            break
        await asyncio.sleep(0.05)
    first.send_signal(signal.SIGKILL)
    await first.wait()
    interrupted_at = progress.read_text()
    assert '"rows_done": 1500' not in interrupted_at

    second = await asyncio.to_thread(
        subprocess.run, command, env=import_env(services), capture_output=True, text=True
    )
    assert second.returncode == 0, second.stdout + second.stderr
    assert "importing" in second.stderr  # the progress bar ran

    imported = len(await case_ids(services)) - before
    assert imported == valid  # every valid row once: none lost, none twice
    with path.with_name(path.name + ".rejected.csv").open(encoding="utf-8") as handle:
        rejected = list(csv.DictReader(handle))
    assert len({r["row"] for r in rejected}) == rows - valid
    assert {r["field"] for r in rejected} <= {
        "parties.0.phone",
        "category",
        "location.area_code",
        "description",
    }

    # Running the finished file again changes nothing.
    third = await asyncio.to_thread(
        subprocess.run, command, env=import_env(services), capture_output=True, text=True
    )
    assert third.returncode == 0
    assert len(await case_ids(services)) - before == valid
