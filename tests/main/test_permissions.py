"""The `can_*` answers of app.permissions, without HTTP (the route-by-role table tests the views)."""
from datetime import datetime, timezone

import pytest
from flask_login import AnonymousUserMixin

from app import permissions as p
from app.accounts.models import Role, User
from app.designs.models import Design, DesignStatus
from app.payouts.models import PayoutAccount
from app.rounds.models import Round, RoundStatus
from app.shop.models import Edition, EditionStatus, Order

NOW = datetime(2026, 11, 2, tzinfo=timezone.utc)
ANONYMOUS = AnonymousUserMixin()


def member(user_id=1, verified=True, operator=False):
    return User(id=user_id, role=Role.OPERATOR if operator else Role.MEMBER,
                email_verified_at=NOW if verified else None)


DESIGNER, OTHER, OPERATOR, UNVERIFIED = member(1), member(2), member(3, operator=True), member(1, verified=False)


def test_can_promote_a_member_not_an_operator():
    assert p.can_promote(OPERATOR, OTHER)
    assert not p.can_promote(OPERATOR, member(4, operator=True))
    assert not p.can_promote(OTHER, DESIGNER)
    assert not p.can_promote(ANONYMOUS, DESIGNER)


def test_console_and_moderation_are_for_operators():
    for ask in (p.is_operator, p.can_use_console, p.can_moderate):
        assert ask(OPERATOR)
        assert not ask(OTHER)
        assert not ask(ANONYMOUS)
        assert not ask(None)


@pytest.mark.parametrize("status", list(DesignStatus))
def test_can_see_design(status):
    design = Design(status=status, designer_id=DESIGNER.id)
    public = status == DesignStatus.APPROVED
    assert p.can_see_design(DESIGNER, design)
    assert p.can_see_design(OPERATOR, design)
    assert p.can_see_design(OTHER, design) is public
    assert p.can_see_design(ANONYMOUS, design) is public


def test_can_edit_design_is_the_verified_designer_only():
    design = Design(status=DesignStatus.DRAFT, designer_id=DESIGNER.id)
    assert p.can_edit_design(DESIGNER, design)
    assert not p.can_edit_design(UNVERIFIED, design)
    assert not p.can_edit_design(OPERATOR, design)
    assert not p.can_edit_design(ANONYMOUS, design)
    assert p.is_own_design(UNVERIFIED, design)
    assert not p.is_own_design(ANONYMOUS, design)


def test_can_comment_needs_a_verified_member_and_a_public_design():
    approved, draft = Design(status=DesignStatus.APPROVED), Design(status=DesignStatus.DRAFT)
    assert p.can_comment(OTHER, approved)
    assert p.can_comment(OTHER)
    assert not p.can_comment(OTHER, draft)
    assert not p.can_comment(UNVERIFIED, approved)
    assert not p.can_comment(ANONYMOUS, approved)


def test_can_see_edition():
    draft_unpublished = Edition(status=EditionStatus.DRAFT, round=Round(status=RoundStatus.CLOSED))
    draft_published = Edition(status=EditionStatus.DRAFT, round=Round(status=RoundStatus.PUBLISHED))
    assert not p.can_see_edition(OTHER, draft_unpublished)
    assert not p.can_see_edition(ANONYMOUS, draft_unpublished)
    assert p.can_see_edition(OPERATOR, draft_unpublished)
    assert p.can_see_edition(ANONYMOUS, draft_published)
    assert p.can_see_edition(ANONYMOUS, Edition(status=EditionStatus.ON_SALE, round=Round(status=RoundStatus.CLOSED)))


def test_orders_are_seen_by_the_buyer_and_operators_and_paid_by_the_buyer_only():
    order = Order(buyer_id=DESIGNER.id)
    assert p.can_see_order(DESIGNER, order) and p.can_pay_order(DESIGNER, order)
    assert p.can_see_order(OPERATOR, order) and not p.can_pay_order(OPERATOR, order)
    assert not p.can_see_order(OTHER, order) and not p.can_pay_order(OTHER, order)
    assert not p.can_see_order(ANONYMOUS, order) and not p.can_pay_order(ANONYMOUS, order)


def test_can_address_shirt_is_for_the_designer_of_a_complimentary_order():
    assert p.can_address_shirt(DESIGNER, Order(buyer_id=DESIGNER.id, complimentary=True))
    assert not p.can_address_shirt(DESIGNER, Order(buyer_id=DESIGNER.id, complimentary=False))
    assert not p.can_address_shirt(OPERATOR, Order(buyer_id=DESIGNER.id, complimentary=True))


def test_can_manage_payout_account():
    account = PayoutAccount(designer_id=DESIGNER.id)
    assert p.can_manage_payout_account(DESIGNER, account)
    assert not p.can_manage_payout_account(OTHER, account)
    assert not p.can_manage_payout_account(OPERATOR, account)
    assert not p.can_manage_payout_account(ANONYMOUS, account)


def test_templates_can_ask_every_can_function(app):
    names = {name for name in dir(p) if name.startswith("can_")}
    assert names <= set(app.jinja_env.globals)
