"""What a round's state allows, asked of the round (templates and views never compare its status)."""
from datetime import datetime, timezone

import pytest

from app.rounds.models import Round, RoundStatus
from tests.predicates import assert_true_exactly_for

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
    assert_true_exactly_for(lambda status: Round(status=status), predicate, true_for, RoundStatus)


def test_results_stop_changing_once_the_winners_are_confirmed():
    assert Round(status=C).results_editable
    assert not Round(status=C, winners_confirmed_at=CONFIRMED).results_editable
    assert not Round(status=P, winners_confirmed_at=CONFIRMED).results_editable
