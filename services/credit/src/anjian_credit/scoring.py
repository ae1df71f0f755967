"""Scores recomputed from credit records and the scoring version in force, item by item.

A record counts from its conduct date for as many months as its category is given
by the scoring version in force on the day asked about; the score is the base plus
the points of every record that counts, kept within the version's bounds.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncConnection

from anjian.credit.v1 import credit_pb2
from anjian_credit.names import record_name
from anjian_credit.rules import RuleBook, Scoring, add_months
from anjian_credit.tables import credit_records
from anjian_kernel.messages import to_date


@dataclass(frozen=True)
class Score:
    """A score as of a day, with what made it."""

    as_of: date
    scoring: Scoring
    value: int
    items: list[tuple[Row[Any], int, str]]


def compute(book: RuleBook, records: Iterable[Row[Any]], as_of: date) -> Score:
    """The score as of `as_of` from an enterprise's records."""
    scoring = book.scoring(as_of)
    # Limitation: a record counts from its conduct date even if it was entered later, so a
    # score "as of" a past day includes findings made after that day (no as-known-then view).
    items: list[tuple[Row[Any], int, str]] = []
    ordered = sorted(records, key=lambda r: (r.conduct_date, r.created_at, r.id))
    for record in ordered:
        if record.conduct_date > as_of:
            continue
        months = scoring.months_for(record.category)
        last_day = add_months(record.conduct_date, months) - timedelta(days=1)
        if last_day < as_of:
            continue
        explanation = (
            f"{record.rule} (rules {record.rule_version}): {record.points:+d} for "
            f"{record.category} on {record.conduct_date}; counts {months} months under "
            f"scoring {scoring.version}, until {last_day}"
        )
        items.append((record, record.points, explanation))
    total = scoring.base + sum(points for _, points, _ in items)
    value = max(scoring.minimum, min(scoring.maximum, total))
    return Score(as_of, scoring, value, items)


def to_proto(score: Score, tenant: str, enterprise: str) -> credit_pb2.CreditScore:
    """A score as the API's CreditScore."""
    return credit_pb2.CreditScore(
        enterprise=enterprise,
        as_of=to_date(score.as_of),
        score=score.value,
        rule_version=score.scoring.version,
        base=score.scoring.base,
        items=[
            credit_pb2.ScoreItem(
                credit_record=record_name(tenant, record.credit_code, record.id),
                points=points,
                explanation=explanation,
            )
            for record, points, explanation in score.items
        ],
    )


async def records_of(
    connection: AsyncConnection, codes: Sequence[str], as_of: date
) -> dict[str, list[Row[Any]]]:
    """The records of several enterprises up to `as_of`, by credit code."""
    found: dict[str, list[Row[Any]]] = defaultdict(list)
    if not codes:
        return found
    rows = (
        await connection.execute(
            select(credit_records).where(
                credit_records.c.credit_code.in_(list(codes)),
                credit_records.c.conduct_date <= as_of,
            )
        )
    ).all()
    for row in rows:
        found[row.credit_code].append(row)
    return found


async def score_of(connection: AsyncConnection, book: RuleBook, code: str, as_of: date) -> Score:
    """One enterprise's score as of a day."""
    records = await records_of(connection, [code], as_of)
    return compute(book, records[code], as_of)
