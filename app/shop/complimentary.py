"""The designer's shirt No. 1: a zero-price order, shipped once they give their address."""
from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import lazy_gettext as _l

from app.accounts.models import User
from app.clock import utcnow
from app.extensions import db
from app.mail import send_mail
from app.shop.errors import ShopError
from app.shop.models import Edition, Order, OrderItem, OrderStatus, Unit


def create_complimentary_order(edition: Edition, operator: User | None) -> Order:
    """Shirt No. 1 goes to the designer: a zero-price order, shipped once they give their address."""
    unit = db.session.scalar(sa.select(Unit).where(Unit.edition_id == edition.id, Unit.serial == 1))
    designer = edition.design.designer
    order = Order(buyer_id=designer.id, status=OrderStatus.PAID, currency=current_app.config["CURRENCY"],
                  total_cents=0, complimentary=True, paid_at=utcnow(),
                  note="The designer's complimentary shirt No. 1.")
    item = OrderItem(edition_id=edition.id, size=edition.designer_size, quantity=1, unit_price_cents=0)
    order.items.append(item)
    db.session.add(order)
    db.session.flush()
    unit.order_item_id = item.id
    send_mail(designer.email, _l("Your shirt No. 1 is waiting for your address"), "complimentary_shirt",
              locale=designer.locale, designer=designer, edition=edition,
              link=url_for("payouts.dashboard", _external=True))
    return order


def complimentary_orders(designer_id: int) -> list[Order]:
    return db.session.scalars(sa.select(Order).where(Order.buyer_id == designer_id, Order.complimentary)
                              .order_by(Order.id)).all()


def give_shirt_address(order: Order, designer: User, shipping: dict) -> None:
    if not order.complimentary or order.buyer_id != designer.id:
        raise ShopError(_l("This is not your shirt."))
    if order.status != OrderStatus.PAID:
        raise ShopError(_l("This shirt has already been shipped."))
    order.shipping_name, order.shipping_address = shipping["name"], shipping["address"]
