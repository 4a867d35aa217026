"""Members: identity, role, verification and suspension."""
from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_login import UserMixin
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import utcnow
from app.db_types import STORED_FILE, UTCDateTime
from app.extensions import db


class Role(str, enum.Enum):
    MEMBER = "member"
    OPERATOR = "operator"


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    # Read through `display_name`, which names a deleted account in the reader's language.
    _display_name: Mapped[str] = mapped_column("display_name", sa.String(60))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[Role] = mapped_column(
        sa.Enum(Role, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e]),
        default=Role.MEMBER,
    )
    bio: Mapped[str] = mapped_column(sa.String(500), default="")
    website: Mapped[str] = mapped_column(sa.String(200), default="")
    avatar_key: Mapped[str | None] = mapped_column(sa.String(100), info=STORED_FILE)
    locale: Mapped[str | None] = mapped_column(sa.String(5))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    suspension_reason: Mapped[str] = mapped_column(sa.String(500), default="")
    # Bumped when the password or email changes: invalidates sessions, remember-me
    # cookies and outstanding reset links signed with the old value.
    session_version: Mapped[int] = mapped_column(default=1)
    # The versions of the terms and the privacy notice last accepted (the history is in `consents`);
    # kept on the row so that asking "must they accept a newer one?" costs no query.
    terms_version: Mapped[int | None]
    privacy_version: Mapped[int | None]
    # A deleted account keeps its row as an anonymous placeholder: its votes, orders and ledger
    # still point to it (see app/accounts/deletion.py), but nothing on it says who it was.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @hybrid_property
    def display_name(self) -> str:
        return _("Deleted member") if self.deleted_at is not None else self._display_name

    @display_name.inplace.setter
    def _display_name_setter(self, value: str) -> None:
        self._display_name = value

    @display_name.inplace.expression
    @classmethod
    def _display_name_expression(cls):
        return cls._display_name

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_operator(self) -> bool:
        return self.role == Role.OPERATOR

    @property
    def is_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def is_suspended(self) -> bool:
        return self.suspended_at is not None

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users at login
        return not self.is_suspended and not self.is_deleted
