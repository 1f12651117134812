"""The routing process: ``concord-routing`` (settings from CONCORD_ROUTING_* variables)."""

from concord_shared.service import serve

from concord_routing.bootstrap import build_app
from concord_routing.settings import RoutingSettings


def run() -> None:
    serve(build_app, RoutingSettings())


if __name__ == "__main__":
    run()
