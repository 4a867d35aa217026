"""Closing, the results table, review by operators, publication, export and recomputation."""
import csv
import io
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from app.accounts.models import User
from app.audit.models import AuditEntry
from app.extensions import db
from app.rounds import export, fraud, lifecycle, tally, voting
from app.rounds.errors import RoundError
from app.rounds.models import RoundResult, RoundStatus, Vote
from tests.factories import UserFactory


def cast(voters, design, scores, buys=()):
    for voter, score in zip(voters, scores):
        size = "M" if voter in buys else None
        voting.cast_vote(voter, design, score, size is not None, size)
    db.session.commit()


@pytest.fixture
def voted(entries, voters):
    alpha, bravo, charlie = entries
    cast(voters, alpha, [5, 5, 4, 5, 4, 5], buys=voters[:3])
    cast(voters, bravo, [3, 4, 3, 3, 2, 3])
    cast(voters[:2], charlie, [5, 5])
    return entries


def ranking(round_):
    return [(line.rank, line.design.title) for line in tally.results(round_)]


def test_close_computes_the_published_formula(app, voted, november):
    lifecycle.close_round(november.id, None)
    db.session.commit()
    lines = tally.results(november)
    assert [line.design.title for line in lines] == ["Alpha", "Charlie", "Bravo"]
    alpha = lines[0]
    # m = (28 + 18 + 10) / 14 = 4; Alpha: (10*4 + 28) / (10 + 6) = 4.25
    assert alpha.score == pytest.approx(4.25)
    assert (alpha.votes, alpha.buy_count, alpha.buy_by_size) == (6, 3, {"M": 3})
    assert (november.mean_numerator, november.mean_denominator) == (4, 1)


def test_disqualification_moves_the_next_design_up(browser, auth, voted, november):
    lifecycle.close_round(november.id, None)
    db.session.commit()
    operator = auth.operator()
    browser.submit(f"/console/rounds/{november.id}/disqualify/{voted[0].id}", {"reason": "Copied from a poster"},
                   form_url=f"/console/rounds/{november.id}")
    db.session.expire_all()
    assert ranking(november) == [(1, "Charlie"), (2, "Bravo"), (None, "Alpha")]
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "round.disqualify"))
    assert (entry.actor_id, entry.reason) == (operator.id, "Copied from a poster")


def test_disqualification_needs_a_reason(app, voted, november):
    lifecycle.close_round(november.id, None)
    with pytest.raises(RoundError):
        lifecycle.disqualify(november, voted[0].id, UserFactory(operator=True), "  ")


def test_confirm_publish_and_everyone_is_told(browser, auth, voted, november, mailbox, voters):
    lifecycle.close_round(november.id, None)
    db.session.commit()
    auth.operator()
    browser.submit(f"/console/rounds/{november.id}/publish", form_url=f"/console/rounds/{november.id}")
    db.session.expire_all()
    assert november.status == RoundStatus.CLOSED  # not before the winners are confirmed
    browser.submit(f"/console/rounds/{november.id}/confirm", form_url=f"/console/rounds/{november.id}")
    browser.submit(f"/console/rounds/{november.id}/publish", form_url=f"/console/rounds/{november.id}")
    db.session.expire_all()
    assert november.status == RoundStatus.PUBLISHED
    assert [line.design.title for line in tally.results(november) if line.is_winner] == ["Alpha"]
    page = browser.get("/rounds/2026/11").get_data(as_text=True)
    assert "Winner" in page and "Alpha" in page and "4.250" in page
    for person in voters:
        mail = mailbox.last_to(person.email)
        assert mail["Subject"] == "The results of November 2026 are out" and "Winner: “Alpha”" in mail.get_content()
    winner = mailbox.last_to(voted[0].designer.email)
    assert winner["Subject"] == "You won November 2026 on Tirage!"
    assert "What comes next" in winner.get_content() and "Shirt No. 1 is yours" in winner.get_content()
    other = mailbox.last_to(voted[1].designer.email)
    assert other["Subject"] == "Your results for November 2026" and "“Bravo”: rank 3 of 3" in other.get_content()
    results = [m for m in mailbox.messages if "November 2026" in m["Subject"]]
    assert len(results) == len({m["To"] for m in results}) == len(voters) + 3  # one each: voters and 3 designers


def test_csv_export_and_recompute_agree(app, runner, voted, november, tmp_path):
    operator = UserFactory(operator=True)
    lifecycle.close_round(november.id, None)
    lifecycle.disqualify(november, voted[1].id, operator, "not original")
    lifecycle.confirm_winners(november, operator)
    lifecycle.publish(november, operator)
    db.session.commit()
    text = export.export_votes_csv(november)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 14
    assert set(rows[0]) == {"design", "design_submitted_at", "disqualified", "voter", "score", "buy_intent", "size"}
    assert all(row["voter"].startswith("v-") for row in rows)
    voter_ids = set(db.session.scalars(sa.select(Vote.voter_id)))
    assert not any(user.email in text for user in db.session.scalars(sa.select(User).where(User.id.in_(voter_ids))))
    path = tmp_path / "votes.csv"
    path.write_text(text)
    result = runner.invoke(args=["rounds", "recompute", "2026-11", "--file", str(path)])
    assert result.exit_code == 0, result.output
    assert "agrees with the published results" in result.output
    # A tampered file does not agree: Alpha's fives become ones.
    tampered = [row if row["design"] != str(voted[0].id) else {**row, "score": "1"} for row in rows]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(tampered)
    path.write_text(out.getvalue())
    assert runner.invoke(args=["rounds", "recompute", "2026-11", "--file", str(path)]).exit_code == 1


def test_published_votes_are_downloadable_by_anyone(client, voted, november):
    operator = UserFactory(operator=True)
    lifecycle.close_round(november.id, None)
    lifecycle.confirm_winners(november, operator)
    lifecycle.publish(november, operator)
    db.session.commit()
    response = client.get("/rounds/2026/11/votes.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.get_data(as_text=True).startswith("design,design_submitted_at")


def test_voiding_a_members_votes_recomputes(browser, auth, voted, november, voters):
    lifecycle.close_round(november.id, None)
    db.session.commit()
    auth.operator()
    browser.submit(f"/console/rounds/{november.id}/void", {"member": voters[0].email, "reason": "sock puppet"},
                   form_url=f"/console/rounds/{november.id}")
    db.session.expire_all()
    alpha = next(line for line in tally.results(november) if line.design.title == "Alpha")
    assert alpha.votes == 5
    assert db.session.scalar(sa.select(sa.func.count()).where(Vote.voided_at.is_not(None))) == 3


def test_fraud_signals(app, entries, november, clock):
    alpha, bravo, charlie = entries
    # Five accounts created during the round, all voting only for Alpha's designer within an hour.
    puppets = [UserFactory(created_at=datetime(2026, 11, 3, tzinfo=timezone.utc)) for _ in range(5)]
    for puppet in puppets:
        voting.cast_vote(puppet, alpha, 5, False, None)
    # Two long-standing members with identical score patterns.
    twins = [UserFactory(), UserFactory()]
    for twin in twins:
        for design, score in ((alpha, 5), (bravo, 1), (charlie, 1)):
            voting.cast_vote(twin, design, score, False, None)
    db.session.commit()
    signals = fraud.fraud_signals(november)
    assert {voter.id for voter, _, _ in signals.single_designer} == {p.id for p in puppets}
    assert [(design.id, n) for design, _, n in signals.bursts] == [(alpha.id, 5)]
    assert [sorted(u.id for u in group) for group, _ in signals.identical] == [sorted(t.id for t in twins)]


def test_members_cannot_use_round_console(browser, auth, november, client):
    auth.member()
    assert client.get("/console/rounds").status_code == 403
    assert client.get(f"/console/rounds/{november.id}").status_code == 403
    token = browser.token("/designs")
    assert client.post(f"/console/rounds/{november.id}/close", data={"csrf_token": token}).status_code == 403
    db.session.expire_all()
    assert november.status == RoundStatus.OPEN


def test_operator_edits_round_settings_in_euros(browser, auth, november):
    auth.operator()
    response = browser.submit(f"/console/rounds/{november.id}", {
        "winners_count": "2", "bounty_cents": "1 500,50", "royalty_cents": "1.25", "default_edition_size": "250"})
    assert response.status_code == 302
    db.session.expire_all()
    assert (november.winners_count, november.bounty_cents, november.royalty_cents, november.default_edition_size) == \
        (2, 150_050, 125, 250)
    response = browser.submit(f"/console/rounds/{november.id}", {
        "winners_count": "1", "bounty_cents": "12.345", "royalty_cents": "1", "default_edition_size": "250"})
    assert response.status_code == 200
    db.session.expire_all()
    assert november.bounty_cents == 150_050


def test_operator_closes_the_round_from_the_console(browser, auth, voted, november):
    auth.operator()
    browser.submit(f"/console/rounds/{november.id}/close", form_url=f"/console/rounds/{november.id}")
    db.session.expire_all()
    assert november.status == RoundStatus.CLOSED
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RoundResult)) == 3


def test_identical_patterns_are_checked_vote_by_vote(app, entries, november, clock):
    """Two voters whose sums over their votes agree but whose scores differ are not flagged."""
    alpha, bravo, charlie = entries
    assert (bravo.id - alpha.id, charlie.id - bravo.id) == (1, 1)
    # With consecutive ids, 3·a + 3·b + 3·c == 4·a + 1·b + 4·c: same fingerprint, different votes.
    same_sums, copycat, other = UserFactory(), UserFactory(), UserFactory()
    for voter, scores in ((same_sums, (3, 3, 3)), (other, (4, 1, 4)), (copycat, (3, 3, 3))):
        for design, score in zip(entries, scores):
            voting.cast_vote(voter, design, score, False, None)
    db.session.commit()
    groups = [sorted(u.id for u in group) for group, _ in fraud.fraud_signals(november).identical]
    assert groups == [sorted([same_sums.id, copycat.id])]


def _signal_form(page: str, kind: str) -> dict:
    """The hidden fields and prefilled reason of the first one-click void form for `kind`."""
    import html
    import re

    start = page.index(f'name="kind" value="{kind}"')
    form = page[page.rindex("<form", 0, start):page.index("</form>", start)]
    values = dict(re.findall(r'name="(key)" value="([^"]*)"', form))
    values["reason"] = re.search(r"<textarea[^>]*>([^<]*)</textarea>", form).group(1)
    return {"kind": kind, **{k: html.unescape(v) for k, v in values.items()}}


def test_one_click_void_of_a_fraud_signal_voids_exactly_its_votes(browser, auth, entries, november, clock):
    alpha, bravo, charlie = entries
    puppets = [UserFactory(created_at=datetime(2026, 11, 3, tzinfo=timezone.utc)) for _ in range(5)]
    for puppet in puppets:
        voting.cast_vote(puppet, alpha, 5, False, None)
    twins = [UserFactory(), UserFactory()]
    for twin in twins:
        for design, score in ((alpha, 5), (bravo, 1), (charlie, 1)):
            voting.cast_vote(twin, design, score, False, None)
    db.session.commit()
    auth.operator()
    url = f"/console/rounds/{november.id}"
    page = browser.get(url).get_data(as_text=True)
    burst = _signal_form(page, "burst")
    assert burst["reason"] == "Fraud signal: a burst of new accounts on “Alpha”"  # prefilled, editable
    burst["reason"] += " (checked by hand)"
    assert browser.submit(f"{url}/void-signal", burst, form_url=url).status_code == 302

    db.session.expire_all()
    voided = db.session.scalars(sa.select(Vote).where(Vote.voided_at.is_not(None))).all()
    assert sorted(v.voter_id for v in voided) == sorted(p.id for p in puppets)
    assert {v.void_reason for v in voided} == {"Fraud signal: a burst of new accounts on “Alpha” (checked by hand)"}
    entries_ = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "votes.void")).all()
    assert len(entries_) == 1 and entries_[0].target_type == "round"
    assert entries_[0].details["votes"] == 5 and entries_[0].details["signal"] == "burst"

    identical = _signal_form(browser.get(url).get_data(as_text=True), "identical")
    browser.submit(f"{url}/void-signal", identical, form_url=url)
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).where(Vote.voided_at.is_not(None))) == 5 + 6
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditEntry.action == "votes.void")) == 2

    # A repeat, an empty reason or a forged signal voids nothing more.
    browser.submit(f"{url}/void-signal", identical, form_url=url)
    browser.submit(f"{url}/void-signal", {**identical, "reason": ""}, form_url=url)
    browser.submit(f"{url}/void-signal", {"kind": "everyone", "key": "1", "reason": "x"}, form_url=url)
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditEntry.action == "votes.void")) == 2
