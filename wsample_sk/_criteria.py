"""Feeding the criteria: class counts, the class mix the loss sees, one criterion.

The losses of :mod:`wsample_sk.losses` take the training part's class counts
(``set_class_counts``, unless the user gave ``criterion__class_counts``); a
loss that adjusts for the mix it is trained on
(:class:`~wsample_sk.losses.LogitAdjustedLoss`) also gets, every epoch, the
class mix the loss sees after draws and loss weights (``set_training_mix``).
The :class:`~wsample_sk.callbacks.ClassMixSchedule` calls these functions;
the classifier's predictions read :func:`single_criterion`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch

__all__ = [
    "counted_criteria",
    "criteria_of",
    "give_class_counts",
    "give_label_counts",
    "give_training_mix",
    "loss_class_weights",
    "per_sample",
    "single_criterion",
    "weighted_loss",
    "weights_of_batch",
]


def _unwrapped(criterion: Any) -> Any:
    return getattr(criterion, "_orig_mod", criterion)  # torch.compile keeps the module here


def _criteria_of(net: Any) -> Iterator[tuple[str, Any]]:
    """``(name, criterion)`` of every criterion of the net, unwrapped."""
    for name in net._criteria:
        yield name, _unwrapped(getattr(net, name + "_", None))


def counted_criteria(net: Any) -> Iterator[Any]:
    """Criteria that take class counts (``set_class_counts``) the user did not give."""
    for name, criterion in _criteria_of(net):
        if hasattr(criterion, "set_class_counts") and (
            "class_counts" not in net.get_params_for(name)
        ):
            yield criterion


def criteria_of(net: Any) -> Iterator[Any]:
    """Every criterion of the net, unwrapped."""
    for _, criterion in _criteria_of(net):
        yield criterion


def give_class_counts(net: Any, counts: np.ndarray, classes: np.ndarray | None) -> None:
    """Hand the training part's class counts to every criterion that takes them."""
    for criterion in counted_criteria(net):
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


def give_label_counts(net: Any, counts: np.ndarray, n_samples: int) -> None:
    """Hand a multi-label training part's positives per label to the losses that take them."""
    for name, criterion in _criteria_of(net):
        if hasattr(criterion, "set_label_counts") and (
            "label_counts" not in net.get_params_for(name)
        ):
            criterion.set_label_counts(counts, n_samples)


def give_training_mix(net: Any, mix: np.ndarray) -> None:
    """This epoch's class mix as the loss sees it, to criteria that adjust for it."""
    for _, criterion in _criteria_of(net):
        if hasattr(criterion, "set_training_mix"):
            # a class the loss never sees keeps a tiny positive share (never a target)
            criterion.set_training_mix(np.maximum(mix, 1e-12 * mix.max()))


def loss_class_weights(net: Any, n_outputs: int, *, per_label: bool) -> np.ndarray | None:
    """How the criterion itself weighs the classes, for the class mix training saw.

    One weight per class's rows (a torch loss's ``weight``, ``FocalLoss``'s
    α) or, ``per_label``, per label the weight of its positives over its
    negatives (``BCEWithLogitsLoss``'s ``pos_weight``, ``MultiLabelFocalLoss``'s
    α). ``None`` when the criterion weighs every class alike.
    """
    criterion = single_criterion(net)
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


def single_criterion(net: Any) -> Any:
    """The net's criterion when it has exactly one (``None`` otherwise)."""
    criteria = [criterion for _, criterion in _criteria_of(net)]
    return criteria[0] if len(criteria) == 1 else None


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
