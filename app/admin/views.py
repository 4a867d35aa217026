"""Operator screens: the console home and member management."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Response, abort, flash, redirect, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.accounts import services as accounts
from app.accounts.forms import EmptyForm, ReasonForm
from app.accounts.models import Role, User
from app.actions import act
from app.admin import bp
from app import outbox
from app.admin import services as console
from app.audit.models import AuditEntry
from app.audit.services import record
from app.extensions import db
from app.lists import Sorts, matching, sorted_by
from app.permissions import operator_required

PER_PAGE = 25


@bp.route("/")
@operator_required
def dashboard():
    counts = {
        "members": db.session.scalar(sa.select(sa.func.count()).select_from(User)),
        "unverified": db.session.scalar(sa.select(sa.func.count()).where(User.email_verified_at.is_(None))),
        "suspended": db.session.scalar(sa.select(sa.func.count()).where(User.suspended_at.is_not(None))),
        "operators": db.session.scalar(sa.select(sa.func.count()).where(User.role == Role.OPERATOR)),
        **console.todo_counts(),
        "mail": outbox.counts(),
    }
    recent = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc()).limit(10)).all()
    return render_template("admin/dashboard.html", counts=counts, recent=recent, current=console.current_round())


@bp.route("/audit")
@operator_required
def audit():
    filters = console.AuditFilter.from_args(request.args)
    page = db.paginate(filters.statement(), per_page=50, error_out=False)
    return render_template("admin/audit.html", page=page, filters=filters, actions=console.action_names(),
                           target_types=console.target_types(), sorts=console.AUDIT_ORDERS)


@bp.route("/audit.csv")
@operator_required
def audit_csv():
    filters = console.AuditFilter.from_args(request.args)
    return Response(stream_with_context(console.audit_csv_rows(filters.statement())), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=tirage-audit-log.csv"})


@bp.route("/members")
@operator_required
def members():
    query = request.args.get("q", "").strip()
    status = request.args.get("status", "")
    stmt = sa.select(User)
    if query:
        stmt = stmt.where(matching(query, User.email, User.display_name))
    if status == "suspended":
        stmt = stmt.where(User.suspended_at.is_not(None))
    elif status == "unverified":
        stmt = stmt.where(User.email_verified_at.is_(None))
    elif status == "operators":
        stmt = stmt.where(User.role == Role.OPERATOR)
    stmt, sort = sorted_by(stmt, request.args.get("sort", ""), MEMBER_ORDERS)
    page = db.paginate(stmt, per_page=PER_PAGE, error_out=False)
    return render_template("admin/members.html", page=page, query=query, status=status, sort=sort,
                           sorts=MEMBER_ORDERS)


MEMBER_ORDERS = Sorts(
    "newest",
    newest=(_l("Newest first"), (User.created_at.desc(), User.id.desc())),
    oldest=(_l("Oldest first"), (User.created_at.asc(), User.id.asc())),
    name=(_l("By name"), (sa.func.lower(User.display_name), User.id)),
)


def _member_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.route("/members/<int:user_id>")
@operator_required
def member(user_id: int):
    user = _member_or_404(user_id)
    history = db.session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.target_type == "user", AuditEntry.target_id == str(user.id))
        .order_by(AuditEntry.id.desc())
    ).all()
    return render_template("admin/member.html", member=user, history=history, reason_form=ReasonForm(), form=EmptyForm(),
                           activity=console.member_activity(user))


@bp.post("/members/<int:user_id>/suspend")
@operator_required
def suspend(user_id: int):
    user = _member_or_404(user_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        flash(_("Give a reason: it is kept in the audit log."), "error")
        return redirect(url_for("admin.member", user_id=user.id))
    return act(lambda: accounts.suspend_user(user, current_user, form.reason.data), refused=accounts.AccountError,
               success=_("%(name)s is suspended.", name=user.display_name),
               redirect_to=url_for("admin.member", user_id=user.id))


@bp.post("/members/<int:user_id>/reinstate")
@operator_required
def reinstate(user_id: int):
    user = _member_or_404(user_id)
    if EmptyForm().validate_on_submit():
        accounts.reinstate_user(user, current_user)
        db.session.commit()
        flash(_("%(name)s is reinstated.", name=user.display_name), "success")
    return redirect(url_for("admin.member", user_id=user.id))


@bp.post("/members/<int:user_id>/promote")
@operator_required
def promote(user_id: int):
    user = _member_or_404(user_id)
    if EmptyForm().validate_on_submit():
        accounts.make_operator(user, current_user)
        db.session.commit()
        flash(_("%(name)s is now an operator.", name=user.display_name), "success")
    return redirect(url_for("admin.member", user_id=user.id))


# ---------------------------------------------------------------- the mail outbox

@bp.route("/mail")
@operator_required
def mail():
    """Mails waiting to leave and mails that could not be delivered (with the server's answer)."""
    status = request.args.get("status", "failed")
    shown = outbox.MailStatus(status) if status in {s.value for s in outbox.MailStatus} else outbox.MailStatus.FAILED
    stmt = sa.select(outbox.OutboxMail).where(outbox.OutboxMail.status == shown).order_by(outbox.OutboxMail.id.desc())
    page = db.paginate(stmt, per_page=PER_PAGE, error_out=False)
    return render_template("admin/mail.html", page=page, counts=outbox.counts(), status=shown, form=EmptyForm())


@bp.post("/mail/retry")
@operator_required
def mail_retry():
    """Give every failed mail another chance (after fixing the mail server's settings)."""
    if EmptyForm().validate_on_submit():
        retried = outbox.retry_failed()
        record(current_user, "mail.retry", "mail", "failed", "", count=retried)
        db.session.commit()
        flash(_("%(n)d mails will be sent again.", n=retried), "success")
    return redirect(url_for("admin.mail"))
