"""Predictions corrected for the class mix training saw.

A model trained on mix q predicts p_q(c|x); under the natural mix π,
p(c|x) ∝ p_q(c|x) · π_c / q_c (Saerens et al. 2002). What a prediction needs
of the estimator is read once, into a :class:`Correction`; the functions
below take that value, not the estimator. ``class_prior_`` (π)
and ``sampling_prior_`` (q) are read from ``history``, which every
checkpoint carries: :func:`kept_priors` takes them from the epoch whose
parameters the model holds (the best one after ``Checkpoint(load_best=True)``
or ``EarlyStopping(load_best=True)``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import expit, logit
from skorch.callbacks import Checkpoint, EarlyStopping

from ._criteria import criteria_of
from ._labels import output_labels

__all__ = [
    "Correction",
    "adjusted_scores",
    "check_probabilities",
    "corrected_label_probabilities",
    "corrected_probabilities",
    "correction_of",
    "decide",
    "decide_labels",
    "kept_priors",
    "natural_posterior",
]


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


@dataclass(frozen=True)
class Correction:
    """What ``predict_proba`` / ``predict`` need of a fitted model, read once.

    :func:`correction_of` reads it from the estimator (its parameters,
    ``history`` and criterion); the functions below take it, not the
    estimator. Missing state is an error only where it is needed
    (:meth:`priors_for`).

    Attributes
    ----------
    proba_correction, logit_adjustment
        The estimator's parameters.
    priors : (class_prior, sampling_prior) or None
        Of the epoch whose parameters the model holds (:func:`kept_priors`).
    output_prior : callable or None
        The criterion's map from the trained mix to the mix its outputs are
        relative to (:class:`~wsample_sk.losses.LogitAdjustedLoss`).
    unloaded : str or None
        The criterion's name when it adjusts for a training mix it does not
        hold (restored without ``f_criterion``).
    uncorrectable : str or None
        Why the criterion's mix cannot be undone (``DistributionBalancedLoss``).
    criterion_name : str
    labels : ndarray or None
        The labels of the outputs, in order.
    auto : bool
        Whether ``predict_nonlinearity="auto"``.
    """

    proba_correction: str | None = None
    logit_adjustment: float | None = None
    priors: tuple[np.ndarray, np.ndarray] | None = None
    output_prior: Any = None
    unloaded: str | None = None
    uncorrectable: str | None = None
    criterion_name: str = ""
    labels: np.ndarray | None = None
    auto: bool = True

    def priors_for(self, parameter: str) -> tuple[np.ndarray, np.ndarray]:
        """The kept priors, or a ``ValueError`` that says what state is missing."""
        if self.uncorrectable:
            raise ValueError(
                f"{parameter} cannot undo the class mix of training: {self.uncorrectable}."
            )
        if self.priors is None:
            raise ValueError(
                f"{parameter} needs the class mix of training (class_prior_, "
                "sampling_prior_), which history records when fit has the class labels; "
                "after initialize(), load it with load_params(f_history=...) or "
                "load_params(checkpoint=...)."
            )
        return self.priors


def correction_of(net: Any) -> Correction:
    """The :class:`Correction` of a fitted (or restored) estimator."""
    criterion = criteria_of(net).single
    nonlinearity = net.predict_nonlinearity
    unloaded = None
    if getattr(criterion, "training_mix", False) is None:  # a fresh LogitAdjustedLoss
        unloaded = type(criterion).__name__
    return Correction(
        proba_correction=net.proba_correction,
        logit_adjustment=net.logit_adjustment,
        priors=kept_priors(net),
        output_prior=getattr(criterion, "output_prior", None),
        unloaded=unloaded,
        uncorrectable=getattr(criterion, "uncorrectable_mix", None),
        criterion_name=type(getattr(net, "criterion_", None)).__name__,
        labels=output_labels(net),
        auto=isinstance(nonlinearity, str) and nonlinearity == "auto",
    )


def check_probabilities(fix: Correction, proba: np.ndarray) -> np.ndarray:
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
        f"{fix.criterion_name}. Pass "
        "predict_nonlinearity=partial(torch.softmax, dim=-1) if the module "
        "returns logits, or make it return probabilities."
    )


def output_prior(fix: Correction, sampling_prior: np.ndarray) -> np.ndarray:
    """The class mix the outputs are relative to (a criterion may say, see losses).

    A loss that adjusts for the mix it was trained on
    (:class:`~wsample_sk.losses.LogitAdjustedLoss`) must hold that mix: a
    fresh one (restored without ``f_criterion``) would give other
    probabilities, so that is an error naming the file to load.
    """
    if fix.unloaded:
        raise ValueError(
            f"{fix.unloaded} adjusts for the class mix it was trained on, and "
            "this one holds none (restored without its fitted state): load it with "
            "load_params(f_criterion=...) or load_params(checkpoint=...)."
        )
    if fix.output_prior is not None:
        return np.asarray(fix.output_prior(sampling_prior), dtype=np.float64)
    return sampling_prior


def natural_posterior(fix: Correction, proba: np.ndarray, parameter: str) -> np.ndarray:
    """p(c|x) under the training part's class mix, from the outputs' mix."""
    class_prior, sampling_prior = fix.priors_for(parameter)
    prior = output_prior(fix, sampling_prior)
    if len(prior) != proba.shape[1]:
        raise ValueError(
            f"{parameter}: history records a class mix of {len(prior)} classes but the "
            f"module has {proba.shape[1]} outputs."
        )
    drawn = prior > 0  # classes never drawn keep their probability
    proba = proba.copy()
    proba[:, drawn] *= class_prior[drawn] / prior[drawn]
    return proba / proba.sum(axis=1, keepdims=True)


def adjusted_scores(fix: Correction, proba: np.ndarray, tau: float) -> np.ndarray:
    """log p(c|x) − τ log π_c; classes never trained on (no rows, never drawn) never win."""
    proba = check_probabilities(fix, np.asarray(proba, dtype=np.float64))
    class_prior, sampling_prior = fix.priors_for("logit_adjustment")
    natural = natural_posterior(fix, proba, "logit_adjustment")
    with np.errstate(divide="ignore"):
        scores = np.log(natural) - tau * np.log(class_prior)
    scores[:, (class_prior == 0) | (sampling_prior == 0)] = -np.inf
    return scores


def _label_probabilities(proba: np.ndarray) -> np.ndarray:
    bad = ~np.isfinite(proba) | (proba < -1e-6) | (proba > 1 + 1e-6)
    if bad.any():
        i, j = (int(v[0]) for v in np.nonzero(bad))
        raise ValueError(
            f"The module's output for row {i}, label {j} is {proba[i, j]!r}, not a probability; "
            "a multi-label module returns one logit per label."
        )
    return np.clip(proba, 0.0, 1.0)


def natural_label_posterior(fix: Correction, proba: np.ndarray, parameter: str) -> np.ndarray:
    """Per label: logit p' = logit p − logit q_l + logit π_l (the binary prior correction).

    Labels whose trained (q) or natural (π) positive rate is 0 or 1 keep their
    probability. Exact when a row's draw weight depends on that label alone;
    with weights that mix labels (class-aware draws) an approximation.
    """
    class_prior, sampling_prior = fix.priors_for(parameter)
    if len(class_prior) != proba.shape[1]:
        raise ValueError(
            f"{parameter}: history records {len(class_prior)} labels but the module has "
            f"{proba.shape[1]} outputs."
        )
    ok = (class_prior > 0) & (class_prior < 1) & (sampling_prior > 0) & (sampling_prior < 1)
    out = proba.copy()
    with np.errstate(divide="ignore"):
        shift = logit(class_prior[ok]) - logit(sampling_prior[ok])
        out[:, ok] = expit(logit(proba[:, ok]) + shift)
    return out


def corrected_probabilities(fix: Correction, raw: Any) -> np.ndarray:
    """``predict_proba``'s rows (one label per row) checked, and prior-corrected if asked."""
    proba = check_probabilities(fix, np.asarray(raw, dtype=np.float64))
    if fix.proba_correction == "prior":
        return natural_posterior(fix, proba, "proba_correction")
    return proba


def corrected_label_probabilities(fix: Correction, raw: Any) -> np.ndarray:
    """Per-label probabilities (multi-label) checked, and prior-corrected if asked."""
    proba = _label_probabilities(np.asarray(raw, dtype=np.float64))
    if fix.proba_correction == "prior":
        return natural_label_posterior(fix, proba, "proba_correction")
    return proba


def decide(fix: Correction, raw: Any) -> np.ndarray:
    """Labels from the module's probabilities (one label per row)."""
    tau = fix.logit_adjustment
    if tau is not None:
        scores = adjusted_scores(fix, raw, tau)
    elif fix.proba_correction is not None and fix.auto:
        scores = corrected_probabilities(fix, raw)
    else:  # the decision needs the ranking of the outputs only
        scores = raw
    positions = np.asarray(scores).argmax(axis=1)
    labels = fix.labels
    if labels is None:
        return positions
    if positions.size and positions.max() >= len(labels):
        raise ValueError(
            f"The module has more outputs than there are classes ({len(labels)}); "
            "its output size must match the classes."
        )
    return labels[positions]


def decide_labels(fix: Correction, raw: Any) -> np.ndarray:
    """The 0/1 indicator of the labels whose (corrected, or adjusted) probability passes 1/2."""
    tau = fix.logit_adjustment
    if tau is None:
        return (corrected_label_probabilities(fix, raw) > 0.5).astype(np.int64)
    class_prior, _ = fix.priors_for("logit_adjustment")
    proba = _label_probabilities(np.asarray(raw, dtype=np.float64))
    natural = natural_label_posterior(fix, proba, "logit_adjustment")
    # positive iff p / π^τ > (1 − p) / (1 − π)^τ; a label never (or always) positive
    # in training has no balanced rule: it is decided at one half, unadjusted
    seen = (class_prior > 0) & (class_prior < 1)
    shift = np.zeros_like(class_prior)
    shift[seen] = tau * logit(class_prior[seen])
    with np.errstate(divide="ignore"):
        scores = logit(natural) - shift
    return (scores > 0).astype(np.int64)
