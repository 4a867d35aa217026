"""The rounds' one error: a rule was broken, and the message is safe to show."""


class RoundError(Exception):
    """A rule was broken; the message is safe to show."""
