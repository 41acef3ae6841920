"""The statistics as a CSV sheet for Excel: one row per figure (指标, 数值, 单位), UTF-8 with a
byte-order mark so that Excel reads the Chinese correctly. Shares are shown as percentages."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from backend.clock import CHINA_TZ
from backend.stats.policies import MAX_POLICIES
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
    rows += _policy_rows(stats) + _objection_rows(stats) + _quality_rows(stats)
    rows.append(("生成时间（北京时间）", _time(stats.generated_at), ""))
    return rows


def _time(moment: datetime | None) -> str:
    """A timestamp in Beijing time to the second; empty for none."""
    return "" if moment is None else moment.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M:%S")


def _policy_rows(stats: PlatformStatistics) -> list[tuple[str, str, str]]:
    """Policy reach: the totals, then each listed policy's figures, named by its title."""
    reach = stats.policy_reach
    rows = [
        ("当前有效政策数", str(reach.active_policies), "项"),
        ("政策推送消息数", str(reach.told), "条"),
        ("政策消息已读数", str(reach.read), "条"),
        ("政策消息已读率", _percent(reach.read_share), "%"),
        ("收到政策推送的企业数", str(reach.firms_told), "户"),
    ]
    for p in reach.policies:
        name = f"{p.title}（{p.policy_type_label}，{p.status_label}）"
        rows += [
            (f"政策符合条件企业数：{name}", _text(p.matched), "户"),
            (f"政策推送消息数：{name}", str(p.told), "条"),
            (f"政策消息已读数：{name}", str(p.read), "条"),
            (f"政策消息已读率：{name}", _percent(p.read_share), "%"),
        ]
    if reach.truncated:
        rows.append(("政策列表", f"仅列出最新发布的 {MAX_POLICIES} 项", ""))
    return rows


def _objection_rows(stats: PlatformStatistics) -> list[tuple[str, str, str]]:
    """Objections and their timeliness, then credit-repair requests."""
    o = stats.objections
    rows = [("异议数", str(o.count), "件")]
    rows += [(f"异议数（{s.label}）", str(s.count), "件") for s in o.by_status]
    rows += [
        ("已转交核查异议数", str(o.forwarded_count), "件"),
        ("按期转交异议数", str(o.forwarded_on_time_count), "件"),
        ("异议按期转交率", _percent(o.on_time_share), "%"),
        ("超期未转交异议数", str(o.overdue_count), "件"),
        ("已处理异议数", str(o.resolved_count), "件"),
        ("异议处理时长中位数", _text(o.median_resolution_hours), "小时"),
        ("信用修复申请数", str(o.repair_requests.count), "件"),
        ("已审核信用修复申请数", str(o.repair_requests.resolved_count), "件"),
        ("审核通过信用修复申请数", str(o.repair_requests.approved_count), "件"),
    ]
    return rows


def _quality_rows(stats: PlatformStatistics) -> list[tuple[str, str, str]]:
    """Data quality: the totals, then each provider's figures, named by provider."""
    q = stats.data_quality
    rows = [
        ("数据新鲜度计算日期", q.as_of.isoformat(), ""),
        ("收到数据批次数", str(q.batch_count), "批"),
        ("入库记录数", str(q.accepted_rows), "条"),
        ("拒收记录数", str(q.rejected_rows), "条"),
        ("记录拒收率", _percent(q.rejected_share), "%"),
    ]
    for p in q.providers:
        name = f"{p.name}（{p.code}）"
        rows += [
            (f"收到数据批次数：{name}", str(p.batch_count), "批"),
            (f"入库记录数：{name}", str(p.accepted_rows), "条"),
            (f"拒收记录数：{name}", str(p.rejected_rows), "条"),
            (f"记录拒收率：{name}", _percent(p.rejected_share), "%"),
            (f"最近报送时间（北京时间）：{name}", _time(p.last_received_at), ""),
            (f"距最近报送天数：{name}", _text(p.days_since_last_batch), "天"),
            (f"现行信用记录数：{name}", str(p.current_records), "条"),
        ]
    return rows


def statistics_csv(stats: PlatformStatistics) -> bytes:
    """The CSV file: a BOM, the header row, one row per figure, CRLF line ends (as Excel does)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(statistics_rows(stats))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
