"""The built-in suite: data sets that ship with scikit-learn, made imbalanced.

Nothing is downloaded. Five single-label sets: a bundled scikit-learn data set
whose classes are subsampled with imbalanced-learn's ``make_imbalance``
(seeded, so the same rows every run), or, for a regression set, a target cut
at a quantile; five domains, imbalance ratios from 1:5 to 1:10, three
multiclass sets among them. Two multi-label sets with a long tail of labels
(their ``y`` is a 0/1 indicator DataFrame, one column per label): binary
attributes of handwritten digits, and scikit-learn's synthetic multi-label
documents thinned to geometric label frequencies. Two regression sets with
rare target values: the diabetes progression score itself, and a synthetic
long-tailed (log-normal) target.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from imblearn.datasets import make_imbalance
from sklearn import datasets as skd

from .._density import TargetBins
from ._metrics import SHOT_BINS
from ._tasks import task_of

__all__ = ["DATASETS", "Dataset", "load_dataset"]

SEED = 0  # of every subsample below


@dataclass(frozen=True)
class Dataset:
    """One data set of the suite.

    Attributes
    ----------
    name : str
    domain : str
    description : str
        What the rows and the classes are, and how the imbalance was made.
    X : DataFrame
    y : Series, or DataFrame of 0/1
        The class labels; for a multi-label set, the indicator matrix (one
        int column per label, named by the label); for a regression set, the
        continuous target (floats).
    task : str, default=None
        ``"single-label"``, ``"multi-label"`` or ``"regression"``; ``None``:
        read from ``y`` (:func:`~wsample_sk.compare._tasks.task_of`; a
        continuous target of whole numbers must say ``"regression"``).

    Examples
    --------
    >>> import numpy as np
    >>> from wsample_sk.compare import Dataset
    >>> Dataset("mine", "", "", pd.DataFrame({"a": [1, 2]}), pd.Series([3, 4]), "regression").task
    'regression'
    """

    name: str
    domain: str
    description: str
    X: pd.DataFrame
    y: pd.Series
    task: str | None = field(default=None)

    def __post_init__(self) -> None:
        object.__setattr__(self, "task", task_of(self.y, self.task).name)

    @property
    def multilabel(self) -> bool:
        """Whether ``y`` is a multi-label indicator (a DataFrame)."""
        return self.task == "multi-label"

    @property
    def imbalance_ratio(self) -> float:
        """Majority over minority class count.

        Multi-label: most over least frequent label; regression: the fullest
        over the emptiest non-empty of ten equal-width bins of the target.
        """
        if self.task == "regression":
            counts = TargetBins(self.y, SHOT_BINS).counts
            counts = counts[counts > 0]
        else:
            counts = self.y.sum() if self.multilabel else self.y.value_counts()
        return float(counts.max() / counts.min())


def _imbalanced(data, counts: dict[str, int], y_name: str) -> tuple[pd.DataFrame, pd.Series]:
    names = np.asarray(data.target_names)[np.asarray(data.target)]
    X = pd.DataFrame(np.asarray(data.data), columns=[str(c) for c in data.feature_names])
    X_res, y_res = make_imbalance(X, names, sampling_strategy=counts, random_state=SEED)
    return X_res.reset_index(drop=True), pd.Series(np.asarray(y_res), name=y_name)


def _breast_cancer():
    return _imbalanced(skd.load_breast_cancer(), {"benign": 357, "malignant": 36}, "diagnosis")


def _diabetes():
    data = skd.load_diabetes()
    X = pd.DataFrame(data.data, columns=data.feature_names)
    cut = np.quantile(data.target, 5 / 6)
    return X, pd.Series(np.where(data.target > cut, "fast", "slow"), name="progression")


def _wine():
    counts = {"class_0": 30, "class_1": 71, "class_2": 10}
    return _imbalanced(skd.load_wine(), counts, "cultivar")


def _digits():
    data = skd.load_digits()
    data.target_names = np.array([f"digit {d}" for d in data.target_names])
    counts = {f"digit {d}": int(round(150 * 0.1 ** (d / 9))) for d in range(10)}
    return _imbalanced(data, counts, "digit")


def _iris():
    counts = {"setosa": 50, "versicolor": 50, "virginica": 10}
    return _imbalanced(skd.load_iris(), counts, "species")


# digit -> the attributes it has; the counts of the digits above make the labels' long tail
_DIGIT_ATTRIBUTES = {
    "even": (0, 2, 4, 6, 8),
    "prime": (2, 3, 5, 7),
    "closed_loop": (0, 6, 8, 9),
    "one_or_seven": (1, 7),
    "multiple_of_3": (3, 6, 9),
    "above_6": (7, 8, 9),
    "two_loops": (8,),
}


def _digit_attributes():
    data = skd.load_digits()
    counts = {d: int(round(150 * 0.1 ** (d / 9))) for d in range(10)}
    X = pd.DataFrame(data.data, columns=[str(c) for c in data.feature_names])
    X_res, digit = make_imbalance(X, data.target, sampling_strategy=counts, random_state=SEED + 1)
    Y = pd.DataFrame(
        {name: np.isin(digit, ds).astype(np.int64) for name, ds in _DIGIT_ATTRIBUTES.items()}
    )
    return X_res.reset_index(drop=True), Y


def _topics():
    X, Y = skd.make_multilabel_classification(
        3000, n_features=20, n_classes=8, n_labels=2, allow_unlabeled=False, random_state=SEED
    )
    Y = Y[:, np.argsort(-Y.sum(axis=0), kind="stable")]  # label 0 the most frequent
    last = np.array([np.flatnonzero(row).max() for row in Y])  # a row's rarest label
    keep = np.random.default_rng(SEED).random(len(Y)) < 0.6**last
    X = pd.DataFrame(X[keep], columns=[f"word_{j}" for j in range(X.shape[1])])
    return X, pd.DataFrame(Y[keep], columns=[f"topic_{t}" for t in range(Y.shape[1])])


def _diabetes_progression():
    data = skd.load_diabetes()
    X = pd.DataFrame(data.data, columns=data.feature_names)
    return X, pd.Series(data.target.astype(np.float64), name="progression")


def _long_tail():
    rng = np.random.default_rng(SEED)
    X = rng.normal(size=(1200, 8))
    z = X[:, :5] @ np.array([1.0, -0.8, 0.6, 0.5, -0.4])
    z /= z.std()
    y = np.exp(0.9 * z + 0.3 * rng.normal(size=len(z)))
    return pd.DataFrame(X, columns=[f"x{j}" for j in range(8)]), pd.Series(y, name="y")


# name -> (domain, description, loader returning X, y (a Series, or an indicator DataFrame),
# the task when y alone does not say it)
_LOADERS: dict[str, tuple] = {
    "breast_cancer": (
        "medicine",
        "Breast cancer (Wisconsin): 30 features of cell nuclei in a fine-needle "
        "aspirate; all 357 benign cases, 36 of the 212 malignant ones.",
        _breast_cancer,
    ),
    "diabetes": (
        "clinical regression, cut",
        "Diabetes: 10 baseline measurements of 442 patients; the positive class is "
        "disease progression after one year in the top sixth (1:5).",
        _diabetes,
    ),
    "wine": (
        "chemistry, 3 classes",
        "Wine: 13 chemical measurements of wines from three cultivars; 30 and 10 of "
        "the 59 and 48 rows of two cultivars kept, all 71 of the third.",
        _wine,
    ),
    "digits": (
        "images, 10 classes",
        "Handwritten digits: 8x8 grey images (64 pixels); a long tail of ten classes, "
        "from 150 images of 0 down to 15 of 9 (geometric, 1:10).",
        _digits,
    ),
    "iris": (
        "botany, 3 classes",
        "Iris: 4 flower measurements; all 50 setosa and versicolor, 10 of the 50 "
        "virginica (the class that overlaps versicolor).",
        _iris,
    ),
    "digit_attributes": (
        "images, 7 labels (multi-label)",
        "Handwritten digits (8x8 images, 64 pixels; a geometric sample from 150 images "
        "of 0 to 15 of 9), labelled with 7 binary attributes of the digit: even, prime, "
        "closed loop (0, 6, 8, 9), one or seven, multiple of 3, above 6, two loops (8); "
        "label frequencies from 56% down to 3% (1:18).",
        _digit_attributes,
    ),
    "topics": (
        "synthetic documents, 8 labels (multi-label)",
        "scikit-learn's make_multilabel_classification: 20 word counts per document, 8 "
        "topics (about 2 per document); of 3,000 documents, each is kept with "
        "probability 0.6^l, l its rarest topic (topics ranked by frequency), so topic l's "
        "frequency decays geometrically, 279 documents down to 19 (1:15). Whole "
        "documents are dropped, not single topics: no positive is relabelled negative.",
        _topics,
    ),
    "diabetes_progression": (
        "clinical, regression",
        "Diabetes: 10 baseline measurements of 442 patients; the target is the disease "
        "progression score after one year (25 to 346, right-skewed: few patients progress "
        "far).",
        _diabetes_progression,
        "regression",
    ),
    "long_tail": (
        "synthetic, regression",
        "A log-normal target: y = exp(0.9 z + 0.3 e), z a standardised linear function of "
        "5 of 8 normal features, e normal noise; 1,200 rows, the top 1% of the target "
        "more than 8 times its median (skewness about 5).",
        _long_tail,
        "regression",
    ),
}
DATASETS: tuple[str, ...] = tuple(_LOADERS)


def load_dataset(name: str) -> Dataset:
    """One data set of the built-in suite, the same rows every call.

    Parameters
    ----------
    name : str
        One of :data:`DATASETS`: ``"breast_cancer"``, ``"diabetes"``,
        ``"wine"``, ``"digits"``, ``"iris"`` (single-label), or
        ``"digit_attributes"``, ``"topics"`` (multi-label: ``y`` is a 0/1
        indicator DataFrame), ``"diabetes_progression"``, ``"long_tail"``
        (regression: ``y`` is a continuous target).

    Returns
    -------
    dataset : Dataset

    Examples
    --------
    >>> from wsample_sk.compare import load_dataset
    >>> ds = load_dataset("breast_cancer")
    >>> ds.X.shape, ds.y.value_counts().to_dict()
    ((393, 30), {'benign': 357, 'malignant': 36})
    >>> round(load_dataset("digits").imbalance_ratio, 1)
    10.0
    >>> tags = load_dataset("topics")
    >>> tags.multilabel, tags.y.shape, tags.y.sum().tolist()
    (True, (569, 8), [279, 208, 155, 110, 70, 44, 29, 19])
    >>> load_dataset("long_tail").task
    'regression'
    """
    if name not in _LOADERS:
        raise ValueError(f"Unknown data set {name!r}; the built-in ones are {list(DATASETS)}.")
    domain, description, loader, *task = _LOADERS[name]
    X, y = loader()
    return Dataset(name, domain, description, X, y, *task)
