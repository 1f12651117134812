"""Notification's pure rules: quiet hours, backoff, signatures, masking, every template."""

import hashlib
import hmac
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import pytest
from concord_notification.domain.masking import mask_email, mask_phone, mask_url
from concord_notification.domain.quiet_hours import QuietHours
from concord_notification.domain.rendering import CASE_CODE_MARKS, Renderer, with_case_codes
from concord_notification.domain.retries import backoff_delay
from concord_notification.domain.signing import signature, signed_headers
from concord_shared.clock import FileClock
from concord_shared.enums import Language, NoticeKind

NIGHT = QuietHours.parse("22:00", "08:00", "Asia/Shanghai")


@pytest.mark.parametrize(
    ("utc", "quiet"),
    [
        (datetime(2026, 12, 10, 13, 59, tzinfo=UTC), False),  # 21:59 local
        (datetime(2026, 12, 10, 14, 0, tzinfo=UTC), True),  # 22:00
        (datetime(2026, 12, 10, 19, 0, tzinfo=UTC), True),  # 03:00
        (datetime(2026, 12, 10, 23, 59, tzinfo=UTC), True),  # 07:59
        (datetime(2026, 12, 11, 0, 0, tzinfo=UTC), False),  # 08:00
        (datetime(2026, 12, 11, 4, 0, tzinfo=UTC), False),  # noon
    ],
)
def test_quiet_hours_span_midnight_in_local_time(utc: datetime, quiet: bool) -> None:
    assert NIGHT.is_quiet(utc) is quiet


def test_a_notice_held_at_night_is_released_at_eight_local() -> None:
    before_midnight = datetime(2026, 12, 10, 15, 30, tzinfo=UTC)  # 23:30 local
    after_midnight = datetime(2026, 12, 10, 19, 0, tzinfo=UTC)  # 03:00 local, the 11th
    morning = datetime(2026, 12, 11, 0, 0, tzinfo=UTC)  # 08:00 local, the 11th
    assert NIGHT.release_at(before_midnight) == morning
    assert NIGHT.release_at(after_midnight) == morning
    noon = datetime(2026, 12, 11, 4, 0, tzinfo=UTC)
    assert NIGHT.release_at(noon) == noon


def test_no_quiet_hours_when_start_equals_end() -> None:
    never = QuietHours.parse("00:00", "00:00", "Asia/Shanghai")
    assert not never.is_quiet(datetime(2026, 12, 10, 19, 0, tzinfo=UTC))


def test_backoff_grows_exponentially_is_capped_and_fully_jittered() -> None:
    assert [backoff_delay(n, 2.0, 600.0, rand=lambda: 1.0) for n in (1, 2, 3, 4)] == [
        2.0,
        4.0,
        8.0,
        16.0,
    ]
    assert backoff_delay(20, 2.0, 600.0, rand=lambda: 1.0) == 600.0
    assert backoff_delay(3, 2.0, 600.0, rand=lambda: 0.0) == 0.0
    delays = {backoff_delay(5, 1.0, 600.0) for _ in range(50)}
    assert all(0.0 <= d <= 16.0 for d in delays) and len(delays) > 1


def test_the_signature_is_hmac_sha256_over_timestamp_dot_body() -> None:
    body = b'{"event":{"type":"CoordinationRequested"}}'
    headers = signed_headers("s3cret", 1767225600, body, "e-1", "CoordinationRequested")
    expected = hmac.new(b"s3cret", b"1767225600." + body, hashlib.sha256).hexdigest()
    assert headers["X-Concord-Signature"] == f"sha256={expected}"
    assert headers["X-Concord-Timestamp"] == "1767225600"
    assert headers["X-Concord-Event-Id"] == "e-1"
    assert signature("other", 1767225600, body) != headers["X-Concord-Signature"]


def test_masks_keep_too_little_to_use() -> None:
    assert mask_phone("13912345678") == "139****5678"
    assert mask_email("wang.xiuying@mail.example") == "w***@mail.example"
    assert mask_url("https://land.example/hooks/concord?token=x") == "https://land.example/…"


@pytest.mark.parametrize("notice", list(NoticeKind))
def test_every_notice_has_a_template_in_both_languages(notice: NoticeKind) -> None:
    renderer = Renderer()
    facts = {
        "case_ref": "ab12cd34",
        "acceptance_due": "2026-12-20",
        "endpoint": "https://land.example/…",
        "failures": "3",
        "subscription_id": "sub-1",
        **CASE_CODE_MARKS,
    }
    zh = renderer.render(notice, Language.ZH, facts)
    en = renderer.render(notice, Language.EN, facts)
    assert zh.startswith("【清河县社会治理】") and en.startswith("[Qinghe Social Governance]")
    assert zh != en and not any("\u4e00" <= c <= "\u9fff" for c in en)
    assert renderer.subject(notice, Language.EN).isascii()


def test_a_template_shows_the_facts_it_is_given() -> None:
    renderer = Renderer()
    text = renderer.render(
        NoticeKind.ACCEPTANCE_DECISION,
        Language.EN,
        {"case_ref": "ab12cd34", "accepted": "no", "reason": "already before a court"},
    )
    assert "not accepted" in text and "already before a court" in text


def test_the_file_clock_runs_on_from_the_time_written(tmp_path: Path) -> None:
    path = tmp_path / "clock"
    clock = FileClock(path, runs=True)
    assert abs((clock.now() - datetime.now(UTC)).total_seconds()) < 5  # no file: real time
    path.write_text("2026-12-10T15:30:00+00:00")
    first = clock.now()
    assert datetime(2026, 12, 10, 15, 30, tzinfo=UTC) <= first
    assert (first - datetime(2026, 12, 10, 15, 30, tzinfo=UTC)).total_seconds() < 5
    assert clock.now() >= first


def test_a_standing_file_clock_stays_at_the_time_written_and_wants_its_zone(
    tmp_path: Path,
) -> None:
    path = tmp_path / "clock"
    clock = FileClock(path)
    path.write_text("2026-12-10T15:30:00.123456+08:00")
    assert clock.now() == datetime(2026, 12, 10, 7, 30, 0, 123000, tzinfo=UTC)
    assert clock.now() == clock.now()
    path.write_text("2026-12-10T15:30:00")
    with pytest.raises(ValueError, match="needs a time zone"):
        clock.now()
    path.write_text("")
    assert abs((clock.now() - datetime.now(UTC)).total_seconds()) < 5


def test_a_citizen_is_reached_as_they_prefer() -> None:
    from concord_notification.adapters.contacts import CitizenContact
    from concord_notification.domain.targets import citizen_target
    from concord_shared.enums import NotificationChannel as C

    def channel(sms: bool, **contact: str) -> C:
        return citizen_target("p-1", CitizenContact(**contact), sms_configured=sms).channel

    assert channel(True, phone="13912345678") is C.SMS
    assert channel(True, phone="13912345678", email="a@b.example") is C.SMS
    assert channel(True, phone="13912345678", email="a@b.example", notify_by="email") is C.EMAIL
    assert channel(True, email="a@b.example") is C.EMAIL
    assert channel(False, phone="13912345678", email="a@b.example") is C.EMAIL  # no gateway
    assert channel(False, phone="13912345678") is C.RECORD
    assert channel(True) is C.RECORD


def test_the_receipt_names_the_codes_only_as_sent() -> None:
    renderer = Renderer()
    facts = {"case_ref": "ab12cd34", "acceptance_due": "2026-12-03 15:30", **CASE_CODE_MARKS}
    stored = renderer.render(NoticeKind.RECEIPT, Language.ZH, facts)
    assert "R-2026-0001" not in stored and "[verification_code]" in stored
    sent = with_case_codes(stored, "R-2026-0001", "493027")
    assert "回执号 R-2026-0001" in sent and "验证码 493027" in sent
    assert "2026-12-03 15:30" in sent and "受理中" not in sent
    # A party intake gives no codes to (not the filer) gets the marks, never someone's codes.
    assert with_case_codes(stored, None, None) == stored


def test_a_department_is_reached_by_each_subscription_and_staff_by_the_directory() -> None:
    from concord_notification.adapters.contacts import StaffContact
    from concord_notification.domain.targets import staff_target, webhook_target
    from concord_shared.enums import Language
    from concord_shared.enums import NotificationChannel as C

    hook = webhook_target(
        "land", {"_id": "sub-1", "url": "https://hooks.land.example/x?token=abc", "language": "en"}
    )
    assert (hook.channel, hook.key_recipient, hook.subscription_id) == (
        C.WEBHOOK,
        "land~sub-1",
        "sub-1",
    )
    assert hook.language is Language.EN
    assert hook.address_masked is not None and "token=abc" not in hook.address_masked
    staff = StaffContact(email="mediator@qinghe.example", language="zh")
    mailed = staff_target("m-1", staff, Language.EN)
    assert mailed.channel is C.EMAIL and mailed.language is Language.ZH
    assert mailed.address_masked != "mediator@qinghe.example"
    assert staff_target("m-2", None, Language.EN).channel is C.RECORD


async def test_the_delivery_queue_hands_over_in_order_and_wakes_its_reader() -> None:
    import asyncio

    from concord_notification.delivery_queue import DeliveryQueue

    queue = DeliveryQueue()
    waiting = asyncio.create_task(queue.wait(5.0))
    await asyncio.sleep(0)
    deliveries = [cast(Any, type("D", (), {"key": f"k{i}"})()) for i in range(3)]
    queue.put([(d, None) for d in deliveries])
    await asyncio.wait_for(waiting, 1.0)  # woken at once, not after five seconds
    assert "k1" in queue and len(queue) == 3
    assert list(queue.take(2)) == ["k0", "k1"]
    assert list(queue.take(5)) == ["k2"] and not queue


def test_a_department_key_manages_its_own_subscriptions_an_operator_names_the_department() -> None:
    from concord_notification.domain.access import ApiKey, Right, department_of, permits

    land = ApiKey(role="department", department="land")
    operator = ApiKey(role="operator")
    nobody = ApiKey(role="department")
    assert department_of(land, None) == department_of(land, "land") == "land"
    assert department_of(land, "water") is None
    assert department_of(operator, "water") == "water"
    assert department_of(operator, None) is None  # it must say which department
    assert department_of(nobody, None) is None
    assert permits(operator, Right.READ_DELIVERIES) and permits(land, Right.READ_DELIVERIES)
    assert not permits(nobody, Right.READ_DELIVERIES)
    assert permits(land, Right.MANAGE_SUBSCRIPTIONS, "land")
    assert not permits(land, Right.MANAGE_SUBSCRIPTIONS, "water")


def test_a_running_file_clock_reads_a_time_without_a_zone_as_utc(tmp_path: Path) -> None:
    path = tmp_path / "clock"
    path.write_text("2026-12-10T15:30:00")
    first = FileClock(path, runs=True).now()
    assert datetime(2026, 12, 10, 15, 30, tzinfo=UTC) <= first
    assert (first - datetime(2026, 12, 10, 15, 30, tzinfo=UTC)).total_seconds() < 5


def test_no_department_is_named_by_an_empty_string() -> None:
    from concord_notification.domain.access import ApiKey, Right, department_of, permits

    land = ApiKey(role="department", department="land")
    operator = ApiKey(role="operator")
    assert department_of(operator, "") is None
    assert department_of(land, "") is None  # not its own department, nor any other
    assert not permits(operator, Right.MANAGE_SUBSCRIPTIONS, "")
