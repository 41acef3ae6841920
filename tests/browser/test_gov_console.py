"""The government console, driven as staff would: publish a policy (a bad rule is explained by
the server first), push it and watch the job finish, see a Linyi firm receive it, handle that
firm's objection, and read the statistics with their charts and CSV export. The phone-only tests
cover bad input: the server's messages appear next to the field and nothing is saved.

Each test gets its own live server and database (SQLite and PostgreSQL) with the demo data.
"""

from __future__ import annotations

import re
import secrets
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.browser.pages import (
    DEMO_NAME,
    GOVERNMENT_PHONE,
    Problems,
    check_screen,
    open_tile,
    register_verified_firm,
    sign_in,
    view,
)

pytestmark = pytest.mark.browser

TOKEN_KEY = "xinrong.sessionToken"
#: "region" is not a fact: the server names the node and the problem.
BAD_RULE = '{"all": [{"fact": "region", "op": "within_region", "value": ["3713"]}]}'
#: Firms registered in Linyi (临沂市, 3713), such as the demo firm 顺达物流 in 兰山区.
LINYI_RULE = '{"all": [{"fact": "region_code", "op": "within_region", "value": ["3713"]}]}'
PUSH_TIMEOUT_MS = 30_000

MY_INBOX = "query { myInbox(first: 50) { kind title policy { id title } } }"
MY_RECORDS = "query { myCreditProfile { records(first: 50) { items { id category } } } }"
FILE_OBJECTION = """mutation($input: FileObjectionInput!) {
  fileObjection(input: $input) { objection { id status } errors { code field message } }
}"""


def china_today() -> date:
    """Today's date in China (policies' validity is in China dates)."""
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


def graphql(base_url: str, token: str, query: str, variables: dict[str, Any] | None = None) -> Any:
    """One GraphQL call over HTTP to the live server, as the holder of ``token``."""
    response = httpx.post(
        f"{base_url}/graphql",
        json={"query": query, "variables": variables or {}},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


def fill_policy_form(
    form: Locator, *, title: str, rule: str, until: date, start: date | None = None
) -> None:
    """Fill every field of the "发布政策" form (the issuer is the staff member's department)."""
    form.get_by_label("政策标题").fill(title)
    form.get_by_label("政策类型").select_option(label="贷款贴息")
    expect(form.get_by_label("发布单位")).to_have_value("临沂市发展改革委员会 信用建设科")
    form.get_by_label("政策代码（可选）").fill(f"LY-TEST-{secrets.token_hex(3).upper()}")
    form.get_by_label("政策摘要").fill("对注册地在临沂市的小微企业新增贷款给予贴息支持。")
    form.get_by_label("政策全文").fill(
        "一、支持对象：注册地在临沂市的企业。二、贴息标准：按贷款市场报价利率的 50% 给予贴息。"
    )
    form.get_by_label("适用地区（可选）").fill("3713")
    if start is not None:
        form.get_by_label("生效日期（可选）").fill(start.isoformat())
    form.get_by_label("有效期至").fill(until.isoformat())
    form.get_by_label("适用条件（规则，JSON）").fill(rule)


def open_publish_form(page: Page) -> tuple[Locator, Locator]:
    """Open 政策与推送 and its "发布政策" form: (the view, the form's card)."""
    policies = open_tile(page, "政策与推送", "惠企政策")
    policies.get_by_role("button", name="发布政策").click()
    form = policies.get_by_role("region", name="发布政策")
    expect(form).to_be_visible()
    return policies, form


def publish_and_push(page: Page, problems: Problems, title: str) -> None:
    """Publish ``title`` for Linyi firms through the form, open it, push it, watch it finish."""
    policies, form = open_publish_form(page)
    expect(
        policies.get_by_role("region", name="政策列表").get_by_role(
            "link", name="临沂市小微企业首贷奖励"
        )
    ).to_be_visible()
    check_screen(page, "gov-policies", problems)

    # A bad rule: the server's message, with the path of the bad node, under the rule.
    fill_policy_form(form, title=title, rule=BAD_RULE, until=china_today() + timedelta(days=365))
    form.get_by_role("button", name="发布", exact=True).click()
    rule = form.get_by_label("适用条件（规则，JSON）")
    expect(rule).to_have_attribute("aria-invalid", "true")
    expect(rule).to_have_accessible_description(re.compile("未知的事实“region”"))
    expect(policies.get_by_role("link", name=title)).to_have_count(0)

    # A good rule is accepted (checked as it is typed, then published).
    rule.fill(LINYI_RULE)
    expect(form.get_by_text(re.compile("规则有效，引用：region_code"))).to_be_visible()
    form.get_by_role("button", name="发布", exact=True).click()
    expect(policies.get_by_role("status").filter(has_text=f"已发布政策“{title}”")).to_be_visible()

    # Open it from the list: the conditions in Chinese, the region by name.
    policies.get_by_role("region", name="政策列表").get_by_role("link", name=title).click()
    detail = view(page, "政策详情与推送")
    head = detail.get_by_role("region", name=title)
    expect(head).to_contain_text("山东省临沂市")
    expect(head).to_contain_text("尚未推送")
    expect(detail.get_by_role("region", name="适用条件")).to_contain_text(
        "注册地需在山东省临沂市范围内"
    )

    # Push: the job appears and is followed until it is done.
    push = detail.get_by_role("region", name="推送")
    push.get_by_role("button", name="推送给符合条件的企业").click()
    job = push.get_by_role("listitem").first
    expect(job).to_contain_text("已完成", timeout=PUSH_TIMEOUT_MS)
    expect(job).to_contain_text(
        re.compile(r"匹配 [1-9]\d* 家企业，已推送 [1-9]\d* 条消息（进度 100%）")
    )
    expect(job.get_by_role("progressbar")).to_have_js_property("value", 1)
    expect(detail.get_by_role("status").filter(has_text="推送完成")).to_be_visible()
    expect(head).not_to_contain_text("尚未推送")
    check_screen(page, "gov-policy-pushed", problems)


def firm_is_told(browser: Browser, live_server: str, page: Page, title: str) -> str:
    """A new account verified as 顺达物流 (Linyi) finds the policy in its inbox; files an
    objection to one of its records. Returns the firm's token."""
    context = browser.new_context(
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        base_url=live_server,
        viewport=page.viewport_size,
    )
    try:
        firm = context.new_page()
        firm_problems = Problems().watch(firm)
        register_verified_firm(firm)
        token = firm.evaluate(f"() => sessionStorage.getItem('{TOKEN_KEY}')")
        assert token and token not in firm.url
        assert firm_problems.seen == [], firm_problems.seen
    finally:
        context.close()
    messages = graphql(live_server, token, MY_INBOX)["myInbox"]
    told = [
        m
        for m in messages
        if m["kind"] == "POLICY" and m["policy"] and m["policy"]["title"] == title
    ]
    assert len(told) == 1, messages

    records = graphql(live_server, token, MY_RECORDS)["myCreditProfile"]["records"]["items"]
    record = next(r for r in records if r["category"] != "registration")
    filed = graphql(
        live_server,
        token,
        FILE_OBJECTION,
        {"input": {"recordId": record["id"], "reason": "该记录的金额与实际缴纳情况不符，请核实。"}},
    )["fileObjection"]
    assert filed["errors"] == [], filed
    return token


def handle_objection(page: Page, problems: Problems) -> None:
    """Staff see the firm's objection with its due date, forward it and decide it."""
    objections = open_tile(page, "异议处理", "异议处理")
    queue = objections.get_by_role("region", name="异议清单")
    row = queue.get_by_role("row").filter(has_text=DEMO_NAME)
    expect(row).to_contain_text("已受理待转交")
    expect(row).to_contain_text("该记录的金额与实际缴纳情况不符")
    check_screen(page, "gov-objections", problems)

    row.get_by_role("button", name="转交核查").click()
    expect(objections.get_by_role("status").filter(has_text="转交")).to_be_visible()
    expect(row).to_contain_text("已转交核查")

    row.get_by_role("button", name="处理").click()
    panel = objections.get_by_role("region", name=f"处理异议：{DEMO_NAME}")
    panel.get_by_role("radio", name="异议未予支持").check()
    panel.get_by_role("button", name="提交处理结果").click()
    # Not upheld needs a reason: the server says so next to the field.
    reason = panel.get_by_label("理由")
    expect(reason).to_have_attribute("aria-invalid", "true")
    reason.fill("经数据提供单位核查，记录与原始凭证一致。")
    panel.get_by_role("button", name="提交处理结果").click()
    expect(objections.get_by_role("status").filter(has_text="异议未予支持")).to_be_visible()
    expect(row).to_contain_text("经数据提供单位核查")

    # Only overdue ones: none (it was forwarded in time).
    queue.get_by_label(re.compile("只看逾期")).check()
    expect(queue).to_contain_text("没有逾期未转交的异议")


def read_statistics(page: Page, problems: Problems, title: str, artifacts: Path) -> None:
    """The figures, the charts (each an image with its values as text) and the CSV export."""
    stats = open_tile(page, "统计分析", "统计分析")
    figures = stats.get_by_role("region", name="主要指标")
    expect(figures).to_contain_text("在营金融机构")
    expect(
        stats.get_by_role("img", name=re.compile(r"金融机构（按类别）。银行：\d+ 家"))
    ).to_be_visible()
    expect(
        stats.get_by_role("img", name=re.compile(r"在售产品（按类型）。信用贷：\d+ 款"))
    ).to_be_visible()
    expect(
        stats.get_by_role("img", name=re.compile(r"异议（按当前状态）.*异议未予支持：1 件"))
    ).to_be_visible()
    reach = stats.get_by_role("region", name="政策触达")
    expect(reach.get_by_role("img", name=re.compile(re.escape(title)))).to_be_visible()
    expect(reach.get_by_role("row").filter(has_text=title)).to_be_visible()

    form = stats.get_by_role("region", name="统计条件")
    form.get_by_label("统计区域（可选）").fill("3713")
    form.get_by_role("button", name="查询").click()
    expect(stats).to_contain_text("统计区域：山东省临沂市（3713）")
    check_screen(page, "gov-statistics", problems)

    with page.expect_download() as download_info:
        form.get_by_role("button", name="导出 CSV（Excel）").click()
    download = download_info.value
    assert download.suggested_filename.startswith("xinrong-statistics-3713-")
    saved = artifacts / download.suggested_filename
    download.save_as(saved)
    text = saved.read_text(encoding="utf-8-sig")
    assert text.startswith("指标,数值,单位")
    assert "山东省临沂市" in text
    assert "token" not in page.url.lower()


def test_staff_publish_push_and_the_firm_is_told(
    any_page: Page, browser: Browser, live_server: str, tmp_path: Path
) -> None:
    page = any_page
    problems = Problems().watch(page)
    title = f"临沂市小微企业贷款贴息（{secrets.token_hex(2)}）"

    # given: government staff signed in
    sign_in(page, GOVERNMENT_PHONE)
    expect(page.get_by_role("navigation", name="工作台")).to_contain_text("政策与推送")

    # when: they publish a policy for Linyi firms and push it
    publish_and_push(page, problems, title)

    # then: a firm in Linyi has it in its inbox (and files an objection for the next step)
    firm_is_told(browser, live_server, page, title)

    # and: staff handle the objection and read the statistics
    handle_objection(page, problems)
    read_statistics(page, problems, title, tmp_path)


def test_bad_policy_dates_and_a_withdrawal_without_reason_are_refused(page: Page) -> None:
    problems = Problems().watch(page)
    sign_in(page, GOVERNMENT_PHONE)
    policies, form = open_publish_form(page)
    title = f"临沂市日期有误的政策（{secrets.token_hex(2)}）"
    start = china_today() + timedelta(days=30)
    fill_policy_form(
        form, title=title, rule=LINYI_RULE, until=start - timedelta(days=10), start=start
    )
    form.get_by_role("button", name="发布", exact=True).click()

    until = form.get_by_label("有效期至")
    expect(until).to_have_attribute("aria-invalid", "true")
    expect(until).to_have_accessible_description(re.compile("有效期至不能早于生效日期"))
    expect(until).to_be_focused()
    expect(form.get_by_role("button", name="发布", exact=True)).to_be_enabled()
    # Nothing was published.
    expect(policies.get_by_role("status").filter(has_text="已发布")).to_have_count(0)
    expect(policies.get_by_role("link", name=title)).to_have_count(0)
    policies.get_by_role("region", name="政策列表").get_by_label(re.compile("含已结束")).check()
    expect(policies.get_by_role("link", name="临沂市小微企业首贷奖励")).to_be_visible()
    expect(policies.get_by_role("link", name=title)).to_have_count(0)
    check_screen(page, "gov-policy-bad-dates", problems)

    # Withdrawing asks for a reason, in the page; then the policy can no longer be pushed.
    policies.get_by_role("link", name="临沂市小微企业首贷奖励").click()
    detail = view(page, "政策详情与推送")
    detail.get_by_role("button", name="撤回政策…").click()
    confirm = detail.get_by_role("region", name="确认撤回政策")
    confirm.get_by_role("button", name="确认撤回").click()
    reason = confirm.get_by_label("撤回原因")
    expect(reason).to_have_accessible_description(re.compile("请填写撤回原因"))
    reason.fill("政策已整合进新的首贷支持政策。")
    confirm.get_by_role("button", name="确认撤回").click()
    expect(detail.get_by_role("status").filter(has_text="政策已撤回")).to_be_visible()
    expect(detail.get_by_role("region", name="临沂市小微企业首贷奖励")).to_contain_text("已撤回")
    expect(detail.get_by_role("button", name="推送给符合条件的企业")).to_be_disabled()
    expect(detail.get_by_role("button", name="撤回政策…")).to_have_count(0)
    assert problems.seen == [], problems.seen


def test_onboarding_errors_and_suspending_with_confirmation(page: Page) -> None:
    problems = Problems().watch(page)
    sign_in(page, GOVERNMENT_PHONE)
    institutions = open_tile(page, "金融机构", "金融机构")
    listed = institutions.get_by_role("region", name="已接入的金融机构")
    expect(listed.get_by_role("row").filter(has_text="临沂示范银行")).to_contain_text("正常接入")

    # Onboarding: a wrong check character and a failed assessment, each next to its field.
    institutions.get_by_role("button", name="接入金融机构").click()
    form = institutions.get_by_role("region", name="接入金融机构")
    form.get_by_label("机构名称").fill("临沂测试村镇银行股份有限公司")
    form.get_by_label("统一社会信用代码").fill("91371300MA3DEM0B1B")
    form.get_by_label("机构类别").select_option(label="银行")
    form.get_by_label("服务地区").fill("3713")
    form.get_by_label("评估报告编号").fill("LY-SEC-2026-099")
    form.get_by_label("评估日期").fill(china_today().isoformat())
    form.get_by_label("评估机构").fill("临沂市网络安全测评中心")
    form.get_by_role("button", name="接入", exact=True).click()
    uscc = form.get_by_label("统一社会信用代码")
    expect(uscc).to_have_attribute("aria-invalid", "true")
    expect(uscc).to_have_accessible_description(re.compile("校验"))
    expect(form.get_by_label("已通过安全评估")).to_have_attribute("aria-invalid", "true")
    expect(listed).not_to_contain_text("临沂测试村镇银行")

    # Suspending asks for a reason in the page, then takes effect; reactivating restores it.
    row = listed.get_by_role("row").filter(has_text="沂蒙农村商业银行")
    row.get_by_role("button", name="暂停").click()
    confirm = institutions.get_by_role("region", name=re.compile("暂停接入：沂蒙农村商业银行"))
    confirm.get_by_role("button", name="确认暂停").click()
    expect(confirm.get_by_label("暂停原因")).to_have_accessible_description(
        re.compile("请填写暂停原因")
    )
    expect(row).to_contain_text("正常接入")
    confirm.get_by_label("暂停原因").fill("安全评估发现问题，整改期间暂停接入。")
    confirm.get_by_role("button", name="确认暂停").click()
    expect(institutions.get_by_role("status").filter(has_text="已暂停")).to_be_visible()
    expect(row).to_contain_text("已暂停")
    check_screen(page, "gov-institutions", problems)

    row.get_by_role("button", name="恢复").click()
    institutions.get_by_role("region", name=re.compile("恢复接入")).get_by_role(
        "button", name="确认恢复"
    ).click()
    expect(row).to_contain_text("正常接入")
    assert problems.seen == [], problems.seen


def test_statistics_filter_explains_bad_input(page: Page) -> None:
    problems = Problems().watch(page)
    sign_in(page, GOVERNMENT_PHONE)
    stats = open_tile(page, "统计分析", "统计分析")
    form = stats.get_by_role("region", name="统计条件")
    expect(stats.get_by_role("region", name="主要指标")).to_be_visible()

    # Checked in the page: a 3-digit code, an end before the start.
    region = form.get_by_label("统计区域（可选）")
    region.fill("371")
    form.get_by_label("起始日期").fill("2026-06-30")
    form.get_by_label("结束日期").fill("2026-01-01")
    form.get_by_role("button", name="查询").click()
    expect(region).to_have_accessible_description(re.compile("行政区划代码无效"))
    expect(form.get_by_label("起始日期")).to_have_accessible_description(
        re.compile("起始日期不能晚于结束日期")
    )

    # A well-formed code that is no region: the server refuses it; the message is by the field.
    region.fill("99")
    form.get_by_label("起始日期").fill("2026-01-01")
    form.get_by_label("结束日期").fill("2026-06-30")
    form.get_by_role("button", name="查询").click()
    expect(region).to_have_accessible_description(re.compile("行政区划代码无效"))
    expect(stats.get_by_role("button", name="重试")).to_be_visible()
    assert problems.seen == [], problems.seen
