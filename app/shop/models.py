"""Limited editions, their stock and numbered units, orders, refunds and payment events."""
from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.config import DEFAULTS
from app.db_types import UTCDateTime, string_enum
from app.extensions import db
from app.rounds.models import SIZES


class EditionStatus(str, enum.Enum):
    DRAFT = "draft"
    ON_SALE = "on_sale"
    SOLD_OUT = "sold_out"
    CLOSED = "closed"


class Edition(db.Model):
    __tablename__ = "editions"

    id: Mapped[int] = mapped_column(primary_key=True)
    design_id: Mapped[int] = mapped_column(sa.ForeignKey("designs.id"), unique=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("rounds.id"), index=True)
    status: Mapped[EditionStatus] = mapped_column(string_enum(EditionStatus), default=EditionStatus.DRAFT, index=True)
    price_cents: Mapped[int] = mapped_column(default=DEFAULTS["DEFAULT_PRICE_CENTS"])
    shirt_colour: Mapped[str] = mapped_column(sa.String(30))
    ship_date: Mapped[date | None] = mapped_column(sa.Date)
    # The designer's complimentary shirt is unit No. 1, taken from this size when the edition opens.
    designer_size: Mapped[str] = mapped_column(sa.String(3), default="M")
    suggestion: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    on_sale_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sold_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    design = relationship("Design", lazy="joined")
    round = relationship("Round")
    sizes: Mapped[list["EditionSize"]] = relationship(
        back_populates="edition", cascade="all, delete-orphan", lazy="selectin",
        order_by="EditionSize.position",
    )

    @property
    def total(self) -> int:
        return sum(s.quantity for s in self.sizes)

    @property
    def sold(self) -> int:
        return sum(s.sold for s in self.sizes)

    @property
    def available(self) -> int:
        return sum(s.available for s in self.sizes)

    @property
    def is_draft(self) -> bool:
        return self.status == EditionStatus.DRAFT

    @property
    def is_on_sale(self) -> bool:
        return self.status == EditionStatus.ON_SALE

    @property
    def is_buyable(self) -> bool:
        return self.is_on_sale

    @property
    def is_sold_out(self) -> bool:
        return self.status == EditionStatus.SOLD_OUT

    @property
    def is_closed(self) -> bool:
        return self.status == EditionStatus.CLOSED

    @property
    def is_public(self) -> bool:
        """A draft edition reveals its round's winner: nobody but operators sees it before publication."""
        return not self.is_draft or self.round.results_visible

    @property
    def is_changeable(self) -> bool:
        """A draft changes freely; on sale, its price and date may change and its sizes only shrink."""
        return self.status in (EditionStatus.DRAFT, EditionStatus.ON_SALE)

    @property
    def is_closable(self) -> bool:
        return self.status in (EditionStatus.ON_SALE, EditionStatus.SOLD_OUT)

    def size(self, name: str) -> "EditionSize | None":
        return next((s for s in self.sizes if s.size == name), None)


class EditionSize(db.Model):
    """Stock of one size. The database keeps reserved + sold within quantity, whatever the races."""

    __tablename__ = "edition_sizes"
    __table_args__ = (
        sa.UniqueConstraint("edition_id", "size", name="uq_edition_sizes_edition_size"),
        sa.CheckConstraint("reserved >= 0 AND sold >= 0", name="counts_positive"),
        sa.CheckConstraint("reserved + sold <= quantity", name="never_oversold"),
        sa.CheckConstraint(f"size IN {SIZES!r}", name="size_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(sa.ForeignKey("editions.id", ondelete="CASCADE"))
    size: Mapped[str] = mapped_column(sa.String(3))
    position: Mapped[int] = mapped_column(sa.SmallInteger)
    quantity: Mapped[int] = mapped_column(default=0)
    reserved: Mapped[int] = mapped_column(default=0)
    sold: Mapped[int] = mapped_column(default=0)

    edition: Mapped[Edition] = relationship(back_populates="sizes")

    @property
    def available(self) -> int:
        return self.quantity - self.reserved - self.sold


class UnitStatus(str, enum.Enum):
    AVAILABLE = "available"
    SOLD = "sold"
    COMPLIMENTARY = "complimentary"  # No. 1, the designer's
    REFUNDED = "refunded"


class Unit(db.Model):
    """One numbered shirt. Every serial of an edition exists from the day it goes on sale,
    so a serial can never exceed the edition's size: No. 042/300."""

    __tablename__ = "units"
    __table_args__ = (
        sa.UniqueConstraint("edition_id", "serial", name="uq_units_edition_serial"),
        sa.Index("ix_units_edition_status_serial", "edition_id", "status", "serial"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(sa.ForeignKey("editions.id", ondelete="CASCADE"))
    serial: Mapped[int]
    status: Mapped[UnitStatus] = mapped_column(string_enum(UnitStatus), default=UnitStatus.AVAILABLE)
    size: Mapped[str | None] = mapped_column(sa.String(3))
    order_item_id: Mapped[int | None] = mapped_column(sa.ForeignKey("order_items.id"), index=True)
    sold_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    edition = relationship("Edition")

    @property
    def is_refunded(self) -> bool:
        return self.status == UnitStatus.REFUNDED


class OrderStatus(str, enum.Enum):
    PENDING = "pending"      # units reserved, waiting for the payment
    PAID = "paid"
    SHIPPED = "shipped"
    EXPIRED = "expired"      # the reservation ran out before payment
    CANCELLED = "cancelled"  # the buyer left the payment page
    REFUNDED = "refunded"    # everything refunded


def _public_id() -> str:
    return uuid.uuid4().hex[:16]


class Order(db.Model):
    __tablename__ = "orders"
    __table_args__ = (sa.Index("ix_orders_status_reserved_until", "status", "reserved_until"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(sa.String(16), unique=True, default=_public_id)
    buyer_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    status: Mapped[OrderStatus] = mapped_column(string_enum(OrderStatus), default=OrderStatus.PENDING)
    currency: Mapped[str] = mapped_column(sa.String(3))
    total_cents: Mapped[int]
    refunded_cents: Mapped[int] = mapped_column(default=0)
    complimentary: Mapped[bool] = mapped_column(default=False)
    reserved_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checkout_session_id: Mapped[str | None] = mapped_column(sa.String(255), unique=True)
    payment_intent_id: Mapped[str | None] = mapped_column(sa.String(255))
    shipping_name: Mapped[str] = mapped_column(sa.String(200), default="")
    shipping_address: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    tracking_number: Mapped[str] = mapped_column(sa.String(100), default="")
    # Who carries the parcel (a code of app/shop/receipts.CARRIERS) and where the buyer follows it.
    carrier: Mapped[str] = mapped_column(sa.String(20), default="", server_default="")
    tracking_url: Mapped[str] = mapped_column(sa.String(300), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(sa.String(500), default="")

    buyer = relationship("User", lazy="joined")
    items: Mapped[list["OrderItem"]] = relationship(back_populates="order", cascade="all, delete-orphan",
                                                    lazy="selectin", order_by="OrderItem.id")
    refunds: Mapped[list["Refund"]] = relationship(back_populates="order", order_by="Refund.id", lazy="selectin")

    @property
    def units(self) -> list[Unit]:
        return [unit for item in self.items for unit in item.units]

    @property
    def is_paid(self) -> bool:
        """Paid, whether shipped yet or not."""
        return self.status in (OrderStatus.PAID, OrderStatus.SHIPPED)

    @property
    def is_awaiting_shipment(self) -> bool:
        return self.status == OrderStatus.PAID

    @property
    def is_shipped(self) -> bool:
        return self.status == OrderStatus.SHIPPED

    @property
    def is_refunded(self) -> bool:
        return self.status == OrderStatus.REFUNDED

    @property
    def is_refundable(self) -> bool:
        """Paid through the provider, with money and shirts still to give back."""
        return self.is_paid and bool(self.payment_intent_id) and self.refunded_cents < self.total_cents

    @property
    def refundable_units(self) -> list[Unit]:
        return [unit for unit in self.units if unit.status == UnitStatus.SOLD] if self.is_refundable else []

    @property
    def can_ship(self) -> bool:
        return self.is_awaiting_shipment and bool(self.shipping_address)

    @property
    def is_pending(self) -> bool:
        return self.status == OrderStatus.PENDING


class OrderItem(db.Model):
    __tablename__ = "order_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    edition_id: Mapped[int] = mapped_column(sa.ForeignKey("editions.id"), index=True)
    size: Mapped[str] = mapped_column(sa.String(3))
    quantity: Mapped[int]
    unit_price_cents: Mapped[int]

    order: Mapped[Order] = relationship(back_populates="items")
    edition = relationship("Edition", lazy="joined")
    units: Mapped[list[Unit]] = relationship(lazy="selectin", order_by=Unit.serial)

    @property
    def total_cents(self) -> int:
        return self.quantity * self.unit_price_cents


class Refund(db.Model):
    __tablename__ = "refunds"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id"), index=True)
    amount_cents: Mapped[int]
    gateway_refund_id: Mapped[str | None] = mapped_column(sa.String(255), unique=True)
    unit_ids: Mapped[list] = mapped_column(sa.JSON, default=list)
    restocked: Mapped[bool] = mapped_column(default=False)
    reason: Mapped[str] = mapped_column(sa.String(300), default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    order: Mapped[Order] = relationship(back_populates="refunds")


class CartLine(db.Model):
    """A logged-in member's cart (a guest's lives in the session until they log in)."""

    __tablename__ = "cart_lines"
    __table_args__ = (sa.UniqueConstraint("user_id", "edition_id", "size", name="uq_cart_lines_user_edition_size"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    edition_id: Mapped[int] = mapped_column(sa.ForeignKey("editions.id", ondelete="CASCADE"))
    size: Mapped[str] = mapped_column(sa.String(3))
    quantity: Mapped[int]
    price_seen_cents: Mapped[int]


class PaymentEvent(db.Model):
    """Every webhook event handled, by its id: the same event twice has one effect."""

    __tablename__ = "payment_events"

    id: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    type: Mapped[str] = mapped_column(sa.String(100))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("orders.id"))
