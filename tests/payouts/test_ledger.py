"""The ledger: bounties, royalties, reversals and adjustments, booked once, summed exactly."""
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DatabaseError

from app.accounts.models import User
from app.audit.models import AuditEntry
from app.extensions import db
from app.payouts import balances, ledger, paying
from app.payouts.errors import PayoutError
from app.payouts.models import EntryKind, LedgerEntry, PayoutMethod
from app.rounds.models import RoundResult
from app.shop import services as shop
from app.shop.models import Order, OrderStatus, Unit
from tests.fixtures.payouts import BOUNTY, ROYALTY, connect
from tests.races import race
from tests.fixtures.shop import completed_event, provider_refunded, refunded_event, webhook


def entries(designer, kind=None):
    stmt = sa.select(LedgerEntry).where(LedgerEntry.designer_id == designer.id)
    if kind:
        stmt = stmt.where(LedgerEntry.kind == kind)
    return db.session.scalars(stmt.order_by(LedgerEntry.id)).all()


def test_bounty_is_owed_on_confirmation_and_available_on_publication(won, designer, publish, operator):
    november, design, _ = won
    assert [(e.kind, e.amount_cents) for e in entries(designer)] == [(EntryKind.BOUNTY, BOUNTY)]
    balance = balances.balance(designer.id)
    assert (balance.total, balance.available, balance.pending) == (BOUNTY, 0, BOUNTY)

    publish()
    balance = balances.balance(designer.id)
    assert (balance.available, balance.pending) == (BOUNTY, 0)

    # The hook firing again (a retried confirmation) books nothing more.
    result = db.session.scalar(sa.select(RoundResult).where(RoundResult.design_id == design.id))
    ledger.book_bounty(november, result, operator)
    db.session.commit()
    assert len(entries(designer, EntryKind.BOUNTY)) == 1


def test_royalties_wait_out_the_hold_and_a_replayed_webhook_books_nothing(won, sell, designer, client, clock):
    order = sell(3)
    royalties = entries(designer, EntryKind.ROYALTY)
    assert [e.amount_cents for e in royalties] == [ROYALTY] * 3
    assert {e.unit.serial for e in royalties} == {2, 3, 4}  # No. 1 is the designer's own: no royalty
    assert balances.balance(designer.id).available == 0

    webhook(client, completed_event(order, event_id="evt_sale_1"))  # Stripe retries the same event
    webhook(client, completed_event(order, event_id="evt_other_id_same_session"))  # or sends it twice
    assert len(entries(designer, EntryKind.ROYALTY)) == 3

    clock.shift(timedelta(days=14) - timedelta(seconds=1))
    assert balances.balance(designer.id).available == 0
    clock.shift(timedelta(seconds=1))
    assert balances.balance(designer.id).available == 3 * ROYALTY


def test_a_refund_takes_the_royalty_back_when_it_would_have_been_available(won, sell, designer, operator, app):
    order = sell(2)
    unit = order.units[0]
    with app.test_request_context():
        shop.refund_units(order, [unit.id], operator, restock=False, reason="damaged in transit")
    db.session.commit()
    reversal, = entries(designer, EntryKind.ROYALTY_REVERSAL)
    royalty = next(e for e in entries(designer, EntryKind.ROYALTY) if e.unit_id == unit.id)
    assert reversal.amount_cents == -ROYALTY and reversal.available_at == royalty.available_at
    balance = balances.balance(designer.id)
    assert balance.total == BOUNTY + ROYALTY and balance.available == 0


def test_a_refund_at_the_provider_reverses_royalties_too(won, sell, designer, client):
    order = sell(2)
    provider_refunded(order, order.total_cents, "dashboard")
    webhook(client, refunded_event(order, "evt_refund"))
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == OrderStatus.REFUNDED
    assert sum(e.amount_cents for e in entries(designer) if e.kind != EntryKind.BOUNTY) == 0


def test_the_ledger_sums_to_what_the_designer_was_owed(won, sell, designer, operator, publish, clock, app):
    """Wins, sales, refunds and payouts: the balance is exactly bounty + net royalties - payouts."""
    publish()
    orders = [sell(2), sell(3), sell(1)]
    with app.test_request_context():
        shop.refund_units(orders[1], [orders[1].units[0].id], operator, restock=True, reason="wrong size")
    db.session.commit()
    connect(designer)
    with app.test_request_context():
        first = paying.pay(designer, operator, PayoutMethod.STRIPE)
    assert first.amount_cents == BOUNTY  # royalties still on hold

    clock.shift(timedelta(days=15))
    later = sell(2)
    assert later.status == OrderStatus.PAID
    net_units = 2 + 3 - 1 + 1 + 2
    balance = balances.balance(designer.id)
    assert balance.total == BOUNTY + net_units * ROYALTY - first.amount_cents
    assert balance.available == (net_units - 2) * ROYALTY  # the last two are on hold
    assert sum(e.amount_cents for e in entries(designer)) == balance.total


def test_a_refund_after_a_payout_is_carried_to_the_next_payout(won, sell, designer, operator, publish, clock, app):
    publish()
    order = sell(2)
    clock.shift(timedelta(days=15))
    connect(designer)
    with app.test_request_context():
        paid = paying.pay(designer, operator, PayoutMethod.STRIPE)
    assert paid.amount_cents == BOUNTY + 2 * ROYALTY

    with app.test_request_context():
        shop.refund_units(order, [order.units[0].id], operator, restock=False, reason="returned")
    db.session.commit()
    balance = balances.balance(designer.id)
    assert balance.total == -ROYALTY and balance.available == -ROYALTY  # owed back by the designer
    with app.test_request_context(), pytest.raises(PayoutError):
        paying.pay(designer, operator, PayoutMethod.STRIPE)

    sell(3)
    clock.shift(timedelta(days=15))
    with app.test_request_context():
        second = paying.pay(designer, operator, PayoutMethod.STRIPE)
    assert second.amount_cents == 3 * ROYALTY - ROYALTY
    assert balances.balance(designer.id).total == 0


@pytest.mark.parametrize("change", [
    sa.update(LedgerEntry).values(amount_cents=1),
    sa.delete(LedgerEntry),
    sa.text("DELETE FROM ledger_entries"),
], ids=["update", "delete", "delete-all"])
def test_the_database_refuses_to_change_or_delete_a_ledger_entry(won, designer, change):
    with pytest.raises(DatabaseError, match="append-only"):
        db.session.execute(change)
    db.session.rollback()
    assert [e.amount_cents for e in entries(designer)] == [BOUNTY]


def test_postgresql_refuses_to_truncate_the_ledger(won, designer):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE")
    with pytest.raises(DatabaseError, match="append-only"):
        db.session.execute(sa.text("TRUNCATE ledger_entries CASCADE"))
    db.session.rollback()
    assert len(entries(designer)) == 1


@pytest.mark.committed
def test_migration_0006_goes_down_and_up(tmp_path):
    """Down to 0005 the ledger may be deleted from again, back up it may not (for whoever adds 0007)."""
    from flask_migrate import downgrade, upgrade

    from app import create_app
    from tests.fixtures.database import temporary_database
    from tests.factories import UserFactory

    def an_entry() -> None:
        db.session.add(LedgerEntry(designer_id=user_id, kind=EntryKind.ADJUSTMENT, amount_cents=1, reason="test"))
        db.session.commit()

    with temporary_database(tmp_path) as url:
        app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url, "UPLOAD_ROOT": str(tmp_path / "uploads")})
        with app.app_context():
            upgrade()
            user_id = UserFactory().id  # made at the head: today's users table
            db.session.commit()
            downgrade(revision="0005_design_followers")
            an_entry()
            db.session.execute(sa.delete(LedgerEntry))  # allowed again
            an_entry()
            db.session.commit()
            upgrade()
            with pytest.raises(DatabaseError, match="append-only"):
                db.session.execute(sa.delete(LedgerEntry))
            db.session.rollback()
            db.session.remove()
            db.engine.dispose()


def test_operator_adjusts_with_a_reason_and_it_is_audited(browser, auth, won, designer):
    operator = auth.operator()
    url = f"/console/payouts/designers/{designer.id}"
    reply = browser.submit(f"{url}/adjust", {"direction": "debit", "amount": "12.50", "reason": ""}, form_url=url)
    assert reply.status_code == 302
    assert len(entries(designer)) == 1  # no reason, nothing booked
    browser.submit(f"{url}/adjust", {"direction": "debit", "amount": "12,5O", "reason": "typo"}, form_url=url)
    assert len(entries(designer)) == 1  # not an amount
    browser.submit(f"{url}/adjust", {"direction": "debit", "amount": "12.50", "reason": "print fee shared"},
                   form_url=url)
    adjustment = entries(designer, EntryKind.ADJUSTMENT)[0]
    assert adjustment.amount_cents == -1250 and adjustment.reason == "print fee shared"
    assert adjustment.created_by_id == operator.id
    audit = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "ledger.adjust"))
    assert audit.actor_id == operator.id and audit.details["amount_cents"] == -1250


# ---------------------------------------------------------------- adjustments: bounded, never below zero by accident

def balance_of(designer, cents, app, operator):
    """Dana's balance brought to exactly `cents` (the won fixture's bounty is pending, and counts)."""
    with app.test_request_context():
        ledger.adjust(designer, cents - BOUNTY, "set up", operator, recovering=True)
    db.session.commit()
    assert balances.balance(designer.id).total == cents


def test_a_debit_may_not_take_the_balance_below_zero_unless_it_recovers_an_overpayment(app, won, designer, operator):
    balance_of(designer, 100, app, operator)  # €1
    with app.test_request_context(), pytest.raises(PayoutError, match="at most"):
        ledger.adjust(designer, -100_000_000, "typo", operator)  # €1,000,000: beyond any adjustment
    with app.test_request_context(), pytest.raises(PayoutError, match="below zero"):
        ledger.adjust(designer, -5_000_000, "typo", operator)  # €50,000
    db.session.rollback()
    with app.test_request_context(), pytest.raises(PayoutError, match="below zero"):
        ledger.adjust(designer, -101, "one cent too many", operator)
    db.session.rollback()
    assert balances.balance(designer.id).total == 100

    with app.test_request_context():
        ledger.adjust(designer, -100, "the whole euro", operator)  # down to zero exactly: fine
        ledger.adjust(designer, -500, "payout #12 was paid twice", operator, recovering=True)
    db.session.commit()
    assert balances.balance(designer.id).total == -500
    audit = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "ledger.adjust")
                               .order_by(AuditEntry.id.desc())).first()
    assert audit.details == {"amount_cents": -500, "recovering": True} and audit.reason == "payout #12 was paid twice"


def test_a_debit_counts_the_transfer_under_way_as_paid(app, due_with_transfer_in_flight, operator):
    designer = due_with_transfer_in_flight
    assert balances.balance(designer.id).total == BOUNTY and balances.balance(designer.id).owed == 0
    with app.test_request_context(), pytest.raises(PayoutError, match="below zero"):
        ledger.adjust(designer, -1, "print fee", operator)


@pytest.fixture
def due_with_transfer_in_flight(app, won, publish, designer, operator, monkeypatch):
    from app.payouts.connect import SandboxConnect, TransferError

    def lost(self, *args, **kwargs):
        raise TransferError("timeout", unknown=True)

    publish()
    connect(designer)
    monkeypatch.setattr(SandboxConnect, "transfer", lost)
    with app.test_request_context(), pytest.raises(PayoutError):
        paying.pay(designer, operator, PayoutMethod.STRIPE)
    return designer


@pytest.mark.parametrize("cents", [ledger.MAX_ADJUSTMENT_CENTS + 1, -ledger.MAX_ADJUSTMENT_CENTS - 1, 2**31, -2**63])
def test_an_adjustment_has_an_upper_bound(app, won, designer, operator, cents):
    with app.test_request_context(), pytest.raises(PayoutError, match="at most"):
        ledger.adjust(designer, cents, "typo", operator, recovering=True)
    db.session.rollback()
    assert len(entries(designer)) == 1


@pytest.mark.committed
def test_debits_deciding_at_once_are_checked_one_after_the_other(app, won, designer, operator):
    """Four operators each take €600 of a €1,000 balance at the same moment: under the designer's
    lock, one is booked and the three others find the balance too low."""
    designer_id, operator_id = designer.id, operator.id

    def take(_):
        ledger.adjust(db.session.get(User, designer_id), -60_000, "print fee", db.session.get(User, operator_id))

    outcomes = race(app, take, 4, expected=(PayoutError,))
    assert sum(isinstance(o, PayoutError) for o in outcomes) == 3
    assert balances.balance(designer_id).total == BOUNTY - 60_000


@pytest.mark.parametrize("amount", ["1000000", "100001", "1e40", "99999999999999999999999999999999", "-5"])
def test_the_console_refuses_an_adjustment_beyond_reason_with_a_message(browser, auth, won, designer, amount):
    auth.operator()
    url = f"/console/payouts/designers/{designer.id}"
    reply = browser.submit(f"{url}/adjust", {"direction": "debit", "amount": amount, "reason": "typo",
                                             "recovering": "y"}, form_url=url, follow_redirects=True)
    assert reply.status_code == 200
    page = reply.get_data(as_text=True)
    assert "An adjustment is at most €100,000.00." in page or "Enter an amount like 1000 or 12.50." in page
    assert len(entries(designer)) == 1


def test_the_console_books_a_debit_below_zero_only_when_ticked(browser, auth, won, designer):
    auth.operator()
    url = f"/console/payouts/designers/{designer.id}"
    assert 'name="recovering"' in browser.get(url).get_data(as_text=True)
    debit = {"direction": "debit", "amount": "1500", "reason": "bounty of 2026-10 paid twice"}
    page = browser.submit(f"{url}/adjust", debit, form_url=url, follow_redirects=True).get_data(as_text=True)
    assert "below zero" in page and len(entries(designer)) == 1
    page = browser.submit(f"{url}/adjust", {**debit, "recovering": "y"}, form_url=url,
                          follow_redirects=True).get_data(as_text=True)
    assert "Adjustment booked." in page
    assert balances.balance(designer.id).total == BOUNTY - 150_000


def test_the_recovery_checkbox_speaks_french(browser, auth, won, designer):
    auth.operator()
    browser.get("/language/fr")
    page = browser.get(f"/console/payouts/designers/{designer.id}").get_data(as_text=True)
    assert "Ce débit récupère un trop-perçu" in page


def test_shirt_no_1_is_a_zero_price_order_shipped_to_the_designers_address(browser, auth, won, designer, mailbox):
    _, _, edition = won
    order = db.session.scalar(sa.select(Order).where(Order.complimentary))
    assert (order.buyer_id, order.total_cents, order.status) == (designer.id, 0, OrderStatus.PAID)
    assert [u.serial for u in order.units] == [1]
    assert "/me/dashboard" in mailbox.last_to(designer.email).get_content()

    auth.as_(designer)
    page = browser.get("/me/dashboard").get_data(as_text=True)
    assert "Where should we send it?" in page
    prefix = f"shirt{order.id}-"
    browser.submit(f"/me/shirts/{order.id}/address", {prefix + "name": "Dana Designer", prefix + "line1": "",
                                                      prefix + "postal_code": "69001", prefix + "city": "Lyon",
                                                      prefix + "country": "FR"}, form_url="/me/dashboard")
    db.session.expire_all()
    assert db.session.get(Order, order.id).shipping_address == {}
    browser.submit(f"/me/shirts/{order.id}/address", {prefix + "name": "Dana Designer", prefix + "line1": "3 quai Saint-Vincent",
                                                      prefix + "postal_code": "69001", prefix + "city": "Lyon",
                                                      prefix + "country": "FR"}, form_url="/me/dashboard")
    db.session.expire_all()
    assert db.session.get(Order, order.id).shipping_address["city"] == "Lyon"

    auth.logout()
    auth.operator()
    browser.submit(f"/console/orders/{order.public_id}/ship", {"tracking": "LA000000001FR"},
                   form_url=f"/console/orders/{order.public_id}")
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == OrderStatus.SHIPPED
    assert db.session.get(Unit, order.units[0].id).serial == 1


def test_an_operator_cannot_ship_shirt_no_1_before_the_address(browser, auth, won):
    order = db.session.scalar(sa.select(Order).where(Order.complimentary))
    auth.operator()
    page = browser.get(f"/console/orders/{order.public_id}").get_data(as_text=True)
    assert "Waiting for the designer to give their address." in page
    browser.submit(f"/console/orders/{order.public_id}/ship", {"tracking": "X"}, form_url="/console/orders")
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == OrderStatus.PAID
