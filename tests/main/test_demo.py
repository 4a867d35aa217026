"""`flask demo advance close|publish|sale`: the demo's month moved forward by hand, one step at a time."""
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa
import time_machine

from app.accounts.models import Role
from app.audit.models import AuditEntry
from app.extensions import db
from app.rounds import calendar, lifecycle, voting
from app.rounds.models import RoundStatus
from app.seed import DEMO_OPERATOR, ensure_user
from app.shop.models import Edition, EditionStatus
from tests.factories import UserFactory


@pytest.fixture
def app_config(app_config):
    return {**app_config, "PRINT_MIN_LONG_SIDE": 300}


@pytest.fixture
def demo(app, make_design):
    """The smallest demo: its operator, this month's round open with three designs and some votes."""
    with time_machine.travel(datetime(2026, 11, 15, 12, tzinfo=timezone.utc), tick=False):
        operator = ensure_user(*DEMO_OPERATOR, role=Role.OPERATOR)
        lifecycle.tick()
        entries = [make_design(title=title) for title in ("Alpha", "Bravo", "Charlie")]
        for voter in [UserFactory() for _ in range(4)]:
            for design, score in zip(entries, (5, 3, 2)):
                voting.cast_vote(voter, db.session.merge(design), score, False, None)
        db.session.commit()
        yield operator, calendar.get_round(2026, 11)


def advance(runner, step):
    return runner.invoke(args=["demo", "advance", step])


def test_the_demo_month_moves_forward_one_step_at_a_time(demo, runner):
    operator, round_ = demo
    result = advance(runner, "close")
    assert result.exit_code == 0, result.output
    assert "Closed 2026-11" in result.output and "'Alpha'" in result.output
    db.session.expire_all()
    assert round_.status == RoundStatus.CLOSED and round_.closed_by_id == operator.id

    result = advance(runner, "publish")
    assert result.exit_code == 0, result.output
    assert "published 2026-11" in result.output and "winner: 'Alpha'" in result.output
    db.session.expire_all()
    assert round_.status == RoundStatus.PUBLISHED

    result = advance(runner, "sale")
    assert result.exit_code == 0, result.output
    assert "on sale" in result.output and "'Alpha'" in result.output
    [edition] = db.session.scalars(sa.select(Edition).where(Edition.status == EditionStatus.ON_SALE)).all()
    assert edition.design.title == "Alpha" and edition.ship_date is not None and edition.sold == 1  # No. 1

    actions = set(db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.actor_id == operator.id)))
    assert {"round.close", "round.confirm_winners", "round.publish", "edition.open"} <= actions

    # Each step again: nothing changes, and it says so.
    before = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
    for step in ("close", "publish", "sale"):
        again = advance(runner, step)
        assert again.exit_code == 0 and ("nothing to do" in again.output), again.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == before


def test_a_step_that_cannot_happen_yet_is_refused_with_the_next_step(demo, runner):
    for step in ("publish", "sale"):
        result = advance(runner, step)
        assert result.exit_code != 0
        assert "still open" in result.output or "not published yet" in result.output
        assert "flask demo advance close" in result.output
    advance(runner, "close")
    result = advance(runner, "sale")
    assert result.exit_code != 0 and "flask demo advance publish" in result.output
    db.session.expire_all()
    assert demo[1].status == RoundStatus.CLOSED


def test_without_the_demo_it_says_to_seed_first(app, runner):
    result = advance(runner, "close")
    assert result.exit_code != 0 and "flask seed" in result.output
