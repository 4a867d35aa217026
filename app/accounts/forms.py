"""Account forms; every message is translatable."""
from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, EmailField, PasswordField, StringField, TextAreaField, URLField
from wtforms.validators import URL, DataRequired, Email, EqualTo, InputRequired, Length, Optional, ValidationError


class PasswordStrength:
    """A sensible minimum: long enough, and not one of the passwords everybody tries first."""

    COMMON = {"password", "123456789", "1234567890", "qwertyuiop", "azertyuiop", "motdepasse",
              "password123", "iloveyou12", "tirage1234", "0123456789"}

    def __call__(self, form, field):
        value = field.data or ""
        minimum = current_app.config["PASSWORD_MIN_LENGTH"]
        if len(value) < minimum:
            raise ValidationError(_l("Use at least %(n)d characters.", n=minimum))
        if value.lower() in self.COMMON or len(set(value)) < 4:
            raise ValidationError(_l("This password is too easy to guess. Try a short sentence."))


def _strip(value):
    return value.strip() if isinstance(value, str) else value


email_validators = [DataRequired(), Email(message=_l("Enter a valid email address.")), Length(max=254)]


class RegisterForm(FlaskForm):
    email = EmailField(_l("Email"), validators=email_validators, filters=[_strip])
    display_name = StringField(_l("Display name"), validators=[DataRequired(), Length(min=2, max=60)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), PasswordStrength()])
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords differ."))],
    )
    # The label, with its links, is written in the template.
    accept_terms = BooleanField(_l("I accept the terms of use and the privacy notice"), validators=[
        InputRequired(message=_l("Accept the terms of use and the privacy notice to create an account."))])


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=email_validators, filters=[_strip])
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    remember = BooleanField(_l("Remember me on this device"))


class ResetRequestForm(FlaskForm):
    email = EmailField(_l("Email"), validators=email_validators, filters=[_strip])


class ResetPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(), PasswordStrength()])
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords differ."))],
    )


class ChangePasswordForm(ResetPasswordForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired()])


class ChangeEmailForm(FlaskForm):
    email = EmailField(_l("New email"), validators=email_validators, filters=[_strip])
    password = PasswordField(_l("Current password"), validators=[DataRequired()])


class ProfileForm(FlaskForm):
    display_name = StringField(_l("Display name"), validators=[DataRequired(), Length(min=2, max=60)])
    bio = TextAreaField(_l("Short bio"), validators=[Optional(), Length(max=500)])
    website = URLField(
        _l("Website"),
        validators=[Optional(), Length(max=200), URL(require_tld=True, message=_l("Enter a full address, like https://example.com."))],
    )
    avatar = FileField(_l("Avatar (PNG or JPEG)"))

    def validate_website(self, field):
        if field.data and not field.data.lower().startswith(("http://", "https://")):
            raise ValidationError(_l("Enter a full address, like https://example.com."))


class ReasonForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=500)])


class EmptyForm(FlaskForm):
    """A form with only its CSRF token, for buttons that change state (log out, resend)."""


class DeleteAccountForm(FlaskForm):
    password = PasswordField(_l("Your password"), validators=[DataRequired()])
    give_up_balance = BooleanField(_l("I understand that the money still owed to me will not be paid"))
    confirm = BooleanField(_l("I understand that this cannot be undone"),
                           validators=[InputRequired(message=_l("Tick the box to confirm."))])
