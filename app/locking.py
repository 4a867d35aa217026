"""Row locks, the same call on PostgreSQL and SQLite.

PostgreSQL locks the row until the transaction ends, with FOR NO KEY UPDATE: the lock for
changing columns other than the key, which does not conflict with the KEY SHARE lock a foreign
key check takes (inserting a refund or an event that points at the order). SQLite has no row
locks: a write takes the database's write lock, so a no-op UPDATE of the row serialises writers
the same way (and the SELECT after it sees everything committed before).
"""
from __future__ import annotations

from typing import TypeVar

import sqlalchemy as sa

from app.extensions import db

M = TypeVar("M")


def lock(model: type[M], *where) -> M | None:
    """The one row of `model` matching `where`, locked until commit or rollback (None if absent)."""
    if db.session.get_bind().dialect.name == "sqlite":
        pk = sa.inspect(model).primary_key[0]
        db.session.execute(sa.update(model).where(*where).values({pk.name: pk})
                           .execution_options(synchronize_session=False, row_lock=True))
    return db.session.scalar(sa.select(model).where(*where).with_for_update(of=model, key_share=True)
                             .execution_options(populate_existing=True))
