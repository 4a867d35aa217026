"""The monthly calendar and the tick: opening, closing, late ticks, races."""
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from app import months
from app.audit.models import AuditEntry
from app.extensions import db
from app.rounds import calendar, lifecycle
from app.rounds.errors import RoundError
from app.rounds.models import Round, RoundResult, RoundStatus


def all_rounds():
    db.session.expire_all()
    return db.session.scalars(sa.select(Round).order_by(Round.year, Round.month)).all()


def test_month_window_follows_the_shop_time_zone(app):
    start, end = months.month_window(2026, 12)
    # Paris is UTC+1 in winter: December runs from 30 Nov 23:00 UTC to 31 Dec 23:00 UTC.
    assert start == datetime(2026, 11, 30, 23, tzinfo=timezone.utc)
    assert end == datetime(2026, 12, 31, 23, tzinfo=timezone.utc)
    summer_start, _ = months.month_window(2026, 7)
    assert summer_start == datetime(2026, 6, 30, 22, tzinfo=timezone.utc)


def test_tick_with_no_rounds_creates_and_opens_this_month(app, clock):
    assert lifecycle.tick() == ["opened 2026-11"]
    [november] = all_rounds()
    assert november.status == RoundStatus.OPEN
    assert (november.winners_count, november.bounty_cents, november.royalty_cents) == (1, 100_000, 100)
    assert lifecycle.tick() == []  # idempotent: nothing more to do


def test_tick_closes_at_the_month_boundary_and_opens_the_next(app, november, clock):
    clock.move_to(datetime(2026, 11, 30, 22, 59, 59, tzinfo=timezone.utc))  # 23:59:59 in Paris
    assert lifecycle.tick() == []
    clock.move_to(datetime(2026, 11, 30, 23, 0, 0, tzinfo=timezone.utc))  # midnight in Paris
    assert lifecycle.tick() == ["closed 2026-11", "opened 2026-12"]
    november_, december = all_rounds()
    assert november_.status == RoundStatus.CLOSED and november_.closed_by_id is None
    assert december.status == RoundStatus.OPEN
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "round.close"))
    assert entry.actor_id is None and entry.reason == "end of the month"


def test_late_tick_after_days_of_downtime(app, november, clock):
    clock.move_to(datetime(2027, 1, 3, 8, tzinfo=timezone.utc))
    assert lifecycle.tick() == ["closed 2026-11", "opened 2027-01"]
    statuses = {(r.year, r.month): r.status for r in all_rounds()}
    assert statuses == {(2026, 11): RoundStatus.CLOSED, (2027, 1): RoundStatus.OPEN}


def test_closing_twice_produces_one_result(app, entries, november):
    assert lifecycle.close_round(november.id, None) is True
    db.session.commit()
    assert lifecycle.close_round(november.id, None) is False
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RoundResult)) == 3
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditEntry.action == "round.close")) == 1


def test_scheduled_round_opens_with_the_waiting_designs(app, clock, make_design):
    design = make_design()  # approved while no round is open
    assert design.round_id is None
    lifecycle.tick()
    db.session.expire_all()
    assert design.round_id == calendar.get_round(2026, 11).id


def test_only_one_round_open_at_a_time(app, november):
    december = calendar.ensure_round(2026, 12)
    db.session.commit()
    try:
        lifecycle.open_round(december, None)
    except RoundError as exc:
        assert "Another round is open" in str(exc)
    else:
        raise AssertionError("a second round opened")


def test_tick_from_the_command_line(runner, clock):
    result = runner.invoke(args=["rounds", "tick"])
    assert result.exit_code == 0 and "opened 2026-11" in result.output
    assert "nothing to do" in runner.invoke(args=["rounds", "tick"]).output


def test_round_names_are_localised(app):
    from flask_babel import force_locale

    round_ = calendar.ensure_round(2026, 12)
    with app.test_request_context():
        with force_locale("en"):
            assert calendar.round_name(round_) == "December 2026"
        with force_locale("fr"):
            assert calendar.round_name(round_) == "Décembre 2026"
    assert timedelta(0) < round_.ends_at - round_.starts_at
