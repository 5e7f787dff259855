"""Predictions corrected for the class mix training saw.

A model trained on mix q predicts p_q(c|x); under the natural mix π,
p(c|x) ∝ p_q(c|x) · π_c / q_c (Saerens et al. 2002). ``class_prior_`` (π)
and ``sampling_prior_`` (q) are read from ``history``, which every
checkpoint carries: :func:`kept_priors` takes them from the epoch whose
parameters the model holds (the best one after ``Checkpoint(load_best=True)``
or ``EarlyStopping(load_best=True)``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from skorch.callbacks import Checkpoint, EarlyStopping

from ._criteria import single_criterion

__all__ = ["adjusted_scores", "check_probabilities", "kept_priors", "natural_posterior"]


def _kept_epoch(net: Any) -> int | None:
    """The epoch (1-based, as history counts) whose parameters were restored, if any."""
    for _, callback in getattr(net, "callbacks_", ()):
        if isinstance(callback, EarlyStopping) and callback.load_best:
            best = getattr(callback, "best_epoch_", None)
            if best is not None:
                return int(best)
        if isinstance(callback, Checkpoint) and callback.load_best and callback.event_name:
            marked = [row["epoch"] for row in net.history if row.get(callback.event_name) is True]
            if marked:
                return int(marked[-1])
    return None


def kept_priors(net: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """``(class_prior, sampling_prior)`` of the epoch whose parameters the model holds.

    ``None`` when ``history`` records none (no fit with labels, or a restore
    without ``f_history``).
    """
    history = getattr(net, "history_", None)
    if history is None:
        return None
    rows = [row for row in history if "sampling_prior" in row]
    if not rows:
        return None
    kept = _kept_epoch(net)
    chosen = [row for row in rows if row.get("epoch") == kept] if kept is not None else []
    row = chosen[-1] if chosen else rows[-1]
    return (
        np.asarray(row["class_prior"], dtype=np.float64),
        np.asarray(row["sampling_prior"], dtype=np.float64),
    )


def prior_property(index: int, doc: str) -> property:
    """``class_prior_`` (0) or ``sampling_prior_`` (1), read from ``history``."""

    def fget(net):
        priors = kept_priors(net)
        if priors is None:
            raise AttributeError(
                f"{type(net).__name__} has no class mix recorded yet (fit it with labels)."
            )
        return priors[index]

    return property(fget, doc=doc)


def require_priors(net: Any, parameter: str) -> tuple[np.ndarray, np.ndarray]:
    """The kept priors, or a ``ValueError`` that says what state is missing."""
    priors = kept_priors(net)
    if priors is None:
        raise ValueError(
            f"{parameter} needs the class mix of training (class_prior_, "
            "sampling_prior_), which history records when fit has the class labels; "
            "after initialize(), load it with load_params(f_history=...) or "
            "load_params(checkpoint=...)."
        )
    return priors


def check_probabilities(net: Any, proba: np.ndarray) -> np.ndarray:
    """Rows of probabilities, clipped and renormalised; a clear error otherwise."""
    sums = proba.sum(axis=1)
    bad = ~((proba >= -1e-6).all(axis=1) & (proba <= 1 + 1e-6).all(axis=1))
    bad |= ~np.isclose(sums, 1.0, atol=1e-3)
    if proba.ndim == 2 and not bad.any():
        return np.clip(proba, 0.0, None) / sums[:, None]
    i = int(np.flatnonzero(bad)[0]) if proba.ndim == 2 else 0
    if not np.isfinite(proba[i]).all():
        raise ValueError(
            f"The module's outputs are not finite (row {i}: {np.round(proba[i], 4).tolist()!r}); "
            "the network's parameters may have diverged during training."
        )
    raise ValueError(
        f"The module's outputs are not probabilities (row {i}: "
        f"{np.round(proba[i], 4).tolist()!r}), and predict_nonlinearity='auto' "
        f"cannot tell how to turn them into some for the criterion "
        f"{type(net.criterion_).__name__}. Pass "
        "predict_nonlinearity=partial(torch.softmax, dim=-1) if the module "
        "returns logits, or make it return probabilities."
    )


def output_prior(net: Any, sampling_prior: np.ndarray) -> np.ndarray:
    """The class mix the outputs are relative to (a criterion may say, see losses)."""
    criterion = single_criterion(net)
    if criterion is not None and hasattr(criterion, "output_prior"):
        return np.asarray(criterion.output_prior(sampling_prior), dtype=np.float64)
    return sampling_prior


def natural_posterior(net: Any, proba: np.ndarray, parameter: str) -> np.ndarray:
    """p(c|x) under the training part's class mix, from the outputs' mix."""
    class_prior, sampling_prior = require_priors(net, parameter)
    prior = output_prior(net, sampling_prior)
    if len(prior) != proba.shape[1]:
        raise ValueError(
            f"{parameter}: history records a class mix of {len(prior)} classes but the "
            f"module has {proba.shape[1]} outputs."
        )
    drawn = prior > 0  # classes never drawn keep their probability
    proba = proba.copy()
    proba[:, drawn] *= class_prior[drawn] / prior[drawn]
    return proba / proba.sum(axis=1, keepdims=True)


def adjusted_scores(net: Any, proba: np.ndarray, tau: float) -> np.ndarray:
    """log p(c|x) − τ log π_c; classes never trained on (no rows, never drawn) never win."""
    proba = check_probabilities(net, np.asarray(proba, dtype=np.float64))
    class_prior, sampling_prior = require_priors(net, "logit_adjustment")
    natural = natural_posterior(net, proba, "logit_adjustment")
    with np.errstate(divide="ignore"):
        scores = np.log(natural) - tau * np.log(class_prior)
    scores[:, (class_prior == 0) | (sampling_prior == 0)] = -np.inf
    return scores
