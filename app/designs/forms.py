"""Design forms: submission, editing, review and comments."""
from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.designs.models import RejectionReason
from app.palette import colour_label


def colour_choices():
    return [(name, colour_label(name)) for name in current_app.config["SHIRT_COLOURS"]]


class TagsField(StringField):
    """Tags typed as "owl, night"; a design's Tag list shows the same way."""

    def process_data(self, value):
        if isinstance(value, (list, tuple)):
            value = ", ".join(getattr(tag, "name", str(tag)) for tag in value)
        super().process_data(value)


class DesignFieldsMixin:
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=80)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=2000)])
    tags = TagsField(_l("Tags"), validators=[Optional(), Length(max=300)])
    alt_text = StringField(
        _l("Alt text"), validators=[DataRequired(message=_l("Describe the artwork for people who cannot see it.")), Length(max=300)]
    )
    shirt_colour = RadioField(_l("Shirt colour"), validators=[DataRequired()])


class NewDesignForm(DesignFieldsMixin, FlaskForm):
    print_file = FileField(_l("Print file"), validators=[FileRequired(_l("Choose the PNG or JPEG print file."))])
    original = BooleanField(
        _l("This is my original work"), validators=[DataRequired(_l("Only original work can take part."))]
    )
    licence = BooleanField(
        _l("I accept the contest licence"), validators=[DataRequired(_l("You need to accept the contest licence."))]
    )
    save_draft = SubmitField(_l("Save as draft"))
    submit_review = SubmitField(_l("Submit for review"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.shirt_colour.choices = colour_choices()


class EditDesignForm(DesignFieldsMixin, FlaskForm):
    print_file = FileField(_l("Replace the print file"))
    save = SubmitField(_l("Save changes"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.shirt_colour.choices = colour_choices()


class ResubmitDesignForm(DesignFieldsMixin, FlaskForm):
    """A corrected file for a design that needs changes (the other fields may be corrected too)."""

    print_file = FileField(_l("Corrected print file"), validators=[FileRequired(_l("Choose the corrected print file."))])
    resubmit = SubmitField(_l("Send for review again"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.shirt_colour.choices = colour_choices()


class ApprovedDesignForm(FlaskForm):
    """After approval only the description and tags may change."""

    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=2000)])
    tags = TagsField(_l("Tags"), validators=[Optional(), Length(max=300)])
    save = SubmitField(_l("Save changes"))


def _rejection_labels() -> dict:
    from app.labels import labels_of  # the registry imports every feature's models, this one's too

    return labels_of(RejectionReason)


class ReviewForm(FlaskForm):
    reason = SelectField(
        _l("Reason for a rejection"),
        choices=lambda: [("", _l("Choose a reason"))] + [(r.value, name) for r, name in _rejection_labels().items()],
        validators=[Optional()],
    )
    note = TextAreaField(_l("Note to the designer"), validators=[Optional(), Length(max=1000)])
    approve = SubmitField(_l("Approve"))
    request_changes = SubmitField(_l("Ask for changes"))
    reject = SubmitField(_l("Reject"))

    def validate(self, extra_validators=None) -> bool:
        # Not an inline validate_note: Optional() stops the chain on an empty note.
        valid = super().validate(extra_validators)
        # "Other" says nothing by itself: the note is the reason the designer reads.
        if self.reject.data and self.reason.data == RejectionReason.OTHER.value and not (self.note.data or "").strip():
            self.note.errors = [*self.note.errors, _l("Say in the note what is wrong: the designer reads it as the reason.")]
            valid = False
        # Asking for changes without saying which would leave the designer guessing.
        if self.request_changes.data and not (self.note.data or "").strip():
            self.note.errors = [*self.note.errors, _l("Say in the note what to change: the designer reads it.")]
            valid = False
        return valid

    def rejection_reason(self) -> RejectionReason | None:
        return RejectionReason(self.reason.data) if self.reason.data else None


class CommentForm(FlaskForm):
    body = TextAreaField(_l("Your comment"), validators=[DataRequired(), Length(max=5000)])


class HideCommentForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=300)])
