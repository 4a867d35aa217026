"""Design pages: gallery, design page, submission, editing, dashboard, comments, moderation."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.accounts.forms import EmptyForm
from app.accounts.models import User
from app.actions import act, attempt
from app.designs import services as designs
from app.designs import bp
from app.designs.forms import (
    ApprovedDesignForm,
    CommentForm,
    EditDesignForm,
    HideCommentForm,
    NewDesignForm,
    ResubmitDesignForm,
    ReviewForm,
)
from app.designs.models import Comment, Design, DesignMatch
from app.extensions import db, limiter
from app.lists import Sorts, matching, sorted_by
from app.pagecache import cached_page
from app.permissions import (
    can_comment,
    can_moderate,
    can_resubmit_design,
    get_design_or_404,
    is_own_design,
    operator_required,
    verified_required,
)


def get_design(design_id: int, check_owner: bool = False) -> Design:
    return get_design_or_404(design_id, for_user=current_user, check_owner=check_owner)


def _upload(form) -> bytes | None:
    field = getattr(form, "print_file", None)
    upload = request.files.get(field.name) if field is not None else None
    return upload.read() if upload and upload.filename else None


def _fields(form, design: Design | None = None) -> designs.DesignFields:
    """The submitted fields; those a form lacks (after approval) keep the design's values."""

    def value(name: str, default: str = "") -> str:
        field = getattr(form, name, None)
        if field is None:
            return getattr(design, name) if design is not None else default
        return field.data or ""

    return designs.DesignFields(
        title=value("title"), description=value("description"), tags=value("tags"),
        alt_text=value("alt_text"), shirt_colour=value("shirt_colour"),
    )


# ---------------------------------------------------------------- public pages

@bp.route("/designs")
@cached_page("designs", "rounds")
def gallery():
    tag = request.args.get("tag", "").strip() or None
    search = request.args.get("q", "").strip()[:100] or None
    sort = designs.GALLERY_SORTS.choose(request.args.get("sort"))
    page = designs.gallery_page(tag, search, sort, per_page=current_app.config["GALLERY_PER_PAGE"])
    return render_template("designs/gallery.html", page=page, tag=tag, search=search or "", sort=sort,
                           sorts=designs.GALLERY_SORTS,
                           tags=designs.popular_tags())


@bp.route("/designs/<int:design_id>")
@cached_page("designs", "rounds", "shop", "stock")
def show(design_id: int):
    design = get_design(design_id)
    own = is_own_design(current_user, design)
    # Forms are built only for who sees them: each one writes a token into the visitor's session,
    # and a page for every anonymous visitor (app/pagecache.py) carries none.
    moderating = can_moderate(current_user)
    return render_template(
        "designs/show.html", design=design,
        comments=designs.visible_comments(design, include_hidden=moderating),
        comment_form=CommentForm() if can_comment(current_user, design) else None,
        hide_form=HideCommentForm() if moderating else None,
        following=designs.is_following(design, current_user),
        own=own, followers=designs.follower_count(design) if own else None,
    )


@bp.route("/designers/<int:user_id>")
def designer(user_id: int):
    member = db.session.get(User, user_id)
    if member is None or member.is_suspended:
        abort(404)
    approved = db.session.scalars(designs.gallery_query(designer_id=member.id)).all()
    return render_template("designs/designer.html", member=member, designs=approved)


@bp.route("/licence")
def licence():
    return render_template("designs/licence.html")


# ---------------------------------------------------------------- designer pages

@bp.route("/designs/new", methods=["GET", "POST"])
@verified_required
def new():
    form = NewDesignForm()
    if request.method == "GET":
        form.shirt_colour.data = form.shirt_colour.choices[0][0]
    if form.validate_on_submit():
        saved, design = attempt(lambda: designs.create_design(current_user, _fields(form), _upload(form) or b"",
                                                              submit=bool(form.submit_review.data)),
                                refused=designs.DesignError, field=form.print_file)
        if saved:
            if design.is_awaiting_review:
                flash(_("Thanks! “%(title)s” is waiting for review. We will email you the decision.", title=design.title), "success")
            else:
                flash(_("“%(title)s” is saved as a draft. Submit it when it is ready.", title=design.title), "success")
            return redirect(url_for("designs.show", design_id=design.id))
    status = 200 if request.method == "GET" else 422
    return render_template("designs/new.html", form=form, used=designs.submissions_this_round(current_user)), status


@bp.route("/designs/<int:design_id>/edit", methods=["GET", "POST"])
@verified_required
def edit(design_id: int):
    design = get_design(design_id, check_owner=True)
    if design.needs_changes:
        return redirect(url_for("designs.resubmit", design_id=design.id))
    if not design.accepts_edits:
        abort(403)
    form = ApprovedDesignForm(obj=design) if design.is_approved else EditDesignForm(obj=design)
    if form.validate_on_submit():
        saved, _outcome = attempt(lambda: designs.update_design(design, _fields(form, design), _upload(form)),
                                  refused=designs.DesignError, field=getattr(form, "print_file", form.tags))
        if saved:
            flash(_("Your changes are saved."), "success")
            return redirect(url_for("designs.show", design_id=design.id))
    status = 200 if request.method == "GET" else 422
    return render_template("designs/edit.html", form=form, design=design), status


@bp.route("/designs/<int:design_id>/resubmit", methods=["GET", "POST"])
@verified_required
def resubmit(design_id: int):
    """The corrected file of a design that needs changes: the same upload as a new design's."""
    design = get_design(design_id, check_owner=True)
    if not can_resubmit_design(current_user, design):
        if design.is_awaiting_review:
            flash(_("“%(title)s” is waiting for review.", title=design.title), "info")
        elif design.needs_changes:
            flash(_("The round this design was submitted for no longer takes corrections. "
                    "Submit it again as a new design next month."), "error")
        else:
            flash(_("Only a design that needs changes can be resubmitted."), "error")
        return redirect(url_for("designs.show", design_id=design.id))
    form = ResubmitDesignForm(obj=design)
    if form.validate_on_submit():
        saved, _outcome = attempt(
            lambda: designs.resubmit_design(design, current_user, _fields(form, design), _upload(form) or b""),
            refused=designs.DesignError, field=form.print_file)
        if saved:
            flash(_("Thanks! The corrected “%(title)s” is waiting for review again.", title=design.title), "success")
            return redirect(url_for("designs.show", design_id=design.id))
    status = 200 if request.method == "GET" else 422
    return render_template("designs/resubmit.html", form=form, design=design,
                           deadline=designs.resubmission_last_minute(design)), status


@bp.post("/designs/<int:design_id>/submit")
@verified_required
def submit(design_id: int):
    design = get_design(design_id, check_owner=True)
    # Submitted already (a double click): the same answer.
    return act(lambda: designs.submit_draft(design), refused=designs.DesignError,
               success=_("“%(title)s” is waiting for review.", title=design.title),
               redirect_to=url_for("designs.show", design_id=design.id))


@bp.post("/designs/<int:design_id>/withdraw")
@verified_required
def withdraw(design_id: int):
    design = get_design(design_id, check_owner=True)
    return act(lambda: designs.withdraw_design(design), refused=designs.DesignError,
               success=_("“%(title)s” is withdrawn.", title=design.title), redirect_to=url_for("designs.dashboard"),
               redirect_refused=url_for("designs.show", design_id=design.id))


@bp.route("/me/designs")
@verified_required
def dashboard():
    mine = db.session.scalars(
        sa.select(Design).where(Design.designer_id == current_user.id).order_by(Design.created_at.desc(), Design.id.desc())
    ).all()
    return render_template("designs/dashboard.html", designs=mine,
                           used=designs.submissions_this_round(current_user))


# ---------------------------------------------------------------- followers

@bp.post("/designs/<int:design_id>/follow")
@verified_required
@limiter.limit("30 per minute", key_func=lambda: f"follow:{current_user.id}")
def follow(design_id: int):
    design = get_design(design_id)
    back = url_for("designs.show", design_id=design.id)
    if not EmptyForm().validate_on_submit():
        return redirect(back)
    return act(lambda: designs.follow(design, current_user), refused=designs.DesignError, redirect_to=back,
               success=_("You follow “%(title)s”: we will email you when its round's results are out.",
                         title=design.title))


@bp.post("/designs/<int:design_id>/unfollow")
@verified_required
def unfollow(design_id: int):
    design = get_design(design_id)
    if EmptyForm().validate_on_submit():
        designs.unfollow(design, current_user)
        db.session.commit()
        flash(_("You no longer follow “%(title)s”.", title=design.title), "info")
    return redirect(url_for("designs.show", design_id=design.id))


# ---------------------------------------------------------------- comments

@bp.post("/designs/<int:design_id>/comments")
@verified_required
@limiter.limit("10 per minute", key_func=lambda: f"comment:{current_user.id}")
def comment(design_id: int):
    design = get_design(design_id)
    form = CommentForm()
    if not form.validate_on_submit():
        flash(_("Write something first."), "error")
        return redirect(url_for("designs.show", design_id=design.id, _anchor="comments"))
    return act(lambda: designs.add_comment(design, current_user, form.body.data), refused=designs.DesignError,
               success=_("Your comment is posted."),
               redirect_to=url_for("designs.show", design_id=design.id, _anchor="comments"))


@bp.post("/comments/<int:comment_id>/hide")
@operator_required
def hide_comment(comment_id: int):
    found = db.session.get(Comment, comment_id)
    if found is None:
        abort(404)
    form = HideCommentForm()
    if form.validate_on_submit():
        designs.hide_comment(found, current_user, form.reason.data)
        db.session.commit()
        flash(_("The comment is hidden."), "success")
    else:
        flash(_("Give a reason: it is kept in the audit log."), "error")
    return redirect(url_for("designs.show", design_id=found.design_id, _anchor="comments"))


# ---------------------------------------------------------------- moderation (operators)

@bp.route("/console/moderation")
@operator_required
def moderation():
    query = request.args.get("q", "").strip()
    duplicates_only = request.args.get("duplicates") == "1"
    stmt = designs.review_queue().order_by(None)
    if query:
        stmt = stmt.join(User, User.id == Design.designer_id).where(matching(query, Design.title, User.display_name))
    if duplicates_only:
        stmt = stmt.where(Design.id.in_(sa.select(DesignMatch.design_id)))
    stmt, sort = sorted_by(stmt, request.args.get("sort", ""), MODERATION_ORDERS)
    page = db.paginate(stmt, per_page=25, error_out=False)
    waiting = db.session.scalar(sa.select(sa.func.count()).select_from(designs.review_queue().subquery()))
    match_counts = dict(db.session.execute(
        sa.select(DesignMatch.design_id, sa.func.count()).group_by(DesignMatch.design_id)
    ).all())
    return render_template("designs/moderation.html", page=page, match_counts=match_counts, query=query,
                           duplicates_only=duplicates_only, sort=sort, sorts=MODERATION_ORDERS, waiting=waiting)


MODERATION_ORDERS = Sorts(
    "oldest",  # first come, first reviewed
    oldest=(_l("Oldest first"), (Design.submitted_at.asc(), Design.id.asc())),
    newest=(_l("Newest first"), (Design.submitted_at.desc(), Design.id.desc())),
    title=(_l("Title"), (sa.func.lower(Design.title), Design.id)),
)


@bp.route("/console/moderation/<int:design_id>", methods=["GET", "POST"])
@operator_required
def review(design_id: int):
    design = get_design(design_id)
    form = ReviewForm()

    def decide() -> tuple[bool, str]:
        # False: the design already was in that state (a double click, another operator).
        if form.approve.data:
            changed = designs.approve_design(design, current_user, form.note.data or "")
            return changed, (_("“%(title)s” is approved.", title=design.title) if changed
                             else _("“%(title)s” was already approved.", title=design.title))
        if form.request_changes.data:
            changed = designs.request_changes(design, current_user, form.note.data or "", form.rejection_reason())
            return changed, (_("“%(title)s” is sent back to its designer for changes.", title=design.title) if changed
                             else _("“%(title)s” was already sent back for changes.", title=design.title))
        reason = form.rejection_reason()
        if reason is None:
            raise designs.DesignError(_("Choose the reason for the rejection."))
        changed = designs.reject_design(design, current_user, reason, form.note.data or "")
        return changed, (_("“%(title)s” is rejected.", title=design.title) if changed
                         else _("“%(title)s” was already rejected.", title=design.title))

    if form.validate_on_submit():
        decided, outcome = attempt(decide, refused=designs.DesignError, field=form.reason)
        if decided:
            changed, message = outcome
            flash(message, "success" if changed else "info")
            following = db.session.scalars(designs.review_queue().limit(1)).first()
            if following is not None:
                return redirect(url_for("designs.review", design_id=following.id))
            return redirect(url_for("designs.moderation"))
    matches = db.session.scalars(
        sa.select(DesignMatch).where(DesignMatch.design_id == design.id).order_by(DesignMatch.distance)
    ).all()
    status = 200 if request.method == "GET" else 422
    return render_template("designs/review.html", design=design, form=form, matches=matches), status


@bp.route("/console/designs/<int:design_id>/print-file")
@operator_required
def print_file(design_id: int):
    design = get_design(design_id)
    data = designs.read_print_file(design)
    extension = design.print_file_key.rsplit(".", 1)[-1]
    return Response(data, mimetype=f"image/{extension}", headers={
        "Content-Disposition": f'attachment; filename="tirage-design-{design.id}.{extension}"',
        "Cache-Control": "private, no-store",
    })
