"""To whom and by which channel a notice goes: pure, from what is known of the recipient (a
citizen's contact, a department's webhook subscription, a staff member's directory entry).
Addresses are kept masked here; the full address is looked up again at sending time."""

from dataclasses import dataclass
from typing import Any

from concord_shared.enums import Language, NotificationChannel

from concord_notification.adapters.contacts import CitizenContact, StaffContact
from concord_notification.domain.masking import mask_email, mask_phone, mask_url


@dataclass(frozen=True)
class Target:
    channel: NotificationChannel
    key_recipient: str  # the recipient part of the dedupe key
    language: Language
    address_masked: str | None = None
    subscription_id: str | None = None
    contact: CitizenContact | None = None  # kept in memory for the first attempt only


def on_record(ref: str, language: Language) -> Target:
    """Nobody to send to: the notice is kept on record only."""
    return Target(NotificationChannel.RECORD, ref, language)


def citizen_target(ref: str, contact: CitizenContact, *, sms_configured: bool) -> Target:
    """A citizen is reached as they prefer: e-mail when they asked for it or have no phone,
    else SMS (when a gateway is configured), else e-mail, else on record."""
    language = contact.language
    if contact.email and (contact.notify_by == "email" or not contact.phone):
        return Target(NotificationChannel.EMAIL, ref, language, mask_email(contact.email))
    if contact.phone and sms_configured:
        return Target(NotificationChannel.SMS, ref, language, mask_phone(contact.phone))
    if contact.email:
        return Target(NotificationChannel.EMAIL, ref, language, mask_email(contact.email))
    return on_record(ref, language)


def webhook_target(department: str, subscription: dict[str, Any]) -> Target:
    """A department's webhook subscription (one target per subscription)."""
    return Target(
        NotificationChannel.WEBHOOK,
        f"{department}~{subscription['_id']}",
        Language(subscription.get("language", Language.ZH)),
        mask_url(subscription["url"]),
        subscription["_id"],
    )


def staff_target(ref: str, staff: StaffContact | None, language: Language) -> Target:
    """A staff member (mediator, leader, desk) by the e-mail the directory gives."""
    if staff is None:
        return on_record(ref, language)
    return Target(NotificationChannel.EMAIL, ref, staff.language, mask_email(staff.email))
