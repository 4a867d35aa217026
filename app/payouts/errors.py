"""The payouts' one error: a payout that cannot happen, and the message is safe to show."""


class PayoutError(Exception):
    """A payout that cannot happen; the message is safe to show."""
