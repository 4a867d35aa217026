"""The round's votes exported (anonymised) and the published rule applied to that file, so
anyone can recompute the results.
"""
from __future__ import annotations

import csv
import hashlib
import hmac
import io
from collections import defaultdict
from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from app.designs.models import Design, DesignStatus
from app.extensions import db
from app.rounds import ranking
from app.rounds.models import Round, Vote
from app.rounds.tally import results


CSV_FIELDS = ("design", "design_submitted_at", "disqualified", "voter", "score", "buy_intent", "size")


def pseudonym(round_: Round, voter_id: int) -> str:
    """A voter's name in the export: stable within a round, unlinkable across rounds."""
    key = current_app.config["SECRET_KEY"].encode()
    return "v-" + hmac.new(key, f"{round_.id}:{voter_id}".encode(), hashlib.sha256).hexdigest()[:12]


def export_votes_csv(round_: Round) -> str:
    """Every counted vote, anonymised; a design without votes has one row with no voter."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    disqualified = {r.design_id for r in results(round_) if r.disqualified_at is not None}
    designs = db.session.execute(
        sa.select(Design.id, sa.func.coalesce(Design.submitted_at, Design.created_at))
        .where(Design.round_id == round_.id, Design.status == DesignStatus.APPROVED).order_by(Design.id)
    ).all()
    votes = defaultdict(list)
    for vote in db.session.scalars(sa.select(Vote).where(Vote.round_id == round_.id, Vote.voided_at.is_(None))
                                   .order_by(Vote.design_id, Vote.id)):
        votes[vote.design_id].append(vote)
    for design_id, submitted_at in designs:
        common = [design_id, submitted_at.isoformat(), "yes" if design_id in disqualified else "no"]
        if not votes[design_id]:
            writer.writerow(common + ["", "", "", ""])
        for vote in votes[design_id]:
            writer.writerow(common + [pseudonym(round_, vote.voter_id), vote.score,
                                      "yes" if vote.buy_intent else "no", vote.size or ""])
    return out.getvalue()


def rank_from_csv(text: str, weight: int) -> list[ranking.Ranked]:
    """The published rule applied to an exported file, with no access to the database."""
    tallies: dict[int, dict] = {}
    disqualified = set()
    for row in csv.DictReader(io.StringIO(text)):
        design_id = int(row["design"])
        entry = tallies.setdefault(design_id, {"submitted_at": datetime.fromisoformat(row["design_submitted_at"]),
                                               "votes": 0, "sum": 0, "buy": 0, "voters": set()})
        if row["disqualified"] == "yes":
            disqualified.add(design_id)
        if row["voter"]:
            entry["votes"] += 1
            entry["sum"] += int(row["score"])
            entry["buy"] += row["buy_intent"] == "yes"
            entry["voters"].add(row["voter"])
    all_tallies = [
        ranking.Tally(design_id=d, submitted_at=e["submitted_at"], votes=e["votes"], score_sum=e["sum"],
                      buy_count=e["buy"], voters=len(e["voters"]))
        for d, e in tallies.items()
    ]
    m = ranking.round_mean(all_tallies)
    return ranking.rank([t for t in all_tallies if t.design_id not in disqualified], weight, mean=m)
