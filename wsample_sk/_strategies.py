"""Weighting strategies: labels (and the epoch) to per-sample weights.

:func:`make_strategy` turns a validated spec of :mod:`wsample_sk.sampling`
(weighted draws or loss weights) into a :class:`Strategy`, the function from
labels, class counts and epoch to weights.
:func:`compute_sampling_weights` applies one and multiplies it by the
caller's ``sample_weight`` (as scikit-learn multiplies ``class_weight`` and
``sample_weight``).
"""

from __future__ import annotations

import functools
import inspect
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from numbers import Integral
from typing import Any

import numpy as np

from ._density import dense_weights
from ._labels import encode
from ._validation import check_sampling_weights, relative
from .sampling import WeightedDraws, check_sampling

__all__ = [
    "Strategy",
    "class_sampling_distribution",
    "combine_weights",
    "compute_sampling_weights",
    "make_strategy",
]

ClassWeights = Callable[[np.ndarray, np.ndarray, int, int], np.ndarray]
SampleWeights = Callable[[np.ndarray, int], np.ndarray]


@dataclass(frozen=True)
class Strategy:
    """A spec's weights as a function: labels (and epoch) to weights.

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
    >>> from wsample_sk._strategies import make_strategy
    >>> from wsample_sk.sampling import WeightedDraws
    >>> strategy = make_strategy(WeightedDraws("balanced"))
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
    """scikit-learn's "balanced" weights, n / (k n_c), over the classes present.

    The formula of ``compute_class_weight("balanced")``, from the counts
    alone: O(k), and counts may be effective (smoothed, non-integer) ones.
    """
    counts = np.asarray(counts, dtype=np.float64)
    present = counts > 0
    out = np.zeros(len(counts))
    out[present] = counts.sum() / (np.count_nonzero(present) * counts[present])
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


def _from_dict(class_weight: Mapping, name: str) -> ClassWeights:
    def weights(classes, counts, epoch, n_epochs):
        known = {c: i for i, c in enumerate(classes.tolist())}
        unknown = [c for c in class_weight if c not in known]
        if unknown and epoch == 0:
            # a fold or chunk may lack a class: its weight is simply unused
            warnings.warn(
                f"{name} dict names class(es) {unknown!r} that are not among "
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


def first_weighted_epoch(start: int | float, n_epochs: int) -> int:
    """The epoch where a deferred schedule turns on: ``start``, or its fraction of the length.

    Examples
    --------
    >>> from wsample_sk._strategies import first_weighted_epoch
    >>> first_weighted_epoch(0.8, 10), first_weighted_epoch(0.8, 4), first_weighted_epoch(3, 10)
    (8, 3, 3)
    """
    if isinstance(start, Integral):
        return int(start)
    return int(np.floor(start * n_epochs + 1e-9))


def _deferred(start: int | float, target: ClassWeights) -> ClassWeights:
    """Cao et al. 2019 (DRW): natural weights, then ``target`` from ``start`` on."""

    def weights(classes, counts, epoch, n_epochs):
        if epoch < first_weighted_epoch(start, n_epochs):
            return np.ones(len(counts))
        return target(classes, counts, epoch, n_epochs)

    return weights


def _progressive(target: ClassWeights) -> ClassWeights:
    """Kang et al. 2020: p_c(t) = (1 - t/T) p_c(natural) + (t/T) p_c(target)."""

    def weights(classes, counts, epoch, n_epochs):
        t = min(max(epoch / max(n_epochs - 1, 1), 0.0), 1.0)
        present = counts > 0
        mass = np.where(present, target(classes, counts, 0, n_epochs) * counts, 0.0)
        aimed = mass / mass.sum() if mass.sum() > 0 else present / present.sum()
        probs = (1 - t) * counts / counts.sum() + t * aimed
        with np.errstate(divide="ignore", invalid="ignore"):
            return _mean_one(np.where(present, probs / counts, 0.0), counts)

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


def make_strategy(spec: Any, name: str = "sampling") -> Strategy | None:
    """The weights of a validated :class:`~wsample_sk.sampling.WeightedDraws` or
    :class:`~wsample_sk.sampling.LossWeights`, as a :class:`Strategy`.

    ``None`` when the spec gives no class-level or per-sample weights of its
    own (draws by ``sample_weight`` alone).

    Examples
    --------
    >>> import numpy as np
    >>> from wsample_sk.sampling import check_sampling
    >>> from wsample_sk._strategies import make_strategy
    >>> make_strategy(check_sampling("sqrt")).weights(np.array([0, 0, 0, 0, 1]))
    array([0.83333333, 0.83333333, 0.83333333, 0.83333333, 1.66666667])
    """
    weights = spec.weights
    if weights is None:
        return None
    if callable(weights) and not isinstance(weights, Mapping):
        return _from_callable(weights)
    if isinstance(weights, str) and weights == "denseweight":  # per row, from the values
        alpha = spec.alpha_

        def dense(y, epoch):  # one target column (the plan refuses several), 1-D or (n, 1)
            return dense_weights(np.ravel(y), alpha)

        return Strategy("denseweight", sample_weights=dense)
    if isinstance(weights, Mapping):
        target = _from_dict(weights, name)
    elif weights == "balanced":
        target = _balanced
    elif weights == "sqrt":
        target = _sqrt
    else:  # "effective", validated
        target = _effective(spec.beta_)
    label = weights if isinstance(weights, str) else "dict"
    if spec.schedule == "deferred":
        return Strategy(
            f"deferred {label}", class_weights=_deferred(spec.start_, target), dynamic=True
        )
    if spec.schedule == "progressive":
        return Strategy(f"progressive {label}", class_weights=_progressive(target), dynamic=True)
    return Strategy(label, class_weights=target)


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
    beta: float | None = None,
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
    sampling : None, str, dict, callable or WeightedDraws, default=None
        See :func:`wsample_sk.sampling.check_sampling`.
    sample_weight : array-like of shape (n_samples,), default=None
        Weights from anywhere (a file, another model). Need not sum to one.
    beta : float, default=None
        β of ``"effective"`` (``sampling__beta``); ``None`` is 0.999.
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
    spec = check_sampling(sampling, **({} if beta is None else {"beta": beta}))
    if spec is not None and not isinstance(spec, WeightedDraws):
        raise ValueError(
            f"compute_sampling_weights gives per-row weights; {spec!r} fixes class counts."
        )
    strategy = None if spec is None else make_strategy(spec)
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
    w = (
        np.ones(len(y))
        if weights is None
        else check_sampling_weights(weights, len(y), name="weights")
    )
    totals = np.bincount(codes, weights=relative(w), minlength=len(classes))
    return dict(zip(classes.tolist(), (totals / totals.sum()).tolist(), strict=True))
