"""Synthetic credit records of one enterprise, category by category, as providers send them.

Figures follow the enterprise: headcount drives social insurance, power and water use and
revenue; its ``risk`` drives tax grades, arrears, penalties (severity and publicity periods as
in NDRC order No. 36: minor up to 3 months, general 3 months to a year, serious 1 to 3 years) and
listings. Monthly series are made by ``FeeSeries`` so that a file can be written enterprise by
enterprise or month by month (as a utility's monthly billing runs come) from the same state.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from typing import Any

from backend.synth.identities import SynthEnterprise

Row = dict[str, Any]
UTILITIES = ("water_fee", "electricity_fee")
# (unit price range in yuan, use per employee per month range)
_UTILITY_PROFILE = {
    "water_fee": ((3.4, 6.2), (1.5, 5.0)),
    "electricity_fee": ((0.55, 0.92), (250.0, 1400.0)),
}
_PENALTIES = (
    # agency, abbreviation, violation, facts, basis, content, industries (prefixes) or None
    ("市场监督管理局", "市监", "销售不合格产品", "销售的一批产品经抽检不合格",
     "《中华人民共和国产品质量法》第四十九条", "没收违法销售的产品;罚款", None),
    ("市场监督管理局", "市监", "虚假宣传", "在经营场所及网络平台对商品作虚假的商业宣传",
     "《中华人民共和国反不正当竞争法》第二十条", "责令停止违法行为;罚款", None),
    ("市场监督管理局", "市监", "经营不符合食品安全标准的食品",
     "经营的食品经抽检不符合食品安全标准",
     "《中华人民共和国食品安全法》第一百二十四条", "没收违法所得;罚款", ("C13", "C14", "H", "F52")),
    ("生态环境局", "环", "超标排放大气污染物", "在线监测数据显示颗粒物排放浓度超过排放标准",
     "《中华人民共和国大气污染防治法》第九十九条", "责令改正;罚款", ("C",)),
    ("应急管理局", "应急", "未按规定开展安全生产教育和培训",
     "部分从业人员未经安全生产教育和培训上岗作业",
     "《中华人民共和国安全生产法》第九十七条", "责令限期改正;罚款", ("C", "E", "G")),
    ("税务局", "税", "未按期办理纳税申报", "未按照规定期限办理纳税申报和报送纳税资料",
     "《中华人民共和国税收征收管理法》第六十二条", "罚款", None),
    ("消防救援大队", "消", "消防设施未保持完好有效", "消防设施、器材未保持完好有效",
     "《中华人民共和国消防法》第六十条", "责令改正;罚款", None),
)  # fmt: skip
_SEVERITY_MONTHS = {"minor": (3,), "general": (3, 6, 12), "serious": (12, 24, 36)}
_FINES = {"minor": (500, 5_000), "general": (5_000, 50_000), "serious": (50_000, 500_000)}
_DISHONEST_REASONS = (
    "有履行能力而拒不履行生效法律文书确定义务",
    "以伪造证据、暴力、威胁等方法妨碍、抗拒执行",
    "以虚假诉讼、虚假仲裁或者以隐匿、转移财产等方法规避执行",
    "违反财产报告制度",
)
_ABNORMAL = (
    ("未按照《企业信息公示暂行条例》规定的期限公示年度报告", "补报未报年份的年度报告并公示"),
    ("通过登记的住所或者经营场所无法联系", "依法办理住所变更登记"),
    ("公示企业信息隐瞒真实情况、弄虚作假", "更正其公示的信息"),
)
_PROVINCE_ABBR = {"37": "鲁", "32": "苏", "64": "宁"}


def month_list(as_of: date, months: int) -> list[tuple[int, int]]:
    """The ``months`` months up to and including ``as_of``'s, oldest first."""
    year, month = as_of.year, as_of.month
    found = []
    for _ in range(months):
        found.append((year, month))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return found[::-1]


def _money(value: float) -> str:
    return f"{value:.2f}"


def _days_after(start: date, end: date, rng: random.Random) -> date:
    """A day in [start, end] (``start`` when the range is empty)."""
    span = (end - start).days
    return start + timedelta(days=rng.randrange(span + 1)) if span > 0 else start


def _add_months(day: date, months: int) -> date:
    year, month = divmod(day.month - 1 + months, 12)
    month += 1
    year += day.year
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


class FeeSeries:
    """The monthly utility bills of one enterprise's account, one month at a time."""

    __slots__ = (
        "arrears",
        "base",
        "enterprise",
        "history",
        "prefix",
        "price",
        "risk",
    )

    def __init__(self, enterprise: SynthEnterprise, category: str, rng: random.Random) -> None:
        (low_price, high_price), (low_use, high_use) = _UTILITY_PROFILE[category]
        heavy = 3.0 if enterprise.industry_code.startswith("C") else 1.0
        self.enterprise = enterprise
        self.base = enterprise.employees * rng.uniform(low_use, high_use) * heavy
        self.price = round(rng.uniform(low_price, high_price), 4)
        self.risk = enterprise.risk * 0.12
        self.arrears = 0.0
        self.history: list[float] = []
        # 10-digit account numbers, scattered like a utility's (the key also holds the USCC).
        number = (int(enterprise.serial) * 2_654_435_761 + len(category)) % 1_000_000
        account = f"{enterprise.place.code[:4]}{number:06d}"
        self.prefix = {
            "uscc": enterprise.uscc,
            "name": enterprise.name,
            **({"account_holder": enterprise.legal_rep_name} if enterprise.kind == "2" else {}),
            "account_no": account,
        }

    def row(self, year: int, month: int, rng: random.Random) -> Row:
        """The bill of ``year``-``month`` (months must come in order)."""
        # Two seasonal peaks (cooling in July, heating in January) and some noise.
        use = self.base * (1 + 0.2 * math.cos(math.pi * (month - 1) / 3)) * rng.uniform(0.85, 1.15)
        history = self.history
        history.append(use)
        if len(history) > 6:
            del history[0]
        bill = use * self.price
        late = rng.random() < (0.5 if self.arrears else self.risk)
        paid = bill * rng.uniform(0.0, 0.5) if late else bill + self.arrears
        self.arrears = self.arrears + bill - paid if late else 0.0
        row = {
            **self.prefix,
            "month": f"{year}-{month:02d}",
            "amount_paid": _money(paid),
            "usage": f"{use:.1f}",
            "usage_avg_3m": f"{sum(history[-3:]) / len(history[-3:]):.1f}",
            "usage_avg_6m": f"{sum(history) / len(history):.1f}",
            "in_arrears": late,
        }
        if late:
            row["arrears_amount"] = _money(self.arrears)
        return row


def fee_rows_by_month(
    enterprises: Sequence[SynthEnterprise],
    category: str,
    months: Sequence[tuple[int, int]],
    rng: random.Random,
    limit: int | None = None,
) -> Iterator[Row]:
    """Bills of every enterprise month after month (a utility's billing runs), up to ``limit``."""
    series = [FeeSeries(e, category, rng) for e in enterprises]
    produced = 0
    for year, month in months:
        for bills in series:
            if limit is not None and produced >= limit:
                return
            yield bills.row(year, month, rng)
            produced += 1


def _months_since(
    e: SynthEnterprise, months: Sequence[tuple[int, int]]
) -> Sequence[tuple[int, int]]:
    start = (e.established_on.year, e.established_on.month)
    return [m for m in months if m >= start]


def tax_rows(e: SynthEnterprise, rng: random.Random, as_of: date) -> Iterator[Row]:
    """One row per completed year of the last three (纳税信用 is rated per year)."""
    if e.kind == "2":
        revenue = rng.uniform(80_000, 1_500_000)
    else:
        revenue = e.employees * rng.uniform(150_000, 900_000)
    rate = rng.uniform(0.01, 0.06) if e.kind == "1" else rng.uniform(0.003, 0.015)
    rated = e.kind != "2" or rng.random() < 0.5
    for year in range(max(e.established_on.year, as_of.year - 3), as_of.year):
        revenue *= rng.uniform(0.85, 1.25)
        first_year = year == e.established_on.year
        paid = revenue * rate
        in_arrears = rng.random() < e.risk * 0.3
        row: Row = {
            "uscc": e.uscc,
            "name": e.name,
            "year": year,
            "tax_paid": _money(paid),
            "annual_revenue": _money(revenue),
            "in_arrears": in_arrears,
        }
        if rated:
            score = 100 - e.risk * 100 + rng.gauss(0, 8) - (15 if in_arrears else 0)
            row["tax_credit_grade"] = (
                "M"
                if first_year and score >= 70
                else "A"
                if score >= 90
                else "B"
                if score >= 70
                else "C"
                if score >= 40
                else "D"
            )
        if in_arrears:
            row["arrears_amount"] = _money(paid * rng.uniform(0.05, 0.3))
        yield row


def social_insurance_rows(
    e: SynthEnterprise, rng: random.Random, months: Sequence[tuple[int, int]]
) -> Iterator[Row]:
    """Monthly headcount and contributions of enterprises that insure staff."""
    insured = e.employees if e.kind == "1" else rng.randint(0, min(e.employees, 10))
    per_head = rng.uniform(1_050, 1_650)
    for year, month in _months_since(e, months):
        insured = max(0, insured + rng.choice((-1, 0, 0, 0, 0, 0, 1)))
        amount = insured * per_head
        in_arrears = rng.random() < e.risk * 0.08
        row: Row = {
            "uscc": e.uscc,
            "name": e.name,
            "month": f"{year}-{month:02d}",
            "insured_count": insured,
            "amount_paid": _money(amount * (rng.uniform(0, 0.6) if in_arrears else 1)),
            "in_arrears": in_arrears,
        }
        if in_arrears:
            row["arrears_amount"] = _money(amount * rng.uniform(0.4, 1.0))
        yield row


def penalty_rows(e: SynthEnterprise, rng: random.Random, as_of: date) -> Iterator[Row]:
    """Administrative penalties of the last five years; riskier enterprises have more."""
    if rng.random() >= 0.03 + e.risk * 0.4:
        return
    count = 1 + (rng.random() < e.risk) + (rng.random() < e.risk / 2)
    start = max(e.established_on, as_of - timedelta(days=5 * 365))
    fitting = [
        p for p in _PENALTIES if p[6] is None or e.industry_code.startswith(tuple(p[6]))
    ] or list(_PENALTIES[:2])
    for k in range(count):
        agency, abbr, violation, facts, basis, content, _fits = rng.choice(fitting)
        decided = _days_after(start, as_of, rng)
        roll = rng.random() - e.risk * 0.3
        severity = "serious" if roll < 0.08 else "general" if roll < 0.45 else "minor"
        low, high = _FINES[severity]
        fine = round(rng.uniform(low, high), -2)
        place = e.place
        yield {
            "uscc": e.uscc,
            "name": e.name,
            "doc_name": "行政处罚决定书",
            "doc_number": (
                f"{place.city_short[0]}{place.name[0]}{abbr}罚〔{decided.year}〕{e.serial}{k}号"
            ),
            "violation_type": violation,
            "facts": facts,
            "basis": basis,
            "content": content,
            "fine_amount": _money(fine),
            "decided_on": decided.isoformat(),
            "publicity_until": _add_months(
                decided, rng.choice(_SEVERITY_MONTHS[severity])
            ).isoformat(),
            "severity": severity,
            "authority_name": f"{place.city_name}{place.name}{agency}",
        }


def dishonest_rows(e: SynthEnterprise, rng: random.Random, as_of: date) -> Iterator[Row]:
    """A listing as 失信被执行人 (courts) for a few risky enterprises; some removed since."""
    if e.kind == "3" or rng.random() >= 0.002 + e.risk * 0.06:
        return
    start = max(e.established_on + timedelta(days=365), as_of - timedelta(days=4 * 365))
    if start > as_of:
        return
    listed = _days_after(start, as_of, rng)
    place = e.place
    row: Row = {
        "uscc": e.uscc,
        "name": e.name,
        "list_name": "失信被执行人名单",
        "listed_on": listed.isoformat(),
        "reason": rng.choice(_DISHONEST_REASONS),
        "basis_doc_number": (
            f"({listed.year - 1}){_PROVINCE_ABBR[place.code[:2]]}{place.code[2:6]}"
            f"执{rng.randint(100, 9999)}号"
        ),
        "authority_name": f"{place.city_name}{place.name}人民法院",
    }
    removed = listed + timedelta(days=rng.randint(60, 400))
    if removed <= as_of and rng.random() < 0.35:
        row["removed_on"] = removed.isoformat()
    yield row


def abnormal_rows(e: SynthEnterprise, rng: random.Random, as_of: date) -> Iterator[Row]:
    """A listing in 经营异常名录; about half have been removed after putting things right."""
    if rng.random() >= 0.01 + e.risk * 0.12:
        return
    start = max(e.established_on + timedelta(days=180), as_of - timedelta(days=5 * 365))
    if start > as_of:
        return
    listed = _days_after(start, as_of, rng)
    reason, remedy = rng.choice(_ABNORMAL)
    row: Row = {
        "uscc": e.uscc,
        "name": e.name,
        "listed_on": listed.isoformat(),
        "reason": reason,
        "authority_name": f"{e.place.city_name}{e.place.name}市场监督管理局",
    }
    removed = listed + timedelta(days=rng.randint(30, 300))
    if removed <= as_of and rng.random() < 0.5:
        row["removed_on"] = removed.isoformat()
        row["removal_reason"] = remedy
    yield row


def enterprise_records(
    e: SynthEnterprise, rng: random.Random, as_of: date, months: Sequence[tuple[int, int]]
) -> Iterator[tuple[str, Row]]:
    """Every record of one enterprise, as ``(category, row)``, registration first."""
    yield "registration", e.registration()
    operating = e.active
    for row in tax_rows(e, rng, as_of):
        yield "tax", row
    if operating:
        if e.kind == "1" or rng.random() < 0.35:
            for row in social_insurance_rows(e, rng, months):
                yield "social_insurance", row
        own_months = _months_since(e, months)
        for category in UTILITIES:
            bills = FeeSeries(e, category, rng)
            for year, month in own_months:
                yield category, bills.row(year, month, rng)
    for row in penalty_rows(e, rng, as_of):
        yield "admin_penalty", row
    for row in dishonest_rows(e, rng, as_of):
        yield "dishonest_list", row
    for row in abnormal_rows(e, rng, as_of):
        yield "abnormal_operation", row
