"""Sample submissions for tests, valid against the sample registry."""

import random
from typing import Any

_COMMON = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动"
    "同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自"
    "二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日"
    "那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变"
    "条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总"
    "次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指"
    "几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器"
    "压志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安"
    "场身车例真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集"
    "温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连"
    "断深难近矿千周委素技备半办青省列习响约支般史感劳便团往酸历市克何除消构府称太准精"
    "值号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适属"
    "圆包火住调满县局照参红细引听该铁价严龙飞"
)


def unique_text(prefix: str, length: int = 24) -> str:
    """A description no earlier case resembles, so tests do not trip repeat or collective
    detection unless they mean to."""
    return prefix + "".join(random.choices(_COMMON, k=length))


def unique_phone() -> str:
    return "139" + "".join(random.choices("0123456789", k=8))


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
        "description": unique_text("邻里纠纷："),
        "location": {"area_code": "339901001001", "address": "清河县城关镇东街村3组12号"},
        "parties": [
            {"name": "王秀英", "phone": unique_phone(), "role": "applicant"},
            {"name": "刘建国", "role": "respondent"},
        ],
    }
    case.update(overrides)
    return case
