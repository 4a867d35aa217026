"""`make run`'s process runner: the processes production runs, on one laptop.

With Redis answering (CELERY_BROKER_URL, default redis://127.0.0.1:6379/0): the web server, a
Celery worker and Celery beat, as in production. Without it: the web server, with tasks run
in-process after each commit (Celery's eager mode), and a clock process for the periodic work.
It says which it chose.
"""
from __future__ import annotations

import os
import socket
import sys
from urllib.parse import urlparse

from honcho.manager import Manager

PERIODIC = ("rounds tick", "shop tick", "mail drain")  # what beat runs, for the clock process


def redis_answers(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def main(port: str) -> int:
    bin_dir = os.path.dirname(sys.executable)
    flask, celery = os.path.join(bin_dir, "flask"), os.path.join(bin_dir, "celery")
    env = {**os.environ, "FLASK_APP": "wsgi.py", "SERVER_NAME": os.environ.get("SERVER_NAME", f"127.0.0.1:{port}")}
    broker = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
    manager = Manager()
    on_redis = redis_answers(broker)
    if on_redis:
        env["CELERY_BROKER_URL"] = broker
    else:
        env.pop("CELERY_BROKER_URL", None)  # eager mode
    manager.add_process("web", f"{flask} run --host 127.0.0.1 --port {port}", env=env)
    if on_redis:
        print(f"Background work: Celery on Redis at {broker}, with a worker and beat (as in production).", flush=True)
        manager.add_process("worker", f"{celery} -A wsgi:celery_app worker --concurrency 2 --loglevel INFO", env=env)
        schedule = os.path.join(os.environ.get("INSTANCE_PATH", "instance"), "celerybeat-schedule")
        manager.add_process("beat", f"{celery} -A wsgi:celery_app beat --loglevel INFO --schedule {schedule}", env=env)
    else:
        print(f"Background work: Redis does not answer at {broker}, so tasks run in the web process right "
              "after each commit (Celery's eager mode), and a clock process does the periodic work every minute.",
              flush=True)
        ticks = "; ".join(f"{flask} {command}" for command in PERIODIC)
        manager.add_process("clock", f"sh -c 'while true; do {ticks}; sleep 60; done'", env=env)
    manager.loop()
    return manager.returncode or 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "5000"))
