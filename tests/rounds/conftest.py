"""Round fixtures: a frozen clock in the middle of November 2026 and an open round with designs."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
import time_machine

from app.extensions import db
from app.rounds import calendar, lifecycle
from tests.designs.conftest import make_design  # noqa: F401  (fixture)

MID_NOVEMBER = datetime(2026, 11, 15, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def app_config(app_config):
    return {**app_config, "PRINT_MIN_LONG_SIDE": 300}


@pytest.fixture
def clock():
    """The one clock, frozen on 15 November 2026 at noon UTC; `clock.move_to(...)` / `clock.shift(...)`."""
    with time_machine.travel(MID_NOVEMBER, tick=False) as traveller:
        yield traveller


@pytest.fixture
def november(app, clock):
    """November 2026's round, open (as the tick leaves it)."""
    lifecycle.tick()
    round_ = calendar.get_round(2026, 11)
    assert round_.is_open
    return round_


@pytest.fixture
def entries(november, make_design):
    """Three approved designs in the open round."""
    designs = [make_design(title=title) for title in ("Alpha", "Bravo", "Charlie")]
    db.session.expire_all()
    assert all(d.round_id == november.id for d in designs)
    return designs


@pytest.fixture
def voters():
    from tests.factories import UserFactory

    return [UserFactory() for _ in range(6)]
