"""What a firm reads when it is told of a policy: the same title and body for every firm the
policy reaches (written by one set-based statement), saying why it qualifies in the rule's words.
The inbox adds the firm's own values when it shows the message (``backend.policies.matches``)."""

from __future__ import annotations

from backend.identity.regions import region_name
from backend.lending.product_checks import eligibility_sentences
from backend.policies.models import POLICY_TYPE_LABELS, Policy, PolicyType

TITLE_MAX = 200


def policy_message_title(policy: Policy) -> str:
    """``【贷款贴息】<title>`` cut to the column's size."""
    label = POLICY_TYPE_LABELS.get(PolicyType(policy.policy_type), "政策")
    return f"【{label}】{policy.title}"[:TITLE_MAX]


def _regions(policy: Policy) -> str:
    if not policy.region_codes:
        return "全国"
    return "、".join(region_name(code.ljust(6, "0")) or code for code in policy.region_codes)


def policy_message_body(policy: Policy) -> str:
    """The summary, why the firm qualifies (each condition of the rule), who issued it, where
    and until when it applies, and where to read the full text."""
    reasons = "；".join(eligibility_sentences(policy.eligibility)) or "不限"
    return (
        f"{policy.summary}\n\n"
        f"根据平台掌握的信用信息，贵企业符合本政策的适用条件：{reasons}。\n"
        f"发布单位：{policy.issuer}；适用地区：{_regions(policy)}；"
        f"有效期：{policy.valid_from.isoformat()} 至 {policy.valid_until.isoformat()}。\n"
        "请在“政策”页查看政策全文和申请方式。"
    )
