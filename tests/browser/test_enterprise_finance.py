"""The enterprise's financing and authorisation views, driven as a person would: authorise a
bank after reading what will be shared and revoke it, see who read the data, publish a demand,
see the matched products, apply, follow the application, and read a pushed policy.

Each test gets its own live server and database (SQLite and PostgreSQL) with the demo data; the
demo firm 顺达物流 already has policy messages in its inbox from the demo seed.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.pages import Problems, check_screen, open_tile, register_verified_firm, view

pytestmark = pytest.mark.browser

BANK = "临沂示范银行"
PRODUCT = "融沂贷"
POLICY = "小微企业融资担保降费奖补"


def grant_form(page: Page) -> Locator:
    """Open 授权管理 → 新增授权 and return its form."""
    open_tile(page, "授权管理", "授权管理").get_by_role("link", name="新增授权").click()
    form = page.get_by_role("form", name="新增授权")
    expect(form).to_be_visible()
    return form


def demand_form(page: Page) -> Locator:
    """Open 融资需求 and return the publishing form."""
    return open_tile(page, "融资需求", "融资需求").get_by_role("form", name="发布融资需求")


def authorise_and_revoke(page: Page, problems: Problems) -> None:
    """Grant the bank tax, social insurance and the full ID number, then revoke it."""
    form = grant_form(page)
    form.get_by_label("授权给哪家金融机构").select_option(label=f"{BANK}（银行）")
    form.get_by_label("纳税", exact=True).check()
    form.get_by_label("社会保险", exact=True).check()
    form.get_by_label("法定代表人身份证号码（完整号码）").check()
    form.get_by_label("用途").select_option(label="贷前调查")
    form.get_by_label("授权期限（天）").fill("90")
    form.get_by_role("button", name="下一步：查看将要共享的内容").click()

    # The preview says who gets what, for what, until when, and the exact text to be stored.
    shared = view(page, "授权管理").get_by_role("region", name="将要共享的内容")
    expect(shared).to_be_visible()
    expect(form).to_be_hidden()
    expect(shared).to_contain_text(BANK)
    expect(shared).to_contain_text("纳税、社会保险")
    expect(shared).to_contain_text("自确认之时起 90 天")
    expect(shared).to_contain_text("仅限贷前调查（融资业务）")
    expect(shared).to_contain_text("信用信息查询使用授权书")
    expect(shared.get_by_role("note")).to_contain_text("单独同意")
    check_screen(page, "finance-consent-preview", problems)

    # The identity clause needs its own tick; "返回修改" keeps what was chosen.
    shared.get_by_role("button", name="确认授权").click()
    expect(shared.get_by_text("授权查看完整身份证号码须单独勾选同意")).to_be_visible()
    shared.get_by_role("button", name="返回修改").click()
    expect(form.get_by_label("纳税", exact=True)).to_be_checked()
    form.get_by_role("button", name="下一步：查看将要共享的内容").click()
    shared = view(page, "授权管理").get_by_role("region", name="将要共享的内容")
    shared.get_by_label("我（法定代表人）已阅读并单独同意上述敏感个人信息条款").check()
    shared.get_by_role("button", name="确认授权").click()

    mine = view(page, "授权管理").get_by_role("region", name="我的授权")
    expect(page.get_by_role("status").filter(has_text=f"已授权 {BANK}")).to_be_visible()
    granted = mine.get_by_role("article", name=BANK)
    expect(granted).to_contain_text("有效")
    expect(granted).to_contain_text("纳税、社会保险、法定代表人身份证号码")
    expect(granted).to_contain_text("贷前调查")
    check_screen(page, "finance-consents", problems)

    granted.get_by_role("button", name="撤销").click()
    expect(granted).to_contain_text("确定撤销吗？")
    granted.get_by_role("button", name="确认撤销").click()
    expect(page.get_by_role("status").filter(has_text=f"已撤销对 {BANK} 的授权")).to_be_visible()
    revoked = view(page, "授权管理").get_by_role("article", name=BANK)
    expect(revoked).to_contain_text("已撤销")
    expect(revoked).to_contain_text("撤销时间")
    expect(revoked.get_by_role("button", name="撤销")).to_have_count(0)


def publish_demand(page: Page, problems: Problems) -> None:
    """Publish 50 万元 for 12 months and go to its matches."""
    form = demand_form(page)
    form.get_by_label("需求金额（万元）").fill("50")
    expect(form).to_contain_text("即 500,000.00 元")
    form.get_by_label("期限（月）").fill("12")
    form.get_by_label("资金用途").fill("购置运输车辆和燃油，扩大物流运输业务")
    form.get_by_role("button", name="发布需求").click()

    demands = view(page, "融资需求").get_by_role("region", name="我的融资需求")
    expect(page.get_by_role("status").filter(has_text="融资需求已发布")).to_be_visible()
    demand = demands.get_by_role("article", name="50 万元 · 12个月")
    expect(demand).to_contain_text("开放中")
    expect(demand).to_contain_text("500,000.00 元")
    expect(demand).to_contain_text("暂未收到金融机构的申请邀请")
    check_screen(page, "finance-demand", problems)
    demand.get_by_role("link", name="查看匹配的产品").click()


def see_matches(page: Page, problems: Problems) -> None:
    """Eligible products ranked with reasons and score parts; the others say what is missing."""
    matches = view(page, "产品匹配")
    expect(matches.get_by_label("按哪项融资需求匹配")).to_have_value(re.compile(r"\d+"))
    eligible = matches.get_by_role("region", name="符合条件的产品")
    first = eligible.get_by_role("article").first
    expect(first).to_contain_text("匹配度")
    expect(first).to_contain_text("符合的条件：")
    first.get_by_text("评分构成").click()
    expect(first).to_contain_text("额度匹配")
    expect(first).to_contain_text("需求金额50万元")
    unknown = matches.get_by_role("region", name="待补充数据的产品")
    expect(unknown).to_contain_text("缺少的数据：")
    expect(unknown).to_contain_text("首贷户")
    near = matches.get_by_role("region", name="暂不符合的产品")
    expect(near.get_by_text("还差：").first).to_be_visible()
    expect(near).to_contain_text("主体类型需为个体工商户，当前为企业")
    check_screen(page, "finance-matches", problems)
    eligible.get_by_role("article", name=PRODUCT).get_by_role("link", name=PRODUCT).first.click()


def apply_for_product(page: Page, problems: Problems) -> None:
    """Read the product and what applying shares, then apply with the demand."""
    product = view(page, "产品详情")
    about = product.get_by_role("region", name=PRODUCT)
    expect(about).to_contain_text(BANK)
    expect(about).to_contain_text("3.65% – 5.5%")
    expect(about).to_contain_text("3–36个月")
    expect(product.get_by_role("region", name="准入条件")).to_contain_text("成立年限需≥2年")
    sharing = product.get_by_role("region", name="申请时将共享的信息")
    expect(sharing).to_contain_text("纳税、社会保险")
    expect(sharing).to_contain_text("贷中审批")
    expect(sharing).to_contain_text("信用信息查询使用授权书")
    form = product.get_by_role("form", name="申请该产品")
    expect(form.get_by_label("关联的融资需求")).to_contain_text("50 万元 · 12个月")
    check_screen(page, "finance-product", problems)

    form.get_by_role("button", name="申请", exact=True).click()
    expect(form.get_by_text("申请前请阅读并勾选同意授权书")).to_be_visible()
    form.get_by_label("我已阅读并同意上方的授权书").check()
    form.get_by_role("button", name="申请", exact=True).click()

    applications = view(page, "我的申请")
    expect(page.get_by_role("status").filter(has_text=f"提交「{PRODUCT}」的申请")).to_be_visible()
    application = applications.get_by_role("article", name=PRODUCT)
    expect(application).to_contain_text("已提交，待审批")
    expect(application).to_contain_text("50 万元，12个月")
    expect(application).to_contain_text(BANK)
    expect(application.get_by_role("button", name="撤回申请")).to_be_visible()
    check_screen(page, "finance-applications", problems)


def read_pushed_policy(page: Page, problems: Problems) -> None:
    """Open a policy push: it is marked read and shows the policy and why the firm qualifies."""
    inbox = open_tile(page, "消息", "消息").get_by_role("region", name="全部消息")
    expect(inbox).to_contain_text(re.compile(r"未读 [1-9]\d* 条"))
    message = inbox.get_by_role("button", name=re.compile(POLICY))
    expect(message).to_contain_text("未读")
    message.click()
    expect(message).to_have_attribute("aria-expanded", "true")
    expect(message.get_by_text("未读")).to_be_hidden()
    policy = inbox.get_by_role("region", name=f"政策：{POLICY}")
    expect(policy).to_contain_text("财政部、工业和信息化部")
    expect(policy).to_contain_text("担保费补贴")
    expect(policy).to_contain_text("2026年1月1日 至 2028年12月31日")
    expect(policy).to_contain_text("为何符合")
    expect(policy).to_contain_text("企业规模需≤小型，当前为小型")
    check_screen(page, "finance-inbox", problems)

    # Read stays read after a reload.
    page.reload()
    reloaded = view(page, "消息").get_by_role("button", name=re.compile(POLICY))
    expect(reloaded).to_be_visible()
    expect(reloaded.get_by_text("未读")).to_be_hidden()
    reloaded.click()
    view(page, "消息").get_by_role("link", name="查看我符合的全部惠企政策").click()
    policies = view(page, "惠企政策")
    qualified = policies.get_by_role("region", name="符合条件的政策")
    qualified = qualified.get_by_role("article", name=POLICY)
    expect(qualified).to_contain_text("为何符合：")
    expect(policies.get_by_role("region", name="暂不符合的政策")).to_contain_text("还差：")
    check_screen(page, "finance-policies", problems)


def test_authorise_publish_match_apply_and_read_policy(any_page: Page) -> None:
    # given a new account verified as the demo firm
    page = any_page
    problems = Problems().watch(page)
    register_verified_firm(page)

    # when it authorises the bank after the preview, then revokes it
    authorise_and_revoke(page, problems)

    # then the access log is there (nobody has read the data yet)
    log = open_tile(page, "查询记录", "查询记录").get_by_role("region", name="谁查看了我的数据")
    expect(log).to_contain_text("还没有金融机构查询过本企业的数据")
    check_screen(page, "finance-access-log", problems)

    # when it publishes a demand, looks at the matches and applies for a product
    publish_demand(page, problems)
    see_matches(page, problems)
    apply_for_product(page, problems)

    # and reads a pushed policy
    read_pushed_policy(page, problems)


def test_demand_with_bad_amount_or_term_shows_server_messages(page: Page) -> None:
    # given the demo firm on the demand form
    problems = Problems().watch(page)
    register_verified_firm(page)
    form = demand_form(page)

    # when the amount is 0
    form.get_by_label("需求金额（万元）").fill("0")
    form.get_by_label("期限（月）").fill("12")
    form.get_by_label("资金用途").fill("采购原材料")
    form.get_by_role("button", name="发布需求").click()

    # then the server's message is next to the amount
    amount = form.get_by_label("需求金额（万元）")
    expect(amount).to_have_attribute("aria-invalid", "true")
    expect(amount).to_have_accessible_description(re.compile("金额须大于 0 元"))

    # when the amount is given in 元 and the term is out of range
    form.get_by_label("元", exact=True).check()
    amount = form.get_by_label("需求金额（元）")
    amount.fill("80000")
    form.get_by_label("期限（月）").fill("400")
    form.get_by_role("button", name="发布需求").click()

    # then the term carries the server's message and the amount is fine
    term = form.get_by_label("期限（月）")
    expect(term).to_have_accessible_description(re.compile("期限须为 1 到 360 个月"))
    expect(amount).not_to_have_attribute("aria-invalid", "true")

    # and nothing was written
    demands = view(page, "融资需求").get_by_role("region", name="我的融资需求")
    expect(demands).to_contain_text("您还没有发布融资需求")
    check_screen(page, "finance-demand-errors", problems)


def test_grant_without_category_or_period_shows_server_messages(page: Page) -> None:
    # given the demo firm on the new-authorisation form
    problems = Problems().watch(page)
    register_verified_firm(page)
    form = grant_form(page)

    # when it asks for the preview with no category and a period of 0 days
    form.get_by_label("授权给哪家金融机构").select_option(label=f"{BANK}（银行）")
    form.get_by_label("授权期限（天）").fill("0")
    form.get_by_role("button", name="下一步：查看将要共享的内容").click()

    # then the server's messages are next to the categories and the period; no preview
    expect(form.get_by_text("请至少选择一类授权信息")).to_be_visible()
    days = form.get_by_label("授权期限（天）")
    expect(days).to_have_attribute("aria-invalid", "true")
    expect(days).to_have_accessible_description(re.compile("授权期限须为 1 到 365 天"))
    expect(page.get_by_role("region", name="将要共享的内容")).to_have_count(0)
    check_screen(page, "finance-grant-errors", problems)

    # and nothing was granted
    page.get_by_role("link", name="返回我的授权").click()
    mine = view(page, "授权管理").get_by_role("region", name="我的授权")
    expect(mine).to_contain_text("您还没有向任何金融机构授权")


def test_applying_for_a_product_the_firm_does_not_qualify_for_is_refused(page: Page) -> None:
    # given the demo firm (a company, not a sole trader) on a sole traders' product
    problems = Problems().watch(page)
    register_verified_firm(page)
    open_tile(page, "产品匹配", "产品匹配")
    near = view(page, "产品匹配").get_by_role("region", name="暂不符合的产品")
    near.get_by_role("link", name="商户信用贷").click()
    form = view(page, "产品详情").get_by_role("form", name="申请该产品")

    # when it applies without a demand and without an amount, then with one
    form.get_by_label("我已阅读并同意上方的授权书").check()
    form.get_by_role("button", name="申请", exact=True).click()
    expect(form.get_by_label("申请金额（万元）")).to_have_accessible_description(
        re.compile("未关联融资需求时，请填写申请金额")
    )
    form.get_by_label("申请金额（万元）").fill("20")
    form.get_by_label("申请期限（月）").fill("12")
    form.get_by_role("button", name="申请", exact=True).click()

    # then the server says why, and no application exists
    expect(form.get_by_role("alert").filter(has_text="暂不符合该产品的准入条件")).to_be_visible()
    check_screen(page, "finance-apply-refused", problems)
    applications = open_tile(page, "我的申请", "我的申请")
    expect(applications).to_contain_text("您还没有申请贷款产品")
