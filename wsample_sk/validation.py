"""Boundary validation of per-sample weights.

Every public entry point that accepts weights (the samplers, the strategies,
the classifier's ``fit``) calls :func:`check_sampling_weights` once; the code
underneath can then assume a finite, non-negative float64 vector with a
positive total. The caller's array is never modified.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

__all__ = ["check_sampling_weights", "check_samples_per_epoch"]


def check_sampling_weights(
    weights: Any,
    n_samples: int | None = None,
    *,
    name: str = "sample_weight",
    allow_all_zero: bool = False,
) -> np.ndarray:
    """Validate per-sample weights and return them as a new float64 array.

    Sampling weights are relative: they do **not** need to sum to one. They
    must be one finite, non-negative number per sample, with a positive total
    (so that there is something to draw).

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
        If the weights are not numeric, not 1-D, of the wrong length, or
        contain a NaN, an infinity or a negative value (the message names
        the first offending index and value), or are all zero.

    Examples
    --------
    >>> from wsample_sk.validation import check_sampling_weights
    >>> check_sampling_weights([1, 3, 0.5])
    array([1. , 3. , 0.5])
    >>> check_sampling_weights([1, -2, 3])
    Traceback (most recent call last):
    ...
    ValueError: sample_weight must be non-negative; got -2.0 at index 1.
    """
    if hasattr(weights, "detach") and hasattr(weights, "cpu"):  # torch tensor
        weights = weights.detach().cpu().numpy()
    try:
        arr = np.array(weights, dtype=np.float64, copy=True)
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
    >>> from wsample_sk.validation import check_samples_per_epoch
    >>> check_samples_per_epoch(None, 100), check_samples_per_epoch(0.25, 100)
    (100, 25)
    """
    if samples_per_epoch is None:
        return int(n_train)
    if isinstance(samples_per_epoch, bool) or not isinstance(samples_per_epoch, numbers.Real):
        raise ValueError(
            "samples_per_epoch must be None, a positive int or a positive "
            f"float; got {samples_per_epoch!r}."
        )
    if not np.isfinite(samples_per_epoch) or samples_per_epoch <= 0:
        raise ValueError(f"samples_per_epoch must be positive; got {samples_per_epoch!r}.")
    if isinstance(samples_per_epoch, numbers.Integral):
        return int(samples_per_epoch)
    return max(1, int(round(float(samples_per_epoch) * n_train)))
