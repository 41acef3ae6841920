"""factsCatalog and validateRule: what an integrator checks before publishing a rule."""

from __future__ import annotations

VALIDATE = """
query Validate($rule: JSON!) {
  validateRule(rule: $rule) { valid facts errors { code field message } }
}
"""
CATALOG = """
query {
  factsCatalog { version facts { name kind label unit operators ordered values { value label } } }
}
"""


async def test_a_good_rule_is_valid_and_names_its_facts(client):
    rule = {
        "all": [
            {"fact": "years_in_business", "op": "gte", "value": 2},
            {"not": {"fact": "on_dishonest_list", "op": "eq", "value": True}},
        ]
    }

    result = await client.execute(VALIDATE, {"rule": rule})

    assert result.data["validateRule"] == {
        "valid": True,
        "facts": ["on_dishonest_list", "years_in_business"],
        "errors": [],
    }


async def test_a_bad_rule_is_invalid_rule_with_the_path_of_the_bad_node(client):
    rule = {
        "all": [
            {"fact": "years_in_business", "op": "gte", "value": 2},
            {"fact": "tax_credit_grade", "op": "in", "value": ["A", "Z"]},
        ]
    }

    result = await client.execute(VALIDATE, {"rule": rule})

    check = result.data["validateRule"]
    assert check["valid"] is False
    assert [(e["code"], e["field"]) for e in check["errors"]] == [
        ("INVALID_RULE", "rule.all[1].value[1]")
    ]
    assert "纳税信用等级" in check["errors"][0]["message"]


async def test_the_catalog_lists_every_contract_fact_with_labels_and_operators(client):
    result = await client.execute(CATALOG)

    catalog = result.data["factsCatalog"]
    facts = {f["name"]: f for f in catalog["facts"]}
    assert catalog["version"]
    assert facts["years_in_business"]["unit"] == "年"
    assert "within_region" in facts["region_code"]["operators"]
    assert facts["tax_credit_grade"]["ordered"] is True
    assert [v["value"] for v in facts["tax_credit_grade"]["values"]] == ["D", "C", "M", "B", "A"]
    assert {"value": "individual_business", "label": "个体工商户"} in facts["entity_type"]["values"]
