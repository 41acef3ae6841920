"""``GET /c/{slug}``: the public page of a credit code (信用码), rendered on the server.

A small HTML page in Chinese with no script at all: the firm's name, its current grade, the date
of the evaluation and a line saying the firm chose to show them. Every value is HTML-escaped. An
unknown, malformed or switched-off slug gets the same "not found" page with status 404. Nothing
is cached (``no-store``: switching the code off must take effect at once) and search engines are
asked to keep out (``noindex``).
"""

from __future__ import annotations

from datetime import date
from html import escape

from starlette.requests import Request
from starlette.responses import HTMLResponse

from backend.enterprises.credit_code import PublicCard, is_slug, public_card

HEADERS = {
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex, nofollow",
}

_PAGE = """<!doctype html>
<html lang="zh-CN">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
  <meta name="robots" content="noindex, nofollow">
  <meta name="referrer" content="no-referrer">
  <title>{title} · 信融</title>
  <link rel="icon" href="/favicon.svg" type="image/svg+xml">
  <link rel="stylesheet" href="/css/app.css">
  <link rel="stylesheet" href="/css/credit_code.css">
</head>
<body class="credit-code-public">
  <header class="topbar">
    <div class="topbar-inner">
      <a class="brand" href="/" aria-label="信融 融资信用服务平台 首页">
        <span class="brand-mark" aria-hidden="true">信</span>
        <span class="brand-text">
          <span class="brand-name">信融</span>
          <span class="brand-sub">融资信用服务平台</span>
        </span>
      </a>
    </div>
  </header>
  <main id="main" class="container">
{body}
  </main>
  <footer class="footer">
    <p>信融 · 融资信用服务平台</p>
  </footer>
</body>
</html>
"""

_CARD = """    <h1>企业信用码</h1>
    <section class="card credit-code-public-card" aria-labelledby="firm-name">
      <p class="credit-code-kicker">企业名称</p>
      <h2 id="firm-name" class="credit-code-firm">{name}</h2>
      <div class="credit-code-grade">
        <p class="credit-code-kicker">信用评价等级</p>
        <p class="credit-code-grade-value">
          <span class="credit-code-grade-letter">{grade}</span>
          <span class="credit-code-grade-label">{label}</span>
        </p>
      </div>
      <dl class="facts">
        <div class="fact"><dt>评价日期</dt><dd>{evaluated_on}</dd></div>
        <div class="fact"><dt>评价体系</dt><dd>{scorecard}</dd></div>
      </dl>
      <p class="notice notice-ok credit-code-consent">{consent}</p>
      <p class="hint">{explanation}</p>
    </section>"""

# Chinese runs on without spaces: each sentence is one line of the page, however long.
_CONSENT = (
    "本页面由该企业自主选择公开，仅展示企业名称和信用评价等级。企业可随时关闭，关闭后本页面即失效。"
)
_EXPLANATION = (
    "等级由高到低：{scale}。按平台归集的公共信用信息，于评价日期计算。"
    "本页面不展示统一社会信用代码、评分明细、信用记录或任何个人信息。"
)

_NOT_FOUND = """    <h1>未找到该信用码</h1>
    <section class="card credit-code-public-card" aria-labelledby="not-found-title">
      <h2 id="not-found-title">信用码无效或已关闭</h2>
      <p>{reason}</p>
      <p class="hint">如需核实，请向企业索取最新的信用码。</p>
    </section>""".format(
    reason="该链接不存在，或者企业已关闭了信用码。"
    "企业重新开启信用码后会生成新的二维码和链接，旧的二维码不再可用。"
)


def chinese_date(day: date) -> str:
    """2026-11-21 → "2026年11月21日"."""
    return f"{day.year}年{day.month}月{day.day}日"


def render_card(card: PublicCard) -> str:
    """The whole page for ``card`` (every value escaped)."""
    scale = "、".join(f"{grade} {label}" for grade, label in card.grade_scale)
    body = _CARD.format(
        name=escape(card.name),
        grade=escape(card.grade),
        label=escape(card.grade_label),
        evaluated_on=escape(chinese_date(card.evaluated_on)),
        scorecard=escape(card.scorecard_name),
        consent=_CONSENT,
        explanation=escape(_EXPLANATION.format(scale=scale)),
    )
    return _PAGE.format(title=escape(f"{card.name} · 信用码"), body=body)


def render_not_found() -> str:
    """The page for a slug that names no switched-on credit code."""
    return _PAGE.format(title="未找到该信用码", body=_NOT_FOUND)


async def credit_code_page(request: Request) -> HTMLResponse:
    """Answer ``GET /c/{slug}``: the firm's name and grade, or a 404 page in Chinese."""
    slug = request.path_params.get("slug", "")
    card = None
    if is_slug(slug):  # anything else is not found without asking the database
        async with request.app.state.runtime.sessionmaker() as session:
            card = await public_card(session=session, slug=slug)
    if card is None:
        return HTMLResponse(render_not_found(), status_code=404, headers=HEADERS)
    return HTMLResponse(render_card(card), headers=HEADERS)
