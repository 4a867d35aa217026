"""The one clock of the application: every "now" comes from here, in UTC (frozen in tests)."""
from datetime import datetime, timezone


def utcnow() -> datetime:
    return datetime.now(timezone.utc)
