"""A model's state predicate, checked against every state of its enum."""


def assert_true_exactly_for(make, predicate: str, true_for: set, states) -> None:
    """`make(state).<predicate>` is True for the states in `true_for` and False for all the others."""
    for state in states:
        assert getattr(make(state), predicate) is (state in true_for), (predicate, state)
