"""Which rows a role may change, and a before/after comparison of every table that says so.

Each role gets, per table, one rule for rows it may insert and one for rows it may update or
delete (checked on the row before and after). A table without a rule is read-only for that role.
Bookkeeping tables (the audit log, sessions, throttles, the data access log, the connector cache)
change on every call and are left out; the audit chain is verified separately.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from backend.db.registry import Base
from backend.runtime import Runtime

Row = dict[str, Any]
Snapshot = dict[str, dict[tuple[Any, ...], Row]]

BOOKKEEPING = frozenset(
    {
        "audit_log",
        "audit_chain_head",
        "throttle_events",
        "auth_sessions",
        "data_access_log",
        "connector_cache",
    }
)


@dataclass(frozen=True)
class Owner:
    """The acting role and the ids its own rows carry."""

    role: str
    account_id: int | None = None
    enterprise_id: int | None = None
    institution_id: int | None = None
    data_provider_id: int | None = None


@dataclass(frozen=True)
class Owned:
    """What the role owns in the database after the call (for rows owned through a parent)."""

    owner: Owner
    product_ids: frozenset[int] = field(default_factory=frozenset)
    loan_ids: frozenset[int] = field(default_factory=frozenset)


RowRule = Callable[[Row, Owned], bool]


def never(_row: Row, _owned: Owned) -> bool:
    """No row."""
    return False


def always(_row: Row, _owned: Owned) -> bool:
    """Any row."""
    return True


def own_enterprise(row: Row, owned: Owned) -> bool:
    """Rows of the acting enterprise."""
    return row["enterprise_id"] == owned.owner.enterprise_id


def own_institution(row: Row, owned: Owned) -> bool:
    """Rows of the acting institution."""
    return row["institution_id"] == owned.owner.institution_id


def own_provider(row: Row, owned: Owned) -> bool:
    """Rows of the acting data provider."""
    return row["data_provider_id"] == owned.owner.data_provider_id


def own_account(row: Row, owned: Owned) -> bool:
    """The acting account itself."""
    return row["id"] == owned.owner.account_id


def enterprise_account(row: Row, _owned: Owned) -> bool:
    """A self-registered enterprise account (anyone may register one)."""
    return row["role"] == "ENTERPRISE"


@dataclass(frozen=True)
class TableRule:
    """Rows a role may insert, and rows it may update or delete."""

    insert: RowRule = never
    change: RowRule = never


def _either(*rules: RowRule) -> RowRule:
    return lambda row, owned: any(rule(row, owned) for rule in rules)


def _enterprise_rules() -> dict[str, TableRule]:
    mine = TableRule(own_enterprise, own_enterprise)
    rules = {
        name: mine
        for name in (
            "credit_codes",
            "enterprise_features",
            "financing_demands",
            "authorizations",
            "declarations",
            "loan_applications",
            "objections",
            "repair_requests",
        )
    }
    # Applying notifies the institution applied to; only the firm's own messages can be read.
    rules["inbox_messages"] = TableRule(
        _either(own_enterprise, lambda r, _o: r["institution_id"] is not None), own_enterprise
    )
    rules["enterprises"] = TableRule(change=lambda r, o: r["id"] == o.owner.enterprise_id)
    return rules


def _institution_rules() -> dict[str, TableRule]:
    mine = TableRule(own_institution, own_institution)
    rules = {
        name: mine
        for name in ("loan_products", "loan_applications", "loans", "demand_offers", "risk_alerts")
    }
    rules["api_tokens"] = TableRule(change=own_institution)
    rules["loan_product_versions"] = TableRule(
        lambda r, o: r["product_id"] in o.product_ids, lambda r, o: r["product_id"] in o.product_ids
    )
    rules["loan_performance"] = TableRule(
        lambda r, o: r["loan_id"] in o.loan_ids, lambda r, o: r["loan_id"] in o.loan_ids
    )
    # Decisions and offers notify the enterprise; only the institution's own messages are read.
    rules["inbox_messages"] = TableRule(
        _either(own_institution, lambda r, _o: r["enterprise_id"] is not None), own_institution
    )
    return rules


def _government_rules() -> dict[str, TableRule]:
    anything = TableRule(always, always)
    rules = {name: anything for name in ("policies", "policy_push_jobs", "institutions")}
    rules["api_tokens"] = anything
    rules["inbox_messages"] = TableRule(insert=always)
    for reviewed in ("declarations", "objections", "repair_requests"):
        rules[reviewed] = TableRule(change=always)
    # An upheld objection or an approved repair hides or corrects a record and re-scores.
    rules["credit_records"] = TableRule(always, always)
    rules["enterprise_features"] = anything
    rules["accounts"] = TableRule(insert=always)
    return rules


def _provider_rules() -> dict[str, TableRule]:
    mine = TableRule(own_provider, own_provider)
    # Registration records create and update enterprises; any record can raise a risk alert.
    return {
        "ingest_batches": mine,
        "credit_records": mine,
        "enterprises": TableRule(always, always),
        "enterprise_features": TableRule(always, always),
        "risk_alerts": TableRule(insert=always),
        "inbox_messages": TableRule(insert=always),
    }


def rules_for(owner: Owner) -> dict[str, TableRule]:
    """Per table, what ``owner`` may change; a table not named is read-only."""
    by_role: dict[str, Callable[[], dict[str, TableRule]]] = {
        "ENTERPRISE": _enterprise_rules,
        "INSTITUTION": _institution_rules,
        "GOVERNMENT": _government_rules,
        "DATA_PROVIDER": _provider_rules,
    }
    rules = by_role[owner.role]() if owner.role in by_role else {}
    accounts = rules.get("accounts", TableRule())
    rules["accounts"] = TableRule(
        _either(accounts.insert, enterprise_account), _either(accounts.change, own_account)
    )
    return rules


async def snapshot(runtime: Runtime) -> Snapshot:
    """Every row of every table but the bookkeeping ones, keyed by primary key."""
    taken: Snapshot = {}
    async with runtime.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            if table.name in BOOKKEEPING:
                continue
            key = [c.name for c in table.primary_key.columns]
            rows = (await connection.execute(select(table))).mappings().all()
            taken[table.name] = {tuple(r[k] for k in key): dict(r) for r in rows}
    return taken


def _owned(owner: Owner, after: Snapshot) -> Owned:
    def ids(table: str) -> frozenset[int]:
        return frozenset(
            row["id"]
            for row in after.get(table, {}).values()
            if row["institution_id"] == owner.institution_id
        )

    return Owned(owner, ids("loan_products"), ids("loans"))


def forbidden_changes(owner: Owner, before: Snapshot, after: Snapshot) -> list[str]:
    """Rows that changed although ``owner`` may not change them, described for a failure."""
    rules = rules_for(owner)
    owned = _owned(owner, after)
    found: list[str] = []
    for table, old_rows in before.items():
        rule = rules.get(table, TableRule())
        new_rows = after[table]
        for key in new_rows.keys() - old_rows.keys():
            if not rule.insert(new_rows[key], owned):
                found.append(f"{table}: inserted {key} {new_rows[key]}")
        for key, old in old_rows.items():
            new = new_rows.get(key)
            if new == old:
                continue
            if not rule.change(old, owned) or (new is not None and not rule.change(new, owned)):
                what = "deleted" if new is None else f"changed to {new}"
                found.append(f"{table}: {key} {old} {what}")
    return found
