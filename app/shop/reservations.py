"""Reservations: a checkout holds its shirts until paid, or until it expires or is cancelled."""
from __future__ import annotations

import sqlalchemy as sa

from app.clock import utcnow
from app.extensions import db
from app.shop import stock
from app.shop.cart import return_to_cart
from app.shop.models import Order, OrderItem, OrderStatus
from app.shop.order_states import move

S = OrderStatus


def items_of(order_id: int) -> list[OrderItem]:
    return db.session.scalars(sa.select(OrderItem).where(OrderItem.order_id == order_id)
                              .order_by(OrderItem.id).execution_options(populate_existing=True)).all()


def release(order: Order, status: OrderStatus) -> bool:
    """A pending order's shirts go back on sale (expired or cancelled) and back into the
    buyer's cart, once. The caller holds the order's lock, or is the tick (which skips
    orders another transaction holds)."""
    if not move(order.id, {S.PENDING}, status, closed_at=utcnow()):
        return False
    items = items_of(order.id)
    stock.release(items)
    return_to_cart(order.buyer_id, items)
    return True


def release_expired_reservations() -> int:
    """Pending orders past their reservation give their shirts back. Orders another transaction
    is deciding right now (a payment arriving) are skipped: the next tick sees them."""
    expired = db.session.scalars(sa.select(Order).where(
        Order.status == S.PENDING, Order.reserved_until < utcnow()).order_by(Order.id)
        .with_for_update(skip_locked=True, of=Order)).all()
    return sum(release(order, S.EXPIRED) for order in expired)
