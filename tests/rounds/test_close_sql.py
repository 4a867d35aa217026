"""The results computed in one SQL statement (PostgreSQL) equal the published rule's, line by line.

app/rounds/ranking.py is the reference: random rounds, full of exact ties (designs with the same
votes), voided votes, disqualifications and every prior weight, are ranked both ways and every
column of every line compared.
"""
from __future__ import annotations

import os
from datetime import timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.clock import utcnow
from app.designs.models import Design, DesignStatus
from app.extensions import db
from app.rounds import tally
from app.rounds.models import SIZES, Round, RoundResult, RoundStatus, Vote
from tests.factories import UserFactory

COLUMNS = ("design_id", "rank", "score", "mean", "votes", "score_sum", "buy_count", "voters", "wilson",
           "buy_by_size", "disqualified_at", "disqualified_reason", "is_winner")

pytestmark = pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"),
                                reason="the one-statement close is PostgreSQL's; on SQLite the reference itself runs")

vote = st.tuples(st.integers(1, 5), st.booleans(), st.sampled_from((None, *SIZES)), st.booleans())
design_votes = st.lists(vote, max_size=12)
rounds = st.fixed_dictionaries({
    "designs": st.lists(design_votes, min_size=1, max_size=9),
    "copies": st.lists(st.integers(0, 8), max_size=4),  # designs that repeat another's votes: exact ties
    "weight": st.integers(0, 25),
    "disqualified": st.sets(st.integers(0, 12), max_size=3),
    "same_minute": st.booleans(),
})


@pytest.fixture
def people(app):
    designer = UserFactory()
    voters = [UserFactory() for _ in range(12)]
    db.session.commit()
    return designer, voters


def _make_round(spec, designer, voters) -> Round:
    year = 2000 + db.session.scalar(sa.select(sa.func.count(Round.id)))
    now = utcnow()
    round_ = Round(year=year, month=1, status=RoundStatus.CLOSED, prior_weight=spec["weight"],
                   starts_at=now - timedelta(days=30), ends_at=now)
    db.session.add(round_)
    db.session.flush()
    all_votes = spec["designs"] + [spec["designs"][i % len(spec["designs"])] for i in spec["copies"]]
    for n, votes in enumerate(all_votes):
        at = now - timedelta(days=1, minutes=0 if spec["same_minute"] else n)
        design = Design(designer_id=designer.id, round_id=round_.id, title=f"D{n}", alt_text="a", shirt_colour="white",
                        status=DesignStatus.APPROVED, created_at=at, submitted_at=at, licence_accepted_at=at,
                        print_file_key="k", print_width=1, print_height=1, thumbnail_key="k",
                        thumbnail_fallback_key="k", preview_key="k", preview_fallback_key="k", mockup_key="k",
                        mockup_fallback_key="k", phash="0" * 16)
        db.session.add(design)
        db.session.flush()
        for voter, (score, buy, size, voided) in zip(voters, votes):
            db.session.add(Vote(round_id=round_.id, design_id=design.id, voter_id=voter.id, score=score,
                                buy_intent=buy, size=size if buy else None, voided_at=now if voided else None))
    db.session.flush()
    return round_


def _lines(round_) -> list[tuple]:
    db.session.expire_all()
    return [tuple(getattr(r, c) for c in COLUMNS) for r in tally.results(round_)]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec=rounds)
def test_the_sql_ranks_every_round_as_the_published_rule(app, people, spec):
    designer, voters = people
    round_ = _make_round(spec, designer, voters)
    designs = db.session.scalars(sa.select(Design.id).where(Design.round_id == round_.id).order_by(Design.id)).all()
    tally.compute_results_python(round_)
    for index in spec["disqualified"]:  # disqualifications are carried over by the next computation
        if index < len(designs):
            line = db.session.scalar(sa.select(RoundResult).where(RoundResult.round_id == round_.id,
                                                                  RoundResult.design_id == designs[index]))
            line.disqualified_at, line.disqualified_reason = utcnow(), "test"
    db.session.flush()

    tally.compute_results_python(round_)
    expected, expected_mean = _lines(round_), (round_.mean_numerator, round_.mean_denominator)
    tally.compute_results(round_)  # on PostgreSQL: the tally and the INSERT … SELECT
    assert _lines(round_) == expected
    assert (round_.mean_numerator, round_.mean_denominator) == expected_mean
    db.session.rollback()
