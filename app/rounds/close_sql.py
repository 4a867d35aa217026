"""The results table in two statements on PostgreSQL: the tally into a temporary table, then the
published ranking and the INSERT, as `INSERT … SELECT` with window functions, so a million votes
never leave the database.

It applies exactly the rule of app/rounds/ranking.py, which stays the reference (SQLite uses it,
and the tests compare the two line by line on random rounds full of ties):
- m is the mean of every counted score of the round's approved designs (a window sum);
- the Bayesian average (C·m + S) / (C + n) is the fraction p / q with
  p = C·M + S·N and q = N·(C + n), where m = M / N: integers, so ranks compare it as an exact
  `numeric` with 40 decimals (two different fractions with denominators under 10^13 differ
  from the 26th decimal on; equal ones are equal), and the stored float is p / q in float8,
  the correctly rounded value, as Python's float(Fraction) is;
- the Wilson bound is the same float8 arithmetic, operation by operation, as the Python;
- then voters, the earlier submission, the design's id.
"""
from __future__ import annotations

from fractions import Fraction

import sqlalchemy as sa

from app.extensions import db
from app.rounds import ranking
from app.rounds.models import SIZES, Round

_BUYS = ", ".join(f"count(*) FILTER (WHERE buy_intent AND size = '{size}') AS buy_{size.lower()}" for size in SIZES)
_BY_SIZE = ", ".join(f"'{size}', NULLIF(buy_{size.lower()}, 0)" for size in SIZES)

# The tally first, into a temporary table: `CREATE TABLE … AS` may scan the votes with parallel
# workers, which an `INSERT … SELECT` may not (on two cores the aggregate takes half the time).
TALLY_SQL = f"""
CREATE TEMPORARY TABLE round_tally AS
    SELECT design_id, count(*) AS votes, sum(score) AS score_sum,
           count(*) FILTER (WHERE buy_intent) AS buy_count, {_BUYS}
    FROM votes WHERE round_id = :round_id AND voided_at IS NULL
    GROUP BY design_id
"""

RESULTS_SQL = f"""
WITH lines AS (
    SELECT d.id AS design_id, coalesce(d.submitted_at, d.created_at) AS submitted_at,
           coalesce(c.votes, 0) AS votes, coalesce(c.score_sum, 0) AS score_sum,
           coalesce(c.buy_count, 0) AS buy_count,
           json_strip_nulls(json_build_object({_BY_SIZE})) AS buy_by_size,
           k.disqualified_at, coalesce(k.disqualified_reason, '') AS disqualified_reason,
           k.design_id IS NOT NULL AS out
    FROM designs d
    LEFT JOIN round_tally c ON c.design_id = d.id
    LEFT JOIN kept k ON k.design_id = d.id
    WHERE d.round_id = :round_id AND d.status = 'approved'
), totals AS (
    SELECT *, sum(score_sum) OVER () AS m_num, sum(votes) OVER () AS m_den FROM lines
), fractions AS (
    SELECT *,
           CASE WHEN m_den = 0 THEN score_sum::numeric ELSE :weight * m_num + score_sum * m_den END AS p,
           CASE WHEN m_den = 0 THEN (:weight + votes)::numeric ELSE m_den * (:weight + votes) END AS q,
           CASE WHEN votes = 0 OR buy_count = 0 THEN 0.0::float8 ELSE greatest(0.0::float8, (
               (buy_count::float8 / votes + :z2 / (2 * votes::float8))
               - :z * sqrt((buy_count::float8 / votes) * (1 - buy_count::float8 / votes) / votes
                           + :z2 / (4 * votes::float8 * votes::float8))
           ) / (1 + :z2 / votes::float8)) END AS wilson
    FROM totals
)
INSERT INTO round_results (round_id, design_id, rank, score, mean, votes, score_sum, buy_count, voters,
                           wilson, buy_by_size, disqualified_at, disqualified_reason, is_winner)
SELECT :round_id, design_id,
       CASE WHEN out THEN NULL ELSE row_number() OVER (
           PARTITION BY out
           ORDER BY CASE WHEN q = 0 THEN 0 ELSE p::numeric(80, 40) / q END DESC,
                    wilson DESC, votes DESC, submitted_at, design_id) END,
       CASE WHEN q = 0 THEN 0.0 ELSE p::float8 / q::float8 END,
       CASE WHEN votes = 0 THEN NULL ELSE score_sum::float8 / votes END,
       votes, score_sum, buy_count, votes, wilson, buy_by_size, disqualified_at, disqualified_reason, false
FROM fractions
"""
# `voters` is the vote count: one vote per member per design (uq_votes_design_voter).
# With nobody voting, m is 0 and the score is S / (C + n) as in ranking.bayesian_score.


def compute_results_in_sql(round_: Round, kept: list[tuple]) -> Fraction:
    """Write `round_`'s results (its earlier lines already deleted); `kept` holds the
    disqualifications to carry over as (design_id, disqualified_at, reason). Returns m."""
    kept_values = "SELECT * FROM (VALUES (NULL::integer, NULL::timestamp, NULL::varchar)) AS v(design_id, disqualified_at, disqualified_reason) WHERE false"
    params = {"round_id": round_.id, "weight": int(round_.prior_weight), "z": ranking.Z_95, "z2": ranking.Z_95 * ranking.Z_95}
    if kept:
        rows = []
        for i, (design_id, at, reason) in enumerate(kept):
            rows.append(f"(CAST(:kd{i} AS integer), CAST(:ka{i} AS timestamp), CAST(:kr{i} AS varchar))")
            params.update({f"kd{i}": design_id, f"ka{i}": _naive_utc(at), f"kr{i}": reason})
        kept_values = f"SELECT * FROM (VALUES {', '.join(rows)}) AS v(design_id, disqualified_at, disqualified_reason)"
    db.session.execute(sa.text(TALLY_SQL), {"round_id": round_.id})
    db.session.execute(sa.text(RESULTS_SQL.replace("WITH lines AS", f"WITH kept AS ({kept_values}), lines AS", 1)),
                       params)
    db.session.execute(sa.text("DROP TABLE round_tally"))
    score_sum, votes = db.session.execute(sa.text(
        "SELECT coalesce(sum(score_sum), 0), coalesce(sum(votes), 0) FROM round_results WHERE round_id = :r"),
        {"r": round_.id}).one()
    return Fraction(int(score_sum), int(votes)) if votes else Fraction(0)


def _naive_utc(value):
    from app.db_types import UTCDateTime

    return UTCDateTime().process_bind_param(value, None)
