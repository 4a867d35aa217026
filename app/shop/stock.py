"""Stock: how many shirts of each size are free, held or sold, and which serial each sold shirt gets.

Counts live in `edition_sizes` and only ever change by conditional UPDATEs ("... WHERE
quantity - reserved - sold >= n"), so the database, not Python, decides who gets the last
shirt; a CHECK constraint backs it up. Sizes are always touched in (edition, size) order, so
two transactions moving the same sizes cannot deadlock.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa

from app.clock import utcnow
from app.extensions import db
from app.shop.models import Edition, EditionSize, EditionStatus, Order, OrderItem, OrderStatus, Unit, UnitStatus


class OutOfStock(Exception):
    """Not enough free shirts of a size (the caller rolls back what it took)."""


def _in_order(items: Iterable[OrderItem]) -> list[OrderItem]:
    return sorted(items, key=lambda item: (item.edition_id, item.size, item.id or 0))


def _size(edition_id: int, size: str):
    return (EditionSize.edition_id == edition_id, EditionSize.size == size)


FREE = EditionSize.quantity - EditionSize.reserved - EditionSize.sold


def reserve(edition_id: int, size: str, quantity: int) -> bool:
    """Hold `quantity` free shirts for a checkout; False when fewer are free."""
    return bool(db.session.execute(
        sa.update(EditionSize).where(*_size(edition_id, size), FREE >= quantity)
        .values(reserved=EditionSize.reserved + quantity)).rowcount)


def free_count(edition_id: int, size: str) -> int:
    return max(db.session.scalar(sa.select(FREE).where(*_size(edition_id, size))) or 0, 0)


def release(items: Iterable[OrderItem]) -> None:
    """Give held shirts back (a checkout expired or was cancelled)."""
    for item in _in_order(items):
        db.session.execute(sa.update(EditionSize).where(*_size(item.edition_id, item.size),
                                                        EditionSize.reserved >= item.quantity)
                           .values(reserved=EditionSize.reserved - item.quantity))


def sell_reserved(items: Iterable[OrderItem]) -> None:
    """Held shirts become sold (the payment arrived in time)."""
    for item in _in_order(items):
        moved = db.session.execute(sa.update(EditionSize).where(
            *_size(item.edition_id, item.size), EditionSize.reserved >= item.quantity).values(
            reserved=EditionSize.reserved - item.quantity, sold=EditionSize.sold + item.quantity)).rowcount
        if not moved:  # cannot happen while the order's lock is held: the reservation was ours
            raise RuntimeError(f"reservation of order item {item.id} missing")


def sell_free(items: Iterable[OrderItem]) -> None:
    """Free shirts become sold (a payment that arrived after its reservation ended); OutOfStock if not."""
    for item in _in_order(items):
        taken = db.session.execute(sa.update(EditionSize).where(*_size(item.edition_id, item.size),
                                                                FREE >= item.quantity)
                                   .values(sold=EditionSize.sold + item.quantity)).rowcount
        if not taken:
            raise OutOfStock(item.size)


def unsell(edition_id: int, size: str, count: int) -> None:
    """Refunded shirts put back on sale."""
    db.session.execute(sa.update(EditionSize).where(*_size(edition_id, size), EditionSize.sold >= count)
                       .values(sold=EditionSize.sold - count))


def number_units(items: Iterable[OrderItem], now: datetime | None = None) -> None:
    """Give each sold shirt the lowest free serial of its edition (row locks keep buyers apart)."""
    now = now or utcnow()
    for item in _in_order(items):
        ids = db.session.scalars(
            sa.select(Unit.id).where(Unit.edition_id == item.edition_id, Unit.status == UnitStatus.AVAILABLE)
            .order_by(Unit.serial).limit(item.quantity).with_for_update(skip_locked=True)).all()
        if len(ids) != item.quantity:
            raise RuntimeError(f"edition {item.edition_id} has no free serial left")
        db.session.execute(sa.update(Unit).where(Unit.id.in_(ids)).values(
            status=UnitStatus.SOLD, size=item.size, order_item_id=item.id, sold_at=now)
            .execution_options(synchronize_session=False))


def update_sold_out(edition_ids: Iterable[int]) -> None:
    """An edition with nothing left to sell is sold out; one that got shirts back is on sale again."""
    for edition_id in sorted(set(edition_ids)):
        free, unsold = db.session.execute(
            sa.select(sa.func.sum(FREE), sa.func.sum(EditionSize.quantity - EditionSize.sold))
            .where(EditionSize.edition_id == edition_id)).one()
        if unsold == 0:
            db.session.execute(sa.update(Edition).where(Edition.id == edition_id, Edition.status == EditionStatus.ON_SALE)
                               .values(status=EditionStatus.SOLD_OUT, sold_out_at=utcnow()))
        elif free and free > 0:
            db.session.execute(sa.update(Edition).where(Edition.id == edition_id,
                                                        Edition.status == EditionStatus.SOLD_OUT)
                               .values(status=EditionStatus.ON_SALE, sold_out_at=None))


def units_sold_by_edition(edition_ids: list[int]) -> dict[int, int]:
    """How many shirts of each edition are sold (not refunded, not the designer's No. 1)."""
    if not edition_ids:
        return {}
    rows = db.session.execute(sa.select(Unit.edition_id, sa.func.count()).where(
        Unit.edition_id.in_(edition_ids), Unit.status == UnitStatus.SOLD).group_by(Unit.edition_id))
    return dict(rows.all())


# What an edition's page shows of its stock and sale, read in one statement: the edition's status,
# price, colour and date, each size's counts, and whether a reservation anywhere has lapsed (the page
# releases lapsed ones before it shows the stock).
_SHOWN = (
    sa.select(Edition.status, Edition.price_cents, Edition.shirt_colour, Edition.ship_date,
              EditionSize.size, EditionSize.quantity, EditionSize.reserved, EditionSize.sold,
              sa.exists().where(Order.status == OrderStatus.PENDING,
                                Order.reserved_until < sa.bindparam("now")).label("lapsed"))
    .join(EditionSize, EditionSize.edition_id == Edition.id)
    .where(Edition.id == sa.bindparam("edition_id"))
    .order_by(EditionSize.size)
)


def shown_state(edition_id: int) -> str:
    """A fingerprint of what an edition's page shows of its stock: it changes whenever those
    lines may read differently (the day is added by the caller, for the ship date's wording)."""
    rows = db.session.execute(_SHOWN, {"edition_id": edition_id, "now": utcnow()}).all()
    return repr([tuple(row) for row in rows])
