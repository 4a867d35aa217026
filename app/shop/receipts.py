"""What a receipt and a shipping notice say beyond the shirts: the VAT included in the price, the
seller, and where to follow the parcel (a small registry of carriers and their tracking pages)."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from urllib.parse import quote, urlsplit

from babel.numbers import format_percent
from flask import current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l


# ---------------------------------------------------------------- VAT

def vat_rate_basis_points(rate: str | None = None) -> int:
    """The configured VAT rate, "20" or "5.5" (percent), as an integer in hundredths of a percent."""
    text = str(rate if rate is not None else current_app.config["VAT_RATE"]).strip().replace(",", ".")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"VAT_RATE is not a percentage: {text!r}") from None
    if not value.is_finite() or value < 0 or value >= 100 or value != value.quantize(Decimal("0.01")):
        raise ValueError(f"VAT_RATE is not a percentage: {text!r}")
    return int(value * 100)


def vat_included(total_cents: int, basis_points: int | None = None) -> int:
    """The VAT inside a price that includes it, in integer cents, rounded half up:
    total × rate / (1 + rate). 30.00 at 20 % holds 5.00; 25.00 at 5.5 % holds 1.30."""
    if not isinstance(total_cents, int):
        raise TypeError("money is integer cents")
    bp = vat_rate_basis_points() if basis_points is None else basis_points
    denominator = 10_000 + bp
    return (2 * total_cents * bp + denominator) // (2 * denominator)


def format_vat_rate(basis_points: int | None = None) -> str:
    """"20 %" in French, "20%" in English; "5,5 %" / "5.5%"."""
    bp = vat_rate_basis_points() if basis_points is None else basis_points
    return format_percent(Decimal(bp) / 10_000, locale=str(get_locale() or "en"), decimal_quantization=False)


@dataclass(frozen=True)
class Seller:
    name: str
    address: list[str]
    company_id: str
    vat_id: str


def seller() -> Seller:
    config = current_app.config
    return Seller(config["SELLER_NAME"], list(config["SELLER_ADDRESS"]), config["SELLER_COMPANY_ID"],
                  config["SELLER_VAT_ID"])


# ---------------------------------------------------------------- carriers

@dataclass(frozen=True)
class Carrier:
    code: str
    name: object  # a (lazy) string: "Other" is translated
    url_template: str  # "{number}" is replaced by the URL-quoted tracking number; "" for "other"


CARRIERS = {c.code: c for c in (
    Carrier("colissimo", "La Poste / Colissimo", "https://www.laposte.fr/outils/suivre-vos-envois?code={number}"),
    Carrier("chronopost", "Chronopost", "https://www.chronopost.fr/tracking-no-cms/suivi-page?listeNumerosLT={number}"),
    Carrier("dhl", "DHL", "https://www.dhl.com/global-en/home/tracking/tracking-express.html?tracking-id={number}"),
    Carrier("ups", "UPS", "https://www.ups.com/track?tracknum={number}"),
    Carrier("other", _l("Other carrier (give the tracking link)"), ""),
)}
OTHER = "other"


class TrackingError(ValueError):
    """The carrier or the link cannot be used; the message is safe to show."""


def carrier_name(code: str) -> str:
    carrier = CARRIERS.get(code)
    if carrier is None or code == OTHER:
        return ""
    return str(carrier.name)


def tracking_url(code: str, number: str, url: str = "") -> str:
    """The page where the buyer follows the parcel: from the carrier's template, or, for another
    carrier, the http(s) link the operator gave."""
    carrier = CARRIERS.get(code)
    if carrier is None:
        raise TrackingError(_l("Choose the carrier."))
    if code != OTHER:
        return carrier.url_template.format(number=quote(number.strip(), safe=""))
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > 300:
        raise TrackingError(_l("Give the carrier's tracking link, starting with https://."))
    return url


def receipt(order) -> dict:
    """What the receipt mail adds to the order: the VAT its total includes, and the seller."""
    basis_points = vat_rate_basis_points()
    return {"vat_cents": vat_included(order.total_cents, basis_points), "vat_basis_points": basis_points,
            "seller": seller()}
