"""Properties of the published ranking rule (hypothesis), and its tie-breaks in order."""
from datetime import datetime, timedelta, timezone
from fractions import Fraction

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from app.rounds.ranking import Tally, bayesian_score, rank, round_mean, wilson_lower_bound

T0 = datetime(2026, 11, 1, tzinfo=timezone.utc)


def tally_from(design_id, scores, buys=0, minutes=0):
    return Tally(design_id=design_id, submitted_at=T0 + timedelta(minutes=minutes), votes=len(scores),
                 score_sum=sum(scores), buy_count=buys, voters=len(scores))


score_lists = st.lists(st.integers(min_value=1, max_value=5), min_size=0, max_size=40)
rounds = st.lists(score_lists, min_size=1, max_size=12)


@given(rounds, st.integers(min_value=0, max_value=11), st.integers(min_value=1, max_value=30))
def test_adding_a_five_never_lowers_a_designs_score(all_scores, pick, weight):
    assume(any(all_scores))  # m is a mean of 1-5 scores once anybody has voted
    pick %= len(all_scores)
    tallies = [tally_from(i, s) for i, s in enumerate(all_scores)]
    m = round_mean(tallies)  # the pull target is the round's; one vote moves the design, not m
    before = bayesian_score(tallies[pick], m, weight)
    after = bayesian_score(tally_from(pick, all_scores[pick] + [5]), m, weight)
    assert after >= before


@given(rounds, st.integers(min_value=0, max_value=11), st.integers(min_value=1, max_value=30))
def test_adding_a_one_never_raises_a_designs_score(all_scores, pick, weight):
    assume(any(all_scores))  # m is a mean of 1-5 scores once anybody has voted
    pick %= len(all_scores)
    tallies = [tally_from(i, s) for i, s in enumerate(all_scores)]
    m = round_mean(tallies)
    before = bayesian_score(tallies[pick], m, weight)
    after = bayesian_score(tally_from(pick, all_scores[pick] + [1]), m, weight)
    assert after <= before


@given(rounds, st.randoms(use_true_random=False))
def test_order_does_not_depend_on_insertion_order(all_scores, random):
    tallies = [tally_from(i, s, buys=len(s) // 2, minutes=i) for i, s in enumerate(all_scores)]
    shuffled = list(tallies)
    random.shuffle(shuffled)
    assert [r.tally.design_id for r in rank(tallies)] == [r.tally.design_id for r in rank(shuffled)]


@given(st.lists(st.integers(min_value=1, max_value=5), min_size=1, max_size=50))
@settings(max_examples=50)
def test_full_round_of_one_design_keeps_its_mean(scores):
    [only] = rank([tally_from(1, scores)])
    assert only.score == Fraction(sum(scores), len(scores))


@given(st.integers(min_value=0, max_value=200), st.integers(min_value=1, max_value=200))
def test_wilson_bound_is_a_lower_bound_of_the_share(successes, trials):
    successes = min(successes, trials)
    assert 0 <= wilson_lower_bound(successes, trials) <= successes / trials


def test_bayesian_average_pulls_few_votes_toward_the_mean():
    # One 5-star vote does not beat forty votes averaging 4.5.
    lonely = tally_from(1, [5])
    popular = tally_from(2, [5, 4] * 20)
    filler = tally_from(3, [1, 2, 3] * 10)
    assert [r.tally.design_id for r in rank([lonely, popular, filler])][0] == 2


def test_tie_breaks_apply_in_the_stated_order():
    # A, B, C, D have the same scores: identical Bayesian averages.
    a = tally_from(1, [4, 4, 4, 4], buys=1, minutes=0)
    b = tally_from(2, [4, 4, 4, 4], buys=3, minutes=5)   # more "I'd buy it": first
    c = Tally(3, T0 + timedelta(minutes=1), votes=4, score_sum=16, buy_count=1, voters=4)
    d = Tally(4, T0 + timedelta(minutes=2), votes=4, score_sum=16, buy_count=1, voters=4)
    ranked = [r.tally.design_id for r in rank([d, c, b, a])]
    # b wins on Wilson; a, c, d tie on Wilson and voters; then earlier submission: a, c, d.
    assert ranked == [2, 1, 3, 4]


def test_voters_break_a_tie_before_submission_time():
    # Same Bayesian average and same Wilson bound, different number of voters is impossible with
    # one vote per voter unless counts differ, so build it from the aggregate directly.
    early = Tally(1, T0, votes=4, score_sum=16, buy_count=0, voters=3)
    late = Tally(2, T0 + timedelta(days=1), votes=4, score_sum=16, buy_count=0, voters=4)
    assert [r.tally.design_id for r in rank([early, late])] == [2, 1]


def test_exact_fractions_make_equal_scores_equal():
    # (10*m + 7)/(10 + 2) and (10*m + 17)/(10 + 4) are equal when m = 3 exactly; floats may disagree.
    tallies = [tally_from(1, [3, 4], buys=0, minutes=1), tally_from(2, [5, 4, 4, 4], buys=0, minutes=0)]
    m = Fraction(3)
    scores = {r.tally.design_id: r.score for r in rank(tallies, mean=m)}
    assert scores[1] == (30 + 7) / Fraction(12)
    assert scores[2] == (30 + 17) / Fraction(14)


def test_no_votes_at_all_ranks_by_submission():
    tallies = [tally_from(1, [], minutes=5), tally_from(2, [], minutes=1)]
    assert [r.tally.design_id for r in rank(tallies)] == [2, 1]
