"""Members' rights: downloading one's data and deleting one's account, on a published round with
an edition on sale (the payouts fixtures)."""
from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.accounts import deletion
from app.accounts import services as accounts
from app.accounts.models import User
from app.audit.models import AuditEntry
from app.clock import utcnow
from app.designs import services as designs
from app.designs.models import Comment, Design, DesignFollower, DesignStatus
from app.extensions import db
from app.mail import send_mail
from app.payouts.models import LedgerEntry, PayoutAccount
from app.rounds import export as rounds
from app.rounds.models import RoundResult, Vote
from app.shop import services as shop
from app.shop.models import Order, OrderStatus
from tests.fixtures.web import PASSWORD
from tests.factories import UserFactory
from tests.fixtures.payouts import connect


@pytest.fixture
def app_config(app_config):
    return {**app_config, "PRINT_MIN_LONG_SIDE": 300, "PAYMENT_BACKEND": "sandbox", "PAYOUT_METHOD": "connect",
            "DATA_EXPORT_RATE_LIMIT": "3 per hour"}


def delete(browser, password=PASSWORD, **extra):
    return browser.submit("/account/settings/delete", {"password": password, "confirm": "y", **extra})


def results_of(round_):
    db.session.expire_all()
    return [(r.design_id, r.rank, r.score, r.votes, r.score_sum, r.voters, r.buy_count, r.wilson)
            for r in db.session.scalars(sa.select(RoundResult).where(RoundResult.round_id == round_.id)
                                        .order_by(RoundResult.design_id))]


def ranked(round_):
    return [(r.tally.design_id, r.rank, r.score) for r in rounds.rank_from_csv(rounds.export_votes_csv(round_),
                                                                            round_.prior_weight)]


# ------------------------------------------------------------------ deletion

def test_a_deleted_voter_is_erased_and_the_published_results_still_reproduce(app, browser, won, publish, runner, tmp_path):
    november, design, _ = won
    publish()
    voter = db.session.get(User, db.session.scalar(sa.select(Vote.voter_id).where(Vote.design_id == design.id).limit(1)))
    designs.add_comment(design, voter, "Hoot hoot.")
    designs.follow(design, voter)
    db.session.commit()
    csv_before, ranked_before, stored_before = rounds.export_votes_csv(november), ranked(november), results_of(november)
    email, voter_id = voter.email, voter.id

    browser.login(email)
    page = browser.get("/account/settings/delete").get_data(as_text=True)
    assert "Your 2 votes, so that published results can still be recomputed exactly" in page
    response = delete(browser)
    assert response.status_code == 302, response.get_data(as_text=True)

    db.session.expire_all()
    gone = db.session.get(User, voter_id)
    assert gone.is_deleted and gone.display_name == "Deleted member"
    assert gone.email.endswith("@deleted.invalid") and email not in gone.email
    assert gone.password_hash == "!deleted" and gone.bio == "" and gone.avatar_key is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DesignFollower)
                             .where(DesignFollower.user_id == voter_id)) == 0
    # The votes stay, unchanged: the CSV, its recomputation and the stored results are the same.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Vote).where(Vote.voter_id == voter_id)) == 2
    assert rounds.export_votes_csv(november) == csv_before
    assert ranked(november) == ranked_before
    assert results_of(november) == stored_before
    path = tmp_path / "votes.csv"
    path.write_text(rounds.export_votes_csv(november))
    result = runner.invoke(args=["rounds", "recompute", november.key, "--file", str(path)])
    assert result.exit_code == 0 and "agrees with the published results" in result.output
    # The comment stays, signed by a deleted member; the session has ended and the password is useless.
    assert db.session.scalar(sa.select(Comment.author_id).where(Comment.body == "Hoot hoot.")) == voter_id
    shown = browser.get(f"/designs/{design.id}").get_data(as_text=True)
    assert "Hoot hoot." in shown and "Deleted member" in shown
    assert browser.get("/account/settings").status_code == 302
    assert browser.login(email).status_code == 401
    assert send_mail(gone.email, "Results", "round_results") is None  # nothing ever mailed to it
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "member.delete"))
    assert entry.actor_id == voter_id and entry.details["votes"] == 2 and entry.details["follows_erased"] == 1
    # In French, the deleted member is a "membre supprimé".
    browser.get("/language/fr")
    assert "Membre supprimé" in browser.get(f"/designs/{design.id}").get_data(as_text=True)


def test_a_designer_with_money_owed_must_give_it_up_and_keeps_her_winner(app, browser, won, publish, sell, designer,
                                                                        make_design):
    november, design, edition = won
    publish()
    connect(designer)
    sale = sell(2)
    draft = make_design(designer=designer, status="draft", title="Sketch")
    ledger_before = db.session.execute(sa.select(LedgerEntry.id, LedgerEntry.amount_cents)
                                       .order_by(LedgerEntry.id)).all()
    browser.login(designer.email)
    page = browser.get("/account/settings/delete").get_data(as_text=True)
    assert "is still owed to you" in page and "Sketch" in page and "Night Owl" in page

    refused = delete(browser)
    assert refused.status_code == 422 and "Money is still owed to you" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert not db.session.get(User, designer.id).is_deleted

    assert delete(browser, give_up_balance="y").status_code == 302
    db.session.expire_all()
    assert db.session.get(Design, draft.id).status == DesignStatus.WITHDRAWN
    assert db.session.get(Design, design.id).status == DesignStatus.APPROVED  # the winner keeps its artwork
    account = db.session.scalar(sa.select(PayoutAccount).where(PayoutAccount.designer_id == designer.id))
    assert account.stripe_account_id is None and not account.payouts_enabled
    # The ledger is append-only: not one row changed.
    assert db.session.execute(sa.select(LedgerEntry.id, LedgerEntry.amount_cents)
                              .order_by(LedgerEntry.id)).all() == ledger_before
    assert db.session.get(Order, sale.id).status == OrderStatus.PAID
    page = browser.get(f"/designs/{design.id}").get_data(as_text=True)
    assert "Night Owl" in page and "Deleted member" in page and "Dana Designer" not in page
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "member.delete"))
    assert entry.details["designs_withdrawn"] == [draft.id] and entry.details["designs_kept"] == [design.id]
    assert entry.details["owed_given_up_cents"] > 0


def test_an_order_keeps_its_address_until_shipped_and_for_the_invoice_retention(app, browser, won, sell, operator):
    order = sell(1)
    buyer = order.buyer
    browser.login(buyer.email)
    page = browser.get("/account/settings/delete").get_data(as_text=True)
    assert "still shipped to its address" in page and "kept 10 years" in page
    assert delete(browser).status_code == 302
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    assert order.shipping_name == "Ada Buyer" and order.shipping_address["city"] == "Paris"
    assert deletion.purge_retained(utcnow() + timedelta(days=365 * 11)) == 0  # not shipped yet: kept
    shop.mark_shipped(order, operator, "TRACK1")
    db.session.commit()
    assert deletion.purge_retained(utcnow() + timedelta(days=365 * 9)) == 0  # within the retention
    assert deletion.purge_retained(utcnow() + timedelta(days=365 * 11)) == 1
    db.session.commit()
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    assert order.shipping_name == "" and order.shipping_address == {} and order.total_cents > 0
    assert db.session.scalar(sa.select(AuditEntry.details).where(AuditEntry.action == "member.purge"))["orders"] == 1


def test_flask_users_purge_runs(app, runner):
    result = runner.invoke(args=["users", "purge"])
    assert result.exit_code == 0 and "0 order(s)" in result.output


def test_wrong_password_missing_confirmation_or_csrf_delete_nothing(app, browser, client):
    member = UserFactory()
    browser.login(member.email)
    wrong = delete(browser, password="not my password")
    assert wrong.status_code == 422 and "Your password is not correct." in wrong.get_data(as_text=True)
    unconfirmed = browser.submit("/account/settings/delete", {"password": PASSWORD})
    assert unconfirmed.status_code == 422 and "Tick the box to confirm." in unconfirmed.get_data(as_text=True)
    assert client.post("/account/settings/delete", data={"password": PASSWORD, "confirm": "y"}).status_code == 400
    db.session.expire_all()
    assert not db.session.get(User, member.id).is_deleted
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 0


def test_a_wrong_password_is_shown_on_the_password_field(app, browser):
    browser.login(UserFactory().email)
    wrong = delete(browser, password="not my password")
    assert wrong.status_code == 422
    assert 'id="password-error">Your password is not correct.</p>' in wrong.get_data(as_text=True)


def test_a_refusal_of_the_account_is_rolled_back_and_shown_above_the_form(app, browser, monkeypatch):
    member = UserFactory()
    browser.login(member.email)

    def half_done(user, password, give_up_balance=False):
        user.display_name = "Half deleted"
        raise accounts.AccountError("Not today.")

    monkeypatch.setattr(deletion, "delete_account", half_done)
    refused = delete(browser)
    page = refused.get_data(as_text=True)
    summary = re.search(r'<div class="error-summary" role="alert">(.*?)</div>', page, re.S)
    assert refused.status_code == 422 and "<p>Not today.</p>" in summary.group(1)
    assert 'id="password-error"' not in page and "Half deleted" not in page  # rolled back before the page is drawn
    db.session.expire_all()
    assert db.session.get(User, member.id).display_name != "Half deleted"


def test_a_guest_is_sent_to_log_in(client):
    assert client.get("/account/settings/delete").headers["Location"].startswith("/account/login")


def test_the_last_operator_cannot_delete_themselves(app, browser):
    olga = UserFactory(operator=True)
    browser.login(olga.email)
    page = browser.get("/account/settings/delete").get_data(as_text=True)
    assert "You are the last operator" in page and 'name="password"' not in page
    refused = delete(browser)
    assert refused.status_code == 422 and "You are the last operator" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert not db.session.get(User, olga.id).is_deleted
    other = UserFactory(operator=True)
    assert delete(browser).status_code == 302
    db.session.expire_all()
    assert db.session.get(User, olga.id).is_deleted
    # The console shows the account as deleted, with nothing left to do to it.
    browser.login(other.email)
    page = browser.get(f"/console/members/{olga.id}").get_data(as_text=True)
    assert "Account deleted" in page and "Make operator" not in page and "Suspend" not in page


# ------------------------------------------------------------------ export

def test_the_data_export_holds_everything_about_the_member(app, browser, won, publish, sell, designer):
    november, design, _ = won
    publish()
    connect(designer)
    designs.add_comment(design, designer, "Thanks, everyone!")
    db.session.commit()
    other = db.session.scalar(sa.select(Design).where(Design.title == "Also Ran"))
    browser.login(designer.email)
    response = browser.submit("/account/settings/data/export", form_url="/account/settings/data")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="tirage-data-')
    data = json.loads(response.get_data(as_text=True))
    assert set(data) >= {"account", "consents", "designs", "votes", "comments", "follows", "orders", "earnings", "audit"}
    assert data["account"]["email"] == "dana@example.org" and data["account"]["display_name"] == "Dana Designer"
    assert [d["title"] for d in data["designs"]] == ["Night Owl"]
    assert data["comments"][0]["body"] == "Thanks, everyone!"
    assert {e["kind"] for e in data["earnings"]["ledger"]} == {"bounty"}
    assert data["earnings"]["payout_account"]["stripe_account"] == f"acct_sandbox_{designer.id}"
    assert data["orders"][0]["complimentary"] is True  # shirt No. 1
    assert other.id not in [v["design_id"] for v in data["votes"]]
    assert "design.approve" in {e["action"] for e in data["audit"]}  # about her design
    assert any(e["action"] == "member.export" and e["by"] == "you" for e in
               json.loads(browser.submit("/account/settings/data/export", form_url="/account/settings/data")
                          .get_data(as_text=True))["audit"])


def test_a_buyer_finds_her_votes_orders_and_addresses(app, browser, won, sell):
    order = sell(1)
    _, design, _ = won
    buyer = order.buyer
    browser.login(buyer.email)
    data = json.loads(browser.submit("/account/settings/data/export", form_url="/account/settings/data")
                      .get_data(as_text=True))
    assert data["orders"][0]["shipping_address"]["city"] == "Paris"
    assert data["orders"][0]["items"][0]["edition"] == "Night Owl" and data["orders"][0]["items"][0]["serials"]


def test_the_export_needs_csrf_and_is_rate_limited(app, browser, client):
    member = UserFactory()
    browser.login(member.email)
    assert client.post("/account/settings/data/export").status_code == 400
    for _ in range(3):
        assert browser.submit("/account/settings/data/export", form_url="/account/settings/data").status_code == 200
    assert browser.submit("/account/settings/data/export", form_url="/account/settings/data").status_code == 429
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "member.export")) == 3
