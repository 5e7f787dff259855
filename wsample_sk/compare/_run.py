"""Run every method on every data set's repeated stratified splits."""

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
from sklearn.model_selection import RepeatedStratifiedKFold
from sklearn.preprocessing import LabelEncoder
from tqdm.auto import tqdm

from ._datasets import DATASETS, Dataset, load_dataset
from ._methods import DEFAULT_METHODS, METHODS, REFERENCES, make_method, make_preprocessor
from ._metrics import METRICS, score_fit

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


def cv_floor(folds: int) -> int:
    """Rows a class keeps at least in a subsample (all it has, if fewer): ``max(10, 2 * folds)``.

    Enough for every fold to test and train on the class (and for SMOTE's
    neighbours).
    """
    return max(10, 2 * folds)


def stratified_subsample(y: np.ndarray, max_rows: int, floor: int, seed: int) -> np.ndarray:
    """Sorted row indices of a stratified subsample of ``max_rows`` rows.

    Each class keeps its share of ``max_rows`` (rounded by largest
    remainders), but at least ``min(its rows, floor)``, so that a rare class
    stays usable for cross-validation; the rows this adds are taken from the
    classes above their floor (the total exceeds ``max_rows`` only when the
    floors alone do). All rows when there are no more than ``max_rows``.

    Examples
    --------
    >>> import numpy as np
    >>> from wsample_sk.compare._run import stratified_subsample
    >>> y = np.repeat([0, 1, 2], [900, 95, 5])
    >>> np.bincount(y[stratified_subsample(y, 100, floor=10, seed=0)])
    array([85, 10,  5])
    """
    y = np.asarray(y)
    if len(y) <= max_rows:
        return np.arange(len(y))
    _, codes, counts = np.unique(y, return_inverse=True, return_counts=True)
    low = np.minimum(counts, floor)
    exact = counts * (max_rows / len(y))
    keep = np.maximum(np.floor(exact).astype(np.int64), low)
    short = max_rows - int(keep.sum())
    if short > 0:  # largest remainders, among the classes not raised to their floor
        order = np.argsort(-(exact - keep), kind="stable")
        keep[order[:short]] += 1
    elif short < 0:  # the floors' rows, taken from the classes above their floor
        room = keep - low
        take = min(-short, int(room.sum()))
        if take:
            share = room * (take / room.sum())
            cut = np.floor(share).astype(np.int64)
            order = np.argsort(-(share - cut), kind="stable")
            cut[order[: take - int(cut.sum())]] += 1
            keep -= cut
    rng = np.random.default_rng(seed)
    rows = [
        rng.choice(np.flatnonzero(codes == c), size=int(k), replace=False)
        for c, k in enumerate(keep)
    ]
    return np.sort(np.concatenate(rows))


def _check_data(name: str, X: Any, y: Any, folds: int) -> tuple[pd.DataFrame, np.ndarray, list]:
    """A copy of X as a DataFrame with str column names, encoded y, the classes."""
    X = pd.DataFrame(X).copy() if not isinstance(X, pd.DataFrame) else X.copy()
    X.columns = [str(c) for c in X.columns]  # on the copy: the caller's frame is untouched
    y = np.asarray(y)
    if len(y) != len(X):
        raise ValueError(f"{name}: X has {len(X)} rows but y has {len(y)}.")
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
        raise ValueError(
            f"{name}: the rarest class ({rare!r}) has {counts.min()} samples, fewer than "
            f"folds={folds}."
        )
    return X, y_enc, encoder.classes_.tolist()


def _one_fit(dataset, method, repeat, fold, *args):
    """Fit and score one method on one split; a failure says which fit it was."""
    try:
        return _fit_and_score(dataset, method, repeat, fold, *args)
    except Exception as exc:
        raise ValueError(
            f"{method} on {dataset} (repeat {repeat}, fold {fold}) failed: "
            f"{type(exc).__name__}: {exc}"
        ) from exc


def _fit_and_score(
    dataset, method, repeat, fold, X, y, train, test, n_classes, positive, seed, settings
):
    """Fit and score one method on one split, in a worker or in the caller."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # the same arithmetic in every process, whatever n_jobs
    try:
        with torch.random.fork_rng(devices=[]), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            prep = make_preprocessor(X)
            # the width the network sees: the preprocessor fitted as in the pipeline
            n_features = clone(prep).fit(X.iloc[train]).transform(X.iloc[:1]).shape[1]
            pipe = make_method(method, prep, n_features, n_classes, seed=seed, **settings)
            if method == "smote":  # neighbours within the rarest class of this training part
                rarest = int(np.bincount(y[train], minlength=n_classes).min())
                if rarest < 2:
                    raise ValueError(
                        "SMOTE needs two or more rows of every class in a training part; "
                        f"the rarest class has {rarest}. Leave smote out, or give that "
                        "class more rows."
                    )
                pipe.set_params(resample__k_neighbors=min(5, rarest - 1))
            if method not in _warmed_up:  # lazy imports and torch's one-off set-up, untimed
                short = {"net__max_epochs": 1} if method in METHODS else {}
                clone(pipe).set_params(**short).fit(X.iloc[train], y[train])
                _warmed_up.add(method)
            torch.manual_seed(seed)  # skorch's plain NeuralNetClassifier has no random_state
            start = time.perf_counter()
            pipe.fit(X.iloc[train], y[train])
            seconds = time.perf_counter() - start
            proba = pipe.predict_proba(X.iloc[test])
            y_pred = pipe.predict(X.iloc[test])  # a model's own decision rule, not argmax
    finally:
        torch.set_num_threads(threads)
    row = {
        "dataset": dataset,
        "method": method,
        "repeat": repeat,
        "fold": fold,
        **score_fit(y[test], proba, positive, y_pred),
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


def _resolve_data(X, y, datasets) -> list[tuple[str, Any, Any]]:
    if X is not None:
        if datasets is not None:
            raise ValueError("Pass X and y, or datasets, not both.")
        if y is None:
            raise ValueError("X needs y (the class labels).")
        return [("data", X, y, "")]
    if y is not None:
        raise ValueError("y was given without X.")
    out = []
    for item in DATASETS if datasets is None else datasets:
        if isinstance(item, str):
            item = load_dataset(item)
        if isinstance(item, Dataset):
            out.append((item.name, item.X, item.y, item.description))
        elif isinstance(item, tuple) and len(item) == 3:
            out.append((*item, ""))
        else:
            raise ValueError(
                "datasets holds names of built-in data sets, Dataset objects or "
                f"(name, X, y) tuples; got {item!r}."
            )
    names = [name for name, *_ in out]
    if len(set(names)) != len(names):
        raise ValueError(f"Data set names must be unique; got {names}.")
    return out


def compare(
    X: Any = None,
    y: Any = None,
    *,
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

    Parameters
    ----------
    X, y : array-like, default=None
        One data set (features and class labels). ``None``: the data sets
        in ``datasets``.
    datasets : iterable, default=None
        Names of built-in data sets (:data:`DATASETS`), :class:`Dataset`
        objects or ``(name, X, y)`` tuples. ``None`` (and no ``X``): the whole
        built-in suite.
    methods : sequence of str, default=None
        Keys of :data:`METHODS`; ``None`` runs :data:`DEFAULT_METHODS`.
    references : bool, default=False
        Also run the models outside the network (:data:`REFERENCES`).
    repeats, folds : int, default=5, 2
        Repeated stratified k-fold: ``repeats`` (>= 1) shuffles of ``folds``
        (>= 2) folds, the same splits (and the same seed per split) for
        every method.
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
        from the larger classes). ``None``: every row.

    Returns
    -------
    results : DataFrame
        Tidy: one row per data set, method, repeat and fold, with a column per
        metric of :data:`METRICS` and ``fit_seconds`` (wall time of ``fit``,
        after an untimed warm-up fit per method and process). ``attrs`` holds
        ``"datasets"`` (``{name: {"classes", "positive", "y", "n_rows",
        "n_rows_total", "description"}}``: ``y`` and ``n_rows`` of the rows
        used, ``n_rows_total`` before any subsample), ``"oof_proba"``
        (``{(dataset, method): out-of-fold probabilities of the first
        repeat}``) and ``"settings"``.

    Raises
    ------
    ValueError
        For an unknown method, a numeric parameter of the wrong type or out
        of range (the message names it and the value), or data that cannot
        be cross-validated; all before the first fit.

    Examples
    --------
    >>> from wsample_sk.compare import compare, load_dataset
    >>> ds = load_dataset("wine")
    >>> res = compare(ds.X, ds.y, methods=["none", "balanced"], repeats=1,
    ...               max_epochs=2, progress=False)
    >>> res[["method", "repeat", "fold"]].value_counts().size
    4
    """
    methods = list(DEFAULT_METHODS if methods is None else methods)
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
    data, meta, oof = [], {}, {}
    for name, Xd, yd, about in _resolve_data(X, y, datasets):
        Xd, yd, classes = _check_data(name, Xd, yd, folds)
        total = len(yd)
        if max_rows is not None and total > max_rows:
            keep = stratified_subsample(yd, max_rows, cv_floor(folds), seed)
            Xd, yd = Xd.iloc[keep].reset_index(drop=True), yd[keep]
        data.append((name, Xd, yd, classes))
        meta[name] = {
            "classes": classes,
            "positive": int(np.bincount(yd).argmin()),
            "y": yd,
            "n_rows": len(yd),
            "n_rows_total": total,
            "description": about,
        }
        for method in methods:
            oof[name, method] = np.full((len(yd), len(classes)), np.nan)

    def jobs():  # made as they are dispatched: no list of every split's indices
        for name, Xd, yd, classes in data:
            cv = RepeatedStratifiedKFold(n_splits=folds, n_repeats=repeats, random_state=seed)
            for i, (train, test) in enumerate(cv.split(Xd, yd)):
                repeat, fold = divmod(i, folds)
                for method in methods:
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
                    )

    n_fits = len(data) * repeats * folds * len(methods)
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
    results = pd.DataFrame(
        rows, columns=["dataset", "method", "repeat", "fold", *METRICS, "fit_seconds"]
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
