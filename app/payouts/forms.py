"""Forms for designers' payout accounts and operators' payouts."""
import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from app.money import MoneyField


def normalise_iban(text: str) -> str:
    return re.sub(r"\s+", "", text or "").upper()


def iban_is_valid(iban: str) -> bool:
    """ISO 13616: country code, check digits, then mod 97 of the rearranged number is 1."""
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", iban):
        return False
    digits = "".join(str(int(ch, 36)) for ch in iban[4:] + iban[:4])
    return int(digits) % 97 == 1


class BankDetailsForm(FlaskForm):
    account_holder = StringField(_l("Account holder"), validators=[DataRequired(), Length(max=200)])
    iban = StringField(_l("IBAN"), validators=[DataRequired(), Length(max=50)])
    bic = StringField(_l("BIC (optional)"), validators=[Optional(), Length(max=11)])

    def validate_iban(self, field):
        if not iban_is_valid(normalise_iban(field.data)):
            raise ValidationError(_l("This IBAN is not valid: check it against your bank statement."))

    def validate_bic(self, field):
        if field.data and not re.fullmatch(r"[A-Za-z]{6}[A-Za-z0-9]{2}([A-Za-z0-9]{3})?", field.data.strip()):
            raise ValidationError(_l("A BIC has 8 or 11 letters and digits."))


class ManualPayoutForm(FlaskForm):
    reference = StringField(_l("Bank transfer reference"), validators=[DataRequired(), Length(max=200)])


class AdjustmentForm(FlaskForm):
    direction = RadioField(_l("Direction"), choices=[("credit", _l("Owed to the designer")),
                                                     ("debit", _l("Taken from the designer"))],
                           default="credit", validators=[InputRequired()])
    amount = MoneyField(_l("Amount"), validators=[InputRequired()])
    reason = StringField(_l("Reason (the designer sees it)"), validators=[DataRequired(), Length(max=300)])
    recovering = BooleanField(_l("This debit recovers an overpayment: it may take the balance below zero"))

    @property
    def signed_cents(self) -> int:
        return self.amount.data if self.direction.data == "credit" else -self.amount.data


class ConfirmForm(FlaskForm):
    """A button that changes something: only its CSRF token."""
