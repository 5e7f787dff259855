"""The mix of a fit on a continuous target: bins of the target play the classes.

Rare target values are the regression form of class imbalance (Yang et al.
2021). :class:`ContinuousPlan` bins the training part's target into
equal-width bins (:class:`~wsample_sk._density.TargetBins`) and gives each
bin its *effective* count, the histogram smoothed by a symmetric kernel
(label distribution smoothing). Every class-level weighting of
:mod:`wsample_sk.sampling` then applies to bins unchanged: ``"balanced"`` is
the inverse smoothed density, ``"sqrt"`` its inverse square root, and the
deferred and progressive schedules move between natural and these.
Per-row forms (``"denseweight"``, callables ``y -> weights``) are given the
target values. ``history`` records the drawn target histogram per epoch
(``drawn_target_histogram``, rows per bin) beside the bins' natural and
trained shares.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from ._density import TargetBins, smoothed_histogram
from ._epoch_plan import EpochPlan, TrainingPart
from .sampling import DENSITY_DEFAULTS, BatchComposition, ClassQuotas

__all__ = ["ContinuousPlan"]


def _density_of(sampling: Any, loss_weights: Any) -> dict:
    """The smoothing both levers ask for (one density per fit: they must agree)."""
    asked = [
        spec.density_
        for spec in (sampling, loss_weights)
        if spec is not None and any(getattr(spec, f, None) is not None for f in DENSITY_DEFAULTS)
    ]
    if len(asked) == 2 and asked[0] != asked[1]:
        raise ValueError(
            f"sampling and target_weight smooth the target's histogram differently "
            f"({asked[0]} and {asked[1]}); one fit has one target density: give the "
            "bins and kernel once (to either), or the same to both."
        )
    return asked[0] if asked else dict(DENSITY_DEFAULTS)


class ContinuousPlan(EpochPlan):
    """:class:`~wsample_sk._epoch_plan.EpochPlan` for a continuous target (see the module).

    ``part.labels`` holds the training part's target values, shape ``(n,)``
    or ``(n, 1)``; with several target columns only per-row weights
    (``sample_weight``, callables) apply, and with none known (a Dataset whose
    targets cannot be read) only ``sample_weight``.

    Examples
    --------
    >>> import numpy as np
    >>> from wsample_sk._continuous_plan import ContinuousPlan
    >>> from wsample_sk._epoch_plan import TrainingPart
    >>> from wsample_sk.sampling import check_sampling
    >>> y = np.r_[np.zeros(90), np.ones(10)]
    >>> part = TrainingPart(100, y, None, None, None, seed=0)
    >>> plan = ContinuousPlan(part, check_sampling("balanced", bins=2, kernel_size=1), None)
    >>> plan.begin_epoch(0)
    >>> plan.sampling_prior  # each bin drawn equally often
    array([0.5, 0.5])
    """

    _drawn_key = "drawn_target_histogram"

    _loss_lever = "target_weight"

    def __init__(self, part: TrainingPart, sampling: Any, loss_weights: Any, **kwargs: Any):
        self.values = None if part.labels is None else np.asarray(part.labels, dtype=np.float64)
        self._several = self.values is not None and self.values.ndim == 2
        self._several = self._several and self.values.shape[1] > 1
        self.bins = None
        if self.values is not None and not self._several:  # targets known: bins of them
            density = _density_of(sampling, loss_weights)
            self.bins = TargetBins(self.values.reshape(len(self.values)), density["bins"])
            self._kernel = {k: density[k] for k in ("kernel", "kernel_size", "sigma")}
            part = dataclasses.replace(
                part, codes=self.bins.codes, classes=np.arange(len(self.bins.counts))
            )
        super().__init__(part, sampling, loss_weights, **kwargs)
        if self.bins is not None:  # the record's natural mix: the histogram, not smoothed
            self.class_prior = self.bins.counts / len(self.values)
            self.sampling_prior = self.class_prior

    def _check_spec(self, sampling: Any) -> None:
        if isinstance(sampling, (ClassQuotas, BatchComposition)):
            raise ValueError(
                f"sampling={sampling!r} fixes rows per class, which a continuous target "
                "does not have; use weighted draws (sampling='balanced' draws by the "
                "inverse smoothed target density)."
            )
        if getattr(sampling, "label_rule", None) is not None:
            raise ValueError(
                f"sampling={sampling!r}: label_rule applies to multi-label targets only."
            )
        for name, spec in (("sampling", sampling), ("target_weight", self.class_weight_spec)):
            weights = getattr(spec, "weights", None)
            if isinstance(weights, Mapping):
                raise ValueError(
                    f"{name}={spec!r}: a dict weighs classes, which a continuous target does "
                    "not have; use a callable y -> weights (or 'balanced', 'sqrt', "
                    "'denseweight')."
                )
            density = getattr(spec, "class_level", False) or weights == "denseweight"
            if self._several and density:
                raise ValueError(
                    f"{name}={spec!r} weighs rows by the density of one target; y has "
                    f"{self.values.shape[1]} columns (use sample_weight, a callable, or "
                    "fit one target)."
                )

    def _count_classes(self) -> np.ndarray:
        """The effective (smoothed) number of rows of each bin (empty: no bins)."""
        if self.bins is None:
            return np.zeros(0)
        return smoothed_histogram(self.bins.counts, **self._kernel)

    def training_targets(self) -> torch.Tensor | None:
        """The training rows' target values, as the criterion takes them."""
        if self.values is None:
            return None
        values = self.values if self.values.ndim == 2 else self.values[:, None]
        return torch.from_numpy(values.astype(np.float32))
