"""Designs, their tags, near-duplicate matches and comments."""
from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.db_types import STORED_FILE, UTCDateTime, string_enum
from app.extensions import db


class DesignStatus(str, enum.Enum):
    DRAFT = "draft"
    SUBMITTED = "submitted"  # awaiting review
    APPROVED = "approved"
    REJECTED = "rejected"  # final
    NEEDS_CHANGES = "needs_changes"  # the moderator's note says what to fix; a corrected file may follow
    WITHDRAWN = "withdrawn"


class RejectionReason(str, enum.Enum):
    LOW_RESOLUTION = "low_resolution"
    NOT_ORIGINAL = "not_original"
    OFFENSIVE = "offensive"
    TRADEMARK = "trademark"
    OFF_BRIEF = "off_brief"
    TECHNICAL = "technical"  # file, margins, resolution: fixable, unlike the others
    OTHER = "other"  # only with a note, which says what is wrong


design_tags = sa.Table(
    "design_tags",
    db.metadata,
    sa.Column("design_id", sa.ForeignKey("designs.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("tag_id", sa.ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
)


class Tag(db.Model):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(30), unique=True)


class Design(db.Model):
    __tablename__ = "designs"
    __table_args__ = (sa.Index("ix_designs_status_approved_at", "status", "approved_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    designer_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    # The monthly round the design entered when approved.
    round_id: Mapped[int | None] = mapped_column(sa.ForeignKey("rounds.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(80))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    alt_text: Mapped[str] = mapped_column(sa.String(300))
    shirt_colour: Mapped[str] = mapped_column(sa.String(30))
    status: Mapped[DesignStatus] = mapped_column(string_enum(DesignStatus), default=DesignStatus.DRAFT)
    rejection_reason: Mapped[RejectionReason | None] = mapped_column(string_enum(RejectionReason))
    moderator_note: Mapped[str] = mapped_column(sa.Text, default="")
    reviewed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    licence_accepted_at: Mapped[datetime] = mapped_column(UTCDateTime)

    # The print file (private) and the renditions (public, immutable names) in storage.
    print_file_key: Mapped[str] = mapped_column(sa.String(120), info=STORED_FILE)
    print_width: Mapped[int]
    print_height: Mapped[int]
    print_dpi: Mapped[int | None]
    thumbnail_key: Mapped[str] = mapped_column(sa.String(120), info=STORED_FILE)
    thumbnail_fallback_key: Mapped[str] = mapped_column(sa.String(120), info=STORED_FILE)
    preview_key: Mapped[str] = mapped_column(sa.String(120), info=STORED_FILE)
    preview_fallback_key: Mapped[str] = mapped_column(sa.String(120), info=STORED_FILE)
    mockup_key: Mapped[str] = mapped_column(sa.String(120), info=STORED_FILE)
    mockup_fallback_key: Mapped[str] = mapped_column(sa.String(120), info=STORED_FILE)
    phash: Mapped[str] = mapped_column(sa.String(16), index=True)
    # Uploads are rendered by a worker: "pending" (with its progress, 0-100), "ready", or "failed"
    # (the reason shown to the designer; the design went back to being a draft).
    rendering: Mapped[str] = mapped_column(sa.String(12), default="ready", server_default="ready")
    rendering_progress: Mapped[int] = mapped_column(default=100, server_default="100")
    rendering_error: Mapped[str] = mapped_column(sa.String(300), default="", server_default="")
    # 1 for the first file submitted; each corrected file resubmitted after "needs changes" adds one.
    revision: Mapped[int] = mapped_column(default=1, server_default="1")

    designer = relationship("User", foreign_keys=[designer_id], lazy="joined")
    reviewed_by = relationship("User", foreign_keys=[reviewed_by_id])
    round = relationship("Round")
    tags: Mapped[list[Tag]] = relationship(secondary=design_tags, lazy="selectin", order_by=Tag.name)

    def __repr__(self) -> str:
        return f"<Design {self.id} {self.title!r} {self.status.value}>"

    @property
    def is_draft(self) -> bool:
        return self.status == DesignStatus.DRAFT

    @property
    def is_awaiting_review(self) -> bool:
        return self.status == DesignStatus.SUBMITTED

    @property
    def is_approved(self) -> bool:
        return self.status == DesignStatus.APPROVED

    @property
    def is_rejected(self) -> bool:
        return self.status == DesignStatus.REJECTED

    @property
    def is_withdrawn(self) -> bool:
        return self.status == DesignStatus.WITHDRAWN

    @property
    def is_public(self) -> bool:
        return self.is_approved

    @property
    def is_rendered(self) -> bool:
        return self.rendering == "ready"

    @property
    def is_rendering(self) -> bool:
        return self.rendering == "pending"

    @property
    def needs_changes(self) -> bool:
        return self.status == DesignStatus.NEEDS_CHANGES

    @property
    def is_resubmission(self) -> bool:
        return self.revision > 1

    @property
    def is_editable(self) -> bool:
        """Everything may change, the print file too."""
        return self.status in (DesignStatus.DRAFT, DesignStatus.SUBMITTED)

    @property
    def accepts_edits(self) -> bool:
        """Something may change: everything while editable, only the description and tags once approved."""
        return self.is_editable or self.is_approved


class DesignMatch(db.Model):
    """A near-duplicate found when a design was submitted, shown to the moderator."""

    __tablename__ = "design_matches"
    __table_args__ = (sa.UniqueConstraint("design_id", "match_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    design_id: Mapped[int] = mapped_column(sa.ForeignKey("designs.id", ondelete="CASCADE"), index=True)
    match_id: Mapped[int] = mapped_column(sa.ForeignKey("designs.id", ondelete="CASCADE"))
    distance: Mapped[int]

    match = relationship("Design", foreign_keys=[match_id], lazy="joined")


class Comment(db.Model):
    __tablename__ = "comments"
    __table_args__ = (sa.Index("ix_comments_design_id_created_at", "design_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    design_id: Mapped[int] = mapped_column(sa.ForeignKey("designs.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hidden_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    hidden_reason: Mapped[str] = mapped_column(sa.String(300), default="")

    author = relationship("User", foreign_keys=[author_id], lazy="joined")
    design = relationship("Design")


class CommentNotice(db.Model):
    """When a designer was last mailed about new comments (at most once a day)."""

    __tablename__ = "comment_notices"

    designer_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), primary_key=True)
    last_sent_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DesignFollower(db.Model):
    """A member who follows a design: they hear when its round's results are out."""

    __tablename__ = "design_followers"
    __table_args__ = (sa.UniqueConstraint("design_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    design_id: Mapped[int] = mapped_column(sa.ForeignKey("designs.id", ondelete="CASCADE"))  # indexed by the unique
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
