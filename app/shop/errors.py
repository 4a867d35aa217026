"""The shop's one error: a rule was broken, and the message is safe to show."""


class ShopError(Exception):
    """A rule was broken; the message is safe to show."""
