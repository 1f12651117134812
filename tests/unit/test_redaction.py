"""The redactor: personal data in free text becomes a marker; codes, dates and sums stay."""

import pytest
from concord_shared.redaction import ADDRESS, EMAIL, ID_NUMBER, NAME, PHONE, redact

from tests.support.cases import valid_id_number

ID_18 = valid_id_number("33990119850607123")


@pytest.mark.parametrize(
    "phone",
    [
        "13812345678",
        "１３８１２３４５６７８",  # full-width digits
        "138.1234.5678",
        "138-1234-5678",
        "138 1234 5678",
        "+86 138 1234 5678",
        "+8613812345678",
        "008613812345678",
        "(+86)13812345678",
        "0571-8888 6666",
        "0571-88886666",
        "(0571)88886666",
        "（０５７１）８８８８６６６６",  # full-width brackets and digits
        "057188886666",
        "010-12345678",
        "0571 888 6666",
        "+86 571 8888 6666",
        "0571-88886666转123",
    ],
)
def test_phone_numbers_in_every_common_writing_are_redacted(phone: str) -> None:
    redacted = redact(f"请联系{phone}，谢谢")
    assert redacted == f"请联系{PHONE}，谢谢"


@pytest.mark.parametrize("cue", ["电话：", "电话 ", "座机号码", "Tel: ", "phone "])
def test_a_local_number_after_a_phone_word_is_redacted(cue: str) -> None:
    assert redact(f"{cue}8888 6666") == f"{cue}{PHONE}"


@pytest.mark.parametrize(
    "number",
    [
        ID_18,
        ID_18.lower(),
        "33990119850607123X",  # a wrong check digit is personal data all the same
        "339901 19850607 1234",
        "330106850607123",  # the old 15-digit number
        "３３０１０６８５０６０７１２３",
    ],
)
def test_identity_numbers_of_18_and_15_digits_are_redacted(number: str) -> None:
    assert redact(f"身份证号{number}。") == f"身份证号{ID_NUMBER}。"


@pytest.mark.parametrize(
    "email", ["wang.xy@example.com", "a+b@mail.qq.com", "ＷＡＮＧ＠ｅｘａｍｐｌｅ．ｃｎ"]
)
def test_email_addresses_are_redacted(email: str) -> None:
    assert redact(f"邮箱{email}，") == f"邮箱{EMAIL}，"


def test_an_email_that_starts_with_a_phone_number_is_one_email() -> None:
    assert redact("QQ邮箱13812345678@qq.com") == f"QQ邮箱{EMAIL}"


def test_the_parties_names_are_redacted_in_their_common_forms() -> None:
    text = "王秀英说，王 秀 英的邻居和王女士、老王都知道；欧阳测试者和欧阳先生也在。"
    assert redact(text, names=["王秀英", "欧阳测试者"]) == (
        f"{NAME}说，{NAME}的邻居和{NAME}、{NAME}都知道；{NAME}和{NAME}也在。"
    )


def test_latin_names_in_either_order_and_any_case() -> None:
    text = "Wang Xiuying called; later XIUYING WANG and Mr Wang came, but not Wangfujing."
    assert redact(text, names=["Wang Xiuying"]) == (
        f"{NAME} called; later {NAME} and Mr {NAME} came, but not Wangfujing."
    )


def test_full_width_latin_names_match_too() -> None:
    assert redact("Ｌｉｕ Ｊｉａｎｇｕｏ来过", names=["Liu Jianguo"]) == f"{NAME}来过"


def test_transliterated_names_with_a_middle_dot() -> None:
    text = "阿依古丽·买买提和阿依古丽•买买提，还有买买提本人"
    assert redact(text, names=["阿依古丽·买买提"]) == f"{NAME}和{NAME}，还有{NAME}本人"


def test_names_of_other_people_are_not_guessed() -> None:
    # Only the case's parties are known; a name no one gave stays (it is not a pattern).
    assert redact("张三来过", names=["王秀英"]) == "张三来过"


def test_the_given_address_also_without_its_county_and_town() -> None:
    address = "清河县城关镇秘密巷88号"
    text = "住清河县城关镇秘密巷88号，即城关镇秘密巷88号，又称秘密巷88号"
    assert redact(text, addresses=[address]) == f"住{ADDRESS}，即{ADDRESS}，又称{ADDRESS}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("家住中山路128号。", f"家住{ADDRESS}。"),
        ("他住在东风巷5弄12号", f"他住在{ADDRESS}"),
        ("住东街村3组12号", f"住{ADDRESS}"),
        ("住李家村五组", f"住{ADDRESS}"),
        ("住王庄12号", f"住{ADDRESS}"),
        ("在阳光花园3栋2单元501室", f"在{ADDRESS}"),
        ("幸福小区12号楼-501室", ADDRESS),
        ("就是5幢301室那家", f"就是{ADDRESS}那家"),
        ("2单元501室漏水", f"{ADDRESS}漏水"),
        ("楼上1202室", f"楼上{ADDRESS}"),
        ("清河县城关镇东街村3组12号", ADDRESS),
        ("浙江省杭州市西湖区文三路90号东部软件园", f"{ADDRESS}东部软件园"),
    ],
)
def test_house_level_addresses_are_redacted(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "案件 6f1c7a52-61a8-4d43-9a55-3c0d1b7d2e10 已受理",  # a case id
        "回执号QH20240115ABC234",  # a receipt number: prefix, date, six characters
        "回执号QH20240115234567",  # ... whose six characters happen to be digits
        "平台339901001001转339901001再到339901",  # platform and area codes: 12, 9, 6 digits
        "2024-01-15 10:30 开会，2024年3月5号再议，20240115存档",  # dates
        "拖欠工资12000元，另有¥12,000.50和3.5万元",  # money
        "欠款13800000000元",  # an 11-digit sum of money is not a mobile number
        "拨打12345热线或110",  # service numbers are not personal
        "第3组讨论，3月12号，共5栋楼",  # counts and dates that look like address parts
        "清河县城关镇的东街村和中山路",  # a place without a house number is a place
        "张三来过",  # not a party of this case
    ],
)
def test_what_only_looks_personal_survives(text: str) -> None:
    assert redact(text, names=["王秀英"], addresses=["清河县城关镇秘密巷88号"]) == text


def test_unredacted_text_keeps_its_original_characters() -> None:
    text = "ＡＢＣ公司，电话１３８１２３４５６７８，ＯＫ"
    assert redact(text) == f"ＡＢＣ公司，电话{PHONE}，ＯＫ"


def test_everything_at_once() -> None:
    text = (
        f"欧阳测试者（身份证{ID_18}，电话138 1234 5678，邮箱oy@example.com）"
        "反映住清河县城关镇秘密巷88号的刘建国占用通道，回执QH20240115ABC234。"
    )
    assert redact(text, names=["欧阳测试者", "刘建国"], addresses=["清河县城关镇秘密巷88号"]) == (
        f"{NAME}（身份证{ID_NUMBER}，电话{PHONE}，邮箱{EMAIL}）"
        f"反映住{ADDRESS}的{NAME}占用通道，回执QH20240115ABC234。"
    )


def test_empty_and_blank_inputs() -> None:
    assert redact("") == ""
    assert redact("无", names=["", None, "  "], addresses=[None]) == "无"
