"""Failed log-ins per account, counted so that a stranger cannot lock the owner out.

Two counters of failed attempts, kept in the rate limiter's storage (Redis in production, so all
workers share them):
- per account *and* client address (ACCOUNT_LOGIN_RATE_LIMIT): someone guessing from one address
  is stopped there, while the owner still logs in from theirs;
- per account from every address together (ACCOUNT_LOGIN_CEILING, much higher): a guess spread over
  many addresses is stopped too. Reaching it pauses password log-ins for the account until the
  window ends, and mails the owner, once per window.
"""
from __future__ import annotations

import math
import time

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from limits import RateLimitItem, parse

from app.extensions import limiter
from app.mail import send_mail


def _limits() -> tuple[RateLimitItem, RateLimitItem]:
    config = current_app.config
    return parse(config["ACCOUNT_LOGIN_RATE_LIMIT"]), parse(config["ACCOUNT_LOGIN_CEILING"])


def _keys(email: str, address: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """Storage keys of the two counters and of the mail sent, under the limiter's key prefix."""
    prefix = (current_app.config.get("RATELIMIT_KEY_PREFIX") or "tirage",)
    return (prefix + ("login-failed-from", email, address), prefix + ("login-failed-all", email),
            prefix + ("login-paused-mail", email))


def login_allowed(email: str, address: str) -> bool:
    """False while this account has had too many failures from this address, or from everywhere."""
    if not limiter.enabled:
        return True
    (from_address, ceiling), (pair_key, all_key, _) = _limits(), _keys(email, address)
    strategy = limiter.limiter
    return strategy.test(from_address, *pair_key) and strategy.test(ceiling, *all_key)


def record_failed_login(email: str, address: str) -> None:
    """Count a wrong password (or an unknown address); tell the owner when the ceiling is reached."""
    if not limiter.enabled:
        return
    (from_address, ceiling), (pair_key, all_key, mail_key) = _limits(), _keys(email, address)
    strategy = limiter.limiter
    strategy.hit(from_address, *pair_key)
    strategy.hit(ceiling, *all_key)
    if strategy.test(ceiling, *all_key):
        return
    # One mail per window, whichever worker sees the ceiling first.
    if strategy.hit(type(ceiling)(1, ceiling.multiples), *mail_key):
        reset_at = strategy.get_window_stats(ceiling, *all_key).reset_time
        _tell_owner(email, minutes=max(1, math.ceil((reset_at - time.time()) / 60)))


def _tell_owner(email: str, minutes: int) -> None:
    from app.accounts.services import find_user_by_email

    user = find_user_by_email(email)
    if user is None:
        return  # nobody to tell: the address is not registered
    send_mail(user.email, _l("Log-ins to your Tirage account are paused"), "login_paused",
              locale=user.locale, user=user, minutes=minutes,
              link=url_for("accounts.reset_request", _external=True))
