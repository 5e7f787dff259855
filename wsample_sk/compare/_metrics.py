"""Scores of one fit's test part: decisions, rankings, calibration, errors.

Single-label fits get the classification metrics of :data:`METRICS`;
multi-label fits those of :data:`MULTILABEL_METRICS` (the others are NaN):
the same names, each the per-label (macro) form of the single-label one.
Regression fits get :data:`REGRESSION_METRICS`: the usual errors, the mean
absolute error in the many-, medium- and few-shot regions of the training
target's density (Yang et al. 2021) and SERA, the error weighted by the
relevance of each target value (Ribeiro and Moniz 2020).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from imblearn.metrics import geometric_mean_score
from scipy.interpolate import CubicHermiteSpline
from sklearn.metrics import (
    average_precision_score,
    balanced_accuracy_score,
    brier_score_loss,
    f1_score,
    hamming_loss,
    log_loss,
    mean_absolute_error,
    r2_score,
    roc_auc_score,
    root_mean_squared_error,
)

from .._density import TargetBins

__all__ = [
    "METRICS",
    "MULTILABEL_METRICS",
    "REGRESSION_METRICS",
    "SHOT_BINS",
    "expected_calibration_error",
    "relevance",
    "score_fit",
    "score_multilabel",
    "score_regression",
    "shot_regions",
]

#: ``{metric: True if higher is better}``, in report order.
METRICS: dict[str, bool] = {
    "balanced_accuracy": True,
    "average_precision": True,
    "macro_f1": True,
    "micro_f1": True,
    "g_mean": True,
    "roc_auc": True,
    "brier": False,
    "log_loss": False,
    "ece": False,
    "hamming_loss": False,
    "mae": False,
    "rmse": False,
    "r2": True,
    "many_shot_mae": False,
    "medium_shot_mae": False,
    "few_shot_mae": False,
    "sera": False,
}
#: The metrics of a classification fit (single- or multi-label), in report order.
CLASSIFICATION_METRICS: tuple[str, ...] = tuple(METRICS)[:10]
#: The metrics a regression fit gets (:func:`score_regression`); its primary one first.
REGRESSION_METRICS: tuple[str, ...] = tuple(METRICS)[10:]
#: Equal-width bins of the training target that define the shot regions (:func:`shot_regions`).
SHOT_BINS = 10
#: The metrics a multi-label fit gets (:func:`score_multilabel`); its primary one first.
MULTILABEL_METRICS: tuple[str, ...] = (
    "macro_f1",
    "micro_f1",
    "average_precision",
    "hamming_loss",
    "balanced_accuracy",
    "roc_auc",
    "brier",
    "log_loss",
)


def expected_calibration_error(y_true: np.ndarray, proba: np.ndarray, n_bins: int = 15) -> float:
    """Top-label expected calibration error (Guo et al. 2017).

    Rows are put into ``n_bins`` equal-width bins by their highest predicted
    probability (the confidence); the ECE is the row-weighted mean, over the
    bins, of ``|accuracy - mean confidence|``.

    Parameters
    ----------
    y_true : array of shape (n,)
        Encoded labels ``0 .. k-1``.
    proba : array of shape (n, k)
    n_bins : int, default=15

    Returns
    -------
    ece : float in [0, 1]

    Examples
    --------
    >>> import numpy as np
    >>> from wsample_sk.compare import expected_calibration_error
    >>> proba = np.array([[0.9, 0.1], [0.9, 0.1], [0.6, 0.4], [0.6, 0.4]])
    >>> round(expected_calibration_error(np.array([0, 1, 0, 0]), proba), 3)
    0.4
    """
    confidence = proba.max(axis=1)
    correct = proba.argmax(axis=1) == y_true
    bins = np.minimum((confidence * n_bins).astype(int), n_bins - 1)
    n = np.bincount(bins, minlength=n_bins)
    gap = np.abs(
        np.bincount(bins, correct, minlength=n_bins) - np.bincount(bins, confidence, n_bins)
    )
    return float(gap.sum() / n.sum())


def score_fit(
    y_true: np.ndarray, proba: np.ndarray, positive: int, y_pred: np.ndarray | None = None
) -> dict[str, float]:
    """Every metric of :data:`METRICS` for one fit's test part.

    Decisions are ``y_pred`` (the model's ``predict``, which may differ from
    the argmax of its probabilities, as with ``logit_adjustment``), by default
    the argmax of ``proba``. With two classes, average
    precision and ROC AUC are those of the ``positive`` (minority) class;
    with more, their macro one-vs-rest averages. Brier score and log loss are
    scikit-learn's (the Brier score of the positive class when binary, the
    multi-class sum otherwise). Micro F1 is the accuracy and the Hamming
    loss the error rate (one label per row).

    Examples
    --------
    >>> import numpy as np
    >>> from wsample_sk.compare._metrics import score_fit
    >>> proba = np.array([[0.9, 0.1], [0.2, 0.8], [0.7, 0.3], [0.4, 0.6]])
    >>> score_fit(np.array([0, 1, 0, 1]), proba, positive=1)["roc_auc"]
    1.0
    """
    k = proba.shape[1]
    labels = np.arange(k)
    proba = np.clip(proba, 0.0, 1.0)
    proba = proba / proba.sum(axis=1, keepdims=True)
    y_pred = proba.argmax(axis=1) if y_pred is None else np.asarray(y_pred)
    present = np.unique(y_true)
    if k == 2:
        ap = average_precision_score(y_true == positive, proba[:, positive])
        auc = roc_auc_score(y_true == positive, proba[:, positive])
        brier = brier_score_loss(y_true == positive, proba[:, positive])
    else:
        onehot = labels == y_true[:, None]
        ap = average_precision_score(onehot[:, present], proba[:, present], average="macro")
        auc = roc_auc_score(onehot[:, present], proba[:, present], average="macro")
        brier = brier_score_loss(y_true, proba, labels=labels)
    return {
        "balanced_accuracy": balanced_accuracy_score(y_true, y_pred),
        "average_precision": float(ap),
        "macro_f1": f1_score(y_true, y_pred, average="macro", labels=present),
        "micro_f1": f1_score(y_true, y_pred, average="micro"),
        "g_mean": geometric_mean_score(y_true, y_pred, average="multiclass", labels=present),
        "roc_auc": float(auc),
        "brier": float(brier),
        "log_loss": log_loss(y_true, proba, labels=labels),
        "ece": expected_calibration_error(y_true, proba),
        "hamming_loss": float(hamming_loss(y_true, y_pred)),
    }


def score_multilabel(Y_true: np.ndarray, proba: np.ndarray, Y_pred: np.ndarray) -> dict[str, float]:
    """Every metric of :data:`METRICS` for one multi-label fit's test part.

    Decisions are the model's own ``predict`` (``Y_pred``, an indicator;
    for instance balanced per-label decisions with ``logit_adjustment``),
    probabilities one per label (``proba``). With ``n_l`` the test part's
    positives of label *l*:

    * ``macro_f1``: the mean over the labels with ``n_l > 0`` of each
      label's F1 (the primary metric of multi-label data);
    * ``micro_f1``: F1 of all (row, label) decisions pooled;
    * ``average_precision``: the mean over the labels with ``n_l > 0`` of
      each label's average precision (ranking, no threshold);
    * ``hamming_loss``: the share of wrong (row, label) decisions;
    * ``balanced_accuracy``: the mean over the labels with positives and
      negatives of each label's balanced accuracy, ``(TPR + TNR) / 2`` (what
      a single binary target would give);
    * ``roc_auc``: the macro ROC AUC over those labels;
    * ``brier`` and ``log_loss``: the mean over the labels of each label's
      binary Brier score and log loss.

    ``g_mean`` and ``ece`` (top-label calibration of exclusive classes) are
    NaN.

    Parameters
    ----------
    Y_true, Y_pred : array of shape (n, L), 0/1
    proba : array of shape (n, L)
        Each label's probability.

    Returns
    -------
    scores : dict

    Examples
    --------
    >>> import numpy as np
    >>> from wsample_sk.compare._metrics import score_multilabel
    >>> Y = np.array([[1, 0], [0, 1], [1, 1], [0, 0]])
    >>> P = np.array([[1, 0], [0, 0], [1, 1], [1, 0]])
    >>> s = score_multilabel(Y, P * 0.8 + 0.1, P)
    >>> round(s["macro_f1"], 4), round(s["micro_f1"], 4), s["hamming_loss"]
    (0.7333, 0.75, 0.25)
    """
    Y_true = np.asarray(Y_true).astype(np.int64)
    Y_pred = np.asarray(Y_pred).astype(np.int64)
    proba = np.clip(np.asarray(proba, dtype=np.float64), 0.0, 1.0)
    positives = Y_true.sum(axis=0)
    present = positives > 0
    both = present & (positives < len(Y_true))
    nan = float("nan")
    tpr = (Y_true & Y_pred).sum(axis=0)[both] / positives[both]
    tnr = ((1 - Y_true) & (1 - Y_pred)).sum(axis=0)[both] / (len(Y_true) - positives[both])
    return {
        "balanced_accuracy": float(np.mean((tpr + tnr) / 2)) if both.any() else nan,
        "average_precision": (
            float(average_precision_score(Y_true[:, present], proba[:, present], average="macro"))
            if present.any()
            else nan
        ),
        "macro_f1": (
            float(
                f1_score(Y_true[:, present], Y_pred[:, present], average="macro", zero_division=0)
            )
            if present.any()
            else nan
        ),
        "micro_f1": float(f1_score(Y_true, Y_pred, average="micro", zero_division=0)),
        "g_mean": nan,
        "roc_auc": (
            float(roc_auc_score(Y_true[:, both], proba[:, both], average="macro"))
            if both.any()
            else nan
        ),
        "brier": float(np.mean((proba - Y_true) ** 2)),
        "log_loss": float(
            np.mean(
                [log_loss(Y_true[:, j], proba[:, j], labels=[0, 1]) for j in range(Y_true.shape[1])]
            )
        ),
        "ece": nan,
        "hamming_loss": float(hamming_loss(Y_true, Y_pred)),
    }


def relevance(y_train: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """The relevance function of a continuous target: 0 at the median, 1 at the extremes.

    Ribeiro's (2011) automatic relevance, as SERA (Ribeiro and Moniz 2020)
    and SMOTER (Torgo et al. 2013) use it: a piecewise cubic Hermite curve
    (zero slopes at the control points) through relevance 0 at the median of
    ``y_train`` and, on each side with outliers (values beyond the boxplot's
    whiskers, 1.5 interquartile ranges from the quartiles), relevance 1 at
    that side's adjacent value (the farthest value within the whisker) and
    beyond. A side without outliers stays at 0; a target without any has
    relevance 0 everywhere (nothing is extreme, and SERA is 0).

    Parameters
    ----------
    y_train : array of shape (n,)
        The training target.

    Returns
    -------
    phi : callable
        Maps target values to relevance in [0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> from wsample_sk.compare._metrics import relevance
    >>> phi = relevance(np.r_[np.arange(101.0), 400.0])  # one outlier, above
    >>> phi(np.array([0.0, 50.5, 75.25, 100.0, 400.0])).round(2).tolist()
    [0.0, 0.0, 0.5, 1.0, 1.0]
    """
    y = np.asarray(y_train, dtype=np.float64).ravel()
    q1, median, q3 = np.quantile(y, [0.25, 0.5, 0.75])
    low = y[y >= q1 - 1.5 * (q3 - q1)].min()
    high = y[y <= q3 + 1.5 * (q3 - q1)].max()
    points = [(median, 0.0)]
    if (y < low).any():  # outliers below: 1 from the adjacent value (or the outlier nearest
        points.insert(0, (low if low < median else y[y < low].max(), 1.0))  # a zero IQR's)
    if (y > high).any():
        points.append((high if high > median else y[y > high].min(), 1.0))
    if len(points) == 1:  # no extremes: nothing is more relevant than anything else
        return lambda v: np.zeros(np.shape(v))
    xs, rs = np.array(points).T
    curve = CubicHermiteSpline(xs, rs, np.zeros_like(xs))

    def phi(values: np.ndarray) -> np.ndarray:
        v = np.asarray(values, dtype=np.float64)
        return np.clip(curve(np.clip(v, xs[0], xs[-1])), 0.0, 1.0)

    return phi


def shot_regions(y_train: np.ndarray, y: np.ndarray, bins: int = SHOT_BINS) -> np.ndarray:
    """The region of each value of ``y`` in the training density: 0 many, 1 medium, 2 few-shot.

    Yang et al. (2021) call a target bin many-shot with over 100 training
    rows and few-shot with under 20, on data sets of 10^4 to 10^5 rows. The
    same ratio of 5, scaled to any size: ``bins`` equal-width bins span the
    training range, ``u = n_train / bins`` is a bin's share if the target
    were uniform, and a bin is many-shot with at least ``u`` training rows,
    few-shot with under ``u / 5``, medium-shot in between. A value outside
    the training range takes the nearest bin.

    Examples
    --------
    >>> import numpy as np
    >>> from wsample_sk.compare._metrics import shot_regions
    >>> y_train = np.r_[np.zeros(90), np.full(9, 5.0), 10.0]
    >>> shot_regions(y_train, np.array([0.0, 5.0, 10.0, 12.0])).tolist()
    [0, 1, 2, 2]
    """
    training = TargetBins(np.asarray(y_train, dtype=np.float64).ravel(), bins)
    uniform = len(training.codes) / bins
    counts = training.counts
    region = np.where(counts >= uniform, 0, np.where(counts < uniform / 5, 2, 1))
    return region[training.of(np.asarray(y, dtype=np.float64).ravel())]


def score_regression(
    y_train: np.ndarray, y_true: np.ndarray, y_pred: np.ndarray
) -> dict[str, float]:
    """Every metric of :data:`REGRESSION_METRICS` for one regression fit's test part.

    * ``mae``, ``rmse``, ``r2``: scikit-learn's;
    * ``many_shot_mae``, ``medium_shot_mae``, ``few_shot_mae``: the MAE of
      the test rows in each region of the training density
      (:func:`shot_regions`); NaN for a region without test rows;
    * ``sera``: the squared error relevance area, ``∫₀¹ SER_t dt`` with
      ``SER_t`` the sum of squared errors of the test rows whose relevance
      (:func:`relevance`, from ``y_train``) is at least *t*; the integral is
      exactly ``Σ φ(y_i) (ŷ_i - y_i)²`` (lower is better).

    Parameters
    ----------
    y_train : array of shape (n_train,)
        The training part's target (the density and the relevance).
    y_true, y_pred : array of shape (n_test,)

    Returns
    -------
    scores : dict

    Examples
    --------
    >>> import numpy as np
    >>> from wsample_sk.compare._metrics import score_regression
    >>> y_train = np.r_[np.arange(100.0), 400.0]  # median 50, one outlier above
    >>> s = score_regression(y_train, np.array([50.0, 400.0]), np.array([51.0, 398.0]))
    >>> s["mae"], round(s["sera"], 9)
    (1.5, 4.0)
    """
    y_true = np.asarray(y_true, dtype=np.float64).ravel()
    y_pred = np.asarray(y_pred, dtype=np.float64).ravel()
    error = np.abs(y_pred - y_true)
    region = shot_regions(y_train, y_true)
    shots = {
        f"{name}_shot_mae": float(error[region == r].mean()) if (region == r).any() else np.nan
        for r, name in enumerate(("many", "medium", "few"))
    }
    return {
        "mae": float(mean_absolute_error(y_true, y_pred)),
        "rmse": float(root_mean_squared_error(y_true, y_pred)),
        "r2": float(r2_score(y_true, y_pred)) if len(y_true) > 1 else np.nan,
        **shots,
        "sera": float(np.sum(relevance(y_train)(y_true) * error**2)),
    }
