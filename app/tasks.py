"""Background work on Celery (Redis as the broker), in Flask's documented pattern: each task runs
in an application context of its own, with its own database session.

With CELERY_BROKER_URL unset (a laptop, the tests), tasks run eagerly in the calling process,
right after the commit that queued them: the same code path, no worker needed.

Every task is idempotent (it can run twice, or concurrently with itself, and do its work once)
and acknowledged late, so a worker that dies mid-task leaves it to another. Beat runs the
periodic work that `flask ... tick` commands also do by hand.
"""
from __future__ import annotations

from datetime import timedelta

from celery import Celery, Task, shared_task
from flask import Flask, current_app

RETRY = dict(autoretry_for=(Exception,), retry_backoff=True, retry_backoff_max=600, max_retries=8)


def init_app(app: Flask) -> Celery:
    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            with app.app_context():
                return self.run(*args, **kwargs)

    broker = app.config.get("CELERY_BROKER_URL")
    celery = Celery(app.import_name, task_cls=FlaskTask)
    settings = dict(
        broker_url=broker or "memory://",
        task_always_eager=not broker,
        task_eager_propagates=False,
        task_ignore_result=True,
        task_default_queue=app.config.get("CELERY_QUEUE", "tirage"),
        task_acks_late=True,             # a task lost with its worker runs again elsewhere
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        broker_transport_options={"visibility_timeout": 3600},
        timezone="UTC",
        beat_schedule={
            "rounds-tick": {"task": "app.tasks.rounds_tick", "schedule": timedelta(minutes=1)},
            "shop-tick": {"task": "app.tasks.shop_tick", "schedule": timedelta(minutes=1)},
            "outbox-drain": {"task": "app.tasks.drain_outbox", "schedule": timedelta(minutes=1)},
            "payouts-run": {"task": "app.tasks.payouts_run", "schedule": timedelta(hours=24)},
            "users-purge": {"task": "app.tasks.users_purge", "schedule": timedelta(hours=24)},
        },
    )
    celery.conf.update({**settings, **app.config.get("CELERY", {})})
    celery.set_default()
    app.extensions["celery"] = celery
    import sqlalchemy as sa
    from app.extensions import db

    for name, listener in (("after_commit", _dispatch), ("after_rollback", _forget)):
        if not sa.event.contains(db.session, name, listener):
            sa.event.listen(db.session, name, listener)
    return celery


def after_commit(task, *args) -> None:
    """Run `task(*args)` once the current transaction commits (never if it rolls back)."""
    from app.extensions import db

    db.session.info.setdefault("tasks_after_commit", []).append((task, args))


def _dispatch(session) -> None:
    if session.in_nested_transaction():  # a savepoint released: nothing is committed yet (app/outbox.py)
        return
    for task, args in session.info.pop("tasks_after_commit", []):
        try:
            task.delay(*args)
        except Exception:  # noqa: BLE001 - the broker is down: the periodic task catches up
            current_app.logger.exception("task %s%r not sent", task.name, args)


def _forget(session) -> None:
    if not session.in_nested_transaction():  # a savepoint's rollback keeps the outer work
        session.info.pop("tasks_after_commit", None)


def is_eager() -> bool:
    return bool(current_app.extensions["celery"].conf.task_always_eager)


def enqueue_mail(ids: list[int]) -> None:
    """After a commit: one delivery task per queued mail. A broker that is down loses nothing:
    the rows wait in the outbox for the periodic drain."""
    for mail_id in ids:
        try:
            deliver_mail.delay(mail_id)
        except Exception:  # noqa: BLE001 - the broker is down: the drain will find the row
            current_app.logger.exception("mail %s queued in the outbox, its task not sent", mail_id)
            return


# ---------------------------------------------------------------- mail

@shared_task(name="app.tasks.deliver_mail", **RETRY)
def deliver_mail(mail_id: int) -> str:
    from app.outbox import deliver

    return deliver(mail_id)


@shared_task(name="app.tasks.drain_outbox")
def drain_outbox() -> dict:
    from app.outbox import drain

    return drain()


# ---------------------------------------------------------------- designs

@shared_task(name="app.tasks.render_design", **RETRY)
def render_design(design_id: int) -> str:
    from app.designs.rendering import render
    from app.extensions import db

    outcome = render(design_id)
    db.session.commit()
    return outcome


@shared_task(name="app.tasks.forget_file", **RETRY)
def forget_file(key: str) -> bool:
    """A file saved by a transaction that rolled back, some minutes ago: deleted unless a
    committed row names it (the same bytes saved by another upload meanwhile)."""
    from app.storage import delete_unless_named, get_storage

    return delete_unless_named(get_storage(), key)


# ---------------------------------------------------------------- rounds

@shared_task(name="app.tasks.announce_results", **RETRY)
def announce_results(round_id: int) -> int:
    from app.rounds.announce import announce

    return announce(round_id)


# ---------------------------------------------------------------- periodic work

@shared_task(name="app.tasks.rounds_tick")
def rounds_tick() -> list[str]:
    from app.extensions import db
    from app.rounds.lifecycle import tick

    from app.rounds.announce import announce, unannounced

    done = tick()
    db.session.commit()
    for round_id in unannounced():  # an announcement lost with its worker
        announce(round_id)
    return done


@shared_task(name="app.tasks.shop_tick")
def shop_tick() -> int:
    from app.extensions import db
    from app.shop.reservations import release_expired_reservations

    released = release_expired_reservations()
    db.session.commit()
    return released


@shared_task(name="app.tasks.payouts_run")
def payouts_run() -> list[str]:
    from app.payouts.paying import run_payouts

    return run_payouts()


@shared_task(name="app.tasks.users_purge")
def users_purge() -> int:
    """Deleted members' invoice names and addresses, erased once no law needs them (`flask users purge`)."""
    from app.accounts.deletion import purge_retained
    from app.extensions import db

    count = purge_retained()
    db.session.commit()
    return count
