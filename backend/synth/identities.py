"""Synthetic market entities: who they are, where they are registered and who represents them.

USCCs carry authority ``9`` (市场监管), a type character drawn in roughly the national mix of
market entities, a real county or city division code from Shandong, Jiangsu and Ningxia, an
organisation part (``MA…`` for registrations since the code was introduced in October 2015, a
GB 11714 organisation code with its check digit for some older enterprises) and the computed
check character. The organisation part is a bijection of the enterprise's index, so codes never
repeat within a run. Legal representatives get a name from faker's zh_CN data and an ID number
with a real birth date and the computed check character.
"""

from __future__ import annotations

import math
import random
from bisect import bisect
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from itertools import accumulate

from faker import Faker
from faker.providers.company.zh_CN import Provider as CompanyData
from faker.providers.person.zh_CN import Provider as PersonData

from backend.identity.id_number import id_check_character
from backend.identity.regions import all_regions
from backend.identity.uscc import USCC_ALPHABET, uscc_check_character

#: USCC type character (authority 9) and weight. Nationally about two thirds of market entities
#: are 个体工商户, but those that take part in credit financing lean to enterprises.
ENTITY_KINDS = (("1", 55), ("2", 40), ("3", 5))
#: City prefixes (4 digits) and weights: the platform's home city first.
CITY_WEIGHTS = (
    ("3713", 40),  # 临沂
    ("3701", 8),  # 济南
    ("3702", 8),  # 青岛
    ("3201", 8),  # 南京
    ("3205", 10),  # 苏州
    ("3202", 6),  # 无锡
    ("6401", 10),  # 银川
    ("6402", 3),  # 石嘴山
    ("6403", 3),  # 吴忠
    ("6404", 2),  # 固原
    ("6405", 2),  # 中卫
)
USCC_SINCE = date(2015, 10, 1)
_MA_SPACE = 31**7
_MA_STEP = 1_000_003  # coprime with 31: index → code is a bijection of the space
_ORG_SPACE = 10**8
_ORG_STEP = 7_654_321  # coprime with 10
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_STATUSES = (("存续", 920), ("在业", 40), ("停业", 10), ("吊销", 10), ("注销", 20))
ACTIVE_STATUSES = frozenset({"存续", "在业", "开业"})

# (GB/T 4754 code, word in the name, business scope, weight)
_COMPANY_INDUSTRIES = (
    ("C13", "食品", "农副食品加工;食品销售", 4),
    ("C17", "纺织", "棉纺纱加工;针纺织品销售", 3),
    ("C18", "服饰", "服装制造;服装服饰批发", 3),
    ("C21", "家具", "家具制造;家具销售", 2),
    ("C29", "塑料制品", "塑料制品制造;塑料制品销售", 2),
    ("C30", "建材", "水泥制品制造;建筑材料销售", 3),
    ("C33", "金属制品", "金属结构制造;五金产品制造", 3),
    ("C34", "机械", "通用设备制造;机械设备销售", 4),
    ("C38", "电气", "配电开关控制设备制造;电线电缆销售", 2),
    ("C39", "电子科技", "电子元器件制造;集成电路设计", 3),
    ("E47", "建筑工程", "房屋建筑工程施工;建筑劳务分包", 6),
    ("E48", "市政工程", "市政道路工程施工;园林绿化工程施工", 2),
    ("F51", "商贸", "日用百货批发;五金产品批发;农副产品销售", 12),
    ("F52", "百货", "日用百货零售;食品销售", 5),
    ("G54", "物流", "道路普通货物运输;仓储服务(不含危险化学品);货物配载", 8),
    ("G59", "仓储", "普通仓储服务;装卸搬运", 2),
    ("H61", "酒店管理", "住宿服务;餐饮服务", 2),
    ("H62", "餐饮管理", "餐饮服务;餐饮管理", 3),
    ("I64", "网络科技", "互联网信息服务;网络技术服务", 3),
    ("I65", "信息技术", "软件开发;信息系统集成服务;信息技术咨询服务", 6),
    ("K70", "置业", "房地产开发经营;物业管理", 1),
    ("L72", "企业管理咨询", "企业管理咨询;市场营销策划", 4),
    ("M75", "科技", "技术服务、技术开发、技术咨询、技术转让;新材料技术推广", 4),
    ("A01", "农业发展", "蔬菜种植;水果种植;农产品初加工", 2),
)
# (code, shop, business scope, weight)
_SHOPS = (
    ("F52", "五金店", "五金产品零售", 6),
    ("F52", "便利店", "日用百货零售;食品销售", 10),
    ("F52", "副食店", "食品销售;烟草制品零售", 5),
    ("F52", "服装店", "服装服饰零售", 5),
    ("F52", "建材经营部", "建筑材料销售", 3),
    ("F51", "批发部", "日用百货批发", 3),
    ("H62", "饭店", "餐饮服务", 8),
    ("H62", "面馆", "餐饮服务", 4),
    ("H62", "烧烤店", "餐饮服务", 3),
    ("O80", "理发店", "理发服务;美容服务", 4),
    ("O80", "洗衣店", "洗染服务", 1),
    ("O81", "汽车修理部", "机动车修理和维护", 3),
    ("C14", "馒头坊", "食品生产;食品销售", 1),
    ("G54", "货运部", "道路普通货物运输", 2),
)
# Coop products by province prefix: (code, product, activity)
_COOP_PRODUCTS = {
    "37": (("A01", "蔬菜", "种植"), ("A01", "花生", "种植"), ("A01", "金银花", "种植"),
           ("A01", "苹果", "种植"), ("A03", "生猪", "养殖"), ("A03", "肉鸡", "养殖"),
           ("A05", "农机", "服务")),
    "32": (("A01", "水稻", "种植"), ("A01", "茶叶", "种植"), ("A04", "螃蟹", "养殖"),
           ("A01", "葡萄", "种植"), ("A05", "农机", "服务")),
    "64": (("A01", "枸杞", "种植"), ("A01", "酿酒葡萄", "种植"), ("A03", "滩羊", "养殖"),
           ("A03", "肉牛", "养殖"), ("A01", "马铃薯", "种植"), ("A05", "农机", "服务")),
}  # fmt: skip
_BRANDS = (
    "鑫源", "宏达", "恒通", "华盛", "金诚", "瑞丰", "永盛", "兴隆", "德信", "泰和", "顺达", "汇通",
    "博远", "天诚", "新锐", "明信", "众诚", "嘉禾", "祥瑞", "福源", "同创", "聚力", "惠民", "润泽",
)  # fmt: skip
_VILLAGE_WORDS = (
    "红星", "东风", "前进", "新华", "丰收", "富民", "兴旺", "绿源", "金沙", "青山", "长兴", "和平",
)  # fmt: skip
_ROADS = (
    "人民", "解放", "建设", "沂蒙", "北京", "中山", "滨河", "工业", "开元", "长江", "黄河", "通达",
    "新华", "文化", "兴业", "富民", "光明", "金雀山", "银河", "创业",
)  # fmt: skip
_COMPANY_SUFFIXES = (("有限公司", 85), ("有限责任公司", 10), ("股份有限公司", 5))


@dataclass(frozen=True, slots=True)
class Place:
    """A county-level division and the city it lies in."""

    code: str
    name: str
    full_name: str
    city_code: str
    city_name: str
    city_short: str


@dataclass(frozen=True, slots=True)
class SynthEnterprise:
    """One synthetic market entity; ``risk`` (0–1) steers its penalties, arrears and listings."""

    index: int
    serial: str
    uscc: str
    kind: str
    name: str
    place: Place
    registered_region: str
    industry_code: str
    business_scope: str
    established_on: date
    registered_capital: int
    legal_rep_name: str
    legal_rep_id_number: str
    address: str
    status: str
    employees: int
    risk: float

    @property
    def active(self) -> bool:
        """Still operating (not cancelled, revoked or suspended)."""
        return self.status in ACTIVE_STATUSES

    def registration(self) -> dict[str, object]:
        """The registration record a 市场监管 provider would send."""
        return {
            "uscc": self.uscc,
            "name": self.name,
            "legal_rep_name": self.legal_rep_name,
            "legal_rep_id_number": self.legal_rep_id_number,
            "established_on": self.established_on.isoformat(),
            "registered_capital": str(self.registered_capital),
            "industry_code": self.industry_code,
            "address": self.address,
            "status": self.status,
            "business_scope": self.business_scope,
        }


@cache
def places() -> dict[str, tuple[Place, ...]]:
    """Current county-level divisions of each city in CITY_WEIGHTS, from the region table."""
    table = all_regions()
    found: dict[str, tuple[Place, ...]] = {}
    for prefix, _weight in CITY_WEIGHTS:
        city = table[prefix + "00"]
        short = city.name.removesuffix("市")
        found[prefix] = tuple(
            Place(code, r.name, r.full_name, city.code, city.name, short)
            for code, r in sorted(table.items())
            if code.startswith(prefix)
            and r.level == "county"
            and not r.abolished
            and r.name != "市辖区"
        )
    return found


def _cumulative(weights: tuple[float, ...]) -> tuple[float, ...]:
    return tuple(accumulate(weights))


class _Picker:
    """Weighted choice with precomputed cumulative weights (random.choices recomputes them)."""

    def __init__(self, items: tuple[object, ...], weights: tuple[float, ...]) -> None:
        self.items = items
        self.cumulative = _cumulative(weights)
        self.total = self.cumulative[-1]

    def __call__(self, rng: random.Random) -> object:
        return self.items[bisect(self.cumulative, rng.random() * self.total)]


def _picker(pairs: tuple[tuple[object, float], ...]) -> _Picker:
    return _Picker(tuple(p[0] for p in pairs), tuple(p[1] for p in pairs))


def _encode31(value: int, width: int) -> str:
    chars = []
    for _ in range(width):
        value, digit = divmod(value, 31)
        chars.append(USCC_ALPHABET[digit])
    return "".join(reversed(chars))


def org_code_check(first8: str) -> str:
    """GB 11714 check character of an 8-character organisation code body (digits here)."""
    total = sum(int(ch) * w for ch, w in zip(first8, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def id_number(region: str, birth: date, sequence: int, male: bool) -> str:
    """A valid 18-digit ID number: address code, birth date, sequence (odd for men), check."""
    sequence = sequence - sequence % 2 + (1 if male else 0)
    body = f"{region}{birth:%Y%m%d}{sequence:03d}"
    return body + id_check_character(body)


class EnterpriseFactory:
    """Draws enterprises one at a time from one seeded generator."""

    def __init__(self, *, seed: int, as_of: date, min_age_days: int = 30) -> None:
        self.rng = random.Random(seed)  # noqa: S311 (test data, not secrets)
        self.fake = Faker("zh_CN")
        self.fake.random = self.rng  # faker draws from the same seeded stream
        self.as_of = as_of
        self.min_age_days = min_age_days
        self.seed_tag = f"{seed % 9000 + 1000:04d}"
        self._ma_offset = self.rng.randrange(_MA_SPACE)
        self._org_offset = self.rng.randrange(_ORG_SPACE)
        self._cities = _picker(CITY_WEIGHTS)
        self._kinds = _picker(ENTITY_KINDS)
        self._statuses = _picker(_STATUSES)
        self._industries = _Picker(_COMPANY_INDUSTRIES, tuple(i[3] for i in _COMPANY_INDUSTRIES))
        self._shops = _Picker(_SHOPS, tuple(s[3] for s in _SHOPS))
        self._suffixes = _picker(_COMPANY_SUFFIXES)
        self._surnames = _Picker(
            tuple(PersonData.last_names), tuple(PersonData.last_names.values())
        )
        self._prefixes = tuple(p for p in CompanyData.company_prefixes if len(p) == 2) + _BRANDS
        self._places = places()
        self._all_places = tuple(p for group in self._places.values() for p in group)

    def person(self, place: Place, born_before: date) -> tuple[str, str]:
        """A name and a valid ID number, mostly registered in ``place``, born before a date."""
        rng = self.rng
        male = rng.random() < 0.62  # most legal representatives of SMEs are men
        given = self.fake.first_name_male() if male else self.fake.first_name_female()
        name = str(self._surnames(rng)) + given
        home = place if rng.random() < 0.75 else rng.choice(self._all_places)
        birth = born_before - timedelta(days=rng.randrange(0, 40 * 365))
        return name, id_number(home.code, birth, rng.randrange(1000), male)

    def _established(self, kind: str) -> date:
        rng = self.rng
        mean_years = {"1": 6.0, "2": 4.0, "3": 6.0}[kind]
        cap_days = (self.as_of - date(1995 if kind != "3" else 2007, 7, 1)).days
        days = self.min_age_days + int(rng.expovariate(1 / (mean_years * 365)))
        if days > cap_days:
            days = self.min_age_days + rng.randrange(max(1, cap_days - self.min_age_days))
        return self.as_of - timedelta(days=days)

    def _organisation_part(self, index: int, kind: str, established: date) -> str:
        if kind != "2" and established < USCC_SINCE and self.rng.random() < 0.6:
            body = f"{(self._org_offset + index * _ORG_STEP) % _ORG_SPACE:08d}"
            return body + org_code_check(body)
        return "MA" + _encode31((self._ma_offset + index * _MA_STEP) % _MA_SPACE, 7)

    def make(self, index: int) -> SynthEnterprise:
        """The enterprise at ``index`` of this run."""
        rng = self.rng
        kind = str(self._kinds(rng))
        city = str(self._cities(rng))
        place = rng.choice(self._places[city])
        registered = place.code if rng.random() < 0.85 else place.city_code
        established = self._established(kind)
        first17 = f"9{kind}{registered}" + self._organisation_part(index, kind, established)
        uscc = first17 + uscc_check_character(first17)
        risk = rng.betavariate(1.2, 6.0)
        if kind == "1":
            code, word, scope, _w = self._industries(rng)  # type: ignore[misc]
            brand = rng.choice(self._prefixes)
            name = f"{place.city_short}{brand}{word}{self._suffixes(rng)}"
            capital = _round_to(math.exp(rng.gauss(math.log(1_000_000), 1.2)), 10_000)
            employees = max(1, min(2000, int(math.exp(rng.gauss(math.log(12), 1.1)))))
        elif kind == "2":
            code, shop, scope, _w = self._shops(rng)  # type: ignore[misc]
            word = f"{self._surnames(rng)}记" if rng.random() < 0.4 else rng.choice(self._prefixes)
            name = f"{place.name}{word}{shop}"
            capital = rng.choice((10_000, 20_000, 30_000, 50_000, 100_000, 200_000, 500_000))
            employees = rng.randint(1, 8)
        else:
            code, product, activity = rng.choice(_COOP_PRODUCTS[city[:2]])
            scope = f"组织收购、销售成员{product}产品;开展{activity}技术培训"
            name = f"{place.name}{rng.choice(_VILLAGE_WORDS)}{product}{activity}专业合作社"
            capital = _round_to(math.exp(rng.gauss(math.log(500_000), 0.9)), 10_000)
            employees = rng.randint(5, 120)
        rep_name, rep_id = self.person(place, established - timedelta(days=20 * 365))
        road = rng.choice(_ROADS) + rng.choice(("路", "街", "大道"))
        if kind == "3":
            address = f"{place.full_name}{rng.choice(_VILLAGE_WORDS)}村"
        else:
            address = f"{place.full_name}{road}{rng.randint(1, 399)}号"
        return SynthEnterprise(
            index=index,
            serial=f"{self.seed_tag}{index:07d}",
            uscc=uscc,
            kind=kind,
            name=name,
            place=place,
            registered_region=registered,
            industry_code=code,
            business_scope=scope,
            established_on=established,
            registered_capital=capital,
            legal_rep_name=rep_name,
            legal_rep_id_number=rep_id,
            address=address,
            status=str(self._statuses(rng)),
            employees=employees,
            risk=risk,
        )


def _round_to(value: float, step: int) -> int:
    return max(step, round(value / step) * step)


def enterprises(
    count: int, *, seed: int, as_of: date, min_age_days: int = 30
) -> Iterator[SynthEnterprise]:
    """``count`` enterprises, one at a time (deterministic for ``seed`` and ``as_of``)."""
    factory = EnterpriseFactory(seed=seed, as_of=as_of, min_age_days=min_age_days)
    for index in range(count):
        yield factory.make(index)
