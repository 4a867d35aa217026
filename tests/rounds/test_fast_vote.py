"""A vote answered before Flask (app.rounds.fast_vote): a plain vote never reaches the view, and is
answered as the view answers; anything else reaches Flask with its body intact and is answered as
before; the rate limit is one counter for both, also for one member voting from many tabs at once."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from app.accounts.models import User
from app.clock import utcnow
from app.extensions import db
from app.legal import services as legal
from app.legal.models import DocumentKind
from app.rounds import fast_vote
from app.rounds.models import Vote
from tests.factories import UserFactory
from tests.races import race


@pytest.fixture
def app_config(app_config):
    return {**app_config, "CACHE_TYPE": "SimpleCache"}  # the cached queue and legal versions, as in production


@pytest.fixture
def reached_flask(app, monkeypatch):
    """The votes posted that reached Flask, by design (an answer given before Flask adds none)."""
    calls = []
    front = app.wsgi_app
    assert isinstance(front, fast_vote.VotesBeforeFlask)
    flask_app = front.wsgi_app

    def counted(environ, start_response):
        if environ["REQUEST_METHOD"] == "POST" and environ["PATH_INFO"].startswith("/vote/"):
            calls.append(int(environ["PATH_INFO"].split("/")[2]))
        return flask_app(environ, start_response)

    monkeypatch.setattr(front, "wsgi_app", counted)
    return calls


def stored() -> list[tuple]:
    db.session.expire_all()
    return [tuple(row) for row in db.session.execute(
        sa.select(Vote.design_id, Vote.voter_id, Vote.score, Vote.buy_intent, Vote.size).order_by(Vote.id))]


def post_vote(browser, design_id: int, data: dict | None = None, token: str | None = None, **headers):
    token = token or browser.token(f"/vote/{design_id}")
    fields = {"score": "4", "csrf_token": token, **(data or {})}
    return browser.client.post(f"/vote/{design_id}", data={k: v for k, v in fields.items() if v is not None},
                               headers={"Accept": "application/json", **headers})


# ---------------------------------------------------------------- answered before Flask

def test_a_plain_vote_is_answered_before_flask_and_stored(browser, auth, entries, reached_flask):
    voter = auth.member()
    response = post_vote(browser, entries[0].id, {"buy": "y", "size": "M"})
    assert response.status_code == 200
    assert response.json["ok"] is True and response.json["message"] == "Vote saved."
    assert response.json["next"].startswith("/vote/") and response.json["next"] != f"/vote/{entries[0].id}"
    assert reached_flask == []
    assert stored() == [(entries[0].id, voter.id, 4, True, "M")]


def test_the_answer_is_the_one_the_view_gives(app, browser, auth, entries, reached_flask):
    auth.member()
    token = browser.token(f"/vote/{entries[0].id}")
    app.config["FAST_VOTES"] = False
    by_flask = post_vote(browser, entries[0].id, token=token)
    app.config["FAST_VOTES"] = True
    before_flask = post_vote(browser, entries[0].id, token=token)  # the same vote again: the same answer
    assert reached_flask == [entries[0].id]
    assert before_flask.status_code == by_flask.status_code == 200
    assert before_flask.get_data() == by_flask.get_data()
    ignored = {"Date", "Content-Length", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset",
               "Retry-After"}
    assert {k: v for k, v in before_flask.headers.items() if k not in ignored} == \
        {k: v for k, v in by_flask.headers.items() if k not in ignored}
    assert "Set-Cookie" not in before_flask.headers


def test_the_last_vote_leads_to_the_end_of_the_queue(browser, auth, entries, reached_flask):
    auth.member()
    answers = [post_vote(browser, design.id).json["next"] for design in entries]
    assert answers[-1] == "/vote/done"
    assert reached_flask == []


def test_the_message_is_in_the_members_language(browser, auth, entries, reached_flask):
    auth.member(locale="fr")  # their own language, none chosen on the site
    assert post_vote(browser, entries[0].id).json["message"] == "Vote enregistré."
    browser.client.get("/language/en")  # chosen on the site: it wins
    assert post_vote(browser, entries[1].id).json["message"] == "Vote saved."
    assert reached_flask == []


@pytest.mark.parametrize("lookahead", [1, 2, 16])
def test_the_next_design_read_with_a_known_designs_vote_is_the_queues(app, browser, auth, entries, make_design,
                                                                       reached_flask, monkeypatch, lookahead):
    """Once a design's round is known (an earlier vote on it), PostgreSQL reads which of the next
    designs the member voted on in the vote's own statement: the next design is still the first
    one not voted after this one in their order, going round to the start."""
    from app.rounds import queue

    designs = entries + [make_design(title=f"Extra {i}") for i in range(5)]
    round_id = entries[0].round_id
    monkeypatch.setattr(queue, "LOOKAHEAD", lookahead)
    auth.member()
    for design in designs:  # a first member's votes: every design's round is now known
        assert post_vote(browser, design.id).status_code == 200
    auth.logout()
    voter = auth.member()
    order = queue.voter_order(voter.id, round_id)
    voted: set[int] = set()
    reads = []
    real_read = queue._voted_among
    monkeypatch.setattr(queue, "_voted_among", lambda *args: reads.append(args) or real_read(*args))
    for design_id in [order[3], order[4], order[0], order[2], order[7], order[1], order[6], order[5]]:
        response = post_vote(browser, design_id)
        voted.add(design_id)
        rest = queue.following(order, design_id)
        expected = next((f"/vote/{d}" for d in rest if d not in voted), "/vote/done")
        assert response.status_code == 200 and response.json["next"] == expected
    assert reached_flask == []
    assert len(stored()) == 2 * len(designs)
    if db.engine.dialect.name == "postgresql" and lookahead == 16:  # the first window is every design
        assert reads == []


def test_a_design_whose_round_is_not_the_one_remembered_is_still_voted_right(app, browser, auth, entries,
                                                                            reached_flask):
    front = app.wsgi_app
    voter = auth.member()
    front.rounds[entries[0].id] = entries[0].round_id + 1000  # as if it had been in another round
    response = post_vote(browser, entries[0].id)
    assert response.status_code == 200 and response.json["next"] in (f"/vote/{entries[1].id}", f"/vote/{entries[2].id}")
    assert front.rounds[entries[0].id] == entries[0].round_id
    assert reached_flask == [] and stored() == [(entries[0].id, voter.id, 4, False, None)]


# ---------------------------------------------------------------- everything else goes on to Flask

def test_a_refused_vote_is_told_by_flask_in_its_words(browser, auth, entries, reached_flask):
    auth.as_(entries[0].designer)
    response = post_vote(browser, entries[0].id)
    assert response.status_code == 422 and response.json["error"] == "You cannot vote on your own design."
    assert reached_flask == [entries[0].id] and stored() == []


def test_a_member_who_must_accept_new_terms_is_asked_by_flask(app, browser, auth, entries, reached_flask):
    operator = UserFactory(operator=True)
    legal.publish(DocumentKind.TERMS, operator, "# Terms\n\nNew.", "# Conditions\n\nNouveau.")
    db.session.commit()
    auth.member()  # signed up before: not accepted
    response = post_vote(browser, entries[0].id)
    assert response.status_code == 409 and response.json["next"].startswith("/legal/accept")
    assert stored() == []


def test_a_session_ended_elsewhere_is_not_a_member(browser, auth, entries, reached_flask):
    voter = auth.member()
    token = browser.token(f"/vote/{entries[0].id}")
    db.session.get(User, voter.id).session_version += 1  # a password changed on another device
    db.session.commit()
    response = post_vote(browser, entries[0].id, token=token)
    assert response.status_code in (302, 401)
    assert stored() == []


@pytest.mark.parametrize("case", ["no token", "wrong token", "no score", "score 6", "buy without size",
                                  "field twice", "unknown field", "nul byte", "query string", "form wanted"])
def test_what_is_not_plain_goes_on_to_flask_with_its_body(browser, auth, entries, reached_flask, case):
    voter = auth.member()
    design = entries[0].id
    token = browser.token(f"/vote/{design}")
    body = {"score": "4", "csrf_token": token}
    path, headers = f"/vote/{design}", {"Accept": "application/json"}
    if case == "no token":
        body.pop("csrf_token")
    elif case == "wrong token":
        body["csrf_token"] = token[:-2] + "xx"
    elif case == "no score":
        body.pop("score")
    elif case == "score 6":
        body["score"] = "6"
    elif case == "buy without size":
        body["buy"] = "y"
    elif case == "field twice":
        body = MultiDict([("score", "4"), ("score", "5"), ("csrf_token", token)])
    elif case == "unknown field":
        body["note"] = "hello"
    elif case == "nul byte":
        body["size"] = "M\x00"
    elif case == "query string":
        path += "?from=card"
    elif case == "form wanted":
        headers = {}
    response = browser.client.post(path, data=body, headers=headers)
    assert reached_flask == [design], "answered before Flask"
    # Flask read the same body: it stored the votes it accepts, refused the rest as always.
    accepted = case in ("field twice", "unknown field", "query string", "form wanted")
    assert response.status_code in ((200, 302, 303) if accepted else (400, 422))
    assert [row[:2] for row in stored()] == ([(design, voter.id)] if accepted else [])


def test_on_https_a_token_needs_this_sites_referrer(app, browser, auth, entries, reached_flask):
    auth.member()
    design = entries[0].id
    token = browser.token(f"/vote/{design}")
    secure = {"base_url": "https://tirage.test"}
    refused = browser.client.post(f"/vote/{design}", data={"score": "4", "csrf_token": token},
                                  headers={"Accept": "application/json"}, **secure)
    assert refused.status_code == 400 and reached_flask == [design]  # Flask-WTF: "The referrer header is missing."
    elsewhere = browser.client.post(f"/vote/{design}", data={"score": "4", "csrf_token": token},
                                    headers={"Accept": "application/json", "Referer": "https://evil.example/"},
                                    **secure)
    assert elsewhere.status_code == 400 and reached_flask == [design, design]
    assert stored() == []
    ours = browser.client.post(f"/vote/{design}", data={"score": "4", "csrf_token": token},
                               headers={"Accept": "application/json", "Referer": f"https://tirage.test/vote/{design}"},
                               **secure)
    assert ours.status_code == 200 and reached_flask == [design, design]
    assert len(stored()) == 1


def test_a_session_from_another_browser_goes_on_to_flask(browser, auth, entries, reached_flask):
    """Flask-Login's session protection marks a session carried to another browser; Flask does it."""
    voter = auth.member()
    response = post_vote(browser, entries[0].id, **{"User-Agent": "Another browser/1.0"})
    assert response.status_code == 200 and reached_flask == [entries[0].id]
    assert stored()[0][:2] == (entries[0].id, voter.id)


def test_a_new_account_is_refused_by_flask(browser, auth, entries, reached_flask):
    auth.member(created_at=utcnow() - timedelta(hours=1))
    response = post_vote(browser, entries[0].id)
    assert response.status_code == 422 and "24 hours" in response.json["error"]
    assert reached_flask == [entries[0].id]


# ---------------------------------------------------------------- one rate limit for both

def test_the_rate_limit_is_one_counter_before_and_in_flask(app, browser, auth, entries, reached_flask):
    app.config["VOTE_RATE_LIMIT"] = "2 per minute"
    auth.member()
    token = browser.token(f"/vote/{entries[0].id}")
    first = post_vote(browser, entries[0].id, token=token)  # before Flask
    second = browser.client.post(f"/vote/{entries[1].id}", data={"score": "3", "csrf_token": token})  # a form: Flask
    third = post_vote(browser, entries[2].id, token=token)
    assert (first.status_code, second.status_code, third.status_code) == (200, 302, 429)
    assert reached_flask == [entries[1].id, entries[2].id]
    assert len(stored()) == 2


def test_a_refusal_counts_once(app, browser, auth, entries, reached_flask):
    """A vote refused by a rule took its hit before Flask; Flask does not take a second one."""
    app.config["VOTE_RATE_LIMIT"] = "2 per minute"
    auth.as_(entries[0].designer)
    token = browser.token(f"/vote/{entries[1].id}")
    assert post_vote(browser, entries[0].id, token=token).status_code == 422  # their own design
    assert post_vote(browser, entries[1].id, token=token).status_code == 200
    assert post_vote(browser, entries[2].id, token=token).status_code == 429


@pytest.mark.committed
def test_one_member_voting_from_many_tabs_at_once_is_held_to_the_limit(app, entries):
    """Twelve simultaneous votes by one member, from twelve tabs of one browser, with a limit of
    five: five acknowledged, seven refused."""
    from tests.fixtures.web import PASSWORD, Browser

    app.config["VOTE_RATE_LIMIT"] = "5 per minute"
    targets = [entries[index % len(entries)].id for index in range(12)]
    voter = UserFactory()
    db.session.commit()
    browser = Browser(app.test_client())
    assert browser.login(voter.email, PASSWORD).status_code == 302
    token = browser.token(f"/vote/{targets[0]}")
    cookie = browser.client.get_cookie("session", domain="tirage.test").value

    def vote(index: int) -> int:
        client = app.test_client()
        client.set_cookie("session", cookie, domain="tirage.test")
        return client.post(f"/vote/{targets[index]}", data={"score": "4", "csrf_token": token},
                           headers={"Accept": "application/json"}).status_code

    codes = race(app, vote, len(targets), commit=False)
    assert sorted(codes) == [200] * 5 + [429] * 7, codes
    assert {row[0] for row in stored() if row[1] == voter.id} <= set(targets)


def test_a_store_that_does_not_answer_leaves_the_vote_to_flask(browser, auth, entries, reached_flask, monkeypatch):
    voter = auth.member()
    token = browser.token(f"/vote/{entries[0].id}")

    def down(*args, **kwargs):
        raise ConnectionError("the limits' store is down")

    monkeypatch.setattr(fast_vote.VotesBeforeFlask, "_limit_allows", lambda self, user_id: down())
    response = post_vote(browser, entries[0].id, token=token)
    assert response.status_code == 200 and reached_flask == [entries[0].id]
    assert stored()[0][:2] == (entries[0].id, voter.id)


def test_a_database_error_before_the_commit_writes_nothing_and_flask_votes(browser, auth, entries, reached_flask,
                                                                          monkeypatch):
    voter = auth.member()
    token = browser.token(f"/vote/{entries[0].id}")
    from app.rounds import queue

    real = queue.next_after
    calls = []

    def fails_once(*args):
        calls.append(args)
        if len(calls) == 1:
            raise RuntimeError("connection lost")
        return real(*args)

    monkeypatch.setattr(queue, "next_after", fails_once)
    response = post_vote(browser, entries[0].id, token=token)
    assert response.status_code == 200 and reached_flask == [entries[0].id]
    assert [row[:3] for row in stored()] == [(entries[0].id, voter.id, 4)]
