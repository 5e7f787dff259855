"""Scores of one fit's out-of-fold probabilities: decisions, rankings, calibration."""

from __future__ import annotations

import numpy as np
from imblearn.metrics import geometric_mean_score
from sklearn.metrics import (
    average_precision_score,
    balanced_accuracy_score,
    brier_score_loss,
    f1_score,
    log_loss,
    roc_auc_score,
)

__all__ = ["METRICS", "expected_calibration_error", "score_fit"]

#: ``{metric: True if higher is better}``, in report order.
METRICS: dict[str, bool] = {
    "balanced_accuracy": True,
    "average_precision": True,
    "macro_f1": True,
    "g_mean": True,
    "roc_auc": True,
    "brier": False,
    "log_loss": False,
    "ece": False,
}


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
    multi-class sum otherwise).

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
        "g_mean": geometric_mean_score(y_true, y_pred, average="multiclass", labels=present),
        "roc_auc": float(auc),
        "brier": float(brier),
        "log_loss": log_loss(y_true, proba, labels=labels),
        "ece": expected_calibration_error(y_true, proba),
    }
