"""Splits and subsamples: stratified for class labels, iterative for multi-label indicators.

Single-label data get scikit-learn's ``RepeatedStratifiedKFold`` (in
:func:`~wsample_sk.compare.compare`) and :func:`stratified_subsample`;
multi-label data (a 0/1 indicator, which it cannot stratify) get iterative
stratification (Sechidis et al. 2011), repeated with a new seed
(:func:`multilabel_splits`), and :func:`multilabel_subsample`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

__all__ = [
    "cv_floor",
    "iterative_stratification",
    "multilabel_splits",
    "multilabel_subsample",
    "stratified_subsample",
    "subsample",
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


def subsample(y: np.ndarray, max_rows: int, floor: int, seed: int) -> np.ndarray:
    """:func:`stratified_subsample` of labels, :func:`multilabel_subsample` of an indicator."""
    if np.ndim(y) == 2:
        return multilabel_subsample(y, max_rows, floor, seed)
    return stratified_subsample(y, max_rows, floor, seed)


def iterative_stratification(Y: np.ndarray, folds: int, seed: int | Sequence[int]) -> np.ndarray:
    """The fold of every row of a multi-label ``Y``: iterative stratification.

    Sechidis, Tsoumakas and Vlahavas (2011), "On the stratification of
    multi-label data": each fold should get ``1 / folds`` of the rows and of
    every label's positives. Repeatedly take the label with the fewest
    positive rows not yet assigned (ties at random) and give each of those
    rows (in random order) to the fold that most lacks that label (ties: the
    fold that most lacks rows, then at random), updating what every fold
    lacks of each of the row's labels. Rows without a label go last, to the
    folds that most lack rows. A rare label is thus spread first, as evenly
    as its count allows (its positives per fold differ by at most one).

    Parameters
    ----------
    Y : array of shape (n, L), 0/1
    folds : int
    seed : int or sequence of ints
        Seeds numpy's ``default_rng`` (the ties and the orders).

    Returns
    -------
    fold : array of shape (n,)
        In ``0 .. folds - 1``.

    Examples
    --------
    >>> import numpy as np
    >>> from wsample_sk.compare._splits import iterative_stratification
    >>> Y = np.zeros((20, 2), dtype=int)
    >>> Y[:4, 0] = 1; Y[::2, 1] = 1
    >>> fold = iterative_stratification(Y, 2, seed=0)
    >>> [np.bincount(fold[Y[:, j] == 1]).tolist() for j in range(2)], np.bincount(fold).tolist()
    ([[2, 2], [5, 5]], [10, 10])
    """
    Y = np.asarray(Y) > 0
    n = len(Y)
    rng = np.random.default_rng(seed)
    fold = np.full(n, -1, dtype=np.int64)
    lack_rows = np.full(folds, n / folds)
    lack = np.outer(Y.sum(axis=0), np.full(folds, 1.0 / folds))  # (L, folds)
    left = Y.sum(axis=0).astype(np.int64)  # positives not yet assigned, per label

    def best(scores: np.ndarray, among: np.ndarray) -> int:
        top = among[scores[among] == scores[among].max()]
        return int(top[0] if len(top) == 1 else rng.choice(top))

    all_folds = np.arange(folds)
    while left.any():
        open_ = np.flatnonzero(left)
        label = best(-left.astype(float), open_)  # the fewest remaining positives
        rows = np.flatnonzero(Y[:, label] & (fold < 0))
        for i in rng.permutation(rows):
            top = all_folds[lack[label] == lack[label].max()]
            j = best(lack_rows, top)
            fold[i] = j
            lack[Y[i], j] -= 1
            lack_rows[j] -= 1
            left[Y[i]] -= 1
    for i in rng.permutation(np.flatnonzero(fold < 0)):
        j = best(lack_rows, all_folds)
        fold[i] = j
        lack_rows[j] -= 1
    return fold


def multilabel_splits(
    Y: np.ndarray, folds: int, repeats: int, seed: int
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Repeated iterative stratification: ``(train, test)`` index pairs, ``repeats * folds``.

    Repeat *r* is :func:`iterative_stratification` seeded with ``(seed, r)``;
    test fold *f* of a repeat is the rows of fold *f*, in order, as
    ``RepeatedStratifiedKFold`` yields them.
    """
    rows = np.arange(len(Y))
    for repeat in range(repeats):
        fold = iterative_stratification(Y, folds, [seed, repeat])
        for f in range(folds):
            yield rows[fold != f], rows[fold == f]
