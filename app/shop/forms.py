"""Shop forms: adding to the cart, editions for operators, refunds and shipping."""
from flask import current_app, request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.i18n import country_name
from app.money import MoneyField
from app.rounds.models import SIZES
from app.security import INT_MAX, Bounded


class AddToCartForm(FlaskForm):
    size = RadioField(_l("Size"), choices=[(s, s) for s in SIZES],
                      validators=[InputRequired(_l("Choose your size."))])
    quantity = IntegerField(_l("Quantity"), default=1, validators=[InputRequired(), NumberRange(1, 99)])


class CartLineForm(FlaskForm):
    edition_id = IntegerField(validators=[InputRequired(), NumberRange(1, INT_MAX)])
    size = StringField(validators=[InputRequired(), Length(max=3)])
    quantity = IntegerField(_l("Quantity"), validators=[InputRequired(), NumberRange(0, 99)])


class EditionForm(FlaskForm):
    price_cents = MoneyField(_l("Price"), validators=[InputRequired(), Bounded("PRICE_MAX_CENTS", minimum=1, money=True)])
    shirt_colour = SelectField(_l("Shirt colour"))
    ship_date = DateField(_l("Expected ship date"), validators=[Optional()])
    designer_size = SelectField(_l("Designer's size (shirt No. 1)"), choices=[(s, s) for s in SIZES])

    def validate(self, extra_validators=None) -> bool:
        """The shirts per size come beside the form as qty_<size>: whole numbers, at most
        EDITION_MAX_SIZE in all (a limited edition, and a page that stays quick to build)."""
        valid = super().validate(extra_validators)
        problem = quantities_problem(request.form)
        if problem:
            self.form_errors.append(problem)
            return False
        return valid


def quantities_problem(formdata) -> str | None:
    """What is wrong with the qty_<size> values of an edition form, or None."""
    maximum = current_app.config["EDITION_MAX_SIZE"]
    total = 0
    for size in SIZES:
        raw = (formdata.get(f"qty_{size}") or "0").strip()
        if not (raw.isascii() and raw.isdigit()) or len(raw) > 9:
            return _l("Shirts per size are whole numbers from 0 to %(max)d.", max=maximum)
        total += int(raw)
    if total > maximum:
        return _l("An edition has at most %(max)d shirts (%(total)d asked).", max=maximum, total=total)
    return None


class ReasonForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=300)])


class ShipForm(FlaskForm):
    carrier = SelectField(_l("Carrier"), default="colissimo")
    tracking = StringField(_l("Tracking number"), validators=[DataRequired(), Length(max=100)])
    tracking_url = StringField(_l("Tracking link"), validators=[Optional(), Length(max=300)])

    def __init__(self, *args, **kwargs):
        from app.shop.receipts import CARRIERS

        super().__init__(*args, **kwargs)
        self.carrier.choices = [(code, carrier.name) for code, carrier in CARRIERS.items()]


class RefundForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=300)])
    restock = BooleanField(_l("Put these shirts back on sale"))


class ShippingAddressForm(FlaskForm):
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)])
    line1 = StringField(_l("Address"), validators=[DataRequired(), Length(max=200)])
    postal_code = StringField(_l("Postal code"), validators=[DataRequired(), Length(max=20)])
    city = StringField(_l("City"), validators=[DataRequired(), Length(max=100)])
    country = SelectField(_l("Country"))

    def fill_countries(self, countries: list[str]) -> None:
        self.country.choices = [(c, country_name(c)) for c in countries]  # in the shop's order: home first

    @property
    def address(self) -> dict:
        """In the shape Stripe gives shipping details."""
        return {"name": self.name.data.strip(), "address": {
            "line1": self.line1.data.strip(), "postal_code": self.postal_code.data.strip(),
            "city": self.city.data.strip(), "country": self.country.data}}


class SandboxPayForm(ShippingAddressForm):
    card = StringField(_l("Test card number"), default="4242 4242 4242 4242", validators=[DataRequired()])
