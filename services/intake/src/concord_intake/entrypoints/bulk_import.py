"""Bulk import of letters registered in batches: CSV or JSON Lines.

    concord-intake-import letters.csv [--report rejected.csv] [--batch-size 500]

Valid rows are imported even when others fail; every rejected row is written to the report
with the field and the reason. The import is resumable: progress is kept beside the file
(<file>.progress), and every row has an idempotency key derived from the file's content and
its row number, so running the same file again never registers a row twice.

The CLI writes to intake's store only; the running intake service's outbox relay publishes
the cases' events.

CSV columns: kind, channel, platform, category, description, area_code, lat, lon, address,
severity, language, attachments (';'-separated), and per party N (1, 2, ...):
partyN_name, partyN_phone, partyN_id_number, partyN_role.
"""

import asyncio
import csv
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import typer
from concord_shared.logging import configure_logging
from concord_shared.outbox import Outbox
from concord_shared.store import connect
from concord_shared.submission import CaseSubmission
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from concord_intake.bootstrap import build_intake
from concord_intake.handlers import SERVICE, Intake, Registered, Registration
from concord_intake.settings import IntakeSettings

_PARTY_COLUMN = re.compile(r"^party(\d+)_(name|phone|id_number|role)$")
app = typer.Typer(help=__doc__.split("\n\n")[0] if __doc__ else None)


@dataclass(frozen=True)
class Row:
    number: int  # 1-based data row number (the header is not counted)
    data: dict[str, Any] | None
    error: str | None = None


def csv_to_submission(row: dict[str, str]) -> dict[str, Any]:
    parties: dict[int, dict[str, str]] = {}
    for column, value in row.items():
        match = _PARTY_COLUMN.match(column or "")
        if match and value:
            parties.setdefault(int(match[1]), {})[match[2]] = value
    data: dict[str, Any] = {
        "kind": row.get("kind"),
        "channel": row.get("channel") or "letter",
        "platform": row.get("platform"),
        "category": row.get("category"),
        "description": row.get("description"),
        "location": {
            "area_code": row.get("area_code") or None,
            "lat": row.get("lat") or None,
            "lon": row.get("lon") or None,
            "address": row.get("address") or None,
        },
        "parties": [parties[n] for n in sorted(parties)],
        "attachments": [u for u in (row.get("attachments") or "").split(";") if u],
    }
    for optional in ("severity", "language"):
        if row.get(optional):
            data[optional] = row[optional]
    return data


def read_rows(path: Path) -> Iterator[Row]:
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                try:
                    value = json.loads(line)
                except ValueError as exc:
                    yield Row(number, None, f"<line>: not JSON: {exc}")
                    continue
                if not isinstance(value, dict):
                    yield Row(number, None, "<line>: not a JSON object")
                else:
                    yield Row(number, value)
    else:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for number, record in enumerate(csv.DictReader(handle), 1):
                yield Row(number, csv_to_submission(record))


def count_rows(path: Path) -> int:
    with path.open("rb") as handle:
        lines = sum(1 for line in handle if line.strip())
    return lines if path.suffix.lower() in (".jsonl", ".ndjson") else max(lines - 1, 0)


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()[:24]


@dataclass
class ImportProgress:
    digest: str
    rows_done: int = 0
    imported: int = 0
    already_there: int = 0
    rejected: int = 0

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.__dict__), encoding="utf-8")

    @classmethod
    def load(cls, path: Path, digest: str) -> "ImportProgress":
        if path.exists():
            saved = json.loads(path.read_text(encoding="utf-8"))
            if saved.get("digest") == digest:
                return cls(**saved)
        return cls(digest)


async def import_file(
    path: Path,
    report_path: Path,
    intake: Intake,
    batch_size: int,
    console: Console,
) -> ImportProgress:
    digest = file_digest(path)
    progress_path = path.with_name(path.name + ".progress")
    state = ImportProgress.load(progress_path, digest)
    total = count_rows(path)
    # Resuming: keep the rows already reported; a fresh import starts a fresh report.
    report_mode = "a" if state.rows_done > 0 else "w"
    with open(report_path, report_mode, encoding="utf-8", newline="") as report_file:  # noqa: ASYNC230
        report = csv.writer(report_file)
        if report_mode == "w":
            report.writerow(["row", "field", "reason"])
        with Progress(
            TextColumn("[bold]importing[/bold] {task.fields[name]}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]} rows/s"),
            TimeElapsedColumn(),
            console=console,
        ) as bar:
            task = bar.add_task(
                "import", total=total, completed=state.rows_done, name=path.name, rate="-"
            )
            batch: list[Row] = []
            for row in read_rows(path):
                if row.number <= state.rows_done:
                    continue
                batch.append(row)
                if len(batch) >= batch_size:
                    await _import_batch(batch, digest, intake, report, state)
                    report_file.flush()
                    state.save(progress_path)
                    bar.update(task, completed=state.rows_done, rate=_rate(bar, task))
                    batch = []
            if batch:
                await _import_batch(batch, digest, intake, report, state)
                state.save(progress_path)
                bar.update(task, completed=state.rows_done, rate=_rate(bar, task))
    return state


def _rate(bar: Progress, task: Any) -> str:
    speed = bar.tasks[task].speed
    return f"{speed:,.0f}" if speed else "-"


async def _import_batch(
    rows: list[Row], digest: str, intake: Intake, report: Any, state: ImportProgress
) -> None:
    registrations: list[tuple[Row, Registration]] = []
    for row in rows:
        if row.data is None:
            report.writerow(
                [row.number, row.error.split(":", 1)[0] if row.error else "", row.error]
            )
            state.rejected += 1
            continue
        try:
            submission = CaseSubmission.model_validate(row.data)
        except ValidationError as exc:
            for error in exc.errors():
                report.writerow([row.number, ".".join(map(str, error["loc"])), error["msg"]])
            state.rejected += 1
            continue
        registrations.append(
            (
                row,
                Registration(
                    submission, idempotency_scope="import", idempotency_key=f"{digest}:{row.number}"
                ),
            )
        )
    results = await intake.register_many([r for _, r in registrations])
    for (row, _), result in zip(registrations, results, strict=True):
        if isinstance(result, Registered):
            if result.created:
                state.imported += 1
            else:
                state.already_there += 1
        else:
            for problem in result.problems:
                report.writerow([row.number, ".".join(map(str, problem.loc)), problem.msg])
            state.rejected += 1
    state.rows_done = rows[-1].number


@app.command()
def main(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV or .jsonl file"),
    report: Path | None = typer.Option(None, help="Rejected rows (default: <file>.rejected.csv)"),
    batch_size: int = typer.Option(500, min=1, max=5000),
) -> None:
    """Import a CSV or JSON Lines file of cases into intake; resumable, with a report."""
    settings = IntakeSettings()
    configure_logging("intake-import", "WARNING", settings.log_format)
    report_path = report or file.with_name(file.name + ".rejected.csv")
    console = Console(stderr=True)

    async def run() -> ImportProgress:
        db = connect(settings, "intake")
        # The intake service's relay publishes the events: this CLI needs no broker. (Each
        # write leaves an outbox marker, `intend`, that the service's sweep reads.)
        intake = build_intake(db, settings, Outbox(settings.topic_namespace, SERVICE))
        await intake.repo.ensure_indexes()
        try:
            # Checked against routing's registry in force, as the service checks them.
            await intake.registry_source.refresh()
        except httpx.HTTPError as exc:
            console.print(f"routing's registry not read ({exc!r}): checking against the file")
        try:
            return await import_file(file, report_path, intake, batch_size, console)
        finally:
            await intake.registry_source.stop()
            await db.client.close()

    state = asyncio.run(run())
    console.print(
        f"imported {state.imported}, already imported {state.already_there}, "
        f"rejected {state.rejected} (see {report_path})"
    )


def run() -> None:
    app()
