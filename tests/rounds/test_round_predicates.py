"""What a round's state allows, asked of the round (templates and views never compare its status)."""
from datetime import datetime, timezone

import pytest

from app.rounds.models import Round, RoundStatus

S, O, C, P = RoundStatus.SCHEDULED, RoundStatus.OPEN, RoundStatus.CLOSED, RoundStatus.PUBLISHED
CONFIRMED = datetime(2026, 11, 2, tzinfo=timezone.utc)


@pytest.mark.parametrize(("predicate", "true_for"), [
    ("is_scheduled", {S}),
    ("is_open", {O}),
    ("is_closed", {C}),
    ("results_visible", {P}),
    ("settings_editable", {S, O}),
    ("votes_reviewable", {O, C}),
    ("results_editable", {C}),
])
def test_status_predicates(predicate, true_for):
    for status in RoundStatus:
        assert getattr(Round(status=status), predicate) is (status in true_for), (predicate, status)


def test_results_stop_changing_once_the_winners_are_confirmed():
    assert Round(status=C).results_editable
    assert not Round(status=C, winners_confirmed_at=CONFIRMED).results_editable
    assert not Round(status=P, winners_confirmed_at=CONFIRMED).results_editable
