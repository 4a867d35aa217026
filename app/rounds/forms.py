"""Round forms: a vote, round settings, and the operators' integrity actions."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from app.money import MoneyField
from app.rounds.models import SIZES
from app.security import Bounded


class VoteForm(FlaskForm):
    score = RadioField(_l("Your score"), choices=[(str(n), str(n)) for n in range(1, 6)],
                       validators=[InputRequired(_l("Choose a score from 1 to 5."))])
    buy = BooleanField(_l("I'd buy it"))
    # The service checks the size (only needed with "I'd buy it"), with a clearer message.
    size = SelectField(_l("My size"), choices=[("", "—")] + [(s, s) for s in SIZES], validate_choice=False)


class RoundSettingsForm(FlaskForm):
    winners_count = IntegerField(_l("Number of winners"), validators=[InputRequired(), NumberRange(1, 10)])
    bounty_cents = MoneyField(_l("Bounty per winner"), validators=[InputRequired(), Bounded("BOUNTY_MAX_CENTS", money=True)])
    # A royalty is part of a shirt's price, so the highest price bounds it.
    royalty_cents = MoneyField(_l("Royalty per shirt sold"), validators=[InputRequired(), Bounded("PRICE_MAX_CENTS", money=True)])
    default_edition_size = IntegerField(_l("Default edition size"),
                                        validators=[InputRequired(), Bounded("EDITION_MAX_SIZE", minimum=10)])


class NewRoundForm(FlaskForm):
    year = IntegerField(_l("Year"), validators=[InputRequired(), NumberRange(2020, 2100)])
    month = SelectField(_l("Month"), choices=[(str(n), str(n)) for n in range(1, 13)], validators=[DataRequired()])


class ReasonForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=300)])


class VoidVotesForm(FlaskForm):
    member = StringField(_l("Member email"), validators=[DataRequired(), Length(max=254)])
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=300)])
