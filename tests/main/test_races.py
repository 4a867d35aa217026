"""The race helper: every thread's failure named, a thread that never ends caught, committed data required."""
import threading

import pytest

from tests.races import RaceFailed, race


class Refused(Exception):
    pass


@pytest.mark.committed
def test_outcomes_come_back_in_thread_order_with_expected_refusals(app):
    def worker(index):
        if index % 2:
            raise Refused(index)
        return index * 10

    outcomes = race(app, worker, 4, expected=(Refused,))
    assert outcomes[0] == 0 and outcomes[2] == 20
    assert [type(o) for o in outcomes[1::2]] == [Refused, Refused]


@pytest.mark.committed
def test_every_failing_thread_is_named(app):
    def worker(index):
        if index in (1, 2):
            raise ValueError(f"broken in {index}")
        return index

    with pytest.raises(RaceFailed) as failed:
        race(app, worker, 4, timeout=10)
    message = str(failed.value)
    assert "2 of 4 threads failed" in message
    assert "thread 1 raised ValueError('broken in 1')" in message
    assert "thread 2 raised ValueError('broken in 2')" in message
    assert "test_races.py" in message  # where it was raised


@pytest.mark.committed
def test_a_thread_still_running_after_the_timeout_fails_the_race(app):
    release = threading.Event()

    def worker(index):
        if index == 0:
            release.wait(5)  # stuck, as on a lock never released
        return index

    try:
        with pytest.raises(RaceFailed, match="thread 0 still running after 0.5s"):
            race(app, worker, 2, timeout=0.5)
    finally:
        release.set()


def test_racing_on_rolled_back_data_is_refused(app):
    with pytest.raises(RaceFailed, match="mark the test @pytest.mark.committed"):
        race(app, lambda index: index, 2)
