"""The per-member limit: no member holds more than MAX_PER_EDITION_PER_ORDER shirts of one
edition, across every cart, pending checkout and paid order of theirs."""
from __future__ import annotations

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.shop.models import Order, OrderItem, OrderStatus, Unit, UnitStatus

S = OrderStatus


def limit_per_member() -> int:
    return current_app.config["MAX_PER_EDITION_PER_ORDER"]


def owned_by_edition(buyer_id: int, exclude_order: int | None = None) -> dict[int, int]:
    """Shirts a member holds per edition: sold to them and not refunded, plus those held by
    their checkouts still pending (the designer's free shirt does not count)."""
    sold = (sa.select(Unit.edition_id, sa.func.count().label("n"))
            .join(OrderItem, OrderItem.id == Unit.order_item_id).join(Order, Order.id == OrderItem.order_id)
            .where(Order.buyer_id == buyer_id, ~Order.complimentary, Unit.status == UnitStatus.SOLD,
                   Order.id != (exclude_order or 0))
            .group_by(Unit.edition_id))
    held = (sa.select(OrderItem.edition_id, sa.func.sum(OrderItem.quantity).label("n"))
            .join(Order, Order.id == OrderItem.order_id)
            .where(Order.buyer_id == buyer_id, Order.status == S.PENDING, Order.id != (exclude_order or 0))
            .group_by(OrderItem.edition_id))
    owned: dict[int, int] = {}
    for edition_id, n in [*db.session.execute(sold), *db.session.execute(held)]:
        owned[edition_id] = owned.get(edition_id, 0) + int(n)
    return owned


def over_limit(buyer_id: int, items, exclude_order: int | None = None) -> str | None:
    """The first edition where these items would take the member past the per-member limit."""
    limit = limit_per_member()
    owned = owned_by_edition(buyer_id, exclude_order)
    wanted: dict[int, int] = {}
    for item in items:
        wanted[item.edition_id] = wanted.get(item.edition_id, 0) + item.quantity
    return next((str(e) for e, n in wanted.items() if owned.get(e, 0) + n > limit), None)
