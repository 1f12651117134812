"""The operators' dashboard asks only for metrics the services expose, with the labels they
carry: a renamed metric or label shows up here, not as an empty panel in production."""

import json
import re
from pathlib import Path

from concord_shared import metrics
from prometheus_client import Metric
from prometheus_client.metrics import MetricWrapperBase

DASHBOARD = (
    Path(__file__).resolve().parents[2]
    / "deploy/helm/concord/files/dashboards/concord-services.json"
)


def exposed() -> dict[str, set[str]]:
    """Every series name the services can expose, with its labels."""
    found: dict[str, set[str]] = {}
    for value in vars(metrics).values():
        if not isinstance(value, MetricWrapperBase):
            continue
        labels = set(value._labelnames)
        family: Metric = next(iter(value.describe()))
        name = family.name
        kind = family.type
        suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_sum", "_count"]}
        for suffix in suffixes.get(kind, [""]):
            found[name + suffix] = labels | ({"le"} if suffix == "_bucket" else set())
    return found


def test_every_panel_queries_metrics_and_labels_the_services_have() -> None:
    series = exposed()
    panels = json.loads(DASHBOARD.read_text(encoding="utf-8"))["panels"]
    assert len(panels) >= 8
    for panel in panels:
        for target in panel["targets"]:
            expr = target["expr"]
            names = set(re.findall(r"\bconcord_[a-z_]+\b", expr))
            assert names, (panel["title"], expr)
            for name in names:
                assert name in series, (panel["title"], name)
            # Labels grouped by or matched on are labels the series carry.
            used = set(re.findall(r"by \(([^)]*)\)", expr))
            used_labels = {label.strip() for group in used for label in group.split(",")}
            used_labels |= set(re.findall(r"\{([a-z_]+)=", expr))
            carried = set().union(*(series[n] for n in names))
            assert used_labels <= carried, (panel["title"], used_labels - carried)
    titles = " ".join(p["title"] for p in panels).lower()
    for topic in ("throughput", "lag", "p99", "dead letters", "deliveries"):
        assert topic in titles
