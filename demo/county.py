"""Made-up but realistic people and places, for the demo county and for load tests.

Every generator takes a `random.Random`, so one seed always gives the same county: the demo
can be seeded twice without duplicates, and a benchmark run can be repeated exactly. Nothing
here writes to the database; `seed_demo` and `generate_synthetic` do.

National ID numbers follow GB 11643: 6-digit region (the county's code), birth date,
3-digit sequence whose last digit is odd for men and even for women, and the check digit.
`IdAllocator` keeps them unique within one run.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable
from dataclasses import dataclass, field

from core import crypto
from core.validators import id_check_digit
from households.models import Category, Department, Relation

# Common surnames of Lüliang (吕梁) villages, most frequent first; weights follow rank.
SURNAMES = (
    "王李张刘高郭白杨马贺冯武薛赵任曹温孙陈霍乔程闫康韩崔田周吴"
    "苏樊常秦梁宋雷郝胡牛侯贾石段姚许邓冀成卫申宁"
)
_SURNAME_WEIGHTS = [1 / (rank + 4) for rank in range(len(SURNAMES))]
MALE_GIVEN = [
    "建国",
    "建军",
    "建平",
    "志强",
    "志刚",
    "海军",
    "海平",
    "文明",
    "永红",
    "永生",
    "春生",
    "小平",
    "宝山",
    "俊峰",
    "红兵",
    "云飞",
    "金宝",
    "玉成",
    "福贵",
    "德明",
    "学文",
    "新民",
    "光明",
    "保平",
    "有才",
    "二小",
    "三虎",
    "拴柱",
    "来福",
    "存柱",
    "润生",
    "东",
    "伟",
    "强",
    "军",
    "斌",
    "磊",
    "勇",
    "杰",
    "涛",
    "鹏",
    "亮",
    "超",
    "刚",
    "平",
    "辉",
    "龙",
    "浩",
    "宇",
    "轩",
    "博",
    "晨",
    "睿",
]
FEMALE_GIVEN = [
    "秀英",
    "桂兰",
    "玉兰",
    "秀兰",
    "桂英",
    "玉梅",
    "春花",
    "金花",
    "爱莲",
    "翠萍",
    "丽萍",
    "红梅",
    "彩霞",
    "美丽",
    "月娥",
    "二女",
    "巧云",
    "改梅",
    "香莲",
    "俊英",
    "晓燕",
    "海燕",
    "丽娟",
    "雪梅",
    "小红",
    "芳",
    "娟",
    "丽",
    "敏",
    "静",
    "霞",
    "燕",
    "婷",
    "琳",
    "欣",
    "悦",
    "萱",
    "瑶",
    "妍",
    "佳",
]
CHINESE_NUMBERS = "一二三四五六七八九十"
TOWNSHIP_STEMS = [
    "临泉",
    "白文",
    "城庄",
    "兔坂",
    "克虎",
    "三交",
    "湍水头",
    "林家坪",
    "招贤",
    "碛口",
    "刘家会",
    "丛罗峪",
    "曲峪",
    "大禹",
    "安业",
    "玉坪",
    "青凉寺",
    "石白头",
    "雷家碛",
    "木瓜坪",
    "安家庄",
    "南庄",
    "车赶",
    "第八堡",
    "石门",
    "金家庄",
    "清泉",
    "柳树",
    "杏园",
    "枣林",
    "河底",
    "桃园",
    "土峪",
    "沙坪",
    "郝家坡",
    "庙坪",
    "马家山",
    "西坡",
    "后沟",
    "前进",
]
VILLAGE_STEMS = [
    "东",
    "西",
    "南",
    "北",
    "前",
    "后",
    "上",
    "下",
    "中",
    "大",
    "小",
    "高",
    "李家",
    "王家",
    "张家",
    "刘家",
    "郭家",
    "白家",
    "杨家",
    "马家",
    "贺家",
    "冯家",
    "薛家",
    "石门",
    "枣坪",
    "柳沟",
    "桃园",
    "杏林",
    "河湾",
    "沙坪",
    "庙山",
    "圪垯",
    "峁上",
    "梁家",
    "红崖",
    "青塘",
    "寨子",
    "窑头",
    "岔口",
    "坪头",
    "后湾",
    "阳坡",
    "背坡",
    "水泉",
    "双井",
    "三眼",
    "新庄",
    "旧城",
    "桥头",
    "川口",
]
VILLAGE_SUFFIXES = ("村", "庄", "沟", "坪", "峪", "塔", "坡", "湾")
BANKS = ("山西农商银行", "中国邮政储蓄银行", "中国农业银行", "山西农村信用社")

# Which department identifies each category (DOMAIN.md, "Households and the six categories").
IDENTIFIED_BY = {
    Category.AT_RISK: Department.XIANGCUN,
    Category.DIBAO: Department.MINZHENG,
    Category.TEKUN: Department.MINZHENG,
    Category.HARDSHIP: Department.XIANGCUN,
    Category.DIBAO_EDGE: Department.MINZHENG,
    Category.OTHER_EX_POOR: Department.XIANGCUN,
    Category.LEGACY_POOR: Department.XIANGCUN,
    Category.LEGACY_DIBAO: Department.MINZHENG,
    Category.LEGACY_TEKUN: Department.MINZHENG,
    Category.LEGACY_DISABLED: Department.CANLIAN,
}
# Rough shares in a county's registry: 低保 is the largest group, 特困 and 严重困难 the smallest;
# a few records still carry the 2019 categories.
CATEGORY_SHARES = {
    Category.DIBAO: 30,
    Category.AT_RISK: 22,
    Category.OTHER_EX_POOR: 15,
    Category.DIBAO_EDGE: 13,
    Category.TEKUN: 9,
    Category.HARDSHIP: 8,
    Category.LEGACY_POOR: 1.2,
    Category.LEGACY_DIBAO: 0.8,
    Category.LEGACY_TEKUN: 0.5,
    Category.LEGACY_DISABLED: 0.5,
}
# Family sizes 1..8: 特困人员 live alone (分散供养), other households mostly 2-5 persons.
FAMILY_SIZE_WEIGHTS = (14, 24, 22, 18, 11, 6, 3, 2)
TEKUN_FAMILY_SIZE_WEIGHTS = (85, 12, 3)

_CATEGORIES = list(CATEGORY_SHARES)
_CATEGORY_WEIGHTS = list(CATEGORY_SHARES.values())


def chinese_number(n: int) -> str:
    """1..99 in Chinese numerals, as in "三组" or "十二组"."""
    if n <= 10:
        return CHINESE_NUMBERS[n - 1]
    tens, ones = divmod(n, 10)
    head = "" if tens == 1 else CHINESE_NUMBERS[tens - 1]
    return head + "十" + (CHINESE_NUMBERS[ones - 1] if ones else "")


def person_name(rng: random.Random, male: bool, surname: str | None = None) -> str:
    surname = surname or rng.choices(SURNAMES, _SURNAME_WEIGHTS)[0]
    return surname + rng.choice(MALE_GIVEN if male else FEMALE_GIVEN)


def phone_number(rng: random.Random) -> str:
    return rng.choice(("135", "137", "139", "150", "152", "158", "183", "187", "199")) + (
        f"{rng.randrange(10**8):08d}"
    )


def bank_account(rng: random.Random) -> str:
    # 一卡通 cards of rural banks: 19 digits starting with the bank's BIN.
    return rng.choice(("621779", "622821", "621799", "623059")) + f"{rng.randrange(10**13):013d}"


class IdAllocator:
    """Hands out national ID numbers that are valid and unique within the run.

    The 3-digit sequence is `LLS`: a two-digit lane `LL` and a sex digit `S` (odd for men).
    Each batch of a synthetic county owns its own lane, so batches built in parallel can
    never clash; inside a batch a set catches the rare same-day clash (the next free digit,
    or the day before). `taken_hashes` are search hashes already in the county (--append).
    """

    def __init__(
        self, region: str, *, lanes: Iterable[int] = range(100), taken_hashes=frozenset()
    ) -> None:
        self.region = region
        lanes = list(lanes)
        self._seqs = {
            male: [
                lane * 10 + d
                for lane in lanes
                for d in ((1, 3, 5, 7, 9) if male else (0, 2, 4, 6, 8))
            ]
            for male in (True, False)
        }
        self.taken: set[str] = set()
        self.taken_hashes = taken_hashes

    def new(self, rng: random.Random, birth: dt.date, male: bool) -> str:
        seqs = self._seqs[male]
        start = rng.randrange(len(seqs))
        day = birth
        while True:
            base = f"{self.region}{day:%Y%m%d}"
            for i in range(len(seqs)):
                first17 = f"{base}{seqs[(start + i) % len(seqs)]:03d}"
                if first17 in self.taken:
                    continue
                number = first17 + id_check_digit(first17)
                if self.taken_hashes and crypto.search_hash(number) in self.taken_hashes:
                    continue
                self.taken.add(first17)
                return number
            day -= dt.timedelta(days=1)  # older, never a birth date in the future


@dataclass
class HouseholdData:
    """One generated household: Household fields plus its members (without the head)."""

    fields: dict
    members: list[dict] = field(default_factory=list)


def _birth(rng: random.Random, today: dt.date, min_age: int, max_age: int) -> dt.date:
    age_days = rng.randint(min_age * 365 + 1, max_age * 365 + 300)
    return today - dt.timedelta(days=age_days)


def make_household(
    rng: random.Random,
    ids: IdAllocator,
    *,
    village_name: str,
    today: dt.date,
    category: str | None = None,
    family_size: int | None = None,
) -> HouseholdData:
    """A household of the given village: head, members with relations, category and marks."""
    category = category or rng.choices(_CATEGORIES, _CATEGORY_WEIGHTS)[0]
    if family_size is None:
        weights = TEKUN_FAMILY_SIZE_WEIGHTS if category == Category.TEKUN else FAMILY_SIZE_WEIGHTS
        family_size = rng.choices(range(1, len(weights) + 1), weights)[0]
    elderly = category == Category.TEKUN or family_size == 1
    head_age = rng.randint(62, 92) if elderly else rng.randint(30, 78)
    head_male = rng.random() < 0.78
    surname = rng.choices(SURNAMES, _SURNAME_WEIGHTS)[0]
    head_birth = _birth(rng, today, head_age, head_age)
    head_name = person_name(rng, head_male, surname)

    members = []
    slots = family_size - 1
    if slots and rng.random() < 0.85:
        spouse_age = max(22, head_age + rng.randint(-5, 3))
        members.append(_member(rng, ids, today, Relation.SPOUSE, not head_male, spouse_age, None))
        slots -= 1
    children = 0
    while slots > 0:
        roll = rng.random()
        if head_age < 60 and roll < 0.12 and not any(m["relation"] == "parent" for m in members):
            relation, age = Relation.PARENT, head_age + rng.randint(22, 32)
        elif head_age >= 50 and children >= 1 and roll < 0.45:
            relation, age = Relation.GRANDCHILD, max(0, head_age - rng.randint(44, 60))
        elif head_age >= 48 and children >= 1 and roll < 0.6:
            relation, age = Relation.CHILD_IN_LAW, max(18, head_age - rng.randint(20, 30))
        elif roll < 0.97:
            relation, age = Relation.CHILD, max(0, head_age - rng.randint(20, 36))
            children += 1
        else:
            relation, age = Relation.SIBLING, max(16, head_age + rng.randint(-8, 8))
        male = rng.random() < 0.5
        inherit = surname if relation in (Relation.CHILD, Relation.GRANDCHILD) else None
        members.append(_member(rng, ids, today, relation, male, age, inherit))
        slots -= 1

    group = rng.randint(1, 8)
    has_account = rng.random() < 0.93
    identified_on = today - dt.timedelta(days=rng.randint(60, 5 * 365))
    if category.startswith("legacy_"):
        identified_on = dt.date(2019, 1, 1) + dt.timedelta(days=rng.randint(0, 364))
    fields = {
        "head_name": head_name,
        "id_number": ids.new(rng, head_birth, head_male),
        "phone": "" if elderly and rng.random() < 0.3 else phone_number(rng),
        "address": f"{village_name}{chinese_number(group)}组{rng.randint(1, 80)}号",
        "family_size": family_size,
        "category": category,
        "identified_by": IDENTIFIED_BY[category],
        "identified_on": identified_on,
        "is_disabled": category == Category.LEGACY_DISABLED or rng.random() < 0.08,
        "is_military_family": rng.random() < 0.02,
        "is_veteran": head_male and head_age > 40 and rng.random() < 0.04,
        "is_heroic": rng.random() < 0.002,
        "split_on": (
            today - dt.timedelta(days=rng.randint(30, 700)) if rng.random() < 0.02 else None
        ),
        "bank_account": bank_account(rng) if has_account else "",
        "bank_name": rng.choice(BANKS) if has_account else "",
    }
    return HouseholdData(fields=fields, members=members)


def _member(rng, ids, today, relation, male, age, surname) -> dict:
    birth = _birth(rng, today, age, age)
    # Children under 16 often have no ID card yet, but every resident has a number (户口).
    return {
        "name": person_name(rng, male, surname),
        "id_number": ids.new(rng, birth, male),
        "relation": relation,
    }


def village_name(rng: random.Random, used: set[str]) -> str:
    for _ in range(1000):
        name = rng.choice(VILLAGE_STEMS) + rng.choice(VILLAGE_SUFFIXES)
        if name not in used:
            used.add(name)
            return name
    name = f"{rng.choice(VILLAGE_STEMS)}{len(used)}村"
    used.add(name)
    return name


def township_names(rng: random.Random, count: int) -> list[str]:
    stems = rng.sample(TOWNSHIP_STEMS, min(count, len(TOWNSHIP_STEMS)))
    stems += [f"第{chinese_number(i + 1)}" for i in range(count - len(stems))]
    return [stem + ("镇" if i % 3 else "乡") for i, stem in enumerate(stems)]


# ---------------------------------------------------------------------------------------------
# The demo county (seed_demo). Codes of the county and the first two townships are the ones
# tests/factories.py build_county() uses, so demo and tests speak of the same places.

DEMO_SEED = 20260101
# Ages, identification dates and ID numbers are computed from this fixed day, not from the
# calendar: seeding on another day gives the very same households.
REFERENCE_DATE = dt.date(2026, 6, 30)
DEMO_PASSWORD = "Anju-demo-2026"
DEMO_COUNTY = ("141124000000", "示范县")
# Above it (issue 17): the province and the city, and a second, smaller county of the city.
DEMO_PROVINCE = ("140000000000", "山西省")
DEMO_CITY = ("141100000000", "吕梁市")
DEMO_COUNTY2 = ("141125000000", "邻县")
DEMO_COUNTY2_TOWNSHIPS = {
    ("141125100000", "青凉镇"): [("141125100201", "上庄村"), ("141125100202", "下庄村")],
}
DEMO_TOWNSHIPS = {
    ("141124100000", "临泉镇"): [
        ("141124100201", "东村"),
        ("141124100202", "西村"),
        ("141124100203", "南庄村"),
    ],
    ("141124101000", "白文镇"): [
        ("141124101201", "南村"),
        ("141124101202", "北坡村"),
        ("141124101203", "石门村"),
    ],
    ("141124102000", "城庄镇"): [
        ("141124102201", "枣林村"),
        ("141124102202", "杏园村"),
        ("141124102203", "后沟村"),
    ],
}
HOUSEHOLDS_PER_DEMO_VILLAGE = 8
# (username, role, area code, full name)
DEMO_USERS = (
    ("reviewer", "county_reviewer", "141124000000", "王建华"),
    ("approver", "county_approver", "141124000000", "李卫东"),
    ("linquan", "township_staff", "141124100000", "张秀梅"),
    ("baiwen", "township_staff", "141124101000", "刘志强"),
    ("chengzhuang", "township_staff", "141124102000", "贺俊峰"),
    ("dongcun", "village_clerk", "141124100201", "高海军"),
    ("official", "official", "141124000000", "赵文明"),
    ("linxian", "county_reviewer", "141125000000", "韩国平"),
    ("city", "city_reviewer", "141100000000", "孙立新"),
    ("cityview", "city_official", "141100000000", "周海燕"),
    ("province", "province_reviewer", "140000000000", "郭振华"),
)


def demo_households() -> list[tuple[str, HouseholdData]]:
    """The demo county's households as (village code, data): every category in every township."""
    return _households_of(DEMO_COUNTY, DEMO_TOWNSHIPS, DEMO_SEED)


def demo_county2_households() -> list[tuple[str, HouseholdData]]:
    """The second demo county's (fewer) households."""
    return _households_of(DEMO_COUNTY2, DEMO_COUNTY2_TOWNSHIPS, DEMO_SEED + 1)


def _households_of(county, townships, seed) -> list[tuple[str, HouseholdData]]:
    rng = random.Random(seed)  # noqa: S311 - made-up data, not secrets
    ids = IdAllocator(county[0][:6])
    current = [c for c in _CATEGORIES if not c.startswith("legacy_")]
    legacy = [c for c in _CATEGORIES if c.startswith("legacy_")]
    result = []
    index = 0
    for villages in townships.values():
        for code, name in villages:
            for _ in range(HOUSEHOLDS_PER_DEMO_VILLAGE):
                # Each six households cycle through the six current categories; one in
                # twelve keeps a 2019 category.
                if index % 12 == 11:
                    category = legacy[(index // 12) % len(legacy)]
                else:
                    category = current[index % len(current)]
                data = make_household(
                    rng, ids, village_name=name, today=REFERENCE_DATE, category=category
                )
                result.append((code, data))
                index += 1
    return result


# ---------------------------------------------------------------------------------------------
# Synthetic counties (generate_synthetic).


@dataclass(frozen=True)
class SyntheticArea:
    code: str
    name: str
    parent: str | None


def synthetic_areas(
    seed: int, county_code: str, county_name: str, households: int
) -> list[SyntheticArea]:
    """County, townships (≈ one per 4,000 households, 5 to 30) and 10-20 villages each."""
    rng = random.Random(f"areas:{seed}")  # noqa: S311
    county = f"{county_code}000000"
    townships = min(30, max(5, round(households / 4000)))
    areas = [SyntheticArea(county, county_name, None)]
    used: set[str] = set()
    for t, t_name in enumerate(township_names(rng, townships)):
        t_code = f"{county_code}{100 + t:03d}000"
        areas.append(SyntheticArea(t_code, t_name, county))
        for v in range(rng.randint(10, 20)):
            areas.append(
                SyntheticArea(f"{t_code[:9]}{201 + v:03d}", village_name(rng, used), t_code)
            )
    return areas


@dataclass(frozen=True)
class SyntheticSpec:
    """What every batch of one run shares; batches differ only by their number."""

    seed: int
    region: str  # the county's 6 digits: region part of every ID number
    villages: tuple[tuple[str, str], ...]  # (code, name)
    village_weights: tuple[float, ...]
    taken_hashes: frozenset = frozenset()


def village_weights(seed: int, count: int) -> tuple[float, ...]:
    """Villages differ in size: a large one has about four times the households of a small one."""
    rng = random.Random(f"villages:{seed}")  # noqa: S311
    return tuple(rng.uniform(0.5, 2.0) for _ in range(count))


def synthetic_batch(
    spec: SyntheticSpec, batch_no: int, count: int
) -> list[tuple[str, HouseholdData]]:
    """`count` households of batch `batch_no`, as (village code, data); same input, same output."""
    rng = random.Random(f"batch:{spec.seed}:{batch_no}")  # noqa: S311
    ids = IdAllocator(spec.region, lanes=[batch_no % 100], taken_hashes=spec.taken_hashes)
    villages = rng.choices(spec.villages, spec.village_weights, k=count)
    return [
        (code, make_household(rng, ids, village_name=name, today=REFERENCE_DATE))
        for code, name in villages
    ]
