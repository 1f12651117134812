"""Re-routing a case that is already somewhere: a department declines, staff recategorise,
or mediation escalates it. Each gives a new decision; none ever sends the same matter to a
department twice.
"""

from dataclasses import dataclass, replace
from datetime import datetime

from concord_shared.enums import Desk, Level
from concord_shared.registry import Registry

from concord_routing.domain.decision import Decision

DECLINES_TO_COUNTY = "declines.county"
NO_DEPARTMENT_LEFT = "declines.none-left"
ESCALATED = "escalation"


@dataclass(frozen=True)
class Declined:
    department: str
    declined_by: str
    reason: str
    suggested: str | None = None


@dataclass(frozen=True)
class Route:
    """Where a case is now and what has happened to it so far."""

    current: Decision
    asked: frozenset[str]  # every department ever asked about this matter
    declines: int  # how many declines so far

    def engaged(self) -> list[str]:
        lead = [self.current.lead_department] if self.current.lead_department else []
        return [*lead, *self.current.co_departments]


def _county(
    registry: Registry, current: Decision, departments: list[str], *, rule_id: str, reason: str
) -> Decision:
    county = registry.county()
    return replace(
        current,
        level=county.level,
        platform=county.code,
        desk=Desk.RECEPTION,
        lead_department=departments[0] if departments else None,
        co_departments=departments[1:],
        rule_id=rule_id,
        reason=reason,
    )


def after_decline(
    route: Route,
    declined: Declined,
    candidates: list[str],
    registry: Registry,
    *,
    max_declines: int,
) -> Decision | None:
    """The case's next decision, or None when the department was not engaged (a stale or
    repeated decline: nothing to change)."""
    engaged = route.engaged()
    if declined.department not in engaged:
        return None
    remaining = [d for d in engaged if d != declined.department]
    declines = route.declines + 1
    said = f"{declined.department} declined: {declined.reason}"
    if declines >= max_declines:
        return _county(
            registry,
            route.current,
            remaining,
            rule_id=DECLINES_TO_COUNTY,
            reason=f"{said}; {declines} declines: the county platform coordinates the case",
        )
    pool = [declined.suggested] if declined.suggested else []
    pool += candidates
    replacement = next(
        (
            d
            for d in pool
            if d in registry.departments_by_code
            and d not in route.asked
            and d != declined.department
        ),
        None,
    )
    was_lead = declined.department == route.current.lead_department
    if replacement is not None:
        if was_lead:
            remaining.insert(0, replacement)
        else:
            remaining.append(replacement)
        reason = f"{said}; asked {replacement} next"
    else:
        reason = f"{said}; no other department to ask"
    if not remaining:
        return _county(
            registry,
            route.current,
            [],
            rule_id=NO_DEPARTMENT_LEFT,
            reason=f"{said}; no department left: the county platform coordinates the case",
        )
    return replace(
        route.current,
        lead_department=remaining[0],
        co_departments=remaining[1:],
        rule_id=f"decline.{declined.department}",
        reason=reason,
    )


def escalated_to(
    current: Decision, platform: str, level: Level, reason: str, registry: Registry
) -> Decision:
    """Mediation sent the case up a level: the same departments, the parent platform."""
    target = registry.platforms_by_code.get(platform)
    desk = current.desk if target is not None and current.desk in target.desks else Desk.RECEPTION
    return replace(
        current,
        level=level,
        platform=platform,
        desk=desk,
        rule_id=ESCALATED,
        reason=reason,
    )


def history_line(decision: Decision, at: datetime) -> str:
    """One earlier decision as the next platform reads it in CaseAssigned.history."""
    departments = ", ".join(
        [f"lead {decision.lead_department}"] * bool(decision.lead_department)
        + [f"co {d}" for d in decision.co_departments]
    )
    return (
        f"{at:%Y-%m-%d %H:%M} UTC: {decision.level} {decision.platform} ({decision.desk})"
        f"{'; ' + departments if departments else ''} -- {decision.rule_id}: {decision.reason}"
    )
