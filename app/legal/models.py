"""The legal texts, one row per published version, and the members' acceptances of them."""
from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.db_types import UTCDateTime, string_enum
from app.extensions import db


class DocumentKind(str, enum.Enum):
    TERMS = "terms"
    PRIVACY = "privacy"
    NOTICE = "notice"  # the legal notice (mentions légales): who runs the site

    @property
    def needs_acceptance(self) -> bool:
        return self in (DocumentKind.TERMS, DocumentKind.PRIVACY)


class LegalVersion(db.Model):
    """A version is never changed once published: a change is a new version, so what a member
    accepted can always be shown again word for word."""

    __tablename__ = "legal_versions"
    __table_args__ = (sa.UniqueConstraint("kind", "version", name="uq_legal_versions_kind_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[DocumentKind] = mapped_column(string_enum(DocumentKind))
    version: Mapped[int]
    body_en: Mapped[str] = mapped_column(sa.Text)
    body_fr: Mapped[str] = mapped_column(sa.Text)
    # What changed, shown to members asked to accept it (one line per language).
    summary_en: Mapped[str] = mapped_column(sa.String(300), default="")
    summary_fr: Mapped[str] = mapped_column(sa.String(300), default="")
    # False for a correction that changes no one's rights (a typo, a new address): members who
    # accepted an earlier version are not asked again.
    requires_acceptance: Mapped[bool] = mapped_column(default=True)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))  # None: the default text

    published_by = relationship("User")

    def body(self, locale: str) -> str:
        return self.body_fr if locale == "fr" else self.body_en

    def summary(self, locale: str) -> str:
        return (self.summary_fr if locale == "fr" else self.summary_en) or ""


class Consent(db.Model):
    """A member accepted this version of this text, at this time."""

    __tablename__ = "consents"
    __table_args__ = (sa.UniqueConstraint("user_id", "kind", "version", name="uq_consents_user_kind_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    kind: Mapped[DocumentKind] = mapped_column(string_enum(DocumentKind))
    version: Mapped[int]
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
