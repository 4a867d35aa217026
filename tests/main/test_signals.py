"""Cross-feature reactions are named signals (app/signals.py): who listens, in what order, once."""
from __future__ import annotations

import pytest

from app import create_app, signals
from app.payouts import ledger
from app.shop import complimentary
from app.shop import services as shop

EXPECTED = {
    signals.winner_confirmed: [shop.draft_edition, ledger.book_bounty],  # the edition first
    signals.round_published: [],
    signals.edition_opened: [complimentary.create_complimentary_order],
    signals.units_paid: [ledger.book_royalties],
    signals.units_refunded: [ledger.reverse_royalties],
}


def listeners(signal) -> list:
    return list(signal.receivers_for(signal.ANY))


def test_each_signal_has_its_listeners_in_order(app):
    for signal, expected in EXPECTED.items():
        assert listeners(signal) == expected, signal.name
    assert [f.__name__ for f in listeners(signals.payment_event_received)] == ["_stripe_connect_event"]


@pytest.mark.committed
def test_a_second_app_in_the_process_connects_nothing_twice(app, app_config):
    before = {signal.name: len(signal.receivers) for signal in [*EXPECTED, signals.payment_event_received]}
    other = create_app("testing", app_config)
    with other.app_context():
        from app.extensions import db

        db.engine.dispose()
    after = {signal.name: len(signal.receivers) for signal in [*EXPECTED, signals.payment_event_received]}
    assert after == before


def test_every_signal_says_who_sends_and_who_listens():
    for signal in [*EXPECTED, signals.payment_event_received]:
        assert "Sent by" in signal.__doc__ and "Listened by" in signal.__doc__, signal.name


def test_receivers_run_in_the_order_they_connected():
    signal = signals._Signal("test-order")
    calls = []
    functions = []
    for i in range(20):
        def receiver(sender, i=i):
            calls.append(i)
        functions.append(receiver)
        signal.connect(receiver, weak=False)
    signal.connect(functions[3], weak=False)  # again: no second call
    signal.send("x")
    assert calls == list(range(20))


def test_payment_events_nobody_handles_fall_through_to_the_shop(app):
    assert signals.handled(signals.payment_event_received.send("charge.refunded", obj={})) is None
    assert signals.handled(signals.payment_event_received.send("account.updated", obj={"id": "acct_none"})) \
        == "unknown account"


def test_no_string_hooks_are_left(app):
    assert not [key for key in app.extensions if str(key).startswith(("tirage.on_", "tirage.payment_events"))]
