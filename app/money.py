"""Money in and out: amounts are integer cents in the shop's single currency, read and written
with Babel in the reader's language."""
import re
from decimal import Decimal

from babel.numbers import NumberFormatError, format_currency, format_decimal, get_currency_symbol, parse_decimal
from flask import current_app
from flask_babel import LazyString, get_locale
from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import ValidationError


def format_money(cents: int, currency: str | None = None) -> str:
    if not isinstance(cents, int):
        raise TypeError("money is integer cents")
    currency = currency or current_app.config["CURRENCY"]
    return format_currency(Decimal(cents).scaleb(-2), currency, locale=str(get_locale() or "en"))


def parse_money(text: str, locale: str | None = None) -> int:
    """An amount as the reader writes it, in their language, -> integer cents, exactly (no floats).

    English "1,000" and "1,000.50", French "1 000,50" (any kind of space); the other language's
    decimal mark is understood when it cannot mean anything else ("12,50" in English). Signs,
    exponents and more than two decimals are refused: ValueError."""
    currency = current_app.config["CURRENCY"]
    locale = locale or str(get_locale() or "en")
    cleaned = re.sub(r"\s", "", (text or "")).replace(currency, "")
    cleaned = cleaned.replace(get_currency_symbol(currency, locale=locale), "").replace("€", "")
    if not re.fullmatch(r"[0-9][0-9.,]*", cleaned) or len(cleaned) > 20:
        raise ValueError(text)
    try:
        amount = parse_decimal(cleaned, locale=locale, strict=True)
    except NumberFormatError:
        other = re.fullmatch(r"([0-9]+)[.,]([0-9]{1,2})", cleaned)
        if other is None:
            raise ValueError(text) from None
        amount = Decimal(f"{other[1]}.{other[2]}")
    if not amount.is_finite() or amount < 0 or amount != amount.quantize(Decimal("0.01")):
        raise ValueError(text)
    return int(amount * 100)


def currency_symbol() -> str:
    return get_currency_symbol(current_app.config["CURRENCY"], locale=str(get_locale() or "en"))


class MoneyField(StringField):
    """A form field for an amount typed in the shop's currency, as the reader writes numbers,
    read into integer cents. Its label names the configured currency: "Price (€)"."""

    def __init__(self, label=None, validators=None, **kwargs):
        if label is not None:
            text = label
            label = LazyString(lambda: f"{text} ({currency_symbol()})")
        super().__init__(label, validators, **kwargs)

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
        if self.data is None:
            return ""
        return format_decimal(Decimal(self.data).scaleb(-2), "#,##0.00", locale=str(get_locale() or "en"))
