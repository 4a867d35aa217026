"""Design pages: gallery, design page, submission, editing, dashboard, comments, moderation."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.forms import EmptyForm
from app.accounts.models import User
from app.designs import bp
from app.designs import services as designs
from app.designs.forms import (
    ApprovedDesignForm,
    CommentForm,
    EditDesignForm,
    HideCommentForm,
    NewDesignForm,
    ReviewForm,
)
from app.designs.models import Comment, Design, DesignMatch, DesignStatus
from app.extensions import db, limiter
from app.lists import matching, sorted_by
from app.pagecache import cached_page
from app.permissions import can_comment, can_edit_design, can_see_design, operator_required, verified_required


def get_design(design_id: int, check_owner: bool = False) -> Design:
    """The design, or 404 if this visitor may not see it (403 if they may see but not edit)."""
    design = db.session.get(Design, design_id)
    if design is None or not can_see_design(current_user, design):
        abort(404)
    if check_owner and not can_edit_design(current_user, design):
        abort(403)
    return design


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
    sort = request.args.get("sort", "newest")
    if sort not in designs.GALLERY_SORTS:
        sort = "newest"
    page = db.paginate(designs.gallery_query(tag, search, sort), per_page=current_app.config["GALLERY_PER_PAGE"],
                       error_out=False)
    return render_template("designs/gallery.html", page=page, tag=tag, search=search or "", sort=sort,
                           tags=designs.popular_tags())


@bp.route("/designs/<int:design_id>")
@cached_page("designs", "rounds", "shop")
def show(design_id: int):
    design = get_design(design_id)
    include_hidden = current_user.is_authenticated and current_user.is_operator
    own = current_user.is_authenticated and current_user.id == design.designer_id
    commenting = can_comment(current_user) and design.is_public
    # Forms are built only for who sees them: each one writes a token into the visitor's session.
    return render_template(
        "designs/show.html", design=design,
        comments=designs.visible_comments(design, include_hidden=include_hidden),
        comment_form=CommentForm() if commenting else None, hide_form=HideCommentForm() if include_hidden else None,
        can_comment=commenting,
        can_edit=can_edit_design(current_user, design),
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
        try:
            design = designs.create_design(current_user, _fields(form), _upload(form) or b"",
                                           submit=bool(form.submit_review.data))
        except designs.DesignError as exc:
            db.session.rollback()
            form.print_file.errors.append(str(exc))
        else:
            db.session.commit()
            if design.status == DesignStatus.SUBMITTED:
                flash(_("Thanks! “%(title)s” is waiting for review. We will email you the decision.", title=design.title), "success")
            else:
                flash(_("“%(title)s” is saved as a draft. Submit it when it is ready.", title=design.title), "success")
            return redirect(url_for("designs.show", design_id=design.id))
    status = 200 if request.method == "GET" else 422
    return render_template("designs/new.html", form=form, used=designs.submissions_this_month(current_user)), status


@bp.route("/designs/<int:design_id>/edit", methods=["GET", "POST"])
@verified_required
def edit(design_id: int):
    design = get_design(design_id, check_owner=True)
    if design.status == DesignStatus.APPROVED:
        form = ApprovedDesignForm(obj=design)
    elif design.is_editable:
        form = EditDesignForm(obj=design)
    else:
        abort(403)
    if form.validate_on_submit():
        try:
            designs.update_design(design, _fields(form, design), _upload(form))
        except designs.DesignError as exc:
            db.session.rollback()
            target = getattr(form, "print_file", form.tags)
            target.errors = list(target.errors) + [str(exc)]
        else:
            db.session.commit()
            flash(_("Your changes are saved."), "success")
            return redirect(url_for("designs.show", design_id=design.id))
    status = 200 if request.method == "GET" else 422
    return render_template("designs/edit.html", form=form, design=design), status


@bp.post("/designs/<int:design_id>/submit")
@verified_required
def submit(design_id: int):
    design = get_design(design_id, check_owner=True)
    try:
        designs.submit_draft(design)  # submitted already (a double click): the same answer
    except designs.DesignError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("“%(title)s” is waiting for review.", title=design.title), "success")
    return redirect(url_for("designs.show", design_id=design.id))


@bp.post("/designs/<int:design_id>/withdraw")
@verified_required
def withdraw(design_id: int):
    design = get_design(design_id, check_owner=True)
    try:
        designs.withdraw_design(design)
    except designs.DesignError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("designs.show", design_id=design.id))
    db.session.commit()
    flash(_("“%(title)s” is withdrawn.", title=design.title), "success")
    return redirect(url_for("designs.dashboard"))


@bp.route("/me/designs")
@verified_required
def dashboard():
    mine = db.session.scalars(
        sa.select(Design).where(Design.designer_id == current_user.id).order_by(Design.created_at.desc(), Design.id.desc())
    ).all()
    return render_template("designs/dashboard.html", designs=mine,
                           used=designs.submissions_this_month(current_user))


# ---------------------------------------------------------------- followers

@bp.post("/designs/<int:design_id>/follow")
@verified_required
@limiter.limit("30 per minute", key_func=lambda: f"follow:{current_user.id}")
def follow(design_id: int):
    design = get_design(design_id)
    if EmptyForm().validate_on_submit():
        try:
            designs.follow(design, current_user)
        except designs.DesignError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(_("You follow “%(title)s”: we will email you when its round's results are out.", title=design.title),
                  "success")
    return redirect(url_for("designs.show", design_id=design.id))


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
    try:
        designs.add_comment(design, current_user, form.body.data)
    except designs.DesignError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("Your comment is posted."), "success")
    return redirect(url_for("designs.show", design_id=design.id, _anchor="comments"))


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
    stmt, sort = sorted_by(stmt, request.args.get("sort", ""), MODERATION_ORDERS, "oldest")
    page = db.paginate(stmt, per_page=25, error_out=False)
    waiting = db.session.scalar(sa.select(sa.func.count()).select_from(designs.review_queue().subquery()))
    match_counts = dict(db.session.execute(
        sa.select(DesignMatch.design_id, sa.func.count()).group_by(DesignMatch.design_id)
    ).all())
    return render_template("designs/moderation.html", page=page, match_counts=match_counts, query=query,
                           duplicates_only=duplicates_only, sort=sort, waiting=waiting)


MODERATION_ORDERS = {
    "oldest": (Design.submitted_at.asc(), Design.id.asc()),  # first come, first reviewed
    "newest": (Design.submitted_at.desc(), Design.id.desc()),
    "title": (sa.func.lower(Design.title), Design.id),
}


@bp.route("/console/moderation/<int:design_id>", methods=["GET", "POST"])
@operator_required
def review(design_id: int):
    design = get_design(design_id)
    form = ReviewForm()
    if form.validate_on_submit():
        try:
            # False: the design already was in that state (a double click, another operator).
            if form.approve.data:
                changed = designs.approve_design(design, current_user, form.note.data or "")
                message = (_("“%(title)s” is approved.", title=design.title) if changed
                           else _("“%(title)s” was already approved.", title=design.title))
            else:
                reason = form.rejection_reason()
                if reason is None:
                    raise designs.DesignError(_("Choose the reason for the rejection."))
                changed = designs.reject_design(design, current_user, reason, form.note.data or "")
                message = (_("“%(title)s” is rejected.", title=design.title) if changed
                           else _("“%(title)s” was already rejected.", title=design.title))
        except designs.DesignError as exc:
            db.session.rollback()
            form.reason.errors = [str(exc)]
        else:
            db.session.commit()
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
