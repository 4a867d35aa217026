"""Races on designs: one member submitting many at once, operators reviewing one design at once.

Each thread has its own request context, session and connection (tests/races.py), as concurrent
requests do; the races are real on PostgreSQL (TEST_DATABASE_URL).
"""
import pytest
import sqlalchemy as sa

from app.accounts.models import User
from app.audit.models import AuditEntry
from app.designs import services as designs
from app.designs.models import Design, DesignStatus, RejectionReason, Tag
from app.extensions import db
from tests.fixtures.designs import artwork_bytes, design_fields
from tests.factories import UserFactory
from tests.races import race


def count(stmt) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery()))


def designs_of(designer_id: int, status: DesignStatus):
    return sa.select(Design.id).where(Design.designer_id == designer_id, Design.status == status)


def audits(action: str):
    return sa.select(AuditEntry.id).where(AuditEntry.action == action)


# ---------------------------------------------------------------- the monthly limit

@pytest.mark.committed
def test_ten_simultaneous_submissions_let_five_through(app):
    limit = app.config["SUBMISSIONS_PER_ROUND"]
    assert limit == 5
    designer_id = UserFactory().id
    artwork = [artwork_bytes(seed) for seed in range(10)]  # drawn before the race, small

    def submit(index):
        fields = design_fields(title=f"Design {index}", tags="")  # new tags have a race of their own, below
        return designs.create_design(db.session.get(User, designer_id), fields, artwork[index], submit=True).id

    outcomes = race(app, submit, 10, expected=(designs.DesignError,))
    refused = [o for o in outcomes if isinstance(o, designs.DesignError)]
    assert len(refused) == 10 - limit
    assert all("already submitted 5 designs this month" in str(exc) for exc in refused)
    assert count(designs_of(designer_id, DesignStatus.SUBMITTED)) == limit
    assert count(sa.select(Design.id)) == limit


@pytest.mark.committed
def test_ten_drafts_submitted_at_once_let_five_through(app):
    designer = UserFactory()
    drafts = [designs.create_design(designer, design_fields(), artwork_bytes(seed), submit=False).id
              for seed in range(10)]
    db.session.commit()

    def submit(index):
        return designs.submit_draft(db.session.get(Design, drafts[index]))

    outcomes = race(app, submit, 10, expected=(designs.DesignError,))
    assert outcomes.count(True) == 5
    assert all("already submitted 5 designs" in str(o) for o in outcomes if o is not True)
    assert count(designs_of(designer.id, DesignStatus.SUBMITTED)) == 5
    assert count(designs_of(designer.id, DesignStatus.DRAFT)) == 5


@pytest.mark.committed
def test_a_draft_submitted_five_times_at_once_is_submitted_once(app):
    draft = designs.create_design(UserFactory(), design_fields(), artwork_bytes(1), submit=False)
    db.session.commit()
    draft_id = draft.id

    outcomes = race(app, lambda i: designs.submit_draft(db.session.get(Design, draft_id)), 5)
    assert sorted(outcomes) == [False, False, False, False, True]
    assert designs.submissions_this_round(draft.designer) == 1


@pytest.mark.committed
def test_members_bringing_the_same_new_tags_at_once_share_them(app):
    drafts = [designs.create_design(UserFactory(), design_fields(tags=""), artwork_bytes(seed), submit=False).id
              for seed in range(6)]
    db.session.commit()
    orders = ["brand-new, shiny", "shiny, brand-new"]  # either order: no deadlock either

    def retag(index):
        design = db.session.get(Design, drafts[index])
        designs.update_design(design, design_fields(tags=orders[index % 2]), None)
        db.session.flush()

    race(app, retag, 6)
    assert count(sa.select(Tag.id).where(Tag.name.in_(["brand-new", "shiny"]))) == 2
    assert all(sorted(t.name for t in db.session.get(Design, d).tags) == ["brand-new", "shiny"] for d in drafts)


# ---------------------------------------------------------------- moderation

def _submitted(make_design, mailbox):
    design = make_design(status="submitted")
    operators = [UserFactory(operator=True).id for _ in range(5)]
    facts = design.id, design.designer.email, operators
    db.session.commit()
    mailbox.messages.clear()
    return facts


@pytest.mark.committed
def test_five_operators_approving_at_once_approve_once(app, make_design, mailbox):
    design_id, designer_email, operators = _submitted(make_design, mailbox)

    def approve(index):
        return designs.approve_design(db.session.get(Design, design_id), db.session.get(User, operators[index]), "Nice")

    assert sorted(race(app, approve, 5)) == [False, False, False, False, True]
    assert count(audits("design.approve")) == 1
    assert len(mailbox.to(designer_email)) == 1
    design = db.session.get(Design, design_id)
    assert design.status == DesignStatus.APPROVED and design.reviewed_by_id in operators

    # A repeat afterwards changes nothing either.
    assert designs.approve_design(design, db.session.get(User, operators[0])) is False
    db.session.commit()
    assert count(audits("design.approve")) == 1
    assert len(mailbox.to(designer_email)) == 1


@pytest.mark.committed
def test_five_operators_rejecting_at_once_reject_once(app, make_design, mailbox):
    design_id, designer_email, operators = _submitted(make_design, mailbox)

    def reject(index):
        return designs.reject_design(db.session.get(Design, design_id), db.session.get(User, operators[index]),
                                     RejectionReason.OFF_BRIEF)

    assert sorted(race(app, reject, 5)) == [False, False, False, False, True]
    assert count(audits("design.reject")) == 1
    assert len(mailbox.to(designer_email)) == 1
    design = db.session.get(Design, design_id)
    assert design.status == DesignStatus.REJECTED

    assert designs.reject_design(design, db.session.get(User, operators[0]), RejectionReason.OFFENSIVE) is False
    db.session.commit()
    assert count(audits("design.reject")) == 1 and len(mailbox.to(designer_email)) == 1
    assert db.session.get(Design, design_id).rejection_reason == RejectionReason.OFF_BRIEF


@pytest.mark.committed
def test_approve_and_reject_at_once_decide_once(app, make_design, mailbox):
    design_id, designer_email, operators = _submitted(make_design, mailbox)

    def review(index):
        design, operator = db.session.get(Design, design_id), db.session.get(User, operators[index])
        if index % 2:
            return designs.reject_design(design, operator, RejectionReason.OFF_BRIEF)
        return designs.approve_design(design, operator)

    outcomes = race(app, review, 5, expected=(designs.DesignError,))
    assert outcomes.count(True) == 1
    assert count(sa.select(AuditEntry.id).where(AuditEntry.action.in_(["design.approve", "design.reject"]))) == 1
    assert len(mailbox.to(designer_email)) == 1
    decided = db.session.get(Design, design_id).status
    # The losers of the other decision were told it is no longer awaiting review.
    losers = [i for i, o in enumerate(outcomes) if isinstance(o, designs.DesignError)]
    assert all((i % 2 == 0) == (decided == DesignStatus.REJECTED) for i in losers)


def test_a_second_click_on_approve_says_so_and_changes_nothing(browser, auth, make_design, mailbox):
    design = make_design(status="submitted")
    url, email = f"/console/moderation/{design.id}", design.designer.email
    auth.operator()
    token = browser.token(url)
    for _ in range(2):  # the same form, sent twice
        response = browser.client.post(url, data={"approve": "Approve", "note": "", "csrf_token": token})
        assert response.status_code == 302
    page = browser.get("/console/moderation").get_data(as_text=True)
    assert "“Fox at night” was already approved." in page
    assert count(audits("design.approve")) == 1 and len(mailbox.to(email)) == 1


def test_withdrawing_twice_is_no_error(browser, auth, make_design):
    designer = UserFactory()
    design = make_design(designer=designer, status="submitted")
    auth.as_(designer)
    token = browser.token(f"/designs/{design.id}")
    for _ in range(2):  # the same form, sent twice
        response = browser.client.post(f"/designs/{design.id}/withdraw", data={"csrf_token": token})
        assert response.status_code == 302
    assert "cannot be withdrawn" not in browser.get("/me/designs").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Design, design.id).status == DesignStatus.WITHDRAWN
