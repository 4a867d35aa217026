"""Turning the id in a session cookie back into a member, or nobody."""
from __future__ import annotations

from app.accounts.models import User
from app.extensions import db


def load_user(session_id: str) -> User | None:
    # The id carries the session version: a password change or a suspension bumps it,
    # which ends every session and remember-me cookie issued before.
    try:
        user_id, version = (int(part) for part in session_id.split(":", 1))
    except ValueError:
        return None
    user = db.session.get(User, user_id)
    if user is None or user.session_version != version or user.is_suspended or user.is_deleted:
        return None
    return user
