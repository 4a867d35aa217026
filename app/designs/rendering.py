"""Rendering an upload, in a worker: decode the print file, make the renditions, the mockup and the
perceptual hash, store them, and mark the design ready; or say why not.

The upload request only checked what is cheap and stored the original (services.create_design),
so a 4500×5400 PNG costs the web worker milliseconds, and its memory never holds the pixels.
Idempotent: a design no longer pending is left alone, and a render that finds the design changed
meanwhile (another file, another colour) leaves it to the render that change queued. The task that
runs it commits (app/tasks.py).
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.designs.models import Design, DesignStatus
from app.extensions import db
from app.locking import lock
from app.storage import get_storage
from app.transactions import workflow


@workflow
def _progress(design_id: int, percent: int) -> None:
    """Shown on the designer's page while the work goes on: committed in a short transaction of its
    own, so the page sees it while the render's transaction is still open."""
    with Session(db.engine) as session:
        session.execute(sa.update(Design).where(Design.id == design_id, Design.rendering == "pending")
                        .values(rendering_progress=percent))
        session.commit()


def render(design_id: int) -> str:
    from app.designs.services import DesignError, _process, _record_matches, _store

    design = db.session.get(Design, design_id)
    if design is None or design.rendering != "pending":
        return "nothing to render"
    source_key, colour = design.print_file_key, design.shirt_colour
    _progress(design_id, 10)
    try:
        processed = _process(get_storage().read(source_key), colour)
    except DesignError as exc:
        return _fail(design_id, source_key, str(exc))
    _progress(design_id, 70)
    design = lock(Design, Design.id == design_id)
    if design.rendering != "pending" or (design.print_file_key, design.shirt_colour) != (source_key, colour):
        db.session.rollback()
        return "changed meanwhile"
    _store(design, processed)  # files written for a transaction that rolls back are deleted
    design.rendering, design.rendering_progress, design.rendering_error = "ready", 100, ""
    db.session.flush()
    _record_matches(design)
    return "rendered"


def _fail(design_id: int, source_key: str, reason: str) -> str:
    """The file cannot be printed after all: the designer is told why on the design's page, and
    the design is a draft again (it does not count as a submission) until they upload another."""
    design = lock(Design, Design.id == design_id)
    if design.rendering != "pending" or design.print_file_key != source_key:
        db.session.rollback()
        return "changed meanwhile"
    design.rendering, design.rendering_error = "failed", reason[:300]
    if design.status == DesignStatus.SUBMITTED and design.is_resubmission:
        design.status = DesignStatus.NEEDS_CHANGES  # still waiting for a corrected file that works
    elif design.status == DesignStatus.SUBMITTED:
        design.status, design.submitted_at = DesignStatus.DRAFT, None
    return "failed"
