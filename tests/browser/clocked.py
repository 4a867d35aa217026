"""Run a Flask CLI command exactly as `make run` and cron do (`flask db upgrade`, `flask run`,
`flask rounds tick`), but on a clock the test controls.

    TIRAGE_TEST_CLOCK=/tmp/clock python -m tests.browser.clocked run --port 5001

The clock file holds an ISO timestamp. The process starts at that time (time-machine, ticking), and
a long-running one (the server) follows the file when the test moves it, then writes the new time to
`<clock>.ack` so the test knows the server has moved too. Only the whole-month browser test uses this.
"""
from __future__ import annotations

import os
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

import time_machine
from flask.cli import main


def read(path: Path) -> str:
    return path.read_text().strip()


def follow(path: Path, traveller) -> None:
    seen = read(path)
    while True:
        time.sleep(0.05)
        now = read(path)
        if now and now != seen:
            traveller.move_to(datetime.fromisoformat(now))
            ack = path.with_name(path.name + ".ack")
            ack.with_name(ack.name + ".tmp").write_text(now)
            ack.with_name(ack.name + ".tmp").replace(ack)
            seen = now


def run() -> None:
    clock = Path(os.environ["TIRAGE_TEST_CLOCK"])
    with time_machine.travel(datetime.fromisoformat(read(clock)), tick=True) as traveller:
        threading.Thread(target=follow, args=(clock, traveller), daemon=True).start()
        sys.argv = ["flask", *sys.argv[1:]]
        main()


if __name__ == "__main__":
    run()
