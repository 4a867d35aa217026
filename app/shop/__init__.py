"""The shop: limited editions, cart, checkout, payments, orders."""
from flask import Blueprint
from flask_login import user_logged_in

bp = Blueprint("shop", __name__)

from app.shop import views  # noqa: E402,F401


@bp.record_once
def wire(state):
    from app.shop import cart, complimentary, services
    from app.shop.notices import serial_label
    from app.shop.receipts import carrier_name, format_vat_rate
    from app.signals import edition_opened, winner_confirmed

    app = state.app
    # A confirmed winner gets its edition drafted (before payouts books its bounty: the shop's
    # blueprint is registered first). Connecting the same function again, for the next app a
    # process creates, changes nothing.
    winner_confirmed.connect(services.draft_edition, weak=False)
    # An edition going on sale sets the designer's shirt No. 1 aside for them.
    edition_opened.connect(complimentary.create_complimentary_order, weak=False)
    app.jinja_env.globals.update(
        cart_count=lambda user: cart.cart_count(user),
        serial_label=serial_label,
        carrier_name=carrier_name,
        format_vat_rate=format_vat_rate,
        public_edition=services.public_edition_of,
    )


@user_logged_in.connect
def _attach_cart(sender, user, **extra):
    # A guest's cart follows them into their account.
    from app.shop.cart import attach_session_cart

    attach_session_cart(user)
