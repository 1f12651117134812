"""Where the time goes: CPU seconds each process spent (from /proc), so a run can say how
much of a case's cost is the store, the broker and each service."""

import os
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PID_DIR = Path(os.environ.get("CONCORD_STATE", Path.home() / ".local/state/concord")) / "pids"


def cpu_seconds(pid: int) -> float | None:
    """User plus system CPU time of a process, or None if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime


def resident_mb(pids: dict[str, int]) -> dict[str, float]:
    """Each live process's resident memory now, in MiB (from /proc/<pid>/status)."""
    found = {}
    for label, pid in pids.items():
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                found[label] = int(line.split()[1]) / 1024
    return found


def machine_jiffies() -> tuple[int, int]:
    """The whole machine's (busy, total) CPU time so far, in clock ticks over all cores."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return sum(fields[:8]) - idle, sum(fields[:8])


def busy_share(before: tuple[int, int], after: tuple[int, int]) -> float:
    """The share of the machine's CPU that was busy between two `machine_jiffies`."""
    total = after[1] - before[1]
    return (after[0] - before[0]) / total if total else 0.0


def infrastructure() -> dict[str, int]:
    """The local broker's and store's process ids, as deploy/local/stack.sh recorded them."""
    found = {}
    for label, name in (("kafka broker", "kafka"), ("store (FerretDB)", "ferretdb")):
        path = PID_DIR / f"{name}.pid"
        if path.exists():
            found[label] = int(path.read_text().strip())
    return found


class CpuMeter:
    """CPU seconds per process between `start` and `stop`."""

    def __init__(self, pids: dict[str, int]) -> None:
        self._pids = pids
        self._start: dict[str, float] = {}

    def start(self) -> None:
        self._start = {
            label: t for label, pid in self._pids.items() if (t := cpu_seconds(pid)) is not None
        }

    def stop(self) -> dict[str, float]:
        spent = {}
        for label, before in self._start.items():
            after = cpu_seconds(self._pids[label])
            if after is not None:
                spent[label] = after - before
        return spent
