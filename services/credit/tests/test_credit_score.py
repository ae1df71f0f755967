"""Scores are recomputed from records and the scoring version in force, item by item."""

from datetime import date

import grpc
import pytest
from credit_support import Caller, CreditStack, day
from test_credit_code_checksum import violations_of

from anjian.credit.v1 import credit_pb2


async def score(caller: Caller, name: str, as_of: date | None = None) -> credit_pb2.CreditScore:
    return await caller.credit.GetCreditScore(
        credit_pb2.GetCreditScoreRequest(name=name, as_of=day(as_of) if as_of else None),
        metadata=caller.metadata,
    )


async def test_the_score_is_explained_item_by_item_and_recomputed_as_of_earlier_days(
    stack: CreditStack, inspector: Caller
) -> None:
    enterprise = await inspector.register()
    code = enterprise.credit_code
    missed = await inspector.record(code, "self-inspection-missed", date(2026, 1, 10))
    penalty = await inspector.record(code, "penalty-decision", date(2026, 3, 1))
    praise = await inspector.record(code, "commendation", date(2026, 6, 1))

    today = await score(inspector, enterprise.name)
    in_may = await score(inspector, enterprise.name, date(2026, 5, 1))
    in_february = await score(inspector, enterprise.name, date(2026, 2, 1))
    before_2023_rules = await score(inspector, enterprise.name, date(2023, 9, 1))

    assert (today.score, today.rule_version, today.base) == (85, "2023", 100)
    assert [(i.credit_record, i.points) for i in today.items] == [
        (penalty.name, -20),
        (praise.name, 5),
    ]
    assert "penalty-decision (rules 2026)" in today.items[0].explanation
    assert "36 months under scoring 2023, until 2029-02-28" in today.items[0].explanation
    assert in_may.score == 78
    assert [i.credit_record for i in in_may.items] == [missed.name, penalty.name]
    assert in_february.score == 98
    assert (before_2023_rules.score, before_2023_rules.rule_version) == (100, "2017")
    assert before_2023_rules.items == []
    refreshed = await inspector.credit.GetEnterprise(
        credit_pb2.GetEnterpriseRequest(name=enterprise.name), metadata=inspector.metadata
    )
    assert refreshed.score == 85


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"rule": "no-such-rule"}, "credit_record.rule"),
        ({"rule": "commendation", "kind": credit_pb2.CONDUCT_KIND_BAD}, "credit_record.kind"),
        ({"source": ""}, "credit_record.source"),
        ({"source_document": ""}, "credit_record.source_document"),
        ({"conduct_date": day(date(2026, 11, 3))}, "credit_record.conduct_date"),
    ],
)
async def test_a_direct_entry_with_bad_input_names_the_field_and_stores_nothing(
    inspector: Caller, fields: dict[str, object], field: str
) -> None:
    enterprise = await inspector.register()
    values: dict[str, object] = {"rule": "penalty-decision"}
    values.update(fields)
    rule = str(values.pop("rule"))

    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await inspector.record(enterprise.credit_code, rule, date(2026, 10, 1), **values)

    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in violations_of(refused.value)
    listed = await inspector.credit.ListCreditRecords(
        credit_pb2.ListCreditRecordsRequest(parent=enterprise.name), metadata=inspector.metadata
    )
    assert list(listed.credit_records) == []


async def test_the_rule_tables_and_their_versions_are_listed(inspector: Caller) -> None:
    reply = await inspector.credit.ListCreditRules(
        credit_pb2.ListCreditRulesRequest(), metadata=inspector.metadata
    )
    tables = {(rule.table, rule.rule, rule.version) for rule in reply.rules}

    assert ("event", "hazard-overdue-major", "2026") in tables
    assert ("event", "occhealth-undeclared", "2026") in tables
    assert ("direct-entry", "penalty-decision", "2026") in tables
    assert ("scoring", "scoring-2023", "2023") in tables
    assert ("listing", "listing-2017", "2017") in tables
