"""Bounties, royalties and payouts: the designers' ledger, their payout accounts, the hall of fame."""
from flask import Blueprint

bp = Blueprint("payouts", __name__)

from app.payouts import views  # noqa: E402,F401


@bp.record_once
def wire(state):
    from app.payouts import ledger
    from app.payouts.statement import payout_statement
    from app.signals import payment_event_received, units_paid, units_refunded, winner_confirmed

    # Money facts from the rounds and the shop, booked in the ledger. Connecting the same function
    # again, for the next app a process creates, changes nothing.
    winner_confirmed.connect(ledger.book_bounty, weak=False)
    units_paid.connect(ledger.book_royalties, weak=False)
    units_refunded.connect(ledger.reverse_royalties, weak=False)
    payment_event_received.connect(_stripe_connect_event, weak=False)
    # The payout mail lists what the money is for (its lines add up to the amount).
    state.app.jinja_env.globals.update(payout_statement=payout_statement)


def _stripe_connect_event(kind: str, obj: dict) -> str | None:
    """Stripe Connect tells us about a designer's payout account; other events are not ours."""
    from app.payouts import payout_accounts

    if kind == "account.updated":
        return payout_accounts.account_updated(obj)
    return None
