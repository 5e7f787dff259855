"""Run every method on every data set's repeated stratified splits.

Each data set's task (:mod:`._tasks`) is decided where it comes in and
splits it: stratified on the class labels, iteratively on a multi-label
indicator (Sechidis et al. 2011), on the quantiles of a continuous target.
Either way every method sees the same splits.
"""

from __future__ import annotations

import contextlib
import math
import numbers
import signal
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch
from joblib import Parallel, delayed
from sklearn.base import clone
from tqdm.auto import tqdm

from ._datasets import DATASETS, Dataset, load_dataset
from ._methods import (
    DEFAULT_METHODS,
    METHODS,
    REFERENCES,
    make_method,
    make_preprocessor,
    skip_reason,
)
from ._metrics import METRICS
from ._splits import cv_floor
from ._tasks import TASKS, Task, task_of

__all__ = ["compare"]

_warmed_up: set = set()
_SEEDS = 2**32  # numpy's and imbalanced-learn's seeds are below this


def _check_int(value: Any, name: str, low: int) -> int:
    """An int parameter (not a bool, not a float), at least ``low``."""
    kind = {0: "a non-negative int", 1: "a positive int"}.get(low, f"an int, at least {low}")
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be {kind}; got {value!r} ({type(value).__name__}).")
    if value < low:
        raise ValueError(f"{name} must be {kind}; got {value!r}.")
    return int(value)


def _check_settings(repeats, folds, seed, n_jobs, max_epochs, lr, batch_size, max_rows) -> None:
    """Every numeric parameter of :func:`compare`, before anything runs."""
    _check_int(repeats, "repeats", 1)
    _check_int(folds, "folds", 2)
    _check_int(max_epochs, "max_epochs", 1)
    _check_int(batch_size, "batch_size", 1)
    if _check_int(seed, "seed", 0) >= _SEEDS:
        raise ValueError(f"seed must be an int in [0, 2**32 - 1]; got {seed!r}.")
    if max_rows is not None:
        _check_int(max_rows, "max_rows", 1)
    bad_type = isinstance(n_jobs, (bool, np.bool_)) or not isinstance(n_jobs, numbers.Integral)
    if n_jobs is not None and (bad_type or not n_jobs):
        raise ValueError(
            "n_jobs must be None, a positive int (processes) or a negative int (-1: every "
            f"core, -2: all but one, ...); got {n_jobs!r}."
        )
    if (
        isinstance(lr, (bool, np.bool_))
        or not isinstance(lr, numbers.Real)
        or not math.isfinite(lr)
        or lr <= 0
    ):
        raise ValueError(f"lr must be a finite number > 0; got {lr!r}.")


def _check_data(
    name: str, X: Any, y: Any, folds: int, task: Any = None
) -> tuple[pd.DataFrame, np.ndarray, list, Task]:
    """A copy of X as a DataFrame with str column names, the encoded target, its names, the task.

    The task is decided here, once (:func:`~wsample_sk.compare._tasks.task_of`).
    """
    X = pd.DataFrame(X).copy() if not isinstance(X, pd.DataFrame) else X.copy()
    X.columns = [str(c) for c in X.columns]  # on the copy: the caller's frame is untouched
    task = task_of(y, task)
    n_y = y.shape[0] if hasattr(y, "shape") else len(y)
    if n_y != len(X):
        raise ValueError(f"{name}: X has {len(X)} rows but y has {n_y}.")
    y, names = task.check(name, y, folds)
    return X, y, names, task


def _one_fit(dataset, method, repeat, fold, *args):
    """Fit and score one method on one split; a failure says which fit it was."""
    try:
        return _fit_and_score(dataset, method, repeat, fold, *args)
    except Exception as exc:
        raise ValueError(
            f"{method} on {dataset} (repeat {repeat}, fold {fold}) failed: "
            f"{type(exc).__name__}: {exc}"
        ) from exc


# the warm-up fit's one epoch: the parameter of the models that have epochs
_EPOCHS = ("net__max_epochs", "net__max_iter")


def _one_epoch(model: Any) -> Any:
    """A clone of ``model`` that trains for one epoch (for the untimed warm-up fit)."""
    model = clone(model)
    params = model.get_params()
    one = {k: 1 for k in params if k.endswith(_EPOCHS) and isinstance(params[k], int)}
    return model.set_params(**one)


def _fit_and_score(
    dataset, method, repeat, fold, X, y, train, test, n_classes, positive, seed, settings,
    task="single-label",
):  # fmt: skip
    """Fit and score one method on one split, in a worker or in the caller."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # the same arithmetic in every process, whatever n_jobs
    try:
        with torch.random.fork_rng(devices=[]), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            prep = make_preprocessor(X)
            # the width the network sees: the preprocessor fitted as in the pipeline
            n_features = clone(prep).fit(X.iloc[train]).transform(X.iloc[:1]).shape[1]
            task = TASKS[task]
            pipe = make_method(
                method, prep, n_features, n_classes, seed=seed, task=task, **settings
            )
            if method == "smote":  # neighbours within the rarest class of this training part
                rarest = int(np.bincount(y[train], minlength=n_classes).min())
                if rarest < 2:
                    raise ValueError(
                        "SMOTE needs two or more rows of every class in a training part; "
                        f"the rarest class has {rarest}. Leave smote out, or give that "
                        "class more rows."
                    )
                pipe.set_params(resample__k_neighbors=min(5, rarest - 1))
            if (method, task.name) not in _warmed_up:  # lazy imports, torch's set-up: untimed
                _one_epoch(pipe).fit(X.iloc[train], y[train])
                _warmed_up.add((method, task.name))
            torch.manual_seed(seed)  # skorch's plain NeuralNetClassifier has no random_state
            start = time.perf_counter()
            pipe.fit(X.iloc[train], y[train])
            seconds = time.perf_counter() - start
            proba, y_pred = task.outputs(pipe, X.iloc[test])
    finally:
        torch.set_num_threads(threads)
    scores = task.score(y[train], y[test], proba, y_pred, positive)
    row = {
        "dataset": dataset,
        "task": task.name,
        "method": method,
        "repeat": repeat,
        "fold": fold,
        **dict.fromkeys(METRICS, np.nan),  # the same fields for every task (results.csv)
        **scores,
        "fit_seconds": seconds,
    }
    return row, test, proba


@contextlib.contextmanager
def _stop_on_interrupt():
    """Ctrl-C stops the run, even if it lands inside a skorch fit.

    skorch ends training quietly on KeyboardInterrupt (the model keeps what
    it learned so far); in a comparison that would be a silently truncated
    result. The handler records the interrupt, so the run stops after the fit.
    """
    state = {"hit": False}
    if threading.current_thread() is not threading.main_thread():
        yield state
        return

    def handler(signum, frame):
        state["hit"] = True
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield state
    finally:
        signal.signal(signal.SIGINT, previous)


def _resolve_data(X, y, task, datasets) -> list[tuple[str, Any, Any, str, Any]]:
    """``(name, X, y, description, task)`` of every data set (the task None: read from y)."""
    if X is not None:
        if datasets is not None:
            raise ValueError("Pass X and y, or datasets, not both.")
        if y is None:
            raise ValueError("X needs y (the class labels or the target).")
        return [("data", X, y, "", task)]
    if task is not None:
        raise ValueError("task goes with X and y; a data set of datasets says its own task.")
    if y is not None:
        raise ValueError("y was given without X.")
    if isinstance(datasets, (str, Dataset)):  # one data set, not its letters
        datasets = [datasets]
    datasets = None if datasets is None else list(datasets)
    if datasets is not None and not datasets:
        raise ValueError(f"datasets is empty; name at least one of {list(DATASETS)}.")
    out = []
    for item in DATASETS if datasets is None else datasets:
        if isinstance(item, str):
            item = load_dataset(item)
        if isinstance(item, Dataset):
            out.append((item.name, item.X, item.y, item.description, item.task))
        elif isinstance(item, tuple) and len(item) in (3, 4):
            out.append((*item[:3], "", item[3] if len(item) == 4 else None))
        else:
            raise ValueError(
                "datasets holds names of built-in data sets, Dataset objects or "
                f"(name, X, y) or (name, X, y, task) tuples; got {item!r}."
            )
    names = [name for name, *_ in out]
    if len(set(names)) != len(names):
        raise ValueError(f"Data set names must be unique; got {names}.")
    return out


def compare(
    X: Any = None,
    y: Any = None,
    *,
    task: str | None = None,
    datasets: Iterable[Any] | None = None,
    methods: Sequence[str] | None = None,
    references: bool = False,
    repeats: int = 5,
    folds: int = 2,
    seed: int = 0,
    n_jobs: int | None = 1,
    max_epochs: int = 60,
    lr: float = 0.003,
    batch_size: int = 64,
    progress: bool = True,
    on_result: Callable[[dict], None] | None = None,
    max_rows: int | None = None,
) -> pd.DataFrame:
    """Cross-validate every method on the same repeated stratified splits.

    Single-label, multi-label and regression data sets can be mixed; each
    runs the methods that apply to its task (:func:`skip_reason`; the others
    are listed in ``attrs["skipped"]`` with the reason), split and scored as
    its task says. A multi-label one (``y`` a 0/1 indicator with two or more
    columns: numpy, sparse or a DataFrame whose columns name the labels) is
    split by repeated iterative stratification and scored with the
    multi-label metrics, each model's decisions being its own ``predict``;
    a regression one (a continuous ``y``) is split stratified on the
    target's deciles and scored with the regression metrics (MAE, RMSE,
    R², the MAE in the many-, medium- and few-shot regions of the training
    density, SERA).

    Parameters
    ----------
    X, y : array-like, default=None
        One data set (features, and class labels, a multi-label 0/1
        indicator of shape (n, L), or a continuous target). ``None``: the
        data sets in ``datasets``.
    task : {"single-label", "multi-label", "regression", "classification"}, default=None
        The task of ``X, y``; ``None``: read from ``y`` (a continuous target
        of whole numbers, such as counts, must say ``"regression"``).
    datasets : iterable, default=None
        Names of built-in data sets (:data:`DATASETS`), :class:`Dataset`
        objects, or ``(name, X, y)`` or ``(name, X, y, task)`` tuples (one
        name or Dataset: that one). ``None`` (and no ``X``): the whole
        built-in suite.
    methods : str or sequence of str, default=None
        Keys of :data:`METHODS` (one key: that method); ``None`` runs
        :data:`DEFAULT_METHODS`. A method that does not apply to a data
        set's task is skipped there, with its reason in
        ``attrs["skipped"]``.
    references : bool, default=False
        Also run the models outside the network (:data:`REFERENCES`).
    repeats, folds : int, default=5, 2
        Repeated stratified k-fold: ``repeats`` (>= 1) shuffles of ``folds``
        (>= 2) folds, the same splits (and the same seed per split) for
        every method. Every class (multi-label: every label's positives and
        negatives) needs at least ``folds`` rows (regression: the data set
        ``2 * folds``).
    seed : int, default=0
        Seeds the splits, the networks, the resamplers and the subsample
        (an int in ``[0, 2**32 - 1]``).
    n_jobs : int, default=1
        Fits in parallel (joblib processes; each fit uses one torch thread,
        so scores do not depend on ``n_jobs``): a positive int, or negative
        as in joblib (-1: every core); never more processes than fits.
    max_epochs, lr, batch_size
        Training settings shared by every network (Adam): ints >= 1 and a
        finite ``lr > 0``.
    progress : bool, default=True
        A progress bar over all fits.
    on_result : callable, default=None
        Called with each fit's result row as soon as it is finished (the
        command line appends it to ``results.csv``).
    max_rows : int, default=None
        A data set with more rows is cut to a stratified subsample of
        ``max_rows`` rows (seeded; see :func:`stratified_subsample`: every
        class keeps at least ``min(its rows, max(10, 2 * folds))``, taken
        from the larger classes; multi-label, :func:`multilabel_subsample`:
        every label keeps as many positives; regression: stratified on the
        target's quantiles). ``None``: every row.

    Returns
    -------
    results : DataFrame
        Tidy: one row per data set, method, repeat and fold, with ``task``
        (``"single-label"``, ``"multi-label"`` or ``"regression"``), a
        column per metric of :data:`METRICS` the tasks present have (NaN
        where a metric is not defined for a row's task) and
        ``fit_seconds`` (wall time of ``fit``, after an untimed warm-up fit
        per method and process). ``attrs`` holds ``"datasets"`` (``{name:
        {"task", "classes", "multilabel", "positive", "y", "n_rows",
        "n_rows_total", "description"}}``: ``classes`` the class or label
        names (regression: the target's), ``positive`` the rarest one's
        index (regression: None), ``y`` (encoded labels, the indicator or
        the target) and ``n_rows`` of the rows used, ``n_rows_total``
        before any subsample), ``"oof_proba"`` (``{(dataset, method):
        out-of-fold probabilities of the first repeat}``, one column per
        class or label; regression: the predictions, one column),
        ``"skipped"`` (``{dataset: {method: reason}}``) and ``"settings"``.

    Raises
    ------
    ValueError
        For an unknown method, a numeric parameter of the wrong type or out
        of range (the message names it and the value), data that cannot be
        cross-validated (a multi-label column that is not 0/1, a label with
        fewer than ``folds`` positives, a continuous target with a missing
        value), or methods none of which applies; all before the first fit.

    Examples
    --------
    >>> from wsample_sk.compare import compare, load_dataset
    >>> ds = load_dataset("wine")
    >>> res = compare(ds.X, ds.y, methods=["none", "balanced"], repeats=1,
    ...               max_epochs=2, progress=False)
    >>> res[["method", "repeat", "fold"]].value_counts().size
    4
    """
    if isinstance(methods, str):  # one method, not its letters
        methods = [methods]
    methods = list(DEFAULT_METHODS if methods is None else methods)
    if not methods:
        raise ValueError(f"methods is empty; name at least one of {list(METHODS)}.")
    unknown = [m for m in methods if m not in METHODS and m not in REFERENCES]
    if unknown:
        raise ValueError(
            f"Unknown method(s) {unknown}; choose from {list(METHODS) + list(REFERENCES)}."
        )
    if references:
        methods += [m for m in REFERENCES if m not in methods]
    if len(set(methods)) != len(methods):
        raise ValueError(f"methods has duplicates: {methods}.")
    _check_settings(repeats, folds, seed, n_jobs, max_epochs, lr, batch_size, max_rows)
    settings = {"max_epochs": max_epochs, "lr": lr, "batch_size": batch_size}
    data, meta, oof, skipped = [], {}, {}, {}
    for name, Xd, yd, about, kind in _resolve_data(X, y, task, datasets):
        Xd, yd, classes, kind = _check_data(name, Xd, yd, folds, kind)
        total = len(yd)
        if max_rows is not None and total > max_rows:
            keep = kind.subsample(yd, max_rows, cv_floor(folds), seed)
            Xd, yd = Xd.iloc[keep].reset_index(drop=True), yd[keep]
        reasons = {m: skip_reason(m, kind) for m in methods}
        skipped[name] = {m: r for m, r in reasons.items() if r is not None}
        running = [m for m in methods if reasons[m] is None]
        data.append((name, Xd, yd, classes, kind, running))
        meta[name] = {
            "task": kind.name,
            "classes": classes,
            "multilabel": kind.name == "multi-label",
            "positive": kind.rarest(yd),  # the rarest class or label
            "y": yd,
            "n_rows": len(yd),
            "n_rows_total": total,
            "description": about,
        }
        for method in running:
            oof[name, method] = np.full((len(yd), len(classes)), np.nan)
    if not any(running for *_, running in data):
        raise ValueError(
            f"None of the methods {methods} applies to the data: "
            + "; ".join(f"{m}: {r}" for m, r in next(iter(skipped.values())).items())
        )

    def jobs():  # made as they are dispatched: no list of every split's indices
        for name, Xd, yd, classes, kind, running in data:
            for i, (train, test) in enumerate(kind.splits(yd, folds, repeats, seed)):
                repeat, fold = divmod(i, folds)
                for method in running:
                    yield delayed(_one_fit)(
                        name,
                        method,
                        repeat,
                        fold,
                        Xd,
                        yd,
                        train,
                        test,
                        len(classes),
                        meta[name]["positive"],  # the rarest class: one choice per data set
                        (seed * 1000 + i) % _SEEDS,
                        settings,
                        kind.name,
                    )

    n_fits = repeats * folds * sum(len(running) for *_, running in data)
    if n_jobs is not None and n_jobs > 0:
        n_jobs = min(n_jobs, n_fits)  # no idle processes
    rows = []
    with _stop_on_interrupt() as interrupt:
        results = Parallel(n_jobs=n_jobs, return_as="generator_unordered")(jobs())
        bar = tqdm(results, total=n_fits, disable=not progress, desc="fits", unit="fit")
        for row, test, proba in bar:
            if interrupt["hit"]:
                raise KeyboardInterrupt
            rows.append(row)
            if row["repeat"] == 0:
                oof[row["dataset"], row["method"]][test] = proba
            if on_result is not None:
                on_result(row)
        if interrupt["hit"]:
            raise KeyboardInterrupt
    order = {"dataset": [n for n, *_ in data], "method": methods}
    tasks = {kind.name for *_, kind, _ in data}
    metrics = [m for m in METRICS if any(m in TASKS[t].metrics for t in tasks)]
    results = pd.DataFrame(
        rows, columns=["dataset", "task", "method", "repeat", "fold", *metrics, "fit_seconds"]
    )
    results = results.sort_values(
        ["dataset", "method", "repeat", "fold"],
        key=lambda col: (
            col.map({v: i for i, v in enumerate(order[col.name])}) if col.name in order else col
        ),
    ).reset_index(drop=True)
    results.attrs.update(
        datasets=meta,
        oof_proba=oof,
        skipped=skipped,
        settings={
            **settings,
            "repeats": repeats,
            "folds": folds,
            "seed": seed,
            "methods": methods,
            "max_rows": max_rows,
        },
    )
    return results
