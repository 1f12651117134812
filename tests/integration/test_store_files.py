"""The local store's and broker's data files are their owner's only (issue 13, point 3).

After the services wrote a case, every file under FerretDB's data folder and Kafka's log
directory is mode 0600 or tighter and every folder 0700: the SQLite files and the log segments
hold names, phones and identity numbers. deploy/local/stack.sh starts both with umask 077.
"""

import os
import stat
from pathlib import Path

import httpx
import pytest

from tests.support.cases import neighbour_dispute
from tests.support.stack import AUTH, Services, port_open
from tests.support.wait import eventually

pytestmark = pytest.mark.real
STATE = Path(os.environ.get("CONCORD_STATE") or Path.home() / ".local/state/concord")
STACK_SH = Path(__file__).resolve().parents[2] / "deploy" / "local" / "stack.sh"
FOLDERS = {"ferretdb": STATE / "ferretdb-data", "kafka": STATE / "kafka-data"}


def loose(root: Path) -> list[str]:
    """Paths under root (root included) that its group or others may read, write or enter."""
    found = []
    for path in [root, *root.rglob("*")]:
        try:
            mode = path.lstat().st_mode
        except FileNotFoundError:  # a segment or journal removed meanwhile
            continue
        if stat.S_ISLNK(mode):
            continue
        if stat.S_IMODE(mode) & 0o077:
            found.append(f"{path.relative_to(root.parent)} {stat.filemode(mode)}")
    return found


def process_of(name: str) -> int | None:
    try:
        pid = int((STATE / "pids" / f"{name}.pid").read_text())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def umask_of(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Umask:"):
            return int(line.split()[1], 8)
    raise AssertionError(f"no Umask in /proc/{pid}/status")


def started_at(pid: int) -> float:
    """The process's start, as a Unix time."""
    ticks = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
    boot = next(
        float(line.split()[1])
        for line in Path("/proc/stat").read_text().splitlines()
        if line.startswith("btime")
    )
    return boot + ticks / os.sysconf("SC_CLK_TCK")


def started_by_this_stack_sh(name: str) -> int:
    """The pid of the stack's process; skips when it is not stack.sh's or predates its umask
    (a broker of a shared machine is not restarted for this test)."""
    pid = process_of(name)
    if pid is None:
        pytest.skip(f"{name} is not running from deploy/local/stack.sh on this machine")
    if umask_of(pid) != 0o077 and started_at(pid) < STACK_SH.stat().st_mtime:
        pytest.skip(
            f"{name} (pid {pid}) was started before deploy/local/stack.sh set umask 077; "
            f"restart it with stack.sh to check its files"
        )
    return pid


@pytest.fixture(scope="module")
async def written(services: Services) -> str:
    """A case the services have stored and passed on: intake wrote its database, the case's
    events went through the topics' segments, and routing wrote its own database."""
    async with httpx.AsyncClient(timeout=10, headers=AUTH) as http:
        response = await http.post(f"{services['intake'].url}/cases", json=neighbour_dispute())
        assert response.status_code == 201, response.text
    routing_db = FOLDERS["ferretdb"] / f"{services.namespace}_routing.sqlite"

    async def routed() -> bool | None:
        return True if routing_db.exists() else None

    await eventually(routed)
    return services.namespace


@pytest.mark.parametrize("name", ["ferretdb", "kafka"])
async def test_data_files_are_their_owners_only(written: str, name: str) -> None:
    assert port_open(27017) and port_open(9092)
    pid = started_by_this_stack_sh(name)
    assert umask_of(pid) == 0o077, f"{name} runs with umask {umask_of(pid):04o}, not 0077"
    folder = FOLDERS[name]
    # The session's own data is among what is checked: its databases, its topics' folders.
    assert any(p.name.startswith(written) for p in folder.iterdir()), folder
    assert loose(folder) == []
