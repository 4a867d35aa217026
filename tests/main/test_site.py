"""Site-wide behaviour: health check, security headers, error pages, languages, money."""
import pytest
from flask_babel import force_locale

from app import create_app
from app.money import format_money


def test_home_explains_the_concept(client):
    page = client.get("/").get_data(as_text=True)
    for words in ("Upload", "Vote", "Limited edition", "Bounty", "/account/register"):
        assert words in page


def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_security_headers_and_cookie_flags(browser, client):
    response = client.get("/account/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_no_inline_script_in_pages(client):
    page = client.get("/").get_data(as_text=True)
    assert "<script>" not in page and "onclick=" not in page


@pytest.mark.parametrize("url, code", [("/nowhere", 404), ("/healthz", 405)])
def test_friendly_error_pages(client, url, code):
    response = client.post(url) if code == 405 else client.get(url)
    assert response.status_code == code
    assert "Back to the home page" in response.get_data(as_text=True)


def test_request_too_large_gets_a_friendly_413(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = client.post("/account/login", data={"email": "x" * 5000})
    assert response.status_code == 413
    assert "larger than we accept" in response.get_data(as_text=True)


def test_server_error_page(app, client):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.route("/boom")
    def boom():
        raise RuntimeError("boom")

    response = client.get("/boom")
    assert response.status_code == 500
    assert "error happened on our side" in response.get_data(as_text=True)


def test_language_follows_the_browser_and_the_switch(client):
    assert 'lang="fr"' in client.get("/", headers={"Accept-Language": "fr-FR,fr;q=0.9"}).get_data(as_text=True)
    assert 'lang="en"' in client.get("/", headers={"Accept-Language": "en-GB"}).get_data(as_text=True)
    response = client.get("/language/fr?next=/how-it-works")
    assert response.headers["Location"] == "/how-it-works"
    page = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'lang="fr"' in page
    assert "Se connecter" in page


def test_language_switch_refuses_unknown_languages_and_foreign_redirects(client):
    assert client.get("/language/xx").status_code == 404
    assert client.get("/language/en?next=https://evil.example").headers["Location"] == "/"


def test_money_is_formatted_from_integer_cents(app):
    with app.test_request_context():
        with force_locale("en"):
            assert format_money(100000) == "€1,000.00"
        with force_locale("fr"):
            assert format_money(123456).replace("\u202f", " ").replace("\xa0", " ") == "1 234,56 €"
        with pytest.raises(TypeError):
            format_money(10.5)


@pytest.mark.committed
def test_production_refuses_default_secret(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production", {"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production", {"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "short"})


@pytest.mark.committed
def test_production_refuses_the_sandbox_payments():
    with pytest.raises(RuntimeError, match="sandbox"):
        create_app("production", {"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x" * 48,
                                  "SERVER_NAME": "tirage.example.org", "PAYMENT_BACKEND": "sandbox"})
    with pytest.raises(RuntimeError, match="STRIPE_WEBHOOK_SECRET"):
        create_app("production", {"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x" * 48,
                                  "SERVER_NAME": "tirage.example.org", "PAYMENT_BACKEND": "stripe",
                                  "STRIPE_SECRET_KEY": "sk_live_x"})


PRODUCTION = {"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x" * 48, "SERVER_NAME": "tirage.example.org",
              "PAYMENT_BACKEND": "stripe", "STRIPE_SECRET_KEY": "sk_live_x", "STRIPE_WEBHOOK_SECRET": "whsec_real",
              "SELLER_ADDRESS": ["12 rue des Presses", "75011 Paris"]}


@pytest.mark.committed
def test_production_refuses_receipts_without_the_sellers_address(monkeypatch):
    monkeypatch.delenv("SELLER_ADDRESS", raising=False)
    for address in ([], None):
        with pytest.raises(RuntimeError, match="SELLER_ADDRESS"):
            create_app("production", {**PRODUCTION, "SELLER_ADDRESS": address})


@pytest.mark.committed
def test_production_starts_with_a_real_secret():
    app = create_app("production", PRODUCTION)
    assert app.config["SESSION_COOKIE_SECURE"] is True
