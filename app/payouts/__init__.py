"""Bounties, royalties and payouts: the designers' ledger, their payout accounts, the hall of fame."""
from flask import Blueprint

bp = Blueprint("payouts", __name__)

from app.payouts import views  # noqa: E402,F401


@bp.record_once
def wire(state):
    from app.payouts import services

    hooks = state.app.extensions
    hooks.setdefault("tirage.on_winner_confirmed", []).append(services.book_bounty)
    hooks.setdefault("tirage.on_units_paid", []).append(services.book_royalties)
    hooks.setdefault("tirage.on_units_refunded", []).append(services.reverse_royalties)
    hooks.setdefault("tirage.on_edition_opened", []).append(services.create_complimentary_order)
    hooks.setdefault("tirage.payment_events", {})["account.updated"] = services.account_updated
