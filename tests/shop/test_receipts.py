"""The receipt mail (shipping address, seller, the VAT the price includes) and the shipping mail
(carrier and a tracking link), in the buyer's language."""
import pytest
import sqlalchemy as sa

from app.audit.models import AuditEntry
from app.extensions import db
from app.shop import receipts
from app.shop import services as shop
from app.shop.errors import ShopError
from app.shop.models import Order, OrderStatus
from tests.fixtures.shop import completed_event, webhook
from tests.factories import UserFactory
from tests.shop.test_cart import add


@pytest.fixture
def app_config(app_config):
    return {**app_config, "SELLER_NAME": "Tirage SAS", "SELLER_ADDRESS": ["12 rue des Presses", "75011 Paris"],
            "SELLER_COMPANY_ID": "SIRET 123 456 789 00012", "SELLER_VAT_ID": "FR12123456789", "VAT_RATE": "20"}


def pay(browser, auth, make_edition, client, locale="en", quantity=3):
    edition = make_edition({"M": 6, "L": 2})
    buyer = auth.member(locale=locale)
    add(browser, edition, "M", quantity)
    browser.submit("/checkout", form_url="/cart")
    order = db.session.scalars(sa.select(Order).where(~Order.complimentary)).one()
    webhook(client, completed_event(order))
    db.session.expire_all()
    return db.session.get(Order, order.id), buyer


# ------------------------------------------------------------------ VAT, in integer cents

@pytest.mark.parametrize("total, rate, vat", [
    (3000, "20", 500), (9000, "20", 1500), (2500, "5.5", 130), (1999, "20", 333), (1, "20", 0), (0, "20", 0),
    (3000, "0", 0), (10_000, "2,1", 206),
])
def test_vat_included_in_a_price(app, total, rate, vat):
    assert receipts.vat_included(total, receipts.vat_rate_basis_points(rate)) == vat


@pytest.mark.parametrize("rate", ["twenty", "-1", "100", "20.001", "nan"])
def test_a_rate_that_is_not_a_percentage_is_refused(app, rate):
    with pytest.raises(ValueError):
        receipts.vat_rate_basis_points(rate)


def test_vat_is_never_a_float(app):
    with pytest.raises(TypeError):
        receipts.vat_included(30.0, 2000)


# ------------------------------------------------------------------ the receipt

def test_the_receipt_gives_the_address_the_seller_and_the_vat(browser, auth, make_edition, client, mailbox):
    order, buyer = pay(browser, auth, make_edition, client)
    mail = mailbox.last_to(buyer.email).get_content()
    assert "Total paid: €90.00" in mail
    assert "Including VAT at 20%: €15.00" in mail and "Total before VAT: €75.00" in mail
    assert "Shipping to:" in mail and order.shipping_name in mail and "Paris" in mail and "France" in mail
    assert "Sold by:" in mail and "Tirage SAS" in mail and "12 rue des Presses" in mail
    assert "Company number: SIRET 123 456 789 00012" in mail and "VAT number: FR12123456789" in mail


def test_the_receipt_in_french(browser, auth, make_edition, client, mailbox):
    order, buyer = pay(browser, auth, make_edition, client, locale="fr", quantity=1)
    mail = mailbox.last_to(buyer.email).get_content()
    assert "Dont TVA à 20\u00a0%\u00a0: 5,00\u00a0€" in mail, mail
    assert "Vendu par" in mail and "Numéro de TVA\u00a0: FR12123456789" in mail and "France" in mail


# ------------------------------------------------------------------ shipping: carrier and tracking link

def test_carriers_make_tracking_links(app):
    assert receipts.tracking_url("colissimo", "6A 123") == "https://www.laposte.fr/outils/suivre-vos-envois?code=6A%20123"
    assert receipts.tracking_url("dhl", "JD0146").endswith("tracking-id=JD0146")
    assert receipts.tracking_url("ups", "1Z999").endswith("tracknum=1Z999")
    assert receipts.tracking_url("other", "X1", "https://track.example/X1") == "https://track.example/X1"
    for bad in ("", "javascript:alert(1)", "ftp://example.org/x", "https://"):
        with pytest.raises(receipts.TrackingError):
            receipts.tracking_url("other", "X1", bad)
    with pytest.raises(receipts.TrackingError):
        receipts.tracking_url("pigeon", "X1")


def test_the_operator_chooses_the_carrier_and_the_buyer_gets_the_link(browser, auth, make_edition, client, mailbox):
    order, buyer = pay(browser, auth, make_edition, client)
    auth.logout()
    auth.operator()
    page = browser.get(f"/console/orders/{order.public_id}").get_data(as_text=True)
    assert "La Poste / Colissimo" in page and "DHL" in page and "UPS" in page and "Other carrier" in page
    browser.submit(f"/console/orders/{order.public_id}/ship", {"carrier": "dhl", "tracking": "JD014600006281"},
                   form_url=f"/console/orders/{order.public_id}")
    order = db.session.get(Order, order.id)
    db.session.refresh(order)
    assert order.status == OrderStatus.SHIPPED and order.carrier == "dhl"
    link = "https://www.dhl.com/global-en/home/tracking/tracking-express.html?tracking-id=JD014600006281"
    assert order.tracking_url == link
    mail = mailbox.last_to(buyer.email).get_content()
    assert "on its way with DHL, tracking number JD014600006281" in mail and link in mail
    assert "Shipped to:" in mail and "Paris" in mail
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "order.ship"))
    assert entry.details["carrier"] == "dhl" and entry.details["link"] == link
    auth.logout()
    auth.as_(buyer)
    assert f'href="{link}"' in browser.get(f"/orders/{order.public_id}").get_data(as_text=True)


def test_another_carrier_needs_a_link(browser, auth, make_edition, client, mailbox):
    order, buyer = pay(browser, auth, make_edition, client, locale="fr")
    operator = UserFactory(operator=True)
    with pytest.raises(ShopError):
        shop.mark_shipped(order, operator, "X1", "other", "")
    db.session.rollback()
    assert db.session.get(Order, order.id).status == OrderStatus.PAID
    assert shop.mark_shipped(db.session.get(Order, order.id), operator, "X1", "other", "https://track.example/X1")
    db.session.commit()
    mail = mailbox.last_to(buyer.email).get_content()
    assert "numéro de suivi X1" in mail and "https://track.example/X1" in mail, mail
