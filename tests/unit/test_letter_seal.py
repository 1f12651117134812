"""Dead letters' original bytes are sealed: opened with the key, refused without it."""

import pytest
from concord_shared.letter_seal import (
    DEVELOPMENT_KEY,
    CannotOpen,
    DeadLetterKeyRefused,
    DeadLetterSettings,
    LetterSeal,
    letter_seal,
)
from cryptography.fernet import Fernet

ORIGINAL = "王秀英 13912345678".encode()


def test_a_sealed_letter_holds_nothing_readable_and_opens_with_its_key() -> None:
    seal = LetterSeal(Fernet.generate_key().decode())
    token = seal.seal(ORIGINAL)
    assert "13912345678" not in token and ORIGINAL not in token.encode()
    assert seal.open(token) == ORIGINAL


def test_another_key_cannot_open_it() -> None:
    token = LetterSeal(Fernet.generate_key().decode()).seal(ORIGINAL)
    with pytest.raises(CannotOpen, match="CONCORD_DLQ_KEY"):
        LetterSeal(Fernet.generate_key().decode()).open(token)


def test_after_a_rotation_old_letters_still_open() -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    token = LetterSeal(old).seal(ORIGINAL)
    assert LetterSeal(f"{new},{old}").open(token) == ORIGINAL


def test_outside_development_a_service_refuses_to_seal_without_a_real_key() -> None:
    with pytest.raises(DeadLetterKeyRefused, match="CONCORD_DLQ_KEY"):
        letter_seal(development=False, settings=DeadLetterSettings(key=""))
    with pytest.raises(DeadLetterKeyRefused, match="development dead-letter key"):
        letter_seal(development=False, settings=DeadLetterSettings(key=DEVELOPMENT_KEY))
    with pytest.raises(DeadLetterKeyRefused, match="not a Fernet key"):
        letter_seal(development=False, settings=DeadLetterSettings(key="too-short"))
    key = Fernet.generate_key().decode()
    sealed = letter_seal(development=False, settings=DeadLetterSettings(key=key)).seal(ORIGINAL)
    assert LetterSeal(key).open(sealed) == ORIGINAL


def test_in_development_the_development_key_is_used() -> None:
    token = letter_seal(development=True, settings=DeadLetterSettings(key="")).seal(ORIGINAL)
    assert LetterSeal(DEVELOPMENT_KEY).open(token) == ORIGINAL


def test_dead_letter_topics_keep_a_week_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    from concord_shared.topics import DAY_MS, dead_letter_topic

    monkeypatch.delenv("CONCORD_DLQ_RETENTION_DAYS", raising=False)
    assert dead_letter_topic("intake").retention_ms == 7 * DAY_MS
    monkeypatch.setenv("CONCORD_DLQ_RETENTION_DAYS", "2")
    assert dead_letter_topic("intake").config()["retention.ms"] == str(2 * DAY_MS)
