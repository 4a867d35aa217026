"""Shop pages: editions, cart, checkout, the sandbox payment page, orders, and the console."""
from __future__ import annotations

from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.accounts.forms import EmptyForm
from app.accounts.models import User
from app.actions import act, attempt
from app.clock import utcnow
from app.designs.forms import colour_choices
from app.designs.models import Design
from app.extensions import csrf, db
from app.lists import Sorts, matching, sorted_by
from app.money import format_money
from app.pagecache import PagePart, cached_page, is_shared_page, page_part
from app.permissions import (
    can_pay_order,
    get_checkout_order_or_404,
    get_edition_or_404,
    get_order_or_404,
    login_required,
    operator_required,
    verified_required,
)
from app.rounds.models import SIZES, RoundResult
from app.security import check_public_form
from app.shop import bp
from app.shop import cart as carts
from app.shop import services as shop
from app.shop import stock
from app.shop.errors import ShopError
from app.shop.payment_events import handle_event
from app.shop.reservations import release_expired_reservations
from app.shop.sandbox import SandboxGateway
from app.shop.forms import AddToCartForm, CartLineForm, EditionForm, ReasonForm, RefundForm, SandboxPayForm, ShipForm
from app.shop.models import Edition, EditionStatus, Order, OrderStatus
from app.shop.payments import PaymentError, get_gateway, verify_event


def get_edition(edition_id: int) -> Edition:
    return get_edition_or_404(edition_id, for_user=current_user, options=[carts.WITHOUT_TAGS])


def get_order(public_id: str) -> Order:
    return get_order_or_404(public_id, for_user=current_user)


# ---------------------------------------------------------------- shop pages

# The stock on a shared shop page is never older than this (the checkout decides what is bought).
SHOP_PAGE_SECONDS = 2

@bp.route("/shop")
@cached_page("shop", "stock", "designs", "rounds", seconds=SHOP_PAGE_SECONDS,
             fingerprint=shop.shop_shown_state)
def index():
    return render_template("shop/index.html", groups=shop.shop_editions())


def _shop_today():
    return utcnow().astimezone(ZoneInfo(current_app.config["SHOP_TIMEZONE"])).date()


def _edition_stock(edition_id: int) -> str:
    """An edition's counter, facts and buy form: what a sale changes."""
    if release_expired_reservations():  # the stock shown counts only live reservations
        db.session.commit()
    found = get_edition(edition_id)
    form = AddToCartForm(meta={"csrf": not is_shared_page()})  # a shared page carries no token
    return render_template("shop/_edition_stock.html", edition=found, form=form, today=_shop_today())


def _edition_stock_shown(edition_id: int) -> str:
    return f"{_shop_today()}|{stock.shown_state(edition_id)}"


# On the page every visitor shares, the stock is kept 2 s, apart from the rest of the page (the
# artwork, the title, the whole layout around), which is rendered again when the edition changes.
# Every 1.5 s one statement tells whether it reads the same (nothing announced may have changed
# it: another program, a reservation lapsing); only then is it rendered again.
STOCK = PagePart("edition-stock", _edition_stock, "stock", "shop", seconds=SHOP_PAGE_SECONDS,
                 fingerprint=_edition_stock_shown)


@bp.route("/shop/editions/<int:edition_id>")
@cached_page("shop", "designs", "rounds", part=STOCK)
def edition(edition_id: int):
    found = get_edition(edition_id)
    return render_template("shop/edition.html", edition=found, stock=page_part(STOCK, edition_id=edition_id))


# ---------------------------------------------------------------- cart

def _cart_user():
    return current_user if current_user.is_authenticated else None


@bp.post("/cart/add/<int:edition_id>")
@csrf.exempt  # the form is on the edition's shared page: check_public_form decides
def cart_add(edition_id: int):
    found = get_edition(edition_id)
    form = AddToCartForm(meta={"csrf": check_public_form()})
    if not form.validate_on_submit():
        flash(" ".join(str(e) for errors in form.errors.values() for e in errors), "error")
        return redirect(url_for("shop.edition", edition_id=found.id))
    if release_expired_reservations():  # the stock counts only live reservations
        db.session.commit()
    return act(lambda: carts.set_cart_line(_cart_user(), found, form.size.data, form.quantity.data, add=True),
               refused=ShopError, redirect_to=url_for("shop.cart"),
               redirect_refused=url_for("shop.edition", edition_id=found.id),
               success=lambda _line: _("Added to your cart: %(title)s, size %(size)s.", title=found.design.title,
                                       size=form.size.data))


@bp.route("/cart")
def cart():
    entries = carts.cart_entries(_cart_user())
    return render_template("shop/cart.html", entries=entries, total=sum(e.total_cents for e in entries),
                           form=CartLineForm(), waiting=shop.checkout_in_progress(_cart_user()))


@bp.post("/cart/update")
def cart_update():
    form = CartLineForm()
    if not form.validate_on_submit():
        flash(_("Choose a quantity from 0 to 5."), "error")
        return redirect(url_for("shop.cart"))
    found = get_edition(form.edition_id.data)

    def update():
        if form.quantity.data == 0:
            carts.remove_cart_line(_cart_user(), found.id, form.size.data)
        else:
            carts.set_cart_line(_cart_user(), found, form.size.data, form.quantity.data)

    return act(update, refused=ShopError, success=_("Your cart is updated."), redirect_to=url_for("shop.cart"))


@bp.post("/checkout")
@verified_required
def checkout():
    # The checkout commits itself, around the payment provider (a @workflow).
    started, order = attempt(lambda: shop.start_checkout(current_user), refused=ShopError, commit=False)
    if not started:
        return redirect(url_for("shop.cart"))
    return redirect(order.checkout_url, code=303)


# ---------------------------------------------------------------- the sandbox payment page

@bp.route("/sandbox/checkout/<session_id>", methods=["GET", "POST"])
@login_required
def sandbox_checkout(session_id: str):
    if current_app.config["PAYMENT_BACKEND"] != "sandbox":
        abort(404)
    order = get_checkout_order_or_404(session_id, for_user=current_user)
    form = SandboxPayForm(name=current_user.display_name)
    form.fill_countries(current_app.config["SHIPPING_COUNTRIES"])
    if get_gateway().checkout_url(session_id) is None:  # paid, expired or cancelled: nothing to pay here
        return redirect(url_for("shop.order_detail", public_id=order.public_id))
    declined = False
    if form.validate_on_submit():
        if form.card.data.replace(" ", "") == "4000000000000002":
            declined = True
        else:
            # The "provider" records the payment first, then tells us, as Stripe does.
            if SandboxGateway.pay(session_id, form.address):
                db.session.commit()
                status = SandboxGateway.deliver("checkout.session.completed", SandboxGateway.session_object(session_id))
                if status != 200:
                    flash(_("The test payment could not be delivered (webhook answered %(code)d).", code=status), "error")
            return redirect(url_for("shop.order_success", public_id=order.public_id))
    return render_template("shop/sandbox_checkout.html", order=order, form=form, declined=declined), 402 if declined else 200


@bp.post("/webhooks/stripe")
@csrf.exempt
def stripe_webhook():
    """Verify the signature, hand the event to the shop; nothing else happens here."""
    try:
        event = verify_event(request.get_data(), request.headers.get("Stripe-Signature"))
    except ValueError:
        return {"error": "invalid signature"}, 400
    try:
        outcome = handle_event(event)
    except PaymentError as exc:  # the provider could not be asked: answer so that it retries later
        current_app.logger.warning("payment event %s postponed: %s", event.get("id"), exc)
        return {"error": "payment provider unavailable, retry later"}, 503
    return {"received": True, "outcome": outcome}


# ---------------------------------------------------------------- orders

@bp.route("/orders/<public_id>/success")
@login_required
def order_success(public_id: str):
    order = get_order(public_id)
    return render_template("shop/order_success.html", order=order)


@bp.route("/orders/<public_id>/cancel", methods=["GET", "POST"])
@login_required
def order_cancel(public_id: str):
    """Where the payment page sends a buyer who leaves it. Arriving here changes nothing (a link
    from anywhere must not cancel a checkout); the buyer chooses: go back to the payment page, or
    cancel (a POST) and release the shirts."""
    order = get_order(public_id)
    if not can_pay_order(current_user, order):  # operators may see the order, not abandon the buyer's payment
        abort(403)
    if not order.is_pending:
        return redirect(url_for("shop.order_detail", public_id=order.public_id))
    form = EmptyForm()
    if form.validate_on_submit():
        if shop.cancel_checkout(order):
            db.session.commit()
            flash(_("Order cancelled: the shirts you had reserved are back on sale. Your cart is kept."), "info")
        return redirect(url_for("shop.cart"))
    resume = get_gateway().checkout_url(order.checkout_session_id) if order.checkout_session_id else None
    return render_template("shop/order_cancel.html", order=order, form=form, resume=resume)


@bp.route("/orders")
@login_required
def orders():
    # Checkouts that ended unpaid are not orders the buyer needs to see (their shirts went back to the cart).
    mine = db.session.scalars(sa.select(Order).where(Order.buyer_id == current_user.id,
                                                     Order.status.not_in([OrderStatus.CANCELLED, OrderStatus.EXPIRED]))
                              .order_by(Order.created_at.desc())).all()
    return render_template("shop/orders.html", orders=mine)


@bp.route("/orders/<public_id>")
@login_required
def order_detail(public_id: str):
    return render_template("shop/order.html", order=get_order(public_id))


# ---------------------------------------------------------------- console: editions

@bp.route("/console/editions")
@operator_required
def admin_editions():
    query = request.args.get("q", "").strip()
    status = request.args.get("status", "")
    stmt = sa.select(Edition).join(Design, Design.id == Edition.design_id).join(User, User.id == Design.designer_id)
    if query:
        stmt = stmt.where(matching(query, Design.title, User.display_name))
    if status in {s.value for s in EditionStatus}:
        stmt = stmt.where(Edition.status == EditionStatus(status))
    stmt, sort = sorted_by(stmt, request.args.get("sort", ""), EDITION_ORDERS)
    page = db.paginate(stmt, per_page=25, error_out=False)
    return render_template("shop/admin_editions.html", page=page, query=query, status=status, sort=sort,
                           sorts=EDITION_ORDERS)


EDITION_ORDERS = Sorts(
    "newest",
    newest=(_l("Newest first"), (Edition.created_at.desc(), Edition.id.desc())),
    oldest=(_l("Oldest first"), (Edition.created_at.asc(), Edition.id.asc())),
    title=(_l("Title"), (sa.func.lower(Design.title), Edition.id)),
)


@bp.route("/console/editions/<int:edition_id>", methods=["GET", "POST"])
@operator_required
def admin_edition(edition_id: int):
    found = get_edition(edition_id)
    form = EditionForm(obj=found)
    form.shirt_colour.choices = colour_choices()  # the labels the design pages show, not the codes
    if form.validate_on_submit():
        def save():
            try:
                quantities = {s: int(request.form.get(f"qty_{s}", "0") or 0) for s in SIZES}
            except ValueError:
                raise ShopError(_("Quantities are whole numbers.")) from None
            shop.update_edition(found, current_user, quantities, form.price_cents.data, form.shirt_colour.data,
                                form.ship_date.data, form.designer_size.data)

        return act(save, refused=ShopError, success=_("The edition is saved."),
                   redirect_to=url_for("shop.admin_edition", edition_id=found.id))
    result = db.session.scalar(sa.select(RoundResult).where(RoundResult.design_id == found.design_id))
    return render_template("shop/admin_edition.html", edition=found, form=form, reason_form=ReasonForm(),
                           result=result, sheet=[] if found.is_draft else shop.print_sheet(found))


@bp.post("/console/editions/<int:edition_id>/open")
@operator_required
def admin_edition_open(edition_id: int):
    found = get_edition(edition_id)
    return act(lambda: shop.open_edition(found, current_user), refused=ShopError, success=_("The edition is on sale."),
               redirect_to=url_for("shop.admin_edition", edition_id=found.id))


@bp.post("/console/editions/<int:edition_id>/close")
@operator_required
def admin_edition_close(edition_id: int):
    found = get_edition(edition_id)
    form = ReasonForm()

    def close():
        if not form.validate_on_submit():
            raise ShopError(_("Give a reason: it is kept in the audit log."))
        shop.close_edition(found, current_user, form.reason.data)

    return act(close, refused=ShopError, success=_("The edition is closed."),
               redirect_to=url_for("shop.admin_edition", edition_id=found.id))


@bp.route("/console/editions/<int:edition_id>/print-sheet")
@operator_required
def admin_print_sheet(edition_id: int):
    found = get_edition(edition_id)
    if request.args.get("format") == "csv":
        return Response(shop.print_sheet_csv(found), mimetype="text/csv", headers={
            "Content-Disposition": f'attachment; filename="print-sheet-edition-{found.id}.csv"'})
    return render_template("shop/print_sheet.html", edition=found, sheet=shop.print_sheet(found))


# ---------------------------------------------------------------- console: orders

@bp.route("/console/orders")
@operator_required
def admin_orders():
    status = request.args.get("status", "")
    edition_id = request.args.get("edition", type=int)
    stmt = sa.select(Order)
    if status in {s.value for s in OrderStatus}:
        stmt = stmt.where(Order.status == OrderStatus(status))
    if edition_id:
        stmt = stmt.where(Order.items.any(edition_id=edition_id))
    stmt, sort = sorted_by(stmt, request.args.get("sort", ""), ORDER_ORDERS)
    page = db.paginate(stmt, per_page=30, error_out=False)
    editions = db.session.scalars(sa.select(Edition).where(Edition.status != EditionStatus.DRAFT)).all()
    return render_template("shop/admin_orders.html", page=page, status=status, edition_id=edition_id, editions=editions,
                           sort=sort, sorts=ORDER_ORDERS)


ORDER_ORDERS = Sorts(
    "newest",
    newest=(_l("Newest first"), (Order.created_at.desc(), Order.id.desc())),
    oldest=(_l("Oldest first"), (Order.created_at.asc(), Order.id.asc())),  # the order to ship them in
    total=(_l("Largest total"), (Order.total_cents.desc(), Order.id.desc())),
)


@bp.route("/console/orders/<public_id>")
@operator_required
def admin_order(public_id: str):
    order = get_order(public_id)
    return render_template("shop/admin_order.html", order=order, ship_form=ShipForm(), refund_form=RefundForm())


@bp.post("/console/orders/<public_id>/ship")
@operator_required
def admin_order_ship(public_id: str):
    order = get_order(public_id)
    form = ShipForm()

    def ship():
        if not form.validate_on_submit():
            raise ShopError(_("Give the tracking number."))
        shop.mark_shipped(order, current_user, form.tracking.data, form.carrier.data, form.tracking_url.data or "")

    return act(ship, refused=ShopError, done_already=(shop.AlreadyDone,),
               success=_("Marked as shipped; the buyer is told."),
               redirect_to=url_for("shop.admin_order", public_id=order.public_id))


@bp.post("/console/orders/<public_id>/refund")
@operator_required
def admin_order_refund(public_id: str):
    order = get_order(public_id)
    form = RefundForm()
    unit_ids = [int(v) for v in request.form.getlist("unit") if v.isdigit() and len(v) < 10]

    def refund():
        if not form.validate_on_submit():
            raise ShopError(_("Give a reason: it is kept in the audit log."))
        try:
            return shop.refund_units(order, unit_ids, current_user, form.restock.data, form.reason.data)
        except PaymentError as exc:  # the provider refused: nothing was changed
            current_app.logger.exception("refund failed")
            raise ShopError(_("The payment provider refused the refund: %(error)s", error=str(exc))) from exc

    return act(refund, refused=ShopError, done_already=(shop.AlreadyDone,),
               success=lambda done: _("Refunded %(amount)s.", amount=format_money(done.amount_cents)),
               redirect_to=url_for("shop.admin_order", public_id=order.public_id))
