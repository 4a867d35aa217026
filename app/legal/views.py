"""The legal pages, the acceptance asked when a text changes, and the console's editor."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.extensions import db
from app.legal import bp
from app.legal import services as legal
from app.legal.forms import AcceptForm, LegalEditForm
from app.legal.models import DocumentKind
from app.permissions import login_required, operator_required
from app.security import is_safe_next
from app.templating import current_locale

KIND = "<any(terms, privacy, notice):kind>"

# What a member who has not accepted the new texts may still do: read (any GET), accept them,
# log out, and use their rights (download their data, delete their account) without accepting.
ALWAYS_ALLOWED = {"accounts.logout", "accounts.export_data", "accounts.delete_account", "static"}


@bp.before_app_request
def ask_for_acceptance():
    if request.method in ("GET", "HEAD", "OPTIONS") or request.blueprint == "legal":
        return None
    if request.endpoint in ALWAYS_ALLOWED or not current_user.is_authenticated:
        return None
    if not legal.pending_acceptance(current_user):
        return None
    back = urlsplit(request.referrer or "")
    path = f"{back.path}?{back.query}" if back.query else back.path
    target = url_for("legal.accept", next=path if back.netloc == request.host and is_safe_next(path) else None)
    message = _("Our terms have changed: read and accept them to continue.")
    if request.accept_mimetypes.best == "application/json":
        return jsonify(ok=False, error=message, next=target), 409
    flash(message, "info")
    return redirect(target, code=303)


@bp.app_context_processor
def legal_helpers():
    return {"legal_pending": lambda: legal.pending_acceptance(current_user), "legal_title": legal.title}


@bp.route(f"/legal/{KIND}")
def document(kind: str):
    kind_ = DocumentKind(kind)
    return _document_page(kind_, legal.current(kind_), current=True)


@bp.route(f"/legal/{KIND}/v<int:number>")
def document_version(kind: str, number: int):
    kind_ = DocumentKind(kind)
    found = legal.version(kind_, number)
    if found is None:
        abort(404)
    return _document_page(kind_, found, current=found.version == legal.current(kind_).version)


def _document_page(kind: DocumentKind, shown, current: bool):
    return render_template("legal/document.html", kind=kind, shown=shown, is_current=current,
                           body=legal.render(shown, current_locale(), heading_offset=0),
                           versions=legal.history(kind))


@bp.route("/legal/accept", methods=["GET", "POST"])
@login_required
def accept():
    target = request.args.get("next") or request.form.get("next")
    target = target if is_safe_next(target) else url_for("main.home")
    pending = legal.pending_acceptance(current_user)
    if not pending:
        return redirect(target)
    form = AcceptForm()
    if form.validate_on_submit():
        legal.accept(current_user)
        db.session.commit()
        flash(_("Thank you: you accepted the new texts."), "success")
        return redirect(target)
    status = 200 if request.method == "GET" else 422
    versions = {kind: legal.current(kind) for kind in pending}
    return render_template("legal/accept.html", form=form, versions=versions, next=target), status


# ---------------------------------------------------------------- console

@bp.route("/console/legal")
@operator_required
def admin_index():
    return render_template("legal/admin_index.html",
                           documents=[(kind, legal.current(kind), legal.history(kind)) for kind in DocumentKind])


@bp.route(f"/console/legal/{KIND}", methods=["GET", "POST"])
@operator_required
def admin_edit(kind: str):
    kind_ = DocumentKind(kind)
    in_force = legal.current(kind_)
    form = LegalEditForm(data=None if request.method == "POST" else {
        "body_en": in_force.body_en, "body_fr": in_force.body_fr, "requires_acceptance": kind_.needs_acceptance})
    previews = None
    if form.validate_on_submit():
        if form.publish.data:
            try:
                published = legal.publish(kind_, current_user, form.body_en.data, form.body_fr.data,
                                          form.summary_en.data or "", form.summary_fr.data or "",
                                          form.requires_acceptance.data)
            except legal.LegalError as exc:
                form.form_errors.append(str(exc))
            else:
                db.session.commit()
                legal.forget_required_versions()
                flash(_("%(title)s: version %(n)d is published.", n=published.version, title=legal.title(kind_)),
                      "success")
                return redirect(url_for("legal.admin_edit", kind=kind))
        previews = {"en": legal.render_document(legal.fill(form.body_en.data), heading_offset=1),
                    "fr": legal.render_document(legal.fill(form.body_fr.data), heading_offset=1)}
    status = 422 if request.method == "POST" and (form.errors or form.form_errors) else 200
    return render_template("legal/admin_edit.html", kind=kind_, form=form, in_force=in_force, previews=previews,
                           placeholders=legal.PLACEHOLDERS), status
