"""Multi-label draws (wsample_sk._multilabel): rarity weights and class-aware sampling.

The draws are checked against probabilities written out by hand, with
chi-square goodness-of-fit tests that are shown to have power: at the same
number of draws, the same test rejects a plausible wrong formula.
"""

import time
import tracemalloc
from fractions import Fraction as F

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from scipy.stats import chisquare

from wsample_sk import WeightedSampler
from wsample_sk._multilabel import (
    ClassAwareSampler,
    check_label_matrix,
    class_aware_row_probabilities,
    drawn_label_frequencies,
    expected_label_frequencies,
    label_counts,
    rarity_weights,
)

DRAWS = 200_000
ACCEPT = 1e-3  # p-value above which the fit is accepted (fixed seeds: deterministic)
REJECT = 1e-12  # ... below which a wrong formula counts as rejected

# 8 rows, 4 labels; label 3 has no positive row, row 6 has no label.
Y = np.array(
    [
        [1, 0, 0, 0],
        [1, 0, 0, 0],
        [1, 1, 0, 0],
        [1, 0, 0, 0],
        [0, 1, 0, 0],
        [0, 0, 1, 0],
        [0, 0, 0, 0],
        [1, 0, 1, 0],
    ]
)
N_L = [5, 2, 2, 0]
# class-aware, uniform over the L' = 3 labels with rows: sum_{l in P_i} 1 / (3 n_l)
CLASS_AWARE = [F(1, 15), F(1, 15), F(1, 15) + F(1, 6), F(1, 15), F(1, 6), F(1, 6), 0, F(7, 30)]
# label_weights [1, 2, 1, 5] (label 3's 5 ignored): q = [1/4, 1/2, 1/4]; sum q_l / n_l
WEIGHTED_LABELS = [1, 2, 1, 5]
CLASS_AWARE_WEIGHTED = [F(1, 20), F(1, 20), F(3, 10), F(1, 20), F(1, 4), F(1, 8), 0, F(7, 40)]
# rarity, 1 / f = [8/5, 4, 4, -]; row 6 (no label) by default 1 / (1/8) = 8
RARITY_MEAN = [1.6, 1.6, (1.6 + 4) / 2, 1.6, 4, 4, 8, (1.6 + 4) / 2]
RARITY_MAX = [1.6, 1.6, 4, 1.6, 4, 4, 8, 4]
# the share of class-aware draws carrying each label
LABEL_SHARES = [F(2, 3), F(2, 5), F(2, 5), 0]


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def as_float(values):
    return np.array([float(v) for v in values])


def fit(counts, probabilities):
    """Chi-square p-value of drawn counts against probabilities, over the rows they allow."""
    p = np.asarray(probabilities, dtype=float)
    assert counts[p == 0].sum() == 0  # impossible rows are never drawn
    support = p > 0
    expected = p[support] / p[support].sum() * counts.sum()
    return chisquare(counts[support], expected).pvalue


def counts_of(rows, n):
    return np.bincount(rows, minlength=n)


def random_labels(n=400, n_labels=30, seed=0):
    """Labels of falling frequency (0.3 down to ~0.01) and some rows with none."""
    rng = np.random.default_rng(seed)
    freq = 0.3 * 0.88 ** np.arange(n_labels)
    return (rng.random((n, n_labels)) < freq).astype(np.int8)


def reference_class_aware(Y):
    """Class-aware row probabilities the slow way: a loop over labels and rows."""
    Y = np.asarray(Y)
    n, n_labels = Y.shape
    with_rows = [lab for lab in range(n_labels) if Y[:, lab].any()]
    p = np.zeros(n)
    for lab in with_rows:
        rows = np.flatnonzero(Y[:, lab])
        for i in rows:
            p[i] += 1 / (len(with_rows) * len(rows))
    return p


# -- the hand-made matrix ---------------------------------------------------------
def test_hand_made_values():
    assert label_counts(Y).tolist() == N_L
    np.testing.assert_allclose(class_aware_row_probabilities(Y), as_float(CLASS_AWARE))
    assert sum(CLASS_AWARE) == 1 and sum(CLASS_AWARE_WEIGHTED) == 1
    np.testing.assert_allclose(
        class_aware_row_probabilities(Y, label_weights=WEIGHTED_LABELS),
        as_float(CLASS_AWARE_WEIGHTED),
    )
    np.testing.assert_allclose(rarity_weights(Y), RARITY_MEAN)
    np.testing.assert_allclose(rarity_weights(Y, rule="max"), RARITY_MAX)
    np.testing.assert_allclose(
        expected_label_frequencies(Y, class_aware_row_probabilities(Y)), as_float(LABEL_SHARES)
    )


def test_rows_without_label_follow_the_empty_rule():
    assert rarity_weights(Y, empty="zero")[6] == 0
    assert rarity_weights(Y, rule="max", empty=2.5)[6] == 2.5
    np.testing.assert_allclose(rarity_weights(Y, empty=0.0)[[0, 2]], [1.6, 2.8])
    two_empty = np.vstack([Y, np.zeros(4, int)])  # 2 of 9 rows: weight 9 / 2
    np.testing.assert_allclose(rarity_weights(two_empty)[[6, 8]], [4.5, 4.5])
    no_empty = Y[[0, 2, 4, 5]]  # f = [1/2, 1/2, 1/4]: 1/f = [2, 2, 4]
    np.testing.assert_allclose(rarity_weights(no_empty), [2, 2, 2, 4])


def test_label_weights_replace_inverse_frequencies():
    weights = [1.0, 2.0, 3.0, 100.0]  # label 3 has no row: its 100 is never used
    np.testing.assert_allclose(rarity_weights(Y, label_weights=weights), [1, 1, 1.5, 1, 2, 3, 8, 2])
    np.testing.assert_allclose(
        rarity_weights(Y, rule="max", empty="zero", label_weights=weights),
        [1, 1, 2, 1, 2, 3, 0, 3],
    )
    huge = rarity_weights(Y, label_weights=[1e308, 1e308, 1e308, 0])  # sums never overflow
    assert np.isfinite(huge).all() and huge[2] == 1e308


def test_label_without_positives_is_ignored():
    kept = Y[:, :3]
    np.testing.assert_array_equal(
        class_aware_row_probabilities(Y), class_aware_row_probabilities(kept)
    )
    np.testing.assert_array_equal(rarity_weights(Y), rarity_weights(kept))
    np.testing.assert_array_equal(rarity_weights(Y, rule="max"), rarity_weights(kept, rule="max"))
    a = ClassAwareSampler(Y, num_samples=1000, generator=gen(3)).draw()
    b = ClassAwareSampler(kept, num_samples=1000, generator=gen(3)).draw()
    np.testing.assert_array_equal(a, b)
    sampler = ClassAwareSampler(Y, label_weights=WEIGHTED_LABELS)
    assert sampler.label_probabilities.tolist() == [0.25, 0.5, 0.25, 0.0]


# -- chi-square goodness of fit, with power ----------------------------------------
def test_class_aware_draws_fit_the_row_probabilities_and_the_test_has_power():
    counts = counts_of(ClassAwareSampler(Y, DRAWS, generator=gen()).draw(), 8)
    assert counts[6] == 0  # the row with no label
    assert fit(counts, as_float(CLASS_AWARE)) > ACCEPT
    # the same draws reject uniform rows and the mean (not the sum) over labels
    assert fit(counts, [1, 1, 1, 1, 1, 1, 0, 1]) < REJECT
    mean_not_sum = [F(1, 5), F(1, 5), (F(1, 5) + F(1, 2)) / 2, F(1, 5), F(1, 2), F(1, 2), 0]
    assert fit(counts, as_float([*mean_not_sum, (F(1, 5) + F(1, 2)) / 2])) < REJECT


def test_class_aware_draws_with_label_weights():
    sampler = ClassAwareSampler(Y, DRAWS, generator=gen(1), label_weights=WEIGHTED_LABELS)
    counts = counts_of(sampler.draw(), 8)
    assert fit(counts, as_float(CLASS_AWARE_WEIGHTED)) > ACCEPT
    assert fit(counts, as_float(CLASS_AWARE)) < REJECT  # uniform labels: rejected


def test_class_aware_draws_on_a_random_matrix_fit_a_loop_reference():
    Yr = random_labels()
    reference = reference_class_aware(Yr)
    p = class_aware_row_probabilities(sp.csr_matrix(Yr))
    np.testing.assert_allclose(p, reference, rtol=1e-12)
    assert p.sum() == pytest.approx(1.0) and (p[~Yr.any(axis=1)] == 0).all()
    rows = ClassAwareSampler(sp.csr_matrix(Yr), DRAWS, generator=gen(2)).draw()
    counts = counts_of(rows, len(Yr))
    assert fit(counts, reference) > ACCEPT
    assert fit(counts, Yr.any(axis=1)) < REJECT  # uniform over rows with a label
    # the drawn label shares match the expected ones
    expected = expected_label_frequencies(Yr, p)
    np.testing.assert_allclose(drawn_label_frequencies(Yr, rows), expected, atol=0.006)


def test_weighted_sampler_over_rarity_weights_fits_the_formulas():
    for rule, right, wrong in (("mean", RARITY_MEAN, RARITY_MAX), ("max", RARITY_MAX, RARITY_MEAN)):
        rows = WeightedSampler(rarity_weights(Y, rule=rule), DRAWS, generator=gen(4)).draw()
        counts = counts_of(rows, 8)
        assert fit(counts, right) > ACCEPT, rule
        assert fit(counts, wrong) < REJECT, rule  # the other rule: rejected
        assert fit(counts, np.ones(8)) < REJECT, rule


def test_drawn_label_frequencies_match_the_expected_ones():
    rows = ClassAwareSampler(Y, DRAWS, generator=gen(5)).draw()
    drawn = drawn_label_frequencies(Y, rows)
    np.testing.assert_allclose(drawn, as_float(LABEL_SHARES), atol=0.006)
    assert drawn[3] == 0
    assert drawn_label_frequencies(Y, [2, 2, 7, 6]).tolist() == [0.75, 0.5, 0.25, 0.0]
    # relative weights are normalised: rarity weights go in as they are
    shares = expected_label_frequencies(Y, RARITY_MEAN)
    np.testing.assert_allclose(shares, [(3 * 1.6 + 2 * 2.8) / 26.4, 6.8 / 26.4, 6.8 / 26.4, 0])


# -- sparse and dense ---------------------------------------------------------------
@pytest.mark.parametrize("form", [sp.csr_matrix, sp.csc_matrix, sp.coo_array, lambda a: a == 1])
def test_sparse_and_dense_give_identical_results(form):
    for dense in (Y, random_labels(seed=1)):
        other = form(dense)
        csr, n, n_labels = check_label_matrix(other)
        assert (n, n_labels) == dense.shape and csr.dtype == np.int8
        np.testing.assert_array_equal(csr.toarray(), dense)
        np.testing.assert_array_equal(label_counts(other), label_counts(dense))
        for rule in ("mean", "max"):
            np.testing.assert_array_equal(
                rarity_weights(other, rule=rule), rarity_weights(dense, rule=rule)
            )
        p = class_aware_row_probabilities(dense)
        np.testing.assert_array_equal(class_aware_row_probabilities(other), p)
        np.testing.assert_array_equal(
            expected_label_frequencies(other, p), expected_label_frequencies(dense, p)
        )
        np.testing.assert_array_equal(
            ClassAwareSampler(other, 5000, generator=gen(6)).draw(),
            ClassAwareSampler(dense, 5000, generator=gen(6)).draw(),
        )


def test_sparse_explicit_zeros_are_dropped_and_the_input_is_left_alone():
    m = sp.csr_matrix(Y.astype(float))
    m.data[0] = 0.0  # an explicit zero at (0, 0)
    data = m.data.copy()
    csr, _, _ = check_label_matrix(m)
    assert csr.nnz == Y.sum() - 1 and csr[0, 0] == 0
    np.testing.assert_array_equal(m.data, data)
    assert label_counts(m).tolist() == [4, 2, 2, 0]


# -- resumption ------------------------------------------------------------------------
@pytest.mark.parametrize("epoch", [None, 3])
@pytest.mark.parametrize("label_weights", [None, WEIGHTED_LABELS])
def test_state_dict_resumes_mid_pass(epoch, label_weights):
    def make():
        sampler = ClassAwareSampler(
            sp.csr_matrix(Y), 50, generator=gen(7), label_weights=label_weights
        )
        if epoch is not None:
            sampler.set_epoch(epoch)
        return sampler

    full = list(make())
    interrupted = make()
    it = iter(interrupted)
    head = [next(it) for _ in range(17)]
    state = interrupted.state_dict()
    assert state["kind"] == "ClassAwareSampler" and state["position"] == 17
    resumed = ClassAwareSampler(Y, 50, label_weights=label_weights)  # another generator
    resumed.load_state_dict(state)
    assert head + list(resumed) == full
    assert len(resumed) == 50


def test_a_state_of_another_size_or_kind_is_refused():
    sampler = ClassAwareSampler(Y, generator=gen())
    it = iter(sampler)
    next(it)
    state = sampler.state_dict()
    with pytest.raises(ValueError, match="of 8 rows; this ClassAwareSampler has 7 rows"):
        ClassAwareSampler(Y[:7], num_samples=8).load_state_dict(state)
    with pytest.raises(ValueError, match="labels=4.*labels=5"):
        ClassAwareSampler(np.hstack([Y, Y[:, :1]])).load_state_dict(state)
    with pytest.raises(ValueError, match="num_samples=8.*num_samples=9"):
        ClassAwareSampler(Y, num_samples=9).load_state_dict(state)
    with pytest.raises(ValueError, match="from a WeightedSampler"):
        weighted = WeightedSampler(np.ones(8))
        list(weighted)
        sampler.load_state_dict(weighted.state_dict())


def test_without_replacement_distinct_rows_with_a_label():
    sampler = ClassAwareSampler(Y, num_samples=7, replacement=False, generator=gen())
    rows = sampler.draw()
    assert sorted(rows.tolist()) == [0, 1, 2, 3, 4, 5, 7]
    sampler.num_samples = 8
    with pytest.raises(ValueError, match="Cannot draw 8 rows without replacement: only 7"):
        sampler.draw()
    with pytest.raises(ValueError, match="only 7 rows"):
        ClassAwareSampler(Y, replacement=False)  # num_samples = n = 8


# -- bad inputs --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "bad, match",
    [
        (np.zeros((2, 3, 4)), r"must be 2-D.*got 3-D input of shape \(2, 3, 4\)"),
        (np.array([0, 1, 1]), r"1-D.*reshape\(-1, 1\)"),
        (np.zeros((5, 0)), r"has no labels \(shape \(5, 0\)\)"),
        (sp.csr_matrix((5, 0)), r"has no labels"),
        (np.zeros((0, 3)), r"has no rows"),
        ([[1, 0, 0], [0, 1, 2]], r"got 2 at \(row 1, column 2\)\."),
        (sp.csr_matrix([[1, 0, 0], [0, 1, 2]]), r"got 2 at \(row 1, column 2\)\."),
        ([[1, 0.5], [np.nan, 3]], r"got 0.5 at \(row 0, column 1\) \(3 values outside"),
        (sp.csr_matrix([[1, 0, np.nan]]), r"got nan at \(row 0, column 2\)"),
        ([[1, -1]], r"got -1 at \(row 0, column 1\)"),
        (np.array([[1, "a"]], dtype=object), r"got 'a' at \(row 0, column 1\)"),
        (np.array([["1", "0"]]), r"real numbers 0 or 1; got an array of dtype <U1"),
        (np.array([[1 + 0j, 0]]), r"real numbers 0 or 1; got an array of dtype complex"),
    ],
)
def test_bad_label_matrices_are_refused_clearly(bad, match):
    with pytest.raises(ValueError, match=match):
        check_label_matrix(bad)
    with pytest.raises(ValueError, match=match):
        ClassAwareSampler(bad)


def test_duplicate_sparse_entries_add_up_as_in_scipy():
    dup = sp.coo_matrix(([1, 1], ([0, 0], [1, 1])), shape=(2, 2))
    with pytest.raises(ValueError, match=r"got 2 at \(row 0, column 1\)"):
        check_label_matrix(dup)
    with pytest.raises(ValueError, match=r"^labels must be"):
        check_label_matrix(np.array([[2]]), name="labels")


def test_bad_parameters_are_refused_clearly():
    with pytest.raises(ValueError, match=r"rule must be one of \('mean', 'max'\); got 'sum'"):
        rarity_weights(Y, rule="sum")
    for empty in ("half", None, True):
        with pytest.raises(ValueError, match="empty must be one of"):
            rarity_weights(Y, empty=empty)
    with pytest.raises(ValueError, match=r"empty == -1.0, must be >= 0.0"):
        rarity_weights(Y, empty=-1.0)
    with pytest.raises(ValueError, match="label_weights has 3 weights but there are 4"):
        rarity_weights(Y, label_weights=[1, 1, 1])
    with pytest.raises(ValueError, match="label_weights must be non-negative"):
        ClassAwareSampler(Y, label_weights=[1, -1, 1, 1])
    with pytest.raises(ValueError, match="zero on every label that has a positive row"):
        ClassAwareSampler(Y, label_weights=[0, 0, 0, 1])
    with pytest.raises(ValueError, match="no positive entry"):
        ClassAwareSampler(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="replacement must be a bool"):
        ClassAwareSampler(Y, replacement="no")
    with pytest.raises(ValueError, match="num_samples == 0"):
        ClassAwareSampler(Y, num_samples=0)
    with pytest.raises(ValueError, match=r"rows must be in \[0, 7\]; got 8 at position 1"):
        drawn_label_frequencies(Y, [0, 8])
    with pytest.raises(ValueError, match="non-empty 1-D array of integer"):
        drawn_label_frequencies(Y, [0.0, 1.0])
    with pytest.raises(ValueError, match="row_probabilities has 3 weights"):
        expected_label_frequencies(Y, [1, 1, 1])


# -- scale -------------------------------------------------------------------------------
def random_sparse(n, n_labels, per_row, seed=0):
    """``per_row`` random labels a row (fewer where they collide), built sparse."""
    rng = np.random.default_rng(seed)
    cols = rng.integers(0, n_labels, n * per_row).astype(np.int32)
    m = sp.csr_matrix(
        (np.ones(n * per_row, np.int8), cols, np.arange(0, n * per_row + 1, per_row)),
        shape=(n, n_labels),
    )
    m.sum_duplicates()
    m.data[:] = 1
    return m


def test_a_large_sparse_matrix_is_never_densified():
    Yl = random_sparse(10**6, 1000, 10)  # 1% dense: a dense int8 copy alone is 1 GB
    tracemalloc.start()
    try:
        w = rarity_weights(Yl, rule="max")
        sampler = ClassAwareSampler(Yl, num_samples=1000, generator=gen())
        rows = sampler.draw()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 0.4e9, peak
    assert w.shape == (10**6,) and (w > 0).all() and rows.max() < 10**6


def test_timing_of_ten_million_class_aware_draws(capsys):
    Yt = random_sparse(10**5, 1000, 10)
    sampler = ClassAwareSampler(Yt, num_samples=10**7, generator=gen())
    start = time.perf_counter()
    rows = sampler.draw()
    seconds = time.perf_counter() - start
    assert len(rows) == 10**7
    with capsys.disabled():
        print(
            f"\nClassAwareSampler: 10^7 draws, 1000 labels, 10^5 x 1000 sparse Y: {seconds:.2f} s"
        )
