"""The console process: ``concord-console`` (settings from CONCORD_CONSOLE_* variables)."""

from concord_shared.service import serve

from concord_console.bootstrap import build_app
from concord_console.settings import ConsoleSettings


def run() -> None:
    serve(build_app, ConsoleSettings())


if __name__ == "__main__":
    run()
