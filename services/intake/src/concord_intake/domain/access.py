"""Who may do what at intake: API keys with roles.

Reception staff register cases for their own platform and read those cases; integration
systems register cases for any platform (HTTP, Open311); auditors read, never write. Receipt
numbers in Open311 listings go to integration systems, auditors and a platform's own staff.
"""

from enum import StrEnum

from pydantic import BaseModel


class Role(StrEnum):
    RECEPTION = "reception"
    INTEGRATION = "integration"
    AUDITOR = "auditor"
    NOTIFIER = "notifier"  # the notification service: reads a party's contact, nothing else


class ApiKey(BaseModel):
    role: Role
    platform: str | None = None  # required for reception staff
    holder: str = ""  # who holds the key, for the audit trail; not shown to anyone


class Action(StrEnum):
    REGISTER = "register"
    READ_CASE = "read_case"
    READ_CONTACT = "read_contact"
    LIST_RECEIPTS = "list_receipts"  # see receipt numbers in Open311 listings


def permits(key: ApiKey, action: Action, platform: str) -> bool:
    if key.role is Role.NOTIFIER or action is Action.READ_CONTACT:
        # Contact details go to the notification service only, and it gets nothing else.
        return key.role is Role.NOTIFIER and action is Action.READ_CONTACT
    if key.role is Role.AUDITOR:
        return action in (Action.READ_CASE, Action.LIST_RECEIPTS)
    if key.role is Role.INTEGRATION:
        return action in (Action.REGISTER, Action.LIST_RECEIPTS)
    return key.platform is not None and key.platform == platform
