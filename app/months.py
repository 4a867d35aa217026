"""The shop's months: which month a moment falls in, and when a month begins and ends.

A round is one calendar month in the shop's time zone (SHOP_TIMEZONE); these are the one
definition of its bounds, for the rounds and for every rule counted per round.
"""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app

UTC = ZoneInfo("UTC")


def shop_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["SHOP_TIMEZONE"])


def month_window(year: int, month: int) -> tuple[datetime, datetime]:
    """Midnight on the 1st to midnight on the next 1st, in the shop's time zone, as UTC."""
    zone = shop_zone()
    start = datetime(year, month, 1, tzinfo=zone)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def month_of(moment: datetime) -> tuple[int, int]:
    local = moment.astimezone(shop_zone())
    return local.year, local.month

