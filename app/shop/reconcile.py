"""`flask shop reconcile`: every order against the payment provider's record of its checkout."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa

from app.clock import utcnow
from app.extensions import db
from app.shop.models import Order, OrderStatus, Refund
from app.shop.payments import PaymentError, get_gateway
from app.transactions import workflow

S = OrderStatus


@dataclass(frozen=True)
class Difference:
    order: Order
    what: str

    def __str__(self) -> str:
        return f"order {self.order.public_id} ({self.order.status.value}): {self.what}"


def differences(order: Order) -> list[str]:
    """What the shop believes of this order that the provider's record contradicts."""
    try:
        found = get_gateway().retrieve_checkout(order.checkout_session_id)
    except PaymentError as exc:
        return [f"the payment provider could not be asked: {exc}"]
    if found is None:
        return ["the payment provider does not know its checkout session"]
    found_diffs = []
    if found.amount_total != order.total_cents or found.currency.upper() != order.currency.upper():
        found_diffs.append(f"provider charged {found.amount_total} {found.currency}, "
                           f"the order is {order.total_cents} {order.currency}")
    if found.paid and order.status not in (S.PAID, S.SHIPPED, S.REFUNDED):
        found_diffs.append("paid at the provider, not on our side")
    if not found.paid and (order.status in (S.PAID, S.SHIPPED) or order.payment_intent_id):
        found_diffs.append("marked paid here, unpaid at the provider")
    if found.paid and order.payment_intent_id and found.payment_intent != order.payment_intent_id:
        found_diffs.append(f"payment {order.payment_intent_id} here, {found.payment_intent} at the provider")
    ours = {r.gateway_refund_id: r.amount_cents for r in
            db.session.scalars(sa.select(Refund).where(Refund.order_id == order.id))}
    theirs = {r.id: r.amount for r in found.refunds if r.status in ("succeeded", "pending")}
    if ours != theirs:
        found_diffs.append(f"refunds here {_cents(ours)}, at the provider {_cents(theirs)}")
    elif sum(ours.values()) != order.refunded_cents:
        found_diffs.append(f"refunded_cents {order.refunded_cents} but refunds total {sum(ours.values())}")
    if found.status == "expired" and order.status == S.PENDING:
        found_diffs.append("expired at the provider, still holding shirts here")
    return found_diffs


def _cents(refunds: dict[str, int]) -> str:
    return f"{sum(refunds.values())} cents in {len(refunds)}"


def orders_to_check(days: int | None):
    stmt = sa.select(Order).where(Order.checkout_session_id.is_not(None), ~Order.complimentary).order_by(Order.id)
    if days:
        stmt = stmt.where(Order.created_at >= utcnow() - timedelta(days=days))
    return db.session.scalars(stmt).all()


@workflow
def reconcile(days: int | None = None, repair: bool = False) -> tuple[int, list[Difference], list[Difference]]:
    """(orders checked, differences found, differences left after repairing). Repairing applies
    the provider's record to the order, as a webhook would.

    Commits each repaired order, once the provider's record is applied: a run stopped half-way, or
    an order the provider cannot be asked about, leaves the orders repaired before it repaired."""
    from app.shop.payment_events import sync_order

    found, left, checked = [], [], 0
    for order in orders_to_check(days):
        checked += 1
        diffs = differences(order)
        found += [Difference(order, d) for d in diffs]
        if diffs and repair:
            sync_order(order.id, "flask shop reconcile --repair")
            db.session.commit()
            db.session.refresh(order)
            diffs = differences(order)
        left += [Difference(order, d) for d in diffs]
    return checked, found, left
