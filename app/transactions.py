"""Where a transaction ends: services never commit; the view, task or command that called them does.

The few functions that must commit themselves, around an external call (a transfer, a payment
page, a mail server) or batch by batch, are marked `@workflow`, and each one's docstring says
why it commits. tests/main/test_transactions.py fails on a `.commit()` anywhere else in app/
outside views, commands, tasks and the demo.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

F = TypeVar("F", bound=Callable)


def workflow(function: F) -> F:
    """Mark `function` as a workflow: it commits around an external call, or in batches, on purpose.

    Nothing changes when it runs; the mark is for readers (search for `@workflow`) and for the test
    that keeps every other commit in views, commands and tasks."""
    function.commits = True
    return function
