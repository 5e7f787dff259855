"""Target densities of continuous targets, for weights against rare target values.

* Label distribution smoothing (Yang et al. 2021, "Delving into Deep
  Imbalanced Regression"): a histogram of the target over equal-width bins,
  convolved with a symmetric kernel over bin indices
  (:func:`smoothed_histogram`). ``sampling="balanced"`` weighs a row by the
  inverse of its bin's smoothed count, ``"sqrt"`` by its inverse square root.
* DenseWeight (Steininger et al. 2021): ``f(y) = max(1 − α p'(y), ε)`` with
  ``p'`` the target's kernel density scaled to [0, 1] (:func:`dense_weights`).

Both cost O(n) in the number of targets: one pass to bin them, work on the
bins, and one indexing pass back (the kernel density is evaluated on a grid
of bins, as binned KDE does).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.ndimage import convolve1d, gaussian_filter1d
from scipy.signal.windows import triang

__all__ = ["KERNELS", "TargetBins", "dense_weights", "kernel_window", "smoothed_histogram"]

KERNELS = ("gaussian", "laplace", "triangular")


def kernel_window(kernel: str = "gaussian", size: int = 5, sigma: float = 2.0) -> np.ndarray:
    """A symmetric smoothing window over ``size`` bins, its peak 1, as Yang et al. build it.

    Their ``get_lds_kernel_window``: ``"gaussian"`` is scipy's
    ``gaussian_filter1d`` of a unit impulse over the window (its default
    ``mode="reflect"`` folds the tails back in: for 5 bins and σ = 2,
    [0.86, 0.95, 1, 0.95, 0.86], flatter than exp(−x²/2σ²)); ``"laplace"``
    is exp(−|x|/σ); ``"triangular"`` is ``scipy.signal.windows.triang``
    (no σ).

    Examples
    --------
    >>> from wsample_sk._density import kernel_window
    >>> kernel_window("triangular", 5).round(3).tolist()
    [0.333, 0.667, 1.0, 0.667, 0.333]
    >>> kernel_window("gaussian", 5, 2.0).round(2).tolist()
    [0.86, 0.95, 1.0, 0.95, 0.86]
    """
    half = (size - 1) // 2
    x = np.arange(-half, half + 1, dtype=np.float64)
    if kernel == "gaussian":
        impulse = np.zeros(size)
        impulse[half] = 1.0
        window = gaussian_filter1d(impulse, sigma=sigma)
    elif kernel == "laplace":
        window = np.exp(-np.abs(x) / sigma)
    elif kernel == "triangular":
        window = triang(size)
    else:
        raise ValueError(f"kernel must be one of {list(KERNELS)}; got {kernel!r}.")
    return window / window.max()


class TargetBins:
    """Equal-width bins over a 1-D continuous target, and each row's bin.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Finite target values.
    bins : int
        Number of bins between the smallest and the largest value.

    Attributes
    ----------
    edges : ndarray of shape (bins + 1,)
    codes : ndarray of shape (n_samples,)
        Each row's bin, ``0 .. bins - 1``.
    counts : ndarray of shape (bins,)
        Rows per bin.

    Examples
    --------
    >>> from wsample_sk._density import TargetBins
    >>> bins = TargetBins([0.0, 0.1, 0.2, 1.0], bins=2)
    >>> bins.counts.tolist(), bins.of([-5.0, 0.7, 9.0]).tolist()
    ([3, 1], [0, 1, 1])
    """

    def __init__(self, y: Any, bins: int) -> None:
        y = np.asarray(y, dtype=np.float64)
        low, high = float(y.min()), float(y.max())
        if high == low:
            high = low + 1.0  # one value: one bin holds every row
        self.edges = np.linspace(low, high, bins + 1)
        self._low, self._per_unit, self._bins = low, bins / (high - low), bins
        self.codes = self.of(y)
        self.counts = np.bincount(self.codes, minlength=bins)

    def of(self, values: Any) -> np.ndarray:
        """The bin of each value; a value outside the bins takes the nearest (the largest
        value of ``y``: the last bin)."""
        position = (np.asarray(values, dtype=np.float64) - self._low) * self._per_unit
        return np.clip(position, 0, self._bins - 1).astype(np.int64)


def smoothed_histogram(
    counts: Any, kernel: str = "gaussian", kernel_size: int = 5, sigma: float = 2.0
) -> np.ndarray:
    """The effective count of each bin: the histogram convolved with the kernel window.

    ñ_b = Σ_b' k(b − b') n_b', zero beyond the first and last bins.

    Examples
    --------
    >>> from wsample_sk._density import smoothed_histogram
    >>> smoothed_histogram([0, 10, 0], "triangular", 3).tolist()
    [5.0, 10.0, 5.0]
    """
    window = kernel_window(kernel, kernel_size, sigma)
    return convolve1d(np.asarray(counts, dtype=np.float64), window, mode="constant")


def dense_weights(y: Any, alpha: float = 1.0, eps: float = 1e-6, grid: int = 2048) -> np.ndarray:
    """DenseWeight (Steininger et al. 2021): rarer target values weigh more, mean one.

    ``f(y) = max(1 − α p'(y), ε)``, ``p'`` a Gaussian kernel density of the
    targets (Silverman's bandwidth) min-max scaled to [0, 1], evaluated on a
    grid of ``grid`` bins (binned KDE, O(n)); the weights are rescaled to
    mean one. ``alpha=0`` gives equal weights.

    Examples
    --------
    >>> import numpy as np
    >>> from wsample_sk._density import dense_weights
    >>> y = np.r_[np.zeros(90), np.ones(10)]
    >>> w = dense_weights(y, alpha=0.9)
    >>> bool(w[-1] > 5 * w[0]), round(float(w.mean()), 6)
    (True, 1.0)
    """
    y = np.asarray(y, dtype=np.float64)
    n = len(y)
    std = float(y.std())
    iqr = float(np.subtract(*np.percentile(y, [75, 25])))
    spread = min(std, iqr / 1.349) if iqr > 0 else std
    bandwidth = 0.9 * spread * n ** (-0.2) if spread > 0 else 1.0
    binned = TargetBins(y, grid)
    width = binned.edges[1] - binned.edges[0]
    half = int(min(np.ceil(4 * bandwidth / width), grid))
    offsets = np.arange(-half, half + 1) * width
    window = np.exp(-(offsets**2) / (2 * bandwidth**2))
    density = convolve1d(binned.counts.astype(np.float64), window, mode="constant")
    p = density[binned.codes]
    span = p.max() - p.min()
    scaled = (p - p.min()) / span if span > 0 else np.zeros(n)
    weights = np.maximum(1.0 - alpha * scaled, eps)
    return weights / weights.mean()
