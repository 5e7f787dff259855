"""The class mix of a multi-label fit: per-label weights made row draws and positive weights.

With an indicator target Y (n, L), a class-level weighting (``"balanced"``,
``"sqrt"``, ``"effective"``, a dict, a schedule) gives one weight per
**label**, computed from the labels' positive counts exactly as for classes.
:class:`MultiLabelPlan` turns them

* in ``sampling``, into row draw probabilities (``label_rule``: class-aware
  draws, Shen et al. 2016, or the mean / max of a row's label weights);
* in ``class_weight``, into a weight for each label's positives,
  ``w_l = c(n_l) / c(n - n_l)`` for the class weight function ``c``
  (``"balanced"``: the negatives over the positives, BCE's ``pos_weight``).

It records per label the frequency of positives in the draws and the
positive rate the loss sees (``sampling_prior``), against the natural
frequency (``class_prior``), which the per-label prior correction uses.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import torch

from ._epoch_plan import EpochPlan, TrainingPart, refuse_density
from ._multilabel import (
    class_aware_row_probabilities,
    drawn_label_frequencies,
    label_counts_of,
    rarity_weights,
)
from ._strategies import Strategy
from .sampling import BatchComposition, ClassQuotas, LossWeights

__all__ = ["MultiLabelPlan"]


class MultiLabelPlan(EpochPlan):
    """:class:`~wsample_sk._epoch_plan.EpochPlan` for a 0/1 indicator target.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> from wsample_sk._epoch_plan import TrainingPart
    >>> from wsample_sk._multilabel_plan import MultiLabelPlan
    >>> from wsample_sk.sampling import check_sampling
    >>> Y = sp.csr_matrix(np.array([[1, 0], [1, 0], [1, 0], [0, 1]]))
    >>> part = TrainingPart(4, None, None, np.arange(2), None, seed=0, indicator=Y)
    >>> plan = MultiLabelPlan(part, check_sampling("balanced"), None)
    >>> plan.begin_epoch(0)
    >>> plan.sampling_prior  # share of draws carrying each label: both picked half the time
    array([0.5, 0.5])
    """

    def __init__(self, part: TrainingPart, sampling: Any, class_weight: Any, **kwargs: Any):
        self.Y = part.indicator.tocsr()
        super().__init__(part, sampling, class_weight, **kwargs)
        counts = self.class_counts
        self.class_prior = counts / max(self.n, 1)
        self.sampling_prior = self.class_prior
        self.rule = getattr(sampling, "label_rule", None) or "class_aware"
        self.pos_weight: np.ndarray | None = None
        self._warn_on_degenerate_labels(counts)

    def _check_spec(self, sampling: Any) -> None:
        refuse_density(sampling, self.class_weight_spec)
        if isinstance(sampling, (ClassQuotas, BatchComposition)):
            raise ValueError(
                f"sampling={sampling!r} fixes rows per class, which a multi-label target "
                "does not have (a row holds several labels); use weighted draws "
                "(sampling='balanced' draws class-aware)."
            )

    def _count_classes(self) -> np.ndarray:
        """Positive training rows per label."""
        return label_counts_of(self.Y)

    def training_targets(self) -> torch.Tensor:
        """The training rows' 0/1 indicator, as float (the criterion's targets)."""
        return torch.from_numpy(self.Y.toarray().astype(np.float32))

    def _warn_on_degenerate_labels(self, counts: np.ndarray) -> None:
        none, every = np.flatnonzero(counts == 0), np.flatnonzero(counts == self.n)
        if len(none) or len(every):
            warnings.warn(
                f"Label(s) {none.tolist()[:10]!r} have no positive and {every.tolist()[:10]!r} "
                "no negative row in the training part: their positives are never re-weighted "
                "in the loss (weight 1), class-aware draws never pick a label without "
                "positives, and the prior correction leaves their probabilities as the "
                "network gives them.",
                UserWarning,
                stacklevel=6,
            )
        empty = int(np.count_nonzero(np.diff(self.Y.indptr) == 0))
        rule = getattr(self.sampling, "label_rule", None) or "class_aware"
        if empty and self.draws is not None and self.draws.class_level and rule == "class_aware":
            warnings.warn(
                f"{empty} training row(s) have no positive label: class-aware draws never "
                "pick them (sampling__label_rule='mean' weighs them as one more class).",
                UserWarning,
                stacklevel=6,
            )

    def _label_weights(self, strategy: Strategy, epoch: int) -> np.ndarray:
        labels = np.arange(self.Y.shape[1])
        return strategy.class_weights(labels, self.class_counts, epoch, self.length)

    def _strategy_weights(self, strategy: Strategy | None, epoch: int) -> np.ndarray | None:
        if strategy is None:
            return None
        if not strategy.class_level:  # a callable: one weight per row from the indicator
            return strategy.weights(self.Y.toarray(), epoch, self.length)
        w = self._label_weights(strategy, epoch)
        present = self.class_counts > 0
        if np.allclose(w[present], w[present][0]):  # equal label weights: natural draws
            return None
        if self.rule == "class_aware":
            return class_aware_row_probabilities(self.Y, label_weights=w * self.class_counts)
        return rarity_weights(self.Y, rule=self.rule, label_weights=w)

    def _rebalancing(self, epoch: int) -> tuple[bool, bool]:
        """Draws that favour some labels; positive weights other than one."""
        draws = self.draws is not None and self.draws.class_level
        draws = draws and self._strategy_weights(self.draws, epoch) is not None
        loss = self.losses is not None and self._positive_weights(self.losses, epoch) is not None
        own = self.criterion_weights is not None and not np.allclose(self.criterion_weights, 1.0)
        return draws, loss or own

    def _class_loss_weights(self, epoch: int) -> None:
        """``class_weight`` weighs labels' positives, not rows (see :meth:`label_pos_weights`)."""
        if self.losses is not None:
            self.pos_weight = self._positive_weights(self.losses, epoch)
        return None

    def _positive_weights(self, strategy: Strategy, epoch: int) -> np.ndarray | None:
        """Per label, the class weight of its positives over that of its negatives."""
        counts, out = self.class_counts, np.ones(self.Y.shape[1])
        if isinstance(self.class_weight, LossWeights) and isinstance(
            self.class_weight.weights, dict
        ):
            out = self._label_weights(strategy, epoch)  # a dict gives the positives' weights
            return None if np.all(out == 1.0) else out
        for label, n_pos in enumerate(counts):
            if 0 < n_pos < self.n:
                pair = strategy.class_weights(np.arange(2), np.array([n_pos, self.n - n_pos]),
                                              epoch, self.length)  # fmt: skip
                out[label] = pair[0] / pair[1]
        return None if np.allclose(out, 1.0) else out

    def _expected_mix(self) -> np.ndarray:
        """Per label, the positive rate the loss sees (draws, row and positive weights)."""
        mass = self._draw_mass()
        if self._loss is not None:
            mass = mass * self._loss
        share = np.asarray(self.Y.T @ mass).ravel() / mass.sum()
        positives = [w for w in (self.pos_weight, self.criterion_weights) if w is not None]
        if not positives:
            return share
        weighted = np.prod(positives, axis=0) * share
        return weighted / np.maximum(weighted + (1.0 - share), 1e-300)

    def label_pos_weights(self) -> torch.Tensor | None:
        """Weights of each label's positives in the loss (``None``: all one)."""
        if self.pos_weight is None:
            return None
        return torch.from_numpy(self.pos_weight.astype(np.float32))

    def end_epoch(self, history: Any) -> None:
        """Record, per label, the share of drawn rows carrying it, and the mixes."""
        super().end_epoch(history)
        drawn = self.drawn_rows
        if len(drawn):
            freq = drawn_label_frequencies(self.Y, drawn)
            history.record("drawn_label_frequencies", np.round(freq, 6).tolist())
        history.record("class_prior", self.class_prior.tolist())
        history.record("sampling_prior", np.asarray(self.sampling_prior).tolist())
