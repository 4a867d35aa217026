"""Templates ask models and permissions; they never compare a status's value or decide access."""
import re
from pathlib import Path

import pytest
from flask_babel import force_locale

from app.accounts.models import Role
from app.designs.models import DesignStatus, RejectionReason
from app.labels import BADGES, LABELS, badge, label, labels_of
from app.outbox import MailStatus
from app.payouts.models import EntryKind, PayoutMethod, PayoutStatus
from app.rounds.models import RoundStatus
from app.shop.models import EditionStatus, OrderStatus

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
# `x.status.value == "open"`, `.value != …`, `.value in (…)`, `.value not in …`: a rule written in a template.
VALUE_COMPARISON = re.compile(r"\.value\s*(==|!=|\bin\b|\bnot\s+in\b)")
# "Who may" is asked of app.permissions (can_*), never read off the visitor's role in a page.
ROLE_TEST = re.compile(r"current_user\.is_operator")


def _template_lines():
    for path in sorted(TEMPLATES.rglob("*")):
        if path.is_file() and path.suffix in {".html", ".txt"}:
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                yield path.relative_to(TEMPLATES), number, line


def test_no_template_compares_a_status_value():
    offending = [f"{path}:{number}" for path, number, line in _template_lines() if VALUE_COMPARISON.search(line)]
    assert offending == [], "ask the model (a predicate such as order.is_refundable) instead: " + ", ".join(offending)


def test_no_template_reads_the_visitor_role():
    offending = [f"{path}:{number}" for path, number, line in _template_lines() if ROLE_TEST.search(line)]
    assert offending == [], "ask a can_* function of app.permissions instead: " + ", ".join(offending)


def test_the_csrf_token_is_written_one_way():
    offending = [f"{path}:{number}" for path, number, line in _template_lines()
                 if "hidden_tag()" in line or 'name="csrf_token"' in line]
    assert offending == [], "use {{ csrf_field() }}: " + ", ".join(offending)


@pytest.mark.parametrize("kind", [Role, RoundStatus, DesignStatus, RejectionReason, EditionStatus, OrderStatus,
                                  EntryKind, PayoutStatus, PayoutMethod, MailStatus])
def test_every_member_has_a_label(app, kind):
    assert set(LABELS[kind]) == set(kind)
    with app.test_request_context():
        assert all(str(label(member)) for member in kind)
        assert labels_of(kind) is LABELS[kind]


def test_labels_keep_enums_apart_and_follow_the_language(app):
    # "draft" is a design's and an edition's state: the same string, two labels.
    with app.test_request_context(), force_locale("en"):
        assert str(label(DesignStatus.DRAFT)) == "Draft"
        assert str(label(EditionStatus.DRAFT)) == "Coming soon"
        assert str(label(PayoutMethod.MANUAL)) == "Bank transfer"
    with app.test_request_context(), force_locale("fr"):
        assert str(label(EditionStatus.DRAFT)) == "Bientôt en vente"
        assert str(label(PayoutMethod.MANUAL)) == "Virement bancaire"


def test_badges():
    assert badge(RoundStatus.OPEN) == "badge-ok"
    assert badge(RoundStatus.PUBLISHED) == ""
    assert badge(OrderStatus.EXPIRED) == "badge-muted"
    assert badge(PayoutStatus.PROCESSING) == "badge-warn"
    assert badge(EditionStatus.ON_SALE) == ""  # editions wear the plain badge
    assert all(set(tones) <= set(kind) for kind, tones in BADGES.items())
