"""A case's routing as a key may see it.

The minimised view names fields to keep rather than fields to drop, so a field added to the
stored document later stays hidden from auditors until someone decides it may be shown.
"""

import dataclasses
from typing import Any

from concord_routing.domain.access import View
from concord_routing.domain.facts import CaseFacts

# The facts are structured (kind, category, area, severity, counts, flags) and no personal
# data; still named one by one, like the rest.
_FACT_FIELDS = tuple(f.name for f in dataclasses.fields(CaseFacts))

# A decision's structured fields; its `reason` is left out, as it quotes what departments,
# staff and mediators wrote.
_DECISION_FIELDS = (
    "level",
    "platform",
    "desk",
    "lead_department",
    "co_departments",
    "rule_id",
    "ruleset_version",
    "decided_at",
)
# A decline's reason and its `declined_by` are written by the department: free text.
_DECLINE_FIELDS = ("department", "at")


def _only(doc: dict[str, Any] | None, fields: tuple[str, ...]) -> dict[str, Any] | None:
    return None if doc is None else {f: doc[f] for f in fields if f in doc}


def routing_body(case_id: str, doc: dict[str, Any], view: View) -> dict[str, Any]:
    """Facts, the current decision, every decision and every decline of the case."""
    if view is View.FULL:
        return {
            "case_id": case_id,
            "view": view.value,
            "facts": doc.get("facts"),
            "current": doc.get("current"),
            "decisions": doc.get("decisions", []),
            "declines": doc.get("declines", []),
        }
    return {
        "case_id": case_id,
        "view": view.value,
        "facts": _only(doc.get("facts"), _FACT_FIELDS),
        "current": _only(doc.get("current"), _DECISION_FIELDS),
        "decisions": [_only(d, _DECISION_FIELDS) for d in doc.get("decisions", [])],
        "declines": [_only(d, _DECLINE_FIELDS) for d in doc.get("declines", [])],
    }
