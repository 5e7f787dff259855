"""Class labels and the network's output positions.

A classifier's targets are labels (strings, negative ints, bools ...); its
network's outputs and its criterion work with positions ``0 .. k-1`` in the
order of ``classes_``. :func:`encode` maps labels to positions once for a
whole array; :class:`TargetCodec` does the same for each batch of targets
that reaches the loss.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

__all__ = ["IndicatorCodec", "TargetCodec", "ValueCodec", "encode", "output_labels"]


def encode(y: Any, classes: np.ndarray, *, name: str = "y") -> np.ndarray:
    """Positions of the labels ``y`` in ``classes`` (any order), as int64.

    Raises a ``ValueError`` naming the labels that ``classes`` lacks.

    Examples
    --------
    >>> import numpy as np
    >>> from wsample_sk._labels import encode
    >>> encode(np.array(["b", "a", "b"]), np.array(["b", "a"]))
    array([0, 1, 0])
    """
    y = np.asarray(y)
    classes = np.asarray(classes)
    order = np.argsort(classes, kind="stable")
    ordered = classes[order]
    try:
        pos = np.searchsorted(ordered, y)
    except TypeError as exc:  # labels of a kind the classes cannot be compared with
        raise ValueError(
            f"{name} holds labels that cannot be compared with the classes "
            f"{classes.tolist()!r}: {exc}"
        ) from None
    pos = np.minimum(pos, len(ordered) - 1)
    unknown = ordered[pos] != y
    if np.any(unknown):
        labels = np.unique(y[unknown]).tolist()
        raise ValueError(
            f"{name} holds label(s) {labels[:10]!r} that are not among the classes "
            f"{classes.tolist()!r}."
        )
    return order[pos].astype(np.int64)


class TargetCodec:
    """Turn a batch of label targets into output positions for the criterion.

    When the labels are the positions themselves (integer classes
    ``0 .. k-1``, the usual case in PyTorch) the batch passes through
    untouched; otherwise each batch is encoded with one sorted search.

    Parameters
    ----------
    classes : ndarray of shape (n_classes,) or None
        The labels in output order; ``None`` (labels unknown) passes
        targets through.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from wsample_sk._labels import TargetCodec
    >>> TargetCodec(np.array([-1, 1]))(torch.tensor([1, -1, 1]))
    tensor([1, 0, 1])
    """

    def __init__(self, classes: np.ndarray | None) -> None:
        self.classes = None if classes is None else np.asarray(classes)
        self.unknown = self.classes is None
        self.identity = self.unknown or (
            self.classes.dtype.kind in "iu"
            and np.array_equal(self.classes, np.arange(len(self.classes)))
        )
        self._numeric = self.classes is not None and self.classes.dtype.kind in "iufb"
        if self._numeric and not self.identity:
            order = np.argsort(self.classes, kind="stable")
            self._sorted = torch.as_tensor(self.classes[order].astype(np.float64))
            self._order = torch.as_tensor(order, dtype=torch.int64)

    def __call__(self, y: Any) -> Any:
        if self.unknown or y is None:
            return y  # labels unknown (a Dataset without targets): as the dataset gives them
        if self.identity:  # positions already; the criterion wants int64
            y = torch.as_tensor(y)
            return y if y.dtype == torch.int64 else y.long()
        if self._numeric and isinstance(y, torch.Tensor):
            values = y.detach().to("cpu", torch.float64)
            pos = torch.searchsorted(self._sorted, values).clamp_(max=len(self._sorted) - 1)
            if not torch.equal(self._sorted[pos], values):
                encode(values.numpy(), self.classes, name="the batch's targets")
            return self._order[pos].to(y.device)
        return torch.from_numpy(encode(np.asarray(y), self.classes, name="the batch's targets"))


class IndicatorCodec:
    """A batch of 0/1 indicator targets (multi-label) as the float tensor losses take.

    Examples
    --------
    >>> import torch
    >>> from wsample_sk._labels import IndicatorCodec
    >>> IndicatorCodec()(torch.tensor([[1, 0], [0, 1]]))
    tensor([[1., 0.],
            [0., 1.]])
    """

    def __call__(self, y: Any) -> Any:
        if y is None:
            return y
        y = torch.as_tensor(y)
        return y if y.is_floating_point() else y.float()


class ValueCodec:
    """A batch of continuous targets as the float32 column(s) a regression loss takes.

    A 1-D batch becomes one column, shape ``(n, 1)``, the module's output
    shape (skorch's ``NeuralNetRegressor`` would otherwise broadcast
    ``(n,)`` against ``(n, 1)`` into an ``(n, n)`` loss).

    Examples
    --------
    >>> import torch
    >>> from wsample_sk._labels import ValueCodec
    >>> ValueCodec()(torch.tensor([1.0, 2.0], dtype=torch.float64))
    tensor([[1.],
            [2.]])
    """

    def __call__(self, y: Any) -> Any:
        if y is None:
            return y
        y = torch.as_tensor(y)
        y = y if y.dtype == torch.float32 else y.float()
        return y[:, None] if y.dim() == 1 else y


def output_labels(net: Any) -> np.ndarray | None:
    """The labels of the network's outputs, in order; ``None`` when unknown."""
    classes = getattr(net, "classes", None)  # a regressor has none
    if classes is not None and len(classes):
        return np.asarray(classes)
    return vars(net).get("classes_inferred_")
