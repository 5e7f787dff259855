"""The classifier's parameters: constraints, the rules between them, old spellings.

Validated once per fit, at its start (:func:`check_params`): scikit-learn's
constraints table for the plain parameters, :mod:`wsample_sk.sampling` for
``sampling`` and ``class_weight`` with their sub-parameters, and the few
rules that involve the rest of skorch's parameters (a sampler of the user's
and a lever on the draws cannot both decide which rows are drawn).
"""

from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Any

import numpy as np
from sklearn.utils._param_validation import (
    Interval,
    Options,
    StrOptions,
    validate_parameter_constraints,
)
from skorch.utils import params_for

from ._criteria import Criteria
from ._validation import check_count
from .sampling import BatchComposition, check_class_weight, check_sampling

__all__ = [
    "PARAMETER_CONSTRAINTS",
    "check_class_mix_callback",
    "check_correctable",
    "check_stream_levers",
    "check_labels_known",
    "check_params",
    "reject_old_spellings",
    "stored_privately",
]

PARAMETER_CONSTRAINTS: dict = {
    "module": "no_validation",
    "criterion": "no_validation",
    "optimizer": "no_validation",
    "lr": [Interval(Real, 0, 1e6, closed="both")],
    "max_epochs": [Interval(Integral, 0, None, closed="left")],
    "batch_size": [Interval(Integral, 1, None, closed="left"), Options(Integral, {-1})],
    "iterator_train": [callable],
    "iterator_valid": [callable],
    "dataset": "no_validation",
    "train_split": "no_validation",
    "callbacks": "no_validation",
    "predict_nonlinearity": "no_validation",
    "warm_start": ["boolean"],
    "verbose": ["verbose"],
    "device": "no_validation",
    "compile": ["boolean"],
    "use_caching": ["boolean", StrOptions({"auto"})],
    "torch_load_kwargs": [None, dict],
    "classes": [None, "array-like"],
    "sampling": "no_validation",  # wsample_sk.sampling.check_sampling
    "class_weight": "no_validation",  # wsample_sk.sampling.check_class_weight
    "sample_weight_in": [StrOptions({"sampling", "loss"})],
    "proba_correction": [None, StrOptions({"prior"})],
    "logit_adjustment": [None, Interval(Real, 0, 100, closed="both")],
    "random_state": ["random_state"],
}

#: numbers that scikit-learn's Interval lets through as NaN, infinity or a bool
_FINITE = ("lr", "logit_adjustment")
_NOT_BOOL = ("lr", "max_epochs", "batch_size", "logit_adjustment")

#: version 0.2's parameters, and how to say the same now
OLD_SPELLINGS = {
    "sampling_strategy": "sampling=ClassQuotas(sampling_strategy) (wsample_sk.sampling)",
    "sampling_type": "sampling=ClassQuotas(..., sampling_type=...) or sampling__sampling_type",
    "batch_composition": "sampling=BatchComposition(...) (wsample_sk.sampling)",
    "beta": "sampling='effective', sampling__beta=... (or WeightedDraws('effective', beta=...))",
    "deferred_start": "sampling='deferred', sampling__start=...",
    "weight_mode": (
        "class_weight=... for loss weights per class, and sample_weight_in='loss' for "
        "sample_weight in the loss"
    ),
    "samples_per_epoch": "sampling__samples_per_epoch=... (WeightedDraws)",
    "replacement": "sampling__replacement=... (each sampling form has it)",
}


def reject_old_spellings(names: Any, where: str = "WeightedSamplingClassifier") -> None:
    """Raise a ``TypeError`` naming the new spelling of any 0.2 parameter in ``names``."""
    old = [name for name in names if name in OLD_SPELLINGS]
    if old:
        lines = "; ".join(f"{name} -> {OLD_SPELLINGS[name]}" for name in old)
        raise TypeError(
            f"{where} no longer takes {', '.join(old)} (wsample_sk 0.2); write {lines}."
        )


def stored_privately(name: str) -> property:
    """A skorch attribute kept in ``vars(self)["_" + name]``; missing until first set.

    skorch sets ``initialized_``, ``history_`` and ``virtual_params_`` in
    ``__init__``; kept under private names, ``vars(estimator)`` holds the
    parameters only (scikit-learn's contract)."""
    key = "_" + name.rstrip("_")

    def fget(self):
        try:
            return vars(self)[key]
        except KeyError:
            raise AttributeError(name) from None

    def fset(self, value):
        vars(self)[key] = value

    return property(fget, fset, doc=f"skorch's ``{name}``.")


def _check_numbers(params: dict) -> None:
    for name in _NOT_BOOL:
        if isinstance(params.get(name), (bool, np.bool_)):
            raise TypeError(f"{name} must be a number, not a bool; got {params[name]!r}.")
    for name in _FINITE:
        value = params.get(name)
        if isinstance(value, Real) and not math.isfinite(value):
            raise ValueError(f"{name} must be finite; got {value!r}.")


def _draws_decided_by_user(params: dict) -> str | None:
    kwargs = params_for("iterator_train", params)
    for key in ("sampler", "batch_sampler"):
        if kwargs.get(key) is not None:
            return f"iterator_train__{key}"
    return None


def check_params(
    params: dict, *, caller: str, loss_lever: str, sample_weight_given: bool
) -> tuple[Any, Any]:
    """Validate the parameters for one fit; return the canonical ``sampling`` and
    ``class_weight`` (a regressor's ``target_weight``) specs.

    ``params`` is the estimator's ``get_params(deep=False)`` (sub-parameters
    such as ``sampling__beta`` included), ``caller`` its class name and
    ``loss_lever`` the name of its loss weights.
    """
    _check_numbers(params)
    constraints = {k: v for k, v in PARAMETER_CONSTRAINTS.items() if k in params}
    validate_parameter_constraints(constraints, params, caller_name=caller)
    for prefix in ("iterator_train", "iterator_valid"):
        size = params_for(prefix, params).get("batch_size")
        if size is not None and not (type(size) is int and size == -1):
            check_count(size, f"{prefix}__batch_size")
    sampling = check_sampling(params["sampling"], **params_for("sampling", params))
    class_weight = check_class_weight(
        params[loss_lever], name=loss_lever, **params_for(loss_lever, params)
    )
    user = _draws_decided_by_user(params)
    if user is not None:
        if sampling is not None:
            raise ValueError(
                f"{user} and sampling={params['sampling']!r} both decide which rows are "
                f"drawn; drop one of them ({loss_lever}= and sample_weight_in='loss' work "
                f"with {user})."
            )
        if sample_weight_given and params["sample_weight_in"] == "sampling":
            raise ValueError(
                f"{user} decides which rows are drawn, so sample_weight cannot weight the "
                "draws; pass sample_weight_in='loss' to weight the loss instead."
            )
    if isinstance(sampling, BatchComposition):
        size = params_for("iterator_train", params).get("batch_size", params["batch_size"])
        if size == -1 and not sampling.pk:
            raise ValueError(
                f"sampling={sampling!r} needs a batch size of at least 1; skorch's "
                "batch_size=-1 (the whole training part as one batch) has no composition "
                "to fix."
            )
    return sampling, class_weight


def check_stream_levers(
    sampling: Any, class_weight: Any, names: tuple = ("sampling", "class_weight")
) -> None:
    """A stream is weighed by itself (:class:`~wsample_sk.WeightedStream`), not by the levers."""
    for name, spec in zip(names, (sampling, class_weight), strict=True):
        if spec is not None:
            raise ValueError(
                f"{name}={spec!r} weighs rows the estimator draws by index; a stream's rows "
                "come as the stream yields them. Weigh them in the stream instead: "
                "WeightedStream(source, weight=..., label=..., sampling='balanced')."
            )


def check_labels_known(
    codes: Any, sampling: Any, class_weight: Any, names: tuple = ("sampling", "class_weight")
) -> None:
    """A class-level lever needs the training rows' labels: say so if they are unknown."""
    if codes is not None:
        return
    for name, spec in zip(names, (sampling, class_weight), strict=True):
        if spec is not None and getattr(spec, "weights", "labels") is not None:
            raise ValueError(
                f"{name}={spec!r} needs the class labels of the training rows: pass y to "
                "fit (the targets of this Dataset cannot be read)."
            )


def check_correctable(criteria: Criteria, params: dict) -> None:
    """``proba_correction`` / ``logit_adjustment`` with a loss whose mix cannot be undone:
    an error when fit starts, not at the first prediction."""
    reason = getattr(criteria.single, "uncorrectable_mix", None)
    for name in ("proba_correction", "logit_adjustment"):
        if reason and params.get(name) is not None:
            raise ValueError(f"{name} cannot undo the class mix of training: {reason}.")


def check_class_mix_callback(
    has_callback: bool,
    params: dict,
    criteria: Criteria,
    *,
    loss_lever: str,
    sample_weight_given: bool,
) -> None:
    """A lever needs the class-mix callback: a clear error if it was removed."""
    if has_callback:
        return
    counted = [type(c).__name__ for c in criteria.counted()]
    levers = {
        "sampling": params["sampling"] is not None,
        loss_lever: params[loss_lever] is not None,
        "sample_weight": sample_weight_given,
        "proba_correction": params.get("proba_correction") is not None,
        "logit_adjustment": params.get("logit_adjustment") is not None,
        f"criterion={counted[0] if counted else ''}": bool(counted),
    }
    used = [name for name, on in levers.items() if on]
    if used:
        raise ValueError(
            f"{used[0]} needs the class-mix callback (callbacks__class_mix), which was "
            "removed (callbacks='disable' or callbacks__class_mix=None); keep it, or "
            f"drop {used[0]}."
        )
