"""Money in and out through Babel, in the reader's language; never floats."""
import pytest

from app.money import MoneyField, format_money, parse_money


@pytest.mark.parametrize("locale, text, cents", [
    ("en", "1,000", 100_000),          # an English thousands separator, not a decimal mark
    ("en", "1,000.50", 100_050),
    ("en", "€1,000.00", 100_000),
    ("en", "12.5", 1250),
    ("en", "12,50", 1250),             # the other convention, where it cannot mean anything else
    ("fr", "1 000,50", 100_050),
    ("fr", "1\u202f000,50 €", 100_050),
    ("fr", "1,000", 100),              # in French, one euro
    ("fr", "12.50", 1250),
    ("fr", "0", 0),
])
def test_amounts_are_read_as_the_reader_writes_them(app, locale, text, cents):
    with app.test_request_context():
        assert parse_money(text, locale) == cents


@pytest.mark.parametrize("text", ["", "abc", "-5", "1e40", "12.345", "1,00,0.5", "9" * 30, "1.000,5"])
def test_anything_else_is_refused(app, text):
    with app.test_request_context(), pytest.raises(ValueError):
        parse_money(text, "en")


def test_amounts_are_written_in_the_readers_language(app):
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        from flask_babel import force_locale
        with force_locale("fr"):
            assert format_money(100_050) == "1\u202f000,50\xa0€"
        with force_locale("en"):
            assert format_money(100_050) == "€1,000.50"
    with pytest.raises(TypeError):
        format_money(10.5)


def test_a_money_field_names_the_shops_currency_and_round_trips(app):
    from flask_babel import force_locale
    from flask_wtf import FlaskForm

    app.config["CURRENCY"] = "USD"

    class Form(FlaskForm):
        class Meta:
            csrf = False
        price = MoneyField("Price")

    with app.test_request_context(method="POST", data={"price": "1,234.56"}):
        with force_locale("en"):
            form = Form()
            assert form.validate() and form.price.data == 123_456
            assert str(form.price.label.text) == "Price ($)"
    with app.test_request_context(), force_locale("fr"):
        form = Form(price=123_456)
        shown = form.price._value()
        assert shown == "1\u202f234,56" and parse_money(shown, "fr") == 123_456
