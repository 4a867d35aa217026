"""Accepting the texts, and the console's editor."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional


class AcceptForm(FlaskForm):
    accept = BooleanField(_l("I have read and accept the terms of use and the privacy notice."),
                          validators=[InputRequired(message=_l("Tick the box to accept the new texts."))])


class LegalEditForm(FlaskForm):
    body_en = TextAreaField(_l("Text in English"), validators=[DataRequired(), Length(max=60_000)])
    body_fr = TextAreaField(_l("Text in French"), validators=[DataRequired(), Length(max=60_000)])
    summary_en = StringField(_l("What changed, in English"), validators=[Optional(), Length(max=300)])
    summary_fr = StringField(_l("What changed, in French"), validators=[Optional(), Length(max=300)])
    requires_acceptance = BooleanField(_l("Members must accept this version before they act on the site again"),
                                       default=True)
    preview = SubmitField(_l("Preview"))
    publish = SubmitField(_l("Publish this version"))
