import json
import logging
from collections.abc import Iterator

import pytest
import structlog
from concord_shared.logging import configure_logging
from concord_shared.redaction import ID_NUMBER, PHONE


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """configure_logging binds the loggers to capsys's stderr, which closes after the test:
    later tests that log would write to a closed file."""
    handlers = logging.getLogger().handlers[:]
    yield
    structlog.reset_defaults()
    logging.getLogger().handlers[:] = handlers


def test_numbers_in_free_text_are_masked(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("test", fmt="json")
    structlog.get_logger().warning(
        "failed", error="请联系139 1234 5678或身份证339901198001011234，座机0571-88886666"
    )
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert line["error"] == f"请联系{PHONE}或身份证{ID_NUMBER}，座机{PHONE}"


def test_personal_fields_never_reach_the_log(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("test", fmt="json")
    structlog.get_logger().info(
        "registered", name="王秀英", phone="13912345678", note="call 13912345678", case_id="c1"
    )
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert line["name"] == "[redacted]" and line["phone"] == "[redacted]"
    assert "13912345678" not in json.dumps(line, ensure_ascii=False)
    assert line["case_id"] == "c1"
