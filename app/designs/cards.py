"""What list pages show of a design, read as rows rather than ORM objects."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

from app.accounts.models import User
from app.designs.models import Design


@dataclass(frozen=True)
class DesignerName:
    display_name: str


@dataclass(frozen=True)
class DesignCard:
    """What a design's card shows, read as a row: a list page changes nothing, and building 48
    designs with their designers as ORM objects cost more than rendering them. Frozen and
    hashable: the card's rendered fragment is kept under it (app/templating.py, `fragment`)."""

    id: int
    title: str
    alt_text: str
    rendering: str
    thumbnail_key: str
    thumbnail_fallback_key: str
    mockup_key: str
    mockup_fallback_key: str
    designer: DesignerName

    @classmethod
    def of(cls, row) -> "DesignCard":
        *fields, name, deleted_at = row
        # As User.display_name says it, in the reader's language.
        return cls(*fields, DesignerName(_("Deleted member") if deleted_at is not None else name))


CARD_COLUMNS = (Design.id, Design.title, Design.alt_text, Design.rendering, Design.thumbnail_key,
                Design.thumbnail_fallback_key, Design.mockup_key, Design.mockup_fallback_key,
                User._display_name, User.deleted_at)
