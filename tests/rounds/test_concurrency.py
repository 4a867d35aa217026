"""Races: a tick and an operator closing at once, and a member double-clicking a vote.

Each thread has its own application context, hence its own session and connection, as
concurrent requests do. Run against PostgreSQL in CI (TEST_DATABASE_URL), and SQLite locally.
"""
import threading

import sqlalchemy as sa

from app.audit.models import AuditEntry
from app.extensions import db
from app.rounds import services as rounds
from app.rounds.models import RoundResult, Vote
from app.designs.models import Design
from app.accounts.models import User


def run_together(app, worker, count: int) -> list:
    barrier = threading.Barrier(count)
    outcomes, errors = [], []

    def run(index):
        with app.app_context():
            try:
                barrier.wait()
                outcomes.append(worker(index))
                db.session.commit()
            except Exception as exc:  # noqa: BLE001 - reported below
                db.session.rollback()
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return outcomes


def test_concurrent_closes_produce_one_result(app, entries, november, voters):
    for voter in voters:
        rounds.cast_vote(voter, entries[0], 4, False, None)
    db.session.commit()
    round_id = november.id  # read here: the test's session must not be touched by the threads
    outcomes = run_together(app, lambda i: rounds.close_round(round_id, None), 4)
    assert sorted(outcomes) == [False, False, False, True]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RoundResult)) == len(entries)
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditEntry.action == "round.close")) == 1


def test_concurrent_votes_by_one_member_leave_one_vote(app, entries, voters):
    design_id, voter_id = entries[0].id, voters[0].id

    def vote(index):
        rounds.cast_vote(db.session.get(User, voter_id), db.session.get(Design, design_id), index % 5 + 1, False, None)

    run_together(app, vote, 6)
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Vote)) == 1
