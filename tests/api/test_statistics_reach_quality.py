"""platformStatistics' policy reach, objections and data quality: on a small fixed data set laid
out on a calendar, every figure equals the one computed by hand (written literally below), with
the region and period filters, a withdrawn policy, a stored rule that cannot be read, late and
overdue objections, a provider that never sent anything, the CSV export and a constant number of
statements."""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from backend.clock import china_today
from backend.identity.models import Role
from tests.support.builders import staff_token
from tests.support.policy_rows import (
    insert_batch,
    insert_features,
    insert_filer,
    insert_message,
    insert_objection,
    insert_policy,
    insert_provider,
    insert_record,
    insert_repair,
)
from tests.support.stats_rows import cst, insert_enterprise

STATS = """
query Stats($regionCode: String, $from: Date, $to: Date) {
  platformStatistics(regionCode: $regionCode, from: $from, to: $to) {
    policyReach {
      activePolicies told read readShare firmsTold truncated
      policies {
        policyId title policyType policyTypeLabel status statusLabel matched told read readShare
      }
    }
    objections {
      count forwardedCount forwardedOnTimeCount onTimeShare overdueCount resolvedCount
      medianResolutionHours byStatus { status label count }
      repairRequests { count resolvedCount approvedCount }
    }
    dataQuality {
      asOf batchCount acceptedRows rejectedRows rejectedShare
      providers {
        code name batchCount acceptedRows rejectedRows rejectedShare lastReceivedAt
        daysSinceLastBatch currentRecords
      }
    }
  }
}
"""
YEAR_2025 = {"from": "2025-01-01", "to": "2025-12-31"}
YEARS_5 = {"fact": "years_in_business", "op": "gte", "value": 2}
HIGH_TECH = {"fact": "is_high_tech", "op": "eq", "value": True}


@dataclass(frozen=True)
class DataSet:
    """The ids the assertions name: policies P1–P6 and the three providers' codes."""

    policies: dict[str, str]
    providers: dict[str, str]


async def given_the_fixed_data_set(runtime) -> DataSet:
    """Firms in 临沂 (3713) and 苏州 (3205) with features; policies and their messages; objections
    and repair requests; three providers' batches and records. Times are Beijing time."""
    async with runtime.sessionmaker() as session:
        # firms: (name, region, years in business, high-tech); E2 no, E3 unknown
        firms = {}
        for name, region, years, high_tech in [
            ("E1", "371302", 5, True),
            ("E2", "371311", 1, False),
            ("E3", "371302", 3, None),
            ("E4", "320505", 10, True),
            ("E5", "320506", 0, True),
        ]:
            firms[name] = await insert_enterprise(
                session, region_code=region, created_at=cst("2024-01-01 09:00")
            )
            await insert_features(
                session,
                enterprise_id=firms[name],
                region_code=region,
                years_in_business=years,
                is_high_tech=high_tech,
            )

        # policies, published in this order (the list shows the newest first)
        policies = {
            "P5": await insert_policy(  # withdrawn, told only in 2024: not listed
                session,
                title="2024年稳岗贴息（已撤回）",
                eligibility=YEARS_5,
                status="WITHDRAWN",
                created_at=cst("2024-05-01 09:00"),
            ),
            "P3": await insert_policy(  # withdrawn after telling E1 and E2 in 2025
                session,
                title="风险补偿试点（已撤回）",
                policy_type="RISK_COMPENSATION",
                eligibility=YEARS_5,
                status="WITHDRAWN",
                created_at=cst("2025-01-05 09:00"),
            ),
            "P1": await insert_policy(  # 临沂 firms in business 2 years or more: E1 E3
                session,
                title="临沂市小微企业贷款贴息",
                eligibility=YEARS_5,
                region_codes=["371300"],
                created_at=cst("2025-01-10 09:00"),
            ),
            "P2": await insert_policy(  # high-tech firms anywhere: E1 E4 E5
                session,
                title="高新技术企业首贷奖励",
                policy_type="FIRST_LOAN_REWARD",
                eligibility=HIGH_TECH,
                created_at=cst("2025-02-10 09:00"),
            ),
            "P4": await insert_policy(  # ACTIVE but expired mid-2025: listed, matched null
                session,
                title="上半年担保费补贴",
                policy_type="GUARANTEE_FEE_SUBSIDY",
                eligibility=YEARS_5,
                valid_until=date(2025, 6, 30),
                created_at=cst("2025-03-01 09:00"),
            ),
            "P6": await insert_policy(  # in force, but its stored rule names no known fact
                session,
                title="规则损坏的政策",
                policy_type="OTHER",
                eligibility={"fact": "no_such_fact", "op": "eq", "value": 1},
                created_at=cst("2025-05-01 09:00"),
            ),
        }

        # messages: (policy, firm, created, read)
        for policy, firm, created, read in [
            ("P1", "E1", "2025-03-01 10:00", "2025-03-02 08:00"),
            ("P1", "E3", "2025-03-01 10:00", None),
            ("P2", "E1", "2025-04-01 10:00", None),
            ("P2", "E4", "2025-04-01 10:00", "2025-04-01 12:00"),
            ("P2", "E5", "2024-12-31 23:30", "2025-01-01 08:00"),  # before 2025
            ("P3", "E1", "2025-02-01 10:00", "2025-02-01 11:00"),
            ("P3", "E2", "2025-02-01 10:00", None),
            ("P5", "E2", "2024-06-01 10:00", None),  # 2024
            ("P4", "E2", "2026-01-01 00:10", None),  # after 2025
        ]:
            await insert_message(
                session,
                enterprise_id=firms[firm],
                policy_id=policies[policy],
                created_at=cst(created),
                read_at=cst(read) if read else None,
            )
        await insert_message(  # not a policy message
            session, enterprise_id=firms["E1"], kind="SYSTEM", created_at=cst("2025-03-01 10:00")
        )

        # providers: 税务 (batches around 2025 and one in 2026), 市场监管 (one batch), 水务 (none)
        providers = {
            "tax": await insert_provider(session, code="tax", name="市税务局"),
            "market": await insert_provider(session, code="market", name="市市场监管局"),
            "water": await insert_provider(session, code="water", name="市水务集团"),
        }
        tax, market = providers["tax"].id, providers["market"].id
        for created, accepted, rejected in [
            ("2024-12-31 23:00", 5, 5),  # before 2025
            ("2025-02-01 09:00", 100, 0),
            ("2025-11-30 10:00", 40, 10),  # the last of 2025: 31 days before its end
            ("2026-01-05 10:00", 1, 1),  # after 2025: the last ever
        ]:
            batch = await insert_batch(
                session,
                provider_id=tax,
                created_at=cst(created),
                accepted=accepted,
                rejected=rejected,
            )
        market_batch = await insert_batch(
            session, provider_id=market, created_at=cst("2025-12-31 23:30"), accepted=3
        )
        # records: 税务 two current and one superseded; 市场监管 one per objection/repair + one old
        for current in (True, True, False):
            await insert_record(
                session,
                enterprise_id=firms["E1"],
                provider_id=tax,
                batch_id=batch,
                is_current=current,
            )
        await insert_record(
            session,
            enterprise_id=firms["E1"],
            provider_id=market,
            batch_id=market_batch,
            is_current=False,
        )

        async def record_of(firm: str) -> int:
            return await insert_record(
                session, enterprise_id=firms[firm], provider_id=market, batch_id=market_batch
            )

        # objections: (firm, status, filed, due, forwarded, resolved)
        filer = await insert_filer(session)
        for firm, status, filed, due, forwarded, resolved in [
            ("E1", "UPHELD", "2025-03-03 09:00", "2025-03-05 23:59", "2025-03-04 10:00",
             "2025-03-10 09:00"),  # on time; 168 hours
            ("E2", "REJECTED", "2025-03-07 10:00", "2025-03-11 23:59", "2025-03-13 10:00",
             "2025-03-17 10:00"),  # late; 240 hours
            ("E3", "SUBMITTED", "2025-06-02 09:00", "2025-06-04 23:59", None, None),  # overdue
            ("E4", "FORWARDED", "2025-07-01 09:00", "2025-07-03 23:59", "2025-07-02 09:00",
             None),  # on time, not yet decided
            ("E2", "REJECTED", "2025-08-01 09:00", "2025-08-05 23:59", None,
             "2025-08-02 09:00"),  # decided at once; 24 hours
            ("E1", "UPHELD", "2024-12-31 10:00", "2025-01-03 23:59", "2025-01-02 10:00",
             "2025-01-06 10:00"),  # 2024
            ("E5", "SUBMITTED", "2026-01-01 00:30", "2026-01-06 23:59", None, None),  # 2026
        ]:  # fmt: skip
            await insert_objection(
                session,
                enterprise_id=firms[firm],
                record_id=await record_of(firm),
                filer_id=filer,
                status=status,
                filed_at=cst(filed),
                forward_due_at=cst(due),
                forwarded_at=cst(forwarded) if forwarded else None,
                resolved_at=cst(resolved) if resolved else None,
            )
        # repair requests: (firm, status, filed, resolved)
        for firm, status, filed, resolved in [
            ("E1", "APPROVED", "2025-04-01 09:00", "2025-04-05 09:00"),
            ("E4", "SUBMITTED", "2025-05-01 09:00", None),
            ("E2", "APPROVED", "2024-11-01 09:00", "2024-11-03 09:00"),  # 2024
        ]:
            await insert_repair(
                session,
                enterprise_id=firms[firm],
                record_id=await record_of(firm),
                filer_id=filer,
                status=status,
                filed_at=cst(filed),
                resolved_at=cst(resolved) if resolved else None,
            )
        await session.commit()
    return DataSet(
        policies={key: str(value) for key, value in policies.items()},
        providers={key: provider.code for key, provider in providers.items()},
    )


async def statistics(client, token: str, **variables: Any) -> dict[str, Any]:
    """platformStatistics for ``variables``, asserting it answered."""
    result = await client.execute(STATS, variables, token=token)
    assert result.errors == [], result.errors
    return result.data["platformStatistics"]


def reach_rows(stats: dict[str, Any], data: DataSet) -> list[tuple]:
    """The listed policies as (name, matched, told, read, readShare), in the order given."""
    names = {value: key for key, value in data.policies.items()}
    return [
        (names[p["policyId"]], p["matched"], p["told"], p["read"], p["readShare"])
        for p in stats["policyReach"]["policies"]
    ]


def totals(section: dict[str, Any], *names: str) -> tuple:
    return tuple(section[name] for name in names)


REACH_TOTALS = ("activePolicies", "told", "read", "readShare", "firmsTold", "truncated")


async def test_policy_reach_of_the_whole_platform_equals_the_hand_computed_one(
    client, runtime, caplog
):
    # given the fixed data set and a government official
    data = await given_the_fixed_data_set(runtime)
    token = await staff_token(client, runtime, Role.GOVERNMENT)

    # when the official reads 2025 for the whole platform
    with caplog.at_level(logging.WARNING, logger="xinrong.stats"):
        reach = (await statistics(client, token, **YEAR_2025))["policyReach"]

    # then active policies P1 P2 P6 (P4 expired); 6 messages of 2025, 3 read, to E1 E2 E3 E4
    assert totals(reach, *REACH_TOTALS) == (3, 6, 3, "0.5000", 4, False)
    # and newest first: P6's unreadable rule and P4's expiry leave matched empty; withdrawn P3
    # is listed for its 2025 messages, P5 (told in 2024 only) is not
    assert reach["policies"][0] == {
        "policyId": data.policies["P6"],
        "title": "规则损坏的政策",
        "policyType": "OTHER",
        "policyTypeLabel": "其他",
        "status": "ACTIVE",
        "statusLabel": "有效",
        "matched": None,
        "told": 0,
        "read": 0,
        "readShare": None,
    }
    assert reach_rows({"policyReach": reach}, data) == [
        ("P6", None, 0, 0, None),
        ("P4", None, 0, 0, None),  # its one message is of 2026
        ("P2", 3, 2, 1, "0.5000"),  # E1 E4 E5 qualify; E5's message is of 2024
        ("P1", 2, 2, 1, "0.5000"),  # E1 E3 (E4 is in 苏州, E2 too young)
        ("P3", None, 2, 1, "0.5000"),
    ]
    p3 = reach["policies"][4]
    assert (p3["policyType"], p3["policyTypeLabel"], p3["status"], p3["statusLabel"]) == (
        "RISK_COMPENSATION",
        "风险补偿",
        "WITHDRAWN",
        "已撤回",
    )
    # and the bad rule was logged, not raised
    assert any(data.policies["P6"] in r.getMessage() for r in caplog.records)


async def test_policy_reach_counts_only_firms_and_messages_of_the_region(client, runtime):
    # given the fixed data set
    data = await given_the_fixed_data_set(runtime)
    token = await staff_token(client, runtime, Role.GOVERNMENT)

    # when the official reads 2025 for 临沂 and for 苏州
    linyi = await statistics(client, token, regionCode="3713", **YEAR_2025)
    suzhou = await statistics(client, token, regionCode="320500", **YEAR_2025)

    # then 临沂 (E1 E2 E3): P2 matches E1 alone and told it (unread); P3 still listed
    assert totals(linyi["policyReach"], *REACH_TOTALS) == (3, 5, 2, "0.4000", 3, False)
    assert reach_rows(linyi, data) == [
        ("P6", None, 0, 0, None),
        ("P4", None, 0, 0, None),
        ("P2", 1, 1, 0, "0.0000"),
        ("P1", 2, 2, 1, "0.5000"),
        ("P3", None, 2, 1, "0.5000"),
    ]
    # and 苏州 (E4 E5): P1 is 临沂's, P3 told no firm of 苏州 and is left out
    assert totals(suzhou["policyReach"], *REACH_TOTALS) == (3, 1, 1, "1.0000", 1, False)
    assert reach_rows(suzhou, data) == [
        ("P6", None, 0, 0, None),
        ("P4", None, 0, 0, None),
        ("P2", 2, 1, 1, "1.0000"),
        ("P1", 0, 0, 0, None),
    ]


async def test_policy_reach_counts_only_messages_of_the_period(client, runtime):
    # given the fixed data set
    data = await given_the_fixed_data_set(runtime)
    token = await staff_token(client, runtime, Role.GOVERNMENT)

    # when the official reads March 2025: P1's two messages alone (P3's are of February)
    march = await statistics(client, token, **{"from": "2025-03-01", "to": "2025-03-31"})

    # then matched counts today's firms whatever the period; told and read only March's
    assert totals(march["policyReach"], *REACH_TOTALS) == (3, 2, 1, "0.5000", 2, False)
    assert reach_rows(march, data) == [
        ("P6", None, 0, 0, None),
        ("P4", None, 0, 0, None),
        ("P2", 3, 0, 0, None),
        ("P1", 2, 2, 1, "0.5000"),
    ]


async def test_the_policy_list_is_cut_to_the_newest_but_the_totals_are_not(
    client, runtime, monkeypatch
):
    # given the fixed data set, and a list cut to three policies
    data = await given_the_fixed_data_set(runtime)
    token = await staff_token(client, runtime, Role.GOVERNMENT)
    monkeypatch.setattr("backend.stats.policies.MAX_POLICIES", 3)

    # when the official reads 2025
    stats = await statistics(client, token, **YEAR_2025)

    # then the three newest are listed and the list says it was cut; the totals are all 2025's
    assert totals(stats["policyReach"], *REACH_TOTALS) == (3, 6, 3, "0.5000", 4, True)
    assert reach_rows(stats, data) == [
        ("P6", None, 0, 0, None),
        ("P4", None, 0, 0, None),
        ("P2", 3, 2, 1, "0.5000"),
    ]


OBJECTION_FIGURES = (
    "count",
    "forwardedCount",
    "forwardedOnTimeCount",
    "onTimeShare",
    "overdueCount",
    "resolvedCount",
    "medianResolutionHours",
)


def objection_statuses(stats: dict[str, Any]) -> dict[str, int]:
    return {row["status"]: row["count"] for row in stats["objections"]["byStatus"]}


async def test_objection_timeliness_equals_the_hand_computed_figures(client, runtime):
    # given the fixed data set
    await given_the_fixed_data_set(runtime)
    token = await staff_token(client, runtime, Role.GOVERNMENT)

    # when the official reads 2025 for the whole platform, 临沂 and 苏州
    whole = await statistics(client, token, **YEAR_2025)
    linyi = await statistics(client, token, regionCode="3713", **YEAR_2025)
    suzhou = await statistics(client, token, regionCode="3205", **YEAR_2025)

    # then 5 objections of 2025: forwarded on time (E1, E4) and late (E2); E3's is overdue and
    # unforwarded; decided in 168, 240 and 24 hours (median 168)
    objections = whole["objections"]
    assert totals(objections, *OBJECTION_FIGURES) == (5, 3, 2, "0.6667", 1, 3, "168.00")
    assert objections["byStatus"] == [
        {"status": "SUBMITTED", "label": "已受理待转交", "count": 1},
        {"status": "FORWARDED", "label": "已转交核查", "count": 1},
        {"status": "UPHELD", "label": "异议成立", "count": 1},
        {"status": "REJECTED", "label": "异议未予支持", "count": 2},
    ]
    assert objections["repairRequests"] == {"count": 2, "resolvedCount": 1, "approvedCount": 1}

    # and 临沂 has all but E4's; 苏州 only E4's, forwarded on time and not yet decided
    assert totals(linyi["objections"], *OBJECTION_FIGURES) == (4, 2, 1, "0.5000", 1, 3, "168.00")
    assert objection_statuses(linyi) == {"SUBMITTED": 1, "FORWARDED": 0, "UPHELD": 1, "REJECTED": 2}
    assert linyi["objections"]["repairRequests"] == {
        "count": 1,
        "resolvedCount": 1,
        "approvedCount": 1,
    }
    assert totals(suzhou["objections"], *OBJECTION_FIGURES) == (1, 1, 1, "1.0000", 0, 0, None)
    assert suzhou["objections"]["repairRequests"] == {
        "count": 1,
        "resolvedCount": 0,
        "approvedCount": 0,
    }


def provider_rows(stats: dict[str, Any], data: DataSet) -> dict[str, tuple]:
    names = {value: key for key, value in data.providers.items()}
    return {
        names[p["code"]]: (
            p["batchCount"],
            p["acceptedRows"],
            p["rejectedRows"],
            p["rejectedShare"],
            p["daysSinceLastBatch"],
            p["currentRecords"],
        )
        for p in stats["dataQuality"]["providers"]
    }


def last_received(stats: dict[str, Any]) -> list[str | None]:
    return [p["lastReceivedAt"] for p in stats["dataQuality"]["providers"]]


async def test_data_quality_per_provider_equals_the_hand_computed_figures(client, runtime):
    # given the fixed data set
    data = await given_the_fixed_data_set(runtime)
    token = await staff_token(client, runtime, Role.GOVERNMENT)

    # when the official reads 2025, for the whole platform and for 苏州
    whole = await statistics(client, token, **YEAR_2025)
    suzhou = await statistics(client, token, regionCode="3205", **YEAR_2025)

    # then per provider, by code: 市场监管 sent on 31 December, 税务 last on 30 November (and
    # again in 2026), 水务 never; freshness is told as of the period's end
    quality = whole["dataQuality"]
    assert [p["code"] for p in quality["providers"]] == [
        data.providers["market"],
        data.providers["tax"],
        data.providers["water"],
    ]
    assert [p["name"] for p in quality["providers"]] == ["市市场监管局", "市税务局", "市水务集团"]
    assert provider_rows(whole, data) == {
        "market": (1, 3, 0, "0.0000", 0, 10),  # 7 objections' and 3 repairs' records
        "tax": (2, 140, 10, "0.0667", 31, 2),
        "water": (0, 0, 0, None, None, 0),
    }
    assert last_received(whole) == [
        "2025-12-31T15:30:00+00:00",
        "2026-01-05T02:00:00+00:00",
        None,
    ]
    assert totals(
        quality, "asOf", "batchCount", "acceptedRows", "rejectedRows", "rejectedShare"
    ) == ("2025-12-31", 3, 143, 10, "0.0654")
    # and providers are not regional: 苏州 sees the same
    assert suzhou["dataQuality"] == quality


async def test_freshness_is_told_as_of_today_when_the_period_ends_later(client, runtime):
    # given the fixed data set
    data = await given_the_fixed_data_set(runtime)
    token = await staff_token(client, runtime, Role.GOVERNMENT)

    # when the period runs on beyond today
    today = china_today()
    later = today + timedelta(days=10)
    stats = await statistics(client, token, **{"from": "2025-01-01", "to": later.isoformat()})

    # then freshness is counted to today, from 税务's batch of 5 January 2026
    assert stats["dataQuality"]["asOf"] == today.isoformat()
    rows = provider_rows(stats, data)
    assert rows["tax"][4] == (today - date(2026, 1, 5)).days
    assert rows["market"][4] == (today - date(2025, 12, 31)).days
    assert rows["tax"][:3] == (3, 141, 11)


async def test_the_csv_export_has_the_new_sections(client, runtime):
    # given the fixed data set and an official
    data = await given_the_fixed_data_set(runtime)
    token = await staff_token(client, runtime, Role.GOVERNMENT)

    # when the official downloads 临沂, 2025
    response = await client.http.get(
        "/statistics/export.csv",
        params={"regionCode": "3713", **YEAR_2025},
        headers={"Authorization": f"Bearer {token}"},
    )

    # then the policy reach, objection and data-quality figures are rows of the sheet
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    figures = {row[0]: (row[1], row[2]) for row in rows[1:]}
    assert figures["当前有效政策数"] == ("3", "项")
    assert figures["政策推送消息数"] == ("5", "条")
    assert figures["政策消息已读率"] == ("40.00", "%")
    assert figures["收到政策推送的企业数"] == ("3", "户")
    p1 = "临沂市小微企业贷款贴息（贷款贴息，有效）"
    assert figures[f"政策符合条件企业数：{p1}"] == ("2", "户")
    assert figures[f"政策消息已读率：{p1}"] == ("50.00", "%")
    assert figures["政策符合条件企业数：风险补偿试点（已撤回）（风险补偿，已撤回）"] == ("", "户")
    assert figures["异议数"] == ("4", "件")
    assert figures["异议数（已受理待转交）"] == ("1", "件")
    assert figures["异议按期转交率"] == ("50.00", "%")
    assert figures["超期未转交异议数"] == ("1", "件")
    assert figures["异议处理时长中位数"] == ("168.00", "小时")
    assert figures["信用修复申请数"] == ("1", "件")
    tax = f"市税务局（{data.providers['tax']}）"
    water = f"市水务集团（{data.providers['water']}）"
    assert figures[f"拒收记录数：{tax}"] == ("10", "条")
    assert figures[f"记录拒收率：{tax}"] == ("6.67", "%")
    assert figures[f"最近报送时间（北京时间）：{tax}"] == ("2026-01-05 10:00:00", "")
    assert figures[f"距最近报送天数：{tax}"] == ("31", "天")
    assert figures[f"距最近报送天数：{water}"] == ("", "天")
    assert figures["记录拒收率"] == ("6.54", "%")
    assert all(len(row) == 3 for row in rows)


async def test_the_statement_count_does_not_grow_with_the_data(client, runtime, statement_counter):
    # given the fixed data set and an official who has read once
    await given_the_fixed_data_set(runtime)
    token = await staff_token(client, runtime, Role.GOVERNMENT)
    await statistics(client, token, **YEAR_2025)

    # when the official reads 2025, then the data set is laid down again and read again
    statement_counter.clear()
    once = await statistics(client, token, **YEAR_2025)
    statements_once = len(statement_counter)
    await given_the_fixed_data_set(runtime)
    statement_counter.clear()
    twice = await statistics(client, token, **YEAR_2025)

    # then as many statements answer (the session check, six lending sections, two for policy
    # reach, one each for objections and data quality), and the figures double
    assert len(statement_counter) == statements_once == 11, statement_counter
    assert twice["policyReach"]["told"] == 2 * once["policyReach"]["told"] == 12
    assert twice["policyReach"]["activePolicies"] == 6
    assert len(twice["policyReach"]["policies"]) == 10
    # P2 now matches both copies of E1, E4 and E5 (P1 both copies of E1 and E3)
    assert sorted(p["matched"] for p in twice["policyReach"]["policies"] if p["matched"]) == [
        4,
        4,
        6,
        6,
    ]
    assert twice["objections"]["count"] == 10
    assert twice["objections"]["medianResolutionHours"] == "168.00"
    assert len(twice["dataQuality"]["providers"]) == 6
