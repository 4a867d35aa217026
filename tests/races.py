"""One way to race: N threads, each with its own request context (so its own session and
connection, as concurrent requests have), released together by a barrier.

`race()` returns each worker's outcome in thread order. An exception a worker raises is its
outcome only when it is one of `expected` (a rule saying no); any other exception fails the
test, and so does a thread still running after `timeout` seconds (a deadlock, a lost lock).
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from app.extensions import db


class RaceFailed(AssertionError):
    pass


def race(app, worker: Callable[[int], Any], count: int, *, expected: tuple[type[BaseException], ...] = (),
         timeout: float = 60, commit: bool = True) -> list:
    barrier = threading.Barrier(count)
    outcomes: list = [None] * count
    errors: list[tuple[int, BaseException]] = []

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
                errors.append((index, exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    alive = [i for i, thread in enumerate(threads) if thread.is_alive()]
    if alive:
        raise RaceFailed(f"threads {alive} still running after {timeout}s (deadlock?)")
    if errors:
        index, first = errors[0]
        raise RaceFailed(f"{len(errors)} of {count} threads failed; thread {index}: {first!r}") from first
    return outcomes
