"""The dead-letter CLI lists, shows and replays letters on the real broker; replay is safe."""

import asyncio
import json
import os
import subprocess

import pytest
from concord_shared.topics import INTAKE_SUBMISSIONS

from tests.support.kafka import dead_letters_for, send
from tests.support.stack import BIN, KAFKA, Services

pytestmark = pytest.mark.real


async def dlq(*args: str, namespace: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "CONCORD_KAFKA_BOOTSTRAP_SERVERS": KAFKA,
        "CONCORD_TOPIC_NAMESPACE": namespace,
    }
    return await asyncio.to_thread(
        subprocess.run, [str(BIN / "concord-dlq"), *args], env=env, capture_output=True, text=True
    )


async def test_list_show_and_replay_a_dead_letter(services: Services) -> None:
    ns = services.namespace
    poison = b'{"type": "SubmitCase", "payload": {"source_system": "x"}}'
    await send(INTAKE_SUBMISSIONS.full_name(ns), [poison], key=b"cli-test")
    letter = (await dead_letters_for(ns, "intake", [poison]))[poison]
    listed = await dlq("list", "intake", namespace=ns)
    assert listed.returncode == 0 and "invalid" in listed.stdout

    # Find its offset, show it, replay it: the same bytes are refused the same way again.
    offsets = [
        line.split("│")[1].strip()
        for line in listed.stdout.splitlines()
        if "invalid" in line and "│" in line
    ]
    shown = await dlq("show", "intake", offsets[-1], namespace=ns)
    assert shown.returncode == 0
    assert json.loads(shown.stdout.split("original bytes:")[0])["reason"] == letter["reason"]
    before = (await dlq("list", "intake", namespace=ns)).stdout.count("invalid")
    replayed = await dlq("replay", "intake", offsets[-1], namespace=ns)
    assert replayed.returncode == 0 and "replayed 1" in replayed.stdout
    for _ in range(40):
        after = (await dlq("list", "intake", namespace=ns)).stdout.count("invalid")
        if after > before:
            break
        await asyncio.sleep(0.5)
    assert after == before + 1

    assert (await dlq("replay", "intake", namespace=ns)).returncode == 2  # no OFFSET, no --all
