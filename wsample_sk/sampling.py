"""How training sees the class mix: the forms of ``sampling=`` and ``class_weight=``.

Every lever against imbalance is the value of one of two parameters of
:class:`~wsample_sk.WeightedSamplingClassifier`:

* ``sampling=`` says how training **draws** rows: weighted draws
  (:class:`WeightedDraws`, from the first epoch, deferred or progressive),
  exact class counts per epoch (:class:`ClassQuotas`) or a fixed class
  composition of every batch (:class:`BatchComposition`);
* ``class_weight=`` says how the **loss** weighs classes
  (:class:`LossWeights`, scikit-learn's name and meaning).

Plain strings are shortcuts (``sampling="balanced"`` is
``WeightedDraws("balanced")``, ``"deferred"`` is
``WeightedDraws("balanced", schedule="deferred")``); a sub-parameter travels
with its form, either as an argument (``WeightedDraws("effective",
beta=0.99)``) or through skorch's ``name__x`` idiom
(``sampling="effective", sampling__beta=0.99``). :func:`check_sampling` and
:func:`check_class_weight` are the one place that turns every accepted form,
with its sub-parameters, into one validated spec; the classifier stores it as
``sampling_`` / ``class_weight_``. A sub-parameter given where it does not
apply is an error, never ignored.

=============================================  ==========================================
what you want                                  what you write
=============================================  ==========================================
each class drawn equally often (on average)    ``sampling="balanced"``
draws ∝ √n_c, effective number                 ``sampling="sqrt"``, ``"effective"``
natural draws, then balanced (DRW)             ``sampling="deferred"``
natural → balanced over the epochs             ``sampling="progressive"``
exactly this many rows per class per epoch     ``sampling=ClassQuotas("auto")``
every batch in equal class shares / P × K      ``sampling=BatchComposition("equal")``
loss weights per class                         ``class_weight="balanced"``
``sample_weight`` in the loss, not the draws   ``sample_weight_in="loss"``
=============================================  ==========================================
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from numbers import Integral, Real
from typing import Any

import numpy as np
from sklearn.utils._param_validation import InvalidParameterError

from ._validation import check_count, check_flag, check_real

__all__ = [
    "BatchComposition",
    "ClassQuotas",
    "LossWeights",
    "WeightedDraws",
    "check_class_weight",
    "check_sampling",
]

WEIGHT_NAMES = ("balanced", "sqrt", "effective", "denseweight")
"""Weights by name (``"denseweight"``: continuous targets only)."""
KERNELS = ("gaussian", "laplace", "triangular")
"""Smoothing kernels of label distribution smoothing (continuous targets)."""
DENSITY_DEFAULTS = {"bins": 100, "kernel": "gaussian", "kernel_size": 5, "sigma": 2.0}
"""Label distribution smoothing where a spec leaves it unset (Yang et al.'s defaults)."""
SCHEDULES = ("constant", "deferred", "progressive")
"""When class-level weights apply."""
LABEL_RULES = ("class_aware", "mean", "max")
"""How per-label weights become a row's draw weight, for multi-label targets."""
_QUOTA_NAMES = {"auto", "minority", "majority", "not minority", "not majority", "all"}
_DEFAULT_BETA = 0.999
_DEFAULT_START = 0.8


class _Spec:
    """Shared behaviour: a readable repr (non-default arguments only), ``replace``."""

    def __repr__(self) -> str:
        parts = []
        for i, field in enumerate(dataclasses.fields(self)):
            value = getattr(self, field.name)
            if i == 0:  # the form's main argument, always shown
                parts.append(repr(value))
                continue
            if field.default is not dataclasses.MISSING and _same(value, field.default):
                continue
            parts.append(f"{field.name}={value!r}")
        return f"{type(self).__name__}({', '.join(parts)})"

    def _fields(self) -> list[str]:
        return [f.name for f in dataclasses.fields(self)]


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b) and type(a) is type(b)
    except (TypeError, ValueError):  # arrays
        return False


def _check_class_dict(weights: Mapping, name: str) -> dict:
    out = {}
    for label, w in weights.items():
        if isinstance(w, (bool, np.bool_)) or not isinstance(w, Real):
            raise InvalidParameterError(f"{name}[{label!r}] must be a number; got {w!r}.")
        if not math.isfinite(w):
            raise ValueError(f"{name}[{label!r}] must be finite; got {w!r}.")
        if w < 0:
            raise ValueError(f"{name}[{label!r}] must be non-negative; got {w!r}.")
        out[label] = float(w)
    return out


@dataclasses.dataclass(frozen=True, repr=False)
class _ClassWeighting(_Spec):
    """Class-level weights, when they apply, and their sub-parameters."""

    weights: Any = "balanced"
    schedule: str = "constant"
    start: int | float | None = None
    beta: float | None = None

    def _check_weighting(self, name: str, *, callables: bool) -> dict:
        """Validate; return the canonical values to replace (a dict's weights as floats)."""
        changes = {}
        w = self.weights
        if isinstance(w, str):
            if w not in WEIGHT_NAMES:
                raise ValueError(
                    f"{name}: unknown weights {w!r}; use one of {list(WEIGHT_NAMES)}, "
                    "a dict {class: weight}"
                    + (", a callable y -> weights" if callables else "")
                    + (" or None (sample_weight only)." if callables else ".")
                )
        elif isinstance(w, Mapping):
            changes["weights"] = _check_class_dict(w, f"{name}__weights")
        elif callable(w) and callables:
            if self.schedule != "constant":
                raise ValueError(
                    f"{name}: schedule={self.schedule!r} moves class-level weights over the "
                    "epochs; a callable gives per-sample weights (give it an `epoch` "
                    "parameter to change them every epoch)."
                )
        elif not (w is None and callables):
            allowed = "a name, a dict" + (", a callable or None" if callables else "")
            raise InvalidParameterError(
                f"{name}: weights must be {allowed}; got {type(w).__name__}."
            )
        if self.schedule not in SCHEDULES:
            raise ValueError(
                f"{name}: schedule must be one of {list(SCHEDULES)}; got {self.schedule!r}."
            )
        if w is None and self.schedule != "constant":
            raise ValueError(f"{name}: schedule={self.schedule!r} needs class-level weights.")
        if self.beta is not None:
            if w != "effective":
                raise ValueError(
                    f"{name}: beta applies to weights='effective' only; got beta="
                    f"{self.beta!r} with weights={w!r}."
                )
            check_real(self.beta, f"{name}__beta", 0.0, 1.0, closed="left")
        if self.start is not None:
            if self.schedule != "deferred":
                raise ValueError(
                    f"{name}: start applies to schedule='deferred' only; got start="
                    f"{self.start!r} with schedule={self.schedule!r}."
                )
            if isinstance(self.start, Integral) and not isinstance(self.start, bool):
                check_count(self.start, f"{name}__start", min_val=0)
            else:
                check_real(self.start, f"{name}__start (a fraction)", 0.0, 1.0, closed="both")
        return changes

    def _check_density(self, name: str) -> None:
        """The density sub-parameters (continuous targets): ranges, and where they apply."""
        w = self.weights
        if self.alpha is not None:
            if w != "denseweight":
                raise ValueError(
                    f"{name}: alpha applies to weights='denseweight' only; got alpha="
                    f"{self.alpha!r} with weights={w!r}."
                )
            check_real(self.alpha, f"{name}__alpha", 0.0, 1e6)
        if w == "denseweight" and self.schedule != "constant":
            raise ValueError(
                f"{name}: weights='denseweight' weighs rows, not bins; schedule="
                f"{self.schedule!r} moves bin-level weights over the epochs (use 'balanced')."
            )
        given = [f for f in DENSITY_DEFAULTS if getattr(self, f) is not None]
        if given and not (isinstance(w, str) and w in ("balanced", "sqrt", "effective")):
            raise ValueError(
                f"{name}__{given[0]} smooths the target histogram of 'balanced', 'sqrt' or "
                f"'effective' weights; it does not apply to weights={w!r}."
            )
        if self.bins is not None:
            check_count(self.bins, f"{name}__bins", min_val=1)
        if self.kernel is not None and self.kernel not in KERNELS:
            raise ValueError(f"{name}__kernel must be one of {list(KERNELS)}; got {self.kernel!r}.")
        if self.kernel_size is not None:
            check_count(self.kernel_size, f"{name}__kernel_size", min_val=1)
            if self.kernel_size % 2 == 0:
                raise ValueError(
                    f"{name}__kernel_size must be odd (a window centred on each bin); "
                    f"got {self.kernel_size!r}."
                )
        if self.sigma is not None:
            check_real(self.sigma, f"{name}__sigma", 0.0, 1e6, closed="right")
            if self.kernel == "triangular":
                raise ValueError(
                    f"{name}__sigma does not apply to kernel='triangular' (a fixed window); "
                    "it is the width of the 'gaussian' and 'laplace' kernels."
                )

    @property
    def density_(self) -> dict:
        """Label distribution smoothing in use: bins, kernel, kernel size and σ."""
        given = {f: getattr(self, f) for f in DENSITY_DEFAULTS}
        return {f: DENSITY_DEFAULTS[f] if v is None else v for f, v in given.items()}

    @property
    def alpha_(self) -> float:
        """DenseWeight's α in use (``"denseweight"``)."""
        return 1.0 if self.alpha is None else float(self.alpha)

    @property
    def beta_(self) -> float:
        """β in use (``"effective"``)."""
        return _DEFAULT_BETA if self.beta is None else float(self.beta)

    @property
    def start_(self) -> int | float:
        """Where ``"deferred"`` turns on: an epoch (int) or a fraction of the schedule."""
        return _DEFAULT_START if self.start is None else self.start

    @property
    def class_level(self) -> bool:
        """Whether every row of a class gets its class's weight."""
        return isinstance(self.weights, Mapping) or (
            isinstance(self.weights, str) and self.weights != "denseweight"
        )


@dataclasses.dataclass(frozen=True, repr=False)
class WeightedDraws(_ClassWeighting):
    """Draw rows with probability proportional to their weight, every epoch.

    Parameters
    ----------
    weights : "balanced", "sqrt", "effective", dict, callable or None, default="balanced"
        Class-level weights: inverse class frequency (``n / (k n_c)``), its
        square root, the effective number of samples (Cui et al. 2019, see
        ``beta``), ``{class: weight}`` (classes left out weigh 1); or a
        callable ``y -> weights`` (one per row; called every epoch with the
        epoch if it has a parameter named ``epoch``); or ``None``: the draws
        follow ``sample_weight`` alone. ``sample_weight`` multiplies in
        (unless ``sample_weight_in="loss"``).
    schedule : {"constant", "deferred", "progressive"}, default="constant"
        When the class-level weights apply: from the first epoch; natural
        draws until ``start``, then these weights (Cao et al. 2019); or a
        class mix moving linearly from natural at the first epoch to these
        weights' mix at the last (Kang et al. 2020).
    start : int or float, default=None
        ``schedule="deferred"`` only: the first weighted epoch (int, from 0),
        or a fraction of the schedule's length (float in [0, 1]); ``None``
        is 0.8.
    beta : float, default=None
        ``weights="effective"`` only: β in [0, 1); ``None`` is 0.999.
    replacement : bool, default=True
        Draw with replacement. Without, each row is drawn at most once an
        epoch: a full pass (``samples_per_epoch=None``) then draws every row
        with a positive weight once, and the weights set only the order;
        with ``samples_per_epoch`` they choose which rows (heavier first).
    samples_per_epoch : None, int or float, default=None
        Draws per epoch: ``None`` the training size (without replacement,
        the rows with a positive weight), an int a count, a float a multiple
        of the training size.
    label_rule : {"class_aware", "mean", "max"}, default=None
        Multi-label targets only: how the class-level weights (one per
        label, from the labels' positive counts) become a row's draw
        probability. ``"class_aware"`` (``None``): pick a label in proportion
        to its weighted mass, then one of its positive rows (Shen et al.
        2016; with ``"balanced"`` every label is picked equally often; rows
        without a positive label are never drawn); ``"mean"`` / ``"max"``: a
        row weighs the mean / largest weight of its positive labels (rows
        without one weigh as one more class, 1 / their share).
    bins, kernel, kernel_size, sigma : default=None
        Continuous targets only (:class:`~wsample_sk.WeightedSamplingRegressor`):
        the class-level weights are those of equal-width bins of the target
        whose counts are smoothed by a symmetric kernel over bin indices
        (label distribution smoothing, Yang et al. 2021): ``bins`` (``None``:
        100), ``kernel`` ``"gaussian"``, ``"laplace"`` or ``"triangular"``
        (``None``: gaussian), ``kernel_size`` odd (``None``: 5), ``sigma``
        (``None``: 2). ``"balanced"`` is then the inverse smoothed density,
        ``"sqrt"`` its inverse square root.
    alpha : float, default=None
        ``weights="denseweight"`` only (continuous targets): DenseWeight's α
        (Steininger et al. 2021), ``None`` is 1; 0 gives equal weights.

    Examples
    --------
    >>> from wsample_sk.sampling import WeightedDraws
    >>> WeightedDraws("effective", beta=0.99)
    WeightedDraws('effective', beta=0.99)
    >>> WeightedDraws("balanced", schedule="deferred", start=10)
    WeightedDraws('balanced', schedule='deferred', start=10)
    """

    replacement: bool = True
    samples_per_epoch: int | float | None = None
    label_rule: str | None = None
    bins: int | None = None
    kernel: str | None = None
    kernel_size: int | None = None
    sigma: float | None = None
    alpha: float | None = None

    def check(self, name: str = "sampling") -> WeightedDraws:
        """Validate every argument; return the canonical spec (a new object)."""
        changes = self._check_weighting(name, callables=True)
        self._check_density(name)
        check_flag(self.replacement, f"{name}__replacement")
        spe = self.samples_per_epoch
        if spe is not None:
            if isinstance(spe, Integral) and not isinstance(spe, bool):
                check_count(spe, f"{name}__samples_per_epoch", min_val=1)
            else:
                check_real(spe, f"{name}__samples_per_epoch", 0.0, 1e9, closed="right")
        if self.label_rule is not None:
            if self.label_rule not in LABEL_RULES:
                raise ValueError(
                    f"{name}__label_rule must be one of {list(LABEL_RULES)}; "
                    f"got {self.label_rule!r}."
                )
            if not self.class_level:
                raise ValueError(
                    f"{name}__label_rule combines class-level weights over a row's labels; "
                    f"it does not apply to weights={self.weights!r}."
                )
        return dataclasses.replace(self, **changes)


@dataclasses.dataclass(frozen=True, repr=False)
class ClassQuotas(_Spec):
    """Exactly this many rows of each class in every epoch.

    The counts are given in imbalanced-learn's vocabulary and resolved by
    imbalanced-learn itself, as for ``RandomOverSampler`` /
    ``RandomUnderSampler``; within a class rows are drawn uniformly or in
    proportion to ``sample_weight``. See :class:`~wsample_sk.StratifiedSampler`.

    Parameters
    ----------
    sampling_strategy : float, str, dict or callable, default="auto"
        ``"auto"``, ``"minority"``, ``"not majority"``, ... , a float ratio
        (binary), ``{class: count}`` or a callable ``y -> dict``.
    sampling_type : {"over-sampling", "under-sampling"}, default="over-sampling"
        Counts to reach by adding rows, or counts to keep.
    replacement : None or bool, default=None
        ``None``: imbalanced-learn's meaning, a class over-sampled keeps
        every row once plus drawn copies (``RandomOverSampler``), a class
        under-sampled gets distinct rows (``RandomUnderSampler``).
        ``True``: a bootstrap of each class (i.i.d. draws). ``False``:
        distinct rows only.

    Examples
    --------
    >>> from wsample_sk.sampling import ClassQuotas
    >>> ClassQuotas("not majority", sampling_type="under-sampling")
    ClassQuotas('not majority', sampling_type='under-sampling')
    """

    sampling_strategy: Any = "auto"
    sampling_type: str = "over-sampling"
    replacement: bool | None = None

    def check(self, name: str = "sampling") -> ClassQuotas:
        """Validate every argument; return ``self``."""
        s = self.sampling_strategy
        if isinstance(s, str):
            if s not in _QUOTA_NAMES:
                raise ValueError(
                    f"{name}: sampling_strategy {s!r} is not one of {sorted(_QUOTA_NAMES)}."
                )
        elif isinstance(s, Real) and not isinstance(s, bool):
            check_real(s, f"{name}__sampling_strategy", 0.0, 1.0, closed="right")
        elif isinstance(s, Mapping):
            for label, count in s.items():
                check_count(count, f"{name}__sampling_strategy[{label!r}]", min_val=0)
            if s and not any(s.values()) and self.sampling_type == "under-sampling":
                raise ValueError(f"{name}: every class quota is zero; nothing would be drawn.")
        elif not callable(s):
            raise InvalidParameterError(
                f"{name}: sampling_strategy must be a float, a str, a dict or a callable; "
                f"got {type(s).__name__}."
            )
        if self.sampling_type not in ("over-sampling", "under-sampling"):
            raise ValueError(
                f"{name}: sampling_type must be 'over-sampling' or 'under-sampling'; "
                f"got {self.sampling_type!r}."
            )
        if self.replacement is not None:
            check_flag(self.replacement, f"{name}__replacement")
        return self


@dataclasses.dataclass(frozen=True, repr=False)
class BatchComposition(_Spec):
    """Every batch with a fixed class composition.

    See :class:`~wsample_sk.BalancedBatchSampler`.

    Parameters
    ----------
    shares : "equal", "stratified", dict or None, default="equal"
        Equal shares, the classes' own frequencies, or ``{class: share}``
        (classes left out are never drawn: a warning says so). ``None`` with
        ``classes_per_batch`` and ``samples_per_class``.
    classes_per_batch, samples_per_class : int, default=None
        P × K batches: P classes at random, K rows of each (the batch size is
        P × K). Given together, with ``shares=None``.
    replacement : None or bool, default=None
        ``None``: no row twice in a batch; rows of a class that weigh alike
        are walked through (every row before any repeats), rows weighted by
        ``sample_weight`` are drawn in proportion to it; a class with fewer
        rows than its share of a batch is drawn with replacement. ``True``:
        i.i.d. draws within every class. ``False``: walked through (weights
        only set the order), and a class too small for its share is an
        error.

    Examples
    --------
    >>> from wsample_sk.sampling import BatchComposition
    >>> BatchComposition({"a": 0.5, "b": 0.5})
    BatchComposition({'a': 0.5, 'b': 0.5})
    >>> BatchComposition(None, classes_per_batch=4, samples_per_class=8)
    BatchComposition(None, classes_per_batch=4, samples_per_class=8)
    """

    shares: Any = "equal"
    classes_per_batch: int | None = None
    samples_per_class: int | None = None
    replacement: bool | None = None

    @property
    def pk(self) -> bool:
        """Whether batches are P × K."""
        return self.classes_per_batch is not None

    def check(self, name: str = "sampling") -> BatchComposition:
        """Validate every argument; return the canonical spec."""
        if self.replacement is not None:
            check_flag(self.replacement, f"{name}__replacement")
        p, k = self.classes_per_batch, self.samples_per_class
        if (p is None) != (k is None):
            raise ValueError(
                f"{name}: classes_per_batch and samples_per_class go together (P x K); "
                f"got {p!r} and {k!r}."
            )
        if p is not None:
            check_count(p, f"{name}__classes_per_batch", min_val=1)
            check_count(k, f"{name}__samples_per_class", min_val=1)
            if self.shares is not None and self.shares != "equal":
                raise ValueError(
                    f"{name}: shares does not apply to P x K batches (classes_per_batch, "
                    f"samples_per_class); got shares={self.shares!r}."
                )
        elif isinstance(self.shares, Mapping):
            shares = _check_class_dict(self.shares, f"{name}__shares")
            if not any(shares.values()):
                raise ValueError(f"{name}: every class share is zero; nothing would be drawn.")
            return dataclasses.replace(self, shares=shares)
        elif self.shares not in ("equal", "stratified"):
            raise ValueError(
                f"{name}: shares must be 'equal', 'stratified' or a dict {{class: share}}; "
                f"got {self.shares!r}."
            )
        return self


@dataclasses.dataclass(frozen=True, repr=False)
class LossWeights(_ClassWeighting):
    """Class weights in the loss: each row's loss times its class's weight.

    The form of ``class_weight=`` (scikit-learn's name); the same
    class-level weights and schedules as :class:`WeightedDraws` (a deferred
    schedule is Cao et al.'s deferred re-weighting).

    Parameters
    ----------
    weights : "balanced", "sqrt", "effective" or dict, default="balanced"
    schedule : {"constant", "deferred", "progressive"}, default="constant"
    start : int or float, default=None
        ``schedule="deferred"`` only.
    beta : float, default=None
        ``weights="effective"`` only.
    bins, kernel, kernel_size, sigma, alpha : default=None
        Continuous targets only, as for :class:`WeightedDraws`
        (``target_weight=`` of :class:`~wsample_sk.WeightedSamplingRegressor`).

    Examples
    --------
    >>> from wsample_sk.sampling import LossWeights
    >>> LossWeights("balanced", schedule="deferred", start=0.5)
    LossWeights('balanced', schedule='deferred', start=0.5)
    """

    bins: int | None = None
    kernel: str | None = None
    kernel_size: int | None = None
    sigma: float | None = None
    alpha: float | None = None

    def check(self, name: str = "class_weight") -> LossWeights:
        """Validate every argument; return the canonical spec (a new object)."""
        changes = self._check_weighting(name, callables=False)
        self._check_density(name)
        return dataclasses.replace(self, **changes)


_SAMPLING_FORMS = (WeightedDraws, ClassQuotas, BatchComposition)
_SHORTCUTS: dict[str, dict] = {
    "balanced": {"weights": "balanced"},
    "sqrt": {"weights": "sqrt"},
    "effective": {"weights": "effective"},
    "deferred": {"weights": "balanced", "schedule": "deferred"},
    "progressive": {"weights": "balanced", "schedule": "progressive"},
    "denseweight": {"weights": "denseweight"},  # continuous targets
}
SHORTCUTS = tuple(_SHORTCUTS)
"""Strings accepted by ``sampling=`` and ``class_weight=``."""


def _with_sub(spec: Any, sub: dict, name: str, fixed: tuple = ()) -> Any:
    if not sub:
        return spec
    overridden = sorted(set(sub) & set(fixed))
    if overridden:
        raise ValueError(
            f"{name}__{overridden[0]}={sub[overridden[0]]!r} would replace what {name}= "
            f"already says ({spec!r}); give the whole form as {name}= instead."
        )
    fields = spec._fields()
    unknown = sorted(set(sub) - set(fields))
    if unknown:
        raise ValueError(
            f"{name}__{unknown[0]} does not apply to {spec!r}; its sub-parameters are "
            f"{', '.join(name + '__' + f for f in fields)}."
        )
    return dataclasses.replace(spec, **sub)


def _from_class(form: type, sub: dict, name: str) -> Any:
    try:
        return form(**sub)
    except TypeError:
        fields = [f.name for f in dataclasses.fields(form)]
        bad = sorted(set(sub) - set(fields))
        raise ValueError(
            f"{name}__{bad[0]} does not apply to {form.__name__}; its sub-parameters "
            f"are {', '.join(name + '__' + f for f in fields)}."
        ) from None


_UNKNOWN = object()


def _canonical(value: Any, sub: dict, name: str, forms: tuple, shortcut_form: type) -> Any:
    """The validated spec of ``value`` and its ``name__x`` values; ``_UNKNOWN`` if no form fits.

    ``None`` (with no sub-parameters), a form's class (built from them), a
    form's instance (with them applied), a shortcut string, or what
    ``shortcut_form`` takes as its first argument (a dict; for draws, a
    callable).
    """
    if value is None:
        if sub:
            raise ValueError(f"{name}__{sorted(sub)[0]} is set but {name} is None.")
        return None
    if isinstance(value, type) and issubclass(value, forms):
        spec = _from_class(value, sub, name)
    elif isinstance(value, forms):
        spec = _with_sub(value, sub, name)
    elif isinstance(value, str) and value in _SHORTCUTS:
        shortcut = _SHORTCUTS[value]
        spec = _with_sub(shortcut_form(**shortcut), sub, name, tuple(shortcut))
    elif isinstance(value, Mapping) or (callable(value) and shortcut_form is WeightedDraws):
        spec = _with_sub(shortcut_form(value), sub, name, ("weights",))
    else:
        return _UNKNOWN
    return spec.check(name)


def check_sampling(
    sampling: Any, **sub_params: Any
) -> WeightedDraws | ClassQuotas | BatchComposition | None:
    """Turn any accepted form of ``sampling=`` (and its sub-parameters) into a spec.

    Parameters
    ----------
    sampling : None, str, dict, callable, spec or spec class
        ``None``: plain shuffling (``sample_weight``, if given, weights the
        draws); a shortcut (``"balanced"``, ``"sqrt"``, ``"effective"``,
        ``"deferred"``, ``"progressive"``); a dict ``{class: weight}`` or a
        callable ``y -> weights`` (weighted draws); or a
        :class:`WeightedDraws`, :class:`ClassQuotas` or
        :class:`BatchComposition` (instance, or class built from the
        sub-parameters).
    **sub_params
        ``sampling__x`` values (skorch's idiom), applied to the spec's
        argument ``x``.

    Returns
    -------
    spec : WeightedDraws, ClassQuotas, BatchComposition or None
        Validated. The input is not modified.

    Raises
    ------
    ValueError, TypeError
        Naming the parameter and the offending value; a sub-parameter that
        does not apply to the form is an error.

    Examples
    --------
    >>> from wsample_sk.sampling import check_sampling
    >>> check_sampling("deferred", start=5)
    WeightedDraws('balanced', schedule='deferred', start=5)
    >>> check_sampling("balanced", beta=0.9)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: sampling: beta applies to weights='effective' only; ...
    """
    spec = _canonical(sampling, sub_params, "sampling", _SAMPLING_FORMS, WeightedDraws)
    if spec is not _UNKNOWN:
        return spec
    if isinstance(sampling, str):
        raise ValueError(
            f"Unknown sampling {sampling!r}; use None, one of {list(SHORTCUTS)}, a dict "
            "{class: weight}, a callable y -> weights, or WeightedDraws, ClassQuotas or "
            "BatchComposition from wsample_sk.sampling."
        )
    if isinstance(sampling, LossWeights):
        raise InvalidParameterError(
            "sampling takes how rows are drawn; LossWeights go to class_weight=."
        )
    raise InvalidParameterError(
        "sampling must be None, a name, a dict {class: weight}, a callable y -> weights, "
        f"or a spec from wsample_sk.sampling; got {type(sampling).__name__}."
    )


def check_class_weight(
    class_weight: Any, *, name: str = "class_weight", **sub_params: Any
) -> LossWeights | None:
    """Turn any accepted form of ``class_weight=`` (and its sub-parameters) into a spec.

    Parameters
    ----------
    class_weight : None, str, dict or LossWeights
        ``None`` (no loss weights), a shortcut (``"balanced"``, ``"sqrt"``,
        ``"effective"``, ``"deferred"``, ``"progressive"``), a dict
        ``{class: weight}`` (classes left out weigh 1), or a
        :class:`LossWeights` (instance or class).
    name : str, default="class_weight"
        The parameter's name in messages (a regressor's ``target_weight``).
    **sub_params
        ``class_weight__x`` values.

    Returns
    -------
    spec : LossWeights or None

    Examples
    --------
    >>> from wsample_sk.sampling import check_class_weight
    >>> check_class_weight({0: 1.0, 1: 5.0})
    LossWeights({0: 1.0, 1: 5.0})
    """
    spec = _canonical(class_weight, sub_params, name, (LossWeights,), LossWeights)
    if spec is not _UNKNOWN:
        return spec
    if isinstance(class_weight, _SAMPLING_FORMS):
        raise InvalidParameterError(
            f"{name} takes loss weights; {type(class_weight).__name__} goes to sampling=."
        )
    raise ValueError(
        f"{name} must be None, one of {list(SHORTCUTS)}, a dict {{class: weight}} "
        f"or a LossWeights; got {class_weight!r}."
    )
