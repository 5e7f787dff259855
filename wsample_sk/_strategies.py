"""Weighting strategies: labels (and the epoch) to per-sample weights.

:func:`check_sampling` is the one place that turns every accepted form of the
``sampling`` parameter (``None``, a name, a dict, a callable) into one
canonical form, a :class:`Strategy`. :func:`compute_sampling_weights` applies
one and multiplies it by the caller's ``sample_weight`` (as scikit-learn
multiplies ``class_weight`` and ``sample_weight``).
"""

from __future__ import annotations

import functools
import inspect
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any

import numpy as np
from sklearn.utils.class_weight import compute_class_weight

from ._labels import encode
from ._validation import check_sampling_weights, relative

__all__ = [
    "STRATEGIES",
    "Strategy",
    "check_sampling",
    "class_sampling_distribution",
    "combine_weights",
    "compute_sampling_weights",
]

STRATEGIES = ("balanced", "sqrt", "effective", "progressive", "deferred")
"""Names accepted by ``sampling=``."""

ClassWeights = Callable[[np.ndarray, np.ndarray, int, int], np.ndarray]
SampleWeights = Callable[[np.ndarray, int], np.ndarray]


@dataclass(frozen=True)
class Strategy:
    """The canonical form of ``sampling``: labels (and epoch) to weights.

    A strategy is either class-level (every sample of a class gets its
    class's weight, computed from the class counts) or sample-level (a
    user callable that returns one weight per sample).

    Parameters
    ----------
    name : str
        What the strategy was made from, for messages.
    class_weights : callable, default=None
        ``(classes, counts, epoch, n_epochs) -> weight per class``; classes
        with a count of zero get a weight that is never used.
    sample_weights : callable, default=None
        ``(y, epoch) -> weight per sample`` (validated).
    dynamic : bool, default=False
        Whether the weights depend on the epoch (recomputed every epoch).

    Examples
    --------
    >>> import numpy as np
    >>> from wsample_sk import check_sampling
    >>> strategy = check_sampling("balanced")
    >>> strategy.class_level, strategy.dynamic
    (True, False)
    >>> strategy.weights(np.array(["a", "a", "a", "b"]))
    array([0.66666667, 0.66666667, 0.66666667, 2.        ])
    """

    name: str
    class_weights: ClassWeights | None = None
    sample_weights: SampleWeights | None = None
    dynamic: bool = False

    @property
    def class_level(self) -> bool:
        """Whether all samples of a class share one weight."""
        return self.class_weights is not None

    def weights(
        self,
        y: Any,
        epoch: int = 0,
        n_epochs: int = 1,
        *,
        classes: np.ndarray | None = None,
    ) -> np.ndarray:
        """One weight per sample of ``y`` at ``epoch`` (0-based) of ``n_epochs``.

        Parameters
        ----------
        y : array-like of shape (n_samples,)
            Class labels.
        epoch, n_epochs : int
            For strategies that change during training.
        classes : ndarray, default=None
            All known classes (a class absent from ``y`` is allowed, and a
            dict strategy may name it); ``None`` means the labels of ``y``.
        """
        y = np.asarray(y)
        if self.class_weights is None:
            return self.sample_weights(y, epoch)
        if classes is None:
            classes, codes = np.unique(y, return_inverse=True)
        else:
            classes = np.asarray(classes)
            codes = encode(y, classes)
        counts = np.bincount(codes, minlength=len(classes))
        return self.class_weights(classes, counts, epoch, n_epochs)[codes]


# -- class-level weights: (classes, counts, epoch, n_epochs) -> per class ------
def _mean_one(class_weight: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Scale class weights so that the per-sample weights average one."""
    present = counts > 0
    out = np.zeros(len(counts))
    cw = relative(class_weight[present])
    out[present] = cw * (counts.sum() / (cw @ counts[present]))
    return out


def _balanced_counts(counts: np.ndarray) -> np.ndarray:
    """scikit-learn's "balanced" weights, n / (k n_c), over the classes present."""
    present = np.flatnonzero(counts)
    codes = np.repeat(present, counts[present])
    out = np.zeros(len(counts))
    out[present] = compute_class_weight("balanced", classes=present, y=codes)
    return out


def _balanced(classes, counts, epoch, n_epochs):
    return _balanced_counts(counts)


def _sqrt(classes, counts, epoch, n_epochs):
    with np.errstate(divide="ignore"):
        return _mean_one(counts.astype(np.float64) ** -0.5, counts)


def _effective(beta: float) -> ClassWeights:
    def weights(classes, counts, epoch, n_epochs):
        # (1 - beta) / (1 - beta**n), written with expm1/log1p to stay exact
        # for beta close to one and large n.
        with np.errstate(divide="ignore"):  # beta == 0: every class counts once
            effective_number = -np.expm1(counts * np.log(beta)) / (1.0 - beta)
            return _mean_one(1.0 / effective_number, counts)

    return weights


def _progressive(classes, counts, epoch, n_epochs):
    """Kang et al. 2020: p_c(t) = (1 - t/T) p_c(natural) + (t/T) p_c(balanced)."""
    t = min(max(epoch / max(n_epochs - 1, 1), 0.0), 1.0)
    present = counts > 0
    probs = (1 - t) * counts / counts.sum() + t * present / present.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        return _mean_one(np.where(present, probs / counts, 0.0), counts)


def _deferred(start: int | float) -> ClassWeights:
    """Cao et al. 2019 (DRW): natural weights, then balanced from ``start`` on."""

    def weights(classes, counts, epoch, n_epochs):
        first = start if isinstance(start, Integral) else int(np.ceil(start * n_epochs))
        if epoch < first:
            return np.ones(len(counts))
        return _balanced_counts(counts)

    return weights


def _from_dict(class_weight: Mapping) -> ClassWeights:
    def weights(classes, counts, epoch, n_epochs):
        known = {c: i for i, c in enumerate(classes.tolist())}
        unknown = [c for c in class_weight if c not in known]
        if unknown and epoch == 0:
            # a fold or chunk may lack a class: its weight is simply unused
            warnings.warn(
                f"sampling dict names class(es) {unknown!r} that are not among "
                f"the classes {classes.tolist()!r}; their weights are unused.",
                UserWarning,
                stacklevel=2,
            )
        out = np.ones(len(classes))
        for label, w in class_weight.items():
            if label in known:
                out[known[label]] = w
        return out

    return weights


# -- sample-level weights: a user callable ----------------------------------
def _takes_epoch(func: Callable) -> bool:
    """Whether ``func`` has a parameter named ``epoch`` (the documented rule)."""
    try:
        parameters = inspect.signature(func).parameters
    except (TypeError, ValueError):  # builtins and ufuncs without a signature
        return False
    epoch = parameters.get("epoch")
    return epoch is not None and epoch.kind not in (
        inspect.Parameter.POSITIONAL_ONLY,
        inspect.Parameter.VAR_POSITIONAL,
        inspect.Parameter.VAR_KEYWORD,
    )


def _from_callable(func: Callable) -> Strategy:
    name = "the weights returned by the sampling callable"
    if _takes_epoch(func):

        def weights(y, epoch):
            return check_sampling_weights(func(y, epoch=epoch), len(y), name=name)

        return Strategy(repr(func), sample_weights=weights, dynamic=True)

    def static(y, epoch):
        return check_sampling_weights(func(y), len(y), name=name)

    return Strategy(repr(func), sample_weights=static)


def _check_fraction_or_epoch(value: Any, name: str) -> int | float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, Real):
        raise ValueError(
            f"{name} must be an epoch (int >= 0) or a fraction in [0, 1]; got {value!r}."
        )
    if isinstance(value, Integral):
        if value < 0:
            raise ValueError(f"{name} must be an epoch >= 0; got {value!r}.")
        return int(value)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} as a float is a fraction of max_epochs in [0, 1]; got {value!r}.")
    return float(value)


def check_sampling(
    sampling: Any, *, beta: float = 0.999, deferred_start: int | float = 0.8
) -> Strategy | None:
    """Turn any accepted form of ``sampling`` into a :class:`Strategy`.

    Parameters
    ----------
    sampling : None, str, dict or callable
        ``None`` (no class-level weighting); one of :data:`STRATEGIES`:

        =================  =============================================  =====================
        name               weight of a sample of class *c*                drawn class mix
        =================  =============================================  =====================
        ``"balanced"``     n / (k n_c)                                    uniform
        ``"sqrt"``         ∝ n_c^(-1/2) (Mahajan et al. 2018)             ∝ n_c^(1/2)
        ``"effective"``    ∝ (1 - β) / (1 - β^n_c) (Cui et al. 2019)      between the two
        ``"progressive"``  natural at the first epoch, balanced at the    natural to uniform
                           last (Kang et al. 2020)
        ``"deferred"``     1 before ``deferred_start``, then n / (k n_c)  natural, then uniform
                           (Cao et al. 2019)
        =================  =============================================  =====================

        a dict ``{class label: weight}`` (classes left out get weight 1; a
        class the model does not know, for instance one missing from a
        cross-validation fold, is unused, with a warning); or
        a callable ``y -> weights`` returning one weight per sample. The
        callable is given the epoch (counted from 0) only if it has a
        parameter named ``epoch``, and is then called every epoch:
        ``lambda y, epoch: ...``.
    beta : float, default=0.999
        The ``"effective"`` strategy's β, in [0, 1).
    deferred_start : int or float, default=0.8
        Where ``"deferred"`` turns balanced: an epoch (int, from 0) or a
        fraction of the epochs (float in [0, 1]).

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
    >>> from wsample_sk import check_sampling
    >>> check_sampling("sqrt").weights(np.array([0, 0, 0, 0, 1]))
    array([0.83333333, 0.83333333, 0.83333333, 0.83333333, 1.66666667])
    >>> check_sampling(lambda y, epoch: np.ones(len(y)) + epoch).dynamic
    True
    """
    if sampling is None:
        return None
    if isinstance(sampling, str):
        if sampling == "balanced":
            return Strategy(sampling, class_weights=_balanced)
        if sampling == "sqrt":
            return Strategy(sampling, class_weights=_sqrt)
        if sampling == "progressive":
            return Strategy(sampling, class_weights=_progressive, dynamic=True)
        if sampling == "deferred":
            start = _check_fraction_or_epoch(deferred_start, "deferred_start")
            return Strategy(sampling, class_weights=_deferred(start), dynamic=True)
        if sampling == "effective":
            if (
                isinstance(beta, (bool, np.bool_))
                or not isinstance(beta, Real)
                or not 0.0 <= beta < 1.0
            ):
                raise ValueError(f"beta must be a float in [0, 1); got {beta!r}.")
            return Strategy(sampling, class_weights=_effective(float(beta)))
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
        as_dict = dict(zip(sampling.keys(), values.tolist(), strict=True))
        return Strategy("dict", class_weights=_from_dict(as_dict))
    if callable(sampling):
        return _from_callable(sampling)
    raise ValueError(
        "sampling must be None, a strategy name, a dict {class: weight} or a "
        f"callable y -> weights; got {type(sampling).__name__}."
    )


def combine_weights(*factors: np.ndarray | None) -> np.ndarray | None:
    """Multiply validated weight vectors (``None`` factors are skipped).

    The plain product keeps the factors' scale; when it would overflow, the
    product of the factors divided by their maxima is returned instead (the
    same ratios). Raises a ``ValueError`` when the product is all zero.

    Examples
    --------
    >>> import numpy as np
    >>> from wsample_sk._strategies import combine_weights
    >>> combine_weights(np.array([1e300, 1e300]), np.array([1e300, 2e300]))
    array([0.5, 1. ])
    """
    present = [f for f in factors if f is not None]
    if not present:
        return None
    if len(present) == 1:
        return present[0]
    with np.errstate(over="ignore", invalid="ignore"):
        product = functools.reduce(np.multiply, present)
    if not np.isfinite(product).all():
        product = functools.reduce(np.multiply, [relative(f) for f in present])
    if not product.any():
        raise ValueError(
            "The sampling weights (strategy times sample_weight) are all zero; "
            "at least one must be positive."
        )
    return product


def compute_sampling_weights(
    y: Any,
    sampling: Any = None,
    *,
    sample_weight: Any = None,
    beta: float = 0.999,
    epoch: int = 0,
    n_epochs: int = 1,
    classes: Any = None,
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
        change during training (``"progressive"``, ``"deferred"``, callables
        with an ``epoch`` parameter).
    classes : array-like, default=None
        All classes, when ``y`` may lack some (a dict strategy may name
        them); ``None`` means the labels of ``y``.

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
    sw = None if sample_weight is None else check_sampling_weights(sample_weight, len(y))
    classes = None if classes is None else np.asarray(classes)
    strategy_weights = (
        None if strategy is None else strategy.weights(y, epoch, n_epochs, classes=classes)
    )
    weights = combine_weights(strategy_weights, sw)
    if weights is not None:
        warn_on_empty_classes(y, weights, stacklevel=3)
    return weights


def warn_on_empty_classes(y: np.ndarray, weights: np.ndarray, *, stacklevel: int = 2) -> None:
    """Warn when every sample of a class present in ``y`` has weight zero."""
    classes, codes = np.unique(y, return_inverse=True)
    totals = np.bincount(codes, weights=relative(weights), minlength=len(classes))
    empty = classes[totals == 0]
    if len(empty):
        warnings.warn(
            f"Every sample of class(es) {empty.tolist()!r} has weight zero; "
            "they will never be drawn for training.",
            UserWarning,
            stacklevel=stacklevel + 1,
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
    >>> from wsample_sk import class_sampling_distribution
    >>> class_sampling_distribution([0, 0, 0, 1], [1, 1, 1, 3])
    {0: 0.5, 1: 0.5}
    """
    y = np.asarray(y)
    classes, codes = np.unique(y, return_inverse=True)
    w = np.ones(len(y)) if weights is None else check_sampling_weights(weights, len(y))
    totals = np.bincount(codes, weights=relative(w), minlength=len(classes))
    return dict(zip(classes.tolist(), (totals / totals.sum()).tolist(), strict=True))
