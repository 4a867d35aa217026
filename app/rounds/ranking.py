"""The published ranking rule, exactly as the "How winners are chosen" page states it.

1. Bayesian average  (C·m + Σscores) / (C + n): each design's mean pulled toward the round's
   mean m until it has enough votes (C, default 10, is the weight of that pull).
2. Ties: the lower bound of the 95% Wilson interval of the design's "I'd buy it" share.
3. Then: the number of distinct voters.
4. Then: the earlier submission.

Scores are compared as exact fractions, so equal scores are really equal: the tie-breaks apply
when the formula says they should, not when floating-point rounding happens to agree.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

Z_95 = 1.959963984540054  # two-sided 95% normal quantile


@dataclass(frozen=True)
class Tally:
    """One design's votes in a round, aggregated."""

    design_id: int
    submitted_at: datetime
    votes: int = 0
    score_sum: int = 0
    buy_count: int = 0
    voters: int = 0


@dataclass(frozen=True)
class Ranked:
    rank: int
    tally: Tally
    score: Fraction  # the Bayesian average, exact
    wilson: float

    @property
    def mean(self) -> float | None:
        return self.tally.score_sum / self.tally.votes if self.tally.votes else None


def round_mean(tallies: list[Tally]) -> Fraction:
    """m: the mean of every counted score in the round (0 when nobody voted)."""
    votes = sum(t.votes for t in tallies)
    return Fraction(sum(t.score_sum for t in tallies), votes) if votes else Fraction(0)


def bayesian_score(tally: Tally, m: Fraction, weight: Fraction | int) -> Fraction:
    weight, m = Fraction(weight), Fraction(m)
    if weight + tally.votes == 0:
        return Fraction(0)
    # (C·m + S) / (C + n) over a common denominator: one Fraction built, not four.
    c, d = weight.numerator, weight.denominator
    return Fraction(c * m.numerator + tally.score_sum * d * m.denominator,
                    m.denominator * (c + tally.votes * d))


def wilson_lower_bound(successes: int, trials: int, z: float = Z_95) -> float:
    if trials == 0 or successes == 0:
        return 0.0  # the formula gives exactly 0 here; floating point would leave 1e-17
    p = successes / trials
    z2 = z * z
    centre = p + z2 / (2 * trials)
    margin = z * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials))
    return max(0.0, (centre - margin) / (1 + z2 / trials))


def rank(tallies: list[Tally], weight: Fraction | int = 10, mean: Fraction | None = None) -> list[Ranked]:
    """Order the designs by the published rule; `mean` defaults to the mean over `tallies`."""
    m = round_mean(tallies) if mean is None else mean
    scored = [
        (bayesian_score(t, m, weight), wilson_lower_bound(t.buy_count, t.votes), t) for t in tallies
    ]

    def exact(row):
        return (-row[0], -row[1], -row[2].voters, row[2].submitted_at, row[2].design_id)

    # Sorting on exact fractions is slow with thousands of designs. Rounding to a float is monotonic,
    # so a smaller float means a smaller score; only designs whose floats are equal (equal scores, or
    # ones closer than a float can tell) need the exact comparison, so they are re-sorted exactly.
    scored.sort(key=lambda row: (-float(row[0]), -row[1], -row[2].voters, row[2].submitted_at, row[2].design_id))
    start = 0
    for end in range(1, len(scored) + 1):
        if end == len(scored) or float(scored[end][0]) != float(scored[start][0]):
            if end - start > 1:
                scored[start:end] = sorted(scored[start:end], key=exact)
            start = end
    return [Ranked(rank=i, tally=t, score=score, wilson=wilson) for i, (score, wilson, t) in enumerate(scored, 1)]
