"""What staff ask of a case, validated: one model per workflow action, told apart by `action`.

A missing or wrong field is refused naming it (HTTP 422), before the workflow is asked.
"""

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from concord_mediation.domain.workflow import Action

Text = Annotated[str, Field(min_length=1, max_length=2000)]


class _Command(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Accept(_Command):
    action: Literal[Action.ACCEPT]
    note: str | None = None


class NotAccept(_Command):
    action: Literal[Action.NOT_ACCEPT]
    reason: Text = Field(description="Told to the citizen.")


class AssignMediator(_Command):
    action: Literal[Action.ASSIGN_MEDIATOR]
    mediator_ref: str | None = Field(
        default=None, description="Manual override; empty: least loaded mediator with the skills."
    )


class ScheduleSession(_Command):
    action: Literal[Action.SCHEDULE_SESSION]
    starts_at: AwareDatetime
    location: str | None = None


class ReachAgreement(_Command):
    action: Literal[Action.REACH_AGREEMENT]
    terms: list[Text] = Field(min_length=1)
    follow_up_on: date | None = None


class Fail(_Command):
    action: Literal[Action.FAIL]
    reason: Text


class Resolve(_Command):
    action: Literal[Action.RESOLVE]
    outcome: Text


class Close(_Command):
    action: Literal[Action.CLOSE]
    note: str | None = None


class RequestReview(_Command):
    action: Literal[Action.REQUEST_REVIEW]
    reason: Text


class StartReview(_Command):
    action: Literal[Action.START_REVIEW]


class Escalate(_Command):
    action: Literal[Action.ESCALATE]
    reason: Text


class Refer(_Command):
    action: Literal[Action.REFER]
    referred_to: Literal["court", "arbitration", "legal_aid"]
    reason: Text


class AwaitCitizen(_Command):
    action: Literal[Action.AWAIT_CITIZEN]
    reason: Text = Field(description="What the citizen is asked for.")


class Resume(_Command):
    action: Literal[Action.RESUME]


Command = Annotated[
    Accept
    | NotAccept
    | AssignMediator
    | ScheduleSession
    | ReachAgreement
    | Fail
    | Resolve
    | Close
    | RequestReview
    | StartReview
    | Escalate
    | Refer
    | AwaitCitizen
    | Resume,
    Field(discriminator="action"),
]


class Feedback(_Command):
    satisfied: bool
    comment: str = Field(default="", max_length=2000)


class RepeatReview(_Command):
    confirmed: bool = Field(
        description="true: the same matter again (a repeat from now on); false: not."
    )


class Extension(_Command):
    days: int = Field(ge=1, description="Working days, once, up to the configured maximum.")
    reason: Text


class SessionRecord(_Command):
    attended: list[str] = Field(description="Party refs present.")
    minutes: Text = Field(description="Internal; never sent to citizens.")


class Availability(_Command):
    available: bool


class Refused(Exception):
    """The case is not in a state to do this (HTTP 409)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(Exception):
    """A field is wrong in a way only the workflow can tell (HTTP 422)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class NotFound(Exception):
    pass


class Forbidden(Exception):
    pass


__all__ = ["Command", "datetime"]
