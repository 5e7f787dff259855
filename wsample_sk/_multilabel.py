"""Multi-label draws over a 0/1 indicator matrix ``Y`` of shape (n, L).

The pure numpy layer of multi-label weighted sampling (the design notes'
"Multi-label conventions"). ``Y`` may be a numpy array or a scipy sparse
matrix; it is held as CSR and never densified, so a 10^6 x 1000 matrix at 1%
density costs memory in proportion to its positives.

* :func:`check_label_matrix` validates ``Y``; :func:`label_counts` counts the
  positives of each label.
* :func:`rarity_weights` gives per-row weights from label rarity (the mean or
  the maximum of the inverse label frequencies of a row's positive labels),
  for :class:`~wsample_sk.WeightedSampler`.
* :class:`ClassAwareSampler` draws a label, then a row among that label's
  positives (Shen et al. 2016); :func:`class_aware_row_probabilities` gives
  the exact per-row probability of such a draw.
* :func:`expected_label_frequencies` and :func:`drawn_label_frequencies`: the
  share of draws that carry each label, expected and observed.

Notation, used throughout: ``n_l`` the number of rows with label ``l``,
``f_l = n_l / n`` its frequency, ``P_i`` the set of positive labels of row
``i`` and ``L'`` the number of labels with at least one positive row. A label
with no positive row is in no ``P_i``: it contributes nothing to any weight
and is never drawn.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch

from ._samplers import _CHUNK, _EpochSampler, _GuideTable, _weighted_permutation
from ._validation import check_flag, check_num_draws, check_real, check_sampling_weights, relative

__all__ = [
    "ClassAwareSampler",
    "check_label_matrix",
    "class_aware_row_probabilities",
    "drawn_label_frequencies",
    "expected_label_frequencies",
    "label_counts",
    "rarity_weights",
]

RULES = ("mean", "max")
EMPTY_RULES = ("share", "zero")


# -- validation -----------------------------------------------------------------
def _bad_value(name: str, value: Any, row: int, col: int, count: int | None = None) -> ValueError:
    total = f" ({count} values outside {{0, 1}} in all)" if count and count > 1 else ""
    return ValueError(
        f"{name} must be a binary indicator matrix with values 0 or 1; got {value!r} "
        f"at (row {row}, column {col}){total}."
    )


def _check_shape(name: str, shape: tuple) -> tuple[int, int]:
    if len(shape) != 2:
        hint = (
            " (a 1-D y is a single-label target; pass y.reshape(-1, 1) for one label)"
            if len(shape) == 1
            else ""
        )
        raise ValueError(
            f"{name} must be 2-D, one row per sample and one column per label; got "
            f"{len(shape)}-D input of shape {tuple(shape)}{hint}."
        )
    n, n_labels = (int(s) for s in shape)
    if n_labels < 1:
        raise ValueError(f"{name} has no labels (shape {tuple(shape)}); it needs at least one.")
    if n < 1:
        raise ValueError(f"{name} has no rows (shape {tuple(shape)}); it needs at least one.")
    return n, n_labels


def _sparse_to_csr(Y: Any, name: str) -> sp.csr_matrix:
    """A canonical CSR copy of a sparse ``Y`` with int8 ones (checked, zeros dropped)."""
    m = sp.csr_matrix(Y)  # may share its arrays with Y: nothing below writes to them
    if m.dtype.kind not in "biuf":
        raise ValueError(
            f"{name} must hold real numbers 0 or 1; got a sparse matrix of dtype {m.dtype}."
        )
    if not m.has_canonical_format:  # duplicates would add up; sort first
        m = m.copy()
        m.sum_duplicates()
    data = m.data
    if data.dtype.kind != "b":
        bad = (data != 0) & (data != 1)
        if bad.any():
            k = int(np.argmax(bad))  # the first in row-major order (indices are sorted)
            row = int(np.searchsorted(m.indptr, k, side="right")) - 1
            raise _bad_value(name, data[k].item(), row, int(m.indices[k]), int(bad.sum()))
    keep = data != 0
    if keep.all():
        indices, indptr = m.indices.copy(), m.indptr.copy()
    else:  # explicit zeros: drop them; a row starts after the entries kept before it
        indices = m.indices[keep]
        indptr = np.r_[0, np.cumsum(keep)][m.indptr].astype(m.indptr.dtype)
    out = sp.csr_matrix((np.ones(len(indices), np.int8), indices, indptr), shape=m.shape)
    out.has_sorted_indices = True
    return out


def _dense_to_csr(Y: Any, name: str) -> sp.csr_matrix:
    arr = np.asarray(Y)
    _check_shape(name, arr.shape)
    if arr.dtype.kind == "b":
        return sp.csr_matrix(arr, dtype=np.int8)
    if arr.dtype.kind in "iufO":
        ones, zeros = arr == 1, arr == 0
        bad = ~(ones | zeros)
        if bad.any():
            i, j = np.unravel_index(int(np.argmax(bad)), arr.shape)
            value = arr[i, j]
            value = value.item() if isinstance(value, np.generic) else value
            raise _bad_value(name, value, int(i), int(j), int(bad.sum()))
        return sp.csr_matrix(ones, dtype=np.int8)
    first = arr.flat[0] if arr.size else None
    raise ValueError(
        f"{name} must hold real numbers 0 or 1; got an array of dtype {arr.dtype} "
        f"(first value {first!r})."
    )


def check_label_matrix(Y: Any, name: str = "Y") -> tuple[sp.csr_matrix, int, int]:
    """Validate a binary indicator matrix and return it as CSR of int8 ones.

    Parameters
    ----------
    Y : array-like or scipy sparse matrix of shape (n, L)
        ``Y[i, l] = 1`` when row ``i`` has label ``l``, else 0: a numpy array
        (bool, int, float), anything :func:`numpy.asarray` takes, or a scipy
        sparse matrix or array in any format. A sparse ``Y`` is never
        densified; its duplicate entries add up (scipy's convention) and its
        explicit zeros are dropped.
    name : str, default="Y"
        How ``Y`` is named in error messages.

    Returns
    -------
    Y : scipy.sparse.csr_matrix of shape (n, L), dtype int8
        A new matrix (the input is never modified) in canonical format:
        sorted column indices, no duplicates, one stored 1 per positive.
    n : int
        The number of rows.
    L : int
        The number of labels (columns), at least 1.

    Raises
    ------
    ValueError
        If ``Y`` is not 2-D, has no row or no label, is not numeric (complex
        values included), or holds a value other than 0 and 1 (the message
        names the first one in row-major order and its row and column).

    Examples
    --------
    >>> import numpy as np
    >>> from wsample_sk._multilabel import check_label_matrix
    >>> Y, n, L = check_label_matrix(np.array([[1, 0], [1, 1], [0, 0]]))
    >>> Y.nnz, n, L
    (3, 3, 2)
    >>> check_label_matrix([[1, 0], [0, 2]])
    Traceback (most recent call last):
    ...
    ValueError: Y must be a binary indicator matrix with values 0 or 1; got 2 at (row 1, column 1).
    """
    if sp.issparse(Y):
        _check_shape(name, Y.shape)
        csr = _sparse_to_csr(Y, name)
    else:
        csr = _dense_to_csr(Y, name)
    n, n_labels = csr.shape
    return csr, int(n), int(n_labels)


def _check_label_weights(label_weights: Any, n_labels: int) -> np.ndarray:
    return check_sampling_weights(
        label_weights, n_labels, name="label_weights", allow_all_zero=True
    )


def _per_row(
    Y: sp.csr_matrix, values: np.ndarray, ufunc: np.ufunc
) -> tuple[np.ndarray, np.ndarray]:
    """``ufunc`` of ``values[l]`` over each row's positive labels, and ``|P_i|``.

    One ``reduceat`` over the stored entries (no loop over rows); rows with no
    positive get 0.
    """
    sizes = np.diff(Y.indptr)
    out = np.zeros(Y.shape[0])
    nonempty = sizes > 0
    if nonempty.any():
        out[nonempty] = ufunc.reduceat(values[Y.indices], Y.indptr[:-1][nonempty])
    return out, sizes


# -- counts and weights ---------------------------------------------------------
def label_counts(Y: Any) -> np.ndarray:
    """The number of positive rows of each label, ``n_l``.

    Parameters
    ----------
    Y : array-like or scipy sparse matrix of shape (n, L)
        A binary indicator matrix (see :func:`check_label_matrix`).

    Returns
    -------
    counts : ndarray of shape (L,), dtype int64

    Examples
    --------
    >>> from wsample_sk._multilabel import label_counts
    >>> label_counts([[1, 0, 0], [1, 1, 0], [0, 0, 0]])
    array([2, 1, 0])
    """
    csr, _, n_labels = check_label_matrix(Y)
    return _label_counts(csr, n_labels)


def _label_counts(Y: sp.csr_matrix, n_labels: int) -> np.ndarray:
    return np.bincount(Y.indices, minlength=n_labels).astype(np.int64, copy=False)


def label_counts_of(Y: sp.csr_matrix) -> np.ndarray:
    """:func:`label_counts` of a matrix :func:`check_label_matrix` already returned."""
    return _label_counts(Y, Y.shape[1])


def rarity_weights(
    Y: Any,
    rule: str = "mean",
    empty: str | float = "share",
    label_weights: Any = None,
) -> np.ndarray:
    """Per-row sampling weights from the rarity of each row's labels.

    With ``c_l`` the weight of label ``l`` (by default its inverse frequency
    ``c_l = 1 / f_l = n / n_l``) and ``P_i`` the positive labels of row ``i``:

    * ``rule="mean"``: ``w_i = (1 / |P_i|) * sum_{l in P_i} c_l``;
    * ``rule="max"``:  ``w_i = max_{l in P_i} c_l``.

    A label with no positive row (``n_l = 0``, where ``1 / f_l`` is
    undefined) is in no ``P_i``: it is ignored by both sums, and so is its
    entry of ``label_weights``. Rows with no positive label (``P_i`` empty)
    follow ``empty``:

    * ``"share"``: ``w_i = n / n_0``, ``n_0`` the number of such rows, that is
      1 / (their share): "no label" weighs as one more class with its inverse
      frequency, on the scale of ``c_l = 1 / f_l``;
    * ``"zero"``: ``w_i = 0``, never drawn;
    * a non-negative float: that weight.

    Parameters
    ----------
    Y : array-like or scipy sparse matrix of shape (n, L)
        A binary indicator matrix (see :func:`check_label_matrix`).
    rule : {"mean", "max"}, default="mean"
        How the weights of a row's labels combine.
    empty : "share", "zero" or float, default="share"
        The weight of rows with no positive label.
    label_weights : array-like of shape (L,), default=None
        Label weights ``c_l`` to use in place of ``1 / f_l`` (finite,
        non-negative): for instance ``f_l ** -0.5`` (square root) or
        ``(1 - beta) / (1 - beta ** n_l)`` (effective number of samples, Cui
        et al. 2019), or any class-level weights. Combined by ``rule`` as
        above. ``empty="share"`` still gives ``n / n_0``, which is on the
        scale of inverse frequencies; with weights on another scale, give the
        weight of those rows as a float.

    Returns
    -------
    weights : ndarray of shape (n,), dtype float64
        Relative weights for :class:`~wsample_sk.WeightedSampler` (they need
        not sum to one). Computed with one pass over the positives of ``Y``
        (no loop over rows).

    Raises
    ------
    ValueError
        If ``Y`` is not a binary indicator matrix, ``rule`` or ``empty`` is
        not one of the above, or ``label_weights`` is not one finite,
        non-negative number per label.

    Examples
    --------
    >>> import numpy as np
    >>> from wsample_sk import rarity_weights
    >>> Y = np.array([[1, 0], [1, 0], [1, 1], [0, 0]])  # f = [3/4, 1/4]
    >>> rarity_weights(Y)  # row 2: (4/3 + 4) / 2; row 3: 1 / (1/4)
    array([1.33333333, 1.33333333, 2.66666667, 4.        ])
    >>> rarity_weights(Y, rule="max", empty="zero")
    array([1.33333333, 1.33333333, 4.        , 0.        ])
    """
    if rule not in RULES:
        raise ValueError(f"rule must be one of {RULES}; got {rule!r}.")
    if not (isinstance(empty, str) and empty in EMPTY_RULES):
        if isinstance(empty, (bool, np.bool_)) or not isinstance(empty, numbers.Real):
            raise ValueError(
                f"empty must be one of {EMPTY_RULES} or a non-negative float; got {empty!r}."
            )
        empty = check_real(empty, "empty", 0.0, math.inf, closed="left")
    csr, n, n_labels = check_label_matrix(Y)
    counts = _label_counts(csr, n_labels)
    if label_weights is None:
        c = np.divide(n, counts, out=np.zeros(n_labels), where=counts > 0)
    else:
        c = _check_label_weights(label_weights, n_labels)
    top = c.max()
    scaled = relative(c)  # sums of relative weights never overflow
    if rule == "mean":
        sums, sizes = _per_row(csr, scaled, np.add)
        weights = np.divide(sums, sizes, out=sums, where=sizes > 0)
    else:
        weights, sizes = _per_row(csr, scaled, np.maximum)
    weights *= top
    no_label = sizes == 0
    n_empty = int(no_label.sum())
    if n_empty:
        if empty == "share":
            empty = n / n_empty
        weights[no_label] = 0.0 if empty == "zero" else empty
    return weights


# -- class-aware sampling -------------------------------------------------------
def _label_probabilities(counts: np.ndarray, label_weights: Any) -> np.ndarray:
    """First-stage probabilities: uniform (or by weight) over labels with positives."""
    has_rows = counts > 0
    if not has_rows.any():
        raise ValueError(
            "Y has no positive entry: class-aware sampling needs at least one label "
            "with a positive row."
        )
    if label_weights is None:
        q = has_rows.astype(np.float64)
    else:
        q = relative(_check_label_weights(label_weights, len(counts)))
        q[~has_rows] = 0.0  # labels with no row cannot be drawn: their weight is ignored
        if not q.any():
            raise ValueError(
                "label_weights are zero on every label that has a positive row; "
                "there is no label to draw."
            )
    return q / q.sum()


def _row_probabilities(Y: sp.csr_matrix, counts: np.ndarray, q: np.ndarray) -> np.ndarray:
    per_row = np.divide(q, counts, out=np.zeros(len(q)), where=counts > 0)
    return _per_row(Y, per_row, np.add)[0]


def class_aware_row_probabilities(Y: Any, label_weights: Any = None) -> np.ndarray:
    """The probability that one class-aware draw picks each row.

    A draw picks label ``l`` with probability ``q_l`` (``1 / L'`` over the
    ``L'`` labels with a positive row, or ``label_weights`` normalised over
    those labels), then one of its ``n_l`` positive rows uniformly, so

    ``p_i = sum_{l in P_i} q_l / n_l``  (uniform: ``sum_{l in P_i} 1 / (L' n_l)``).

    Rows with no positive label get 0; labels with no positive row are never
    picked (their ``label_weights`` entry is ignored). The result sums to 1.

    Parameters
    ----------
    Y : array-like or scipy sparse matrix of shape (n, L)
        A binary indicator matrix (see :func:`check_label_matrix`).
    label_weights : array-like of shape (L,), default=None
        Relative first-stage weights of the labels; ``None`` is uniform.

    Returns
    -------
    p : ndarray of shape (n,), dtype float64

    Raises
    ------
    ValueError
        If ``Y`` is not a binary indicator matrix or has no positive entry,
        or ``label_weights`` is not one finite, non-negative number per label
        with a positive one on a label that has a positive row.

    Examples
    --------
    >>> from wsample_sk import class_aware_row_probabilities
    >>> Y = [[1, 0], [1, 0], [1, 1], [0, 0]]  # n_l = [3, 1]; L' = 2
    >>> class_aware_row_probabilities(Y)  # 1/6, 1/6, 1/6 + 1/2, 0
    array([0.16666667, 0.16666667, 0.66666667, 0.        ])
    """
    csr, _, n_labels = check_label_matrix(Y)
    counts = _label_counts(csr, n_labels)
    return _row_probabilities(csr, counts, _label_probabilities(counts, label_weights))


class ClassAwareSampler(_EpochSampler):
    """Class-aware sampling for multi-label data (Shen et al. 2016).

    Each draw picks a label uniformly among the ``L'`` labels that have a
    positive row (or in proportion to ``label_weights`` among them), then a
    row uniformly among that label's ``n_l`` positive rows. Row ``i`` is
    drawn with probability ``p_i = sum_{l in P_i} q_l / n_l`` (uniform:
    ``sum_{l in P_i} 1 / (L' n_l)``; see
    :func:`class_aware_row_probabilities`). Rows with no positive label are
    never drawn (``rarity_weights``' ``empty`` rule does not apply here), nor
    are labels with no positive row.

    The label-to-rows index is built once from ``Y``'s positives (O(nnz));
    each pass draws its labels, then the positions within their rows, in
    vectorised chunks. As the package's other samplers, it reseeds per epoch
    (:meth:`set_epoch`) and resumes mid-pass (``state_dict`` /
    ``load_state_dict``; a state of another kind, number of rows or labels,
    ``num_samples`` or ``replacement`` is refused).

    Parameters
    ----------
    Y : array-like or scipy sparse matrix of shape (n, L)
        A binary indicator matrix (see :func:`check_label_matrix`); sparse
        stays sparse. At least one entry must be positive.
    num_samples : int, default=None
        Draws per pass; ``None`` means ``n``.
    replacement : bool, default=True
        Draw with replacement (i.i.d. class-aware draws). Without replacement,
        each row appears at most once, drawn successively in proportion to
        ``p_i`` (as :class:`~wsample_sk.WeightedSampler` does with weights
        ``p``); ``num_samples`` may then not exceed the number of rows with
        ``p_i > 0``.
    generator : torch.Generator, default=None
        Source of randomness; ``None`` uses torch's global generator.
    label_weights : array-like of shape (L,), default=None
        Relative first-stage weights of the labels (finite, non-negative);
        ``None`` is uniform over the labels with a positive row.

    Attributes
    ----------
    label_counts : ndarray of shape (L,)
        ``n_l``, the positive rows of each label.
    label_probabilities : ndarray of shape (L,)
        ``q_l``, the probability that a draw picks label ``l`` (0 for labels
        with no positive row).

    Examples
    --------
    >>> import numpy as np, torch
    >>> from wsample_sk import ClassAwareSampler
    >>> Y = np.array([[1, 0], [1, 0], [1, 0], [0, 1], [0, 0]])
    >>> sampler = ClassAwareSampler(Y, num_samples=1000,
    ...                             generator=torch.Generator().manual_seed(0))
    >>> rows = sampler.draw()
    >>> len(rows), 4 in rows  # row 4 has no label: never drawn
    (1000, False)
    >>> bool(0.45 < np.mean(rows == 3) < 0.55)  # label 1 (only row 3): half the draws
    True
    """

    def __init__(
        self,
        Y: Any,
        num_samples: int | None = None,
        replacement: bool = True,
        generator: torch.Generator | None = None,
        label_weights: Any = None,
    ) -> None:
        self.replacement = check_flag(replacement, "replacement")
        csr, n, n_labels = check_label_matrix(Y)
        super().__init__(n if num_samples is None else check_num_draws(num_samples), generator)
        self.n, self.n_labels = n, n_labels
        self.label_counts = _label_counts(csr, n_labels)
        self.label_probabilities = _label_probabilities(self.label_counts, label_weights)
        drawn = np.flatnonzero(self.label_probabilities)  # the labels a draw may pick
        # label -> rows: the column-major order of the positives (O(nnz))
        csc = csr.tocsc()
        self._rows_of = csc.indices.astype(np.int32 if n < 2**31 else np.int64, copy=False)
        counts = self.label_counts[drawn]
        self._start = csc.indptr[drawn].astype(np.int64)
        self._count = counts.astype(np.float64)
        self._last = self._start + counts - 1
        q = self.label_probabilities[drawn]
        self._labels = None if np.all(q == q[0]) else _GuideTable(q)  # None: uniform
        if not self.replacement:
            self._p = _row_probabilities(csr, self.label_counts, self.label_probabilities)
            self._check_positive()

    def _rows(self) -> int:
        return self.n

    def _identity(self) -> dict:
        return {**super()._identity(), "labels": self.n_labels, "replacement": self.replacement}

    def _check_positive(self) -> None:
        n_positive = int(np.count_nonzero(self._p))
        if self.num_samples > n_positive:
            raise ValueError(
                f"Cannot draw {self.num_samples} rows without replacement: only "
                f"{n_positive} rows have a positive label that can be drawn."
            )

    def _draw(self, rng: np.random.Generator) -> np.ndarray:
        k = self.num_samples
        if not self.replacement:
            self._check_positive()  # num_samples may have changed
            return _weighted_permutation(self._p, k, rng)
        out = np.empty(k, dtype=np.int64)
        size = min(_CHUNK, k)
        u_buf, r_buf = np.empty(size), np.empty(size, dtype=np.int64)
        n_drawn = len(self._start)
        for begin in range(0, k, size):
            m = min(size, k - begin)
            u, r = u_buf[:m], r_buf[:m]
            if self._labels is None:
                g = rng.integers(0, n_drawn, size=m)
            else:
                g = self._labels.draw(m, rng)
            rng.random(out=u)  # the position among the label's rows ...
            u *= self._count[g]
            np.copyto(r, u, casting="unsafe")
            r += self._start[g]
            np.minimum(r, self._last[g], out=r)  # ... which rounding never leaves
            out[begin : begin + m] = self._rows_of[r]
        return out


# -- label frequencies ----------------------------------------------------------
def _frequencies(Y: sp.csr_matrix, n_labels: int, mass: np.ndarray) -> np.ndarray:
    """``sum_i mass_i Y_il / sum_i mass_i`` for each label, over the positives only."""
    share = relative(mass)
    share /= share.sum()
    return np.bincount(Y.indices, weights=np.repeat(share, np.diff(Y.indptr)), minlength=n_labels)


def expected_label_frequencies(Y: Any, row_probabilities: Any) -> np.ndarray:
    """The expected share of draws that carry each label.

    ``E_l = sum_i p_i Y_il``, with ``p`` the per-row draw probabilities
    (normalised to sum to 1 first, so relative weights such as
    :func:`rarity_weights` may be passed as they are). A row may carry
    several labels, so the shares of all labels may add up to more than 1.

    Parameters
    ----------
    Y : array-like or scipy sparse matrix of shape (n, L)
        A binary indicator matrix (see :func:`check_label_matrix`).
    row_probabilities : array-like of shape (n,)
        The probability (or relative weight) with which a draw picks each
        row: finite, non-negative, at least one positive.

    Returns
    -------
    frequencies : ndarray of shape (L,), dtype float64

    Examples
    --------
    >>> from wsample_sk import class_aware_row_probabilities
    >>> from wsample_sk._multilabel import expected_label_frequencies
    >>> Y = [[1, 0], [1, 0], [1, 1], [0, 0]]
    >>> expected_label_frequencies(Y, class_aware_row_probabilities(Y))
    array([1.        , 0.66666667])
    >>> expected_label_frequencies(Y, [1, 1, 1, 1])  # natural frequencies
    array([0.75, 0.25])
    """
    csr, n, n_labels = check_label_matrix(Y)
    p = check_sampling_weights(row_probabilities, n, name="row_probabilities")
    return _frequencies(csr, n_labels, p)


def drawn_label_frequencies(Y: Any, rows: Any) -> np.ndarray:
    """The observed share of draws that carry each label.

    ``F_l = (1 / k) * sum_j Y[rows_j, l]`` over the ``k`` drawn rows: the
    empirical counterpart of :func:`expected_label_frequencies`.

    Parameters
    ----------
    Y : array-like or scipy sparse matrix of shape (n, L)
        A binary indicator matrix (see :func:`check_label_matrix`).
    rows : array-like of int, shape (k,)
        Drawn row indices in ``[0, n)`` (a sampler's pass, for instance), at
        least one.

    Returns
    -------
    frequencies : ndarray of shape (L,), dtype float64

    Examples
    --------
    >>> from wsample_sk._multilabel import drawn_label_frequencies
    >>> drawn_label_frequencies([[1, 0], [1, 0], [1, 1], [0, 0]], [2, 2, 3, 0])
    array([0.75, 0.5 ])
    """
    csr, n, n_labels = check_label_matrix(Y)
    idx = np.asarray(rows)
    if idx.ndim != 1 or idx.size == 0 or idx.dtype.kind not in "iu":
        raise ValueError(
            "rows must be a non-empty 1-D array of integer row indices; got an array "
            f"of dtype {idx.dtype} and shape {idx.shape}."
        )
    outside = (idx < 0) | (idx >= n)
    if outside.any():
        j = int(np.argmax(outside))
        raise ValueError(f"rows must be in [0, {n - 1}]; got {idx[j]} at position {j}.")
    return _frequencies(csr, n_labels, np.bincount(idx, minlength=n).astype(np.float64))
