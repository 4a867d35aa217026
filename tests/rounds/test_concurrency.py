"""Races: the tick and operators closing at once, operators confirming and publishing at once, a
member double-clicking a vote.

Each thread has its own request context, hence its own session and connection, as concurrent
requests do (tests/races.py). Run against PostgreSQL in CI (TEST_DATABASE_URL), and SQLite locally.
"""
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from app.accounts.models import User
from app.audit.models import AuditEntry
from app.designs.models import Design
from app.extensions import db
from app.payouts.models import EntryKind, LedgerEntry
from app.rounds import calendar, lifecycle, tally, voting
from app.rounds.models import Round, RoundResult, RoundStatus, Vote
from tests.factories import UserFactory
from tests.races import race


def audits(action: str) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).where(AuditEntry.action == action))


def results_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(RoundResult))


@pytest.fixture
def voted(entries, voters):
    for voter in voters:
        voting.cast_vote(voter, entries[0], 4, False, None)
        voting.cast_vote(voter, entries[1], 2, False, None)
    db.session.commit()
    return entries


@pytest.fixture
def closed(voted, november):
    lifecycle.close_round(november.id, None)
    db.session.commit()
    return november


@pytest.fixture
def operator_ids():
    return [UserFactory(operator=True).id for _ in range(5)]


@pytest.mark.committed
def test_concurrent_closes_produce_one_result(app, voted, november):
    round_id = november.id  # read here: the test's session must not be touched by the threads
    outcomes = race(app, lambda i: lifecycle.close_round(round_id, None), 4)
    assert sorted(outcomes) == [False, False, False, True]
    assert results_count() == len(voted)
    assert audits("round.close") == 1


@pytest.mark.committed
def test_the_tick_and_operators_closing_at_once_close_once(app, clock, voted, november, operator_ids):
    round_id = november.id
    clock.move_to(datetime(2026, 12, 1, 0, 5, tzinfo=timezone.utc))  # November is over in Paris

    def close(index):
        if index < 2:
            return lifecycle.tick()
        return lifecycle.close_round(round_id, db.session.get(User, operator_ids[index]), "closed by an operator")

    outcomes = race(app, close, 5)
    closed_by_tick = sum("closed 2026-11" in o for o in outcomes[:2])
    closed_by_hand = sum(outcomes[2:])
    assert closed_by_tick + closed_by_hand == 1
    assert audits("round.close") == 1
    assert results_count() == len(voted)
    november = db.session.get(Round, round_id)
    assert november.status == RoundStatus.CLOSED
    assert (november.closed_by_id is None) == bool(closed_by_tick)
    # December opened once, whichever tick got there.
    assert calendar.get_round(2026, 12).status == RoundStatus.OPEN
    assert audits("round.open") == 2  # November's (the fixture) and December's

    assert lifecycle.tick() == [] and audits("round.close") == 1


@pytest.mark.committed
def test_five_operators_confirming_at_once_confirm_once(app, closed, operator_ids):
    round_id = closed.id

    def confirm(index):
        return lifecycle.confirm_winners(db.session.get(Round, round_id), db.session.get(User, operator_ids[index]))

    outcomes = race(app, confirm, 5)
    assert sorted(len(o) for o in outcomes) == [0, 0, 0, 0, 1]
    assert audits("round.confirm_winners") == 1
    assert audits("edition.draft") == 1  # the winner's edition, drafted once
    assert db.session.scalar(sa.select(sa.func.count()).where(LedgerEntry.kind == EntryKind.BOUNTY)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).where(RoundResult.is_winner)) == 1

    assert lifecycle.confirm_winners(db.session.get(Round, round_id), db.session.get(User, operator_ids[0])) == []
    db.session.commit()
    assert audits("round.confirm_winners") == 1


@pytest.mark.committed
def test_five_operators_publishing_at_once_publish_once(app, closed, operator_ids, mailbox):
    round_id = closed.id
    lifecycle.confirm_winners(closed, db.session.get(User, operator_ids[0]))
    db.session.commit()
    mailbox.messages.clear()

    def publish(index):
        return lifecycle.publish(db.session.get(Round, round_id), db.session.get(User, operator_ids[index]))

    assert sorted(race(app, publish, 5)) == [False, False, False, False, True]
    assert audits("round.publish") == 1
    recipients = [m["To"] for m in mailbox.messages]
    assert recipients and len(recipients) == len(set(recipients))  # everyone told, once

    assert lifecycle.publish(db.session.get(Round, round_id), db.session.get(User, operator_ids[0])) is False
    db.session.commit()
    assert audits("round.publish") == 1 and len(mailbox.messages) == len(recipients)


@pytest.mark.committed
def test_disqualifying_at_once_disqualifies_once(app, closed, voted, operator_ids):
    round_id, design_id = closed.id, voted[0].id

    def disqualify(index):
        return lifecycle.disqualify(db.session.get(Round, round_id), design_id, db.session.get(User, operator_ids[index]),
                                 "copied")

    assert sorted(race(app, disqualify, 5)) == [False, False, False, False, True]
    assert audits("round.disqualify") == 1
    assert [r.design_id for r in tally.results(db.session.get(Round, round_id)) if r.rank is None] == [design_id]


def test_a_second_click_on_each_round_action_says_so(browser, auth, voted, november, mailbox):
    auth.operator()
    page = f"/console/rounds/{november.id}"
    token = browser.token(page)
    expected = {"close": "The round is already closed.", "confirm": "The winners are already confirmed.",
                "publish": "The results are already published."}
    for action, already in expected.items():
        for _ in range(2):  # the same form, sent twice
            response = browser.client.post(f"{page}/{action}", data={"csrf_token": token})
            assert response.status_code == 302
        assert already in browser.get(page).get_data(as_text=True)
    for action in ("round.close", "round.confirm_winners", "round.publish"):
        assert audits(action) == 1, action


@pytest.mark.committed
def test_concurrent_votes_by_one_member_leave_one_vote(app, entries, voters):
    design_id, voter_id = entries[0].id, voters[0].id

    def vote(index):
        voting.cast_vote(db.session.get(User, voter_id), db.session.get(Design, design_id), index % 5 + 1, False, None)

    race(app, vote, 6)
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Vote)) == 1
