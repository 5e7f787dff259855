"""Side-by-side cross-validation: weighted sampling vs imbalanced-learn resamplers.

Every method trains the same network (:class:`~wsample_sk.modules.MLP`, same
optimizer, learning rate, epochs and batch size) on the same stratified folds,
behind the same preprocessing:

=============  ========================================================================
method         what feeds the network
=============  ========================================================================
``none``       :class:`WeightedSamplingClassifier`, no weighting (plain shuffling)
``balanced``   weighted draws, inverse class frequency
``sqrt``       weighted draws, inverse square root of class frequency
``effective``  weighted draws, effective number of samples (β = 0.999)
``loss``       plain shuffling, loss weighted by inverse class frequency
``ros``        imbalanced-learn ``RandomOverSampler`` + skorch ``NeuralNetClassifier``
``rus``        imbalanced-learn ``RandomUnderSampler`` + skorch ``NeuralNetClassifier``
``smote``      imbalanced-learn ``SMOTE`` + skorch ``NeuralNetClassifier``
=============  ========================================================================

The imbalanced-learn methods run in an ``imblearn.pipeline.Pipeline``, so
resampling happens on each training fold only.
"""

from __future__ import annotations

import threading
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import psutil
import torch
from imblearn.metrics import geometric_mean_score
from imblearn.over_sampling import SMOTE, RandomOverSampler
from imblearn.pipeline import Pipeline as ImbPipeline
from imblearn.under_sampling import RandomUnderSampler
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.datasets import load_breast_cancer
from sklearn.impute import SimpleImputer
from sklearn.metrics import (
    average_precision_score,
    balanced_accuracy_score,
    f1_score,
    precision_recall_curve,
)
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, LabelEncoder, OneHotEncoder, StandardScaler
from skorch import NeuralNetClassifier
from tqdm.auto import tqdm

from ._classifier import WeightedSamplingClassifier
from .modules import MLP

__all__ = [
    "METHODS",
    "METRICS",
    "compare",
    "format_table",
    "load_default_data",
    "make_method",
    "make_preprocessor",
    "write_report",
]

METHODS = {
    "none": "no weighting (plain shuffling)",
    "balanced": "weighted draws, inverse class frequency",
    "sqrt": "weighted draws, inverse square root of class frequency",
    "effective": "weighted draws, effective number of samples",
    "loss": "loss weighted by inverse class frequency",
    "ros": "imblearn RandomOverSampler + skorch",
    "rus": "imblearn RandomUnderSampler + skorch",
    "smote": "imblearn SMOTE + skorch",
}
METRICS = (
    "balanced_accuracy",
    "average_precision",
    "macro_f1",
    "g_mean",
    "fit_seconds",
    "peak_memory_mb",
)
_SAMPLING = {
    "none": (None, "sample"),
    "balanced": ("balanced", "sample"),
    "sqrt": ("sqrt", "sample"),
    "effective": ("effective", "sample"),
    "loss": ("balanced", "loss"),
}
_RESAMPLERS = {"ros": RandomOverSampler, "rus": RandomUnderSampler, "smote": SMOTE}


def load_default_data(seed: int = 0, minority_fraction: float = 0.1):
    """The built-in data set: scikit-learn's breast cancer data, made imbalanced.

    All 357 benign rows are kept; ``round(minority_fraction * 357)`` of the
    212 malignant rows (36 by default) are drawn without replacement with
    ``numpy.random.default_rng(seed)``, giving about 1 malignant case per 10
    benign. The data ship with scikit-learn: nothing is downloaded.

    Parameters
    ----------
    seed : int, default=0
        Seed of the subsample of malignant rows.
    minority_fraction : float, default=0.1
        Malignant rows per benign row.

    Returns
    -------
    X : DataFrame of shape (393, 30)
    y : Series of str ("benign" / "malignant")

    Examples
    --------
    >>> from wsample_sk.compare import load_default_data
    >>> X, y = load_default_data()
    >>> X.shape, y.value_counts().to_dict()
    ((393, 30), {'benign': 357, 'malignant': 36})
    """
    data = load_breast_cancer(as_frame=True)
    names = np.asarray(data.target_names)[data.target.to_numpy()]
    benign = np.flatnonzero(names == "benign")
    malignant = np.flatnonzero(names == "malignant")
    n_keep = int(round(minority_fraction * len(benign)))
    keep = np.sort(
        np.r_[benign, np.random.default_rng(seed).choice(malignant, n_keep, replace=False)]
    )
    X = data.data.iloc[keep].reset_index(drop=True)
    y = pd.Series(names[keep], name="diagnosis")
    return X, y


def _as_str(X: Any) -> Any:
    return X.astype(str)


def _to_float32(X: Any) -> np.ndarray:
    return np.asarray(X, dtype=np.float32)


def make_preprocessor(X: pd.DataFrame) -> ColumnTransformer:
    """Impute and scale numeric columns, one-hot encode the others.

    The categories are read from all of ``X`` (a vocabulary, not labels) so
    that every fold gives the network the same input width.

    Parameters
    ----------
    X : DataFrame

    Returns
    -------
    preprocessor : ColumnTransformer (unfitted)

    Examples
    --------
    >>> import pandas as pd
    >>> from wsample_sk.compare import make_preprocessor
    >>> X = pd.DataFrame({"a": [1.0, 2.0, None], "b": ["x", "y", "x"]})
    >>> make_preprocessor(X).fit_transform(X).shape
    (3, 3)
    """
    categorical = X.select_dtypes(exclude="number").columns.tolist()
    categories = [sorted(X[c].dropna().astype(str).unique()) for c in categorical]
    numeric = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
    onehot = make_pipeline(
        FunctionTransformer(_as_str, feature_names_out="one-to-one"),
        OneHotEncoder(categories=categories, handle_unknown="ignore", sparse_output=False),
    )
    return ColumnTransformer(
        [
            ("numeric", numeric, make_column_selector(dtype_include="number")),
            ("categorical", onehot, categorical),
        ],
        sparse_threshold=0.0,
    )


def make_method(
    method: str,
    preprocessor: ColumnTransformer,
    n_features: int,
    n_classes: int,
    *,
    seed: int = 0,
    max_epochs: int = 100,
    lr: float = 0.001,
    batch_size: int = 128,
) -> Pipeline:
    """The pipeline of one method: preprocessing, then the shared network.

    Parameters
    ----------
    method : str
        A key of :data:`METHODS`.
    preprocessor : ColumnTransformer
        Applied first (cloned per fold by the caller).
    n_features, n_classes : int
        The network's input width (after preprocessing) and output size.
    seed : int, default=0
        ``random_state`` of the weighted classifier and the resamplers.
    max_epochs, lr, batch_size
        The training settings shared by all methods (Adam optimizer).

    Returns
    -------
    pipeline : Pipeline or imblearn Pipeline

    Examples
    --------
    >>> from wsample_sk.compare import make_method, make_preprocessor, load_default_data
    >>> X, y = load_default_data()
    >>> make_method("smote", make_preprocessor(X), 30, 2)[-1].__class__.__name__
    'NeuralNetClassifier'
    """
    shared = dict(
        optimizer=torch.optim.Adam,
        lr=lr,
        max_epochs=max_epochs,
        batch_size=batch_size,
        train_split=None,
        verbose=0,
    )
    if method in _SAMPLING:
        sampling, mode = _SAMPLING[method]
        net = WeightedSamplingClassifier(
            sampling=sampling, weight_mode=mode, random_state=seed, **shared
        )
        return Pipeline([("prep", preprocessor), ("net", net)])
    if method in _RESAMPLERS:
        net = NeuralNetClassifier(
            MLP,
            module__n_features=n_features,
            module__n_classes=n_classes,
            criterion=torch.nn.CrossEntropyLoss,
            iterator_train__shuffle=True,
            **shared,
        )
        return ImbPipeline(
            [
                ("prep", preprocessor),
                ("float32", FunctionTransformer(_to_float32)),
                ("resample", _RESAMPLERS[method](random_state=seed)),
                ("net", net),
            ]
        )
    raise ValueError(f"Unknown method {method!r}; choose from {list(METHODS)}.")


class _PeakRSS:
    """Peak resident memory above the starting level, sampled every 2 ms."""

    def __enter__(self):
        self._proc = psutil.Process()
        self.start = self.peak = self._proc.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def _watch(self):
        while not self._stop.wait(0.002):
            self.peak = max(self.peak, self._proc.memory_info().rss)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._proc.memory_info().rss)

    @property
    def megabytes(self) -> float:
        return (self.peak - self.start) / 2**20


def _scores(y_true: np.ndarray, proba: np.ndarray, positive: int) -> dict:
    y_pred = proba.argmax(axis=1)
    if proba.shape[1] == 2:
        ap = average_precision_score(y_true == positive, proba[:, positive])
    else:
        onehot = np.eye(proba.shape[1])[y_true]
        ap = average_precision_score(onehot, proba, average="macro")
    return {
        "balanced_accuracy": balanced_accuracy_score(y_true, y_pred),
        "average_precision": ap,
        "macro_f1": f1_score(y_true, y_pred, average="macro"),
        "g_mean": geometric_mean_score(y_true, y_pred, average="multiclass"),
    }


_warmed_up = False


def _warm_up(pipeline, X, y, train):
    """One throwaway 1-epoch fit per process, so that the first timed fit does
    not pay for lazy imports and torch's one-off set-up."""
    global _warmed_up
    if not _warmed_up:
        clone(pipeline).set_params(net__max_epochs=1).fit(X.iloc[train], y[train])
        _warmed_up = True


def _run_one(method, fold, pipeline, X, y, train, test, positive, seed):
    with torch.random.fork_rng(devices=[]), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _warm_up(pipeline, X, y, train)
        torch.manual_seed(seed)  # plain skorch has no random_state of its own
        with _PeakRSS() as mem:
            start = time.perf_counter()
            pipeline.fit(X.iloc[train], y[train])
            seconds = time.perf_counter() - start
        proba = pipeline.predict_proba(X.iloc[test])
    row = {
        "method": method,
        "fold": fold,
        **_scores(y[test], proba, positive),
        "fit_seconds": seconds,
        "peak_memory_mb": mem.megabytes,
    }
    return row, test, proba


def compare(
    X: pd.DataFrame,
    y: Any,
    *,
    methods: Sequence[str] | None = None,
    folds: int = 5,
    seed: int = 0,
    n_jobs: int = 1,
    max_epochs: int = 100,
    lr: float = 0.001,
    batch_size: int = 128,
    progress: bool = True,
) -> pd.DataFrame:
    """Cross-validate every method on the same folds; one row per method.

    Parameters
    ----------
    X : DataFrame or array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
        Class labels; the rarest class is the positive one for average
        precision in the binary case (macro average otherwise).
    methods : sequence of str, default=None
        Keys of :data:`METHODS`; ``None`` runs them all.
    folds : int, default=5
        Stratified folds (shuffled with ``seed``).
    seed : int, default=0
        Seeds the folds, the networks and the resamplers.
    n_jobs : int, default=1
        Fits run in parallel (joblib processes).
    max_epochs, lr, batch_size
        Training settings shared by every method.
    progress : bool, default=True
        Show a tqdm progress bar over the fits.

    Returns
    -------
    summary : DataFrame
        Indexed by method; for each of :data:`METRICS` a ``mean`` and a
        ``std`` column (``"balanced_accuracy_mean"`` ...). ``summary.attrs``
        holds ``"folds"`` (one row per method and fold), ``"y"`` (encoded
        labels), ``"oof_proba"`` (out-of-fold probabilities per method),
        ``"classes"`` and ``"positive"``.

    Examples
    --------
    >>> from wsample_sk.compare import compare, load_default_data
    >>> X, y = load_default_data()
    >>> summary = compare(X, y, methods=["none", "balanced"], folds=2,
    ...                   max_epochs=2, progress=False)
    >>> list(summary.index)
    ['none', 'balanced']
    """
    methods = list(METHODS) if methods is None else list(methods)
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise ValueError(f"Unknown method(s) {unknown}; choose from {list(METHODS)}.")
    X = X if isinstance(X, pd.DataFrame) else pd.DataFrame(np.asarray(X))
    X.columns = X.columns.astype(str)
    encoder = LabelEncoder().fit(y)
    y_enc = encoder.transform(y)
    counts = np.bincount(y_enc)
    if len(counts) < 2:
        raise ValueError(f"y has a single class ({encoder.classes_[0]!r}); need two or more.")
    if counts.min() < folds:
        raise ValueError(f"The rarest class has {counts.min()} samples, fewer than folds={folds}.")
    positive = int(counts.argmin())
    preprocessor = make_preprocessor(X)
    n_features = preprocessor.fit(X).transform(X.iloc[:1]).shape[1]
    splits = list(StratifiedKFold(folds, shuffle=True, random_state=seed).split(X, y_enc))
    jobs = [
        delayed(_run_one)(
            m,
            f,
            make_method(
                m,
                make_preprocessor(X),
                n_features,
                len(counts),
                seed=seed + f,
                max_epochs=max_epochs,
                lr=lr,
                batch_size=batch_size,
            ),
            X,
            y_enc,
            train,
            test,
            positive,
            seed + f,
        )
        for m in methods
        for f, (train, test) in enumerate(splits)
    ]
    rows, oof = [], {m: np.zeros((len(y_enc), len(counts))) for m in methods}
    results = Parallel(n_jobs=n_jobs, return_as="generator_unordered")(jobs)
    for row, test, proba in tqdm(
        results, total=len(jobs), disable=not progress, desc="fits", unit="fit"
    ):
        rows.append(row)
        oof[row["method"]][test] = proba
    per_fold = pd.DataFrame(rows).sort_values(["method", "fold"], key=_method_order(methods))
    stats = per_fold.groupby("method", sort=False)[list(METRICS)].agg(["mean", "std"])
    stats.columns = [f"{metric}_{stat}" for metric, stat in stats.columns]
    summary = stats.loc[methods]
    summary.attrs.update(
        folds=per_fold.reset_index(drop=True),
        y=y_enc,
        oof_proba=oof,
        classes=encoder.classes_.tolist(),
        positive=positive,
    )
    return summary


def _method_order(methods):
    rank = {m: i for i, m in enumerate(methods)}

    def key(col):
        return col.map(rank) if col.name == "method" else col

    return key


def format_table(summary: pd.DataFrame) -> str:
    """Markdown table: ``mean ± std`` per metric and method."""
    table = pd.DataFrame(index=summary.index)
    for metric in METRICS:
        digits = 1 if metric in ("fit_seconds", "peak_memory_mb") else 3
        table[metric] = [
            f"{m:.{digits}f} ± {s:.{digits}f}"
            for m, s in zip(summary[f"{metric}_mean"], summary[f"{metric}_std"], strict=True)
        ]
    return table.to_markdown()


def write_report(summary: pd.DataFrame, out: str | Path) -> dict:
    """Write ``summary.csv``, ``per_fold.csv``, ``summary.md`` and ``comparison.png``.

    Parameters
    ----------
    summary : DataFrame
        What :func:`compare` returned.
    out : str or Path
        Folder to write into (created if needed).

    Returns
    -------
    paths : dict
        ``{"csv", "per_fold", "markdown", "figure"}`` -> Path.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "csv": out / "summary.csv",
        "per_fold": out / "per_fold.csv",
        "markdown": out / "summary.md",
        "figure": out / "comparison.png",
    }
    summary.to_csv(paths["csv"])
    summary.attrs["folds"].to_csv(paths["per_fold"], index=False)
    paths["markdown"].write_text(format_table(summary) + "\n")

    panels = ["balanced_accuracy", "average_precision", "macro_f1", "g_mean", "fit_seconds"]
    fig, axes = plt.subplots(2, 3, figsize=(14, 8))
    names = list(summary.index)
    colors = plt.cm.tab10(np.arange(len(names)) % 10)
    for ax, metric in zip(axes.flat, panels, strict=False):
        mean, std = summary[f"{metric}_mean"], summary[f"{metric}_std"].fillna(0)
        ax.barh(names, mean, xerr=std, color=colors, capsize=3)
        ax.set_title(metric.replace("_", " "))
        if metric != "fit_seconds":  # zoom on the differences, scores end at 1
            ax.set_xlim(max(0.0, float((mean - std).min()) - 0.05), 1.0)
        ax.invert_yaxis()
    ax = axes.flat[len(panels)]
    y, positive = summary.attrs["y"], summary.attrs["positive"]
    for name, color in zip(names, colors, strict=True):
        proba = summary.attrs["oof_proba"][name]
        precision, recall, _ = precision_recall_curve(y == positive, proba[:, positive])
        ax.plot(recall, precision, color=color, label=name)
    ax.set(
        xlabel="recall",
        ylabel="precision",
        title=f"precision-recall, class {summary.attrs['classes'][positive]!r}",
    )
    ax.legend(fontsize=8, loc="lower left")
    fig.suptitle("wsample-sk compare: out-of-fold results (mean ± std over folds)")
    fig.tight_layout()
    fig.savefig(paths["figure"], dpi=110)
    plt.close(fig)
    return paths
