"""Designers' money pages, the sandbox Connect onboarding, the hall of fame and the payouts console."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.accounts.models import User
from app.actions import act
from app.designs.models import Design
from app.extensions import db
from app.lists import Sorts, paginate_list
from app.money import format_money
from app.payouts import bp
from app.payouts import balances, fame, ledger, paying, payout_accounts
from app.payouts.errors import PayoutError
from app.payouts.forms import AdjustmentForm, BankDetailsForm, ConfirmForm, ManualPayoutForm, normalise_iban
from app.payouts.models import Payout, PayoutMethod
from app.permissions import get_payout_account_or_404, get_shirt_order_or_404, operator_required, verified_required
from app.rounds.models import Round, RoundResult, RoundStatus
from app.shop import complimentary, stock
from app.shop.errors import ShopError
from app.shop.forms import ShippingAddressForm
from app.shop.models import Edition, Order


def _address_form(order: Order | None = None) -> ShippingAddressForm:
    form = ShippingAddressForm(prefix=f"shirt{order.id}" if order else "shirt")
    form.fill_countries(current_app.config["SHIPPING_COUNTRIES"])
    return form


# ---------------------------------------------------------------- the designer's dashboard

@bp.route("/me/dashboard")
@verified_required
def dashboard():
    me = current_user.id
    designs = db.session.execute(
        sa.select(Design, RoundResult, Round)
        .outerjoin(RoundResult, RoundResult.design_id == Design.id)
        .outerjoin(Round, sa.and_(Round.id == RoundResult.round_id, Round.status == RoundStatus.PUBLISHED))
        .where(Design.designer_id == me).order_by(Design.created_at.desc(), Design.id.desc())).all()
    editions = [e for e in db.session.scalars(sa.select(Edition).join(Design).where(Design.designer_id == me)
                                              .order_by(Edition.created_at.desc())) if e.is_public]
    ids = [e.id for e in editions]
    shirts = complimentary.complimentary_orders(me)
    account = payout_accounts.account_for(current_user)
    balance = balances.balance(me)
    return render_template(
        "payouts/dashboard.html", designs=designs, editions=editions,
        sold=stock.units_sold_by_edition(ids), royalties=fame.royalties_by_edition(ids),
        balance=balance, awaiting_setup=balance.payable > 0 and payout_accounts.needs_payout_setup(account), entries=ledger.ledger(me), payout_list=paying.payouts_of(me),
        account=account, shirts=shirts, address_forms={o.id: _address_form(o) for o in shirts},
        bank_form=BankDetailsForm(obj=account) if account else BankDetailsForm(), confirm=ConfirmForm())


@bp.post("/me/shirts/<int:order_id>/address")
@verified_required
def shirt_address(order_id: int):
    order = get_shirt_order_or_404(order_id, for_user=current_user)
    form = _address_form(order)
    if not form.validate_on_submit():
        flash(_("Fill in every line of the address."), "error")
        return redirect(url_for("payouts.dashboard"))
    return act(lambda: complimentary.give_shirt_address(order, current_user, form.address), refused=ShopError,
               success=_("Thank you: your shirt No. 1 will be shipped to this address."),
               redirect_to=url_for("payouts.dashboard"))


# ---------------------------------------------------------------- payout account

@bp.post("/me/payout-account/connect")
@verified_required
def connect_start():
    if current_app.config["PAYOUT_METHOD"] != "connect":
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return redirect(payout_accounts.start_onboarding(current_user))


@bp.route("/me/payout-account/return")
@verified_required
def connect_return():
    account = payout_accounts.account_for(current_user)
    if account is None or not account.stripe_account_id:
        return redirect(url_for("payouts.dashboard"))
    payout_accounts.refresh_account(account)
    db.session.commit()
    if account.connect_ready:
        flash(_("Your payout account is ready: you will be paid there."), "success")
    else:
        flash(_("Your payout account is not finished yet: continue the set-up when you can."), "info")
    return redirect(url_for("payouts.dashboard"))


@bp.route("/me/payout-account/refresh")
@verified_required
def connect_refresh():
    # Stripe sends the designer here when the onboarding link has expired: make a new one.
    if current_app.config["PAYOUT_METHOD"] != "connect" or payout_accounts.account_for(current_user) is None:
        return redirect(url_for("payouts.dashboard"))
    return redirect(payout_accounts.start_onboarding(current_user))


@bp.post("/me/payout-account/bank")
@verified_required
def bank_details():
    if current_app.config["PAYOUT_METHOD"] != "manual":
        abort(404)
    form = BankDetailsForm()
    if form.validate_on_submit():
        payout_accounts.set_bank_details(current_user, form.account_holder.data, normalise_iban(form.iban.data),
                                 (form.bic.data or "").strip().upper())
        db.session.commit()
        flash(_("Your bank details are saved."), "success")
    else:
        for errors in form.errors.values():
            flash(" ".join(str(e) for e in errors), "error")
    return redirect(url_for("payouts.dashboard") + "#payout-account")


@bp.route("/sandbox/connect/<account_id>", methods=["GET", "POST"])
@verified_required
def sandbox_onboarding(account_id: str):
    """The sandbox's stand-in for Stripe's hosted Connect onboarding."""
    if current_app.config["PAYMENT_BACKEND"] != "sandbox":
        abort(404)
    account = get_payout_account_or_404(account_id, for_user=current_user)
    form = ConfirmForm()
    if form.validate_on_submit():
        done = request.form.get("outcome") == "complete"
        account.details_submitted = account.payouts_enabled = done
        db.session.commit()
        return redirect(url_for("payouts.connect_return"))
    return render_template("payouts/sandbox_onboarding.html", account=account, form=form)


# ---------------------------------------------------------------- the public hall of fame

@bp.route("/hall-of-fame")
def hall_of_fame():
    return render_template("payouts/hall_of_fame.html", fame=fame.hall_of_fame())


# ---------------------------------------------------------------- console

@bp.route("/console/payouts")
@operator_required
def admin_payouts():
    minimum = current_app.config["PAYOUT_MINIMUM_CENTS"]
    show = "all" if request.args.get("show") == "all" else "due"
    query = request.args.get("q", "").strip()
    rows = balances.balances(minimum=minimum, only_due=show == "due", search=query)
    sort = BALANCE_ORDERS.choose(request.args.get("sort"))
    rows.sort(key=BALANCE_ORDERS.order(sort))
    recent = db.paginate(sa.select(Payout).order_by(Payout.created_at.desc(), Payout.id.desc()),
                         page=request.args.get("history", 1, type=int), per_page=30, error_out=False)
    return render_template("payouts/admin_payouts.html", page=paginate_list(rows, 25), show=show, query=query,
                           sort=sort, sorts=BALANCE_ORDERS, minimum=minimum, recent=recent, confirm=ConfirmForm())


BALANCE_ORDERS = Sorts(
    "payable",
    payable=(_l("Most available first"), lambda row: (-row.balance.payable, row.designer.display_name.lower())),
    total=(_l("Largest balance first"), lambda row: (-row.balance.total, row.designer.display_name.lower())),
    name=(_l("Name"), lambda row: (row.designer.display_name.lower(), row.designer.id)),
)


@bp.route("/console/payouts/designers/<int:user_id>")
@operator_required
def admin_designer(user_id: int):
    designer = db.get_or_404(User, user_id)
    return render_template("payouts/admin_designer.html", designer=designer, balance=balances.balance(designer.id),
                           entries=ledger.ledger(designer.id), payout_list=paying.payouts_of(designer.id),
                           account=payout_accounts.account_for(designer), confirm=ConfirmForm(),
                           manual_form=ManualPayoutForm(), adjust_form=AdjustmentForm())


def _pay(user_id: int, method: PayoutMethod, reference: str = ""):
    designer = db.get_or_404(User, user_id)
    return act(lambda: paying.pay(designer, current_user, method, reference), refused=PayoutError,
               commit=False,  # pay() is a workflow: it commits around the transfer
               success=lambda payout: _paid(payout, designer), redirect_to=url_for("payouts.admin_designer",
                                                                                     user_id=designer.id))


def _paid(payout: Payout, designer: User) -> str:
    return _("Paid %(amount)s to %(name)s.", amount=format_money(payout.amount_cents), name=designer.display_name)


@bp.post("/console/payouts/designers/<int:user_id>/pay")
@operator_required
def admin_pay(user_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return _pay(user_id, PayoutMethod.STRIPE)


@bp.post("/console/payouts/designers/<int:user_id>/manual")
@operator_required
def admin_pay_manual(user_id: int):
    form = ManualPayoutForm()
    if not form.validate_on_submit():
        flash(_("Give the reference of the bank transfer you made."), "error")
        return redirect(url_for("payouts.admin_designer", user_id=user_id))
    return _pay(user_id, PayoutMethod.MANUAL, form.reference.data)


@bp.post("/console/payouts/designers/<int:user_id>/adjust")
@operator_required
def admin_adjust(user_id: int):
    designer = db.get_or_404(User, user_id)
    form = AdjustmentForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            flash(" ".join(str(e) for e in errors), "error")
        return redirect(url_for("payouts.admin_designer", user_id=designer.id))
    return act(lambda: ledger.adjust(designer, form.signed_cents, form.reason.data, current_user,
                                     recovering=form.recovering.data),
               refused=PayoutError, success=_("Adjustment booked."),
               redirect_to=url_for("payouts.admin_designer", user_id=designer.id))


@bp.post("/console/payouts/<int:payout_id>/retry")
@operator_required
def admin_retry(payout_id: int):
    payout = db.get_or_404(Payout, payout_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return act(lambda: paying.retry(payout, current_user), refused=PayoutError, commit=False,  # a workflow: it commits
               success=lambda done: _paid(done, done.designer) if done.is_paid else None,
               redirect_to=url_for("payouts.admin_designer", user_id=payout.designer_id))
