"""The kinds of task of the comparison, each one object that owns what differs.

A data set's task is decided once, where the data come in (:func:`task_of`):
one label per row (:data:`SINGLE_LABEL`), a 0/1 indicator of several labels
(:data:`MULTI_LABEL`) or a continuous target (:data:`REGRESSION`). The task
checks and encodes the target, splits and subsamples it, turns a fitted
model into out-of-fold outputs and decisions, scores them, names its metrics
(the primary one first) and describes the target in the report. The rest of
the comparison asks the task and does not branch on its kind; a new kind of
task is one more object here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import RepeatedStratifiedKFold
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.multiclass import type_of_target

from ._metrics import (
    MULTILABEL_METRICS,
    REGRESSION_METRICS,
    relevance,
    score_fit,
    score_multilabel,
    score_regression,
)
from ._splits import (
    multilabel_splits,
    multilabel_subsample,
    quantile_bins,
    quantile_splits,
    stratified_subsample,
)

__all__ = ["MULTI_LABEL", "REGRESSION", "SINGLE_LABEL", "TASKS", "Task", "task_of"]

Splits = Iterator[tuple[np.ndarray, np.ndarray]]


class Task:
    """What one kind of target needs from the comparison.

    Attributes
    ----------
    name : str
        ``"single-label"``, ``"multi-label"`` or ``"regression"`` (the
        ``task`` column of the results).
    metrics : tuple of str
        The metrics its fits get, the primary one (tests and ranks by
        default) first.
    shown : tuple of str
        The columns of its summary table.
    suffix : str
        Of its rank table and critical-difference diagram files.
    """

    name: str
    metrics: tuple[str, ...]
    shown: tuple[str, ...]
    suffix: str

    def __repr__(self) -> str:
        return f"<task {self.name}>"

    def check(self, name: str, y: Any, folds: int) -> tuple[np.ndarray, list[str]]:
        """The encoded target and the names of its classes, labels or column; one-line errors."""
        raise NotImplementedError

    def splits(self, y: np.ndarray, folds: int, repeats: int, seed: int) -> Splits:
        """``repeats * folds`` ``(train, test)`` pairs, stratified as the target allows."""
        raise NotImplementedError

    def subsample(self, y: np.ndarray, max_rows: int, floor: int, seed: int) -> np.ndarray:
        """Sorted row indices of a seeded subsample of about ``max_rows`` rows."""
        raise NotImplementedError

    def rarest(self, y: np.ndarray) -> int | None:
        """The index of the rarest class or label (the precision-recall curves'); None."""
        return None

    def outputs(self, model: Any, X: Any) -> tuple[np.ndarray, np.ndarray]:
        """Out-of-fold outputs, shape (n, k), and the model's own decisions or predictions."""
        raise NotImplementedError

    def score(
        self,
        y_train: np.ndarray,
        y_test: np.ndarray,
        outputs: np.ndarray,
        decisions: np.ndarray,
        positive: int | None,
    ) -> dict[str, float]:
        """Every metric of the task for one test part."""
        raise NotImplementedError

    def split_text(self, folds: int) -> str:
        """How the report says the data were split."""
        raise NotImplementedError

    def describe(self, y: np.ndarray, names: list[str]) -> str:
        """The target of a data set, in one line of the report."""
        raise NotImplementedError


class _SingleLabel(Task):
    name = "single-label"
    metrics = (
        "balanced_accuracy",
        "average_precision",
        "macro_f1",
        "micro_f1",
        "g_mean",
        "roc_auc",
        "brier",
        "log_loss",
        "ece",
        "hamming_loss",
    )
    shown = ("balanced_accuracy", "average_precision", "macro_f1", "roc_auc", "brier", "ece")
    suffix = ""

    def check(self, name, y, folds):
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        if pd.isna(pd.Series(y)).any():
            raise ValueError(f"{name}: y has {int(pd.isna(pd.Series(y)).sum())} missing values.")
        encoder = LabelEncoder().fit(y)
        y_enc = encoder.transform(y)
        counts = np.bincount(y_enc)
        if len(counts) < 2:
            raise ValueError(
                f"{name}: y has a single class ({encoder.classes_[0]!r}); need two or more."
            )
        if counts.min() < folds:
            rare = encoder.classes_[counts.argmin()]
            rare = rare.item() if isinstance(rare, np.generic) else rare
            hint = ""
            if encoder.classes_.dtype.kind in "iuf" and len(counts) > 10:
                hint = (
                    f" With {len(counts)} numeric classes, is y a continuous target of "
                    "whole numbers (counts)? Then say task='regression' (on the command "
                    "line, --task regression)."
                )
            raise ValueError(
                f"{name}: the rarest class ({rare!r}) has {counts.min()} samples, fewer than "
                f"folds={folds}.{hint}"
            )
        return y_enc, encoder.classes_.tolist()

    def splits(self, y, folds, repeats, seed):
        cv = RepeatedStratifiedKFold(n_splits=folds, n_repeats=repeats, random_state=seed)
        return cv.split(np.zeros((len(y), 1)), y)

    def subsample(self, y, max_rows, floor, seed):
        return stratified_subsample(y, max_rows, floor, seed)

    def rarest(self, y):
        return int(np.bincount(y).argmin())

    def outputs(self, model, X):
        # the model's own decision rule (say logit_adjustment), not the argmax
        return np.asarray(model.predict_proba(X)), np.asarray(model.predict(X))

    def score(self, y_train, y_test, outputs, decisions, positive):
        return score_fit(y_test, outputs, positive, decisions)

    def split_text(self, folds):
        return f"stratified {folds}-fold cross-validation"

    def describe(self, y, names):
        counts = np.bincount(y, minlength=len(names))
        return ", ".join(f"{c}: {n}" for c, n in zip(names, counts, strict=True))


class _MultiLabel(Task):
    name = "multi-label"
    metrics = MULTILABEL_METRICS
    shown = (
        "macro_f1",
        "micro_f1",
        "average_precision",
        "hamming_loss",
        "balanced_accuracy",
        "brier",
    )
    suffix = "_multilabel"

    def check(self, name, y, folds):
        if hasattr(y, "toarray"):  # scipy sparse
            y = y.toarray()
        frame = y if isinstance(y, pd.DataFrame) else pd.DataFrame(np.asarray(y))
        labels = [str(c) for c in frame.columns]
        for label, column in zip(labels, frame.columns, strict=True):
            values = pd.to_numeric(frame[column], errors="coerce")
            bad = ~values.isin([0, 1])
            if bad.any():
                first = frame[column][bad].iloc[0]
                first = first.item() if isinstance(first, np.generic) else first
                raise ValueError(
                    f"{name}: y is a multi-label indicator ({len(labels)} columns) but label "
                    f"{label!r} holds {first!r} (row {int(np.flatnonzero(bad)[0])}); every "
                    "value must be 0 or 1."
                )
        Y = frame.apply(pd.to_numeric).to_numpy().astype(np.int64)
        positives = Y.sum(axis=0)
        for what, counts in (("positives", positives), ("negatives", len(Y) - positives)):
            if counts.min() < folds:
                label = labels[int(counts.argmin())]
                raise ValueError(
                    f"{name}: label {label!r} has {counts.min()} {what}, fewer than folds={folds}."
                )
        return Y, labels

    def splits(self, y, folds, repeats, seed):
        return multilabel_splits(y, folds, repeats, seed)

    def subsample(self, y, max_rows, floor, seed):
        return multilabel_subsample(y, max_rows, floor, seed)

    def rarest(self, y):
        return int(y.sum(axis=0).argmin())

    def outputs(self, model, X):
        proba = model.predict_proba(X)
        if isinstance(proba, list):  # MultiOutputClassifier: one (n, 2) array per label
            proba = np.column_stack([p[:, -1] for p in proba])
        return np.asarray(proba), np.asarray(model.predict(X))

    def score(self, y_train, y_test, outputs, decisions, positive):
        return score_multilabel(y_test, outputs, decisions)

    def split_text(self, folds):
        return f"iterative stratification into {folds} folds (Sechidis et al. 2011)"

    def describe(self, y, names):
        counts = y.sum(axis=0)
        mix = ", ".join(f"{c}: {n}" for c, n in zip(names, counts, strict=True))
        return f"multi-label, positives per label: {mix}"


class _Regression(Task):
    name = "regression"
    metrics = REGRESSION_METRICS
    shown = ("mae", "rmse", "r2", "many_shot_mae", "medium_shot_mae", "few_shot_mae", "sera")
    suffix = "_regression"

    def check(self, name, y, folds):
        column = str(getattr(y, "name", None) or (y.columns[0] if hasattr(y, "columns") else "y"))
        values = np.asarray(y.toarray() if hasattr(y, "toarray") else y)
        if values.ndim == 2 and values.shape[1] == 1:
            values = values[:, 0]
        if values.ndim != 1:
            raise ValueError(
                f"{name}: a continuous target is one column; y has shape {values.shape}."
            )
        numbers = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(np.float64)
        bad = ~np.isfinite(numbers)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            value = values[row].item() if isinstance(values[row], np.generic) else values[row]
            raise ValueError(
                f"{name}: a continuous target must be finite numbers; row {row} holds "
                f"{value!r} ({int(bad.sum())} such rows)."
            )
        if len(numbers) < 2 * folds:
            raise ValueError(
                f"{name}: {len(numbers)} rows are too few for folds={folds} (need {2 * folds})."
            )
        if np.ptp(numbers) == 0:
            raise ValueError(f"{name}: the target is constant ({float(numbers[0])!r}).")
        with np.errstate(over="ignore", invalid="ignore"):
            spread = np.std(numbers)
        if not np.isfinite(spread):
            raise ValueError(
                f"{name}: the target's values are too large to standardise (up to "
                f"{float(np.abs(numbers).max()):.3g}; their spread overflows): rescale y."
            )
        return numbers, [column]

    def splits(self, y, folds, repeats, seed):
        return quantile_splits(y, folds, repeats, seed)

    def subsample(self, y, max_rows, floor, seed):
        """The most extreme ``max_rows // 20`` rows at each end (the tail's rarest values),
        and the rest stratified on the target's quantiles (no floor per group: the
        groups are cuts of the target, not classes)."""
        if len(y) <= max_rows:
            return np.arange(len(y))
        order = np.argsort(y, kind="stable")
        tail = max(1, max_rows // 20)
        ends = np.r_[order[:tail], order[-tail:]]
        rest = np.setdiff1d(np.arange(len(y)), ends)
        picked = stratified_subsample(quantile_bins(y[rest], 2), max_rows - len(ends), 0, seed)
        return np.sort(np.r_[ends, rest[picked]])

    def outputs(self, model, X):
        pred = np.asarray(model.predict(X), dtype=np.float64).reshape(-1)
        return pred[:, None], pred

    def score(self, y_train, y_test, outputs, decisions, positive):
        return score_regression(y_train, y_test, decisions)

    def split_text(self, folds):
        return (
            f"{folds}-fold cross-validation stratified on quantiles of the target (deciles, "
            "or fewer groups on small data)"
        )

    def describe(self, y, names):
        q = np.quantile(y, [0.0, 0.5, 0.9, 1.0])
        skew = float(pd.Series(y).skew())
        extremes = int((relevance(y)(y) >= 0.5).sum())
        rare = (
            f"{extremes} rows of relevance 0.5 or more"
            if extremes
            else "no value beyond the boxplot's whiskers (relevance, SERA and smoter's rare "
            "domain are empty)"
        )
        return (
            f"continuous target {names[0]!r}: min {q[0]:.4g}, median {q[1]:.4g}, "
            f"90th percentile {q[2]:.4g}, max {q[3]:.4g}; skewness {skew:.2f}; {rare}"
        )


#: One label per row.
SINGLE_LABEL: Task = _SingleLabel()
#: A 0/1 indicator of several labels per row.
MULTI_LABEL: Task = _MultiLabel()
#: A continuous target.
REGRESSION: Task = _Regression()
#: Every task, by name, in report order.
TASKS: dict[str, Task] = {t.name: t for t in (SINGLE_LABEL, MULTI_LABEL, REGRESSION)}
_ALIASES = {"classification": None, "auto": None, None: None}


def task_of(y: Any, task: str | Task | None = None) -> Task:
    """The task of a target: as named, or read from ``y``.

    Parameters
    ----------
    y : array-like, Series or DataFrame
    task : {"single-label", "multi-label", "regression", "classification", "auto"}, \
default=None
        ``None`` or ``"auto"``: a ``y`` with two or more columns is
        multi-label, a continuous one (scikit-learn's ``type_of_target``:
        floats that are not all whole numbers) is regression, anything else
        single-label; ``"classification"``: single- or multi-label by the
        number of columns. A continuous target of whole numbers (counts,
        ages) must be named ``"regression"``.

    Examples
    --------
    >>> import numpy as np
    >>> from wsample_sk.compare._tasks import task_of
    >>> task_of(np.array([0.5, 1.5, 3.0])).name, task_of(np.array([1.0, 2.0])).name
    ('regression', 'single-label')
    >>> task_of(np.array([1, 2]), "regression").name
    'regression'
    """
    if isinstance(task, Task):
        return task
    if task in TASKS:
        return TASKS[task]
    if task not in _ALIASES:
        raise ValueError(
            f"task must be one of {[*TASKS, 'classification', 'auto']} or None; got {task!r}."
        )
    if hasattr(y, "shape") and len(y.shape) == 2 and y.shape[1] > 1:
        return MULTI_LABEL
    if task is None or task == "auto":
        values = np.asarray(y.toarray() if hasattr(y, "toarray") else y)
        values = values.ravel() if values.ndim == 2 and values.shape[1] == 1 else values
        if values.dtype.kind == "f":  # NaN or inf: judged by the finite values
            finite = values[np.isfinite(values)]
            if len(finite) and (finite != np.round(finite)).any():
                return REGRESSION
        try:
            if type_of_target(values) == "continuous":
                return REGRESSION
        except ValueError:  # not a target scikit-learn knows: checked as labels
            pass
    return SINGLE_LABEL
