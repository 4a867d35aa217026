"""Shop forms: adding to the cart, editions for operators, refunds and shipping."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.i18n import country_name
from app.money import MoneyField
from app.rounds.models import SIZES


class AddToCartForm(FlaskForm):
    size = RadioField(_l("Size"), choices=[(s, s) for s in SIZES],
                      validators=[InputRequired(_l("Choose your size."))])
    quantity = IntegerField(_l("Quantity"), default=1, validators=[InputRequired(), NumberRange(1, 99)])


class CartLineForm(FlaskForm):
    edition_id = IntegerField(validators=[InputRequired()])
    size = StringField(validators=[InputRequired(), Length(max=3)])
    quantity = IntegerField(_l("Quantity"), validators=[InputRequired(), NumberRange(0, 99)])


class EditionForm(FlaskForm):
    price_cents = MoneyField(_l("Price (€)"), validators=[InputRequired()])
    shirt_colour = SelectField(_l("Shirt colour"))
    ship_date = DateField(_l("Expected ship date"), validators=[Optional()])
    designer_size = SelectField(_l("Designer's size (shirt No. 1)"), choices=[(s, s) for s in SIZES])


class ReasonForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=300)])


class ShipForm(FlaskForm):
    tracking = StringField(_l("Tracking number"), validators=[DataRequired(), Length(max=100)])


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
