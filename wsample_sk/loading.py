"""Batch-level loading of arrays and tensors.

skorch's default :class:`skorch.dataset.Dataset` is fetched row by row and
collated, which costs several times the model's own work on small tabular
networks. :class:`ArrayDataset` holds ``X`` and ``y`` as tensors and is
indexed by a whole batch of indices at once (see
:class:`wsample_sk.samplers.BatchIndexSampler`); a training split is a view
(``rows``), not a copy. :class:`WeightedDataset` does the same bookkeeping for
any other torch ``Dataset`` (the general, row-by-row path).

Both carry, per row, the encoded ``targets`` and the caller's
``sample_weight``, so that after a train/valid split the training part's
weights are computed from the training part alone; ``weights`` holds what a
weighted loss uses (returned with each batch when ``return_weights``).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import torch
from skorch.utils import data_from_dataset
from torch.utils.data import Dataset, Subset

__all__ = ["ArrayDataset", "WeightedDataset"]


def _take(values: np.ndarray | None, indices: np.ndarray) -> np.ndarray | None:
    return None if values is None else values[indices]


def _take_rows(t: torch.Tensor, pos: slice | torch.Tensor) -> torch.Tensor:
    """Rows of ``t``: a view for a slice, one ``index_select`` for indices."""
    if isinstance(pos, slice):
        return t[pos]
    if pos.dim() == 1:  # the batch case
        return t.index_select(0, pos)
    return t.index_select(0, pos.reshape(-1)).reshape(*pos.shape, *t.shape[1:])


class ArrayDataset(Dataset):
    """Tensors ``X`` (and ``y``) indexed by whole batches.

    Parameters
    ----------
    X : ndarray or torch.Tensor of shape (n_samples, ...)
        Features; a numpy array is wrapped without a copy.
    y : ndarray or torch.Tensor of shape (n_samples,), default=None
        Encoded targets.
    weights : ndarray of shape (n_samples,), default=None
        Per-row loss weights, returned with each batch when ``return_weights``.
    return_weights : bool, default=False
        Return ``(X_batch, (y_batch, w_batch))`` instead of
        ``(X_batch, y_batch)``.
    rows : ndarray of int, default=None
        The rows of ``X`` this dataset covers (a view; ``None`` means all).
    sample_weight : ndarray of shape (n_samples,), default=None
        The caller's per-row weights, kept for computing sampling weights.

    Examples
    --------
    >>> import numpy as np
    >>> from wsample_sk.loading import ArrayDataset
    >>> ds = ArrayDataset(np.arange(12, dtype=np.float32).reshape(6, 2),
    ...                   np.array([0, 1, 0, 1, 0, 1]))
    >>> Xb, yb = ds[np.array([4, 1])]
    >>> Xb.tolist(), yb.tolist()
    ([[8.0, 9.0], [2.0, 3.0]], [0, 1])
    >>> ds.subset([0, 3]).targets
    array([0, 1])
    """

    def __init__(
        self,
        X: Any,
        y: Any = None,
        weights: np.ndarray | None = None,
        *,
        return_weights: bool = False,
        rows: np.ndarray | None = None,
        sample_weight: np.ndarray | None = None,
    ) -> None:
        with warnings.catch_warnings():
            # read-only arrays (e.g. from pandas) are fine: batches are copies
            warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
            self.X_ = torch.as_tensor(X)
        self.y_ = None if y is None else torch.as_tensor(y)
        self.weights = weights
        self.return_weights = return_weights
        self.rows = rows
        self.sample_weight = sample_weight
        self._rows_t = None if rows is None else torch.from_numpy(rows)

    def __len__(self) -> int:
        return len(self.rows) if self.rows is not None else len(self.X_)

    def __getitem__(self, idx: Any) -> tuple:
        if not isinstance(idx, (slice, torch.Tensor)):
            idx = torch.as_tensor(np.asarray(idx, dtype=np.int64))
        # a slice of all rows stays a view: prediction batches are not copied
        pos = idx if self._rows_t is None else self._rows_t[idx]
        Xb = _take_rows(self.X_, pos)
        yb = None if self.y_ is None else _take_rows(self.y_, pos)
        if self.return_weights and self.weights is not None:
            w = self.weights[idx if isinstance(idx, slice) else idx.numpy()]
            return Xb, (yb, torch.from_numpy(np.asarray(w, dtype=np.float32)))
        return Xb, yb

    def subset(self, indices: Any) -> ArrayDataset:
        """The dataset restricted to ``indices`` (positions in this one)."""
        indices = np.asarray(indices, dtype=np.int64)
        return ArrayDataset(
            self.X_,
            self.y_,
            _take(self.weights, indices),
            return_weights=self.return_weights,
            rows=indices if self.rows is None else self.rows[indices],
            sample_weight=_take(self.sample_weight, indices),
        )

    @property
    def X(self) -> np.ndarray:
        """The features of these rows, as numpy (a copy for a subset)."""
        X = self.X_.numpy()
        return X if self.rows is None else X[self.rows]

    @property
    def y(self) -> np.ndarray:
        """The (encoded) targets of these rows."""
        if self.y_ is None:
            raise AttributeError("This dataset has no y.")
        y = self.y_.numpy()
        return y if self.rows is None else y[self.rows]

    @property
    def targets(self) -> np.ndarray:
        """The (encoded) targets of these rows; same as :attr:`y`."""
        return self.y


class WeightedDataset(Dataset):
    """Any map-style ``Dataset`` with per-item targets and weights alongside.

    Parameters
    ----------
    dataset : torch.utils.data.Dataset
        Yields ``(x, y)`` per item.
    targets : ndarray of shape (len(dataset),)
        Encoded targets of the items (for computing sampling weights).
    weights : ndarray of shape (len(dataset),), default=None
        Per-item loss weights, returned when ``return_weights``.
    return_weights : bool, default=False
        Yield ``(x, (y, w))`` instead of ``(x, y)``.
    sample_weight : ndarray of shape (len(dataset),), default=None
        The caller's per-item weights.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from torch.utils.data import TensorDataset
    >>> from wsample_sk.loading import WeightedDataset
    >>> ds = WeightedDataset(TensorDataset(torch.zeros(3, 2), torch.arange(3)),
    ...                      np.arange(3), np.array([1.0, 2.0, 3.0]), return_weights=True)
    >>> ds[2][1][1]
    tensor(3.)
    """

    def __init__(
        self,
        dataset: Dataset,
        targets: np.ndarray,
        weights: np.ndarray | None = None,
        *,
        return_weights: bool = False,
        sample_weight: np.ndarray | None = None,
    ) -> None:
        self.dataset = dataset
        self.targets = targets
        self.weights = weights
        self.return_weights = return_weights
        self.sample_weight = sample_weight

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, i: int) -> tuple:
        x, y = self.dataset[i]
        if self.return_weights and self.weights is not None:
            return x, (y, torch.tensor(self.weights[i], dtype=torch.float32))
        return x, y

    def subset(self, indices: Any) -> WeightedDataset:
        """The dataset restricted to ``indices`` (positions in this one)."""
        indices = np.asarray(indices, dtype=np.int64)
        return WeightedDataset(
            Subset(self.dataset, indices),
            self.targets[indices],
            _take(self.weights, indices),
            return_weights=self.return_weights,
            sample_weight=_take(self.sample_weight, indices),
        )

    @property
    def X(self) -> Any:
        """The features, where the inner dataset exposes them."""
        return data_from_dataset(self.dataset)[0]

    @property
    def y(self) -> np.ndarray:
        """The (encoded) targets."""
        return self.targets
