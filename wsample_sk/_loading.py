"""Batch-level loading of arrays, tensors, sparse matrices and dicts of them.

skorch's :class:`skorch.dataset.Dataset` is fetched row by row and collated,
which costs several times the model's own work on small networks.
:class:`ArrayDataset` is a skorch ``Dataset`` (so skorch's callbacks and
helpers see the caller's ``X`` and ``y`` in it) that also holds the inputs as
tensors, indexed by a whole batch of indices at once; :func:`batch_view`
turns it, or a ``Subset`` of it as skorch's ``train_split`` returns, into a
view that a ``DataLoader`` fetches batch by batch.

The training loader is wrapped in a :class:`TrainingLoader`, which tells its
listener which rows (positions in the training part) each batch holds,
whatever sampler or batch sampler produced them: that is how per-row loss
weights and the per-epoch statistics reach the right rows, with the batches
left exactly as skorch's callbacks expect them.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch
from skorch.dataset import Dataset as SkorchDataset
from skorch.dataset import get_len
from torch.utils.data import Sampler, Subset, default_collate

__all__ = [
    "ArrayDataset",
    "RowRecorder",
    "TrainingLoader",
    "batch_view",
    "collate_rows",
    "is_dict",
    "rows_in",
    "to_tensors",
]


def is_dict(data: Any) -> bool:
    """A dict of inputs (a ``dok_matrix`` is a dict too, but a sparse matrix)."""
    return isinstance(data, Mapping) and not sp.issparse(data)


def to_tensors(data: Any) -> Any:
    """Validated inputs as tensors for batch indexing, without copying arrays.

    numpy arrays become tensors that share their memory; CSR matrices stay
    CSR (densified per batch); dicts, lists and tuples are converted leaf by
    leaf.
    """
    if is_dict(data):
        return {k: to_tensors(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return type(data)(to_tensors(v) for v in data)
    if sp.issparse(data):
        return sp.csr_matrix(data)
    if isinstance(data, torch.Tensor):
        return data
    with warnings.catch_warnings():
        # read-only arrays (e.g. from pandas) are fine: batches are copies
        warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
        return torch.as_tensor(np.asarray(data))


def _take(data: Any, pos: slice | torch.Tensor) -> Any:
    """Rows ``pos`` of every leaf: a view for a slice, one gather otherwise."""
    if isinstance(data, torch.Tensor):  # the common case first: this runs per batch
        if isinstance(pos, slice):
            return data[pos]
        return data.index_select(0, pos if data.device.type == "cpu" else pos.to(data.device))
    if is_dict(data):
        return {k: _take(v, pos) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return type(data)(_take(v, pos) for v in data)
    if isinstance(data, np.ndarray):  # labels that are not numbers
        return data[pos if isinstance(pos, slice) else pos.numpy()]
    if sp.issparse(data):
        rows = data[pos if isinstance(pos, slice) else pos.numpy()]
        return torch.from_numpy(rows.toarray())
    raise TypeError(f"cannot index {type(data).__name__} by batch")  # pragma: no cover


def _labels_as_batchable(y: np.ndarray) -> Any:
    """Labels as batches carry them: a tensor for numbers, else a numpy array."""
    if y.dtype.kind in "biuf":
        return torch.from_numpy(np.array(y))  # a copy: labels may be read-only
    return y


class ArrayDataset(SkorchDataset):
    """A skorch ``Dataset`` that also serves whole batches by one indexing operation.

    ``X`` and ``y`` are kept as the caller gave them (skorch's callbacks and
    :func:`skorch.utils.data_from_dataset` read them); the validated inputs
    are held as tensors (numpy arrays are shared, not copied) and the labels
    as a tensor (numbers) or an array (anything else).

    Parameters
    ----------
    X : array-like, tensor, sparse matrix or dict of these
        The caller's inputs.
    y : array-like of shape (n_samples,), default=None
        The caller's labels.
    inputs : tensor, CSR matrix or dict of these
        The validated inputs, one row per sample (see :func:`to_tensors`).
    labels : ndarray of shape (n_samples,), default=None
        The validated labels.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from wsample_sk._loading import ArrayDataset, to_tensors
    >>> X = np.arange(12, dtype=np.float32).reshape(6, 2)
    >>> y = np.array(["a", "b", "a", "b", "a", "b"])
    >>> ds = ArrayDataset(X, y, inputs=to_tensors(X), labels=y)
    >>> Xb, yb = ds[torch.tensor([4, 1])]
    >>> Xb.tolist(), yb.tolist()
    ([[8.0, 9.0], [2.0, 3.0]], ['a', 'b'])
    """

    def __init__(self, X: Any, y: Any = None, *, inputs: Any, labels: np.ndarray | None = None):
        super().__init__(X, y)
        self.inputs = inputs
        self.labels = None if labels is None else _labels_as_batchable(np.asarray(labels))

    def __getitem__(self, i: Any) -> tuple:
        if isinstance(i, (slice, torch.Tensor, np.ndarray, list)):
            return self.batch(i)
        Xi, yi = self.batch(torch.tensor([int(i)]))  # one row, as skorch's Dataset
        return _first(Xi), _first(yi)

    def batch(self, idx: Any) -> tuple:
        """``(X_batch, y_batch)`` for the rows ``idx`` (slice or index array)."""
        if not isinstance(idx, (slice, torch.Tensor)):
            idx = torch.as_tensor(np.asarray(idx, dtype=np.int64))
        yb = None if self.labels is None else _take(self.labels, idx)
        return _take(self.inputs, idx), (torch.zeros(0) if yb is None else yb)


def _first(batch: Any) -> Any:
    if is_dict(batch):
        return {k: _first(v) for k, v in batch.items()}
    if isinstance(batch, (list, tuple)):
        return type(batch)(_first(v) for v in batch)
    if isinstance(batch, torch.Tensor) and batch.dim() == 1 and batch.numel() == 0:
        return batch  # no labels
    return batch[0]


class _BatchView(torch.utils.data.Dataset):
    """Rows ``rows`` of an :class:`ArrayDataset`, fetched a batch at a time."""

    def __init__(self, base: ArrayDataset, rows: np.ndarray | None) -> None:
        self.base = base
        self.rows = None if rows is None else torch.from_numpy(rows)

    def __len__(self) -> int:
        return len(self.base) if self.rows is None else len(self.rows)

    def __getitem__(self, idx: Any) -> tuple:
        # a slice of all rows stays a view: prediction batches are not copied
        return self.base.batch(idx if self.rows is None else self.rows[idx])


def rows_in(dataset: Any, base: Any) -> np.ndarray | None:
    """The rows of ``base`` that ``dataset`` holds, in order, or ``None``.

    ``dataset`` is ``base`` itself (all rows) or a chain of
    :class:`torch.utils.data.Subset` over it, as ``train_split`` returns.
    """
    if dataset is base:
        return np.arange(len(base))
    if isinstance(dataset, Subset):
        inner = rows_in(dataset.dataset, base)
        if inner is not None:
            return inner[np.asarray(dataset.indices, dtype=np.int64)]
    return None


def batch_view(dataset: Any) -> _BatchView | None:
    """A batch-indexed view of an :class:`ArrayDataset` or a Subset chain of one."""
    base = dataset
    while isinstance(base, Subset):
        base = base.dataset
    if not isinstance(base, ArrayDataset):
        return None
    return _BatchView(base, None if dataset is base else rows_in(dataset, base))


def collate_rows(rows: list) -> Any:
    """torch's ``default_collate``, with label strings kept as one numpy array.

    ``default_collate`` turns a batch of strings into a list, which skorch's
    scoring callbacks cannot read as targets.
    """
    batch = default_collate(rows)
    if (
        isinstance(batch, (list, tuple))
        and len(batch) == 2
        and isinstance(batch[1], (list, tuple))
        and batch[1]
        and isinstance(batch[1][0], str)
    ):
        return type(batch)([batch[0], np.asarray(batch[1])])
    return batch


def as_is(batch: Any) -> Any:
    """Collate function of batch-indexed loaders: batches are whole already."""
    return batch


class RowRecorder(Sampler):
    """Pass a sampler or batch sampler through, recording the rows it yields.

    A ``DataLoader`` delivers batches in the order its sampler produced them
    (it may run ahead, prefetching): :meth:`take` hands out the recorded rows
    in that order.

    Parameters
    ----------
    inner : iterable
        A sampler of single indices, or (``batched=True``) of batches of
        indices (lists, arrays or tensors).
    batched : bool
        Whether ``inner`` yields batches.
    """

    def __init__(self, inner: Any, *, batched: bool) -> None:
        self.inner = inner
        self.batched = batched
        self._queue: list = []
        self._offset = 0

    def __iter__(self) -> Iterator[Any]:
        self._queue, self._offset = [], 0
        if self.batched:
            for item in self.inner:
                # a copy: a loader with workers may move the batch's memory
                rows = item.numpy() if isinstance(item, torch.Tensor) else item
                self._queue.append(np.array(rows, dtype=np.int64).reshape(-1))
                yield item
        else:
            for item in self.inner:
                self._queue.append(item)
                yield item

    def __len__(self) -> int:
        return len(self.inner)

    def take(self, k: int, n: int) -> np.ndarray:
        """The next ``n`` recorded rows (those of the ``k``-th delivered batch)."""
        if not self.batched:
            start, self._offset = self._offset, self._offset + n
            rows = np.asarray(self._queue[start : self._offset], dtype=np.int64)
            if len(rows) < n:
                raise RuntimeError(_UNKNOWN_ROWS)
            return rows
        out, need = [], n
        while need:
            if not self._queue:
                raise RuntimeError(_UNKNOWN_ROWS)
            chunk = self._queue[0][self._offset : self._offset + need]
            out.append(chunk)
            need -= len(chunk)
            self._offset += len(chunk)
            if self._offset == len(self._queue[0]):
                self._queue.pop(0)
                self._offset = 0
        return out[0] if len(out) == 1 else np.concatenate(out)


_UNKNOWN_ROWS = (
    "The training loader delivered a batch whose rows its sampler did not "
    "yield, so the rows of the batch (and their weights) cannot be known."
)


class TrainingLoader:
    """A training ``DataLoader`` that reports the rows of every batch it yields.

    Parameters
    ----------
    loader : iterable of batches
        What ``iterator_train`` built.
    rows_of : callable
        ``(k, n) -> rows``: the rows (positions in the training part) of the
        ``k``-th batch of the pass, which holds ``n`` rows. A
        :class:`~wsample_sk.BatchIndexSampler`'s ``rows_of`` or a
        :class:`RowRecorder`'s ``take`` serves it.
    on_batch : callable
        Called with the rows of each batch, just before the batch is yielded.
    """

    def __init__(self, loader: Any, rows_of: Callable, on_batch: Callable) -> None:
        self.loader = loader
        self.rows_of = rows_of
        self.on_batch = on_batch

    def __iter__(self) -> Iterator[Any]:
        for k, batch in enumerate(self.loader):
            X = batch[0] if isinstance(batch, (tuple, list)) else batch
            n = len(X) if isinstance(X, torch.Tensor) else get_len(X)
            self.on_batch(self.rows_of(k, n))
            yield batch

    def __len__(self) -> int:
        return len(self.loader)
