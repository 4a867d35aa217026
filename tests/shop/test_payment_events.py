"""Hostile, repeated and out-of-order payment events: the order follows the provider's record.

The races run threads on separate connections (tests/races.py); CI runs them on PostgreSQL.
"""
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from app.audit.models import AuditEntry
from app.extensions import db
from app.payouts.models import EntryKind, LedgerEntry
from app.shop import services as shop
from app.shop.models import EditionSize, Order, OrderStatus, Refund, Unit, UnitStatus
from app.shop.payment_events import handle_event
from app.shop.sandbox import SandboxCheckout, SandboxGateway
from tests.races import race
from tests.fixtures.shop import completed_event, event, expired_event, provider_paid, provider_refunded, refunded_event, webhook
from tests.shop.test_cart import add

NOW = datetime(2026, 11, 20, 12, tzinfo=timezone.utc)
pytestmark = pytest.mark.clock(NOW)  # the one clock (tests/fixtures/clock.py) starts here


@pytest.fixture
def pending(browser, auth, make_edition, clock):
    """A member's pending order of `n` M shirts: pending(n=1, stock={"M": 10})."""

    made = []

    def make(n=1, stock=None):
        edition = make_edition(stock or {"M": 10})
        if made:
            auth.logout()
        made.append(auth.member())
        add(browser, edition, "M", n)
        assert browser.submit("/checkout", form_url="/cart").status_code == 303
        order = db.session.scalars(sa.select(Order).where(~Order.complimentary)
                                   .order_by(Order.id.desc())).first()
        return order, edition

    return make


def fresh(order) -> Order:
    db.session.expire_all()
    return db.session.get(Order, order.id)


def size_counts(edition, size="M"):
    db.session.expire_all()
    line = db.session.scalar(sa.select(EditionSize).where(EditionSize.edition_id == edition.id,
                                                          EditionSize.size == size))
    return line.quantity, line.reserved, line.sold


def rejections() -> list[AuditEntry]:
    return db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "payment.rejected")).all()


def royalties_net(edition) -> int:
    return int(db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(LedgerEntry.amount_cents), 0)).where(
        LedgerEntry.edition_id == edition.id,
        LedgerEntry.kind.in_([EntryKind.ROYALTY, EntryKind.ROYALTY_REVERSAL]))))


def sold_units(edition) -> list[Unit]:
    return db.session.scalars(sa.select(Unit).where(Unit.edition_id == edition.id,
                                                    Unit.status == UnitStatus.SOLD)).all()


def sync_in_threads(app, events: list[dict]) -> list:
    """Each event handled by its own thread and connection, all released at once."""
    return race(app, lambda i: handle_event(events[i]), len(events))


# ---------------------------------------------------------------- forged and mismatched

def test_a_session_we_did_not_create_cannot_pay_our_order(client, pending):
    order, edition = pending()
    forged = {"id": "cs_attacker", "object": "checkout.session", "client_reference_id": str(order.id),
              "metadata": {"order_id": str(order.id)}, "payment_intent": "pi_attacker", "payment_status": "paid",
              "status": "complete", "amount_total": 1, "currency": "eur"}
    response = webhook(client, event("checkout.session.completed", forged, "evt_forged"))
    assert response.status_code == 200 and response.json["outcome"].startswith("rejected")
    assert fresh(order).status == OrderStatus.PENDING and size_counts(edition) == (10, 1, 1)
    entry, = rejections()
    assert "no order of ours has this checkout session" in entry.reason and entry.details["event"].endswith("evt_forged")


def test_a_payload_that_lies_about_our_session_changes_nothing(client, pending):
    """Our session id, but the buyer has not paid: the payload's "paid" is not believed."""
    order, edition = pending()
    lie = {"id": order.checkout_session_id, "object": "checkout.session", "payment_status": "paid",
           "status": "complete", "amount_total": order.total_cents, "currency": "eur"}
    response = webhook(client, event("checkout.session.completed", lie, "evt_lie"))
    assert response.status_code == 200
    assert fresh(order).status == OrderStatus.PENDING and size_counts(edition) == (10, 1, 1)


@pytest.mark.parametrize("change, reason", [
    ({"amount_total": 1}, "amount 1 does not match"),
    ({"currency": "USD"}, "currency USD does not match"),
    ({"client_reference_id": "999999"}, "names order 999999"),
])
def test_a_provider_record_that_differs_from_the_order_is_refused_and_audited(client, pending, change, reason):
    order, edition = pending()
    provider_paid(order)
    db.session.execute(sa.update(SandboxCheckout).where(SandboxCheckout.id == order.checkout_session_id)
                       .values(**change))
    db.session.commit()
    obj = SandboxGateway.session_object(order.checkout_session_id)
    response = webhook(client, event("checkout.session.completed", obj, "evt_mismatch"))
    assert response.status_code == 200 and reason in response.json["outcome"]
    assert fresh(order).status == OrderStatus.PENDING and size_counts(edition) == (10, 1, 1)
    entry, = rejections()
    assert reason in entry.reason and entry.target_id == order.public_id


def test_a_refund_event_without_a_payment_intent_touches_no_order(client, pending, app):
    order, edition = pending()
    webhook(client, completed_event(order))
    free_shirt = db.session.scalars(sa.select(Order).where(Order.complimentary)).one()
    charge = {"id": "ch_x", "object": "charge", "payment_intent": None, "amount_refunded": 3000,
              "refunds": {"data": [{"id": "re_x", "amount": 3000}]}}
    response = webhook(client, event("charge.refunded", charge, "evt_no_pi"))
    assert response.status_code == 200 and response.json["outcome"] == "rejected: no payment intent in the event"
    assert db.session.scalars(sa.select(Refund)).all() == []
    assert fresh(free_shirt).status == OrderStatus.PAID and fresh(order).status == OrderStatus.PAID


def test_a_provider_that_cannot_be_asked_gets_the_event_retried(client, pending, monkeypatch):
    from app.shop.payments import PaymentError

    order, _ = pending()
    body = completed_event(order, "evt_retry")

    def down(self, session_id):
        raise PaymentError("connection refused")

    monkeypatch.setattr(SandboxGateway, "retrieve_checkout", down)
    assert webhook(client, body).status_code == 503
    assert fresh(order).status == OrderStatus.PENDING
    monkeypatch.undo()
    assert webhook(client, body).json["outcome"] == "paid"  # Stripe's retry, same event id


# ---------------------------------------------------------------- out of order

def test_a_refund_that_arrives_before_the_payment_is_not_lost(client, pending):
    order, edition = pending(n=2)
    provider_refunded(order, order.total_cents, "dashboard-first")  # paid, then refunded, at the provider
    outcome = webhook(client, refunded_event(order, "evt_refund_first")).json["outcome"]
    assert outcome == "paid, refund booked"
    order = fresh(order)
    assert order.status == OrderStatus.REFUNDED and order.refunded_cents == order.total_cents
    assert sold_units(edition) == [] and royalties_net(edition) == 0
    # The payment event, late: nothing more happens.
    assert webhook(client, completed_event(order, "evt_paid_late")).json["outcome"] == "already handled"
    assert fresh(order).status == OrderStatus.REFUNDED and len(fresh(order).refunds) == 1


def test_a_partial_refund_before_the_payment_leaves_the_order_paid_with_its_refund(client, pending):
    order, edition = pending(n=2)
    provider_refunded(order, 1000, "goodwill")
    webhook(client, refunded_event(order, "evt_refund_first"))
    order = fresh(order)
    assert order.status == OrderStatus.PAID and order.refunded_cents == 1000 and len(sold_units(edition)) == 2


def test_expired_then_completed_is_a_late_payment_honoured_once(client, pending, clock):
    order, edition = pending()
    provider_paid(order)  # paid at the provider in its last second; the events arrive after expiry
    clock.shift(timedelta(minutes=31))
    webhook(client, event("checkout.session.expired", {"id": order.checkout_session_id}, "evt_exp"))
    assert fresh(order).status == OrderStatus.PAID  # the record says paid: the hint "expired" is not believed
    assert len(sold_units(edition)) == 1


# ---------------------------------------------------------------- at once

@pytest.mark.committed
def test_completed_and_async_succeeded_racing_on_an_expired_order_sell_one_shirt(app, pending, clock):
    for attempt in range(5):
        order, edition = pending()
        clock.shift(timedelta(minutes=31))
        shop.release_expired_reservations()
        db.session.commit()
        assert fresh(order).status == OrderStatus.EXPIRED
        events = [completed_event(order, f"evt_c{attempt}"),
                  completed_event(order, f"evt_a{attempt}", kind="checkout.session.async_payment_succeeded")]
        outcomes = sync_in_threads(app, events)
        assert sorted(outcomes) == ["already handled", "late payment honoured"], outcomes
        assert len(sold_units(edition)) == 1 and royalties_net(edition) == edition.round.royalty_cents


@pytest.mark.committed
def test_ten_expired_racing_ten_completed_sell_one_shirt_without_deadlock(app, pending):
    order, edition = pending()
    expired = {"id": order.checkout_session_id, "object": "checkout.session"}
    events = [event("checkout.session.expired", expired, f"evt_e{i}") for i in range(10)]
    events += [completed_event(order, f"evt_c{i}") for i in range(10)]
    outcomes = sync_in_threads(app, events)  # fails on any exception, deadlocks included
    assert outcomes.count("paid") == 1
    assert fresh(order).status == OrderStatus.PAID and len(sold_units(edition)) == 1
    assert size_counts(edition) == (10, 0, 2)
    assert royalties_net(edition) == edition.round.royalty_cents


@pytest.mark.committed
def test_two_partial_refunds_at_once_are_both_booked(app, pending, operator):
    order, _ = pending(n=2)
    handle_event(completed_event(order))
    unit_ids = [u.id for u in fresh(order).units]
    operator_id = order.id and operator.id

    def refund(i):
        from app.accounts.models import User
        return shop.refund_units(db.session.get(Order, order.id), [unit_ids[i]], db.session.get(User, operator_id),
                                 restock=False, reason=f"part {i}").amount_cents

    assert race(app, refund, 2) == [3000, 3000]
    order = fresh(order)
    assert sum(r.amount_cents for r in order.refunds) == order.refunded_cents == 6000
    assert order.status == OrderStatus.REFUNDED


@pytest.mark.committed
def test_identical_full_refunds_at_once_refund_once_and_never_fail(app, pending, operator):
    from tests.fixtures.web import Browser

    order, _ = pending(n=2)
    handle_event(completed_event(order))
    unit_ids = [str(u.id) for u in fresh(order).units]
    page = f"/console/orders/{order.public_id}"
    operators = [Browser(app.test_client()) for _ in range(4)]  # four tabs, all logged in
    tokens = []
    for tab in operators:
        assert tab.login(operator.email).status_code == 302
        tokens.append(tab.token(page))

    def click(i):
        return operators[i].client.post(f"{page}/refund", data={
            "unit": unit_ids, "reason": "lost parcel", "csrf_token": tokens[i]}).status_code

    assert race(app, click, 4, commit=False) == [302] * 4
    order = fresh(order)
    assert len(order.refunds) == 1 and order.refunded_cents == 6000 and order.status == OrderStatus.REFUNDED
    assert len(db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "order.refund")).all()) == 1


def test_a_refund_never_exceeds_what_was_paid(app, pending, operator):
    order, _ = pending(n=2)
    handle_event(completed_event(order))
    provider_refunded(order, 4000, "dashboard")  # most of it refunded at the provider
    handle_event(refunded_event(order, "evt_r"))
    with pytest.raises(shop.ShopError, match="more than was paid"):
        shop.refund_units(fresh(order), [fresh(order).units[0].id], operator, restock=False, reason="x")
    db.session.rollback()
    assert fresh(order).refunded_cents == 4000


@pytest.mark.committed
def test_shipping_clicked_five_times_at_once_ships_once(app, pending, operator, mailbox):
    order, _ = pending()
    handle_event(completed_event(order))
    buyer_email = fresh(order).buyer.email
    mailbox.messages.clear()

    def ship(i):
        from app.accounts.models import User
        return shop.mark_shipped(db.session.get(Order, order.id), db.session.get(User, operator.id), "LA1FR")

    outcomes = race(app, ship, 5, expected=(shop.AlreadyDone,))
    assert outcomes.count(True) == 1 and sum(isinstance(o, shop.AlreadyDone) for o in outcomes) == 4
    assert len(db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "order.ship")).all()) == 1
    assert len(mailbox.to(buyer_email)) == 1
    assert fresh(order).status == OrderStatus.SHIPPED


def test_nul_bytes_in_an_event_are_refused_with_a_2xx_and_change_nothing(client, pending):
    order, edition = pending()
    nul_id = event("checkout.session.completed", {"id": order.checkout_session_id}, "evt_\x00")
    assert webhook(client, nul_id).status_code == 200 and webhook(client, nul_id).json["outcome"] == "ignored: malformed"
    nul_session = event("checkout.session.completed", {"id": order.checkout_session_id + "\x00"}, "evt_nul_session")
    response = webhook(client, nul_session)
    assert response.status_code == 200 and response.json["outcome"].startswith("rejected")
    nul_charge = event("charge.refunded", {"id": "ch_1", "payment_intent": "pi_\x00"}, "evt_nul_charge")
    assert webhook(client, nul_charge).json["outcome"] == "rejected: no payment intent in the event"
    assert fresh(order).status == OrderStatus.PENDING and size_counts(edition) == (10, 1, 1)
