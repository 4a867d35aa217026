"""TRUSTED_PROXIES: behind nginx, limits key on each visitor, not on the proxy; without a trusted
proxy, X-Forwarded-* headers are ignored, since any client can send them."""
import pytest
from flask import request

from tests.fixtures.web import Browser


def _app(request_fixture, app_config, proxies: int):
    app_config.update(TRUSTED_PROXIES=proxies, LOGIN_RATE_LIMIT="3 per minute",
                      ACCOUNT_LOGIN_RATE_LIMIT="100 per minute")
    app = request_fixture.getfixturevalue("app")

    @app.route("/_seen")
    def seen():
        return {"address": request.remote_addr, "scheme": request.scheme, "host": request.host}

    return app


def _fail_logins(browser, forwarded_for: str, times: int) -> list[int]:
    headers = {"X-Forwarded-For": forwarded_for}
    return [browser.submit("/account/login", {"email": "nobody@example.org", "password": "wrong password"},
                           headers=headers).status_code for _ in range(times)]


def test_behind_one_trusted_proxy_each_visitor_has_its_own_login_limit(request, app_config):
    app = _app(request, app_config, proxies=1)
    first, second = Browser(app.test_client()), Browser(app.test_client())
    assert _fail_logins(first, "203.0.113.1", 4) == [401, 401, 401, 429]
    # Same proxy (REMOTE_ADDR 127.0.0.1), another visitor: not locked out by the first.
    assert _fail_logins(second, "203.0.113.2", 1) == [401]


def test_without_a_trusted_proxy_forwarded_headers_are_ignored(request, app_config):
    app = _app(request, app_config, proxies=0)
    first, second = Browser(app.test_client()), Browser(app.test_client())
    assert _fail_logins(first, "203.0.113.1", 4) == [401, 401, 401, 429]
    # A client cannot escape its limit by claiming another address.
    assert _fail_logins(second, "203.0.113.2", 1) == [429]


@pytest.mark.parametrize("proxies, expected", [
    (0, {"address": "127.0.0.1", "scheme": "http", "host": "tirage.test"}),
    (1, {"address": "198.51.100.9", "scheme": "https", "host": "shop.example.org"}),
])
def test_trusted_headers_give_the_visitors_address_scheme_and_host(request, app_config, proxies, expected):
    app = _app(request, app_config, proxies=proxies)
    response = app.test_client().get("/_seen", headers={
        "X-Forwarded-For": "10.9.9.9, 198.51.100.9", "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "shop.example.org"})
    # With one proxy, only the address it added (the last) is trusted, not what the client wrote before it.
    assert response.json == expected
