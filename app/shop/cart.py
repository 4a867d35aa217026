"""The cart: what a member (in the database) or a guest (in the session) means to buy.

Nothing is held here: the checkout reserves. A cart only keeps quantities within the
per-member limit of each edition, counting the shirts the member already has.
"""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app, session
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defaultload

from app.accounts.models import User
from app.designs.models import Design
from app.extensions import db
from app.shop.errors import ShopError
from app.shop.limits import limit_per_member, owned_by_edition
from app.shop.models import CartLine, Edition, OrderItem

# Shop pages show an edition's design but never its tags: they load only if something asks.
WITHOUT_TAGS = defaultload(Edition.design).lazyload(Design.tags)


@dataclass
class CartEntry:
    edition: Edition
    size: str
    quantity: int
    price_seen_cents: int

    @property
    def price_changed(self) -> bool:
        return self.price_seen_cents != self.edition.price_cents

    @property
    def total_cents(self) -> int:
        return self.quantity * self.edition.price_cents


SESSION_KEY = "cart"


def _session_lines() -> list[dict]:
    return list(session.get(SESSION_KEY, []))


def cart_entries(user: User | None) -> list[CartEntry]:
    if user is not None and user.is_authenticated:
        raw = [{"edition": l.edition_id, "size": l.size, "qty": l.quantity, "price": l.price_seen_cents}
               for l in db.session.scalars(sa.select(CartLine).where(CartLine.user_id == user.id).order_by(CartLine.id))]
    else:
        raw = _session_lines()
    if not raw:  # most visitors: no query at all (this runs in the header of every page)
        return []
    editions = {e.id: e for e in db.session.scalars(
        sa.select(Edition).options(WITHOUT_TAGS).where(Edition.id.in_({r["edition"] for r in raw})))}
    return [CartEntry(editions[r["edition"]], r["size"], r["qty"], r["price"]) for r in raw if r["edition"] in editions]


def cart_count(user) -> int:
    """The number of shirts in the cart, for the header of every page: one query at most (a line's
    edition always exists for a member, CASCADE; a guest's lines are checked against what exists)."""
    if user is not None and user.is_authenticated:
        return db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(CartLine.quantity), 0))
                                 .where(CartLine.user_id == user.id))
    raw = _session_lines()
    if not raw:
        return 0
    existing = set(db.session.scalars(sa.select(Edition.id).where(Edition.id.in_({r["edition"] for r in raw}))))
    return sum(r["qty"] for r in raw if r["edition"] in existing)


def set_cart_line(user, edition: Edition, size: str, quantity: int, add: bool = False) -> None:
    """Add to (or set) the quantity of a size in the cart, within the per-member limit."""
    if not edition.is_buyable:
        raise ShopError(_l("This edition is not on sale."))
    line = edition.size(size)
    if line is None or line.quantity == 0:
        raise ShopError(_l("This size does not exist in this edition."))
    limit = limit_per_member()
    entries = cart_entries(user)
    if user is not None and user.is_authenticated:
        limit -= owned_by_edition(user.id).get(edition.id, 0)
    current = next((e.quantity for e in entries if e.edition.id == edition.id and e.size == size), 0)
    others = sum(e.quantity for e in entries if e.edition.id == edition.id and e.size != size)
    quantity = current + quantity if add else quantity
    if quantity < 0:
        raise ShopError(_l("Choose a quantity of at least 1."))
    if quantity + others > limit:
        raise ShopError(_l("%(n)d shirts of one edition per member at most, counting the ones you already have.",
                           n=limit_per_member()))
    if quantity > line.available:
        raise ShopError(_l("Only %(n)d left in %(size)s.", n=line.available, size=size))
    if user is not None and user.is_authenticated:
        existing = db.session.scalar(sa.select(CartLine).where(
            CartLine.user_id == user.id, CartLine.edition_id == edition.id, CartLine.size == size))
        if quantity == 0:
            if existing is not None:
                db.session.delete(existing)
        elif existing is None:
            db.session.add(CartLine(user_id=user.id, edition_id=edition.id, size=size, quantity=quantity,
                                    price_seen_cents=edition.price_cents))
        else:
            existing.quantity, existing.price_seen_cents = quantity, edition.price_cents
        return
    lines = [l for l in _session_lines() if not (l["edition"] == edition.id and l["size"] == size)]
    if quantity:
        lines.append({"edition": edition.id, "size": size, "qty": quantity, "price": edition.price_cents})
    session[SESSION_KEY] = lines


def remove_cart_line(user, edition_id: int, size: str) -> None:
    if user is not None and user.is_authenticated:
        db.session.execute(sa.delete(CartLine).where(
            CartLine.user_id == user.id, CartLine.edition_id == edition_id, CartLine.size == size))
    else:
        session[SESSION_KEY] = [l for l in _session_lines() if not (l["edition"] == edition_id and l["size"] == size)]


def attach_session_cart(user: User) -> None:
    """After logging in, a guest's cart joins the member's (quantities within the limits)."""
    lines = _session_lines()
    if not lines:
        return
    limit = limit_per_member()
    for raw in lines:
        existing = db.session.scalar(sa.select(CartLine).where(
            CartLine.user_id == user.id, CartLine.edition_id == raw["edition"], CartLine.size == raw["size"]))
        if existing is None:
            db.session.add(CartLine(user_id=user.id, edition_id=raw["edition"], size=raw["size"],
                                    quantity=min(raw["qty"], limit), price_seen_cents=raw["price"]))
        else:
            existing.quantity = min(limit, max(existing.quantity, raw["qty"]))
    session.pop(SESSION_KEY, None)




def return_to_cart(user_id: int, items: list[OrderItem]) -> None:
    """A checkout that ended unpaid gives its lines back to the cart (within the limit)."""
    limit = limit_per_member()
    for item in items:
        for _ in range(2):  # a concurrent add may create the line first: then update it
            existing = db.session.scalar(sa.select(CartLine).where(
                CartLine.user_id == user_id, CartLine.edition_id == item.edition_id, CartLine.size == item.size))
            if existing is not None:
                existing.quantity = min(limit, existing.quantity + item.quantity)
                break
            try:
                with db.session.begin_nested():
                    db.session.add(CartLine(user_id=user_id, edition_id=item.edition_id, size=item.size,
                                            quantity=min(limit, item.quantity), price_seen_cents=item.unit_price_cents))
                break
            except IntegrityError:
                continue


def empty_cart(user_id: int) -> None:
    db.session.execute(sa.delete(CartLine).where(CartLine.user_id == user_id))
