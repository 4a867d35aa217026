"""Registration and email verification, through the pages and the real SMTP server."""
from datetime import timedelta

import sqlalchemy as sa
import time_machine

from app.accounts.models import User
from app.clock import utcnow
from app.extensions import db
from tests.fixtures.web import PASSWORD
from tests.factories import UserFactory


def register(browser, email="ada@example.org", name="Ada", password=PASSWORD, confirm=None, accept="y"):
    return browser.submit("/account/register", {
        "email": email, "display_name": name, "password": password, "confirm": confirm or password,
        **({"accept_terms": accept} if accept else {}),
    })


def users():
    return db.session.scalars(sa.select(User)).all()


def test_register_sends_a_link_that_verifies_the_address(browser, mailbox):
    response = register(browser, email="Ada@Example.org ")
    assert response.status_code == 302
    assert "/account/register/check-your-inbox" in response.headers["Location"]

    [user] = users()
    assert user.email == "ada@example.org"
    assert not user.is_verified
    assert user.password_hash.startswith("$argon2id$")

    link = mailbox.link_in(mailbox.last_to("ada@example.org"), "/account/verify/")
    response = browser.get(link.replace("http://tirage.test", ""))
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).is_verified


def test_registered_member_can_log_in_before_verifying_and_is_reminded(browser, mailbox):
    register(browser)
    assert browser.login("ada@example.org").status_code == 302
    page = browser.get("/").get_data(as_text=True)
    assert "Confirm your email address to vote" in page


def test_duplicate_email_creates_nothing_and_reveals_nothing(browser, mailbox):
    existing = UserFactory(email="ada@example.org")
    response = register(browser, email="ADA@example.org", name="Impostor")
    # Same answer as a new registration...
    assert response.status_code == 302
    assert "check-your-inbox" in response.headers["Location"]
    # ...but no second account, and the real owner is told.
    assert [u.id for u in users()] == [existing.id]
    mail = mailbox.last_to("ada@example.org")
    assert "already have" in mail["Subject"]
    assert "/account/verify/" not in mail.get_content()


def test_weak_or_mismatched_passwords_are_refused(browser, mailbox):
    for password, confirm, message in [
        ("short", "short", "Use at least 10 characters."),
        ("password123", "password123", "too easy to guess"),
        ("aaaaaaaaaaaa", "aaaaaaaaaaaa", "too easy to guess"),
        (PASSWORD, PASSWORD + "x", "The two passwords differ."),
    ]:
        response = register(browser, password=password, confirm=confirm)
        assert response.status_code == 422
        assert message in response.get_data(as_text=True)
    assert users() == []
    assert mailbox.messages == []


def test_bad_email_and_missing_name_are_refused(browser):
    response = register(browser, email="not-an-email", name="")
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "Enter a valid email address." in body
    assert "This field is required." in body
    assert users() == []


def test_register_without_csrf_token_is_refused(client):
    response = client.post("/account/register", data={
        "email": "ada@example.org", "display_name": "Ada", "password": PASSWORD, "confirm": PASSWORD,
    })
    assert response.status_code == 400
    assert "The form expired" in response.get_data(as_text=True)
    assert users() == []


def test_verification_link_expires(browser, mailbox):
    with time_machine.travel(utcnow(), tick=False) as traveller:
        register(browser)
        link = mailbox.link_in(mailbox.last_to("ada@example.org"), "/account/verify/")
        traveller.shift(timedelta(days=3))
        response = browser.get(link.replace("http://tirage.test", ""))
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)
    assert not users()[0].is_verified


def test_tampered_verification_link_is_refused(browser, mailbox):
    register(browser)
    link = mailbox.link_in(mailbox.last_to("ada@example.org"), "/account/verify/")
    response = browser.get(link.replace("http://tirage.test", "")[:-3] + "abc")
    assert response.status_code == 400
    assert "not valid" in response.get_data(as_text=True)
    assert not users()[0].is_verified


def test_unverified_member_can_ask_for_a_new_link(browser, auth, mailbox):
    user = auth.member(unverified=True)
    response = browser.submit("/account/verify/resend", form_url="/account/verify")
    assert response.status_code == 302
    assert mailbox.link_in(mailbox.last_to(user.email), "/account/verify/")


def test_registration_is_rate_limited_per_ip(app, browser):
    app.config["REGISTER_RATE_LIMIT"] = "3 per hour"
    for n in range(3):
        assert register(browser, email=f"user{n}@example.org").status_code == 302
    response = register(browser, email="user9@example.org")
    assert response.status_code == 429
    assert "Too many attempts" in response.get_data(as_text=True)
    assert len(users()) == 3


def test_a_taken_address_gets_the_same_work_and_the_same_answer(browser, mailbox, monkeypatch):
    """Without timing: both ways hash the password and send one mail, and answer alike."""
    from app.accounts import services

    hashed = []

    def spy(password):
        hashed.append(password)
        return real(password)

    real = services.hash_password
    monkeypatch.setattr(services, "hash_password", spy)

    new = register(browser, email="ada@example.org", password=PASSWORD)
    assert hashed == [PASSWORD] and len(mailbox.to("ada@example.org")) == 1
    taken = register(browser, email="Ada@example.org", name="Impostor", password="another long password")
    assert hashed == [PASSWORD, "another long password"]  # the hasher ran for the taken address too
    assert len(mailbox.to("ada@example.org")) == 2  # one mail each way: the owner hears of the attempt
    assert "already have" in mailbox.last_to("ada@example.org")["Subject"]
    assert (taken.status_code, taken.headers["Location"], taken.get_data()) == \
        (new.status_code, new.headers["Location"], new.get_data())
    assert len(users()) == 1


def test_confirming_the_address_logs_the_member_in_and_welcomes_them(browser, mailbox):
    register(browser)
    link = mailbox.link_in(mailbox.last_to("ada@example.org"), "/account/verify/")
    response = browser.get(link.replace("http://tirage.test", ""))
    assert response.status_code == 302 and response.headers["Location"].endswith("/")
    page = browser.get("/").get_data(as_text=True)
    assert "Welcome aboard, Ada!" in page
    assert browser.get("/account/settings").status_code == 200  # logged in
    # The link used again: still confirmed, still logged in, no error.
    assert browser.get(link.replace("http://tirage.test", "")).status_code == 302


def test_confirming_while_logged_in_as_someone_else_keeps_their_session(browser, auth, mailbox):
    register(browser)
    link = mailbox.link_in(mailbox.last_to("ada@example.org"), "/account/verify/")
    other = auth.member()
    response = browser.get(link.replace("http://tirage.test", ""))
    assert response.status_code == 302
    page = browser.get("/").get_data(as_text=True)
    assert "ada@example.org is confirmed" in page and "Log out, then log in as Ada" in page
    assert other.display_name in page
    db.session.expire_all()
    assert db.session.scalar(sa.select(User).where(User.email == "ada@example.org")).is_verified


def test_first_log_in_says_welcome_and_later_ones_welcome_back(browser, mailbox):
    register(browser)
    browser.login("ada@example.org")
    page = browser.get("/").get_data(as_text=True)
    assert "Welcome, Ada." in page and "Welcome back" not in page
    browser.logout()
    link = mailbox.link_in(mailbox.last_to("ada@example.org"), "/account/verify/")
    browser.get(link.replace("http://tirage.test", ""))
    browser.logout()
    browser.login("ada@example.org")
    assert "Welcome back, Ada." in browser.get("/").get_data(as_text=True)


def test_sign_up_says_when_new_accounts_can_vote(app, browser):
    page = browser.get("/account/register").get_data(as_text=True)
    assert "can vote 24 hours after signing up" in page
    assert "submit designs and buy shirts right away" in page
    app.config["VOTER_MIN_ACCOUNT_AGE_HOURS"] = 48
    assert "can vote 48 hours after signing up" in browser.get("/account/register").get_data(as_text=True)
