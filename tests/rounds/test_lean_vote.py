"""The lean vote: one statement checks every rule and writes; what it refuses is told in the words of
voting_refusal; the next design comes from the voter's cached order, the same answer as hashing the
whole round on every vote did; concurrent votes are each stored once."""
from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.accounts.models import User
from app.clock import utcnow
from app.designs.models import Design, DesignStatus
from app.extensions import db
from app.rounds import fraud, lifecycle, queue, voting
from app.rounds.errors import RoundError
from app.rounds.models import Round, Vote
from tests.factories import UserFactory
from tests.races import race


@pytest.fixture
def app_config(app_config):
    # A real cache (the suite's default is none), so the cached queue and its invalidation are what runs.
    return {**app_config, "CACHE_TYPE": "SimpleCache"}


def stored() -> list[tuple]:
    db.session.expire_all()
    return [tuple(row) for row in db.session.execute(
        sa.select(Vote.design_id, Vote.voter_id, Vote.score, Vote.buy_intent, Vote.size, Vote.voided_at)
        .order_by(Vote.id))]


def vote_json(browser, design_id: int, score="4", **extra):
    token = browser.token(f"/vote/{design_id}")
    return browser.client.post(f"/vote/{design_id}", data={"score": score, "csrf_token": token, **extra},
                               headers={"Accept": "application/json"})


def refused_with(response, message: str) -> None:
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.json == {"ok": False, "error": message}


# ---------------------------------------------------------------- every rule, refused with its words

CLOSED = "Voting on this design is closed."


def test_an_unverified_member_is_refused(browser, auth, entries):
    auth.member(unverified=True)
    refused_with(vote_json(browser, entries[0].id), "Confirm your email address to vote.")
    assert stored() == []


def test_a_new_account_is_refused(browser, auth, entries):
    auth.member(created_at=utcnow() - timedelta(hours=23, minutes=59))
    refused_with(vote_json(browser, entries[0].id), "New accounts can vote 24 hours after signing up.")
    assert stored() == []


def test_an_account_exactly_old_enough_votes(browser, auth, entries):
    auth.member(created_at=utcnow() - timedelta(hours=24))
    assert vote_json(browser, entries[0].id).json["ok"] is True


def test_a_member_suspended_while_their_vote_is_on_its_way_is_refused(app, entries):
    voter = UserFactory()
    voter.suspended_at = utcnow()
    db.session.flush()
    with pytest.raises(RoundError, match="Your account is suspended."):
        voting.submit_vote(voter, entries[0].id, 4, False, None)
    assert stored() == []


def test_a_suspended_member_is_logged_out_before_voting(browser, auth, entries):
    voter = auth.member()
    token = browser.token(f"/vote/{entries[0].id}")
    voter.suspended_at = utcnow()
    db.session.commit()
    response = browser.client.post(f"/vote/{entries[0].id}", data={"score": "4", "csrf_token": token})
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    assert stored() == []


def test_ones_own_design_is_refused(browser, auth, entries):
    auth.as_(entries[0].designer)
    refused_with(vote_json(browser, entries[0].id), "You cannot vote on your own design.")
    assert stored() == []


def test_a_closed_round_is_refused(browser, auth, entries, november):
    auth.member()
    lifecycle.close_round(november.id, None)
    db.session.commit()
    refused_with(vote_json(browser, entries[0].id), CLOSED)
    assert stored() == []


def test_a_round_not_started_yet_is_refused(browser, auth, entries, november):
    auth.member()
    november.starts_at = utcnow() + timedelta(minutes=1)
    db.session.commit()
    refused_with(vote_json(browser, entries[0].id), CLOSED)
    assert stored() == []


def test_a_round_past_its_end_is_refused_before_the_tick_closes_it(browser, auth, entries, november, clock):
    clock.move_to(november.ends_at)  # the end is not part of the round
    auth.member(created_at=utcnow() - timedelta(days=30))
    refused_with(vote_json(browser, entries[0].id), CLOSED)
    assert db.session.get(Round, november.id).is_open and stored() == []


def test_a_design_no_longer_approved_is_not_found_and_refused_by_the_service(browser, auth, entries):
    member = auth.member()
    token = browser.token(f"/vote/{entries[0].id}")
    db.session.execute(sa.update(Design).where(Design.id == entries[0].id).values(status=DesignStatus.WITHDRAWN))
    db.session.commit()
    assert browser.client.post(f"/vote/{entries[0].id}", data={"score": "4", "csrf_token": token}).status_code == 404
    with pytest.raises(RoundError, match=CLOSED):
        voting.cast_vote(member, db.session.get(Design, entries[0].id), 4, False, None)
    assert stored() == []


@pytest.mark.parametrize("score", [0, 6, -1])
def test_a_score_outside_one_to_five_is_refused_by_the_service(app, entries, voters, score):
    with pytest.raises(RoundError, match="A score is a whole number from 1 to 5."):
        voting.submit_vote(voters[0], entries[0].id, score, False, None)
    assert stored() == []


def test_a_bad_score_is_refused_by_the_form(browser, auth, entries):
    auth.member()
    response = vote_json(browser, entries[0].id, "9")
    assert response.status_code == 422 and response.json["ok"] is False
    assert stored() == []


@pytest.mark.parametrize("size", [None, "", "XXXL"])
def test_buying_without_a_known_size_is_refused(browser, auth, entries, size):
    auth.member()
    extra = {"buy": "y"} | ({"size": size} if size is not None else {})
    refused_with(vote_json(browser, entries[0].id, **extra), "Choose your size to say you would buy it.")
    assert stored() == []


def test_the_first_rule_broken_is_the_one_told(browser, auth, entries):
    auth.member(unverified=True)
    refused_with(vote_json(browser, entries[0].id, buy="y"), "Confirm your email address to vote.")


def test_the_form_without_javascript_says_why_on_the_design(browser, auth, entries):
    auth.as_(entries[0].designer)
    response = browser.submit(f"/vote/{entries[0].id}", {"score": "4"})
    assert response.status_code == 303 and response.headers["Location"] == f"/vote/{entries[0].id}"
    assert "You cannot vote on your own design." in browser.get(response.headers["Location"]).get_data(as_text=True)


# ---------------------------------------------------------------- what is written

def test_a_vote_is_stored_then_changed_until_the_close(browser, auth, entries, clock):
    voter = auth.member()
    first_answer = vote_json(browser, entries[0].id, "4").json
    assert first_answer["ok"] is True and first_answer["message"] == "Vote saved."
    first = db.session.scalar(sa.select(Vote).where(Vote.voter_id == voter.id))
    created = first.created_at
    clock.shift(timedelta(minutes=5))
    response = vote_json(browser, entries[0].id, "2", buy="y", size="M")
    assert response.json["ok"] is True and response.json["message"] == "Vote saved."
    assert stored() == [(entries[0].id, voter.id, 2, True, "M", None)]
    again = db.session.scalar(sa.select(Vote).where(Vote.voter_id == voter.id))
    assert again.created_at == created and again.updated_at == created + timedelta(minutes=5)
    # Changed back without "I'd buy it": the size goes with it.
    vote_json(browser, entries[0].id, "5", size="L")
    assert stored() == [(entries[0].id, voter.id, 5, False, None, None)]


def test_a_voided_vote_is_kept_as_it_is(browser, auth, entries, november):
    voter = auth.member()
    vote_json(browser, entries[0].id, "5")
    fraud.void_votes(november, voter, UserFactory(operator=True), "sock puppet")
    db.session.commit()
    [before] = stored()
    response = vote_json(browser, entries[0].id, "1")
    assert response.status_code == 200 and response.json["ok"] is True  # as before: nothing to tell a puppet
    assert stored() == [before] and before[2] == 5 and before[5] is not None


def test_the_form_without_javascript_flashes_the_score_and_title(browser, auth, entries):
    auth.member()
    response = browser.submit(f"/vote/{entries[1].id}", {"score": "3"})
    assert response.status_code == 302
    page = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "Vote saved: 3/5 for “Bravo”." in page


def test_one_statement_checks_and_writes_compiled_once(app, entries, voters):
    from sqlalchemy.engine.default import CACHE_HIT

    design_id, round_id, voter = entries[0].id, entries[0].round_id, db.session.get(User, voters[0].id)
    assert voter.id
    seen = []
    listener = lambda conn, cursor, statement, params, context, many: seen.append((statement, context.cache_hit))  # noqa: E731
    sa.event.listen(db.engine, "before_cursor_execute", listener)
    try:
        assert voting.submit_vote(voter, design_id, 4, True, "S") == round_id
        assert voting.submit_vote(voter, design_id, 2, False, None) == round_id
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listener)
    seen = [(s, hit) for s, hit in seen if not s.startswith("SAVEPOINT")]  # the test's own transaction
    assert len(seen) == 2 and all(s.lstrip().startswith("INSERT INTO votes") for s, _ in seen)
    assert seen[1][1] is CACHE_HIT  # SQLAlchemy compiled it once
    assert stored() == [(design_id, voter.id, 2, False, None, None)]


# ---------------------------------------------------------------- the next design

def old_order(voter_id: int, round_id: int) -> list[int]:
    """The order as it was computed before the cache: every id hashed on every vote."""
    ids = db.session.scalars(sa.select(Design.id).where(Design.round_id == round_id,
                                                        Design.status == DesignStatus.APPROVED,
                                                        Design.designer_id != voter_id)).all()
    prefix = f"{round_id}:{voter_id}:"
    return sorted(ids, key=lambda d: hashlib.sha256(f"{prefix}{d}".encode()).digest())


def old_next(order: list[int], voted: set[int], after: int) -> int | None:
    start = order.index(after) + 1 if after in order else 0
    return next((d for d in order[start:] + order[:start] if d not in voted), None)


def clone(design: Design, count: int) -> list[int]:
    """`count` more approved designs in the same round, as rows (making each through the upload
    pipeline would take seconds)."""
    table = Design.__table__
    row = dict(db.session.execute(sa.select(table).where(table.c.id == design.id)).mappings().one())
    row.pop("id")
    designers = [UserFactory().id for _ in range(3)]
    ids = db.session.scalars(sa.insert(table).returning(table.c.id),
                             [{**row, "designer_id": designers[i % 3], "title": f"Clone {i}"} for i in range(count)]).all()
    db.session.commit()
    return list(ids)


@pytest.fixture
def crowd(entries):
    return [d.id for d in entries] + clone(entries[0], 17)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_the_next_design_is_the_one_the_old_computation_gave(browser, auth, crowd, monkeypatch, data):
    # How far ahead the first question looks, small too, so that the second one is asked as well.
    monkeypatch.setattr(queue, "LOOKAHEAD", data.draw(st.sampled_from([1, 3, 16]), label="lookahead"))
    voter = db.session.scalar(sa.select(User).where(User.email == "lean-voter@example.org"))
    if voter is None:
        voter = auth.as_(UserFactory(email="lean-voter@example.org"))
    round_id = db.session.get(Design, crowd[0]).round_id
    voted = data.draw(st.sets(st.sampled_from(crowd)), label="voted before")
    after = data.draw(st.sampled_from(crowd), label="voted now")
    voided = data.draw(st.sets(st.sampled_from(sorted(voted))) if voted else st.just(set()), label="voided")
    db.session.execute(sa.delete(Vote).where(Vote.voter_id == voter.id))
    now = utcnow()
    if voted:
        db.session.execute(sa.insert(Vote), [
            {"round_id": round_id, "design_id": d, "voter_id": voter.id, "score": 3, "buy_intent": False,
             "created_at": now, "updated_at": now, "voided_at": now if d in voided else None, "void_reason": ""}
            for d in voted])
    db.session.commit()
    response = vote_json(browser, after, "4")
    assert response.json["ok"] is True
    expected = old_next(old_order(voter.id, round_id), voted | {after}, after)
    assert response.json["next"] == (f"/vote/{expected}" if expected else "/vote/done")
    # The queue of the voting page, unseen first, is the old one too.
    order = old_order(voter.id, round_id)
    assert queue.queue_order(voter, db.session.get(Round, round_id)) == sorted(
        order, key=lambda d: (d in voted | {after}, order.index(d)))


def test_a_member_who_voted_on_nearly_everything_is_sent_to_what_is_left(browser, auth, crowd):
    voter = auth.member()
    round_id = db.session.get(Design, crowd[0]).round_id
    order = old_order(voter.id, round_id)
    now = utcnow()
    left = order[1]  # the farthest from order[2] once the queue goes round
    db.session.execute(sa.insert(Vote), [
        {"round_id": round_id, "design_id": d, "voter_id": voter.id, "score": 3, "buy_intent": False,
         "created_at": now, "updated_at": now, "void_reason": ""} for d in order if d not in (left, order[2])])
    db.session.commit()
    assert vote_json(browser, order[2]).json["next"] == f"/vote/{left}"
    assert vote_json(browser, left).json["next"] == "/vote/done"


def test_the_order_is_cached_per_voter_and_made_again_when_a_design_joins_or_leaves(app, entries, voters,
                                                                                   make_design, monkeypatch):
    round_id, voter = entries[0].round_id, voters[0]
    order = queue.voter_order(voter.id, round_id)
    assert order == old_order(voter.id, round_id) and len(order) == 3
    made = []
    real = queue._round_designs
    monkeypatch.setattr(queue, "_round_designs", lambda r: made.append(r) or real(r))
    monkeypatch.setattr(queue, "_shuffled", lambda *a: pytest.fail("hashed again"))
    assert queue.voter_order(voter.id, round_id) == order  # from the cache: nothing read, nothing hashed
    assert made == []
    monkeypatch.undo()
    monkeypatch.setattr(queue, "_round_designs", lambda r: made.append(r) or real(r))

    joined = make_design(title="Delta")  # approved into the open round, committed
    with_delta = queue.voter_order(voter.id, round_id)
    assert joined.id in with_delta and with_delta == old_order(voter.id, round_id) and made == [round_id]
    # Another voter's order is made from the round's list, cached once for every voter.
    assert queue.voter_order(voters[1].id, round_id) == old_order(voters[1].id, round_id) and made == [round_id]

    db.session.execute(sa.update(Design).where(Design.id == entries[1].id).values(status=DesignStatus.WITHDRAWN))
    db.session.commit()
    left = queue.voter_order(voter.id, round_id)
    assert entries[1].id not in left and left == old_order(voter.id, round_id)


def test_a_change_to_the_round_makes_the_orders_again(app, entries, voters, november):
    before = queue.voter_order(voters[0].id, november.id)
    version = queue.cache.get(queue.VERSION_KEY)
    november.ends_at = november.ends_at - timedelta(days=1)
    db.session.commit()
    assert queue.cache.get(queue.VERSION_KEY) != version
    assert queue.voter_order(voters[0].id, november.id) == before


def test_a_savepoint_is_not_the_commit_that_makes_the_orders_again(app, entries, voters, november):
    """SQLAlchemy calls after_commit when a savepoint is released (and after_rollback when one rolls
    back): the orders are made again after the real commit, not from the data before it."""
    queue.voter_order(voters[0].id, november.id)
    version = queue.cache.get(queue.VERSION_KEY)
    november.ends_at = november.ends_at - timedelta(days=1)
    db.session.flush()
    with db.session.begin_nested():
        pass
    with db.session.begin_nested() as savepoint:
        savepoint.rollback()
    assert queue.cache.get(queue.VERSION_KEY) == version
    db.session.commit()
    assert queue.cache.get(queue.VERSION_KEY) != version


def test_a_rolled_back_change_keeps_the_cached_orders(app, entries, voters):
    queue.voter_order(voters[0].id, entries[0].round_id)
    version = queue.cache.get(queue.VERSION_KEY)
    db.session.execute(sa.update(Design).where(Design.id == entries[1].id).values(status=DesignStatus.WITHDRAWN))
    db.session.rollback()
    assert queue.cache.get(queue.VERSION_KEY) == version


def test_a_vote_touches_no_cached_order(app, entries, voters):
    queue.voter_order(voters[0].id, entries[0].round_id)
    version = queue.cache.get(queue.VERSION_KEY)
    voting.submit_vote(voters[0], entries[0].id, 4, False, None)
    db.session.commit()
    assert queue.cache.get(queue.VERSION_KEY) == version


def test_a_cache_outage_costs_time_not_the_vote(browser, auth, entries, monkeypatch):
    voter = auth.member()

    class Down:
        def __getattr__(self, name):
            def down(*args, **kwargs):
                raise ConnectionError("redis is down")
            return down

    monkeypatch.setattr(queue, "cache", Down())
    response = vote_json(browser, entries[0].id)
    order = old_order(voter.id, entries[0].round_id)
    assert response.json["ok"] is True and response.json["next"] == f"/vote/{old_next(order, {entries[0].id}, entries[0].id)}"


def test_the_rate_limit_still_stops_a_scripted_voter(app, browser, auth, entries):
    app.config["VOTE_RATE_LIMIT"] = "2 per minute"  # read on every request
    voter = auth.member()
    answers = [vote_json(browser, design.id).status_code for design in entries]
    assert answers == [200, 200, 429]
    assert len([row for row in stored() if row[1] == voter.id]) == 2


# ---------------------------------------------------------------- races

@pytest.mark.committed
def test_concurrent_votes_are_each_stored_once(app, entries, voters):
    """Six threads on one (design, voter), six on other pairs: every acknowledged vote is there, once."""
    design_ids = [d.id for d in entries]
    voter_ids = [v.id for v in voters]
    same = (design_ids[0], voter_ids[0])
    sent = {}
    for i in range(12):
        pair = same if i < 6 else (design_ids[i % 3], voter_ids[1 + i % 5])
        sent[i] = (pair, i % 5 + 1)

    def vote(index):
        (design_id, voter_id), score = sent[index]
        voting.submit_vote(db.session.get(User, voter_id), design_id, score, index % 2 == 0, "M")
        return score

    outcomes = race(app, vote, len(sent))
    assert outcomes == [score for _, score in sent.values()]  # every one acknowledged
    rows = db.session.execute(sa.select(Vote.design_id, Vote.voter_id, Vote.score)).all()
    pairs = [(d, v) for d, v, _ in rows]
    assert len(pairs) == len(set(pairs)) == len({pair for pair, _ in sent.values()})
    by_pair = {(d, v): s for d, v, s in rows}
    assert by_pair[same] in {score for pair, score in sent.values() if pair == same}
    for pair, score in sent.values():
        if pair != same and sum(1 for p, _ in sent.values() if p == pair) == 1:
            assert by_pair[pair] == score


@pytest.mark.committed
def test_concurrent_vote_requests_are_each_stored_once(app, entries, voters):
    """Through the endpoint: what is answered 200 is stored, once, with the score sent."""
    from tests.fixtures.web import Browser

    design_ids = [d.id for d in entries]
    members = [(v.id, v.session_version) for v in voters]
    sends = [(design_ids[0], 0, i % 5 + 1) for i in range(5)] + [(design_ids[i % 3], 1 + i % 5, 4) for i in range(5)]
    browsers = []
    for design_id, member, _ in sends:
        browser = Browser(app.test_client())
        with browser.client.session_transaction() as session:
            session["_user_id"] = "%d:%d" % members[member]
        browsers.append((browser, browser.token(f"/vote/{design_id}")))

    def post(index):
        (design_id, member, score), (browser, token) = sends[index], browsers[index]
        response = browser.client.post(f"/vote/{design_id}", data={"score": str(score), "csrf_token": token},
                                       headers={"Accept": "application/json"})
        return response.status_code

    assert race(app, post, len(sends), commit=False) == [200] * len(sends)
    rows = db.session.execute(sa.select(Vote.design_id, Vote.voter_id, Vote.score)).all()
    sent_pairs = {(design_id, members[member][0]) for design_id, member, _ in sends}
    assert sorted((d, v) for d, v, _ in rows) == sorted(sent_pairs)
    for design_id, voter_id, score in rows:
        assert score in {s for d, m, s in sends if (d, members[m][0]) == (design_id, voter_id)}
