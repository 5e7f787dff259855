"""Imbalance-aware losses on logits, aware of the class counts.

==========================  ==============================================  ==================
loss                        per sample, for logits *z* and true class *y*   reference
==========================  ==============================================  ==================
:class:`LogitAdjustedLoss`  cross-entropy of *z* + τ log π (π: class mix);  Menon et al. 2021;
                            τ = 1 is Balanced Softmax                       Ren et al. 2020
:class:`LDAMLoss`           cross-entropy of *s* (*z* − Δ_y e_y), with      Cao et al. 2019
                            Δ_c = C / n_c^(1/4) up to ``max_margin``
:class:`FocalLoss`          −α_y (1 − p_y)^γ log p_y, *p* = softmax(*z*)    Lin et al. 2017
==========================  ==============================================  ==================

Each is a torch module usable on its own, given the class counts
(``class_counts=``), and respects ``reduction`` (``"mean"``, ``"sum"`` or
``"none"``). Used as the ``criterion`` of a
:class:`~wsample_sk.WeightedSamplingClassifier`, each receives the class
counts of the training part automatically (through :meth:`set_class_counts`)
unless ``criterion__class_counts`` is given; it composes with
``class_weight`` and with weighted draws. All declare
``takes_logits = True``, so that the classifier's ``predict_proba`` turns the
logits into the probabilities the loss models (:meth:`probabilities`: a
softmax, of the scaled logits for LDAM).

How they compose with re-weighting: :class:`LogitAdjustedLoss` adjusts for
the class mix the loss *sees*, so the classifier gives it, every epoch, the
class mix of the training part under that epoch's draws and loss weights
(:meth:`LogitAdjustedLoss.set_training_mix`).
With balanced draws that mix is uniform and the loss is plain cross-entropy:
the prior is never adjusted for twice. Its logits then score classes as if
they were balanced; :meth:`output_prior` tells the classifier which class mix
its probabilities are relative to, so that ``proba_correction="prior"`` and
``logit_adjustment`` stay exact on top of it. LDAM's margins follow the
natural counts (Cao et al.), whatever the draws.

Saved state: the counts (and the training mix) are registered buffers, so
they travel in ``state_dict()`` (skorch's ``f_criterion``, ``Checkpoint``)
and a fresh loss, built without counts, loads them.
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.utils import check_scalar
from torch import nn

__all__ = ["FocalLoss", "LDAMLoss", "LogitAdjustedLoss"]

_REDUCTIONS = ("mean", "sum", "none")


def _check_param(
    value: Any, name: str, low: float, high: float, *, include_low: bool = True
) -> float:
    """A finite real (not a bool) in [low, high] (or (low, high]); names ``name``.

    scikit-learn's ``check_scalar`` lets NaN through and takes ``True`` for a
    number: both are refused here.
    """
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a real number, not a bool; got {value!r}.")
    check_scalar(value, name, Real)
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite; got {value!r}.")
    check_scalar(
        value,
        name,
        Real,
        min_val=low,
        max_val=high,
        include_boundaries="both" if include_low else "right",
    )
    return value


def _check_counts(counts: Any, name: str = "class_counts") -> torch.Tensor:
    """Class counts (or weights) as a float64 tensor: 1-D, finite, every one positive."""
    if isinstance(counts, torch.Tensor):
        counts = counts.detach().cpu().numpy()
    try:
        arr = np.array(counts, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric: {exc}") from None
    if arr.ndim != 1 or len(arr) < 2:
        raise ValueError(
            f"{name} must be 1-D with one value per class (two or more); got shape {arr.shape}."
        )
    bad = ~np.isfinite(arr) | (arr <= 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{name} must be finite and positive; got {arr[i]} for class {i}"
            + (
                " (a class without training rows cannot be adjusted for)."
                if name == "class_counts"
                else "."
            )
        )
    return torch.from_numpy(arr)


class _CountedLoss(nn.Module):
    """Shared plumbing: validated class counts, reduction, the logits flag."""

    takes_logits = True

    def __init__(self, class_counts: Any = None, reduction: str = "mean") -> None:
        super().__init__()
        if reduction not in _REDUCTIONS:
            raise ValueError(f"reduction must be one of {list(_REDUCTIONS)}; got {reduction!r}.")
        self.reduction = reduction
        self.register_buffer("class_counts", None)
        if class_counts is not None:
            self.set_class_counts(class_counts)

    def set_class_counts(self, class_counts: Any) -> None:
        """Set the class counts (one per output, positive); the classifier calls this."""
        self.class_counts = _check_counts(class_counts)

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        # buffers that a fresh loss has not set yet (``None``) take the saved
        # shape, so that a restored criterion gets the fitted counts
        for name, buffer in self._buffers.items():
            if buffer is None and prefix + name in state_dict:
                self._buffers[name] = torch.empty_like(state_dict[prefix + name])
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def probabilities(self, logits: torch.Tensor) -> torch.Tensor:
        """The class probabilities the loss models for ``logits`` (a softmax)."""
        return torch.softmax(logits, dim=-1)

    def output_prior(self, trained_prior: np.ndarray) -> np.ndarray:
        """The class mix :meth:`probabilities` are relative to, given the trained mix.

        For most losses, the mix training drew (or weighted). The classifier's
        ``proba_correction`` and ``logit_adjustment`` divide by it.
        """
        return np.asarray(trained_prior, dtype=np.float64)

    def _counts_for(self, logits: torch.Tensor) -> torch.Tensor:
        if self.class_counts is None:
            raise ValueError(
                f"{type(self).__name__} needs the class counts: pass class_counts=... "
                "or use it as the criterion of a WeightedSamplingClassifier, which "
                "passes those of the training part."
            )
        if logits.dim() != 2 or logits.shape[1] != len(self.class_counts):
            raise ValueError(
                f"{type(self).__name__} has {len(self.class_counts)} class counts but "
                f"the logits have shape {tuple(logits.shape)}; they need one column per class."
            )
        return self.class_counts

    def _reduce(self, losses: torch.Tensor) -> torch.Tensor:
        if self.reduction == "mean":
            return losses.mean()
        if self.reduction == "sum":
            return losses.sum()
        return losses


class LogitAdjustedLoss(_CountedLoss):
    """Logit-adjusted cross-entropy (Menon et al. 2021).

    The loss of logits *z* is the cross-entropy of *z* + τ log π, π the class
    frequencies of the training data: the model learns logits whose argmax
    is the balanced decision. τ = 1 is the Balanced Softmax of Ren et al.
    (2020); τ = 0 is plain cross-entropy.

    Parameters
    ----------
    class_counts : array-like of shape (n_classes,), default=None
        Training rows per class (positive). Set automatically when the loss
        is a :class:`~wsample_sk.WeightedSamplingClassifier`'s criterion.
    tau : float, default=1.0
        Strength of the adjustment, >= 0.
    reduction : {"mean", "sum", "none"}, default="mean"

    Examples
    --------
    >>> import torch
    >>> from wsample_sk.losses import LogitAdjustedLoss
    >>> loss = LogitAdjustedLoss(class_counts=[90, 10], tau=1.0)
    >>> z, y = torch.zeros(2, 2), torch.tensor([0, 1])
    >>> loss(z, y)  # the rare class is made harder to predict in training
    tensor(1.2040)
    >>> LogitAdjustedLoss(class_counts=[90, 10], tau=0.0)(z, y)  # cross-entropy
    tensor(0.6931)
    """

    def __init__(self, class_counts: Any = None, tau: float = 1.0, reduction: str = "mean"):
        self.tau = _check_param(tau, "tau", 0.0, 100.0)
        super().__init__(class_counts, reduction)
        self.register_buffer("training_mix", None)

    def set_training_mix(self, mix: Any) -> None:
        """The class mix the loss sees (after draws and loss weights); the classifier
        sets it every epoch. Without it the loss adjusts for ``class_counts``."""
        mix = _check_counts(mix)
        self.training_mix = mix / mix.sum()

    def _adjusted_for(self) -> torch.Tensor | None:
        if self.training_mix is not None:
            return self.training_mix
        if self.class_counts is None:
            return None
        return self.class_counts / self.class_counts.sum()

    def output_prior(self, trained_prior: np.ndarray) -> np.ndarray:
        """π_trained · π_loss^(−τ), normalised: uniform when the loss saw the trained mix
        and τ = 1 (the logits score classes as if balanced)."""
        prior = np.asarray(trained_prior, dtype=np.float64)
        adjusted = self._adjusted_for()
        if adjusted is None:
            return prior
        out = prior * adjusted.detach().cpu().numpy() ** (-self.tau)
        return out / out.sum()

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        self._counts_for(logits)
        log_prior = torch.log(self._adjusted_for())
        adjusted = logits + self.tau * log_prior.to(logits.device, logits.dtype)
        return self._reduce(F.cross_entropy(adjusted, target, reduction="none"))


class LDAMLoss(_CountedLoss):
    """Label-distribution-aware margin loss (Cao et al. 2019).

    The true class's logit is lowered by a margin Δ_y = C / n_y^(1/4) (rare
    classes get larger margins; C makes the largest margin ``max_margin``),
    then the logits are scaled by ``scale`` and scored with cross-entropy.
    Cao et al. pair it with deferred re-weighting: ``class_weight="deferred"``.

    Parameters
    ----------
    class_counts : array-like of shape (n_classes,), default=None
        Training rows per class (positive).
    max_margin : float, default=0.5
        The largest margin, > 0.
    scale : float, default=30.0
        Logit scale *s*, > 0 (the paper uses 30 on normalised features).
    reduction : {"mean", "sum", "none"}, default="mean"

    Examples
    --------
    >>> import torch
    >>> from wsample_sk.losses import LDAMLoss
    >>> LDAMLoss(class_counts=[10000, 1], max_margin=0.5).margins
    tensor([0.0500, 0.5000], dtype=torch.float64)
    """

    def __init__(
        self,
        class_counts: Any = None,
        max_margin: float = 0.5,
        scale: float = 30.0,
        reduction: str = "mean",
    ):
        self.max_margin = _check_param(max_margin, "max_margin", 0.0, 100.0, include_low=False)
        self.scale = _check_param(scale, "scale", 0.0, 1e4, include_low=False)
        super().__init__(class_counts, reduction)

    @property
    def margins(self) -> torch.Tensor | None:
        """Δ_c per class, or ``None`` before the counts are known."""
        if self.class_counts is None:
            return None
        raw = self.class_counts**-0.25
        return raw * (self.max_margin / raw.max())

    def probabilities(self, logits: torch.Tensor) -> torch.Tensor:
        """softmax(*s* z): the scale the loss was trained at."""
        return torch.softmax(self.scale * logits, dim=-1)

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        self._counts_for(logits)
        margin = self.margins.to(logits.device, logits.dtype)[target]
        shifted = logits - F.one_hot(target, logits.shape[1]).to(logits.dtype) * margin[:, None]
        return self._reduce(F.cross_entropy(self.scale * shifted, target, reduction="none"))


class FocalLoss(_CountedLoss):
    """Focal loss, multi-class softmax form (Lin et al. 2017).

    −α_y (1 − p_y)^γ log p_y with *p* the softmax of the logits: confident,
    correct rows weigh less. γ = 0 and no α is cross-entropy.

    Parameters
    ----------
    gamma : float, default=2.0
        Focusing parameter, >= 0.
    alpha : None, "balanced" or array-like of shape (n_classes,), default=None
        Class weights α: none, inverse class frequency (n / (k n_c), from
        the class counts), or given.
    class_counts : array-like of shape (n_classes,), default=None
        Training rows per class; needed for ``alpha="balanced"`` only.
    reduction : {"mean", "sum", "none"}, default="mean"

    Examples
    --------
    >>> import torch
    >>> from wsample_sk.losses import FocalLoss
    >>> z, y = torch.tensor([[2.0, 0.0], [0.0, 2.0]]), torch.tensor([0, 0])
    >>> FocalLoss(gamma=2.0, reduction="none")(z, y)
    tensor([0.0018, 1.6501])
    """

    def __init__(
        self,
        gamma: float = 2.0,
        alpha: Any = None,
        class_counts: Any = None,
        reduction: str = "mean",
    ):
        self.gamma = _check_param(gamma, "gamma", 0.0, 100.0)
        if not (alpha is None or (isinstance(alpha, str) and alpha == "balanced")):
            alpha = _check_counts(alpha, "alpha")
        self.alpha = alpha
        super().__init__(class_counts, reduction)

    def _class_weights(self, logits: torch.Tensor) -> torch.Tensor | None:
        if self.alpha is None:
            return None
        if isinstance(self.alpha, str):  # "balanced"
            counts = self._counts_for(logits)
            weights = counts.sum() / (len(counts) * counts)
        else:
            weights = self.alpha
            if len(weights) != logits.shape[1]:
                raise ValueError(
                    f"alpha has {len(weights)} class weights but the logits have "
                    f"{logits.shape[1]} columns."
                )
        return weights.to(logits.device, logits.dtype)

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        log_p = torch.log_softmax(logits, dim=-1).gather(1, target[:, None])[:, 0]
        # (1 - p) from expm1 is exact near p = 1; the floor keeps the gradient
        # of (1 - p)^gamma finite there for gamma < 1
        one_minus_p = (-torch.expm1(log_p)).clamp_min(torch.finfo(log_p.dtype).tiny)
        losses = -(one_minus_p**self.gamma) * log_p
        weights = self._class_weights(logits)
        if weights is not None:
            losses = losses * weights[target]
        return self._reduce(losses)
