"""What a design's state allows, asked of the design."""
import pytest

from app.designs.models import Design, DesignStatus
from tests.predicates import assert_true_exactly_for

D, SUB, A, R, W = (DesignStatus.DRAFT, DesignStatus.SUBMITTED, DesignStatus.APPROVED, DesignStatus.REJECTED,
                   DesignStatus.WITHDRAWN)


@pytest.mark.parametrize(("predicate", "true_for"), [
    ("is_draft", {D}),
    ("is_awaiting_review", {SUB}),
    ("is_approved", {A}),
    ("is_public", {A}),
    ("is_rejected", {R}),
    ("is_editable", {D, SUB}),
    ("accepts_edits", {D, SUB, A}),
])
def test_status_predicates(predicate, true_for):
    assert_true_exactly_for(lambda status: Design(status=status), predicate, true_for, DesignStatus)
