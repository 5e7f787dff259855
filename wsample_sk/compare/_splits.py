"""Splits and subsamples: stratified on class labels, label sets or target quantiles.

Single-label data get scikit-learn's ``RepeatedStratifiedKFold`` and
:func:`stratified_subsample`; multi-label data (a 0/1 indicator, which it
cannot stratify) get repeated iterative stratification (Sechidis et al.
2011, :func:`multilabel_splits`) and :func:`multilabel_subsample`; a
continuous target gets both stratified on its quantiles
(:func:`quantile_splits`, :func:`quantile_bins`).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

__all__ = [
    "cv_floor",
    "multilabel_splits",
    "multilabel_subsample",
    "quantile_bins",
    "quantile_splits",
    "stratified_subsample",
]


def cv_floor(folds: int) -> int:
    """Rows a class keeps at least in a subsample (all it has, if fewer): ``max(10, 2 * folds)``.

    Enough for every fold to test and train on the class (and for SMOTE's
    neighbours).
    """
    return max(10, 2 * folds)


def stratified_subsample(y: np.ndarray, max_rows: int, floor: int, seed: int) -> np.ndarray:
    """Sorted row indices of a stratified subsample of ``max_rows`` rows.

    Each class keeps its share of ``max_rows`` (rounded by largest
    remainders), but at least ``min(its rows, floor)``, so that a rare class
    stays usable for cross-validation; the rows this adds are taken from the
    classes above their floor (the total exceeds ``max_rows`` only when the
    floors alone do). All rows when there are no more than ``max_rows``.

    Examples
    --------
    >>> import numpy as np
    >>> from wsample_sk.compare._splits import stratified_subsample
    >>> y = np.repeat([0, 1, 2], [900, 95, 5])
    >>> np.bincount(y[stratified_subsample(y, 100, floor=10, seed=0)])
    array([85, 10,  5])
    """
    y = np.asarray(y)
    if len(y) <= max_rows:
        return np.arange(len(y))
    _, codes, counts = np.unique(y, return_inverse=True, return_counts=True)
    low = np.minimum(counts, floor)
    exact = counts * (max_rows / len(y))
    keep = np.maximum(np.floor(exact).astype(np.int64), low)
    short = max_rows - int(keep.sum())
    if short > 0:  # largest remainders, among the classes not raised to their floor
        order = np.argsort(-(exact - keep), kind="stable")
        keep[order[:short]] += 1
    elif short < 0:  # the floors' rows, taken from the classes above their floor
        room = keep - low
        take = min(-short, int(room.sum()))
        if take:
            share = room * (take / room.sum())
            cut = np.floor(share).astype(np.int64)
            order = np.argsort(-(share - cut), kind="stable")
            cut[order[: take - int(cut.sum())]] += 1
            keep -= cut
    rng = np.random.default_rng(seed)
    rows = [
        rng.choice(np.flatnonzero(codes == c), size=int(k), replace=False)
        for c, k in enumerate(keep)
    ]
    return np.sort(np.concatenate(rows))


def multilabel_subsample(Y: np.ndarray, max_rows: int, floor: int, seed: int) -> np.ndarray:
    """Sorted row indices of a seeded subsample of a multi-label ``Y`` of ``max_rows`` rows.

    From the rarest label to the most frequent, rows are added (at random
    among that label's positive rows) until the label has
    ``min(its positives, floor)`` positives in the subsample; the rest of
    the ``max_rows`` rows are a uniform random sample of the other rows, so
    every label keeps about its share, and a rare label at least its floor
    (the total exceeds ``max_rows`` only when the floors alone do). All rows
    when there are no more than ``max_rows``.

    Examples
    --------
    >>> import numpy as np
    >>> from wsample_sk.compare._splits import multilabel_subsample
    >>> Y = np.zeros((1000, 2), dtype=int)
    >>> Y[:500, 0] = 1; Y[-8:, 1] = 1
    >>> keep = multilabel_subsample(Y, 100, floor=10, seed=0)
    >>> len(keep), int(Y[keep, 1].sum())
    (100, 8)
    """
    Y = np.asarray(Y)
    n = len(Y)
    if n <= max_rows:
        return np.arange(n)
    rng = np.random.default_rng(seed)
    chosen = np.zeros(n, dtype=bool)
    positives = Y.sum(axis=0)
    for label in np.argsort(positives, kind="stable"):
        need = min(int(positives[label]), floor) - int(Y[chosen, label].sum())
        if need > 0:
            pool = np.flatnonzero(~chosen & (Y[:, label] > 0))
            chosen[rng.choice(pool, size=need, replace=False)] = True
    rest = max_rows - int(chosen.sum())
    if rest > 0:
        chosen[rng.choice(np.flatnonzero(~chosen), size=rest, replace=False)] = True
    return np.flatnonzero(chosen)


def multilabel_splits(
    Y: np.ndarray, folds: int, repeats: int, seed: int
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Repeated iterative stratification: ``(train, test)`` index pairs, ``repeats * folds``.

    Iterative stratification (Sechidis, Tsoumakas and Vlahavas 2011) spreads
    each label's positives over the folds, the rarest label first, as evenly
    as its count allows; the ``iterative-stratification`` package's
    ``RepeatedMultilabelStratifiedKFold`` makes the splits, a new shuffle per
    repeat, seeded with ``seed``.

    Examples
    --------
    >>> import numpy as np
    >>> from wsample_sk.compare._splits import multilabel_splits
    >>> Y = np.zeros((20, 2), dtype=int)
    >>> Y[:4, 0] = 1; Y[::2, 1] = 1
    >>> [Y[test].sum(axis=0).tolist() for _, test in multilabel_splits(Y, 2, 1, seed=0)]
    [[2, 5], [2, 5]]
    """
    from iterstrat.ml_stratifiers import RepeatedMultilabelStratifiedKFold

    Y = np.asarray(Y)
    cv = RepeatedMultilabelStratifiedKFold(n_splits=folds, n_repeats=repeats, random_state=seed)
    yield from cv.split(np.zeros((len(Y), 1)), Y)


def quantile_bins(y: np.ndarray, folds: int, bins: int = 10) -> np.ndarray:
    """The quantile group of each value of a continuous ``y``: ``min(bins, n // folds)`` groups.

    Rows sorted by ``y`` (ties in row order) are cut into groups of equal
    size (within one row), so every group has at least ``folds`` rows and a
    stratified k-fold on the groups spreads every part of the target's
    range, its tail included, over the folds.

    Examples
    --------
    >>> import numpy as np
    >>> from wsample_sk.compare._splits import quantile_bins
    >>> quantile_bins(np.array([5.0, 1.0, 9.0, 3.0, 7.0, 2.0]), folds=2).tolist()
    [1, 0, 2, 1, 2, 0]
    """
    y = np.asarray(y, dtype=np.float64).ravel()
    groups = max(1, min(bins, len(y) // folds))
    rank = np.empty(len(y), dtype=np.int64)
    rank[np.argsort(y, kind="stable")] = np.arange(len(y))
    return rank * groups // len(y)


def quantile_splits(
    y: np.ndarray, folds: int, repeats: int, seed: int
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Repeated k-fold stratified on target quantiles: ``(train, test)`` pairs, ``repeats * folds``.

    scikit-learn's ``RepeatedStratifiedKFold`` on :func:`quantile_bins`.

    Examples
    --------
    >>> import numpy as np
    >>> from wsample_sk.compare._splits import quantile_splits
    >>> y = np.exp(np.random.default_rng(0).normal(size=40))
    >>> [np.sort(y[test])[-1] == y.max() for _, test in quantile_splits(y, 2, 1, seed=0)]
    [np.False_, np.True_]
    """
    from sklearn.model_selection import RepeatedStratifiedKFold

    groups = quantile_bins(y, folds)
    cv = RepeatedStratifiedKFold(n_splits=folds, n_repeats=repeats, random_state=seed)
    yield from cv.split(np.zeros((len(groups), 1)), groups)
