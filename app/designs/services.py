"""Design rules: submitting, editing, withdrawing, moderating, commenting, browsing."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from flask_sqlalchemy.pagination import SelectPagination
from sqlalchemy.orm import lazyload

from app.accounts.models import User
from app.audit.services import record
from app.clock import utcnow
from app.designs import print_file
from app.designs.cards import CARD_COLUMNS, DesignCard
from app.designs.hashing import NEAR_DUPLICATE_DISTANCE, hash_distance
from app.designs.models import (
    Comment,
    CommentNotice,
    Design,
    DesignFollower,
    DesignMatch,
    DesignStatus,
    RejectionReason,
    Tag,
    design_tags,
)
from app.extensions import cache, db
from app.labels import label
from app.lists import Sorts, bounded_page, matching, sorted_by
from app.locking import lock
from app.mail import send_mail
from app.months import month_of, month_window
from app.storage import get_storage

MAX_TAGS = 8


class DesignError(Exception):
    """A rule was broken; the message is safe to show to the designer."""


@dataclass
class DesignFields:
    title: str
    description: str
    tags: str
    alt_text: str
    shirt_colour: str


# ---------------------------------------------------------------- helpers

def parse_tags(text: str) -> list[str]:
    """'Cats, retro  ,Space' -> ['cats', 'retro', 'space']: lower case, unique, short."""
    names = []
    for raw in re.split(r"[,#\n]", text or ""):
        name = re.sub(r"\s+", "-", raw.strip().lower())[:30].strip("-")
        if name and name not in names:
            names.append(name)
    if len(names) > MAX_TAGS:
        raise DesignError(_l("Use %(n)d tags at most.", n=MAX_TAGS))
    return names


def _tags(names: list[str]) -> list[Tag]:
    existing = {t.name: t for t in db.session.scalars(sa.select(Tag).where(Tag.name.in_(names)))} if names else {}
    # New tags are inserted in one order for everyone, so two designs bringing the same new tags
    # at once wait for each other instead of deadlocking.
    for name in sorted(set(names) - existing.keys()):
        existing[name] = _new_tag(name)
    return [existing[name] for name in names]


def _new_tag(name: str) -> Tag:
    try:
        with db.session.begin_nested():
            tag = Tag(name=name)
            db.session.add(tag)
    except IntegrityError:  # another member's design brought the same tag a moment ago
        tag = db.session.scalar(sa.select(Tag).where(Tag.name == name))
    return tag


def round_window(moment: datetime) -> tuple[datetime, datetime]:
    """The window of the round a submission made at `moment` is for: the round whose dates hold
    it, or, before that round exists, its month (app/months.py, the rounds' one definition)."""
    from app.rounds.models import Round

    found = db.session.execute(sa.select(Round.starts_at, Round.ends_at).where(
        Round.starts_at <= moment, Round.ends_at > moment).order_by(Round.starts_at.desc()).limit(1)).first()
    return tuple(found) if found else month_window(*month_of(moment))


def submissions_this_round(designer: User) -> int:
    """The member's submissions counted against SUBMISSIONS_PER_ROUND: those made in this round."""
    start, end = round_window(utcnow())
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Design).where(
            Design.designer_id == designer.id,
            Design.status.in_([DesignStatus.SUBMITTED, DesignStatus.APPROVED, DesignStatus.REJECTED,
                               DesignStatus.NEEDS_CHANGES]),
            Design.submitted_at >= start,
            Design.submitted_at < end,
        )
    )


def _check_limit(designer: User) -> None:
    limit = current_app.config["SUBMISSIONS_PER_ROUND"]
    if submissions_this_round(designer) >= limit:
        raise DesignError(_l("You have already submitted %(n)d designs this month, the most a round allows.", n=limit))


def _lock_member(member_id: int) -> None:
    """Hold the member's row until commit: one member's submissions are counted and written one at
    a time, so ten at once cannot all see room under the limit (app/locking.py)."""
    lock(User, User.id == member_id)


def _move(design: Design, to: DesignStatus, from_: tuple[DesignStatus, ...], refusal, **values) -> bool:
    """Move the design to `to` in one conditional UPDATE: of concurrent moves exactly one changes
    the row. False when it already was in `to` (a repeat: nothing to do); `refusal` otherwise."""
    moved = db.session.execute(
        sa.update(Design).where(Design.id == design.id, Design.status.in_(from_))
        .values(status=to, **values).execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(design)
    if moved:
        return True
    if design.status == to:
        return False
    raise DesignError(refusal)


def _process(data: bytes, colour: str) -> print_file.ProcessedArtwork:
    config = current_app.config
    if colour not in config["SHIRT_COLOURS"]:
        raise DesignError(_l("Choose a shirt colour from the list."))
    try:
        return print_file.process_print_file(
            data, colour,
            max_bytes=config["PRINT_MAX_BYTES"],
            max_pixels=config["PRINT_MAX_PIXELS"],
            min_long_side=config["PRINT_MIN_LONG_SIDE"],
            colours=config["SHIRT_COLOURS"],
        )
    except print_file.ArtworkRejected as exc:
        raise DesignError(str(exc)) from exc


def _store(design: Design, processed: print_file.ProcessedArtwork) -> None:
    storage = get_storage()

    def put(area: str, rendition: print_file.Rendition) -> str:
        return storage.put(area, rendition.data, rendition.extension)

    design.print_file_key = put("private", processed.print_file)
    design.print_width = processed.print_file.width
    design.print_height = processed.print_file.height
    design.print_dpi = processed.dpi[0] if processed.dpi else None
    design.thumbnail_key = put("public", processed.thumbnail)
    design.thumbnail_fallback_key = put("public", processed.thumbnail_fallback)
    design.preview_key = put("public", processed.preview)
    design.preview_fallback_key = put("public", processed.preview_fallback)
    design.mockup_key = put("public", processed.mockup)
    design.mockup_fallback_key = put("public", processed.mockup_fallback)
    design.phash = processed.phash


def _record_matches(design: Design) -> None:
    """Flag every existing design whose perceptual hash is close to this one. A design still waiting
    for its render has no hash yet; it is compared with this one when its own render records it."""
    db.session.execute(sa.delete(DesignMatch).where(DesignMatch.design_id == design.id))
    rows = db.session.execute(
        sa.select(Design.id, Design.phash).where(Design.id != design.id, Design.status != DesignStatus.WITHDRAWN,
                                                 Design.phash != "")
    )
    for other_id, other_hash in rows:
        distance = hash_distance(design.phash, other_hash)
        if distance <= NEAR_DUPLICATE_DISTANCE:
            db.session.add(DesignMatch(design_id=design.id, match_id=other_id, distance=distance))


# ---------------------------------------------------------------- designer actions

def _check_upload(data: bytes, colour: str) -> print_file.UploadCheck:
    """What the upload request may afford: size, type, header dimensions, the bomb guard."""
    config = current_app.config
    if colour not in config["SHIRT_COLOURS"]:
        raise DesignError(_l("Choose a shirt colour from the list."))
    try:
        return print_file.check_upload(data, colour, max_bytes=config["PRINT_MAX_BYTES"],
                                    max_pixels=config["PRINT_MAX_PIXELS"],
                                    min_long_side=config["PRINT_MIN_LONG_SIDE"], colours=config["SHIRT_COLOURS"])
    except print_file.ArtworkRejected as exc:
        raise DesignError(str(exc)) from exc


def _queue_rendering(design: Design, data: bytes | None, checked: print_file.UploadCheck | None) -> None:
    """Store the original as the print file for now, and have a worker render it after commit."""
    if data is not None:
        design.print_file_key = get_storage().put("private", data, checked.extension)
        design.print_width, design.print_height, design.print_dpi = checked.width, checked.height, None
    design.rendering, design.rendering_progress, design.rendering_error = "pending", 0, ""
    from app.tasks import after_commit, render_design

    db.session.flush()
    after_commit(render_design, design.id)


def create_design(designer: User, fields: DesignFields, data: bytes, submit: bool) -> Design:
    """Check the upload's header, store it, and create the design (a draft, or submitted for
    review); a worker renders it after the commit (app/designs/rendering.py)."""
    tag_names = parse_tags(fields.tags)
    if submit:
        _check_limit(designer)  # a member at the limit is told before their file is stored
    checked = _check_upload(data, fields.shirt_colour)  # refuses bad files before anything is stored
    if submit:
        # Counted again under the member's lock, held until the design is committed.
        _lock_member(designer.id)
        _check_limit(designer)
    now = utcnow()
    design = Design(
        designer_id=designer.id,
        title=fields.title.strip(),
        description=fields.description.strip(),
        alt_text=fields.alt_text.strip(),
        shirt_colour=fields.shirt_colour,
        status=DesignStatus.SUBMITTED if submit else DesignStatus.DRAFT,
        submitted_at=now if submit else None,
        licence_accepted_at=now,
        tags=_tags(tag_names),
        thumbnail_key="", thumbnail_fallback_key="", preview_key="", preview_fallback_key="",
        mockup_key="", mockup_fallback_key="", phash="",
    )
    db.session.add(design)
    _queue_rendering(design, data, checked)
    return design


def update_design(design: Design, fields: DesignFields, data: bytes | None) -> None:
    """Before approval everything may change; after it, only the description and tags."""
    tag_names = parse_tags(fields.tags)
    if design.status == DesignStatus.APPROVED:
        design.description = fields.description.strip()
        design.tags = _tags(tag_names)
        forget_tag_cloud()
        return
    if not design.is_editable:
        raise DesignError(_l("This design can no longer be changed."))
    rerender = bool(data) or fields.shirt_colour != design.shirt_colour  # the mockup depends on the colour
    checked = _check_upload(data, fields.shirt_colour) if data else None
    if fields.shirt_colour not in current_app.config["SHIRT_COLOURS"]:
        raise DesignError(_l("Choose a shirt colour from the list."))
    design.title = fields.title.strip()
    design.description = fields.description.strip()
    design.alt_text = fields.alt_text.strip()
    design.shirt_colour = fields.shirt_colour
    design.tags = _tags(tag_names)
    if rerender or design.rendering == "failed":
        _queue_rendering(design, data or None, checked)


def submit_draft(design: Design) -> bool:
    """Submit a draft for review: True if this call submitted it (a repeat changes nothing)."""
    _lock_member(design.designer_id)
    db.session.refresh(design)
    if design.status == DesignStatus.SUBMITTED:
        return False
    if design.status != DesignStatus.DRAFT:
        raise DesignError(_l("Only a draft can be submitted."))
    if design.rendering == "failed":
        raise DesignError(_l("Upload a file that can be processed first."))
    _check_limit(design.designer)
    return _move(design, DesignStatus.SUBMITTED, (DesignStatus.DRAFT,), _l("Only a draft can be submitted."),
                 submitted_at=utcnow())


def resubmission_deadline(design: Design) -> datetime | None:
    """Until when a corrected file is accepted: the end of the round (round_window) the design
    was submitted for, so a correction never moves it into another month's count."""
    if design.submitted_at is None:
        return None
    return round_window(design.submitted_at)[1]


def resubmission_last_minute(design: Design) -> datetime | None:
    """The deadline as a designer reads it: "until 31 Dec, 23:59" rather than "until 1 Jan, 00:00"."""
    deadline = resubmission_deadline(design)
    return deadline - timedelta(minutes=1) if deadline else None


def accepts_resubmission(design: Design) -> bool:
    """Whether the design waits for a corrected file and its round still takes one."""
    deadline = resubmission_deadline(design)
    return design.status == DesignStatus.NEEDS_CHANGES and deadline is not None and utcnow() < deadline


def resubmit_design(design: Design, designer: User, fields: DesignFields, data: bytes) -> bool:
    """Send a corrected file for a design that needs changes: the same design (its id, comments,
    history) goes back to the moderation queue once the file is rendered, exactly as a new upload
    is (checked here, rendered by a worker after commit). True if this call resubmitted it; False
    for a repeat (already back in the queue)."""
    if designer.id != design.designer_id:
        raise DesignError(_l("Only the designer can send a corrected file."))
    _lock_member(designer.id)
    db.session.refresh(design)
    if design.status == DesignStatus.SUBMITTED and design.is_resubmission:
        return False
    if design.status != DesignStatus.NEEDS_CHANGES:
        raise DesignError(_l("Only a design that needs changes can be resubmitted."))
    if not accepts_resubmission(design):
        raise DesignError(_l("The round this design was submitted for no longer takes corrections. "
                             "Submit it again as a new design next month."))
    if not data:
        raise DesignError(_l("Choose the corrected print file."))
    tag_names = parse_tags(fields.tags)
    checked = _check_upload(data, fields.shirt_colour)
    previous_file, previous_note = design.print_file_key, design.moderator_note
    if not _move(design, DesignStatus.SUBMITTED, (DesignStatus.NEEDS_CHANGES,),
                 _l("Only a design that needs changes can be resubmitted."), revision=Design.revision + 1):
        return False
    design.title = fields.title.strip()
    design.description = fields.description.strip()
    design.alt_text = fields.alt_text.strip()
    design.shirt_colour = fields.shirt_colour
    design.tags = _tags(tag_names)
    _queue_rendering(design, data, checked)
    record(designer, "design.resubmit", "design", design.id, "", revision=design.revision,
           previous_file=previous_file, file=design.print_file_key, answering=previous_note)
    return True


def withdraw_design(design: Design) -> bool:
    """Withdraw a design not yet reviewed: True if this call withdrew it (a repeat changes nothing)."""
    return _move(design, DesignStatus.WITHDRAWN,
                 (DesignStatus.DRAFT, DesignStatus.SUBMITTED, DesignStatus.NEEDS_CHANGES),
                 _l("An approved or reviewed design cannot be withdrawn."))


# ---------------------------------------------------------------- moderation

def review_queue():
    """Submitted designs ready to be looked at (one still being rendered waits its turn)."""
    return (
        sa.select(Design)
        .where(Design.status == DesignStatus.SUBMITTED, Design.rendering == "ready")
        .order_by(Design.submitted_at, Design.id)
    )


def approve_design(design: Design, operator: User, note: str = "") -> bool:
    """Approve a design awaiting review, once: True if this call approved it, audited and mailed;
    False if it already was approved (a repeat, or another operator's click that came first)."""
    now = utcnow()
    if not design.is_rendered:
        raise DesignError(_l("This design's file is still being processed."))
    if not _move(design, DesignStatus.APPROVED, (DesignStatus.SUBMITTED,), _l("This design is not awaiting review."),
                 reviewed_by_id=operator.id, reviewed_at=now, approved_at=now, moderator_note=note.strip(),
                 rejection_reason=None):
        return False
    _enter_open_round(design)
    record(operator, "design.approve", "design", design.id, note)
    forget_tag_cloud()
    _mail_decision(design, "design_approved", _l("Your design is approved"))
    return True


def _enter_open_round(design: Design) -> None:
    """An approved design enters the open round; with none open, it waits for the next one."""
    from app.rounds.calendar import open_round_now

    current = open_round_now()
    if current is not None:
        design.round_id = current.id


def reject_design(design: Design, operator: User, reason: RejectionReason, note: str = "") -> bool:
    """Reject a design awaiting review, once: True if this call rejected it, audited and mailed;
    False if it already was rejected."""
    if not _move(design, DesignStatus.REJECTED, (DesignStatus.SUBMITTED,), _l("This design is not awaiting review."),
                 rejection_reason=reason, reviewed_by_id=operator.id, reviewed_at=utcnow(),
                 moderator_note=note.strip()):
        return False
    record(operator, "design.reject", "design", design.id, f"{reason.value}: {note}".strip(": "))
    forget_tag_cloud()
    _mail_decision(design, "design_rejected", _l("Your design was not accepted"))
    return True


def request_changes(design: Design, operator: User, note: str, reason: RejectionReason | None = None) -> bool:
    """Send a design awaiting review back to its designer with a note saying what to fix (not a
    final rejection: they may upload a corrected file while its round takes one). True if this call
    did it, audited and mailed; False if it already was waiting for changes."""
    note = note.strip()
    if not note:
        raise DesignError(_l("Say in the note what to change: the designer reads it."))
    if not _move(design, DesignStatus.NEEDS_CHANGES, (DesignStatus.SUBMITTED,), _l("This design is not awaiting review."),
                 rejection_reason=reason, reviewed_by_id=operator.id, reviewed_at=utcnow(), moderator_note=note):
        return False
    record(operator, "design.request_changes", "design", design.id, note, category=reason.value if reason else None,
           revision=design.revision)
    _mail_decision(design, "design_needs_changes", _l("Your design needs a few changes"),
                   resubmit_link=url_for("designs.resubmit", design_id=design.id, _external=True),
                   deadline=resubmission_last_minute(design))
    return True


def _mail_decision(design: Design, template: str, subject, **extra) -> None:
    designer = design.designer
    send_mail(
        designer.email, subject, template, locale=designer.locale,
        design=design, designer=designer, **extra,
        reason=label(design.rejection_reason) if design.rejection_reason else None,
        link=url_for("designs.dashboard", _external=True),
        design_link=url_for("designs.show", design_id=design.id, _external=True),
    )


def read_print_file(design: Design) -> bytes:
    return get_storage().read(design.print_file_key)


# ---------------------------------------------------------------- comments

def add_comment(design: Design, author: User, body: str) -> Comment:
    body = body.strip()
    if not design.is_public:
        raise DesignError(_l("Comments are open on approved designs only."))
    if not body:
        raise DesignError(_l("Write something first."))
    limit = current_app.config["COMMENT_MAX_LENGTH"]
    if len(body) > limit:
        raise DesignError(_l("Comments are limited to %(n)d characters.", n=limit))
    comment = Comment(design_id=design.id, author_id=author.id, body=body)
    db.session.add(comment)
    db.session.flush()
    if author.id != design.designer_id:
        _notify_designer(design)
    return comment


def _notify_designer(design: Design) -> None:
    """Mail the designer about new comments, at most once a day."""
    now = utcnow()
    notice = db.session.get(CommentNotice, design.designer_id)
    if notice is not None and now - notice.last_sent_at < timedelta(days=1):
        return
    since = notice.last_sent_at if notice else now - timedelta(days=1)
    comments = db.session.scalars(
        sa.select(Comment).join(Design).where(
            Design.designer_id == design.designer_id, Comment.created_at > since,
            Comment.author_id != design.designer_id, Comment.hidden_at.is_(None),
        ).order_by(Comment.created_at)
    ).all()
    if notice is None:
        notice = CommentNotice(designer_id=design.designer_id, last_sent_at=now)
        db.session.add(notice)
    notice.last_sent_at = now
    designer = design.designer
    send_mail(designer.email, _l("New comments on your designs"), "new_comments", locale=designer.locale,
              designer=designer, comments=comments,
              link=url_for("designs.show", design_id=design.id, _external=True))


def hide_comment(comment: Comment, operator: User, reason: str) -> None:
    if comment.hidden_at is not None:
        return
    comment.hidden_at = utcnow()
    comment.hidden_by_id = operator.id
    comment.hidden_reason = reason.strip()
    record(operator, "comment.hide", "comment", comment.id, reason, design_id=comment.design_id)


def visible_comments(design: Design, include_hidden: bool = False) -> list[Comment]:
    stmt = sa.select(Comment).where(Comment.design_id == design.id).order_by(Comment.created_at, Comment.id)
    if not include_hidden:
        stmt = stmt.where(Comment.hidden_at.is_(None))
    return db.session.scalars(stmt).all()


# ---------------------------------------------------------------- browsing

def _newest() -> tuple:
    return Design.approved_at.desc(), Design.id.desc()


def _by_comments(stmt):
    counts = (sa.select(Comment.design_id, sa.func.count().label("n")).where(Comment.hidden_at.is_(None))
              .group_by(Comment.design_id).subquery())
    return stmt.outerjoin(counts, counts.c.design_id == Design.id), (sa.func.coalesce(counts.c.n, 0).desc(), *_newest())


def _by_rank(stmt):
    from app.rounds.models import Round, RoundResult, RoundStatus

    # Only a published round's ranks: a closed round's results stay hidden until then.
    ranks = (sa.select(RoundResult.design_id, RoundResult.rank, Round.year, Round.month)
             .join(Round, Round.id == RoundResult.round_id)
             .where(Round.status == RoundStatus.PUBLISHED, RoundResult.rank.is_not(None)).subquery())
    return (stmt.outerjoin(ranks, ranks.c.design_id == Design.id),
            (ranks.c.rank.is_(None), ranks.c.rank, ranks.c.year.desc(), ranks.c.month.desc(), *_newest()))


GALLERY_SORTS = Sorts(
    "newest",
    newest=(_l("Newest first"), lambda stmt: (stmt, _newest())),
    comments=(_l("Most commented"), _by_comments),
    rank=(_l("Best ranked (published rounds)"), _by_rank),
    oldest=(_l("Oldest first"), (Design.approved_at.asc(), Design.id.asc())),
    title=(_l("By title"), (sa.func.lower(Design.title), Design.id)),
)


def gallery_query(tag: str | None = None, search: str | None = None, sort: str = "newest", designer_id: int | None = None,
                  cards: bool = False):
    """Approved designs as one statement (the counts and ranks it sorts by are joined, never read per card);
    with `cards`, as rows of what a card shows (`DesignCard.of`) rather than designs."""
    if cards:
        stmt = sa.select(*CARD_COLUMNS).select_from(Design).join(User, User.id == Design.designer_id)
    else:
        # Cards show no tags: not loading them saves a query per page (they still load if asked for).
        stmt = sa.select(Design).options(lazyload(Design.tags))
    stmt = stmt.where(Design.status == DesignStatus.APPROVED)
    if designer_id is not None:
        stmt = stmt.where(Design.designer_id == designer_id)
    if tag:
        stmt = stmt.where(Design.tags.any(Tag.name == tag.lower()))
    if search and search.strip():
        if not cards:
            stmt = stmt.join(User, User.id == Design.designer_id)
        stmt = stmt.where(sa.or_(
            matching(search, Design.title, Design.description, User.display_name),
            Design.tags.any(matching(search, Tag.name)),
        ))
    return sorted_by(stmt, sort, GALLERY_SORTS)[0]


class CardPagination(SelectPagination):
    """A page of `gallery_query(..., cards=True)`, its items as `DesignCard`s."""

    def _query_items(self) -> list[DesignCard]:
        select = self._query_args["select"].limit(self.per_page).offset(self._query_offset)
        return [DesignCard.of(row) for row in self._query_args["session"].execute(select)]


def gallery_page(tag: str | None, search: str | None, sort: str, per_page: int) -> CardPagination:
    return CardPagination(select=gallery_query(tag, search, sort, cards=True), session=db.session(),
                          page=bounded_page(None), per_page=per_page, error_out=False)


TAG_CLOUD_SECONDS = 60
TAG_CLOUD_KEY = "designs.tag_cloud"
TAG_CLOUD_SIZE = 50  # counted once and cached; a page asks for its first `limit`


def popular_tags(limit: int = 20) -> list[tuple[str, int]]:
    """The tag cloud, recounted at most once a minute for all web servers (the shared cache): the
    count runs over every approved design's tags (~15 ms at 10,000 designs). Approving or
    rejecting a design, or retagging an approved one, forgets it."""
    if limit > TAG_CLOUD_SIZE:
        return _count_tags(limit)
    try:
        tags = cache.get(TAG_CLOUD_KEY)
    except Exception:  # noqa: BLE001 - a cache that does not answer costs a recount, not the page
        current_app.logger.exception("tag cloud: the cache did not answer")
        return _count_tags(limit)
    if tags is None:
        tags = _count_tags(TAG_CLOUD_SIZE)
        try:
            cache.set(TAG_CLOUD_KEY, tags, timeout=TAG_CLOUD_SECONDS)
        except Exception:  # noqa: BLE001
            current_app.logger.exception("tag cloud: the cache did not answer")
    return tags[:limit]


def forget_tag_cloud() -> None:
    """The next page recounts. Called before the change commits, so a page counting meanwhile can
    still cache the old cloud: TAG_CLOUD_SECONDS bounds how long it shows."""
    try:
        cache.delete(TAG_CLOUD_KEY)
    except Exception:  # noqa: BLE001
        current_app.logger.exception("tag cloud: the cache did not answer")


def _count_tags(limit: int) -> list[tuple[str, int]]:
    rows = db.session.execute(
        sa.select(Tag.name, sa.func.count())
        .join(design_tags, design_tags.c.tag_id == Tag.id)
        .join(Design, Design.id == design_tags.c.design_id)
        .where(Design.status == DesignStatus.APPROVED)
        .group_by(Tag.name)
        .order_by(sa.func.count().desc(), Tag.name)
        .limit(limit)
    )
    return [(name, count) for name, count in rows]


# ---------------------------------------------------------------- followers

def follow(design: Design, member: User) -> None:
    """Follow a public design (following twice changes nothing: a unique constraint says so)."""
    if not design.is_public:
        raise DesignError(_l("Only approved designs can be followed."))
    try:
        with db.session.begin_nested():
            db.session.add(DesignFollower(design_id=design.id, user_id=member.id))
    except IntegrityError:
        pass  # already following (a double click, another tab)


def unfollow(design: Design, member: User) -> None:
    db.session.execute(sa.delete(DesignFollower).where(
        DesignFollower.design_id == design.id, DesignFollower.user_id == member.id))


def is_following(design: Design, member) -> bool:
    if not member.is_authenticated:
        return False
    return db.session.scalar(sa.select(sa.func.count()).select_from(DesignFollower).where(
        DesignFollower.design_id == design.id, DesignFollower.user_id == member.id)) > 0


def follower_count(design: Design) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(DesignFollower).where(
        DesignFollower.design_id == design.id))
