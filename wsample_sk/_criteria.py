"""Feeding the criteria: class counts, the class mix the loss sees, one criterion.

The losses of :mod:`wsample_sk.losses` take the training part's class counts
(``set_class_counts``, unless the user gave ``criterion__class_counts``); a
loss that adjusts for the mix it is trained on
(:class:`~wsample_sk.losses.LogitAdjustedLoss`) also gets, every epoch, the
class mix the loss sees after draws and loss weights (``set_training_mix``).
The net's criteria are read once into a :class:`Criteria` value
(:func:`criteria_of`); the :class:`~wsample_sk.callbacks.ClassMixSchedule`
hands it to these functions, and the classifier's predictions read its
single criterion.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

__all__ = [
    "Criteria",
    "criteria_of",
    "give_class_counts",
    "give_label_counts",
    "give_training_mix",
    "loss_class_weights",
    "per_sample",
    "weighted_loss",
    "weights_of_batch",
]


def _unwrapped(criterion: Any) -> Any:
    return getattr(criterion, "_orig_mod", criterion)  # torch.compile keeps the module here


@dataclass(frozen=True)
class Criteria:
    """A net's initialised criteria, read once (:func:`criteria_of`), each unwrapped.

    Attributes
    ----------
    criteria : tuple
        Every criterion (``criterion_`` and any other of ``net._criteria``).
    given : tuple of frozenset
        Per criterion, the names of the parameters the user gave it
        (``criterion__class_counts`` -> ``"class_counts"``): what the user
        gave is not overwritten.

    Examples
    --------
    >>> from wsample_sk import WeightedSamplingClassifier
    >>> from wsample_sk._criteria import criteria_of
    >>> from wsample_sk.losses import LogitAdjustedLoss
    >>> net = WeightedSamplingClassifier(module__n_features=2, classes=[0, 1],
    ...                                  criterion=LogitAdjustedLoss).initialize()
    >>> type(criteria_of(net).single).__name__, len(list(criteria_of(net).counted()))
    ('LogitAdjustedLoss', 1)
    """

    criteria: tuple = ()
    given: tuple = ()

    def __iter__(self) -> Iterator[Any]:
        return iter(self.criteria)

    @property
    def single(self) -> Any:
        """The criterion when there is exactly one (``None`` otherwise)."""
        return self.criteria[0] if len(self.criteria) == 1 else None

    def taking(self, method: str, param: str) -> Iterator[Any]:
        """The criteria with ``method`` whose ``param`` the user did not give."""
        for criterion, given in zip(self.criteria, self.given, strict=True):
            if hasattr(criterion, method) and param not in given:
                yield criterion

    def counted(self) -> Iterator[Any]:
        """The criteria that take class counts (``set_class_counts``) the user did not give."""
        return self.taking("set_class_counts", "class_counts")


def criteria_of(net: Any) -> Criteria:
    """The net's criteria, with the parameters the user gave each (the one reader of the net)."""
    names = list(net._criteria)
    return Criteria(
        tuple(_unwrapped(getattr(net, name + "_", None)) for name in names),
        tuple(frozenset(net.get_params_for(name)) for name in names),
    )


def give_class_counts(criteria: Criteria, counts: np.ndarray, classes: np.ndarray | None) -> None:
    """Hand the training part's class counts to every criterion that takes them."""
    for criterion in criteria.counted():
        if not len(counts):
            raise ValueError(
                f"{type(criterion).__name__} needs the class counts of the training "
                "rows: pass y to fit, or criterion__class_counts=[...]."
            )
        if (counts == 0).any():
            missing = classes[counts == 0].tolist()
            raise ValueError(
                f"{type(criterion).__name__} adjusts for every class, but class(es) "
                f"{missing!r} have no rows in the training part; pass "
                "criterion__class_counts=[...] or a train_split that keeps them."
            )
        criterion.set_class_counts(counts)


def give_label_counts(criteria: Criteria, counts: np.ndarray, n_samples: int) -> None:
    """Hand a multi-label training part's positives per label to the losses that take them."""
    for criterion in criteria.taking("set_label_counts", "label_counts"):
        criterion.set_label_counts(counts, n_samples)


def give_training_mix(criteria: Criteria, mix: np.ndarray) -> None:
    """This epoch's class mix as the loss sees it, to criteria that adjust for it."""
    for criterion in criteria:
        if hasattr(criterion, "set_training_mix"):
            # a class the loss never sees keeps a tiny positive share (never a target)
            criterion.set_training_mix(np.maximum(mix, 1e-12 * mix.max()))


def loss_class_weights(criterion: Any, n_outputs: int, *, per_label: bool) -> np.ndarray | None:
    """How the criterion itself weighs the classes, for the class mix training saw.

    One weight per class's rows (a torch loss's ``weight``, ``FocalLoss``'s
    α) or, ``per_label``, per label the weight of its positives over its
    negatives (``BCEWithLogitsLoss``'s ``pos_weight``, ``MultiLabelFocalLoss``'s
    α). ``None`` when the criterion weighs every class alike (or there is
    no single criterion, ``criterion=None``).
    """
    if criterion is None:
        return None
    if hasattr(criterion, "class_mix_weights"):
        weights, name = criterion.class_mix_weights(), f"the alpha of {type(criterion).__name__}"
    else:
        attr = "pos_weight" if per_label else "weight"
        weights, name = getattr(criterion, attr, None), f"criterion__{attr}"
        if not isinstance(weights, torch.Tensor):
            return None
        weights = weights.detach().double().cpu().numpy()
    if weights is None:
        return None
    weights = np.asarray(weights, dtype=np.float64)
    if weights.ndim == 0:
        weights = np.full(n_outputs, float(weights))
    what = "label" if per_label else "class"
    if weights.shape != (n_outputs,):
        raise ValueError(
            f"{name} has shape {weights.shape}; it needs one weight per {what} ({n_outputs})."
        )
    bad = ~np.isfinite(weights) | (weights < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{name} must be finite and non-negative; got {weights[i]!r} for {what} {i}."
        )
    return None if np.all(weights == weights[0]) and not per_label else weights


@contextlib.contextmanager
def per_sample(criterion: Any) -> Iterator[None]:
    """The criterion with ``reduction="none"`` for the duration (restored after)."""
    if not hasattr(criterion, "reduction"):
        raise ValueError(
            "Per-sample losses (class_weight, sample_weight_in='loss', LossReweighting) "
            "need a criterion with a `reduction` attribute, as torch's losses have; "
            f"{type(criterion).__name__} has none."
        )
    reduction = criterion.reduction
    criterion.reduction = "none"
    try:
        yield
    finally:
        criterion.reduction = reduction


def weights_of_batch(plan: Any) -> tuple[Any, Any]:
    """The running batch's row loss weights and the labels' positive weights (or ``None``)."""
    if plan is None:
        return None, None
    positives = plan.label_pos_weights() if hasattr(plan, "label_pos_weights") else None
    return plan.loss_weights(), positives


def weighted_loss(
    criterion: Any, losses: torch.Tensor, y_true: torch.Tensor, rows: Any, positives: Any
) -> torch.Tensor:
    """Per-row (or per-element) losses weighted, then reduced as the criterion says.

    Element-wise losses (n, L) of a multi-label criterion get each label's
    positive weight, then the mean over labels; per-row losses then get the
    rows' weights.
    """
    if losses.dim() == 2:
        if positives is not None:
            pos = positives.to(losses.device, losses.dtype)
            losses = losses * (y_true.to(losses.dtype) * (pos - 1.0) + 1.0)
        losses = losses.sum(dim=1) if criterion.reduction == "sum" else losses.mean(dim=1)
    elif positives is not None:
        raise ValueError(
            f"class_weight weighs each label's positives, which needs element-wise losses "
            f"(n, n_labels) such as BCEWithLogitsLoss's; {type(criterion).__name__} gives "
            "one per row (use its own class weights, e.g. alpha)."
        )
    if rows is not None:
        losses = losses * rows.to(losses.device, losses.dtype)
    return losses.sum() if criterion.reduction == "sum" else losses.mean()
