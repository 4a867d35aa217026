"""Account pages. Views read the form, call a service, flash and redirect."""
from __future__ import annotations

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from app.accounts import bp
from app.accounts import services as accounts
from app.accounts import deletion, throttle
from app.accounts.export import export_json
from app.accounts.forms import (
    ChangeEmailForm,
    ChangePasswordForm,
    DeleteAccountForm,
    EmptyForm,
    LoginForm,
    ProfileForm,
    RegisterForm,
    ResetPasswordForm,
    ResetRequestForm,
)
from app.actions import attempt
from app.audit.services import record
from app.clock import utcnow
from app.extensions import db, limiter
from app.imaging import ImageRejected, square_avatar
from app.permissions import login_required
from app.security import is_safe_next
from app.storage import get_storage


def _log_in(user, **options) -> None:
    """Log the member in, and commit what the log-in signal's receivers wrote (a guest's cart
    joining the member's, app/shop/__init__.py)."""
    login_user(user, **options)
    db.session.commit()


def _submitted_email() -> str:
    return accounts.normalise_email(request.form.get("email", ""))


def _next_url(default: str = "main.home") -> str:
    target = request.args.get("next") or request.form.get("next")
    return target if is_safe_next(target) else url_for(default)


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["REGISTER_RATE_LIMIT"], methods=["POST"], scope="register-ip")
@limiter.limit(
    lambda: current_app.config["ACCOUNT_LOGIN_RATE_LIMIT"], methods=["POST"],
    key_func=_submitted_email, scope="register-account",
)
def register():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = RegisterForm()
    if form.validate_on_submit():
        accounts.register_user(form.email.data, form.display_name.data, form.password.data, locale=str(get_locale()),
                               accepted_terms=form.accept_terms.data)
        db.session.commit()
        return redirect(url_for("accounts.check_inbox", email=accounts.normalise_email(form.email.data)))
    status = 200 if request.method == "GET" else 422
    return render_template("accounts/register.html", form=form), status


@bp.route("/register/check-your-inbox")
def check_inbox():
    return render_template("accounts/check_inbox.html", email=request.args.get("email", "")[:254])


@bp.route("/verify")
@login_required
def verify_pending():
    if current_user.is_verified:
        return redirect(url_for("main.home"))
    return render_template("accounts/verify_pending.html", form=EmptyForm())


@bp.post("/verify/resend")
@login_required
@limiter.limit("3 per hour", key_func=lambda: f"user:{current_user.get_id()}")
def resend_verification():
    if EmptyForm().validate_on_submit() and not current_user.is_verified:
        accounts.send_verification_email(current_user)
        db.session.commit()  # the mail leaves with the commit
        flash(_("A new confirmation link is on its way."), "success")
    return redirect(url_for("accounts.verify_pending"))


@bp.route("/verify/<token>")
def verify_email(token: str):
    try:
        user = accounts.verify_email(token)
    except accounts.AccountError as exc:
        return render_template("accounts/link_problem.html", message=str(exc)), 400
    db.session.commit()
    if current_user.is_authenticated and current_user.id != user.id:
        # Someone else's session on this browser: leave it alone, and say whose address it was.
        flash(_("The address %(email)s is confirmed. Log out, then log in as %(name)s to use that account.",
                email=user.email, name=user.display_name), "success")
        return redirect(url_for("main.home"))
    if not current_user.is_authenticated:
        if user.is_suspended:
            flash(_("This account is suspended. Write to the operators if you think this is a mistake."), "error")
            return redirect(url_for("accounts.login"))
        _log_in(user)  # the link proves the mailbox: asking for the password again adds nothing
    flash(_("Your email address is confirmed. Welcome aboard, %(name)s!", name=user.display_name), "success")
    return redirect(url_for("main.home"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"], scope="login-ip")
def login():
    if current_user.is_authenticated:
        return redirect(_next_url())
    form = LoginForm()
    if form.validate_on_submit():
        # Failures count per account and address, under a per-account ceiling (see throttle).
        email, address = accounts.normalise_email(form.email.data), request.remote_addr or ""
        if not throttle.login_allowed(email, address):
            abort(429)
        user = accounts.authenticate(email, form.password.data)
        if user is None:
            throttle.record_failed_login(email, address)
            db.session.commit()  # a failed log-in writes nothing else: this commit sends the owner's mail
            # One message for an unknown email and a wrong password: no user enumeration.
            flash(_("Email or password is not correct."), "error")
        elif user.is_suspended:
            flash(_("This account is suspended. Write to the operators if you think this is a mistake."), "error")
        else:
            first = accounts.is_first_login(user)
            db.session.commit()  # a password rehash may have happened
            _log_in(user, remember=form.remember.data)
            if first:
                flash(_("Welcome, %(name)s.", name=user.display_name), "success")
            else:
                flash(_("Welcome back, %(name)s.", name=user.display_name), "success")
            return redirect(_next_url())
        return render_template("accounts/login.html", form=form), 401
    status = 200 if request.method == "GET" else 422
    return render_template("accounts/login.html", form=form), status


@bp.post("/logout")
def logout():
    if EmptyForm().validate_on_submit():
        logout_user()
        flash(_("You are logged out. See you soon!"), "success")
    return redirect(url_for("main.home"))


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit("5 per 15 minutes", methods=["POST"], scope="reset-ip")
def reset_request():
    form = ResetRequestForm()
    if form.validate_on_submit():
        accounts.request_password_reset(form.email.data)
        db.session.commit()  # the mail (if any) leaves with the commit
        # The same answer whether or not the account exists.
        flash(_("If an account uses this address, a reset link is on its way. It works for one hour."), "info")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/reset_request.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    try:
        user = accounts.user_for_reset_token(token)
    except accounts.AccountError as exc:
        return render_template("accounts/link_problem.html", message=str(exc)), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        accounts.set_password(user, form.password.data)
        accounts.verify_email_by_reset(user)
        db.session.commit()
        logout_user()
        flash(_("Your password is changed. Log in with the new one."), "success")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/reset_password.html", form=form)


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings():
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        avatar = request.files.get(form.avatar.name)
        if avatar and avatar.filename:
            try:
                data = square_avatar(avatar.read())
            except ImageRejected as exc:
                form.avatar.errors.append(str(exc))
                return render_template("accounts/settings.html", form=form), 422
            current_user.avatar_key = get_storage().put("public", data, "webp")
        current_user.display_name = form.display_name.data.strip()
        current_user.bio = (form.bio.data or "").strip()
        current_user.website = (form.website.data or "").strip()
        db.session.commit()
        flash(_("Your profile is saved."), "success")
        return redirect(url_for("accounts.settings"))
    status = 200 if request.method == "GET" else 422
    return render_template("accounts/settings.html", form=form), status


@bp.route("/settings/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(current_user, form.current.data, form.password.data)
        except accounts.AccountError as exc:
            form.current.errors.append(str(exc))
        else:
            db.session.commit()
            _log_in(current_user._get_current_object())  # keep this session, end the others
            flash(_("Your password is changed. Other devices are logged out."), "success")
            return redirect(url_for("accounts.settings"))
    status = 200 if request.method == "GET" else 422
    return render_template("accounts/change_password.html", form=form), status


@bp.route("/settings/email", methods=["GET", "POST"])
@login_required
def change_email():
    form = ChangeEmailForm()
    if form.validate_on_submit():
        try:
            accounts.request_email_change(current_user, form.email.data, form.password.data)
        except accounts.AccountError as exc:
            form.email.errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("Check your new mailbox: the change takes effect when you follow the link."), "info")
            return redirect(url_for("accounts.settings"))
    status = 200 if request.method == "GET" else 422
    return render_template("accounts/change_email.html", form=form), status


@bp.route("/email/confirm/<token>")
def confirm_email_change(token: str):
    try:
        user = accounts.confirm_email_change(token)
    except accounts.AccountError as exc:
        return render_template("accounts/link_problem.html", message=str(exc)), 400
    db.session.commit()
    if current_user.is_authenticated and current_user.id == user.id:
        _log_in(user)
    flash(_("Your email address is now %(email)s.", email=user.email), "success")
    return redirect(url_for("accounts.settings" if current_user.is_authenticated else "accounts.login"))


# ---------------------------------------------------------------- members' rights

@bp.route("/settings/data")
@login_required
def your_data():
    return render_template("accounts/your_data.html", form=EmptyForm())


@bp.post("/settings/data/export")
@login_required
@limiter.limit(lambda: current_app.config["DATA_EXPORT_RATE_LIMIT"], key_func=lambda: f"user:{current_user.id}",
               scope="data-export")
def export_data():
    if not EmptyForm().validate_on_submit():
        abort(400)
    body = export_json(current_user)
    record(current_user, "member.export", "user", current_user.id)
    db.session.commit()
    filename = f"tirage-data-{current_user.id}-{utcnow():%Y%m%d}.json"
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})


@bp.route("/settings/delete", methods=["GET", "POST"])
@login_required
def delete_account():
    form = DeleteAccountForm()
    what = deletion.plan(current_user)
    if form.validate_on_submit():
        deleted, _outcome = attempt(
            lambda: deletion.delete_account(current_user, form.password.data,
                                            give_up_balance=form.give_up_balance.data),
            refused=accounts.AccountError, field={deletion.WrongPassword: form.password, accounts.AccountError: form})
        if deleted:
            logout_user()
            flash(_("Your account is deleted. Thank you for having been part of Tirage."), "success")
            return redirect(url_for("main.home"))
    status = 200 if request.method == "GET" else 422
    return render_template("accounts/delete_account.html", form=form, plan=what,
                           retention_years=current_app.config["INVOICE_RETENTION_YEARS"]), status
