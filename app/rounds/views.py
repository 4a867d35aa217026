"""Round pages: the voting queue, votes, round pages and results, and the operators' screens."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Response, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy.orm import joinedload, lazyload

from app.accounts import services as accounts
from app.actions import act
from app.designs.models import Design, DesignStatus
from app.extensions import db, limiter
from app.lists import Sorts, sorted_by
from app.permissions import login_required, operator_required
from app.rounds import bp, calendar, export, fast_vote, fraud, lifecycle, queue, tally, voting
from app.rounds.errors import RoundError
from app.rounds.forms import NewRoundForm, ReasonForm, RoundSettingsForm, VoidVotesForm, VoteForm
from app.rounds.models import Round, RoundStatus, Vote


def get_round_or_404(year: int, month: int) -> Round:
    found = calendar.get_round(year, month)
    if found is None:
        abort(404)
    return found


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


# ---------------------------------------------------------------- voting

@bp.route("/vote")
def vote():
    current = calendar.open_round_now()
    if current is None:
        return render_template("rounds/no_round.html"), 200
    if not current_user.is_authenticated:
        return render_template("rounds/vote_intro.html", round=current)
    order = queue.queue_order(current_user, current)
    if not order:
        return render_template("rounds/vote_intro.html", round=current, empty=True)
    return redirect(url_for("rounds.vote_design", design_id=order[0]))


@bp.route("/vote/<int:design_id>", methods=["GET", "POST"])
@login_required
@limiter.limit(lambda: current_app.config["VOTE_RATE_LIMIT"], methods=["POST"],
               key_func=lambda: f"vote:{current_user.get_id()}",
               exempt_when=lambda: fast_vote.vote_limit_counted(request.environ))  # counted before Flask
def vote_design(design_id: int):
    if request.method == "POST":
        return _vote_posted(design_id)
    design = _design_in_round_or_404(design_id)
    round_ = design.round
    form = VoteForm()
    votes = voting.my_vote_rows(current_user, round_)  # one read: those voted on, and this design's
    mine = votes.get(design.id)
    order, voted = (queue.voter_order(current_user.id, round_.id), votes.keys()) if round_.is_open else ([], set())
    position = order.index(design.id) if design.id in order else None
    following = _neighbour(order, position, +1)
    if mine is not None:
        form.score.data, form.buy.data, form.size.data = str(mine.score), mine.buy_intent, mine.size or ""
    template = "rounds/_vote_card.html" if request.headers.get("X-Partial") else "rounds/vote.html"
    return render_template(
        template, design=design, round=round_, form=form, mine=mine,
        refusal=voting.voting_refusal(current_user, design), position=position, total=len(order),
        previous=_neighbour(order, position, -1), following=following,
        voted_count=len(voted),
    )


def _design_in_round_or_404(design_id: int) -> Design:
    # The tags load only if the page shows them (a vote needs none).
    design = db.session.get(Design, design_id, options=[lazyload(Design.tags), joinedload(Design.round)])
    if design is None or not design.is_approved or design.round is None:
        abort(404)
    return design


_TITLE = sa.select(Design.title).where(Design.id == sa.bindparam("design_id"))


def _vote_posted(design_id: int):
    """A vote: one statement checks and writes (voting.submit_vote), then the queue moves on to the
    next design after this one not voted yet (none left: done). Answered in JSON to the page's
    script, as a redirect with a message to the form without it."""
    form = VoteForm()
    if not form.validate_on_submit():
        _design_in_round_or_404(design_id)
        return _vote_refused(design_id, " ".join(str(e) for errors in form.errors.values() for e in errors))
    voter_id = current_user.id  # read now: the commit expires the member
    score = int(form.score.data)
    try:
        round_id = voting.submit_vote(current_user, design_id, score, form.buy.data, form.size.data or None)
    except LookupError:
        db.session.rollback()
        abort(404)
    except RoundError as exc:
        db.session.rollback()
        return _vote_refused(design_id, str(exc))
    following = queue.next_after(voter_id, round_id, design_id)  # this vote among those read
    as_json = _wants_json()
    # Worded before the commit, which expires the member the language is read from.
    message = _("Vote saved.") if as_json else _("Vote saved: %(score)s/5 for “%(title)s”.", score=score,
                                                 title=db.session.scalar(_TITLE, {"design_id": design_id}))
    db.session.commit()
    next_url = url_for("rounds.vote_design", design_id=following) if following else url_for("rounds.vote_done")
    if as_json:
        return jsonify(ok=True, message=message, next=next_url)
    flash(message, "success")
    return redirect(next_url)


def _vote_refused(design_id: int, error: str):
    if _wants_json():
        return jsonify(ok=False, error=error), 422
    flash(error, "error")
    return redirect(url_for("rounds.vote_design", design_id=design_id)), 303


def _neighbour(order: list[int], position: int | None, step: int) -> int | None:
    if position is None:
        return None
    index = position + step
    return order[index] if 0 <= index < len(order) else None


@bp.route("/vote/done")
@login_required
def vote_done():
    current = calendar.open_round_now()
    return render_template("rounds/vote_done.html", round=current,
                           voted_count=len(queue.voted_on(current_user.id, current.id)) if current else 0)


# ---------------------------------------------------------------- rounds and results

@bp.route("/rounds")
def index():
    all_rounds = db.session.scalars(sa.select(Round).order_by(Round.year.desc(), Round.month.desc())).all()
    return render_template("rounds/index.html", rounds=all_rounds)


@bp.route("/rounds/<int:year>/<int:month>")
def results_page(year: int, month: int):
    round_ = get_round_or_404(year, month)
    lines = tally.results(round_) if round_.results_visible else []
    designs_in_round = []
    if not round_.results_visible:
        designs_in_round = db.session.scalars(
            sa.select(Design).where(Design.round_id == round_.id, Design.status == DesignStatus.APPROVED)
            .order_by(Design.approved_at.desc(), Design.id.desc())
        ).all()
    mine = voting.my_votes(current_user, round_) if current_user.is_authenticated else {}
    total_votes = sum(line.votes for line in lines)
    return render_template("rounds/round.html", round=round_, lines=lines, designs=designs_in_round, mine=mine,
                           total_votes=total_votes, mean=tally.stored_mean(round_))


@bp.route("/rounds/<int:year>/<int:month>/votes.csv")
def votes_csv(year: int, month: int):
    round_ = get_round_or_404(year, month)
    if not round_.results_visible:
        abort(404)
    return Response(export.export_votes_csv(round_), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="tirage-votes-{round_.key}.csv"'})


@bp.route("/how-winners-are-chosen")
def how_winners_are_chosen():
    return render_template("rounds/how_winners.html", weight=current_app.config["RANKING_WEIGHT"])


# ---------------------------------------------------------------- operators

@bp.route("/console/rounds", methods=["GET", "POST"])
@operator_required
def admin_rounds():
    form = NewRoundForm()
    if form.validate_on_submit():
        round_ = calendar.ensure_round(form.year.data, int(form.month.data))
        db.session.commit()
        return redirect(url_for("rounds.admin_round", round_id=round_.id))
    status = request.args.get("status", "")
    stmt = sa.select(Round)
    if status in {s.value for s in RoundStatus}:
        stmt = stmt.where(Round.status == RoundStatus(status))
    stmt, sort = sorted_by(stmt, request.args.get("sort", ""), ROUND_ORDERS)
    page = db.paginate(stmt, per_page=24, error_out=False)
    counts = dict(db.session.execute(
        sa.select(Design.round_id, sa.func.count()).where(Design.status == DesignStatus.APPROVED,
                                                          Design.round_id.in_([r.id for r in page.items]))
        .group_by(Design.round_id)
    ).all())
    return render_template("rounds/admin_rounds.html", page=page, form=form, counts=counts, status=status, sort=sort,
                           sorts=ROUND_ORDERS)


ROUND_ORDERS = Sorts(
    "newest",
    newest=(_l("Newest first"), (Round.year.desc(), Round.month.desc())),
    oldest=(_l("Oldest first"), (Round.year.asc(), Round.month.asc())),
)


def _admin_round(round_id: int) -> Round:
    found = db.session.get(Round, round_id)
    if found is None:
        abort(404)
    return found


@bp.route("/console/rounds/<int:round_id>", methods=["GET", "POST"])
@operator_required
def admin_round(round_id: int):
    round_ = _admin_round(round_id)
    settings = RoundSettingsForm(obj=round_)
    if settings.validate_on_submit():
        if not round_.settings_editable:
            flash(_("A closed round's settings cannot change."), "error")
        else:
            settings.populate_obj(round_)
            from app.audit.services import record
            record(current_user, "round.edit", "round", round_.id, "",
                   **{f.name: f.data for f in settings if f.name != "csrf_token"})
            db.session.commit()
            flash(_("The round's settings are saved."), "success")
        return redirect(url_for("rounds.admin_round", round_id=round_.id))
    signals = fraud.fraud_signals(round_) if round_.votes_reviewable else None
    stats = db.session.execute(
        sa.select(sa.func.count(), sa.func.count(sa.distinct(Vote.voter_id)))
        .where(Vote.round_id == round_.id, Vote.voided_at.is_(None))
    ).one()
    return render_template(
        "rounds/admin_round.html", round=round_, settings=settings, lines=tally.results(round_),
        signals=signals, reason_form=ReasonForm(), void_form=VoidVotesForm(), votes=stats[0], voters=stats[1],
        designs_count=db.session.scalar(sa.select(sa.func.count()).select_from(Design).where(
            Design.round_id == round_.id, Design.status == DesignStatus.APPROVED)),
    )


def _act(round_: Round, action, success: str, already: str | None = None):
    """An operator's action on the round; one that finds nothing to do (a double click, another
    operator first) says `already`: a repeat is a no-op, never an error."""
    return act(action, refused=RoundError, success=success, already=already,
               redirect_to=url_for("rounds.admin_round", round_id=round_.id))


@bp.post("/console/rounds/<int:round_id>/open")
@operator_required
def admin_open(round_id: int):
    round_ = _admin_round(round_id)
    return _act(round_, lambda: lifecycle.open_round(round_, current_user), _("The round is open."),
                _("The round is already open."))


@bp.post("/console/rounds/<int:round_id>/close")
@operator_required
def admin_close(round_id: int):
    round_ = _admin_round(round_id)

    def close():
        if lifecycle.close_round(round_.id, current_user, "closed by an operator"):
            return True
        db.session.refresh(round_)
        if round_.is_scheduled:
            raise RoundError(_("This round is not open."))
        return False  # closed already, by the tick or another click

    return _act(round_, close, _("The round is closed and its results computed."), _("The round is already closed."))


@bp.post("/console/rounds/<int:round_id>/disqualify/<int:design_id>")
@operator_required
def admin_disqualify(round_id: int, design_id: int):
    round_ = _admin_round(round_id)
    form = ReasonForm()
    reason = form.reason.data if form.validate_on_submit() else ""
    return _act(round_, lambda: lifecycle.disqualify(round_, design_id, current_user, reason),
                _("The design is disqualified; the ranking is updated."), _("This design is already disqualified."))


@bp.post("/console/rounds/<int:round_id>/void")
@operator_required
def admin_void(round_id: int):
    round_ = _admin_round(round_id)
    form = VoidVotesForm()

    def void():
        if not form.validate_on_submit():
            raise RoundError(_("Give the member's email and a reason."))
        member = accounts.find_user_by_email(form.member.data)
        if member is None:
            raise RoundError(_("No member has this email."))
        count = fraud.void_votes(round_, member, current_user, form.reason.data)
        flash(ngettext("%(num)d vote voided.", "%(num)d votes voided.", count), "info")

    return _act(round_, void, _("The results are updated."))


@bp.post("/console/rounds/<int:round_id>/confirm")
@operator_required
def admin_confirm(round_id: int):
    round_ = _admin_round(round_id)
    return _act(round_, lambda: lifecycle.confirm_winners(round_, current_user), _("The winners are confirmed."),
                _("The winners are already confirmed."))


@bp.post("/console/rounds/<int:round_id>/publish")
@operator_required
def admin_publish(round_id: int):
    round_ = _admin_round(round_id)
    return _act(round_, lambda: lifecycle.publish(round_, current_user), _("The results are published."),
                _("The results are already published."))


@bp.post("/console/rounds/<int:round_id>/void-signal")
@operator_required
def admin_void_signal(round_id: int):
    """One click on a fraud signal voids exactly the votes it names (see fraud.void_signal)."""
    round_ = _admin_round(round_id)
    form = ReasonForm()

    def void():
        if not form.validate_on_submit():
            raise RoundError(_("Give a reason: it is kept in the audit log."))
        count = fraud.void_signal(round_, request.form.get("kind", ""), request.form.get("key", ""),
                                   current_user, form.reason.data)
        flash(ngettext("%(num)d vote voided.", "%(num)d votes voided.", count), "info")

    return _act(round_, void, _("The results are updated."))
