"""Logging in and out, remember me, suspension, rate limits and safe redirects."""
from app.extensions import db
from tests.fixtures.web import PASSWORD, Browser
from tests.factories import UserFactory


def test_login_and_logout(browser):
    user = UserFactory()
    response = browser.login(user.email)
    assert response.status_code == 302
    assert "Welcome back" in browser.get("/").get_data(as_text=True)
    assert user.display_name in browser.get("/").get_data(as_text=True)
    assert browser.logout().status_code == 302
    assert "Log in" in browser.get("/").get_data(as_text=True)
    assert browser.get("/account/settings").status_code == 302


def test_login_is_case_insensitive_on_email(browser):
    UserFactory(email="ada@example.org")
    assert browser.login("  ADA@example.org").status_code == 302


def test_wrong_password_and_unknown_email_get_the_same_answer(browser):
    UserFactory(email="ada@example.org")
    wrong = browser.login("ada@example.org", "wrong password here")
    unknown = browser.login("nobody@example.org", "wrong password here")
    assert wrong.status_code == unknown.status_code == 401
    message = "Email or password is not correct."
    assert message in wrong.get_data(as_text=True)
    assert message in unknown.get_data(as_text=True)


def test_remember_me_sets_a_lasting_cookie(browser, client):
    user = UserFactory()
    browser.login(user.email, remember="y")
    assert client.get_cookie("remember_token", domain="tirage.test") is not None


def test_without_remember_me_no_lasting_cookie(browser, client):
    user = UserFactory()
    browser.login(user.email)
    assert client.get_cookie("remember_token", domain="tirage.test") is None


def test_suspended_member_cannot_log_in(browser):
    user = UserFactory(suspended=True)
    response = browser.login(user.email)
    assert response.status_code == 401
    assert "suspended" in response.get_data(as_text=True)
    assert browser.get("/account/settings").status_code == 302


def test_suspension_ends_an_open_session(app, browser, auth):
    from app.accounts import services

    member = auth.member()
    operator = UserFactory(operator=True)
    assert browser.get("/account/settings").status_code == 200
    services.suspend_user(member, operator, "spam")
    db.session.commit()
    assert browser.get("/account/settings").status_code == 302


def test_next_url_is_followed_only_when_local(browser):
    user = UserFactory()
    token = browser.token("/account/login")
    for target, expected in [
        ("/account/settings", "/account/settings"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
    ]:
        response = browser.client.post(f"/account/login?next={target}",
                                       data={"email": user.email, "password": PASSWORD, "csrf_token": token})
        assert response.status_code == 302
        assert response.headers["Location"] == expected
        browser.logout()
        token = browser.token("/account/login")


def test_login_is_rate_limited_per_account(app, browser):
    user = UserFactory()
    app.config["ACCOUNT_LOGIN_RATE_LIMIT"] = "3 per 15 minutes"
    for _ in range(3):
        assert browser.login(user.email, "wrong password").status_code == 401
    # Even the right password waits now: the account is paused.
    response = browser.login(user.email)
    assert response.status_code == 429
    assert "Too many attempts" in response.get_data(as_text=True)


def test_successful_logins_do_not_count_against_the_account(app, browser):
    user = UserFactory()
    app.config["ACCOUNT_LOGIN_RATE_LIMIT"] = "2 per 15 minutes"
    for _ in range(4):
        assert browser.login(user.email).status_code == 302
        browser.logout()


def test_login_is_rate_limited_per_ip(app, browser):
    app.config["LOGIN_RATE_LIMIT"] = "4 per minute"
    for n in range(4):
        browser.login(f"someone{n}@example.org", "wrong password")
    assert browser.login("other@example.org", "wrong password").status_code == 429


def test_logout_requires_post_with_csrf(browser, client):
    user = UserFactory()
    browser.login(user.email)
    assert client.get("/account/logout").status_code == 405
    assert client.post("/account/logout").status_code == 400
    assert browser.get("/account/settings").status_code == 200


def _browser_at(app, address: str) -> Browser:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return Browser(client)


def _paused_mails(mailbox, user) -> list:
    return [m for m in mailbox.to(user.email) if "paused" in m["Subject"]]


def test_a_stranger_cannot_lock_the_owner_out(app, mailbox):
    owner = UserFactory(operator=True)
    app.config.update(ACCOUNT_LOGIN_RATE_LIMIT="3 per 15 minutes", LOGIN_RATE_LIMIT="100 per minute")
    stranger = _browser_at(app, "198.51.100.7")
    answers = [stranger.login(owner.email, "wrong password").status_code for _ in range(10)]
    assert answers == [401] * 3 + [429] * 7  # the stranger is stopped...
    # ...and the owner, from their own address, logs in as usual.
    assert _browser_at(app, "203.0.113.5").login(owner.email).status_code == 302
    assert _paused_mails(mailbox, owner) == []  # below the ceiling: nothing to tell


def test_the_ceiling_holds_against_many_addresses_and_the_owner_is_told_once(app, mailbox):
    owner = UserFactory()
    app.config.update(ACCOUNT_LOGIN_RATE_LIMIT="3 per 15 minutes", ACCOUNT_LOGIN_CEILING="6 per hour",
                      LOGIN_RATE_LIMIT="100 per minute")
    answers = [_browser_at(app, f"198.51.100.{n}").login(owner.email, "wrong password").status_code
               for n in range(1, 11)]
    assert answers == [401] * 6 + [429] * 4  # one try per address, yet the account's ceiling holds
    assert _browser_at(app, "203.0.113.5").login(owner.email).status_code == 429  # paused for everyone
    [mail] = _paused_mails(mailbox, owner)  # one mail, not one per attempt
    body = mail.get_content()
    assert "paused" in body and "/account/reset" in body
    # The pause also covers addresses nobody registered, with nobody to mail.
    for n in range(1, 8):
        _browser_at(app, f"198.51.100.{n}").login("nobody@example.org", "wrong password")
    assert _browser_at(app, "203.0.113.5").login("nobody@example.org", "wrong password").status_code == 429
    assert len(mailbox.messages) == 1


def test_visitors_see_log_in_and_sign_up_in_the_header_on_every_width(browser):
    """The sign-up button is not hidden on a phone (no hide-sm); 390 px was checked in a browser."""
    page = browser.get("/").get_data(as_text=True)
    header = page.split('class="header-tools"', 1)[1].split("</header>", 1)[0]
    assert 'href="/account/login"' in header
    assert '<a class="button button-primary" href="/account/register">Sign up</a>' in header
