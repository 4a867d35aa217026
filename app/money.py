"""The one money formatter: amounts are integer cents in the shop's single currency."""
from decimal import Decimal

from babel.numbers import format_currency
from flask import current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import ValidationError


def format_money(cents: int, currency: str | None = None) -> str:
    if not isinstance(cents, int):
        raise TypeError("money is integer cents")
    currency = currency or current_app.config["CURRENCY"]
    return format_currency(Decimal(cents).scaleb(-2), currency, locale=str(get_locale() or "en"))


def parse_money(text: str) -> int:
    """'1000', '1 000,50', '12.5' -> integer cents, exactly (no floats); ValueError otherwise."""
    cleaned = (text or "").strip().replace("\u202f", "").replace("\xa0", "").replace(" ", "").replace("€", "")
    if "," in cleaned and "." in cleaned:
        cleaned = cleaned.replace(",", "") if cleaned.rfind(".") > cleaned.rfind(",") else cleaned.replace(".", "").replace(",", ".")
    cleaned = cleaned.replace(",", ".")
    try:
        amount = Decimal(cleaned)
    except ArithmeticError as exc:
        raise ValueError(text) from exc
    if not amount.is_finite() or amount < 0 or amount != amount.quantize(Decimal("0.01")):
        raise ValueError(text)
    return int(amount * 100)


class MoneyField(StringField):
    """A form field for an amount typed in euros, read into integer cents."""

    def process_formdata(self, valuelist):
        self.data = None
        if valuelist and valuelist[0].strip():
            try:
                self.data = parse_money(valuelist[0])
            except ValueError:
                raise ValidationError(_l("Enter an amount like 1000 or 12.50.")) from None

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else f"{Decimal(self.data).scaleb(-2):.2f}"
