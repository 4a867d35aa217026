"""What the shop tells buyers: their mails, and how a numbered shirt is written."""
from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _

from app.mail import send_mail
from app.shop.models import Edition, Order, Unit


def serial_label(unit: Unit, edition: Edition) -> str:
    """"No. 042/300" in English, "N° 042/300" in French."""
    width = max(3, len(str(edition.total)))
    return _("No. %(serial)s/%(total)s", serial=f"{unit.serial:0{width}d}", total=edition.total)


def mail_buyer(order: Order, template: str, subject, **extra) -> None:
    buyer = order.buyer
    send_mail(buyer.email, subject, template, locale=buyer.locale, order=order, buyer=buyer,
              link=url_for("shop.order_detail", public_id=order.public_id, _external=True),
              serial_label=serial_label, **extra)
