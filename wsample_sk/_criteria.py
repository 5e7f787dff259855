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

__all__ = [
    "counted_criteria",
    "give_class_counts",
    "give_training_mix",
    "per_sample",
    "single_criterion",
]


def _unwrapped(criterion: Any) -> Any:
    return getattr(criterion, "_orig_mod", criterion)  # torch.compile keeps the module here


def counted_criteria(net: Any) -> Iterator[Any]:
    """Criteria that take class counts (``set_class_counts``) the user did not give."""
    for name in net._criteria:
        criterion = _unwrapped(getattr(net, name + "_", None))
        if hasattr(criterion, "set_class_counts") and (
            "class_counts" not in net.get_params_for(name)
        ):
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


def give_training_mix(net: Any, mix: np.ndarray) -> None:
    """This epoch's class mix as the loss sees it, to criteria that adjust for it."""
    for name in net._criteria:
        criterion = _unwrapped(getattr(net, name + "_", None))
        if hasattr(criterion, "set_training_mix"):
            # a class the loss never sees keeps a tiny positive share (never a target)
            criterion.set_training_mix(np.maximum(mix, 1e-12 * mix.max()))


def single_criterion(net: Any) -> Any:
    """The net's criterion when it has exactly one (``None`` otherwise)."""
    criteria = [getattr(net, name + "_", None) for name in net._criteria]
    if len(criteria) != 1 or criteria[0] is None:
        return None
    return _unwrapped(criteria[0])


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
