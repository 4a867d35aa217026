"""Column types shared by every feature's models."""
from datetime import datetime, timezone

from sqlalchemy import DateTime, Enum
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator):
    """A timestamp that is always timezone-aware UTC in Python, whatever the database.

    SQLite has no time zones, so values are stored as naive UTC everywhere and made
    aware again on the way out; a naive value on the way in is a bug and is refused.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column; use app.clock.utcnow()")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc)


def string_enum(cls) -> Enum:
    """A Python enum stored as its values in a VARCHAR (no native database enum to migrate)."""
    return Enum(cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


# A column that names a file in storage (app/storage.py): a file saved by a transaction that rolled
# back is deleted only when no committed row of such a column names it.
STORED_FILE = {"stored_file": True}
