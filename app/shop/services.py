"""Shop rules: editions, checkout, refunds and shipping.

Below this module: `stock` (counts and serials), `cart`, `limits` (per member), `reservations`,
`order_states` (the order's life) and `payment_events` (the provider's record, applied).
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import lazy_gettext as _l

from app.accounts.models import User
from app.audit.services import record
from app.clock import utcnow
from app.designs.models import Design
from app.designs.cards import CARD_COLUMNS, DesignCard
from app.extensions import db
from app.locking import lock
from app.money import format_money
from app.rounds.models import SIZES, Round, RoundResult, RoundStatus
from app.shop import stock
from app.shop.cart import cart_entries, empty_cart
from app.shop.errors import ShopError
from app.shop.limits import limit_per_member, owned_by_edition
from app.shop.models import CartLine, Edition, EditionSize, EditionStatus, Order, OrderItem, OrderStatus, Refund, Unit, UnitStatus
from app.shop.notices import mail_buyer
from app.shop.order_states import lock_order, move
from app.shop.receipts import TrackingError, tracking_url
from app.shop.payment_events import book_provider_refunds, close_as_refunded, refunded_total, sold_units
from app.shop.payments import CheckoutLine, CheckoutRequest, PaymentError, get_gateway
from app.shop.reservations import items_of, release, release_expired_reservations
from app.signals import edition_opened, units_refunded
from app.transactions import workflow

# When nobody said "I'd buy it", a typical T-shirt size curve (in percent, smallest size first).
DEFAULT_SPLIT = dict(zip(SIZES, (4, 16, 30, 28, 16, 6), strict=True))


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
    if not edition.is_changeable:
        raise ShopError(_l("This edition can no longer change."))
    if price_cents <= 0:
        raise ShopError(_l("The price must be above zero."))
    if shirt_colour not in current_app.config["SHIRT_COLOURS"]:
        raise ShopError(_l("Choose a shirt colour from the list."))
    if any(q < 0 for q in quantities.values()) or sum(quantities.values()) < 1:
        raise ShopError(_l("An edition needs at least one shirt."))
    if sum(quantities.values()) > current_app.config["EDITION_MAX_SIZE"]:
        raise ShopError(_l("An edition has %(n)d shirts at most.", n=current_app.config["EDITION_MAX_SIZE"]))
    if price_cents > current_app.config["PRICE_MAX_CENTS"]:
        raise ShopError(_l("The price is too high (%(max)s at most).",
                           max=format_money(current_app.config["PRICE_MAX_CENTS"])))
    on_sale = edition.is_on_sale
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
    edition_opened.send(edition, operator=operator)


def close_edition(edition: Edition, operator: User, reason: str) -> None:
    if not edition.is_closable:
        raise ShopError(_l("Only an edition on sale can be closed."))
    edition.status, edition.closed_at = EditionStatus.CLOSED, utcnow()
    record(operator, "edition.close", "edition", edition.id, reason)


def public_edition_of(design) -> Edition | None:
    """The edition a winning design became, once visitors may know it won."""
    edition = db.session.scalar(sa.select(Edition).where(Edition.design_id == design.id))
    return edition if edition is not None and edition.is_public else None


@dataclass(frozen=True)
class EditionCard:
    """What the shop's grid shows of an edition, read as a row (the page changes nothing): its
    stock summed by the database, its design as a card. Frozen and hashable: its rendered card is
    kept under it (app/templating.py, `fragment`), so a sale makes a new card."""

    id: int
    status: EditionStatus
    price_cents: int
    total: int
    sold: int
    design: DesignCard

    @property
    def is_draft(self) -> bool:
        return self.status == EditionStatus.DRAFT

    @property
    def is_sold_out(self) -> bool:
        return self.status == EditionStatus.SOLD_OUT


def shop_editions() -> dict[str, list[EditionCard]]:
    """The public editions by group (on sale, coming soon, the rest), newest on sale first. A draft
    shows once its round's results are published (Edition.is_public)."""
    stock = (sa.select(EditionSize.edition_id, sa.func.sum(EditionSize.quantity).label("total"),
                       sa.func.sum(EditionSize.sold).label("sold"))
             .group_by(EditionSize.edition_id).subquery())
    rows = db.session.execute(
        sa.select(Edition.id, Edition.status, Edition.price_cents, sa.func.coalesce(stock.c.total, 0),
                  sa.func.coalesce(stock.c.sold, 0), *CARD_COLUMNS)
        .join(Design, Design.id == Edition.design_id).join(User, User.id == Design.designer_id)
        .join(Round, Round.id == Edition.round_id).outerjoin(stock, stock.c.edition_id == Edition.id)
        .where(sa.or_(Edition.status != EditionStatus.DRAFT, Round.status == RoundStatus.PUBLISHED))
        .order_by(Edition.on_sale_at.desc(), Edition.id.desc()))
    grouped = {"on_sale": [], "upcoming": [], "sold_out": []}
    for row in rows:
        card = EditionCard(*row[:5], DesignCard.of(row[5:]))
        key = {EditionStatus.ON_SALE: "on_sale", EditionStatus.DRAFT: "upcoming"}.get(card.status, "sold_out")
        grouped[key].append(card)
    return grouped


def shop_shown_state() -> str:
    """A fingerprint of what the shop's grid shows of its editions (which, their status, price, size
    and shirts sold), in one statement: the shop page, due every 1.5 s, is rendered again only when
    it moved (app/pagecache.py). What the cards show of designs is watched by the designs' kind."""
    rows = db.session.execute(
        sa.select(Edition.id, Edition.status, Edition.price_cents, sa.func.sum(EditionSize.quantity),
                  sa.func.sum(EditionSize.sold))
        .join(Round, Round.id == Edition.round_id).outerjoin(EditionSize, EditionSize.edition_id == Edition.id)
        .where(sa.or_(Edition.status != EditionStatus.DRAFT, Round.status == RoundStatus.PUBLISHED))
        .group_by(Edition.id, Edition.status, Edition.price_cents).order_by(Edition.id)).all()
    return repr([tuple(row) for row in rows])


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


# ---------------------------------------------------------------- checkout

@workflow
def start_checkout(buyer: User) -> Order:
    """The cart becomes one order holding its shirts, and the payment page opens: all or nothing.

    One member checks out one cart at a time (their row is locked), and a new checkout replaces
    their earlier pending one (its shirts go back into the cart first), so pressing "Checkout"
    in four tabs holds the shirts once; the per-member limit counts every shirt they hold.

    Commits around the payment provider: the order and its held shirts are committed once the
    provider's checkout page exists (rolled back if it could not be made); a changed price is
    committed as seen before the buyer is asked to confirm again."""
    lock(User, User.id == buyer.id)
    for earlier in db.session.scalars(sa.select(Order.id).where(
            Order.buyer_id == buyer.id, Order.status == OrderStatus.PENDING)).all():
        _cancel_locked(earlier)
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
    limit = limit_per_member()
    owned = owned_by_edition(buyer.id)
    wanted: dict[int, int] = {}
    for entry in entries:
        if not entry.edition.is_buyable:
            raise ShopError(_l("“%(title)s” is no longer on sale.", title=entry.edition.design.title))
        wanted[entry.edition.id] = wanted.get(entry.edition.id, 0) + entry.quantity
    for entry in entries:
        have = owned.get(entry.edition.id, 0)
        if have + wanted[entry.edition.id] > limit:
            raise ShopError(_l("%(n)d shirts of “%(title)s” per member at most; you already have %(have)d.",
                               n=limit, title=entry.edition.design.title, have=have))

    release_expired_reservations()
    now = utcnow()
    minutes = current_app.config["RESERVATION_MINUTES"]
    order = Order(buyer_id=buyer.id, status=OrderStatus.PENDING, currency=current_app.config["CURRENCY"],
                  total_cents=sum(e.total_cents for e in entries), reserved_until=now + timedelta(minutes=minutes))
    for entry in sorted(entries, key=lambda e: (e.edition.id, e.size)):
        if not stock.reserve(entry.edition.id, entry.size, entry.quantity):
            left = stock.free_count(entry.edition.id, entry.size)
            db.session.rollback()
            raise ShopError(_l("Only %(n)d left in %(size)s of “%(title)s”: adjust your cart.",
                               n=left, size=entry.size, title=entry.edition.design.title))
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
    empty_cart(buyer.id)  # the cart became this order; it comes back if the order ends unpaid
    db.session.commit()
    order.checkout_url = checkout.url  # not stored: the provider's page for this order
    return order


def checkout_in_progress(buyer: User | None) -> Order | None:
    """The buyer's latest checkout still holding its shirts."""
    if buyer is None or not buyer.is_authenticated:
        return None
    return db.session.scalar(sa.select(Order).where(
        Order.buyer_id == buyer.id, Order.status == OrderStatus.PENDING, Order.reserved_until > utcnow())
        .order_by(Order.created_at.desc()).limit(1))


def cancel_checkout(order: Order) -> bool:
    """The buyer left the payment page and cancelled: shirts back on sale and into the cart, once."""
    return _cancel_locked(order.id)


def _cancel_locked(order_id: int) -> bool:
    order = lock_order(order_id)
    if order is None or not release(order, OrderStatus.CANCELLED):
        return False
    if order.checkout_session_id:
        get_gateway().expire_checkout(order.checkout_session_id)  # a payment already made arrives as late
    return True


# ---------------------------------------------------------------- operators: refunds and shipping

def refund_units(order: Order, unit_ids: list[int], operator: User, restock: bool, reason: str) -> Refund:
    """Refund some shirts of a paid order through the gateway; restock them only if asked.

    The order's lock keeps two operators (and a webhook) apart: the second sees the shirts
    already refunded. Refunds never exceed what was paid."""
    found = get_gateway().retrieve_checkout(order.checkout_session_id) if order.checkout_session_id else None
    order = lock_order(order.id)
    if found is not None and found.payment_intent == order.payment_intent_id:
        book_provider_refunds(order, found)  # decide against what the provider has already given back
    if not order.is_refundable:
        raise ShopError(_l("Only a paid order can be refunded."))
    wanted = set(unit_ids)
    units = [u for u in sold_units(order.id) if u.id in wanted]
    if not wanted:
        raise ShopError(_l("Choose the shirts to refund."))
    if len(units) != len(wanted):
        theirs = set(db.session.scalars(sa.select(Unit.id).join(OrderItem, OrderItem.id == Unit.order_item_id)
                                        .where(OrderItem.order_id == order.id, Unit.id.in_(wanted))))
        if theirs == wanted:
            raise AlreadyDone(_l("These shirts were refunded already."))
        raise ShopError(_l("Choose the shirts to refund."))
    items = {item.id: item for item in items_of(order.id)}
    amount = sum(items[u.order_item_id].unit_price_cents for u in units)
    if order.refunded_cents + amount > order.total_cents:
        raise ShopError(_l("That would refund more than was paid (%(left)s left).",
                           left=format_money(order.total_cents - order.refunded_cents)))
    serials = [u.serial for u in units]
    key = f"refund-{order.public_id}-{'-'.join(str(i) for i in sorted(wanted))}"
    refund_id = get_gateway().refund(order.payment_intent_id, amount, key)
    refund = db.session.scalar(sa.select(Refund).where(Refund.gateway_refund_id == refund_id))
    if refund is None:
        refund = Refund(order_id=order.id, amount_cents=amount, gateway_refund_id=refund_id)
        db.session.add(refund)
    refund.restocked, refund.unit_ids = restock, [u.id for u in units]
    refund.reason, refund.created_by_id = reason.strip()[:300], operator.id
    now = utcnow()
    values = {"order_item_id": None, "size": None, "sold_at": None} if restock else {}
    db.session.execute(sa.update(Unit).where(Unit.id.in_([u.id for u in units]), Unit.status == UnitStatus.SOLD)
                       .values(status=UnitStatus.AVAILABLE if restock else UnitStatus.REFUNDED, refunded_at=now,
                               **values).execution_options(synchronize_session=False))
    if restock:  # the serials go back on sale, so the size's sold count goes down
        per_size: dict[tuple[int, str], int] = {}
        for unit in units:
            item = items[unit.order_item_id]
            per_size[(item.edition_id, item.size)] = per_size.get((item.edition_id, item.size), 0) + 1
        for (edition_id, size), count in sorted(per_size.items()):
            stock.unsell(edition_id, size, count)
    db.session.flush()
    total = refunded_total(order.id)
    db.session.execute(sa.update(Order).where(Order.id == order.id).values(refunded_cents=total))
    db.session.refresh(order)
    for unit in units:
        db.session.refresh(unit)
    if total >= order.total_cents:
        close_as_refunded(order, refund)
    stock.update_sold_out(item.edition_id for item in items.values())
    record(operator, "order.refund", "order", order.public_id, reason, amount_cents=amount,
           units=serials, restocked=restock)
    units_refunded.send(order, units=units, refund=refund)
    mail_buyer(order, "order_refunded", _l("Your Tirage refund"), refund=refund)
    return refund


class AlreadyDone(ShopError):
    """The action was done already (by another click or operator): nothing more happens."""


def mark_shipped(order: Order, operator: User, tracking: str, carrier: str = "colissimo", url: str = "") -> bool:
    """Paid → shipped, once: of five clicks at once, one ships (one audit row, one mail). The
    buyer gets the carrier and a link to follow the parcel, not a bare number."""
    if not order.shipping_address:
        raise ShopError(_l("There is no shipping address yet: the designer has not given it."))
    tracking = tracking.strip()[:100]
    try:
        link = tracking_url(carrier, tracking, url)
    except TrackingError as exc:
        raise ShopError(str(exc)) from exc
    if not move(order.id, {OrderStatus.PAID}, OrderStatus.SHIPPED, shipped_at=utcnow(), tracking_number=tracking,
                carrier=carrier, tracking_url=link):
        db.session.refresh(order)
        if order.status == OrderStatus.SHIPPED:
            raise AlreadyDone(_l("This order was already marked as shipped."))
        raise ShopError(_l("Only a paid order can be shipped."))
    db.session.refresh(order)
    record(operator, "order.ship", "order", order.public_id, "", tracking=tracking, carrier=carrier, link=link)
    mail_buyer(order, "order_shipped", _l("Your Tirage order is on its way"))
    return True
