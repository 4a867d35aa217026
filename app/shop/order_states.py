"""An order's life, in one place: which status may follow which, and the one way to move.

    pending ──paid in time──▶ paid ──shipped──▶ shipped
       │                       │                  │
       ├─expired / cancelled   └──fully refunded──┴──▶ refunded
       ▼                                               ▲
    expired, cancelled ──paid late, shirts left──▶ paid │
                       ──paid late, sold out: refunded──┘

Every move is a conditional UPDATE ("... WHERE status IN (allowed sources)") made while the
order's row is locked (`lock_order`), so of two events, clicks or workers deciding one order,
one moves it and the other sees the result: a repeat is a no-op, never a second effect.
"""
from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.locking import lock
from app.shop.models import Order, OrderStatus

S = OrderStatus

TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.PENDING: frozenset({S.PAID, S.EXPIRED, S.CANCELLED}),
    S.EXPIRED: frozenset({S.PAID, S.REFUNDED}),    # a late payment: honoured, or refunded
    S.CANCELLED: frozenset({S.PAID, S.REFUNDED}),
    S.PAID: frozenset({S.SHIPPED, S.REFUNDED}),
    S.SHIPPED: frozenset({S.REFUNDED}),
    S.REFUNDED: frozenset(),
}

# A payment may still arrive for these (the buyer was on the payment page when it ended).
OPEN_TO_LATE_PAYMENT = frozenset({S.EXPIRED, S.CANCELLED})
# Units were sold: the order can be shipped or refunded.
HOLDS_SOLD_UNITS = frozenset({S.PAID, S.SHIPPED})


def can_move(source: OrderStatus, target: OrderStatus) -> bool:
    return target in TRANSITIONS[source]


def move(order_id: int, sources: set[OrderStatus] | frozenset[OrderStatus], target: OrderStatus, **values) -> bool:
    """Move the order from one of `sources` to `target`; False (and nothing written) if it was
    elsewhere. Asking for a move the table forbids is a programming error."""
    forbidden = [s for s in sources if not can_move(s, target)]
    if forbidden:
        raise ValueError(f"an order cannot go from {forbidden[0].value} to {target.value}")
    updated = db.session.execute(
        sa.update(Order).where(Order.id == order_id, Order.status.in_(list(sources)))
        .values(status=target, **values).execution_options(synchronize_session=False)).rowcount
    return bool(updated)


def lock_order(order_id: int) -> Order | None:
    """The order, freshly read and locked until the transaction ends."""
    return lock(Order, Order.id == order_id)
