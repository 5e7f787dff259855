"""The built-in suite: data sets that ship with scikit-learn, made imbalanced.

Nothing is downloaded. Every set is a bundled scikit-learn data set whose
classes are subsampled with imbalanced-learn's ``make_imbalance`` (seeded, so
the same rows every run), or, for a regression set, a target cut at a
quantile. They span five domains and imbalance ratios from 1:5 to 1:10, with
three multiclass sets among them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from imblearn.datasets import make_imbalance
from sklearn import datasets as skd

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
    y : Series of str
    """

    name: str
    domain: str
    description: str
    X: pd.DataFrame
    y: pd.Series

    @property
    def imbalance_ratio(self) -> float:
        """Majority over minority class count."""
        counts = self.y.value_counts()
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


# name -> (domain, description, loader returning X, y)
_LOADERS: dict[str, tuple[str, str, Callable]] = {
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
}
DATASETS: tuple[str, ...] = tuple(_LOADERS)


def load_dataset(name: str) -> Dataset:
    """One data set of the built-in suite, the same rows every call.

    Parameters
    ----------
    name : str
        One of :data:`DATASETS`: ``"breast_cancer"``, ``"diabetes"``,
        ``"wine"``, ``"digits"``, ``"iris"``.

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
    """
    if name not in _LOADERS:
        raise ValueError(f"Unknown data set {name!r}; the built-in ones are {list(DATASETS)}.")
    domain, description, loader = _LOADERS[name]
    X, y = loader()
    return Dataset(name, domain, description, X, y)
