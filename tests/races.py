"""One way to race: N threads, each with its own request context (so its own session and
connection, as concurrent requests have), released together by a barrier.

`race()` returns each worker's outcome in thread order. An exception a worker raises is its
outcome only when it is one of `expected` (a rule saying no); any other exception fails the
test, naming every thread that failed and how, and so does a thread still running after
`timeout` seconds (a deadlock, a lost lock). Racing needs committed data: the test is marked
`@pytest.mark.committed` (tests/fixtures/database.py).
"""
from __future__ import annotations

import threading
import traceback
from collections.abc import Callable
from typing import Any

from app.extensions import db
from tests.fixtures.database import is_committed


class RaceFailed(AssertionError):
    pass


def race(app, worker: Callable[[int], Any], count: int, *, expected: tuple[type[BaseException], ...] = (),
         timeout: float = 60, commit: bool = True) -> list:
    if not is_committed(app):
        raise RaceFailed("threads race on connections of their own: mark the test @pytest.mark.committed")
    barrier = threading.Barrier(count)
    outcomes: list = [None] * count
    errors: dict[int, BaseException] = {}

    def run(index: int) -> None:
        with app.test_request_context():
            try:
                barrier.wait(timeout)
                outcomes[index] = worker(index)
                if commit:
                    db.session.commit()
            except expected as exc:
                db.session.rollback()
                outcomes[index] = exc
            except BaseException as exc:  # noqa: BLE001 - surfaced below
                db.session.rollback()
                errors[index] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,), daemon=True, name=f"race-{i}") for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    alive = [i for i, thread in enumerate(threads) if thread.is_alive()]
    problems = [f"thread {i} still running after {timeout}s (a deadlock? a lock never released?)" for i in alive]
    problems += [f"thread {i} raised {_described(exc)}" for i, exc in sorted(errors.items())]
    if problems:
        first = errors[min(errors)] if errors else None
        raise RaceFailed(f"{len(problems)} of {count} threads failed:\n  " + "\n  ".join(problems)) from first
    return outcomes


def _described(exc: BaseException) -> str:
    """The exception and where it was raised (its last frame), on one line."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" at {frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno}" if frames else ""
    return f"{exc!r}{where}"
