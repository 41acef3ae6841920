"""The bank console, driven as a bank's loan officer would: publish a product through the form
(the rule editor checks the rule as it is typed), invite a firm with a matching demand, and
approve the firm's application with amount, rate and term; bad input is refused next to the field.

The firm's side (registration, verification, demand, application) goes over GraphQL to the same
live server, as the firm's phone would. Each test gets its own live server and database (SQLite
and PostgreSQL) with the demo data.
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.pages import (
    BANK_PHONE,
    DEMO_NAME,
    DEMO_REP,
    DEMO_REP_ID,
    DEMO_USCC,
    STRONG_PASSWORD,
    Problems,
    check_screen,
    open_tile,
    sign_in,
    unique_phone,
    view,
)

pytestmark = pytest.mark.browser

PRODUCT = "沂蒙物流周转贷"
RULE_LABEL = "准入规则（JSON，规则语言）"
BAD_RULE = {"all": [{"fact": "years_in_bizness", "op": "gte", "value": 3}]}
GOOD_RULE = {
    "all": [
        {"fact": "years_in_business", "op": "gte", "value": 3},
        {"not": {"fact": "on_dishonest_list", "op": "eq", "value": True}},
    ]
}

REGISTER = """mutation($input: RegisterAccountInput!) {
  registerAccount(input: $input) { token errors { field message } } }"""
VERIFY = """mutation($input: VerifyEnterpriseInput!) {
  verifyEnterprise(input: $input) { enterprise { uscc } errors { field message } } }"""
DEMAND = """mutation($input: PublishFinancingDemandInput!) {
  publishFinancingDemand(input: $input) { demand { id } errors { field message } } }"""
MATCHES = """query($demandId: ID) {
  productMatches(demandId: $demandId, first: 50) { product { id name } status } }"""
PREVIEW = """query($productId: ID!) {
  applicationPreview(productId: $productId) { consentVersion errors { field message } } }"""
APPLY = """mutation($input: ApplyForProductInput!) {
  applyForProduct(input: $input) { application { id status } errors { field message } } }"""
MY_APPLICATIONS = "query { myApplications { id status approvedAmount annualRate } }"


# --- the firm, over HTTP -------------------------------------------------------------------


def call(server: str, query: str, variables: dict[str, Any], token: str | None = None) -> Any:
    """One GraphQL operation against the live server; returns ``data`` (no GraphQL errors)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = httpx.post(
        f"{server}/graphql",
        json={"query": query, "variables": variables},
        headers=headers,
        timeout=30,
    )
    response.raise_for_status()
    body = response.json()
    assert "errors" not in body, body["errors"]
    return body["data"]


def firm_with_demand(server: str) -> tuple[str, str]:
    """A new account verified as 顺达物流 with a published demand; returns (token, demand id)."""
    account = {"phone": unique_phone(), "password": STRONG_PASSWORD, "displayName": "王经理"}
    registered = call(server, REGISTER, {"input": account})["registerAccount"]
    assert registered["errors"] == [], registered
    token = registered["token"]
    identity = {
        "uscc": DEMO_USCC,
        "name": DEMO_NAME,
        "legalRepName": DEMO_REP,
        "legalRepIdNumber": DEMO_REP_ID,
    }
    verified = call(server, VERIFY, {"input": identity}, token)["verifyEnterprise"]
    assert verified["errors"] == [], verified
    demand = {"amount": "600000", "termMonths": 12, "purpose": "购置冷链运输车辆，扩大运输车队"}
    published = call(server, DEMAND, {"input": demand}, token)["publishFinancingDemand"]
    assert published["errors"] == [], published
    return token, published["demand"]["id"]


def firm_applies(server: str, token: str, product_id: str, demand_id: str) -> str:
    """The firm applies for ``product_id`` against its demand (consenting); returns the id."""
    preview = call(server, PREVIEW, {"productId": product_id}, token)["applicationPreview"]
    assert preview["errors"] == [], preview
    request = {
        "productId": product_id,
        "demandId": demand_id,
        "consentVersion": preview["consentVersion"],
    }
    applied = call(server, APPLY, {"input": request}, token)["applyForProduct"]
    assert applied["errors"] == [], applied
    return applied["application"]["id"]


def matched_product_id(server: str, token: str, demand_id: str, name: str) -> str:
    """The id of the product ``name`` among the firm's matches for its demand."""
    matches = call(server, MATCHES, {"demandId": demand_id}, token)["productMatches"]
    return next(m["product"]["id"] for m in matches if m["product"]["name"] == name)


# --- the bank, in the browser ----------------------------------------------------------------


def fill_product(form: Locator, *, name: str, min_wan: str, max_wan: str) -> None:
    """Fill every field of the product form except the rule."""
    form.get_by_label("产品名称").fill(name)
    form.get_by_label("产品代码（可选）").fill("LYSF-WLZZ")
    form.get_by_label("产品类型").select_option("CREDIT")
    form.get_by_label("目标客户最低信用等级（可选）").select_option("B")
    form.get_by_label("产品介绍").fill("面向临沂物流企业的流动资金贷款，用于购车和支付运费。")
    form.get_by_label("标签（可选）").fill("物流、流动资金")
    form.get_by_label("最低额度（万元）").fill(min_wan)
    form.get_by_label("最高额度（万元）").fill(max_wan)
    form.get_by_label("最短期限（月）").fill("3")
    form.get_by_label("最长期限（月）").fill("24")
    form.get_by_label("最低年利率（%）").fill("3.8")
    form.get_by_label("最高年利率（%）").fill("5.6")
    form.get_by_label("服务地区（行政区划代码，可选）").fill("3713")
    form.get_by_label("纳税", exact=True).check()


def publish_product(page: Page, problems: Problems) -> str:
    """Publish PRODUCT through the form (a bad rule first); returns its id from the list."""
    open_tile(page, "贷款产品", "贷款产品").get_by_role("link", name="发布新产品").click()
    form = view(page, "编辑产品")
    fill_product(form, name=PRODUCT, min_wan="10", max_wan="200")

    # The rule is checked by the server as it is typed: the message names the bad node's path.
    rule = form.get_by_label(RULE_LABEL)
    rule.fill(json.dumps(BAD_RULE))
    problem = form.get_by_role("alert").filter(has_text="all[0].fact")
    expect(problem).to_contain_text("未知的事实“years_in_bizness”")
    expect(rule).to_have_attribute("aria-invalid", "true")
    rule.fill(json.dumps(GOOD_RULE, indent=2))
    expect(form.get_by_text(re.compile("规则有效"))).to_contain_text("years_in_business")
    expect(problem).to_be_hidden()
    check_screen(page, "bank-product-form", problems)

    form.get_by_role("button", name="发布产品").click()
    listed = view(page, "贷款产品")
    expect(page.locator("#global-notice")).to_contain_text(f"产品“{PRODUCT}”已发布")
    row = listed.get_by_role("row", name=re.compile(PRODUCT))
    expect(row).to_contain_text("10 – 200")
    expect(row).to_contain_text("3.8% – 5.6%")
    expect(row).to_contain_text("3–24个月")
    expect(row).to_contain_text("山东省临沂市")
    expect(row).to_contain_text("在售")
    expect(row).to_contain_text("第 1 版")
    href = row.get_by_role("link", name=PRODUCT, exact=True).get_attribute("href")
    assert href and href.startswith("#bank-product/"), href
    return href.rsplit("/", 1)[1]


def test_bank_publishes_a_product_and_approves_the_firms_application(
    any_page: Page, live_server: str
) -> None:
    page = any_page
    problems = Problems().watch(page)
    # given: a verified firm with a demand for 60 万元 over 12 months
    firm, demand_id = firm_with_demand(live_server)

    # when: the bank's loan officer lists the products and publishes a new one
    sign_in(page, BANK_PHONE)
    products = open_tile(page, "贷款产品", "贷款产品")
    expect(products.get_by_role("row", name=re.compile("融沂贷"))).to_contain_text("在售")
    check_screen(page, "bank-products", problems)
    product_id = publish_product(page, problems)

    # the firm's demand now matches it: the officer invites the firm to apply
    demands = open_tile(page, "融资需求", "匹配的融资需求")
    demand_row = demands.get_by_role("row", name=re.compile(DEMO_NAME))
    expect(demand_row).to_contain_text("60")
    expect(demand_row).to_contain_text("购置冷链运输车辆")
    demand_row.get_by_role("button", name=f"就“{PRODUCT}”向{DEMO_NAME}提供报价").click()
    dialog = page.get_by_role("dialog", name="提供报价")
    dialog.get_by_label("留言（可选，500 字以内）").fill("年利率 3.8% 起，三个工作日内放款。")
    dialog.get_by_role("button", name="发送邀请").click()
    expect(dialog).to_be_hidden()
    expect(demand_row).to_contain_text("已邀请")
    check_screen(page, "bank-demands", problems)

    # the firm applies for that product (over HTTP, as its phone would)
    firm_applies(live_server, firm, product_id, demand_id)

    # then: the officer opens the application, sees the firm and what it shared, and approves
    applications = open_tile(page, "贷款申请", "贷款申请")
    row = applications.get_by_role("row", name=re.compile(PRODUCT))
    expect(row).to_contain_text(DEMO_NAME)
    expect(row).to_contain_text("60")
    expect(row).to_contain_text("待审批")
    row.get_by_role("link", name=DEMO_NAME, exact=True).click()
    detail = view(page, "贷款申请")
    expect(detail.get_by_role("region", name="申请企业")).to_contain_text(DEMO_USCC)
    shared = detail.get_by_role("region", name="企业授权查询的信息")
    expect(shared).to_contain_text("纳税")
    shared.get_by_role("button", name="查询信用报告（贷中审批）").click()
    expect(shared).to_contain_text("信用评价")
    expect(shared.get_by_role("heading", name=re.compile("^纳税（"))).to_be_visible()
    approve = detail.get_by_role("form", name="批准", exact=True)
    expect(approve.get_by_label("批准金额（万元）")).to_have_value("60")
    check_screen(page, "bank-application", problems)

    approve.get_by_label("批准金额（万元）").fill("50")
    approve.get_by_label("年利率（%）").fill("4.2")
    approve.get_by_label("期限（月）").fill("12")
    approve.get_by_role("button", name="批准申请").click()
    expect(page.locator("#global-notice")).to_contain_text(f"已批准{DEMO_NAME}的申请")
    facts = view(page, "贷款申请").get_by_role("region", name="申请信息")
    expect(facts).to_contain_text("已批准")
    expect(facts).to_contain_text("50 万元")
    expect(facts).to_contain_text("4.2%")
    expect(view(page, "贷款申请").get_by_role("form", name="批准", exact=True)).to_have_count(0)

    view(page, "贷款申请").get_by_role("link", name="返回申请列表").click()
    approved = view(page, "贷款申请").get_by_role("row", name=re.compile(PRODUCT))
    expect(approved).to_contain_text("已批准")
    assert problems.seen == [], problems.seen

    # and the firm sees its application approved, on the bank's terms
    mine = call(live_server, MY_APPLICATIONS, {}, firm)["myApplications"]
    assert [(a["status"], float(a["approvedAmount"]), float(a["annualRate"])) for a in mine] == [
        ("APPROVED", 500000.0, 0.042)
    ]


def test_product_with_min_amount_above_max_is_refused_next_to_the_fields(page: Page) -> None:
    problems = Problems().watch(page)
    sign_in(page, BANK_PHONE)
    open_tile(page, "贷款产品", "贷款产品").get_by_role("link", name="发布新产品").click()
    form = view(page, "编辑产品")
    fill_product(form, name="倒挂额度测试贷", min_wan="500", max_wan="100")
    form.get_by_label(RULE_LABEL).fill('{"all": [')

    # Text that is not JSON is stopped here, under the editor, before anything is sent.
    form.get_by_role("button", name="发布产品").click()
    expect(form.get_by_role("alert").filter(has_text="不是有效的 JSON")).to_be_visible()

    # The server refuses a maximum below the minimum, next to the field; nothing is published.
    form.get_by_label(RULE_LABEL).fill(json.dumps(GOOD_RULE))
    form.get_by_role("button", name="发布产品").click()
    maximum = form.get_by_label("最高额度（万元）")
    expect(maximum).to_have_attribute("aria-invalid", "true")
    expect(maximum).to_have_accessible_description(re.compile("最高额度不能低于最低额度"))
    expect(maximum).to_be_focused()
    expect(page).to_have_url(re.compile("#bank-product/new$"))
    check_screen(page, "bank-product-refused", problems)

    form.get_by_role("link", name="取消").click()
    listed = view(page, "贷款产品")
    expect(listed.get_by_role("row", name=re.compile("融沂贷"))).to_be_visible()
    expect(listed.get_by_role("row", name=re.compile("倒挂额度测试贷"))).to_have_count(0)
    assert problems.seen == [], problems.seen


def test_a_decision_without_amount_or_reason_is_refused_next_to_the_fields(
    page: Page, live_server: str
) -> None:
    problems = Problems().watch(page)
    firm, demand_id = firm_with_demand(live_server)
    product_id = matched_product_id(live_server, firm, demand_id, "融沂贷")
    firm_applies(live_server, firm, product_id, demand_id)

    sign_in(page, BANK_PHONE)
    applications = open_tile(page, "贷款申请", "贷款申请")
    applications.get_by_role("row", name=re.compile("融沂贷")).get_by_role(
        "link", name="审批"
    ).click()
    detail = view(page, "贷款申请")

    # Approving needs an amount, and a rate within the product's range (3.65%–5.5%).
    approve = detail.get_by_role("form", name="批准", exact=True)
    approve.get_by_label("批准金额（万元）").fill("")
    approve.get_by_label("年利率（%）").fill("2")
    approve.get_by_role("button", name="批准申请").click()
    amount = approve.get_by_label("批准金额（万元）")
    expect(amount).to_have_accessible_description(re.compile("请填写批准金额"))
    rate = approve.get_by_label("年利率（%）")
    expect(rate).to_have_accessible_description(re.compile("3.65% 至 5.50%"))

    # Rejecting needs a reason the firm will read.
    reject = detail.get_by_role("form", name="不予批准")
    reject.get_by_role("button", name="拒绝申请").click()
    reason = reject.get_by_label("原因（企业可见）")
    expect(reason).to_have_accessible_description(re.compile("拒绝申请时请写明原因"))
    expect(detail.get_by_role("region", name="申请信息")).to_contain_text("待审批")
    check_screen(page, "bank-decision-refused", problems)


def test_pausing_a_product_asks_first_and_alerts_filter(page: Page) -> None:
    problems = Problems().watch(page)
    sign_in(page, BANK_PHONE)
    products = open_tile(page, "贷款产品", "贷款产品")
    row = products.get_by_role("row", name=re.compile("四雁振兴贷"))

    # Cancelling the confirmation changes nothing.
    row.get_by_role("button", name="暂停“四雁振兴贷”").click()
    dialog = page.get_by_role("dialog", name="暂停受理")
    expect(dialog).to_contain_text("不再受理新的申请")
    dialog.get_by_role("button", name="取消").click()
    expect(dialog).to_have_count(0)
    expect(row).to_contain_text("在售")

    # Confirming pauses it; the status filter finds it among the paused ones.
    row.get_by_role("button", name="暂停“四雁振兴贷”").click()
    page.get_by_role("dialog", name="暂停受理").get_by_role("button", name="确定暂停").click()
    expect(page.locator("#global-notice")).to_contain_text("“四雁振兴贷”已暂停受理")
    products.get_by_label("状态").select_option("PAUSED")
    paused = products.get_by_role("row", name=re.compile("四雁振兴贷"))
    expect(paused).to_contain_text("已暂停")
    expect(paused.get_by_role("button", name="上架“四雁振兴贷”")).to_be_visible()
    expect(products.get_by_role("row", name=re.compile("融沂贷"))).to_have_count(0)

    # The alerts view has nothing yet, with or without the filter.
    alerts = open_tile(page, "风险预警", "风险预警")
    expect(alerts).to_contain_text("暂无贷后预警")
    alerts.get_by_label("只看未确认").check()
    expect(alerts).to_contain_text("没有未确认的预警")
    check_screen(page, "bank-alerts", problems)
