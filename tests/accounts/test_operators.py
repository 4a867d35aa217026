"""Roles: the create-operator command, suspension and promotion by operators, and the audit trail."""
import sqlalchemy as sa

from app.accounts.models import Role, User
from app.audit.models import AuditEntry
from app.extensions import db
from tests.factories import UserFactory


def fresh(user) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


def test_create_operator_creates_a_verified_operator(runner):
    result = runner.invoke(args=["users", "create-operator", "boss@example.org", "--password", "a long passphrase"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User).where(User.email == "boss@example.org"))
    assert user.role == Role.OPERATOR and user.is_verified


def test_create_operator_promotes_an_existing_member(runner):
    member = UserFactory()
    result = runner.invoke(args=["users", "create-operator", member.email])
    assert "Promoted" in result.output
    assert fresh(member).is_operator
    again = runner.invoke(args=["users", "create-operator", member.email])
    assert "already an operator" in again.output


def test_operator_suspends_and_reinstates_with_audit_trail(browser, auth):
    operator = auth.operator()
    member = UserFactory()
    response = browser.submit(f"/console/members/{member.id}/suspend", {"reason": "spam votes"},
                              form_url=f"/console/members/{member.id}")
    assert response.status_code == 302
    assert fresh(member).is_suspended
    browser.submit(f"/console/members/{member.id}/reinstate", form_url=f"/console/members/{member.id}")
    assert not fresh(member).is_suspended
    actions = db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["member.suspend", "member.reinstate"]
    entry = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)).first()
    assert (entry.actor_id, entry.target_id, entry.reason) == (operator.id, str(member.id), "spam votes")


def test_suspension_needs_a_reason(browser, auth):
    auth.operator()
    member = UserFactory()
    browser.submit(f"/console/members/{member.id}/suspend", {"reason": ""}, form_url=f"/console/members/{member.id}")
    assert not fresh(member).is_suspended


def test_operator_cannot_suspend_themselves(browser, auth):
    operator = auth.operator()
    browser.submit(f"/console/members/{operator.id}/suspend", {"reason": "oops"},
                   form_url=f"/console/members/{operator.id}")
    assert not fresh(operator).is_suspended


def test_promote_to_operator(browser, auth):
    auth.operator()
    member = UserFactory()
    browser.submit(f"/console/members/{member.id}/promote", form_url=f"/console/members/{member.id}")
    assert fresh(member).is_operator


def test_members_cannot_use_the_console(browser, auth, client):
    member = auth.member()
    target = UserFactory()
    assert client.get("/console/").status_code == 403
    assert client.get("/console/members").status_code == 403
    token = browser.token("/account/settings")
    response = client.post(f"/console/members/{target.id}/suspend", data={"reason": "x", "csrf_token": token})
    assert response.status_code == 403
    assert not fresh(target).is_suspended
    assert not fresh(member).is_operator


def test_anonymous_is_sent_to_login_from_the_console(client):
    response = client.get("/console/members")
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]


def test_member_search(browser, auth):
    auth.operator()
    UserFactory(display_name="Zoé Zèbre", email="zoe@example.org")
    UserFactory(display_name="Bob", email="bob@example.org")
    page = browser.get("/console/members?q=zoe").get_data(as_text=True)
    assert "zoe@example.org" in page and "bob@example.org" not in page
