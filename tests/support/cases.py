"""Sample submissions for tests, valid against the sample registry."""

from typing import Any


def valid_id_number(first17: str) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(d) * w for d, w in zip(first17, weights, strict=True))
    return first17 + "10X98765432"[total % 11]


def neighbour_dispute(**overrides: Any) -> dict[str, Any]:
    case: dict[str, Any] = {
        "kind": "dispute",
        "channel": "visit",
        "platform": "339901001",
        "category": "neighbour",
        "description": "邻居家扩建的院墙挡住了我家的出路，多次协商未果。",
        "location": {"area_code": "339901001001", "address": "清河县城关镇东街村3组12号"},
        "parties": [
            {"name": "王秀英", "phone": "13912345678", "role": "applicant"},
            {"name": "刘建国", "role": "respondent"},
        ],
    }
    case.update(overrides)
    return case
