"""Validation at the boundary: weights, counts and sizes.

Every public entry point that accepts weights (the samplers, the strategies,
the classifier's ``fit``) calls :func:`check_sampling_weights` once; the code
underneath can then assume a finite, non-negative float64 vector with a
positive maximum. The caller's array is never modified.

Weights are relative, so the code underneath never sums them as given (a
vector of 1e308s is valid, its sum is not finite): :func:`relative` divides
by the maximum first, which leaves every ratio as it was.
"""

from __future__ import annotations

import math
import numbers
import os
from typing import Any

import numpy as np
from sklearn.utils import check_scalar
from sklearn.utils._param_validation import InvalidParameterError

__all__ = [
    "check_count",
    "check_num_draws",
    "check_samples_per_epoch",
    "check_sampling_weights",
    "relative",
]


def check_sampling_weights(
    weights: Any,
    n_samples: int | None = None,
    *,
    name: str = "sample_weight",
    allow_all_zero: bool = False,
) -> np.ndarray:
    """Validate per-sample weights and return them as a new float64 array.

    Sampling weights are relative: they do **not** need to sum to one. They
    must be one finite, non-negative number per sample, at least one of them
    positive (so that there is something to draw). Their sum need not be
    finite: ``[1e308, 1e308]`` is a valid pair of equal weights.

    Parameters
    ----------
    weights : array-like of shape (n_samples,)
        The weights: a list, tuple, numpy array, pandas Series or 1-D torch
        tensor of real numbers.
    n_samples : int, default=None
        The expected number of weights; ``None`` skips the length check.
    name : str, default="sample_weight"
        How the weights are named in error messages.
    allow_all_zero : bool, default=False
        If False, weights that are all zero raise a ``ValueError``.

    Returns
    -------
    weights : ndarray of shape (n_samples,), dtype float64
        A validated copy; the input is never modified.

    Raises
    ------
    ValueError
        If the weights are not numeric, complex (even with zero imaginary
        parts: a cast would drop them silently), not 1-D, of the wrong
        length, or contain a NaN, an infinity or a negative value (the
        message names the first offending index and value), or are all zero.

    Examples
    --------
    >>> from wsample_sk import check_sampling_weights
    >>> check_sampling_weights([1, 3, 0.5])
    array([1. , 3. , 0.5])
    >>> check_sampling_weights([1, -2, 3])
    Traceback (most recent call last):
    ...
    ValueError: sample_weight must be non-negative; got -2.0 at index 1.
    """
    if hasattr(weights, "detach") and hasattr(weights, "cpu"):  # torch tensor
        weights = weights.detach().cpu()
        if weights.is_complex():
            weights = weights.resolve_conj()  # a conjugate view has no numpy()
        weights = weights.numpy()
    try:
        raw = np.asarray(weights)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric; could not convert it to float: {exc}") from None
    _check_real(raw, name)  # a cast to float would drop imaginary parts silently
    try:
        arr = np.array(raw, dtype=np.float64, copy=True)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric; could not convert it to float: {exc}") from None
    if arr.ndim != 1:
        raise ValueError(
            f"{name} must be 1-D with one weight per sample; got an array of shape {arr.shape}."
        )
    if n_samples is not None and arr.shape[0] != n_samples:
        raise ValueError(
            f"{name} has {arr.shape[0]} weights but there are {n_samples} "
            "samples; pass exactly one weight per sample."
        )
    if arr.shape[0] == 0:
        raise ValueError(f"{name} is empty; there is nothing to sample from.")
    bad = ~np.isfinite(arr)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{name} must be finite; got {arr[i]} at index {i} "
            f"({int(bad.sum())} non-finite value(s) in all)."
        )
    negative = arr < 0
    if negative.any():
        i = int(np.flatnonzero(negative)[0])
        raise ValueError(f"{name} must be non-negative; got {arr[i]} at index {i}.")
    if not allow_all_zero and not arr.any():
        raise ValueError(
            f"{name} is all zero; at least one weight must be positive "
            "(weights are relative and need not sum to one, but their total "
            "must be positive)."
        )
    return arr


def _is_complex(value: Any) -> bool:
    """A complex number that is not also real (numbers.Complex minus numbers.Real)."""
    return isinstance(value, numbers.Complex) and not isinstance(value, numbers.Real)


def _check_real(raw: np.ndarray, name: str) -> None:
    """Refuse complex values: complex dtypes, or complex objects in an object array.

    A complex dtype is refused even where every imaginary part is zero: the
    index named is that of the first non-zero imaginary part, else 0.
    """
    if raw.dtype.kind == "c":
        flat = raw.reshape(-1)
        imaginary = np.flatnonzero(flat.imag)
        i = int(imaginary[0]) if imaginary.size else 0
    elif raw.dtype.kind == "O":
        flat = raw.reshape(-1)
        i = next((j for j, v in enumerate(flat) if _is_complex(v)), -1)
        if i < 0:
            return
    else:
        return
    where = f"index {i}" if raw.ndim == 1 else f"flat index {i}"
    raise ValueError(
        f"{name} must be real; got a complex value at {where} ({flat[i]!r}). "
        "Pass the real part (or the modulus) if that is what you mean."
    )


def relative(weights: np.ndarray) -> np.ndarray:
    """``weights / max(weights)``: the same ratios, safe to sum.

    Valid weights (see :func:`check_sampling_weights`) have a positive
    maximum; the result lies in [0, 1] and its sum is at most ``len(weights)``.

    Examples
    --------
    >>> from wsample_sk._validation import relative
    >>> relative(np.array([1e308, 5e307, 0.0]))
    array([1. , 0.5, 0. ])
    """
    top = weights.max()
    return weights / top if top > 0 else weights.copy()


def check_real(value: Any, name: str, low: float, high: float, *, closed: str = "both") -> float:
    """A finite real (not a bool) in the interval, as ``float``; the message names ``name``.

    scikit-learn's :func:`~sklearn.utils.check_scalar` checks the range, but
    it lets NaN through and takes ``True`` for a number: both are refused
    here first. ``closed`` is ``check_scalar``'s ``include_boundaries``.

    Examples
    --------
    >>> from wsample_sk._validation import check_real
    >>> check_real(0.5, "floor", 0.0, 1.0, closed="right")
    0.5
    >>> check_real(float("nan"), "floor", 0.0, 1.0, closed="right")
    Traceback (most recent call last):
    ...
    ValueError: floor must be finite; got nan.
    >>> check_real(0.0, "floor", 0.0, 1.0, closed="right")
    Traceback (most recent call last):
    ...
    ValueError: floor == 0.0, must be > 0.0.
    """
    if isinstance(value, (bool, np.bool_)):
        raise InvalidParameterError(f"{name} must be a real number, not a bool; got {value!r}.")
    if not isinstance(value, numbers.Real):
        raise InvalidParameterError(f"{name} must be a real number; got {value!r}.")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite; got {value!r}.")
    check_scalar(value, name, numbers.Real, min_val=low, max_val=high, include_boundaries=closed)
    return value


def check_count(value: Any, name: str, *, min_val: int = 1) -> int:
    """An integer parameter (not a bool), at least ``min_val``, as ``int``.

    scikit-learn's :func:`~sklearn.utils.check_scalar` does the checking, so
    the message names the parameter.

    Examples
    --------
    >>> from wsample_sk._validation import check_count
    >>> check_count(3, "batch_size")
    3
    >>> check_count(0, "batch_size")
    Traceback (most recent call last):
    ...
    ValueError: batch_size == 0, must be >= 1.
    """
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be an int, not a bool; got {value!r}.")
    check_scalar(value, name, numbers.Integral, min_val=min_val)
    return int(value)


def check_world(num_replicas: Any, rank: Any) -> tuple[int, int]:
    """Data-parallel sharding: ``num_replicas`` >= 1 and ``rank`` in ``[0, num_replicas)``.

    Examples
    --------
    >>> from wsample_sk._validation import check_world
    >>> check_world(2, 1)
    (2, 1)
    >>> check_world(2, 2)
    Traceback (most recent call last):
    ...
    ValueError: rank must be in [0, 1]; got 2.
    """
    replicas = check_count(num_replicas, "num_replicas")
    position = check_count(rank, "rank", min_val=0)
    if position >= replicas:
        raise ValueError(f"rank must be in [0, {replicas - 1}]; got {rank!r}.")
    return replicas, position


def check_flag(value: Any, name: str) -> bool:
    """A bool parameter (Python or numpy), as ``bool``."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be a bool; got {value!r}.")
    return bool(value)


def _memory_bytes() -> int | None:
    """Physical memory of this machine, where the OS tells it."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # pragma: no cover (not POSIX)
        return None


def check_num_draws(value: Any, name: str = "num_samples") -> int:
    """A number of draws per pass whose int64 index array fits in memory.

    Raises before anything is allocated: a sampler asked for 1e12 draws says
    so instead of taking the machine down.

    Examples
    --------
    >>> from wsample_sk._validation import check_num_draws
    >>> check_num_draws(10**15)
    Traceback (most recent call last):
    ...
    ValueError: num_samples=1000000000000000 draws need an index array of 8000000 GB, ...
    """
    value = check_count(value, name)
    memory = _memory_bytes()
    needed = 8 * value
    if memory is not None and needed > memory // 2:
        raise ValueError(
            f"{name}={value} draws need an index array of {needed / 1e9:.0f} GB, "
            f"more than half of this machine's {memory / 1e9:.0f} GB of memory; "
            "ask for fewer draws per pass."
        )
    return value


def check_samples_per_epoch(samples_per_epoch: Any, n_train: int) -> int:
    """Turn ``samples_per_epoch`` into a number of draws per epoch.

    Parameters
    ----------
    samples_per_epoch : None, int or float
        ``None``: ``n_train`` draws. A positive int: that many draws. A
        positive float: that multiple of ``n_train`` (``0.5`` is half an
        epoch, ``2.0`` twice the training size), rounded, at least one.
    n_train : int
        The number of training samples.

    Returns
    -------
    num_samples : int

    Examples
    --------
    >>> from wsample_sk._validation import check_samples_per_epoch
    >>> check_samples_per_epoch(None, 100), check_samples_per_epoch(0.25, 100)
    (100, 25)
    """
    if samples_per_epoch is None:
        return int(n_train)
    if isinstance(samples_per_epoch, (bool, np.bool_)) or not isinstance(
        samples_per_epoch, numbers.Real
    ):
        raise ValueError(
            "samples_per_epoch must be None, a positive int or a positive "
            f"float; got {samples_per_epoch!r}."
        )
    if not np.isfinite(samples_per_epoch) or samples_per_epoch <= 0:
        raise ValueError(f"samples_per_epoch must be positive; got {samples_per_epoch!r}.")
    if isinstance(samples_per_epoch, numbers.Integral):
        draws = int(samples_per_epoch)
    else:
        draws = max(1, int(round(float(samples_per_epoch) * n_train)))
    return check_num_draws(draws, "samples_per_epoch")
