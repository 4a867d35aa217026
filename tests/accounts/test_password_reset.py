"""Password reset by email: one-time, expiring links, and no user enumeration."""
from datetime import timedelta

import time_machine

from app.accounts.models import User
from app.clock import utcnow
from app.extensions import db
from tests.factories import UserFactory

NEW_PASSWORD = "a brand new passphrase"


def ask_reset(browser, email):
    return browser.submit("/account/reset", {"email": email})


def reset_link(mailbox, email):
    return mailbox.link_in(mailbox.last_to(email), "/account/reset/").replace("http://tirage.test", "")


def test_reset_changes_the_password_once(browser, mailbox):
    user = UserFactory()
    response = ask_reset(browser, user.email)
    assert response.status_code == 302
    link = reset_link(mailbox, user.email)
    response = browser.submit(link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert browser.login(user.email, NEW_PASSWORD).status_code == 302
    browser.logout()
    assert browser.login(user.email).status_code == 401  # the old one is gone
    # The link is spent.
    assert browser.get(link).status_code == 400


def test_reset_for_unknown_email_says_the_same_and_sends_nothing(browser, mailbox):
    UserFactory(email="ada@example.org")
    known = ask_reset(browser, "ada@example.org")
    unknown = ask_reset(browser, "nobody@example.org")
    assert known.status_code == unknown.status_code == 302
    assert browser.get("/account/login").get_data(as_text=True).count("If an account uses this address") == 1
    assert mailbox.to("nobody@example.org") == []


def test_reset_link_expires_after_an_hour(browser, mailbox):
    user = UserFactory()
    with time_machine.travel(utcnow(), tick=False) as traveller:
        ask_reset(browser, user.email)
        link = reset_link(mailbox, user.email)
        traveller.shift(timedelta(minutes=61))
        response = browser.get(link)
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)


def test_reset_with_weak_password_keeps_the_old_one(browser, mailbox):
    user = UserFactory()
    ask_reset(browser, user.email)
    link = reset_link(mailbox, user.email)
    response = browser.submit(link, {"password": "short", "confirm": "short"})
    assert response.status_code == 200
    assert "Use at least 10 characters." in response.get_data(as_text=True)
    assert browser.login(user.email).status_code == 302


def test_reset_verifies_an_unverified_address(browser, mailbox):
    user = UserFactory(unverified=True)
    ask_reset(browser, user.email)
    browser.submit(reset_link(mailbox, user.email), {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    db.session.expire_all()
    assert db.session.get(User, user.id).is_verified


def test_suspended_member_gets_no_reset_mail(browser, mailbox):
    user = UserFactory(suspended=True)
    ask_reset(browser, user.email)
    assert mailbox.to(user.email) == []
