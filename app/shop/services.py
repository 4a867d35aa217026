"""Shop rules: editions, the cart, reservations, payment events, serial numbers, refunds, shipping.

Stock lives in `edition_sizes` and is only ever changed by conditional UPDATEs
("... WHERE quantity - reserved - sold >= n"), so the database, not Python, decides who gets
the last shirt; a CHECK constraint backs it up.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app, session, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defaultload, lazyload

from app.accounts.models import User
from app.audit.services import record
from app.clock import utcnow
from app.designs.models import Design
from app.extensions import db
from app.mail import send_mail
from app.money import format_money
from app.rounds.models import SIZES, Round, RoundResult, RoundStatus
from app.shop.models import (
    CartLine,
    Edition,
    EditionSize,
    EditionStatus,
    Order,
    OrderItem,
    OrderStatus,
    PaymentEvent,
    Refund,
    Unit,
    UnitStatus,
)
from app.shop.payments import CheckoutLine, CheckoutRequest, PaymentError, SandboxGateway, get_gateway

# When nobody said "I'd buy it", a typical T-shirt size curve.
DEFAULT_SPLIT = {"XS": 4, "S": 16, "M": 30, "L": 28, "XL": 16, "XXL": 6}


# Shop pages show an edition's design but never its tags: they load only if something asks.
WITHOUT_TAGS = defaultload(Edition.design).lazyload(Design.tags)


class ShopError(Exception):
    """A rule was broken; the message is safe to show."""


# ---------------------------------------------------------------- editions

def suggest_edition(result: RoundResult | None) -> dict:
    """Size and split from the round's "I'd buy it" votes, with the reasoning shown to the operator."""
    config = current_app.config
    multiplier, low, high = (config["EDITION_SUGGEST_MULTIPLIER"], config["EDITION_MIN_SIZE"],
                             config["EDITION_MAX_SIZE"])
    intents = {size: int(n) for size, n in (result.buy_by_size if result else {}).items() if size in SIZES}
    wanted = sum(intents.values())
    raw = wanted * multiplier
    total = max(low, min(high, raw))
    weights = intents if wanted else DEFAULT_SPLIT
    split = _split(total, weights)
    return {
        "total": total, "split": split, "intents": intents, "multiplier": multiplier, "raw": raw,
        "min": low, "max": high, "from_votes": bool(wanted),
    }


def _split(total: int, weights: dict[str, int]) -> dict[str, int]:
    """Share `total` across sizes in proportion to `weights` (largest remainders), summing exactly."""
    weight_sum = sum(weights.get(s, 0) for s in SIZES) or 1
    exact = {s: total * weights.get(s, 0) / weight_sum for s in SIZES}
    split = {s: int(exact[s]) for s in SIZES}
    for size in sorted(SIZES, key=lambda s: exact[s] - split[s], reverse=True)[: total - sum(split.values())]:
        split[size] += 1
    return split


def draft_edition(round_: Round, result: RoundResult, operator: User | None) -> Edition:
    """The edition of a confirmed winner, drafted from the suggestion (once per design)."""
    existing = db.session.scalar(sa.select(Edition).where(Edition.design_id == result.design_id))
    if existing is not None:
        return existing
    suggestion = suggest_edition(result)
    edition = Edition(
        design_id=result.design_id, round_id=round_.id, status=EditionStatus.DRAFT,
        price_cents=current_app.config["DEFAULT_PRICE_CENTS"], shirt_colour=result.design.shirt_colour,
        designer_size="M", suggestion=suggestion,
        sizes=[EditionSize(size=s, position=i, quantity=suggestion["split"][s]) for i, s in enumerate(SIZES)],
    )
    db.session.add(edition)
    db.session.flush()
    record(operator, "edition.draft", "edition", edition.id, "", design_id=result.design_id)
    return edition


def update_edition(edition: Edition, operator: User, quantities: dict[str, int], price_cents: int,
                   shirt_colour: str, ship_date: date | None, designer_size: str) -> None:
    """Drafts change freely; on sale, the price and date may change and sizes may only shrink."""
    if edition.status not in (EditionStatus.DRAFT, EditionStatus.ON_SALE):
        raise ShopError(_l("This edition can no longer change."))
    if price_cents <= 0:
        raise ShopError(_l("The price must be above zero."))
    if shirt_colour not in current_app.config["SHIRT_COLOURS"]:
        raise ShopError(_l("Choose a shirt colour from the list."))
    if any(q < 0 for q in quantities.values()) or sum(quantities.values()) < 1:
        raise ShopError(_l("An edition needs at least one shirt."))
    on_sale = edition.status == EditionStatus.ON_SALE
    if on_sale:
        for line in edition.sizes:
            wanted = quantities.get(line.size, line.quantity)
            if wanted > line.quantity:
                raise ShopError(_l("A limited edition never grows once on sale (%(size)s: %(n)d at most).",
                                   size=line.size, n=line.quantity))
            if wanted < line.reserved + line.sold:
                raise ShopError(_l("%(size)s already has %(n)d shirts sold or reserved.",
                                   size=line.size, n=line.reserved + line.sold))
        _shrink_on_sale(edition, quantities)
    else:
        for line in edition.sizes:
            line.quantity = quantities.get(line.size, 0)
        edition.shirt_colour = shirt_colour
        edition.designer_size = designer_size
    edition.price_cents = price_cents
    edition.ship_date = ship_date
    record(operator, "edition.edit", "edition", edition.id, "", price_cents=price_cents,
           quantities=quantities, ship_date=ship_date.isoformat() if ship_date else None)


def _shrink_on_sale(edition: Edition, quantities: dict[str, int]) -> None:
    """Remove unsold serials from the top, so numbers stay 1..size with no gaps above."""
    removed = 0
    for line in edition.sizes:
        wanted = quantities.get(line.size, line.quantity)
        delta = line.quantity - wanted
        if delta:
            updated = db.session.execute(
                sa.update(EditionSize).where(EditionSize.id == line.id,
                                             EditionSize.quantity - EditionSize.reserved - EditionSize.sold >= delta)
                .values(quantity=EditionSize.quantity - delta)).rowcount
            if not updated:
                raise ShopError(_l("%(size)s sold meanwhile; reload and try again.", size=line.size))
            removed += delta
    if removed:
        top = db.session.scalars(
            sa.select(Unit.id).where(Unit.edition_id == edition.id, Unit.status == UnitStatus.AVAILABLE)
            .order_by(Unit.serial.desc()).limit(removed)).all()
        db.session.execute(sa.delete(Unit).where(Unit.id.in_(top)))
        _renumber(edition)
    db.session.expire(edition)


def _renumber(edition: Edition) -> None:
    """After shrinking, available units may sit above the new size: move them into the gaps."""
    total = db.session.scalar(sa.select(sa.func.sum(EditionSize.quantity)).where(EditionSize.edition_id == edition.id))
    taken = set(db.session.scalars(sa.select(Unit.serial).where(Unit.edition_id == edition.id)))
    gaps = iter(sorted(set(range(1, total + 1)) - taken))
    for unit in db.session.scalars(sa.select(Unit).where(Unit.edition_id == edition.id, Unit.serial > total,
                                                        Unit.status == UnitStatus.AVAILABLE)):
        unit.serial = next(gaps)


def open_edition(edition: Edition, operator: User) -> None:
    """On sale: every serial is created now, and No. 1 is set aside for the designer."""
    if edition.status != EditionStatus.DRAFT:
        raise ShopError(_l("Only a draft edition can go on sale."))
    if edition.ship_date is None:
        raise ShopError(_l("Set the expected ship date first."))
    comp = edition.size(edition.designer_size)
    if comp is None or comp.quantity < 1:
        raise ShopError(_l("The designer's size must have at least one shirt."))
    now = utcnow()
    edition.status, edition.on_sale_at = EditionStatus.ON_SALE, now
    db.session.add_all(Unit(edition_id=edition.id, serial=n) for n in range(1, edition.total + 1))
    db.session.flush()
    db.session.execute(sa.update(Unit).where(Unit.edition_id == edition.id, Unit.serial == 1).values(
        status=UnitStatus.COMPLIMENTARY, size=edition.designer_size, sold_at=now))
    db.session.execute(sa.update(EditionSize).where(EditionSize.id == comp.id).values(sold=EditionSize.sold + 1))
    db.session.expire(edition)
    record(operator, "edition.open", "edition", edition.id)
    for hook in current_app.extensions.get("tirage.on_edition_opened", []):
        hook(edition, operator)


def close_edition(edition: Edition, operator: User, reason: str) -> None:
    if edition.status not in (EditionStatus.ON_SALE, EditionStatus.SOLD_OUT):
        raise ShopError(_l("Only an edition on sale can be closed."))
    edition.status, edition.closed_at = EditionStatus.CLOSED, utcnow()
    record(operator, "edition.close", "edition", edition.id, reason)


def _update_sold_out(edition_id: int) -> None:
    left = db.session.scalar(sa.select(sa.func.sum(EditionSize.quantity - EditionSize.reserved - EditionSize.sold))
                             .where(EditionSize.edition_id == edition_id))
    sold = db.session.scalar(sa.select(sa.func.sum(EditionSize.quantity - EditionSize.sold))
                             .where(EditionSize.edition_id == edition_id))
    if sold == 0:
        db.session.execute(sa.update(Edition).where(Edition.id == edition_id, Edition.status == EditionStatus.ON_SALE)
                           .values(status=EditionStatus.SOLD_OUT, sold_out_at=utcnow()))
    elif left and left > 0:
        db.session.execute(sa.update(Edition).where(Edition.id == edition_id, Edition.status == EditionStatus.SOLD_OUT)
                           .values(status=EditionStatus.ON_SALE, sold_out_at=None))


def edition_is_public(edition: Edition) -> bool:
    """A draft edition reveals its round's winner: nobody but operators sees it before publication."""
    return edition.status != EditionStatus.DRAFT or edition.round.status == RoundStatus.PUBLISHED


def public_edition_of(design) -> Edition | None:
    """The edition a winning design became, once visitors may know it won."""
    edition = db.session.scalar(sa.select(Edition).where(Edition.design_id == design.id))
    return edition if edition is not None and edition_is_public(edition) else None


def shop_editions() -> dict[str, list[Edition]]:
    editions = db.session.scalars(sa.select(Edition).options(WITHOUT_TAGS)
                                  .order_by(Edition.on_sale_at.desc(), Edition.id.desc())).all()
    grouped = {"on_sale": [], "upcoming": [], "sold_out": []}
    for edition in editions:
        if not edition_is_public(edition):
            continue
        key = {EditionStatus.ON_SALE: "on_sale", EditionStatus.DRAFT: "upcoming"}.get(edition.status, "sold_out")
        grouped[key].append(edition)
    return grouped


def print_sheet(edition: Edition) -> list[dict]:
    """Units to print, per size: how many and which serials (sold and complimentary)."""
    rows = db.session.execute(
        sa.select(Unit.size, Unit.serial, Unit.status).where(
            Unit.edition_id == edition.id, Unit.status.in_([UnitStatus.SOLD, UnitStatus.COMPLIMENTARY]))
        .order_by(Unit.serial)).all()
    sheet = []
    for size in SIZES:
        serials = [serial for s, serial, _ in rows if s == size]
        sheet.append({"size": size, "count": len(serials), "serials": serials})
    return sheet


def print_sheet_csv(edition: Edition) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["size", "count", "serials"])
    for row in print_sheet(edition):
        writer.writerow([row["size"], row["count"], " ".join(f"{s:03d}" for s in row["serials"])])
    return out.getvalue()


def serial_label(unit: Unit, edition: Edition) -> str:
    width = max(3, len(str(edition.total)))
    return f"No. {unit.serial:0{width}d}/{edition.total}"


# ---------------------------------------------------------------- cart

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
    return sum(entry.quantity for entry in cart_entries(user))


def set_cart_line(user, edition: Edition, size: str, quantity: int, add: bool = False) -> None:
    """Add to (or set) the quantity of a size in the cart, within the per-order limit."""
    if not edition.is_buyable:
        raise ShopError(_l("This edition is not on sale."))
    if release_expired_reservations():
        db.session.refresh(edition)
    line = edition.size(size)
    if line is None or line.quantity == 0:
        raise ShopError(_l("This size does not exist in this edition."))
    limit = current_app.config["MAX_PER_EDITION_PER_ORDER"]
    entries = cart_entries(user)
    current = next((e.quantity for e in entries if e.edition.id == edition.id and e.size == size), 0)
    others = sum(e.quantity for e in entries if e.edition.id == edition.id and e.size != size)
    quantity = current + quantity if add else quantity
    if quantity < 0:
        raise ShopError(_l("Choose a quantity of at least 1."))
    if quantity + others > limit:
        raise ShopError(_l("%(n)d shirts of one edition per order at most.", n=limit))
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
    limit = current_app.config["MAX_PER_EDITION_PER_ORDER"]
    for raw in lines:
        existing = db.session.scalar(sa.select(CartLine).where(
            CartLine.user_id == user.id, CartLine.edition_id == raw["edition"], CartLine.size == raw["size"]))
        if existing is None:
            db.session.add(CartLine(user_id=user.id, edition_id=raw["edition"], size=raw["size"],
                                    quantity=min(raw["qty"], limit), price_seen_cents=raw["price"]))
        else:
            existing.quantity = min(limit, max(existing.quantity, raw["qty"]))
    session.pop(SESSION_KEY, None)
    db.session.commit()


# ---------------------------------------------------------------- reservations and checkout

def _reserve(edition_id: int, size: str, quantity: int) -> bool:
    return bool(db.session.execute(
        sa.update(EditionSize)
        .where(EditionSize.edition_id == edition_id, EditionSize.size == size,
               EditionSize.quantity - EditionSize.reserved - EditionSize.sold >= quantity)
        .values(reserved=EditionSize.reserved + quantity)
    ).rowcount)


def start_checkout(buyer: User) -> Order:
    """Create the order, reserve its units, and open the payment page: all or nothing."""
    entries = cart_entries(buyer)
    if not entries:
        raise ShopError(_l("Your cart is empty."))
    changed = [e for e in entries if e.price_changed]
    if changed:
        for entry in changed:  # the buyer has now seen the new price
            db.session.execute(sa.update(CartLine).where(
                CartLine.user_id == buyer.id, CartLine.edition_id == entry.edition.id).values(
                price_seen_cents=entry.edition.price_cents))
        db.session.commit()
        raise ShopError(_l("The price of “%(title)s” changed from %(old)s to %(new)s. Check your cart and confirm again.",
                           title=changed[0].edition.design.title, old=format_money(changed[0].price_seen_cents),
                           new=format_money(changed[0].edition.price_cents)))
    limit = current_app.config["MAX_PER_EDITION_PER_ORDER"]
    per_edition: dict[int, int] = {}
    for entry in entries:
        if not entry.edition.is_buyable:
            raise ShopError(_l("“%(title)s” is no longer on sale.", title=entry.edition.design.title))
        per_edition[entry.edition.id] = per_edition.get(entry.edition.id, 0) + entry.quantity
    if any(n > limit for n in per_edition.values()):
        raise ShopError(_l("%(n)d shirts of one edition per order at most.", n=limit))

    release_expired_reservations()
    now = utcnow()
    minutes = current_app.config["RESERVATION_MINUTES"]
    order = Order(buyer_id=buyer.id, status=OrderStatus.PENDING, currency=current_app.config["CURRENCY"],
                  total_cents=sum(e.total_cents for e in entries), reserved_until=now + timedelta(minutes=minutes))
    for entry in entries:
        if not _reserve(entry.edition.id, entry.size, entry.quantity):
            db.session.rollback()
            left = db.session.scalar(sa.select(EditionSize.quantity - EditionSize.reserved - EditionSize.sold).where(
                EditionSize.edition_id == entry.edition.id, EditionSize.size == entry.size))
            raise ShopError(_l("Only %(n)d left in %(size)s of “%(title)s”: adjust your cart.",
                               n=max(left or 0, 0), size=entry.size, title=entry.edition.design.title))
        order.items.append(OrderItem(edition_id=entry.edition.id, size=entry.size, quantity=entry.quantity,
                                     unit_price_cents=entry.edition.price_cents))
    db.session.add(order)
    db.session.flush()
    request = CheckoutRequest(
        order_public_id=order.public_id, order_id=order.id, currency=order.currency, email=buyer.email,
        lines=[CheckoutLine(name=f"{i.edition.design.title} — {i.size}",
                            description=str(_l("Limited edition T-shirt, numbered")),
                            unit_amount_cents=i.unit_price_cents, quantity=i.quantity) for i in order.items],
        expires_at=int(max(order.reserved_until, now + timedelta(minutes=30)).timestamp()),
        success_url=url_for("shop.order_success", public_id=order.public_id, _external=True),
        cancel_url=url_for("shop.order_cancel", public_id=order.public_id, _external=True),
    )
    try:
        checkout = get_gateway().create_checkout(request)
    except PaymentError as exc:
        db.session.rollback()
        raise ShopError(_l("The payment service is not available right now (%(error)s). Nothing was charged.",
                           error=str(exc))) from exc
    order.checkout_session_id = checkout.id
    db.session.commit()
    order.checkout_url = checkout.url  # not stored: the provider's page for this order
    return order


def release_reservation(order_id: int, status: OrderStatus) -> bool:
    """Give a pending order's units back (expired or cancelled), once."""
    updated = db.session.execute(
        sa.update(Order).where(Order.id == order_id, Order.status == OrderStatus.PENDING)
        .values(status=status, closed_at=utcnow())).rowcount
    if not updated:
        return False
    for item in db.session.scalars(sa.select(OrderItem).where(OrderItem.order_id == order_id)):
        db.session.execute(sa.update(EditionSize).where(
            EditionSize.edition_id == item.edition_id, EditionSize.size == item.size,
            EditionSize.reserved >= item.quantity).values(reserved=EditionSize.reserved - item.quantity))
    return True


def checkout_in_progress(buyer: User | None) -> Order | None:
    """The buyer's latest checkout still holding its shirts: paying again would hold them twice."""
    if buyer is None:
        return None
    return db.session.scalar(sa.select(Order).where(
        Order.buyer_id == buyer.id, Order.status == OrderStatus.PENDING, Order.reserved_until > utcnow())
        .order_by(Order.created_at.desc()).limit(1))


def release_expired_reservations() -> int:
    expired = db.session.scalars(sa.select(Order.id).where(
        Order.status == OrderStatus.PENDING, Order.reserved_until < utcnow())).all()
    return sum(release_reservation(order_id, OrderStatus.EXPIRED) for order_id in expired)


def cancel_checkout(order: Order) -> bool:
    if order.status != OrderStatus.PENDING:
        return False
    released = release_reservation(order.id, OrderStatus.CANCELLED)
    if released and order.checkout_session_id:
        get_gateway().expire_checkout(order.checkout_session_id)
    return released


# ---------------------------------------------------------------- payment events

def handle_event(event: dict) -> str:
    """Apply a verified payment event once; returns what happened (for logs and tests)."""
    try:
        with db.session.begin_nested():
            db.session.add(PaymentEvent(id=event["id"], type=event["type"]))
    except IntegrityError:
        db.session.rollback()
        return "duplicate"
    obj = event.get("data", {}).get("object", {})
    handler = {
        "checkout.session.completed": _checkout_completed,
        "checkout.session.async_payment_succeeded": _checkout_completed,
        "checkout.session.expired": _checkout_expired,
        "charge.refunded": _charge_refunded,
    }.get(event["type"]) or current_app.extensions.get("tirage.payment_events", {}).get(event["type"])
    outcome = handler(obj) if handler else "ignored"
    db.session.commit()
    return outcome


def _order_for_session(obj: dict) -> Order | None:
    order_id = obj.get("client_reference_id") or (obj.get("metadata") or {}).get("order_id")
    order = db.session.get(Order, int(order_id)) if order_id and str(order_id).isdigit() else None
    if order is None and obj.get("id"):
        order = db.session.scalar(sa.select(Order).where(Order.checkout_session_id == obj["id"]))
    return order


def _checkout_completed(obj: dict) -> str:
    order = _order_for_session(obj)
    if order is None:
        return "unknown order"
    if obj.get("payment_status") not in ("paid", "no_payment_required"):
        return "not paid yet"
    shipping = (obj.get("collected_information") or {}).get("shipping_details") or obj.get("shipping_details") or {}
    return confirm_payment(order, obj.get("payment_intent"), shipping)


def confirm_payment(order: Order, payment_intent: str | None, shipping: dict) -> str:
    """Mark the order paid and number its units; honour a late payment while units remain."""
    now = utcnow()
    values = dict(status=OrderStatus.PAID, paid_at=now, payment_intent_id=payment_intent,
                  shipping_name=shipping.get("name") or "", shipping_address=shipping.get("address") or {})
    if db.session.execute(sa.update(Order).where(Order.id == order.id, Order.status == OrderStatus.PENDING)
                          .values(**values)).rowcount:
        for item in order.items:
            moved = db.session.execute(sa.update(EditionSize).where(
                EditionSize.edition_id == item.edition_id, EditionSize.size == item.size,
                EditionSize.reserved >= item.quantity).values(
                reserved=EditionSize.reserved - item.quantity, sold=EditionSize.sold + item.quantity)).rowcount
            if not moved:  # should not happen: the reservation was ours
                raise ShopError(f"reservation of order {order.id} missing for {item.size}")
        outcome = "paid"
    else:
        db.session.refresh(order)
        if order.status not in (OrderStatus.EXPIRED, OrderStatus.CANCELLED):
            return "already handled"
        # The reservation ran out before the payment arrived: take the units again if any remain.
        try:
            with db.session.begin_nested():
                for item in order.items:
                    taken = db.session.execute(sa.update(EditionSize).where(
                        EditionSize.edition_id == item.edition_id, EditionSize.size == item.size,
                        EditionSize.quantity - EditionSize.reserved - EditionSize.sold >= item.quantity
                    ).values(sold=EditionSize.sold + item.quantity)).rowcount
                    if not taken:
                        raise ShopError("sold out during payment")
                db.session.execute(sa.update(Order).where(Order.id == order.id).values(**values, closed_at=None))
        except ShopError:
            _refund_late_payment(order, payment_intent)
            return "late payment refunded"
        outcome = "late payment honoured"
    db.session.refresh(order)
    _number_units(order, now)
    db.session.execute(sa.delete(CartLine).where(
        CartLine.user_id == order.buyer_id, CartLine.edition_id.in_([i.edition_id for i in order.items])))
    for edition_id in {i.edition_id for i in order.items}:
        _update_sold_out(edition_id)
    for hook in current_app.extensions.get("tirage.on_units_paid", []):
        hook(order)
    _mail(order, "order_confirmed", _l("Your Tirage order is confirmed"))
    return outcome


def _number_units(order: Order, now) -> None:
    """Give each shirt the lowest free serial of its edition (row locks keep buyers apart)."""
    for item in order.items:
        ids = db.session.scalars(
            sa.select(Unit.id).where(Unit.edition_id == item.edition_id, Unit.status == UnitStatus.AVAILABLE)
            .order_by(Unit.serial).limit(item.quantity).with_for_update(skip_locked=True)).all()
        if len(ids) != item.quantity:
            raise ShopError(f"edition {item.edition_id} has no free serial left")
        db.session.execute(sa.update(Unit).where(Unit.id.in_(ids)).values(
            status=UnitStatus.SOLD, size=item.size, order_item_id=item.id, sold_at=now))
    db.session.expire(order)


def _refund_late_payment(order: Order, payment_intent: str | None) -> None:
    refund_id = get_gateway().refund(payment_intent, order.total_cents, f"late-{order.public_id}")
    db.session.execute(sa.update(Order).where(Order.id == order.id).values(
        status=OrderStatus.REFUNDED, payment_intent_id=payment_intent, refunded_cents=order.total_cents,
        note="Paid after the reservation ended and the size sold out: refunded automatically."))
    db.session.add(Refund(order_id=order.id, amount_cents=order.total_cents, gateway_refund_id=refund_id,
                          reason="sold out during payment"))
    db.session.refresh(order)
    _mail(order, "order_refunded_sold_out", _l("Sorry: your size sold out during payment"))


def _checkout_expired(obj: dict) -> str:
    order = _order_for_session(obj)
    if order is None:
        return "unknown order"
    return "released" if release_reservation(order.id, OrderStatus.EXPIRED) else "already handled"


def _charge_refunded(obj: dict) -> str:
    """A refund seen by the provider (ours, or made in its dashboard): reconcile the order."""
    order = db.session.scalar(sa.select(Order).where(Order.payment_intent_id == obj.get("payment_intent")))
    if order is None:
        return "unknown order"
    refunded = int(obj.get("amount_refunded") or 0)
    if refunded <= order.refunded_cents:
        return "already reconciled"
    latest = ((obj.get("refunds") or {}).get("data") or [{}])[0].get("id")
    refund = Refund(order_id=order.id, amount_cents=refunded - order.refunded_cents,
                    gateway_refund_id=latest, reason="refunded at the payment provider")
    db.session.add(refund)
    order.refunded_cents = refunded
    if refunded >= order.total_cents:
        units = [unit for unit in order.units if unit.status == UnitStatus.SOLD]
        for unit in units:
            unit.status, unit.refunded_at = UnitStatus.REFUNDED, utcnow()
        order.status = OrderStatus.REFUNDED
        for hook in current_app.extensions.get("tirage.on_units_refunded", []):
            hook(order, units, refund)
    return "reconciled"


# ---------------------------------------------------------------- operators: refunds and shipping

def refund_units(order: Order, unit_ids: list[int], operator: User, restock: bool, reason: str) -> Refund:
    """Refund some shirts of a paid order through the gateway; restock them only if asked."""
    if order.status not in (OrderStatus.PAID, OrderStatus.SHIPPED) or not order.payment_intent_id:
        raise ShopError(_l("Only a paid order can be refunded."))
    units = [u for u in order.units if u.id in set(unit_ids)]
    if not units or len(units) != len(set(unit_ids)):
        raise ShopError(_l("Choose the shirts to refund."))
    now = utcnow()
    prices = {item.id: item.unit_price_cents for item in order.items}
    amount = sum(prices[u.order_item_id] for u in units)
    per_item = {item.id: sum(1 for u in units if u.order_item_id == item.id) for item in order.items}
    serials = sorted(u.serial for u in units)
    key = f"refund-{order.public_id}-{'-'.join(str(i) for i in sorted(u.id for u in units))}"
    new_status = UnitStatus.AVAILABLE if restock else UnitStatus.REFUNDED
    # Claim the units first: of two operators refunding the same shirt, only one gets it.
    claimed = db.session.execute(
        sa.update(Unit).where(Unit.id.in_([u.id for u in units]), Unit.status == UnitStatus.SOLD)
        .values(status=new_status, refunded_at=now,
                **({"order_item_id": None, "size": None, "sold_at": None} if restock else {}))
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != len(units):
        db.session.rollback()
        raise ShopError(_l("Some of these shirts were refunded already."))
    refund_id = get_gateway().refund(order.payment_intent_id, amount, key)
    refund = Refund(order_id=order.id, amount_cents=amount, gateway_refund_id=refund_id, restocked=restock,
                    unit_ids=[u.id for u in units], reason=reason.strip(), created_by_id=operator.id)
    db.session.add(refund)
    if restock:  # the serials go back on sale, so the size's sold count goes down
        for item in order.items:
            count = per_item[item.id]
            if count:
                db.session.execute(sa.update(EditionSize).where(
                    EditionSize.edition_id == item.edition_id, EditionSize.size == item.size).values(
                    sold=EditionSize.sold - count))
    db.session.execute(sa.update(Order).where(Order.id == order.id).values(
        refunded_cents=Order.refunded_cents + amount))
    db.session.refresh(order)
    if order.refunded_cents >= order.total_cents:
        order.status = OrderStatus.REFUNDED
    for edition_id in {item.edition_id for item in order.items}:
        _update_sold_out(edition_id)
    record(operator, "order.refund", "order", order.public_id, reason, amount_cents=amount,
           units=serials, restocked=restock)
    for hook in current_app.extensions.get("tirage.on_units_refunded", []):
        hook(order, units, refund)
    _mail(order, "order_refunded", _l("Your Tirage refund"), refund=refund)
    return refund


def mark_shipped(order: Order, operator: User, tracking: str) -> None:
    if order.status != OrderStatus.PAID:
        raise ShopError(_l("Only a paid order can be shipped."))
    if not order.shipping_address:
        raise ShopError(_l("There is no shipping address yet: the designer has not given it."))
    order.status, order.shipped_at, order.tracking_number = OrderStatus.SHIPPED, utcnow(), tracking.strip()
    record(operator, "order.ship", "order", order.public_id, "", tracking=tracking.strip())
    _mail(order, "order_shipped", _l("Your Tirage order is on its way"))


def _mail(order: Order, template: str, subject, **extra) -> None:
    buyer = order.buyer
    send_mail(buyer.email, subject, template, locale=buyer.locale, order=order, buyer=buyer,
              link=url_for("shop.order_detail", public_id=order.public_id, _external=True),
              serial_label=serial_label, **extra)


def deliver_sandbox_payment(order: Order, shipping: dict) -> int:
    """The sandbox's "Pay" button: Stripe would send checkout.session.completed; so do we."""
    return SandboxGateway.deliver("checkout.session.completed", {
        "id": order.checkout_session_id, "object": "checkout.session", "client_reference_id": str(order.id),
        "payment_intent": "pi_sandbox_" + order.public_id, "payment_status": "paid", "status": "complete",
        "amount_total": order.total_cents, "currency": order.currency.lower(),
        "customer_details": {"email": order.buyer.email, "name": shipping.get("name")},
        "collected_information": {"shipping_details": shipping},
        "metadata": {"order_id": str(order.id), "order": order.public_id},
    })
