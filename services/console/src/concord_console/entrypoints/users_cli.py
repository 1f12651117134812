"""``concord-console-users``: the console's user list, for operators.

concord-console-users hash            a password's argon2 hash (asked, not echoed)
concord-console-users check FILE      load a user list and say who is bound where
"""

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console as Terminal
from rich.table import Table

from concord_console.domain.users import PasswordDirectory, hash_password

app = typer.Typer(no_args_is_help=True, add_completion=False)


@app.command("hash")
def hash_command(
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
) -> None:
    """Print the hash to put in a user's `password_hash`."""
    typer.echo(hash_password(password))


@app.command()
def check(path: Path) -> None:
    """Load a user list as the console would; a wrong entry is named."""
    try:
        directory = PasswordDirectory.load(path)
    except (OSError, ValueError) as exc:
        raise typer.BadParameter(str(exc)) from exc
    table = Table("username", "role", "bound to", "key scope")
    for user in directory.users:
        table.add_row(user.username, user.role.value, user.place, user.scope)
    Terminal().print(table)
