"""platformStatistics and GET /statistics/export.csv: on a small fixed data set laid out on a
calendar, every figure equals the one computed by hand (written literally below); the region and
period filters, empty periods, bad arguments, who may read, and a constant statement count."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from backend.clock import china_today
from backend.identity.models import Role
from tests.support.builders import institution_user, provider_token, register, staff_token
from tests.support.stats_rows import (
    cst,
    insert_application,
    insert_demand,
    insert_enterprise,
    insert_institution,
    insert_loan,
    insert_product,
)

STATS = """
query Stats($regionCode: String, $from: Date, $to: Date) {
  platformStatistics(regionCode: $regionCode, from: $from, to: $to) {
    regionCode regionName from to
    enterprises { registered verified byEntityType { entityType label count verifiedCount } }
    institutions { active byKind { key label count } }
    products { active byType { key label count } }
    demands { count totalAmount answeredCount answeredShare medianResponseHours }
    applications {
      count approvedCount rejectedCount approvalRate byStatus { status label count }
    }
    loans {
      count totalAmount creditLoanCount creditLoanAmount creditShareByAmount creditShareByCount
      firstTimeBorrowers firstTimeAmount byStatus { status label count amount }
    }
    generatedAt
  }
}
"""
YEAR_2025 = {"from": "2025-01-01", "to": "2025-12-31"}
HOURS = timedelta(hours=1)


async def given_the_fixed_data_set(runtime) -> None:
    """Firms in 临沂 (3713) and 苏州 (3205); demands, applications and loans around 2025.

    Times are Beijing time; the rows just outside 2025 sit minutes from its edges.
    """
    async with runtime.sessionmaker() as session:
        # institutions: two banks and a guarantor active, a bank suspended
        bank1 = await insert_institution(session, kind="BANK", created_at=cst("2024-01-01 00:00"))
        await insert_institution(session, kind="BANK", created_at=cst("2024-01-01 00:00"))
        guarantor = await insert_institution(
            session, kind="GUARANTOR", created_at=cst("2024-01-01 00:00")
        )
        suspended = await insert_institution(
            session, kind="BANK", status="SUSPENDED", created_at=cst("2024-01-01 00:00")
        )
        # products: on offer P1 (credit) and P2 (guaranteed); a paused one; one of a suspended bank
        p1 = await insert_product(session, institution_id=bank1, created_at=cst("2024-01-02 00:00"))
        await insert_product(
            session,
            institution_id=bank1,
            product_type="GUARANTEED",
            created_at=cst("2024-01-02 00:00"),
        )
        await insert_product(
            session,
            institution_id=guarantor,
            product_type="GUARANTEED",
            status="PAUSED",
            created_at=cst("2024-01-02 00:00"),
        )
        await insert_product(session, institution_id=suspended, created_at=cst("2024-01-02 00:00"))

        # enterprises in 临沂 (3713)
        e1 = await insert_enterprise(
            session,
            region_code="371302",
            created_at=cst("2024-06-01 10:00"),
            verified_at=cst("2024-06-02 10:00"),
        )
        e2 = await insert_enterprise(
            session,
            region_code="371311",
            entity_type="individual_business",
            created_at=cst("2025-03-01 10:00"),
            verified_at=cst("2025-03-05 10:00"),
        )
        e3 = await insert_enterprise(
            session, region_code="371302", created_at=cst("2025-05-01 10:00")
        )
        await insert_enterprise(  # registered after 2025
            session,
            region_code="371312",
            entity_type="farmer_coop",
            created_at=cst("2026-01-01 00:10"),
            verified_at=cst("2026-01-02 10:00"),
        )
        # enterprises in 苏州 (3205)
        e5 = await insert_enterprise(
            session,
            region_code="320505",
            created_at=cst("2024-01-01 09:00"),
            verified_at=cst("2024-01-01 09:30"),
        )
        e6 = await insert_enterprise(  # verified only after 2025
            session,
            region_code="320506",
            created_at=cst("2025-07-01 10:00"),
            verified_at=cst("2026-01-10 10:00"),
        )

        # demands: (firm, amount, published, first answered after)
        for firm, amount, published, waited in [
            (e1, 1_000_000, "2025-02-01 09:00", 2 * HOURS),
            (e2, 500_000, "2025-03-10 10:00", 5.5 * HOURS),
            (e3, 300_000, "2025-06-01 08:00", None),
            (e1, 200_000, "2025-01-01 00:30", 10 * HOURS),
            (e1, 800_000, "2026-01-01 00:30", 1 * HOURS),  # after 2025
            (e5, 2_000_000, "2025-04-01 09:00", 24 * HOURS),
            (e6, 100_000, "2024-12-31 23:00", None),  # before 2025
        ]:
            await insert_demand(
                session,
                enterprise_id=firm,
                amount=amount,
                created_at=cst(published),
                answered_after=waited,
            )

        # applications: (firm, status, made); all for P1 of bank 1
        applications = {}
        for name, firm, status, made in [
            ("A1", e1, "SUBMITTED", "2025-02-02 10:00"),
            ("A2", e1, "APPROVED", "2025-02-03 10:00"),
            ("A3", e2, "REJECTED", "2025-03-11 10:00"),
            ("A4", e2, "DISBURSED", "2025-03-12 10:00"),
            ("A5", e3, "WITHDRAWN", "2025-06-02 10:00"),
            ("A6", e1, "CLOSED", "2025-02-04 10:00"),
            ("A7", e1, "REJECTED", "2026-01-05 10:00"),  # after 2025
            ("A8", e5, "DISBURSED", "2025-04-02 10:00"),
            ("A9", e5, "REJECTED", "2025-04-03 10:00"),
            ("A10", e6, "DISBURSED", "2025-07-02 10:00"),
            ("A11", e1, "CLOSED", "2024-12-20 10:00"),  # before 2025
        ]:
            applications[name] = await insert_application(
                session,
                enterprise_id=firm,
                product_id=p1,
                institution_id=bank1,
                status=status,
                created_at=cst(made),
            )

        # loans: (application, amount, disbursed, credit loan, first loan, latest status)
        for name, amount, disbursed, credit, first, status in [
            ("A4", 500_000, date(2025, 3, 20), True, True, "NORMAL"),
            ("A6", 1_000_000, date(2025, 2, 10), False, False, "REPAID"),
            ("A8", 2_000_000, date(2025, 4, 10), True, False, "OVERDUE"),
            ("A10", 300_000, date(2025, 12, 31), True, True, "DEFAULT"),
            ("A11", 400_000, date(2024, 12, 31), True, True, "REPAID"),  # before 2025
        ]:
            await insert_loan(
                session,
                application=applications[name],
                amount=amount,
                disbursed_on=disbursed,
                credit=credit,
                first=first,
                status=status,
            )
        await session.commit()


async def statistics(client, token: str, **variables: Any) -> dict[str, Any]:
    """platformStatistics for ``variables``, asserting it answered."""
    result = await client.execute(STATS, variables, token=token)
    assert result.errors == [], result.errors
    return result.data["platformStatistics"]


def entity_counts(stats: dict[str, Any]) -> dict[str, tuple[int, int]]:
    return {
        row["entityType"]: (row["count"], row["verifiedCount"])
        for row in stats["enterprises"]["byEntityType"]
    }


def status_counts(section: dict[str, Any]) -> dict[str, int]:
    return {row["status"]: row["count"] for row in section["byStatus"]}


async def test_whole_platform_figures_equal_the_hand_computed_ones(client, runtime):
    # given the fixed data set and a government official
    await given_the_fixed_data_set(runtime)
    token = await staff_token(client, runtime, Role.GOVERNMENT)

    # when the official reads 2025 for the whole platform
    stats = await statistics(client, token, **YEAR_2025)

    # then every figure is the one computed by hand
    generated_at = stats.pop("generatedAt")
    assert generated_at
    assert stats == {
        "regionCode": None,
        "regionName": None,
        "from": "2025-01-01",
        "to": "2025-12-31",
        "enterprises": {
            "registered": 5,  # e1 e2 e3 e5 e6 (the cooperative came in 2026)
            "verified": 3,  # e1 e2 e5 (e6 verified only in 2026, e3 never)
            "byEntityType": [
                {"entityType": "enterprise", "label": "企业", "count": 4, "verifiedCount": 2},
                {
                    "entityType": "individual_business",
                    "label": "个体工商户",
                    "count": 1,
                    "verifiedCount": 1,
                },
                {
                    "entityType": "farmer_coop",
                    "label": "农民专业合作社",
                    "count": 0,
                    "verifiedCount": 0,
                },
                {"entityType": "other", "label": "其他", "count": 0, "verifiedCount": 0},
            ],
        },
        "institutions": {
            "active": 3,
            "byKind": [
                {"key": "BANK", "label": "银行", "count": 2},
                {"key": "GUARANTOR", "label": "融资担保机构", "count": 1},
                {"key": "INSURER", "label": "保险机构", "count": 0},
                {"key": "CREDIT_AGENCY", "label": "征信机构", "count": 0},
            ],
        },
        "products": {
            "active": 2,
            "byType": [
                {"key": "CREDIT", "label": "信用贷", "count": 1},
                {"key": "GUARANTEED", "label": "担保贷", "count": 1},
                {"key": "MORTGAGE", "label": "抵押贷", "count": 0},
                {"key": "PLEDGE", "label": "质押贷", "count": 0},
            ],
        },
        "demands": {
            "count": 5,
            "totalAmount": "4000000.00",  # 1,000,000 + 500,000 + 300,000 + 200,000 + 2,000,000
            "answeredCount": 4,
            "answeredShare": "0.8000",
            "medianResponseHours": "7.75",  # of 2, 5.5, 10 and 24 hours: (5.5 + 10) / 2
        },
        "applications": {
            "count": 9,
            "approvedCount": 5,  # APPROVED 1 + DISBURSED 3 + CLOSED 1
            "rejectedCount": 2,
            "approvalRate": "0.7143",  # 5 / 7
            "byStatus": [
                {"status": "SUBMITTED", "label": "已提交", "count": 1},
                {"status": "APPROVED", "label": "已批准", "count": 1},
                {"status": "REJECTED", "label": "未获批准", "count": 2},
                {"status": "DISBURSED", "label": "已放款", "count": 3},
                {"status": "WITHDRAWN", "label": "已撤回", "count": 1},
                {"status": "CLOSED", "label": "已结清", "count": 1},
            ],
        },
        "loans": {
            "count": 4,
            "totalAmount": "3800000.00",
            "creditLoanCount": 3,
            "creditLoanAmount": "2800000.00",
            "creditShareByAmount": "0.7368",  # 2.8 / 3.8
            "creditShareByCount": "0.7500",
            "firstTimeBorrowers": 2,  # e2 and e6
            "firstTimeAmount": "800000.00",
            "byStatus": [
                {"status": "NORMAL", "label": "正常", "count": 1, "amount": "500000.00"},
                {"status": "OVERDUE", "label": "逾期", "count": 1, "amount": "2000000.00"},
                {"status": "DEFAULT", "label": "违约", "count": 1, "amount": "300000.00"},
                {"status": "REPAID", "label": "已结清", "count": 1, "amount": "1000000.00"},
            ],
        },
    }


async def test_the_region_filter_counts_only_firms_of_the_region(client, runtime):
    # given the fixed data set
    await given_the_fixed_data_set(runtime)
    token = await staff_token(client, runtime, Role.GOVERNMENT)

    # when the official reads 2025 for 临沂市 (6 digits), 苏州市 (4 digits) and 兰山区 alone
    linyi = await statistics(client, token, regionCode="371300", **YEAR_2025)
    suzhou = await statistics(client, token, regionCode="3205", **YEAR_2025)
    lanshan = await statistics(client, token, regionCode="371302", **YEAR_2025)

    # then 临沂: e1 e2 e3; demands of 2, 5.5 and 10 hours; applications A1–A6; loans L1 L2
    assert (linyi["regionCode"], linyi["regionName"]) == ("3713", "山东省临沂市")
    assert (linyi["enterprises"]["registered"], linyi["enterprises"]["verified"]) == (3, 2)
    assert entity_counts(linyi)["individual_business"] == (1, 1)
    assert linyi["demands"] == {
        "count": 4,
        "totalAmount": "2000000.00",
        "answeredCount": 3,
        "answeredShare": "0.7500",
        "medianResponseHours": "5.50",
    }
    assert status_counts(linyi["applications"]) == {
        "SUBMITTED": 1,
        "APPROVED": 1,
        "REJECTED": 1,
        "DISBURSED": 1,
        "WITHDRAWN": 1,
        "CLOSED": 1,
    }
    assert (linyi["applications"]["approvedCount"], linyi["applications"]["approvalRate"]) == (
        3,
        "0.7500",
    )
    loans = linyi["loans"]
    assert (loans["count"], loans["totalAmount"]) == (2, "1500000.00")
    assert (loans["creditLoanCount"], loans["creditLoanAmount"]) == (1, "500000.00")
    assert (loans["creditShareByAmount"], loans["creditShareByCount"]) == ("0.3333", "0.5000")
    assert (loans["firstTimeBorrowers"], loans["firstTimeAmount"]) == (1, "500000.00")
    assert status_counts(loans) == {"NORMAL": 1, "OVERDUE": 0, "DEFAULT": 0, "REPAID": 1}
    # institutions and products are platform-wide whatever the region
    assert (linyi["institutions"]["active"], linyi["products"]["active"]) == (3, 2)

    # and 苏州: e5 e6 (e6 not yet verified); one demand answered in 24 hours; A8–A10; L3 L4
    assert suzhou["regionName"] == "江苏省苏州市"
    assert (suzhou["enterprises"]["registered"], suzhou["enterprises"]["verified"]) == (2, 1)
    assert suzhou["demands"] == {
        "count": 1,
        "totalAmount": "2000000.00",
        "answeredCount": 1,
        "answeredShare": "1.0000",
        "medianResponseHours": "24.00",
    }
    applications = suzhou["applications"]
    assert (applications["count"], applications["approvedCount"]) == (3, 2)
    assert (applications["rejectedCount"], applications["approvalRate"]) == (1, "0.6667")
    loans = suzhou["loans"]
    assert (loans["count"], loans["totalAmount"], loans["creditLoanAmount"]) == (
        2,
        "2300000.00",
        "2300000.00",
    )
    assert (loans["creditShareByAmount"], loans["creditShareByCount"]) == ("1.0000", "1.0000")
    assert (loans["firstTimeBorrowers"], loans["firstTimeAmount"]) == (1, "300000.00")

    # and 兰山区: e1 e3; demands of 2 and 10 hours (median 6) and one unanswered; no credit loan
    assert lanshan["regionCode"] == "371302"
    assert (lanshan["enterprises"]["registered"], lanshan["enterprises"]["verified"]) == (2, 1)
    assert lanshan["demands"]["count"] == 3
    assert lanshan["demands"]["medianResponseHours"] == "6.00"
    assert lanshan["applications"]["count"] == 4
    assert lanshan["applications"]["approvalRate"] == "1.0000"  # 2 approved, none rejected
    loans = lanshan["loans"]
    assert (loans["count"], loans["creditLoanCount"], loans["firstTimeBorrowers"]) == (1, 0, 0)
    assert (loans["creditShareByAmount"], loans["creditShareByCount"]) == ("0.0000", "0.0000")
    assert loans["firstTimeAmount"] == "0.00"


async def test_the_period_filter_counts_only_what_happened_in_it(client, runtime):
    # given the fixed data set
    await given_the_fixed_data_set(runtime)
    token = await staff_token(client, runtime, Role.GOVERNMENT)

    # when the official reads the first quarter of 2025 for the whole platform
    quarter = await statistics(client, token, **{"from": "2025-01-01", "to": "2025-03-31"})

    # then firms registered by 31 March: e1 e2 e5 (all verified by then)
    assert (quarter["enterprises"]["registered"], quarter["enterprises"]["verified"]) == (3, 3)
    # demands D1, D2 and the one published at 00:30 on 1 January
    assert quarter["demands"] == {
        "count": 3,
        "totalAmount": "1700000.00",
        "answeredCount": 3,
        "answeredShare": "1.0000",
        "medianResponseHours": "5.50",
    }
    # applications A1 A2 A3 A4 A6
    assert quarter["applications"]["count"] == 5
    assert quarter["applications"]["approvalRate"] == "0.7500"
    # loans L1 (20 March) and L2 (10 February)
    loans = quarter["loans"]
    assert (loans["count"], loans["totalAmount"], loans["firstTimeBorrowers"]) == (
        2,
        "1500000.00",
        1,
    )

    # when the period ends on 30 December, the loan of 31 December drops out
    december = await statistics(client, token, **{"from": "2025-12-01", "to": "2025-12-30"})
    assert december["loans"]["count"] == 0
    # and a period of that one day holds it
    last_day = await statistics(client, token, **{"from": "2025-12-31", "to": "2025-12-31"})
    assert (last_day["loans"]["count"], last_day["loans"]["totalAmount"]) == (1, "300000.00")


async def test_an_empty_period_gives_zeros_and_no_shares(client, runtime):
    # given the fixed data set, which starts in 2024
    await given_the_fixed_data_set(runtime)
    token = await staff_token(client, runtime, Role.GOVERNMENT)

    # when the official reads 2023
    stats = await statistics(client, token, **{"from": "2023-01-01", "to": "2023-12-31"})

    # then everything is zero and no share is divided by zero
    assert (stats["enterprises"]["registered"], stats["enterprises"]["verified"]) == (0, 0)
    assert (stats["institutions"]["active"], stats["products"]["active"]) == (0, 0)
    assert stats["demands"] == {
        "count": 0,
        "totalAmount": "0.00",
        "answeredCount": 0,
        "answeredShare": None,
        "medianResponseHours": None,
    }
    assert (stats["applications"]["count"], stats["applications"]["approvalRate"]) == (0, None)
    assert set(status_counts(stats["applications"]).values()) == {0}
    loans = stats["loans"]
    assert (loans["count"], loans["totalAmount"], loans["firstTimeAmount"]) == (0, "0.00", "0.00")
    assert (loans["creditShareByAmount"], loans["creditShareByCount"]) == (None, None)
    assert {row["amount"] for row in loans["byStatus"]} == {"0.00"}


async def test_without_dates_the_period_is_the_last_twelve_months(client, runtime):
    # given an official and an empty platform
    token = await staff_token(client, runtime, Role.GOVERNMENT)

    # when the official gives no period
    stats = await statistics(client, token)

    # then it is the twelve months up to today (China), and only `to` moves the start along
    today = china_today()
    a_year_ago = today.replace(year=today.year - 1)
    assert (stats["from"], stats["to"]) == (
        (a_year_ago + timedelta(days=1)).isoformat(),
        today.isoformat(),
    )
    only_to = await statistics(client, token, to="2025-06-30")
    assert (only_to["from"], only_to["to"]) == ("2024-07-01", "2025-06-30")
    assert stats["demands"]["answeredShare"] is None


@pytest.mark.parametrize(
    ("variables", "field"),
    [
        ({"regionCode": "99"}, "regionCode"),  # no such province
        ({"regionCode": "37130"}, "regionCode"),  # five digits
        ({"regionCode": "3713ab"}, "regionCode"),
        ({"from": "2025-12-31", "to": "2025-01-01"}, "from"),
        ({"from": "2021-01-01", "to": "2026-01-01"}, "from"),  # a day over five years
        ({"from": "1999-12-31", "to": "2000-06-30"}, "from"),
        ({"to": "2100-01-01"}, "to"),
    ],
)
async def test_bad_region_or_period_is_a_validation_error(client, runtime, variables, field):
    # given an official
    token = await staff_token(client, runtime, Role.GOVERNMENT)

    # when the official asks with a bad region or period
    result = await client.execute(STATS, variables, token=token)

    # then a VALIDATION_ERROR names the argument, with a Chinese message, and no figures
    assert result.data is None
    assert result.error_codes() == ["VALIDATION_ERROR"]
    assert result.errors[0]["extensions"]["field"] == field
    assert any("\u4e00" <= ch <= "\u9fff" for ch in result.errors[0]["message"])


async def test_the_longest_period_is_five_years(client, runtime):
    # given an official
    token = await staff_token(client, runtime, Role.GOVERNMENT)

    # when the period is exactly five years (inclusive), and a 2-digit province is given
    stats = await statistics(
        client, token, regionCode="37", **{"from": "2021-01-02", "to": "2026-01-01"}
    )

    # then it is answered
    assert (stats["from"], stats["to"], stats["regionName"]) == (
        "2021-01-02",
        "2026-01-01",
        "山东省",
    )


async def test_only_government_staff_may_read_statistics(client, runtime):
    # given one account of each other role
    firm = await register(client)
    bank = await institution_user(client, runtime)
    provider = await provider_token(client, runtime, code="stats-p", categories=["tax"])
    auditor = await staff_token(client, runtime, Role.AUDITOR)

    # when each asks (anonymous too), then none gets figures
    anonymous = await client.execute(STATS, YEAR_2025)
    assert anonymous.error_codes() == ["NOT_AUTHENTICATED"]
    assert anonymous.data is None
    for token in (firm, bank.token, provider, auditor):
        result = await client.execute(STATS, YEAR_2025, token=token)
        assert result.error_codes() == ["FORBIDDEN"]
        assert result.data is None


async def test_the_statement_count_does_not_grow_with_the_data(client, runtime, statement_counter):
    # given the fixed data set and an official who has read once (the leak guard, which looks at
    # every response, has then learnt who the token belongs to)
    await given_the_fixed_data_set(runtime)
    token = await staff_token(client, runtime, Role.GOVERNMENT)
    await statistics(client, token, **YEAR_2025)

    # when the official reads 2025, then the data set is added a second time and read again
    statement_counter.clear()
    once = await statistics(client, token, **YEAR_2025)
    statements_once = list(statement_counter)
    await given_the_fixed_data_set(runtime)
    statement_counter.clear()
    twice = await statistics(client, token, **YEAR_2025)

    # then the same statements answer: the session check and one per section, the median being a
    # subquery of the demands' statement; and the counts double
    assert statement_counter == statements_once
    assert len(statements_once) == 11, statements_once
    assert twice["demands"]["count"] == 2 * once["demands"]["count"] == 10
    assert twice["loans"]["totalAmount"] == "7600000.00"
    assert twice["loans"]["firstTimeBorrowers"] == 4
    assert twice["demands"]["medianResponseHours"] == once["demands"]["medianResponseHours"]
    assert twice["applications"]["approvalRate"] == once["applications"]["approvalRate"]


EXPORT = "/statistics/export.csv"


async def test_the_csv_export_has_one_row_per_figure_for_excel(client, runtime):
    # given the fixed data set and an official
    await given_the_fixed_data_set(runtime)
    token = await staff_token(client, runtime, Role.GOVERNMENT)

    # when the official downloads 临沂, 2025
    response = await client.http.get(
        EXPORT,
        params={"regionCode": "3713", **YEAR_2025},
        headers={"Authorization": f"Bearer {token}"},
    )

    # then a UTF-8 CSV with a byte-order mark, a Chinese header and the same figures
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert (
        "xinrong-statistics-3713-2025-01-01_2025-12-31.csv"
        in (response.headers["content-disposition"])
    )
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["指标", "数值", "单位"]
    figures = {row[0]: (row[1], row[2]) for row in rows[1:]}
    assert figures["统计区域"] == ("山东省临沂市（3713）", "")
    assert figures["统计期间"] == ("2025-01-01 至 2025-12-31", "")
    assert figures["注册企业数"] == ("3", "户")
    assert figures["实名认证企业数（个体工商户）"] == ("1", "户")
    assert figures["融资需求金额"] == ("2000000.00", "元")
    assert figures["融资需求响应率"] == ("75.00", "%")
    assert figures["首次响应时长中位数"] == ("5.50", "小时")
    assert figures["审批通过率"] == ("75.00", "%")
    assert figures["信用贷款占比（按金额）"] == ("33.33", "%")
    assert figures["首贷户数"] == ("1", "户")
    assert figures["贷款金额（已结清）"] == ("1000000.00", "元")
    assert all(len(row) == 3 for row in rows)


async def test_the_csv_export_is_for_government_only_and_checks_its_parameters(client, runtime):
    # given an official, an institution and an enterprise user
    official = await staff_token(client, runtime, Role.GOVERNMENT)
    bank = await institution_user(client, runtime)
    firm = await register(client)

    async def get(token: str | None, **params: str):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return await client.http.get(EXPORT, params=params, headers=headers)

    # then no token or a bad one is 401, another role 403 (before its parameters are looked at)
    assert (await get(None)).status_code == 401
    assert (await get("not-a-token")).status_code == 401
    for token in (bank.token, firm):
        refused = await get(token, regionCode="bad")
        assert refused.status_code == 403
        assert refused.json()["errors"][0]["code"] == "FORBIDDEN"

    # and bad parameters are 400 with every bad field named
    bad = await get(official, regionCode="99", **{"from": "2025-13-01", "to": "yesterday"})
    assert bad.status_code == 400
    assert {(e["code"], e["field"]) for e in bad.json()["errors"]} == {
        ("VALIDATION_ERROR", "from"),
        ("VALIDATION_ERROR", "to"),
    }
    region = await get(official, regionCode="99")
    assert region.status_code == 400
    assert region.json()["errors"][0]["field"] == "regionCode"

    # and with no parameters it is the whole platform over the last twelve months
    whole = await get(official)
    assert whole.status_code == 200
    assert "统计区域,全平台," in whole.content.decode("utf-8-sig")


def test_shares_round_half_up_to_four_places_and_never_divide_by_zero():
    from backend.stats.lending import share

    assert share(2, 3) == Decimal("0.6667")
    assert share(1, 8) == Decimal("0.1250")
    assert share(Decimal("2800000.00"), Decimal("3800000.00")) == Decimal("0.7368")
    assert share(0, 0) is None
    assert share(0, 5) == Decimal("0.0000")
