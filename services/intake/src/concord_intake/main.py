"""The intake process: ``concord-intake`` (settings from CONCORD_INTAKE_* variables)."""

from concord_shared.service import serve

from concord_intake.bootstrap import build_app
from concord_intake.settings import IntakeSettings


def run() -> None:
    serve(build_app, IntakeSettings())


if __name__ == "__main__":
    run()
