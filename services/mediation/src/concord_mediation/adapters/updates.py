"""A change of a case (domain/change.py) as the store's update document: one atomic
single-document write of the fields set, the entries added and the fields removed."""

from typing import Any

from concord_mediation.domain.change import Change


def case_update(change: Change) -> dict[str, Any]:
    update: dict[str, Any] = {}
    if change.sets:
        update["$set"] = dict(change.sets)
    if change.push:
        update["$push"] = {k: {"$each": v} for k, v in change.push.items()}
    if change.unset:
        update["$unset"] = {k: "" for k in change.unset}
    return update
