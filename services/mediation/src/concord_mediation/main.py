"""The mediation process: ``concord-mediation`` (settings from CONCORD_MEDIATION_* variables)."""

from concord_shared.service import serve

from concord_mediation.bootstrap import build_app
from concord_mediation.settings import MediationSettings


def run() -> None:
    serve(build_app, MediationSettings())


if __name__ == "__main__":
    run()
