"""Payment events: a webhook is a hint, the payment provider's record is the truth.

Every event (checkout.session.*, charge.*, refund.*, payment_intent.*) is traced back to one of
our orders through the Checkout Session we created for it, never through ids the payload names.
Then `sync_order` fetches that session (with its payment's refunds) from the provider, checks it
against what we created (session id, amount, currency), and, under the order's row lock, moves
the order to the state the record implies. Events may come in any order, any number of times,
at once: each sync only moves forward from where the order is, so the last one to run leaves
the order where the provider's record says, and a repeat changes nothing.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from app.audit.services import record
from app.clock import utcnow
from app.extensions import db
from app.shop import stock
from app.shop.models import Order, OrderItem, OrderStatus, PaymentEvent, Refund, Unit, UnitStatus
from app.shop.notices import mail_buyer
from app.shop.order_states import HOLDS_SOLD_UNITS, OPEN_TO_LATE_PAYMENT, lock_order, move
from app.shop.receipts import receipt
from app.shop.limits import over_limit
from app.shop.reservations import items_of, release
from app.shop.payments import CheckoutRecord, PaymentError, get_gateway
from app.signals import handled, payment_event_received, units_paid, units_refunded
from app.transactions import workflow

S = OrderStatus


@workflow
def handle_event(event: dict) -> str:
    """Act on a verified event once; returns what happened (for logs and tests).
    Raises PaymentError when the provider cannot be asked (the webhook answers 503: retried).

    Owns its transaction, around the call that fetches the provider's record: the event's row is
    its first statement, a duplicate rolls it back, and the event is committed with what it changed,
    or rolled back, unhandled, when the provider could not be asked."""
    event_id, kind = str(event.get("id") or ""), str(event.get("type") or "")
    obj = (event.get("data") or {}).get("object") or {}
    if not event_id or not isinstance(obj, dict) or "\x00" in event_id + kind:
        return "ignored: malformed"  # answered 2xx: a retry would be just as malformed
    # The first statement of the transaction, so a duplicate rolls back nothing else (and no
    # savepoint is needed: pysqlite would commit one opened outside a transaction).
    db.session.add(PaymentEvent(id=event_id[:255], type=kind[:100]))
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return "duplicate"
    try:
        outcome = _dispatch(event_id, kind, obj)
    except PaymentError:
        db.session.rollback()  # the event is not marked handled: the provider's retry will try again
        raise
    db.session.commit()
    return outcome


def _dispatch(event_id: str, kind: str, obj: dict) -> str:
    source = f"{kind} {event_id}"
    other = handled(payment_event_received.send(kind, obj=obj))
    if other is not None:
        return other
    if kind.startswith("checkout.session."):
        session_id = obj.get("id")
    elif kind.startswith(("charge.", "refund.", "payment_intent.")):
        payment_intent = obj.get("id") if kind.startswith("payment_intent.") else obj.get("payment_intent")
        if not isinstance(payment_intent, str) or not payment_intent or "\x00" in payment_intent:
            return reject(None, source, "no payment intent in the event")
        session_id = get_gateway().checkout_of_payment(payment_intent)
    else:
        return "ignored"
    order = None
    if isinstance(session_id, str) and session_id and "\x00" not in session_id:
        order = db.session.scalar(sa.select(Order.id).where(Order.checkout_session_id == session_id))
    if order is None:
        return reject(None, source, "no order of ours has this checkout session")
    db.session.execute(sa.update(PaymentEvent).where(PaymentEvent.id == event_id[:255]).values(order_id=order))
    return sync_order(order, source)


def reject(order: Order | None, source: str, reason: str) -> str:
    """An event that does not match what we created changes nothing; it is kept in the audit log."""
    source = source.replace("\x00", "")
    current_app.logger.warning("payment event rejected (%s): %s", source, reason)
    record(None, "payment.rejected", "order" if order else "payment_event",
           order.public_id if order else source.rsplit(" ", 1)[-1], reason, event=source)
    return f"rejected: {reason}"


def _mismatch(order: Order, found: CheckoutRecord) -> str | None:
    if found.id != order.checkout_session_id:
        return "the provider returned another session"
    if found.client_reference_id not in (None, "", str(order.id)):
        return f"session names order {found.client_reference_id}, not {order.id}"
    if found.amount_total != order.total_cents:
        return f"amount {found.amount_total} does not match the order's {order.total_cents}"
    if found.currency.upper() != order.currency.upper():
        return f"currency {found.currency} does not match the order's {order.currency}"
    return None


def sync_order(order_id: int, source: str = "sync") -> str:
    """Bring one order in line with the provider's record of its checkout; returns what changed."""
    order = db.session.get(Order, order_id)
    if order is None or not order.checkout_session_id:
        return "nothing to sync"
    # Asked before taking the lock (no lock is held across the network). A record older than
    # another sync's cannot move the order back: every step below only goes forward.
    found = get_gateway().retrieve_checkout(order.checkout_session_id)
    if found is None:
        return reject(order, source, "the payment provider does not know this checkout session")
    problem = _mismatch(order, found)
    if problem:
        return reject(order, source, problem)
    order = lock_order(order_id)
    outcomes = []
    if found.paid:
        outcomes.append(_paid(order, found))
    elif found.status == "expired" and order.status == S.PENDING:
        outcomes.append("released" if release(order, S.EXPIRED) else "")
    outcomes.append(book_provider_refunds(order, found))
    return ", ".join(o for o in outcomes if o) or "already handled"


# ---------------------------------------------------------------- paid

def _paid(order: Order, found: CheckoutRecord) -> str:
    shipping = found.shipping or {}
    values = dict(paid_at=utcnow(), payment_intent_id=found.payment_intent,
                  shipping_name=(shipping.get("name") or "")[:200], shipping_address=shipping.get("address") or {})
    items = items_of(order.id)
    if order.status == S.PENDING:
        move(order.id, {S.PENDING}, S.PAID, **values)
        stock.sell_reserved(items)
        outcome = "paid"
    elif order.status in OPEN_TO_LATE_PAYMENT and not order.payment_intent_id:
        # The reservation had ended: sell the shirts again if they are still there and the
        # buyer stays within the per-member limit; otherwise give the money back.
        try:
            with db.session.begin_nested():
                over = over_limit(order.buyer_id, items, exclude_order=order.id)
                if over:
                    raise stock.OutOfStock(over)
                stock.sell_free(items)
        except stock.OutOfStock:
            return _refund_late_payment(order, found, values)
        move(order.id, OPEN_TO_LATE_PAYMENT, S.PAID, closed_at=None, **values)
        outcome = "late payment honoured"
    else:
        return ""  # already paid (or refunded): nothing more to do
    stock.number_units(items, values["paid_at"])
    stock.update_sold_out(i.edition_id for i in items)
    db.session.refresh(order)
    units_paid.send(order)
    mail_buyer(order, "order_confirmed", _l("Your Tirage order is confirmed"), **receipt(order))
    return outcome


def _refund_late_payment(order: Order, found: CheckoutRecord, values: dict) -> str:
    """Give back what the provider has not already given back (a refund may have been made in its
    dashboard meanwhile; those are booked by `book_provider_refunds` right after)."""
    left = order.total_cents - found.refunded_cents
    if left > 0:
        refund_id = get_gateway().refund(found.payment_intent, left, f"late-{order.public_id}")
        if refund_id not in {r.id for r in found.refunds}:
            _add_refund(order.id, left, refund_id, "sold out during payment")
    move(order.id, OPEN_TO_LATE_PAYMENT, S.REFUNDED, refunded_cents=refunded_total(order.id), **values,
         note="Paid after the reservation ended, with no shirts left for it: refunded automatically.")
    db.session.refresh(order)
    mail_buyer(order, "order_refunded_sold_out", _l("Sorry: your size sold out during payment"))
    return "late payment refunded"


# ---------------------------------------------------------------- refunds

def _add_refund(order_id: int, amount: int, refund_id: str, reason: str, **values) -> Refund:
    refund = Refund(order_id=order_id, amount_cents=amount, gateway_refund_id=refund_id, reason=reason, **values)
    db.session.add(refund)
    db.session.flush()
    return refund


def book_provider_refunds(order: Order, found: CheckoutRecord) -> str:
    """Every refund the provider holds for this payment, booked once (by its id); a full refund
    closes the order and takes back the shirts' royalties."""
    known = set(db.session.scalars(sa.select(Refund.gateway_refund_id).where(Refund.order_id == order.id)))
    added = [r for r in found.refunds if r.status in ("succeeded", "pending") and r.id not in known]
    for refund in added:
        _add_refund(order.id, refund.amount, refund.id, "refunded at the payment provider")
    if not added:
        return ""
    total = refunded_total(order.id)
    db.session.execute(sa.update(Order).where(Order.id == order.id).values(refunded_cents=total))
    if total > order.total_cents:
        record(None, "payment.anomaly", "order", order.public_id,
               f"refunds total {total}, more than the {order.total_cents} paid")
    if total >= order.total_cents and order.status in HOLDS_SOLD_UNITS:
        close_as_refunded(order, db.session.scalars(sa.select(Refund).where(Refund.order_id == order.id)
                                                    .order_by(Refund.id.desc())).first())
    db.session.refresh(order)
    return "refund booked"


def refunded_total(order_id: int) -> int:
    return int(db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(Refund.amount_cents), 0))
                                 .where(Refund.order_id == order_id)))


def close_as_refunded(order: Order, refund: Refund | None) -> None:
    """Everything was given back: the shirts still sold are refunded and their royalties reversed."""
    units = sold_units(order.id)
    if units:
        db.session.execute(sa.update(Unit).where(Unit.id.in_([u.id for u in units]), Unit.status == UnitStatus.SOLD)
                           .values(status=UnitStatus.REFUNDED, refunded_at=utcnow())
                           .execution_options(synchronize_session=False))
    move(order.id, HOLDS_SOLD_UNITS, S.REFUNDED)
    db.session.refresh(order)
    for unit in units:
        db.session.refresh(unit)
    units_refunded.send(order, units=units, refund=refund)


# ---------------------------------------------------------------- helpers shared with checkout

def sold_units(order_id: int) -> list[Unit]:
    return db.session.scalars(sa.select(Unit).join(OrderItem, OrderItem.id == Unit.order_item_id).where(
        OrderItem.order_id == order_id, Unit.status == UnitStatus.SOLD).order_by(Unit.serial)).all()
