"""Weighting strategies: ``(y, sample_weight) -> per-sample sampling weights``.

:func:`check_sampling` is the one place that turns every accepted form of the
``sampling`` parameter (``None``, a name, a dict, a callable) into one
canonical form: a :class:`Strategy`, whose ``weights(y, epoch, n_epochs)``
gives one weight per sample (``dynamic`` strategies change with the epoch).
:func:`compute_sampling_weights` applies it and multiplies by the caller's
``sample_weight`` (as scikit-learn multiplies ``class_weight`` and
``sample_weight``).

Class-level strategies are normalised so that the per-sample weights average
one over ``y``; only their ratios matter to a sampler, but this keeps loss
weighting on the scale of an unweighted loss.

==============  =========================================  ===================
name            weight of a sample of class c              drawn class mix
==============  =========================================  ===================
``None``        1                                          natural, ∝ n_c
``"balanced"``  n / (k · n_c)                              uniform over classes
``"sqrt"``      ∝ n_c^-1/2                                  ∝ n_c^1/2
``"effective"`` ∝ (1 − β) / (1 − β^n_c) (Cui et al. 2019)  between the two
``"progressive"`` natural at the first epoch, balanced at  moves from natural
                the last (Kang et al. 2020)                to uniform
==============  =========================================  ===================
"""

from __future__ import annotations

import inspect
import numbers
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.utils.class_weight import compute_class_weight

from .validation import check_sampling_weights

__all__ = [
    "STRATEGIES",
    "Strategy",
    "check_sampling",
    "class_sampling_distribution",
    "compute_sampling_weights",
]

STRATEGIES = ("balanced", "sqrt", "effective", "progressive")
"""Names accepted by ``sampling=``."""

WeightFunction = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Strategy:
    """The canonical form of ``sampling``: labels (and epoch) to weights.

    Parameters
    ----------
    function : callable
        ``(y, epoch, n_epochs) -> weights``, one float64 weight per sample.
    dynamic : bool, default=False
        Whether the weights depend on the epoch (recomputed every epoch).

    Examples
    --------
    >>> import numpy as np
    >>> from wsample_sk.strategies import check_sampling
    >>> check_sampling("progressive").dynamic
    True
    """

    function: Callable[[np.ndarray, int, int], np.ndarray]
    dynamic: bool = False

    def weights(self, y: np.ndarray, epoch: int = 0, n_epochs: int = 1) -> np.ndarray:
        """One weight per sample of ``y`` for ``epoch`` (0-based) of ``n_epochs``."""
        return self.function(np.asarray(y), epoch, n_epochs)


def _static(function: WeightFunction) -> Strategy:
    return Strategy(lambda y, epoch, n_epochs: function(y))


def _per_sample(y: np.ndarray, class_weight: np.ndarray, classes: np.ndarray):
    """Map class weights onto samples, scaled to a mean of one."""
    codes = np.searchsorted(classes, y)
    weights = class_weight[codes]
    return weights * (len(y) / weights.sum())


def _balanced(y: np.ndarray) -> np.ndarray:
    classes = np.unique(y)
    return _per_sample(y, compute_class_weight("balanced", classes=classes, y=y), classes)


def _power(q: float) -> WeightFunction:
    def weights(y: np.ndarray) -> np.ndarray:
        classes, counts = np.unique(y, return_counts=True)
        return _per_sample(y, counts.astype(np.float64) ** (q - 1.0), classes)

    return weights


def _effective(beta: float) -> WeightFunction:
    def weights(y: np.ndarray) -> np.ndarray:
        classes, counts = np.unique(y, return_counts=True)
        # (1 - beta) / (1 - beta**n), written with expm1/log1p to stay exact
        # for beta close to one and large n.
        with np.errstate(divide="ignore"):  # beta == 0: every class counts once
            effective_number = -np.expm1(counts * np.log(beta)) / (1.0 - beta)
        return _per_sample(y, 1.0 / effective_number, classes)

    return weights


def _progressive(y: np.ndarray, epoch: int, n_epochs: int) -> np.ndarray:
    """Kang et al. 2020: p_c(t) = (1 - t/T) p_c(natural) + (t/T) p_c(balanced)."""
    classes, codes, counts = np.unique(y, return_inverse=True, return_counts=True)
    t = min(max(epoch / max(n_epochs - 1, 1), 0.0), 1.0)
    probs = (1 - t) * counts / counts.sum() + t / len(classes)
    return _per_sample(y, probs / counts, classes)


def _from_dict(class_weight: Mapping) -> WeightFunction:
    def weights(y: np.ndarray) -> np.ndarray:
        classes = np.unique(y)
        known = set(classes.tolist())
        unknown = [c for c in class_weight if c not in known]
        if unknown:
            raise ValueError(
                f"sampling dict names class(es) {unknown!r} that are not in y; "
                f"the classes are {classes.tolist()!r}."
            )
        out = np.ones(len(y), dtype=np.float64)
        for label, w in class_weight.items():
            out[y == label] = w
        return out

    return weights


def _from_callable(func: Callable) -> Strategy:
    name = "the weights returned by the sampling callable"
    try:
        n_params = len(inspect.signature(func).parameters)
    except (TypeError, ValueError):  # builtins without a signature
        n_params = 1
    if n_params >= 2:  # (y, epoch) -> weights
        return Strategy(
            lambda y, epoch, n_epochs: check_sampling_weights(func(y, epoch), len(y), name=name),
            dynamic=True,
        )
    return _static(lambda y: check_sampling_weights(func(y), len(y), name=name))


def check_sampling(sampling: Any, *, beta: float = 0.999) -> Strategy | None:
    """Turn any accepted form of ``sampling`` into a :class:`Strategy`.

    Parameters
    ----------
    sampling : None, str, dict or callable
        ``None`` (no class-level weighting), one of :data:`STRATEGIES`, a dict
        ``{class label: weight}`` (classes left out get weight 1), or a
        callable ``y -> weights`` or ``(y, epoch) -> weights`` (one weight
        per sample; ``epoch`` counts from 0).
    beta : float, default=0.999
        The ``"effective"`` strategy's β, in [0, 1).

    Returns
    -------
    strategy : Strategy or None
        ``None`` when ``sampling`` is ``None``.

    Raises
    ------
    ValueError
        For an unknown name, a dict with non-numeric, negative or non-finite
        values, a β outside [0, 1), or any other type.

    Examples
    --------
    >>> import numpy as np
    >>> from wsample_sk.strategies import check_sampling
    >>> check_sampling("balanced").weights(np.array([0, 0, 0, 1]))
    array([0.66666667, 0.66666667, 0.66666667, 2.        ])
    """
    if sampling is None:
        return None
    if isinstance(sampling, str):
        if sampling == "balanced":
            return _static(_balanced)
        if sampling == "sqrt":
            return _static(_power(0.5))
        if sampling == "progressive":
            return Strategy(_progressive, dynamic=True)
        if sampling == "effective":
            if (
                isinstance(beta, bool)
                or not isinstance(beta, numbers.Real)
                or not 0.0 <= beta < 1.0
            ):
                raise ValueError(f"beta must be a float in [0, 1); got {beta!r}.")
            return _static(_effective(float(beta)))
        raise ValueError(
            f"Unknown sampling strategy {sampling!r}; use None, one of "
            f"{list(STRATEGIES)}, a dict {{class: weight}} or a callable "
            "y -> weights."
        )
    if isinstance(sampling, Mapping):
        values = check_sampling_weights(
            list(sampling.values()),
            name="the weights of the sampling dict",
            allow_all_zero=True,
        )
        return _static(_from_dict(dict(zip(sampling.keys(), values.tolist(), strict=True))))
    if callable(sampling):
        return _from_callable(sampling)
    raise ValueError(
        "sampling must be None, a strategy name, a dict {class: weight} or a "
        f"callable y -> weights; got {type(sampling).__name__}."
    )


def compute_sampling_weights(
    y: Any,
    sampling: Any = None,
    *,
    sample_weight: Any = None,
    beta: float = 0.999,
    epoch: int = 0,
    n_epochs: int = 1,
) -> np.ndarray | None:
    """Per-sample sampling weights from a strategy and/or ``sample_weight``.

    The strategy's weight and ``sample_weight`` multiply, as ``class_weight``
    and ``sample_weight`` do in scikit-learn: the strategy is computed from
    the class counts of ``y`` alone.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Class labels.
    sampling : None, str, dict or callable, default=None
        See :func:`check_sampling`.
    sample_weight : array-like of shape (n_samples,), default=None
        Weights from anywhere (a file, another model). Need not sum to one.
    beta : float, default=0.999
        β of the ``"effective"`` strategy.
    epoch, n_epochs : int, default=0, 1
        The epoch (from 0) and the number of epochs, for strategies that
        change during training (``"progressive"``, ``(y, epoch)`` callables).

    Returns
    -------
    weights : ndarray of shape (n_samples,) or None
        ``None`` when neither a strategy nor ``sample_weight`` is given
        (uniform draws).

    Warns
    -----
    UserWarning
        When every sample of some class has weight zero: that class is never
        drawn.

    Examples
    --------
    >>> from wsample_sk import compute_sampling_weights
    >>> compute_sampling_weights([0, 0, 0, 1], "balanced", sample_weight=[1, 1, 2, 1])
    array([0.66666667, 0.66666667, 1.33333333, 2.        ])
    """
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D; got shape {y.shape}.")
    strategy = check_sampling(sampling, beta=beta)
    weights = None
    if sample_weight is not None:
        weights = check_sampling_weights(sample_weight, len(y))
    if strategy is not None:
        strategy_weights = strategy.weights(y, epoch, n_epochs)
        weights = strategy_weights if weights is None else weights * strategy_weights
        if not weights.any():
            raise ValueError(
                "The sampling weights (strategy times sample_weight) are all "
                "zero; at least one must be positive."
            )
    if weights is not None:
        _warn_on_empty_classes(y, weights)
    return weights


def _warn_on_empty_classes(y: np.ndarray, weights: np.ndarray) -> None:
    classes, codes = np.unique(y, return_inverse=True)
    totals = np.bincount(codes, weights=weights, minlength=len(classes))
    empty = classes[totals == 0]
    if len(empty):
        warnings.warn(
            f"Every sample of class(es) {empty.tolist()!r} has weight zero; "
            "they will never be drawn for training.",
            UserWarning,
            stacklevel=3,
        )


def class_sampling_distribution(y: Any, weights: Any = None) -> dict:
    """The class mix that draws with these weights produce.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Class labels.
    weights : array-like of shape (n_samples,), default=None
        Sampling weights; ``None`` means uniform.

    Returns
    -------
    distribution : dict
        ``{class label: probability that a draw is of this class}``.

    Examples
    --------
    >>> from wsample_sk.strategies import class_sampling_distribution
    >>> class_sampling_distribution([0, 0, 0, 1], [1, 1, 1, 3])
    {0: 0.5, 1: 0.5}
    """
    y = np.asarray(y)
    classes, codes = np.unique(y, return_inverse=True)
    if weights is None:
        weights = np.ones(len(y))
    totals = np.bincount(codes, weights=check_sampling_weights(weights, len(y)))
    return dict(zip(classes.tolist(), (totals / totals.sum()).tolist(), strict=True))
