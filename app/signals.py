"""The named events one feature announces and others react to, all declared here.

Search `<signal>.connect` to find every listener. Receivers are connected in their feature's
package `__init__.py`, when its blueprint is first registered; they run in the sender's
transaction, in the order they were connected (blueprint registration order), and an exception
in one propagates to the sender, as a direct call would.
"""
from __future__ import annotations

from collections.abc import MutableSet

from blinker import NamedSignal


class _OrderedSet(MutableSet):
    """A set that iterates in insertion order, so that receivers run in the order they connected
    (blinker's default `set` leaves it undefined)."""

    def __init__(self, items=()):
        self._items = dict.fromkeys(items)

    def __contains__(self, item) -> bool:
        return item in self._items

    def __iter__(self):
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def add(self, item) -> None:
        self._items[item] = None

    def discard(self, item) -> None:
        self._items.pop(item, None)

    def copy(self) -> _OrderedSet:
        return _OrderedSet(self._items)


class _Signal(NamedSignal):
    set_class = _OrderedSet


winner_confirmed = _Signal("winner-confirmed", """\
A round's winner is confirmed (once per winning design).
Sent by rounds.lifecycle.confirm_winners: send(round_, result=RoundResult, operator=User).
Listened by shop (draft_edition: its edition is drafted), then payouts (book_bounty).""")

round_published = _Signal("round-published", """\
A round's results are published (once).
Sent by rounds.lifecycle.publish: send(round_, operator=User).
Listened by nobody yet (the results mail is a task queued by publish itself).""")

edition_opened = _Signal("edition-opened", """\
An edition goes on sale; its serials exist and No. 1 is set aside for the designer.
Sent by shop.services.open_edition: send(edition, operator=User).
Listened by the shop (complimentary.create_complimentary_order: the designer's shirt No. 1).""")

units_paid = _Signal("units-paid", """\
An order is paid (on time or late) and its units are sold and numbered.
Sent by shop.payment_events._paid (from sync_order): send(order).
Listened by payouts (book_royalties).""")

units_refunded = _Signal("units-refunded", """\
Some units of an order are refunded (by an operator, or by a full refund at the provider).
Sent by shop.services.refund_units and shop.payment_events.close_as_refunded:
send(order, units=[Unit], refund=Refund | None).
Listened by payouts (reverse_royalties).""")

payment_event_received = _Signal("payment-event-received", """\
A verified payment-provider event, new (duplicates are dropped before), for another feature to claim.
Sent by shop.payment_events._dispatch before the shop traces it to an order: send(kind, obj=dict),
kind being the event's type ("account.updated"). A receiver returns what it did (a short
string, for logs and tests) when the event is its own, None otherwise; the first answer wins
and the shop then does nothing more with the event.
Listened by payouts (account.updated: Stripe Connect onboarding status).""")


def handled(results: list[tuple[object, object]]) -> str | None:
    """The first receiver's answer that is not None, from `signal.send(...)`'s results."""
    return next((answer for _, answer in results if answer is not None), None)
