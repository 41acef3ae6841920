"""The enterprise's credit views in a real browser: 信用档案 (gauge, factor bars, categories),
信用记录 (record cards with source and date, paging), 异议与信用修复 (filing an objection and
seeing its forwarding deadline) and 自主申报 (the commitment, then the pending declaration).

Each test gets its own live server and database (SQLite and PostgreSQL) with the demo data; the
demo firm 顺达物流 has eleven water-fee records and a grade-A tax record.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.pages import Problems, check_screen, open_tile, register_verified_firm, view

pytestmark = pytest.mark.browser

GAUGE_LABEL = re.compile(r"^信用等级 (A\+|A|B|C|D)，评分 \d{1,3} 分")
A_DATE = re.compile(r"\d{4}年\d{1,2}月\d{1,2}日")
DECLARATION_COMMITMENT = "须阅读并接受《信用承诺书（自主申报信息）》后方可提交"


def test_firm_reads_its_credit_file_objects_and_declares(any_page: Page) -> None:
    page = any_page
    problems = Problems().watch(page)
    # given a new account verified as the demo firm
    register_verified_firm(page)

    # when it opens 信用档案 from the home tile
    profile = open_tile(page, "信用档案", "信用档案")

    # then the grade and score are a picture with a text alternative, each factor a bar
    expect(profile.get_by_role("img", name=GAUGE_LABEL)).to_be_visible()
    factors = profile.get_by_role("region", name="评分因素")
    expect(factors.get_by_role("listitem").filter(has_text="纳税信用")).to_contain_text(
        "最近年度纳税信用等级为 A 级"
    )
    assert factors.locator(".factor-bar").count() >= 5
    categories = profile.get_by_role("region", name="信用信息分类")
    water = categories.get_by_role("link", name=re.compile("^水费"))
    expect(water).to_contain_text("11 条")
    expect(water).to_contain_text("需授权共享")
    expect(water).to_contain_text(re.compile(r"最近 " + A_DATE.pattern))
    expect(profile.get_by_role("region", name="自主申报信息")).to_contain_text("尚未自主申报信息")
    check_screen(page, "credit-profile", problems)

    # when it opens the water-fee category
    water.click()
    records = view(page, "信用记录")
    cards = records.get_by_role("article")
    expect(cards).to_have_count(10)
    first = cards.first
    # then each record shows its source and date, with Chinese labels for its fields
    expect(first).to_contain_text("数据来源")
    expect(first).to_contain_text("市水务集团")
    expect(first.get_by_role("heading")).to_contain_text(A_DATE)
    expect(first).to_contain_text("当月缴费金额(元)")
    expect(first).to_contain_text("当前是否欠费")
    # and the eleventh comes with "加载更多"
    records.get_by_role("button", name="加载更多").click()
    expect(cards).to_have_count(11)
    expect(records.get_by_role("button", name="加载更多")).to_be_hidden()
    check_screen(page, "credit-records", problems)

    # when it objects to the newest record
    first.get_by_role("link", name="提出异议").click()
    screen = view(page, "异议与信用修复")
    form = screen.get_by_role("region", name="提出异议")
    expect(form).to_contain_text("市水务集团")
    reason = "该月用水量与水表读数不符，请核实。"
    form.get_by_label("异议理由").fill(reason)
    expect(form).to_contain_text(f"已输入 {len(reason)}/1000 字")
    form.get_by_role("button", name="提交异议").click()

    # then it is acknowledged and listed with its forwarding deadline
    expect(screen.get_by_text(re.compile("^异议已受理"))).to_be_visible()
    mine = screen.get_by_role("region", name="我的异议").get_by_role("article")
    expect(mine).to_have_count(1)
    expect(mine).to_contain_text("已受理待转交")
    expect(mine).to_contain_text(re.compile("转交期限" + A_DATE.pattern + " 24时前"))
    expect(mine).to_contain_text(reason)
    assert page.url.endswith("#objections")
    check_screen(page, "credit-objections", problems)

    # when it declares a public-welfare activity under the commitment
    declare = open_tile(page, "自主申报", "自主申报")
    declare.get_by_label("申报类别").select_option(label="公益活动")
    declare.get_by_label("活动名称").fill("沂蒙山区助学捐赠")
    declare.get_by_label("活动日期").fill("2025-06-01")
    declare.get_by_label("捐赠金额（元）（选填）").fill("50000")
    expect(declare.get_by_text("本单位郑重承诺")).to_be_visible()
    declare.get_by_label(re.compile("^我已阅读并承诺")).check()
    declare.get_by_role("button", name="提交申报").click()

    # then it is listed as waiting for review, and the profile shows it too
    declared = declare.get_by_role("region", name="我的自主申报").get_by_role("article")
    expect(declared).to_have_count(1)
    expect(declared).to_contain_text("公益活动")
    expect(declared).to_contain_text("待核查")
    expect(declared).to_contain_text("沂蒙山区助学捐赠")
    check_screen(page, "credit-declare", problems)
    profile = open_tile(page, "信用档案", "信用档案")
    expect(profile.get_by_role("region", name="自主申报信息")).to_contain_text("待核查")


def test_declaration_needs_the_commitment_and_valid_fields(page: Page) -> None:
    problems = Problems().watch(page)
    register_verified_firm(page)
    declare = open_tile(page, "自主申报", "自主申报")
    declare.get_by_label("申报类别").select_option(label="经营情况")
    year = declare.get_by_label("所属年度")
    year.fill("2025")
    commitment = declare.get_by_label(re.compile("^我已阅读并承诺"))

    # Not accepting the commitment: refused next to the checkbox, nothing written.
    declare.get_by_role("button", name="提交申报").click()
    expect(commitment).to_have_attribute("aria-invalid", "true")
    expect(commitment).to_have_accessible_description(re.compile(re.escape(DECLARATION_COMMITMENT)))
    mine = declare.get_by_role("region", name="我的自主申报")
    expect(mine).to_contain_text("尚未自主申报信息")

    # A year in the future: the server's message lands next to that field.
    year.fill("2099")
    commitment.check()
    declare.get_by_role("button", name="提交申报").click()
    expect(year).to_have_attribute("aria-invalid", "true")
    expect(year).to_have_accessible_description(re.compile("年度超出范围"))
    expect(commitment).not_to_have_attribute("aria-invalid", "true")
    check_screen(page, "credit-declare-errors", problems)

    page.reload()
    expect(view(page, "自主申报").get_by_role("region", name="我的自主申报")).to_contain_text(
        "尚未自主申报信息"
    )


def test_too_short_objection_shows_the_servers_message(page: Page) -> None:
    problems = Problems().watch(page)
    register_verified_firm(page)
    page.goto("/#records/tax")
    records = view(page, "信用记录")
    records.get_by_role("article").first.get_by_role("link", name="提出异议").click()
    screen = view(page, "异议与信用修复")
    reason = screen.get_by_label("异议理由")
    reason.fill("有误")
    screen.get_by_role("button", name="提交异议").click()

    expect(reason).to_have_attribute("aria-invalid", "true")
    expect(reason).to_have_accessible_description(re.compile("理由应为 5 到 1000 个字符"))
    expect(screen.get_by_role("region", name="我的异议")).to_contain_text("尚未提出异议")
    check_screen(page, "credit-objection-errors", problems)


def test_profile_shows_an_error_with_retry_when_the_request_fails(page: Page) -> None:
    register_verified_firm(page)
    # The next request (the profile's) fails once, as on a dropped connection.
    page.route("**/graphql", lambda route: route.abort(), times=1)
    page.get_by_role("navigation").get_by_role("link", name="信用档案", exact=True).click()

    profile = view(page, "信用档案")
    expect(profile.get_by_role("alert")).to_have_text("网络连接失败，请检查网络后重试")
    profile.get_by_role("button", name="重试").click()
    expect(profile.get_by_role("img", name=GAUGE_LABEL)).to_be_visible()
    expect(profile.get_by_role("alert")).to_have_count(0)
