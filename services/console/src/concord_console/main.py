"""The console process: ``concord-console`` (settings from CONCORD_CONSOLE_* variables)."""

import sys

import uvicorn
from concord_shared.startup_secrets import DevelopmentSecret

from concord_console.bootstrap import build_app
from concord_console.settings import ConsoleSettings


def run() -> None:
    settings = ConsoleSettings()
    try:
        app = build_app(settings)
    except DevelopmentSecret as exc:
        sys.exit(f"concord-console: {exc}")
    uvicorn.run(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=5,
    )


if __name__ == "__main__":
    run()
