"""The estimators' class mix as a plain torch sampler, for a training loop of your own.

:class:`ClassMixSampler` draws the rows of one epoch as the estimators'
``sampling=`` does: weighted draws (``"balanced"``, ``"sqrt"``,
``"effective"``, a dict, a callable), exact class quotas
(:class:`~wsample_sk.sampling.ClassQuotas`), and the schedules that move
with the epoch (``"deferred"``, ``"progressive"``, a callable of the epoch).
:meth:`~ClassMixSampler.set_epoch` moves the schedule, as
``DistributedSampler.set_epoch`` moves the shuffle, and the sampler resumes
mid-epoch (``state_dict``). Underneath is the per-epoch plan the estimators
use (:class:`~wsample_sk._epoch_plan.EpochPlan`): one implementation of the
class mix for both. :class:`~wsample_sk.ShardedSampler` shards it across
``DistributedDataParallel`` ranks, :class:`~wsample_sk.MiniEpochSampler`
splits its epochs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import torch
from torch.utils.data import Sampler

from ._epoch_plan import EpochPlan, TrainingPart
from ._validation import check_count, check_sampling_weights
from .sampling import BatchComposition, check_sampling

__all__ = ["ClassMixSampler", "labels_of"]


def labels_of(data: Any, label: Callable[[Any], Any] | None = None) -> np.ndarray:
    """The class label of every row: given, or read from a dataset.

    Parameters
    ----------
    data : array-like or Dataset
        The labels themselves, or a dataset: its ``targets`` (torchvision's
        datasets) or ``y`` attribute, else ``label(data[i])`` for every row.
    label : callable, default=None
        ``label(item)`` for a dataset without ``targets``/``y``
        (torchsampler's ``callback_get_label``).

    Examples
    --------
    >>> from torch.utils.data import TensorDataset
    >>> import torch
    >>> from wsample_sk import labels_of
    >>> ds = TensorDataset(torch.zeros(4, 2), torch.tensor([0, 1, 1, 1]))
    >>> labels_of(ds, label=lambda item: int(item[1])).tolist()
    [0, 1, 1, 1]
    """
    if label is not None:
        if not callable(label):
            raise TypeError(f"label must be a function of a dataset item; got {label!r}.")
        values = [label(data[i]) for i in range(len(data))]
    elif isinstance(data, torch.utils.data.Dataset):
        for name in ("targets", "y"):
            values = getattr(data, name, None)
            if values is not None:
                break
        else:
            raise ValueError(
                f"{type(data).__name__} has no `targets` or `y` attribute: pass the labels, "
                "or label=lambda item: ... to read each item's label."
            )
    else:
        values = data
    values = values.numpy() if isinstance(values, torch.Tensor) else np.asarray(values)
    if values.ndim != 1:
        raise ValueError(f"The labels must be one per row (1-D); got shape {values.shape}.")
    if isinstance(data, torch.utils.data.Dataset) and hasattr(data, "__len__"):
        if len(values) != len(data):
            raise ValueError(
                f"{type(data).__name__} has {len(data)} rows but {len(values)} labels; they "
                "must match."
            )
    return values


class ClassMixSampler(Sampler[int]):
    """The estimators' ``sampling=`` as a sampler: weighted draws, quotas and schedules.

    Parameters
    ----------
    labels : array-like or Dataset
        The class of each row, or a dataset to read them from (see
        :func:`labels_of`).
    sampling : str, dict, callable, WeightedDraws or ClassQuotas, default="balanced"
        As the estimators' ``sampling=``: ``"balanced"``, ``"sqrt"``,
        ``"effective"``, ``"deferred"``, ``"progressive"``, ``{label:
        weight}``, ``callable(y)`` or ``callable(y, epoch)``, a
        :class:`~wsample_sk.sampling.WeightedDraws` or
        :class:`~wsample_sk.sampling.ClassQuotas`. (A fixed composition of
        each batch is a batch sampler: :class:`~wsample_sk.BalancedBatchSampler`.)
    epochs : int, default=1
        The schedule's length (``"progressive"`` reaches its target at the
        last epoch, ``"deferred"`` switches at 80% of it).
    label : callable, default=None
        Reads a dataset item's label (see :func:`labels_of`).
    sample_weight : array-like, default=None
        Per-row weights multiplied into the draws (finite, non-negative; they
        need not sum to one).
    seed : int, default=None
        Seeds every epoch's draws (with the epoch); ``None``: drawn from
        torch's generator once.

    Attributes
    ----------
    epoch : int
    class_mix : ndarray
        The expected share of each class among the epoch's draws.
    classes : ndarray

    Examples
    --------
    >>> import numpy as np
    >>> from torch.utils.data import DataLoader, TensorDataset
    >>> import torch
    >>> from wsample_sk import ClassMixSampler
    >>> y = np.array([0] * 90 + [1] * 10)
    >>> sampler = ClassMixSampler(y, "progressive", epochs=3, seed=0)
    >>> loader = DataLoader(TensorDataset(torch.arange(100)), batch_size=20, sampler=sampler)
    >>> for epoch in range(3):
    ...     sampler.set_epoch(epoch)
    ...     rows = torch.cat([batch for (batch,) in loader])
    ...     print(epoch, sampler.class_mix.round(2).tolist(), len(rows))
    0 [0.9, 0.1] 100
    1 [0.7, 0.3] 100
    2 [0.5, 0.5] 100
    """

    def __init__(
        self,
        labels: Any,
        sampling: Any = "balanced",
        *,
        epochs: int = 1,
        label: Callable[[Any], Any] | None = None,
        sample_weight: Any = None,
        seed: int | None = None,
    ) -> None:
        y = labels_of(labels, label)
        spec = check_sampling(sampling)
        if spec is None:
            raise ValueError("sampling=None draws nothing in particular: use a plain shuffle.")
        if isinstance(spec, BatchComposition):
            raise ValueError(
                f"sampling={spec!r} fixes the rows of each batch: that is a batch sampler, "
                "BalancedBatchSampler(labels, batch_size=...), passed as batch_sampler=."
            )
        n = len(y)
        weights = None if sample_weight is None else check_sampling_weights(sample_weight, n)
        if seed is None:
            seed = int(torch.randint(0, 2**62, ()))
        classes, codes = np.unique(y, return_inverse=True)
        part = TrainingPart(n, y, codes, classes, weights, seed=int(seed))
        self.plan = EpochPlan(part, spec, None, length=check_count(epochs, "epochs"))
        self.classes = classes
        self.epoch = 0
        self._begun: int | None = None

    def set_epoch(self, epoch: int) -> None:
        """Move the schedule (and the draws) to ``epoch``."""
        self.epoch = check_count(epoch, "epoch", min_val=0)
        self._begin()

    def _begin(self) -> None:
        if self._begun != self.epoch:
            self.plan.begin_epoch(self.epoch)
            self._begun = self.epoch

    @property
    def class_mix(self) -> np.ndarray:
        """The expected share of each class among this epoch's draws."""
        self._begin()
        return np.asarray(self.plan.sampling_prior)

    def __iter__(self) -> Iterator[int]:
        self._begin()
        return iter(self.plan.sampler)

    def __len__(self) -> int:
        self._begin()
        return len(self.plan.sampler)

    def state_dict(self) -> dict:
        """The epoch and where its draws are (a pass under way resumes exactly)."""
        self._begin()
        return {"epoch": self.epoch, "draws": self.plan.sampler.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        """Return to ``state``'s epoch and position (checked by the samplers underneath)."""
        if not isinstance(state, dict) or set(state) != {"epoch", "draws"}:
            raise ValueError(
                "This is not the state of a ClassMixSampler (a dict with 'epoch' and "
                f"'draws'); got {state!r:.80}."
            )
        self.set_epoch(state["epoch"])
        self.plan.sampler.load_state_dict(state["draws"])
