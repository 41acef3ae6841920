"""The statistics as a CSV sheet for Excel: one row per figure (指标, 数值, 单位), UTF-8 with a
byte-order mark so that Excel reads the Chinese correctly. Shares are shown as percentages."""

from __future__ import annotations

import csv
import io
from decimal import ROUND_HALF_UP, Decimal

from backend.clock import CHINA_TZ
from backend.stats.service import PlatformStatistics

HEADER = ("指标", "数值", "单位")
_PERCENT = Decimal("0.01")


def _percent(value: Decimal | None) -> str:
    """A 0–1 fraction as a percentage with 2 places; empty when there was nothing to divide."""
    if value is None:
        return ""
    return str((value * 100).quantize(_PERCENT, rounding=ROUND_HALF_UP))


def _text(value: object) -> str:
    return "" if value is None else str(value)


def statistics_rows(stats: PlatformStatistics) -> list[tuple[str, str, str]]:
    """Every figure of ``stats`` as (指标, 数值, 单位), in the order the GraphQL type lists them."""
    scope = stats.scope
    region = "全平台"
    if scope.region_prefix is not None:
        region = f"{scope.region_name or ''}（{scope.region_prefix}）"
    e, i, p, d, a, loans = (
        stats.enterprises,
        stats.institutions,
        stats.products,
        stats.demands,
        stats.applications,
        stats.loans,
    )
    rows: list[tuple[str, str, str]] = [
        ("统计区域", region, ""),
        ("统计期间", f"{scope.date_from.isoformat()} 至 {scope.date_to.isoformat()}", ""),
        ("注册企业数", str(e.registered), "户"),
    ]
    rows += [(f"注册企业数（{t.label}）", str(t.count), "户") for t in e.by_entity_type]
    rows.append(("实名认证企业数", str(e.verified), "户"))
    rows += [(f"实名认证企业数（{t.label}）", str(t.verified), "户") for t in e.by_entity_type]
    rows.append(("在业金融机构数", str(i.active), "家"))
    rows += [(f"在业金融机构数（{k.label}）", str(k.count), "家") for k in i.by_kind]
    rows.append(("在售贷款产品数", str(p.active), "个"))
    rows += [(f"在售贷款产品数（{k.label}）", str(k.count), "个") for k in p.by_type]
    rows += [
        ("融资需求数", str(d.count), "笔"),
        ("融资需求金额", str(d.total_amount), "元"),
        ("已获响应融资需求数", str(d.answered), "笔"),
        ("融资需求响应率", _percent(d.answered_share), "%"),
        ("首次响应时长中位数", _text(d.median_response_hours), "小时"),
        ("贷款申请数", str(a.count), "笔"),
    ]
    rows += [(f"贷款申请数（{s.label}）", str(s.count), "笔") for s in a.by_status]
    rows += [
        ("获批申请数", str(a.approved), "笔"),
        ("未获批准申请数", str(a.rejected), "笔"),
        ("审批通过率", _percent(a.approval_rate), "%"),
        ("放款笔数", str(loans.count), "笔"),
        ("放款金额", str(loans.total_amount), "元"),
        ("信用贷款笔数", str(loans.credit_count), "笔"),
        ("信用贷款金额", str(loans.credit_amount), "元"),
        ("信用贷款占比（按金额）", _percent(loans.credit_share_by_amount), "%"),
        ("信用贷款占比（按笔数）", _percent(loans.credit_share_by_count), "%"),
        ("首贷户数", str(loans.first_time_borrowers), "户"),
        ("首贷金额", str(loans.first_time_amount), "元"),
    ]
    for s in loans.by_status:
        rows += [
            (f"贷款笔数（{s.label}）", str(s.count), "笔"),
            (f"贷款金额（{s.label}）", str(s.amount), "元"),
        ]
    generated = stats.generated_at.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M:%S")
    rows.append(("生成时间（北京时间）", generated, ""))
    return rows


def statistics_csv(stats: PlatformStatistics) -> bytes:
    """The CSV file: a BOM, the header row, one row per figure, CRLF line ends (as Excel does)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(statistics_rows(stats))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
