"""Voting: who may vote, on what, how votes change, and that nothing leaks while a round is open."""
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.clock import utcnow
from app.extensions import db
from app.rounds import lifecycle, queue, voting
from app.rounds.models import Vote
from tests.factories import UserFactory


def votes():
    db.session.expire_all()
    return db.session.scalars(sa.select(Vote).order_by(Vote.id)).all()


def vote(browser, design, score="4", **extra):
    return browser.submit(f"/vote/{design.id}", {"score": score, **extra})


def test_member_votes_and_changes_their_vote(browser, auth, entries):
    voter = auth.member()
    response = vote(browser, entries[0], "4")
    assert response.status_code == 302
    response = vote(browser, entries[0], "2", buy="y", size="M")
    [only] = votes()
    assert (only.voter_id, only.design_id, only.score, only.buy_intent, only.size) == (voter.id, entries[0].id, 2, True, "M")


def test_the_voting_page_shows_the_members_own_vote_to_change(browser, auth, entries):
    auth.member()
    fresh = browser.get(f"/vote/{entries[0].id}").get_data(as_text=True)
    assert ">Vote</button>" in fresh and "badge-ok" not in fresh
    vote(browser, entries[0], "2", buy="y", size="L")
    vote(browser, entries[1], "5")  # another design's vote is not this one's
    page = browser.get(f"/vote/{entries[0].id}").get_data(as_text=True)
    assert "Change my vote" in page and 'class="badge badge-ok"' in page
    assert re.search(r'<input checked[^>]*value="2"|<input[^>]*value="2"[^>]*checked', page)
    assert not re.search(r'<input checked[^>]*value="5"|<input[^>]*value="5"[^>]*checked', page)
    assert re.search(r'<input checked[^>]*name="buy"|<input[^>]*name="buy"[^>]*checked', page)
    assert re.search(r'<option selected value="L"|<option[^>]*value="L"[^>]*selected', page)
    other = browser.get(f"/vote/{entries[2].id}").get_data(as_text=True)
    assert ">Vote</button>" in other and "You have voted on 2 designs." in other


def test_vote_without_javascript_moves_to_the_next_unseen_design(browser, auth, entries):
    auth.member()
    response = vote(browser, entries[0], "5")
    following = response.headers["Location"]
    assert f"/vote/{entries[0].id}" not in following and following.startswith("/vote/")


def test_vote_as_json_for_the_page_without_reload(browser, auth, entries):
    auth.member()
    token = browser.token(f"/vote/{entries[0].id}")
    response = browser.client.post(f"/vote/{entries[0].id}", data={"score": "3", "csrf_token": token},
                                   headers={"Accept": "application/json"})
    assert response.status_code == 200 and response.json["ok"] is True
    assert response.json["next"].startswith("/vote/")
    bad = browser.client.post(f"/vote/{entries[0].id}", data={"score": "9", "csrf_token": token},
                              headers={"Accept": "application/json"})
    assert bad.status_code == 422 and bad.json["ok"] is False


@pytest.mark.parametrize("score", ["0", "6", "-1", "abc", ""])
def test_scores_outside_one_to_five_are_refused(browser, auth, entries, score):
    auth.member()
    response = vote(browser, entries[0], score)
    assert response.status_code == 303
    assert votes() == []


def test_buying_needs_a_known_size(browser, auth, entries):
    auth.member()
    vote(browser, entries[0], "4", buy="y", size="XXXL")
    vote(browser, entries[0], "4", buy="y")
    assert votes() == []


def test_database_refuses_out_of_range_scores_and_duplicates(app, entries, voters):
    from sqlalchemy.exc import IntegrityError

    design, voter = entries[0], voters[0]
    db.session.add(Vote(round_id=design.round_id, design_id=design.id, voter_id=voter.id, score=6))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    for _ in range(2):
        db.session.add(Vote(round_id=design.round_id, design_id=design.id, voter_id=voter.id, score=3))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_no_vote_on_ones_own_design(browser, auth, entries):
    designer = entries[0].designer
    auth.as_(designer)
    vote(browser, entries[0], "5")
    assert votes() == []
    assert "You cannot vote on your own design." in browser.get(f"/vote/{entries[0].id}").get_data(as_text=True)


def test_new_accounts_wait_before_voting(browser, auth, entries):
    auth.member(created_at=utcnow() - timedelta(hours=2))
    vote(browser, entries[0])
    assert votes() == []
    assert "24 hours after signing up" in browser.get(f"/vote/{entries[0].id}").get_data(as_text=True)


def test_unverified_members_cannot_vote(browser, auth, entries):
    auth.member(unverified=True)
    vote(browser, entries[0])
    assert votes() == []


def test_anonymous_visitors_are_asked_to_log_in(client, entries):
    response = client.get(f"/vote/{entries[0].id}")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    assert "Log in to vote" in client.get("/vote").get_data(as_text=True)


def test_no_vote_on_a_closed_round(browser, auth, entries, november):
    auth.member()
    lifecycle.close_round(november.id, None)
    db.session.commit()
    vote(browser, entries[0])
    assert votes() == []


def test_running_scores_stay_hidden_while_open(browser, auth, entries, november, voters):
    for voter in voters:
        voting.cast_vote(voter, entries[0], 5, True, "L")
    db.session.commit()
    me = auth.member()
    voting.cast_vote(me, entries[1], 2, False, None)
    db.session.commit()
    page = browser.get("/rounds/2026/11").get_data(as_text=True)
    assert "Your vote: 2/5" in page  # my own vote, yes
    assert "results-table" not in page and "Your vote: 5/5" not in page  # nobody else's
    assert "Download the anonymised votes" not in page
    assert browser.get("/rounds/2026/11/votes.csv").status_code == 404
    design_page = browser.get(f"/designs/{entries[0].id}").get_data(as_text=True)
    assert "6 votes" not in design_page


def test_queue_shows_unseen_designs_first_in_a_per_voter_order(app, entries, voters):
    round_ = entries[0].round
    first, second = voters[0], voters[1]
    order = queue.queue_order(first, round_)
    assert sorted(order) == sorted(d.id for d in entries)
    voting.cast_vote(first, db.session.get(type(entries[0]), order[0]), 3, False, None)
    db.session.commit()
    after = queue.queue_order(first, round_)
    assert after[-1] == order[0] and after[:2] == order[1:]
    # Each voter has their own shuffle; over many voters every design leads sometimes.
    leaders = {queue.queue_order(UserFactory(), round_)[0] for _ in range(30)}
    assert leaders == {d.id for d in entries}
    assert second.id


def test_vote_route_for_a_design_outside_any_round_is_404(browser, auth, make_design, november):
    auth.member()
    waiting = make_design(status="submitted")
    assert browser.get(f"/vote/{waiting.id}").status_code == 404


def test_queue_position_and_vote_count_follow_the_members_votes(browser, auth, entries):
    auth.member()
    first = browser.get("/vote")
    url = first.headers["Location"]
    page = browser.get(url).get_data(as_text=True)
    assert "Design 1 of 3" in page and "You have voted on 0 designs." in page
    seen = []
    for step in (2, 3):
        design_id = int(url.rsplit("/", 1)[1])
        seen.append(design_id)
        url = browser.submit(url, {"score": "4"}).headers["Location"]
        # The card the page's script swaps in carries both lines.
        card = browser.client.get(url, headers={"X-Partial": "1"}).get_data(as_text=True)
        assert f"Design {step} of 3" in card
        assert ("You have voted on 1 design." if step == 2 else "You have voted on 2 designs.") in card
    assert int(url.rsplit("/", 1)[1]) not in seen
    # A design already voted on keeps its place in the queue.
    again = browser.get(f"/vote/{seen[0]}").get_data(as_text=True)
    assert "Design 1 of 3" in again and "You have voted on 2 designs." in again


def test_a_skipped_design_comes_back_after_the_rest(browser, auth, entries):
    auth.member()
    url = browser.get("/vote").headers["Location"]
    skipped = int(url.rsplit("/", 1)[1])
    page = browser.get(url).get_data(as_text=True)
    second = re.search(r'data-nav="next" href="/vote/(\d+)"', page).group(1)
    following = browser.submit(f"/vote/{second}", {"score": "3"}).headers["Location"]
    assert following != f"/vote/{skipped}"  # the third design first, then the skipped one
    last = browser.submit(following, {"score": "3"}).headers["Location"]
    assert last == f"/vote/{skipped}"
    assert browser.submit(last, {"score": "3"}).headers["Location"] == "/vote/done"
