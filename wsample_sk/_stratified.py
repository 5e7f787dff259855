"""Exact class quotas: per epoch (:class:`StratifiedSampler`) and per batch
(:class:`BalancedBatchSampler`).

Weighted draws give the intended class mix on average; these samplers give
it exactly. The per-epoch counts are given in imbalanced-learn's
``sampling_strategy`` vocabulary and resolved by imbalanced-learn's own
:func:`~imblearn.utils.check_sampling_strategy`, so ``"auto"``,
``"minority"``, a float ratio, a dict or a callable mean what they mean for
``RandomOverSampler`` (``sampling_type="over-sampling"``) or
``RandomUnderSampler`` (``"under-sampling"``). Within a class, rows are chosen
uniformly or in proportion to ``sample_weight``. Both samplers reseed per
epoch (``set_epoch``) and resume mid-pass (``state_dict``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch
from imblearn.utils import check_sampling_strategy

from ._samplers import _EpochSampler, _GuideTable, _weighted_permutation
from ._validation import (
    check_count,
    check_flag,
    check_num_draws,
    check_sampling_weights,
    check_world,
)

__all__ = ["BalancedBatchSampler", "StratifiedSampler", "resolve_class_counts"]

SAMPLING_TYPES = ("over-sampling", "under-sampling")


def resolve_class_counts(
    y: Any, sampling_strategy: Any = "auto", sampling_type: str = "over-sampling"
) -> dict:
    """Rows per class in an epoch, from imbalanced-learn's ``sampling_strategy``.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Class labels.
    sampling_strategy : float, str, dict or callable, default="auto"
        As for imbalanced-learn's ``RandomOverSampler`` /
        ``RandomUnderSampler``.
    sampling_type : {"over-sampling", "under-sampling"}, default="over-sampling"
        Which of the two the strategy speaks of.

    Returns
    -------
    counts : dict
        ``{label: rows of that class per epoch}``, every class of ``y``.

    Examples
    --------
    >>> from wsample_sk._stratified import resolve_class_counts
    >>> y = ["a"] * 6 + ["b"] * 3 + ["c"]
    >>> resolve_class_counts(y, "auto")
    {'a': 6, 'b': 6, 'c': 6}
    >>> resolve_class_counts(y, "auto", "under-sampling")
    {'a': 1, 'b': 1, 'c': 1}
    """
    if sampling_type not in SAMPLING_TYPES:
        raise ValueError(
            f"sampling_type must be one of {list(SAMPLING_TYPES)}; got {sampling_type!r}."
        )
    y = np.asarray(y)
    classes, counts = np.unique(y, return_counts=True)
    natural = dict(zip(classes.tolist(), counts.tolist(), strict=True))
    if not (
        isinstance(sampling_strategy, (str, Mapping))
        or callable(sampling_strategy)
        or (isinstance(sampling_strategy, float) and not isinstance(sampling_strategy, bool))
    ):
        raise TypeError(
            "sampling_strategy must be a float, a str, a dict or a callable, as for "
            f"imbalanced-learn's samplers; got {sampling_strategy!r}."
        )
    try:
        resolved = check_sampling_strategy(sampling_strategy, y, sampling_type)
    except ValueError as exc:  # imbalanced-learn's words, with the parameter's name
        raise ValueError(f"sampling_strategy={sampling_strategy!r}: {exc}") from None
    out = dict(natural)
    for label, n in resolved.items():
        label = label.item() if hasattr(label, "item") else label
        out[label] = natural[label] + int(n) if sampling_type == "over-sampling" else int(n)
    return out


class _WithinClass:
    """Draws of rows within one class: uniform or in proportion to weights."""

    def __init__(self, rows: np.ndarray, weights: np.ndarray | None) -> None:
        self.rows = rows
        self.weights = None
        if weights is not None and not np.all(weights == weights[0]):
            self.weights = weights
        self._table: _GuideTable | None = None
        self.positive = len(rows) if weights is None else int(np.count_nonzero(weights))

    def draw_as_imblearn(self, k: int, rng: np.random.Generator) -> np.ndarray:
        """``k`` rows as imbalanced-learn's samplers take them: ``k`` distinct rows
        when the class has more (``RandomUnderSampler``), else every row once plus
        ``k - n`` drawn copies (``RandomOverSampler``). Rows of zero weight never."""
        if k <= self.positive:
            return self.draw(k, False, rng)
        kept = self.rows if self.weights is None else self.rows[self.weights > 0]
        return np.concatenate([kept, self.draw(k - self.positive, True, rng)])

    def draw(self, k: int, replacement: bool, rng: np.random.Generator) -> np.ndarray:
        if k == 0:
            return self.rows[:0]
        if self.weights is None:
            if replacement:
                return self.rows[rng.integers(0, len(self.rows), k)]
            return self.rows[rng.permutation(len(self.rows))[:k]]
        if not replacement:
            return self.rows[_weighted_permutation(self.weights, k, rng)]
        if self._table is None:
            self._table = _GuideTable(self.weights)
        return self.rows[self._table.draw(k, rng)]


def _fixed_size(self, value: int) -> None:
    raise AttributeError(
        f"The size of a {type(self).__name__} epoch is fixed by its class quotas "
        "(sampling_strategy / batch composition); build a new sampler to change it."
    )


def _move_back(walk: np.ndarray, held: set, head: int) -> None:
    """Swap, in place, rows of ``walk[:head]`` that are in ``held`` for later rows that are
    not (a walk holds each row once, so ``head + len(held) <= len(walk)`` leaves enough)."""
    clash = [i for i in range(head) if walk[i] in held]
    if not clash:
        return
    spare = (j for j in range(head, len(walk)) if walk[j] not in held)
    for i in clash:
        j = next(spare)
        walk[i], walk[j] = walk[j], walk[i]


_BLOCK = 1 << 16  # positions shuffled at once by StratifiedSampler (fits in cache)


def _rows_by_class(y: Any, sample_weight: Any):
    """``y`` (1-D), its classes, their counts, and the rows (and weights) of each class."""
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D; got shape {y.shape}.")
    classes, codes, counts = np.unique(y, return_inverse=True, return_counts=True)
    sw = None if sample_weight is None else check_sampling_weights(sample_weight, len(y))
    order = np.argsort(codes, kind="stable")
    bounds = np.r_[0, np.cumsum(counts)]
    within = [
        _WithinClass(
            order[bounds[c] : bounds[c + 1]],
            None if sw is None else sw[order[bounds[c] : bounds[c + 1]]],
        )
        for c in range(len(classes))
    ]
    return y, classes, counts, within


class StratifiedSampler(_EpochSampler):
    """Every epoch, exactly a given number of rows of each class, in random order.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Class labels.
    sampling_strategy : float, str, dict or callable, default="auto"
        How many rows of each class an epoch holds, in imbalanced-learn's
        vocabulary (resolved by its ``check_sampling_strategy``): ``"auto"``
        over-samples every class to the majority's count.
    sample_weight : array-like of shape (n_samples,), default=None
        Within a class, rows are drawn in proportion to these (uniformly if
        ``None``); rows of zero weight never. Valid weights as everywhere:
        finite, non-negative.
    replacement : None or bool, default=None
        How the rows of a class are chosen. ``None``: as imbalanced-learn's
        samplers do. A class asked for at least as many rows as it has
        keeps every row once and adds the missing ones as drawn copies
        (``RandomOverSampler``); a class asked for fewer gets distinct rows
        (``RandomUnderSampler``). ``True``: every row of the quota drawn
        independently with replacement (a bootstrap of the class: an epoch
        then sees about 63% of a class drawn to its own size). ``False``:
        distinct rows only; a class cannot be asked for more rows than it
        has (with a positive weight).
    generator : torch.Generator, default=None
        Source of randomness; ``None`` uses torch's global generator.
    sampling_type : {"over-sampling", "under-sampling"}, default="over-sampling"
        Which imbalanced-learn sampler ``sampling_strategy`` speaks as.

    Attributes
    ----------
    class_counts_ : dict
        ``{label: rows per epoch}``.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from wsample_sk import StratifiedSampler
    >>> y = np.array([0] * 8 + [1] * 2)
    >>> s = StratifiedSampler(y, "auto", generator=torch.Generator().manual_seed(0))
    >>> np.bincount(y[list(s)])
    array([8, 8])
    >>> sorted(set(s.draw().tolist())) == list(range(10))  # every row, plus copies
    True
    """

    def __init__(
        self,
        y: Any,
        sampling_strategy: Any = "auto",
        sample_weight: Any = None,
        replacement: bool | None = None,
        generator: torch.Generator | None = None,
        sampling_type: str = "over-sampling",
    ) -> None:
        self.replacement = None if replacement is None else check_flag(replacement, "replacement")
        y, classes, _, self._within = _rows_by_class(y, sample_weight)
        self.class_counts_ = resolve_class_counts(y, sampling_strategy, sampling_type)
        self._quota = np.array([self.class_counts_[c] for c in classes.tolist()], dtype=np.int64)
        for label, quota, within in zip(classes.tolist(), self._quota, self._within, strict=True):
            if quota and not within.positive:
                raise ValueError(
                    f"Class {label!r} is asked for {quota} rows but all its weights are zero."
                )
            if self.replacement is False and quota > within.positive:
                raise ValueError(
                    f"Cannot draw {quota} rows of class {label!r} without replacement: "
                    f"it has {within.positive} (with a positive weight). Over-sampling "
                    "needs replacement=None (every row plus drawn copies) or True."
                )
        self._n_rows = len(y)
        super().__init__(check_num_draws(int(self._quota.sum())), generator)

    num_samples = property(_EpochSampler.num_samples.fget, _fixed_size)

    def _rows(self) -> int:
        return self._n_rows

    def _identity(self) -> dict:
        return {**super()._identity(), "replacement": self.replacement}

    def _draw(self, rng: np.random.Generator) -> np.ndarray:
        if not self.replacement:  # None (imbalanced-learn's meaning) or False
            parts = [
                within.draw(int(q), False, rng)
                if self.replacement is False
                else within.draw_as_imblearn(int(q), rng)
                for within, q in zip(self._within, self._quota, strict=True)
            ]
            epoch = np.concatenate(parts)
            rng.shuffle(epoch)  # in place: one pass fewer than a permutation and a gather
            return epoch
        # With replacement the rows of a class are i.i.d., so only the order of the
        # classes needs shuffling. It is built block by block: how many of each
        # class a block holds is multivariate hypergeometric given what is left
        # (exactly the law of a uniformly shuffled epoch), and each block is
        # shuffled within itself, in cache.
        streams = [
            within.draw(int(q), True, rng)
            for within, q in zip(self._within, self._quota, strict=True)
        ]
        total = int(self._quota.sum())
        epoch = np.empty(total, dtype=np.int64)
        left, taken = self._quota.astype(np.int64), np.zeros(len(self._quota), np.int64)
        for start in range(0, total, _BLOCK):
            size = min(_BLOCK, total - start)
            counts = rng.multivariate_hypergeometric(left, size) if size < left.sum() else left
            block = np.concatenate(
                [streams[c][taken[c] : taken[c] + counts[c]] for c in np.flatnonzero(counts)]
            )
            epoch[start : start + size] = block[rng.permutation(size)]
            taken += counts
            left = left - counts
        return epoch


class BalancedBatchSampler(_EpochSampler):
    """Batches with a fixed class composition, for ``DataLoader(batch_sampler=...)``.

    Two compositions:

    * **shares** (default): every batch holds ``round(share_c * batch_size)``
      rows of class *c*, the same counts in every batch (largest remainders,
      ties to the class first in sorted order; at least one row of every
      class with a positive share, taken from the classes with more).
      ``class_shares="equal"`` gives equal shares,
      ``"stratified"`` the classes' own frequencies, a dict ``{label: share}``
      any other;
    * **P x K** (metric learning): ``classes_per_batch=P`` classes drawn at
      random for each batch, ``samples_per_class=K`` rows of each.

    Without replacement each class is walked through in a random order
    (weighted by ``sample_weight``, which then sets only the order) and
    restarted when it runs out, so every row is used before any repeats, and
    no batch holds a row twice (a batch that straddles a restart takes the new
    walk's first rows that it does not hold yet, as catalyst's and
    pytorch-metric-learning's samplers never repeat a row in a batch: in
    metric learning such a repeat is a trivial positive pair).
    Under ``DistributedDataParallel`` every rank computes the same batches for
    the epoch and keeps batches ``rank, rank + num_replicas, ...``: each
    rank's batches are stratified, and together they are one draw.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Class labels.
    batch_size : int, default=None
        Rows per batch (shares mode); ``P * K`` in P x K mode.
    class_shares : "equal", "stratified" or dict, default="equal"
        The composition of a batch in shares mode.
    classes_per_batch, samples_per_class : int, default=None
        P and K: both given selects P x K mode.
    num_batches : int, default=None
        Batches per epoch over all ranks; ``None`` covers about as many rows
        as there are (``len(y) // batch_size``, at least one).
    sample_weight : array-like of shape (n_samples,), default=None
        Within-class weights.
    replacement : bool or None, default=False
        ``False``: walk through each class as above (a class with fewer rows
        than its share of a batch is an error). ``True``: rows within a class
        drawn i.i.d. with replacement. ``None``: for a class that has at least
        as many rows as its share of a batch, walked through as with
        ``False`` if its rows weigh alike, or drawn in proportion to
        ``sample_weight`` with no row twice in a batch; for a smaller class,
        with replacement.
    generator : torch.Generator, default=None
        Source of randomness.
    num_replicas, rank : int, default=1, 0
        Data-parallel sharding.

    Attributes
    ----------
    batch_counts_ : dict
        ``{label: rows per batch}`` in shares mode.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from wsample_sk import BalancedBatchSampler
    >>> y = np.array([0] * 90 + [1] * 10)
    >>> s = BalancedBatchSampler(y, batch_size=10, generator=torch.Generator().manual_seed(0))
    >>> [int(np.sum(y[b] == 1)) for b in s][:3]
    [5, 5, 5]
    """

    def __init__(
        self,
        y: Any,
        batch_size: int | None = None,
        *,
        class_shares: Any = "equal",
        classes_per_batch: int | None = None,
        samples_per_class: int | None = None,
        num_batches: int | None = None,
        sample_weight: Any = None,
        replacement: bool | None = False,
        generator: torch.Generator | None = None,
        num_replicas: int = 1,
        rank: int = 0,
    ) -> None:
        self.replacement = None if replacement is None else check_flag(replacement, "replacement")
        self.num_replicas, self.rank = check_world(num_replicas, rank)
        y, self.classes_, counts, self._within = _rows_by_class(y, sample_weight)
        pk = classes_per_batch is not None or samples_per_class is not None
        if pk:
            self._setup_pk(classes_per_batch, samples_per_class, batch_size)
        else:
            self._setup_shares(class_shares, batch_size, counts)
        self._check_enough_rows()
        if num_batches is None:
            num_batches = max(1, len(y) // self.batch_size)
        self.num_batches = check_count(num_batches, "num_batches")
        self.batches_per_rank = math.ceil(self.num_batches / self.num_replicas)
        check_num_draws(self.num_batches * self.batch_size, "num_batches * batch_size")
        self._n_rows = len(y)
        super().__init__(self.batches_per_rank, generator)

    num_samples = property(_EpochSampler.num_samples.fget, _fixed_size)
    _UNIT = "batches"

    def _rows(self) -> int:
        return self._n_rows

    def _identity(self) -> dict:
        return {
            **super()._identity(),
            "batch_size": self.batch_size,
            "num_batches": self.num_batches,
            "num_replicas": self.num_replicas,
            "replacement": self.replacement,
        }

    # -- composition ----------------------------------------------------------
    def _setup_pk(self, p, k, batch_size):
        if p is None or k is None:
            raise ValueError("classes_per_batch and samples_per_class go together (P x K).")
        self.classes_per_batch = check_count(p, "classes_per_batch")
        self.samples_per_class = check_count(k, "samples_per_class")
        if self.classes_per_batch > len(self.classes_):
            raise ValueError(f"classes_per_batch={p} but y has {len(self.classes_)} classes.")
        size = self.classes_per_batch * self.samples_per_class
        if batch_size is not None and batch_size != size:
            raise ValueError(
                f"batch_size={batch_size} does not match classes_per_batch x "
                f"samples_per_class = {size}; leave it None."
            )
        self.batch_size = size
        self._per_batch = None
        self.batch_counts_ = None

    def _setup_shares(self, shares, batch_size, counts):
        if batch_size is None:
            raise ValueError("batch_size is required (or classes_per_batch and samples_per_class).")
        self.batch_size = check_count(batch_size, "batch_size")
        k = len(self.classes_)
        if isinstance(shares, str) and shares == "equal":
            share = np.ones(k)
        elif isinstance(shares, str) and shares == "stratified":
            share = counts.astype(np.float64)
        elif isinstance(shares, Mapping):
            unknown = [c for c in shares if c not in set(self.classes_.tolist())]
            if unknown:
                raise ValueError(
                    f"class_shares names class(es) {unknown!r} that are not in y "
                    f"({self.classes_.tolist()!r})."
                )
            share = np.array([float(shares.get(c, 0.0)) for c in self.classes_.tolist()])
        else:
            raise ValueError(
                "class_shares must be 'equal', 'stratified' or a dict {label: share}; "
                f"got {shares!r}."
            )
        share = check_sampling_weights(share, name="class_shares")
        positive = share > 0
        if positive.sum() > self.batch_size:
            raise ValueError(
                f"batch_size={self.batch_size} cannot hold one row of each of the "
                f"{int(positive.sum())} classes with a positive share."
            )
        exact = share / share.sum() * self.batch_size
        per = np.floor(exact).astype(np.int64)
        per[positive & (per == 0)] = 1  # every class with a share is in every batch
        while per.sum() > self.batch_size:  # taken back where most over, never below one
            over = np.where(per > 1, per - exact, -np.inf)
            per[np.argmax(over)] -= 1
        while per.sum() < self.batch_size:  # largest remainders
            per[np.argmax(exact - per)] += 1
        self._per_batch = per
        self.batch_counts_ = dict(zip(self.classes_.tolist(), per.tolist(), strict=True))

    def _check_enough_rows(self):
        need = (
            np.full(len(self.classes_), self.samples_per_class)
            if self._per_batch is None
            else self._per_batch
        )
        self._need = need
        self._iid = np.zeros(len(self.classes_), dtype=bool)  # classes drawn with replacement
        self._by_weight = np.zeros(len(self.classes_), dtype=bool)
        for c, (label, k, within) in enumerate(
            zip(self.classes_.tolist(), need, self._within, strict=True)
        ):
            if k and within.positive == 0:
                raise ValueError(f"Class {label!r} has no row with a positive weight.")
            self._iid[c] = self.replacement is True or (
                self.replacement is None and k > within.positive
            )
            # weighted rows, replacement=None: drawn by weight, but never twice in a batch
            self._by_weight[c] = (
                self.replacement is None and within.weights is not None and not self._iid[c]
            )
            if self.replacement is False and k > within.positive:
                raise ValueError(
                    f"Class {label!r} has {within.positive} rows, fewer than the {k} a "
                    "batch needs without replacement; pass replacement=True (or None: "
                    "with replacement only for such classes) or a smaller K "
                    "(samples_per_class) / batch_size."
                )

    # -- the draw ------------------------------------------------------------------
    def _class_stream(self, c: int, total: int, rng: np.random.Generator) -> np.ndarray:
        """``total`` rows of class ``c``, taken ``k`` (its rows per batch) at a time:
        i.i.d., or walks through the class with no row twice in one batch."""
        within = self._within[c]
        if self._iid[c]:
            return within.draw(total, True, rng)
        k, size = int(self._need[c]), within.positive
        if self._by_weight[c]:  # i.i.d. by weight; a batch holding a row twice is redrawn
            chunks = within.draw(total, True, rng).reshape(-1, k)
            ordered = np.sort(chunks, axis=1)
            for i in np.flatnonzero((ordered[:, 1:] == ordered[:, :-1]).any(axis=1)):
                chunks[i] = within.draw(k, False, rng)
            return chunks.ravel()
        chunks, done = [], 0
        while done < total:
            # a whole walk (or what is left, plus room to swap in), then the batch
            # that straddles the restart gets distinct rows
            take = min(size, total - done + k)
            walk = within.draw(take, False, rng)
            if chunks and done % k:
                held = set(chunks[-1][len(chunks[-1]) - done % k :].tolist())
                _move_back(walk, held, k - done % k)
            chunks.append(walk[: min(size, total - done)])
            done += len(chunks[-1])
        return np.concatenate(chunks) if chunks else within.rows[:0]

    def _draw(self, rng: np.random.Generator) -> np.ndarray:
        n_b, bs = self.num_batches, self.batch_size
        batches = np.empty((n_b, bs), dtype=np.int64)
        if self._per_batch is not None:
            col = 0
            for c, per in enumerate(self._per_batch):
                if per:
                    stream = self._class_stream(c, n_b * per, rng)
                    batches[:, col : col + per] = stream.reshape(n_b, per)
                    col += per
        else:
            p, k = self.classes_per_batch, self.samples_per_class
            chosen = np.argsort(rng.random((n_b, len(self.classes_))), axis=1)[:, :p]
            for c in range(len(self.classes_)):
                where = np.argwhere(chosen == c)  # (batch, slot) pairs, in batch order
                if len(where):
                    stream = self._class_stream(c, len(where) * k, rng).reshape(-1, k)
                    for j in range(k):
                        batches[where[:, 0], where[:, 1] * k + j] = stream[:, j]
        batches = rng.permuted(batches, axis=1)  # the classes of a batch, not in blocks
        if self.num_replicas > 1:
            padded = self.batches_per_rank * self.num_replicas
            batches = np.resize(batches, (padded, bs))  # repeats the head
            batches = batches[self.rank :: self.num_replicas]
        return batches
