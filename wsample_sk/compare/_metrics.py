"""Scores of one fit's out-of-fold probabilities: decisions, rankings, calibration.

Single-label fits get every metric of :data:`METRICS`; multi-label fits those
of :data:`MULTILABEL_METRICS` (the others are NaN): the same names, each the
per-label (macro) form of the single-label one.
"""

from __future__ import annotations

import numpy as np
from imblearn.metrics import geometric_mean_score
from sklearn.metrics import (
    average_precision_score,
    balanced_accuracy_score,
    brier_score_loss,
    f1_score,
    hamming_loss,
    log_loss,
    roc_auc_score,
)

__all__ = [
    "METRICS",
    "MULTILABEL_METRICS",
    "expected_calibration_error",
    "score_fit",
    "score_multilabel",
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
}
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
