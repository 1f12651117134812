import json

import structlog
from concord_shared.logging import configure_logging, mask_personal_numbers


def test_numbers_in_free_text_are_masked() -> None:
    text = "请联系13912345678或身份证339901198001011234，座机不算"
    masked = mask_personal_numbers(text)
    assert "13912345678" not in masked and "339901198001011234" not in masked
    assert "[phone]" in masked and "[id-number]" in masked


def test_personal_fields_never_reach_the_log(capsys) -> None:  # type: ignore[no-untyped-def]
    configure_logging("test", fmt="json")
    structlog.get_logger().info(
        "registered", name="王秀英", phone="13912345678", note="call 13912345678", case_id="c1"
    )
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert line["name"] == "[redacted]" and line["phone"] == "[redacted]"
    assert "13912345678" not in json.dumps(line, ensure_ascii=False)
    assert line["case_id"] == "c1"
