"""Numbers and countries as each language writes them, on the pages that show them."""
from flask_babel import refresh

from app.accounts.models import User
from app.extensions import db
from app.i18n import country_name, two_decimals
from tests.fixtures.web import PASSWORD


def test_filters_follow_the_language(app):
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        assert (two_decimals(3.5), country_name("DE"), country_name("fr")) == ("3,50", "Allemagne", "France")
    with app.test_request_context(headers={"Accept-Language": "en"}):
        refresh()  # the test's app context cached the French locale
        assert (two_decimals(3.5), two_decimals(1234.567), country_name("DE")) == ("3.50", "1,234.57", "Germany")
        assert country_name("Q9") == "Q9" and country_name("") == ""  # unknown: shown as given


def test_results_in_french_write_decimals_with_a_comma(client, won, publish):
    publish()
    english = client.get("/rounds/2026/11", headers={"Accept-Language": "en"}).get_data(as_text=True)
    french = client.get("/rounds/2026/11", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "5.00" in english and "5,00" in french and "5.00" not in french


def test_an_order_shows_the_country_by_name(browser, sell):
    order = sell(2)
    browser.login(db.session.get(User, order.buyer_id).email, PASSWORD)
    page = browser.get(f"/orders/{order.public_id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "France</dd>" in page and ", FR</dd>" not in page


def test_address_forms_name_the_countries_in_the_visitors_language(browser, won, publish, designer):
    publish()
    browser.login(designer.email, PASSWORD)
    page = browser.get("/me/dashboard", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert '<option value="DE">Allemagne</option>' in page


def test_ledger_entries_are_described_in_the_designers_language(browser, won, publish, sell, designer, operator, app):
    from app.shop import services as shop

    publish()
    order = sell(2)
    with app.test_request_context():
        shop.refund_units(order, [order.units[0].id], operator, restock=False, reason="damaged in transit")
    db.session.commit()
    browser.login(designer.email, PASSWORD)
    english = browser.get("/me/dashboard").get_data(as_text=True)
    assert "Winner of November 2026" in english
    assert "Shirt No. 2 of Night Owl" in english and "Shirt No. 3 of Night Owl" in english
    assert "Refund of shirt No. 2 of Night Owl" in english
    browser.get("/language/fr")
    french = browser.get("/me/dashboard").get_data(as_text=True)
    assert "Gagnante de Novembre 2026" in french and "T-shirt n° 2 de Night Owl" in french
    assert "Remboursement du t-shirt n° 2 de Night Owl" in french and "winner:" not in french
