"""What a ledger entry is and what a payout allows, asked of them."""
import pytest

from app.payouts.models import EntryKind, LedgerEntry, Payout, PayoutMethod, PayoutStatus


@pytest.mark.parametrize(("predicate", "kind"), [
    ("is_bounty", EntryKind.BOUNTY),
    ("is_royalty", EntryKind.ROYALTY),
    ("is_royalty_reversal", EntryKind.ROYALTY_REVERSAL),
])
def test_entry_kinds(predicate, kind):
    for each in EntryKind:
        assert getattr(LedgerEntry(kind=each), predicate) is (each == kind)


def test_payout_is_paid_and_is_manual():
    for status in PayoutStatus:
        assert Payout(status=status, method=PayoutMethod.STRIPE).is_paid is (status == PayoutStatus.PAID)
    assert Payout(method=PayoutMethod.MANUAL).is_manual
    assert not Payout(method=PayoutMethod.STRIPE).is_manual


@pytest.mark.parametrize(("status", "method", "retryable"), [
    (PayoutStatus.PROCESSING, PayoutMethod.STRIPE, True),   # outcome unknown: the same key again
    (PayoutStatus.FAILED, PayoutMethod.STRIPE, True),       # refused: paid afresh
    (PayoutStatus.PAID, PayoutMethod.STRIPE, False),
    (PayoutStatus.PAID, PayoutMethod.MANUAL, False),
    (PayoutStatus.PROCESSING, PayoutMethod.MANUAL, False),
])
def test_can_retry(status, method, retryable):
    assert Payout(status=status, method=method).can_retry is retryable
