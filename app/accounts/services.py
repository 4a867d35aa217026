"""Account rules: registration, passwords, signed email links, suspension and roles."""
from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.exc import IntegrityError

from app.accounts.models import Role, User
from app.audit.services import record
from app.clock import utcnow
from app.extensions import db
from app.legal.services import accept as accept_legal_texts
from app.mail import send_mail


class AccountError(Exception):
    """A rule was broken; the message is safe to show to the user."""


class TokenInvalid(AccountError):
    pass


class TokenExpired(AccountError):
    pass


# ---------------------------------------------------------------- passwords

def _hasher() -> PasswordHasher:
    config = current_app.config
    return PasswordHasher(time_cost=config["ARGON2_TIME_COST"], memory_cost=config["ARGON2_MEMORY_COST"])


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def check_password(user: User, password: str) -> bool:
    hasher = _hasher()
    try:
        hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    return True


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(db.select(User).where(User.email == normalise_email(email)))


# ---------------------------------------------------------------- signed links

def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"tirage.{purpose}")


def make_token(purpose: str, payload: dict) -> str:
    return _serializer(purpose).dumps(payload)


def read_token(purpose: str, token: str, max_age: int) -> dict:
    try:
        return _serializer(purpose).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise TokenExpired(_l("This link has expired. Ask for a new one.")) from exc
    except BadSignature as exc:
        raise TokenInvalid(_l("This link is not valid. Check that you copied it whole.")) from exc


# ---------------------------------------------------------------- registration

def register_user(email: str, display_name: str, password: str, locale: str | None = None,
                  accepted_terms: bool = False) -> User | None:
    """Create the account and mail its confirmation link.

    When the address is already registered nothing is created and its owner is told by mail
    instead. Both ways do the same work (the password is hashed, one mail is sent) and the page
    shown is the same, so neither the answer nor its timing reveals who is registered.
    With `accepted_terms`, the acceptance of the terms and privacy notice in force is recorded.
    """
    email = normalise_email(email)
    password_hash = hash_password(password)
    existing = find_user_by_email(email)
    if existing is None:
        user = User(email=email, display_name=display_name.strip(), password_hash=password_hash,
                    role=Role.MEMBER, locale=locale)
        try:
            with db.session.begin_nested():  # the same address sent twice at once: one account
                db.session.add(user)
        except IntegrityError:
            existing = find_user_by_email(email)
        else:
            if accepted_terms:
                accept_legal_texts(user)
            send_verification_email(user)
            return user
    link = url_for("accounts.reset_request", _external=True)
    send_mail(email, _l("You already have a Tirage account"), "already_registered",
              locale=existing.locale, user=existing, link=link)
    return None


def send_verification_email(user: User) -> None:
    token = make_token("verify", {"uid": user.id, "email": user.email})
    link = url_for("accounts.verify_email", token=token, _external=True)
    send_mail(user.email, _l("Confirm your email address"), "verify_email", locale=user.locale, user=user, link=link)


def verify_email(token: str) -> User:
    data = read_token("verify", token, current_app.config["EMAIL_TOKEN_MAX_AGE"])
    user = db.session.get(User, data.get("uid"))
    if user is None or user.email != data.get("email"):
        raise TokenInvalid(_l("This link is not valid. Check that you copied it whole."))
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
    return user


def verify_email_by_reset(user: User) -> None:
    """A used reset link proves the address too."""
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()


# ---------------------------------------------------------------- log in

def authenticate(email: str, password: str) -> User | None:
    """The user for these credentials, or None; the same work is done either way."""
    user = find_user_by_email(email)
    if user is None:
        # Spend the hashing time anyway so response times do not reveal who is registered.
        _hasher().hash(password)
        return None
    return user if check_password(user, password) else None


def is_first_login(user: User) -> bool:
    """Whether this log-in is, as far as Tirage can tell, the account's first.

    No log-in is stored, so the address stands in for it: following the confirmation link logs the
    member in (and welcomes them), so an account still unconfirmed has not been welcomed yet."""
    return not user.is_verified


# ---------------------------------------------------------------- password reset

def _reset_fingerprint(user: User) -> str:
    # The link dies once used: it is tied to the session version, bumped by any password change.
    return f"{user.id}:{user.session_version}"


def request_password_reset(email: str) -> None:
    """Mail a reset link if the account exists; say nothing either way."""
    user = find_user_by_email(email)
    if user is None or user.is_suspended:
        return
    token = make_token("reset", {"uid": user.id, "fp": _reset_fingerprint(user)})
    link = url_for("accounts.reset_password", token=token, _external=True)
    send_mail(user.email, _l("Reset your Tirage password"), "reset_password", locale=user.locale, user=user, link=link)


def user_for_reset_token(token: str) -> User:
    data = read_token("reset", token, current_app.config["RESET_TOKEN_MAX_AGE"])
    user = db.session.get(User, data.get("uid"))
    if user is None or data.get("fp") != _reset_fingerprint(user) or user.is_suspended:
        raise TokenInvalid(_l("This link is not valid any more. Ask for a new one."))
    return user


def set_password(user: User, password: str) -> None:
    user.password_hash = hash_password(password)
    user.session_version += 1


def change_password(user: User, current: str, new: str) -> None:
    if not check_password(user, current):
        raise AccountError(_l("Your current password is not correct."))
    set_password(user, new)


# ---------------------------------------------------------------- email change

def request_email_change(user: User, new_email: str, password: str) -> None:
    new_email = normalise_email(new_email)
    if not check_password(user, password):
        raise AccountError(_l("Your current password is not correct."))
    if new_email == user.email:
        raise AccountError(_l("This is already your email address."))
    if find_user_by_email(new_email) is not None:
        raise AccountError(_l("Another account already uses this email address."))
    token = make_token("email-change", {"uid": user.id, "new": new_email, "old": user.email})
    link = url_for("accounts.confirm_email_change", token=token, _external=True)
    send_mail(new_email, _l("Confirm your new email address"), "change_email", locale=user.locale, user=user, link=link)


def confirm_email_change(token: str) -> User:
    data = read_token("email-change", token, current_app.config["EMAIL_TOKEN_MAX_AGE"])
    user = db.session.get(User, data.get("uid"))
    if user is None or user.email != data.get("old"):
        raise TokenInvalid(_l("This link is not valid any more."))
    if find_user_by_email(data["new"]) is not None:
        raise AccountError(_l("Another account already uses this email address."))
    user.email = data["new"]
    user.email_verified_at = utcnow()
    user.session_version += 1
    return user


# ---------------------------------------------------------------- operators

def suspend_user(user: User, operator: User, reason: str) -> None:
    if user.id == operator.id:
        raise AccountError(_l("You cannot suspend yourself."))
    if not reason.strip():
        raise AccountError(_l("Give a reason: it is kept in the audit log."))
    if user.is_suspended:
        return
    user.suspended_at = utcnow()
    user.suspension_reason = reason.strip()
    user.session_version += 1  # ends their open sessions now
    record(operator, "member.suspend", "user", user.id, reason)


def reinstate_user(user: User, operator: User, reason: str = "") -> None:
    if not user.is_suspended:
        return
    user.suspended_at = None
    user.suspension_reason = ""
    record(operator, "member.reinstate", "user", user.id, reason)


def make_operator(user: User, actor: User | None, reason: str = "") -> None:
    if user.role == Role.OPERATOR or user.is_deleted:  # a deleted account is nobody to promote
        return
    user.role = Role.OPERATOR
    record(actor, "member.promote", "user", user.id, reason)
