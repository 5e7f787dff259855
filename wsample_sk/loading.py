"""Batch-level loading of arrays and tensors.

skorch's default :class:`skorch.dataset.Dataset` is fetched row by row and
collated, which costs several times the model's own work on small tabular
networks. :class:`ArrayDataset` holds ``X`` and ``y`` as tensors and is
indexed by a whole batch of indices at once (see
:class:`wsample_sk.samplers.BatchIndexSampler`); a training split is a view
(``rows``), not a copy. :class:`WeightedDataset` carries weights for any other
torch ``Dataset`` (the general, row-by-row path).

Both carry the per-sample ``weights`` of their rows, so that a train/valid
split hands the sampler exactly the weights of the training part.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import torch
from skorch.utils import data_from_dataset
from torch.utils.data import Dataset, Subset

__all__ = ["ArrayDataset", "WeightedDataset"]


def _as_index(idx: Any) -> Any:
    if isinstance(idx, torch.Tensor):
        return idx.numpy()
    if isinstance(idx, list):
        return np.asarray(idx, dtype=np.int64)
    return idx


class ArrayDataset(Dataset):
    """Tensors ``X`` (and ``y``) indexed by whole batches.

    Parameters
    ----------
    X : ndarray or torch.Tensor of shape (n_samples, ...)
        Features; a numpy array is wrapped without a copy.
    y : ndarray or torch.Tensor of shape (n_samples,), default=None
        Encoded targets.
    weights : ndarray of shape (n_samples,), default=None
        Per-sample weights of these rows (used by the training sampler and,
        with ``return_weights``, by a weighted loss).
    return_weights : bool, default=False
        Return ``(X_batch, (y_batch, w_batch))`` instead of
        ``(X_batch, y_batch)``.
    rows : ndarray of int, default=None
        The rows of ``X`` this dataset covers (a view; ``None`` means all).

    Examples
    --------
    >>> import numpy as np
    >>> from wsample_sk.loading import ArrayDataset
    >>> ds = ArrayDataset(np.arange(12, dtype=np.float32).reshape(6, 2),
    ...                   np.array([0, 1, 0, 1, 0, 1]))
    >>> Xb, yb = ds[np.array([4, 1])]
    >>> Xb.tolist(), yb.tolist()
    ([[8.0, 9.0], [2.0, 3.0]], [0, 1])
    >>> len(ds.subset([0, 2]))
    2
    """

    def __init__(
        self,
        X: Any,
        y: Any = None,
        weights: np.ndarray | None = None,
        *,
        return_weights: bool = False,
        rows: np.ndarray | None = None,
    ) -> None:
        with warnings.catch_warnings():
            # read-only arrays (e.g. from pandas) are fine: batches are copies
            warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
            self.X_ = torch.as_tensor(X)
        self.y_ = None if y is None else torch.as_tensor(y)
        self.weights = weights
        self.return_weights = return_weights
        self.rows = rows

    def __len__(self) -> int:
        return len(self.rows) if self.rows is not None else len(self.X_)

    def __getitem__(self, idx: Any) -> tuple:
        idx = _as_index(idx)
        w = None
        if self.return_weights and self.weights is not None:
            w = torch.from_numpy(np.atleast_1d(self.weights[idx]))
        if self.rows is not None:
            idx = self.rows[idx]
        if isinstance(idx, np.ndarray):
            idx = torch.from_numpy(idx)
        Xb = self.X_[idx]
        yb = None if self.y_ is None else self.y_[idx]
        if w is not None:
            return Xb, (yb, w.to(torch.float32))
        return Xb, yb

    def subset(self, indices: Any) -> ArrayDataset:
        """The dataset restricted to ``indices`` (positions in this one)."""
        indices = np.asarray(indices, dtype=np.int64)
        rows = indices if self.rows is None else self.rows[indices]
        weights = None if self.weights is None else self.weights[indices]
        return ArrayDataset(
            self.X_, self.y_, weights, return_weights=self.return_weights, rows=rows
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


class WeightedDataset(Dataset):
    """Any map-style ``Dataset`` together with one weight per item.

    Parameters
    ----------
    dataset : torch.utils.data.Dataset
        Yields ``(x, y)`` per item.
    weights : ndarray of shape (len(dataset),) or None
        Per-item weights.
    return_weights : bool, default=False
        Yield ``(x, (y, w))`` instead of ``(x, y)``.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from torch.utils.data import TensorDataset
    >>> from wsample_sk.loading import WeightedDataset
    >>> ds = WeightedDataset(TensorDataset(torch.zeros(3, 2), torch.arange(3)),
    ...                      np.array([1.0, 2.0, 3.0]), return_weights=True)
    >>> ds[2][1][1]
    tensor(3.)
    """

    def __init__(
        self,
        dataset: Dataset,
        weights: np.ndarray | None,
        *,
        return_weights: bool = False,
    ) -> None:
        self.dataset = dataset
        self.weights = weights
        self.return_weights = return_weights

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
        weights = None if self.weights is None else self.weights[indices]
        return WeightedDataset(
            Subset(self.dataset, indices), weights, return_weights=self.return_weights
        )

    @property
    def X(self) -> Any:
        """The features, where the inner dataset exposes them."""
        return data_from_dataset(self.dataset)[0]

    @property
    def y(self) -> Any:
        """The (encoded) targets, where the inner dataset exposes them."""
        return data_from_dataset(self.dataset)[1]
