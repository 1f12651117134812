"""concord-dlq: operators' view of the dead letters (dead_letters.py).

concord-dlq list SERVICE             offset, reason, original topic/partition/offset, error
concord-dlq show SERVICE OFFSET      one letter in full, with its original bytes
concord-dlq replay SERVICE OFFSET    publish the original bytes back to the original topic
concord-dlq replay SERVICE --all
"""

import asyncio
import json

import typer
from rich.console import Console
from rich.table import Table

from concord_shared.dead_letters import read_letters, replay
from concord_shared.letter_seal import CannotOpen, cli_seal

app = typer.Typer(help="Dead letters: list, show, replay.")
BOOTSTRAP = typer.Option("127.0.0.1:9092", envvar="CONCORD_KAFKA_BOOTSTRAP_SERVERS")
NAMESPACE = typer.Option("concord", envvar="CONCORD_TOPIC_NAMESPACE")


@app.command("list")
def list_command(service: str, bootstrap: str = BOOTSTRAP, namespace: str = NAMESPACE) -> None:
    """Every dead letter of a service, oldest first."""
    letters = asyncio.run(read_letters(bootstrap, namespace, service))
    table = Table("offset", "reason", "original", "attempts", "error")
    for letter in letters:
        p = letter.payload
        table.add_row(
            str(letter.offset),
            p["reason"],
            f"{p['original_topic']}[{p['original_partition']}]@{p['original_offset']}",
            str(p["attempts"]),
            p["error"][:80],
        )
    Console().print(table)
    Console().print(f"{len(letters)} dead letter(s) for {service}")


@app.command("show")
def show_command(
    service: str, offset: int, bootstrap: str = BOOTSTRAP, namespace: str = NAMESPACE
) -> None:
    """One dead letter in full, with its original bytes."""
    found = [
        x for x in asyncio.run(read_letters(bootstrap, namespace, service)) if x.offset == offset
    ]
    if not found:
        typer.echo(f"no dead letter at offset {offset}", err=True)
        raise typer.Exit(1)
    letter = found[0]
    sealed = ("original_value_sealed", "original_value_b64")
    shown = {k: v for k, v in letter.payload.items() if k not in sealed}
    typer.echo(json.dumps(shown, indent=2, ensure_ascii=False))
    try:
        original = letter.original(cli_seal())
    except CannotOpen as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    typer.echo("original bytes:")
    typer.echo(original.decode("utf-8", errors="backslashreplace"))


@app.command("replay")
def replay_command(
    service: str,
    offset: int | None = typer.Argument(None),
    all_letters: bool = typer.Option(False, "--all", help="Replay every dead letter."),
    bootstrap: str = BOOTSTRAP,
    namespace: str = NAMESPACE,
) -> None:
    """Publish original bytes back to their original topic, after the cause was fixed."""
    if (offset is None) == (not all_letters):
        typer.echo("give an OFFSET or --all", err=True)
        raise typer.Exit(2)
    letters = asyncio.run(read_letters(bootstrap, namespace, service))
    chosen = letters if all_letters else [x for x in letters if x.offset == offset]
    if not chosen:
        typer.echo("nothing to replay", err=True)
        raise typer.Exit(1)
    try:
        count = asyncio.run(replay(bootstrap, chosen))
    except CannotOpen as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"replayed {count} dead letter(s) to their original topics")


if __name__ == "__main__":
    app()
