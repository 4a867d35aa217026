"""Members: identity, role, verification and suspension."""
from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import utcnow
from app.db_types import UTCDateTime
from app.extensions import db


class Role(str, enum.Enum):
    MEMBER = "member"
    OPERATOR = "operator"


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(60))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[Role] = mapped_column(
        sa.Enum(Role, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e]),
        default=Role.MEMBER,
    )
    bio: Mapped[str] = mapped_column(sa.String(500), default="")
    website: Mapped[str] = mapped_column(sa.String(200), default="")
    avatar_key: Mapped[str | None] = mapped_column(sa.String(100))
    locale: Mapped[str | None] = mapped_column(sa.String(5))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    suspension_reason: Mapped[str] = mapped_column(sa.String(500), default="")
    # Bumped when the password or email changes: invalidates sessions, remember-me
    # cookies and outstanding reset links signed with the old value.
    session_version: Mapped[int] = mapped_column(default=1)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

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
        return not self.is_suspended
