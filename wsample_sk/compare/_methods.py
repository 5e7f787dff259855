"""The methods of the comparison: one network, many ways to handle imbalance.

Every network method trains the same :class:`~wsample_sk.modules.MLP` (same
optimizer, learning rate, epochs and batch size) behind the same
preprocessing; only the handling of imbalance differs. The imbalanced-learn
methods run in an ``imblearn.pipeline.Pipeline`` feeding skorch's plain
``NeuralNetClassifier``, so resampling sees each training fold only. The
references are models outside the network, for scale.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import torch
from imblearn.ensemble import BalancedRandomForestClassifier
from imblearn.over_sampling import SMOTE, RandomOverSampler
from imblearn.pipeline import Pipeline as ImbPipeline
from imblearn.under_sampling import RandomUnderSampler
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler
from skorch import NeuralNetClassifier

from .._classifier import WeightedSamplingClassifier
from ..losses import FocalLoss, LDAMLoss, LogitAdjustedLoss
from ..modules import MLP
from ..sampling import BatchComposition, ClassQuotas

__all__ = ["DEFAULT_METHODS", "METHODS", "REFERENCES", "make_method", "make_preprocessor"]

# name -> (what it is, WeightedSamplingClassifier parameters)
_NETWORK = {
    "none": ("no weighting (plain shuffling)", {}),
    "balanced": ("weighted draws, inverse class frequency", {"sampling": "balanced"}),
    "sqrt": ("weighted draws, inverse square root of frequency", {"sampling": "sqrt"}),
    "effective": ("weighted draws, effective number (beta=0.999)", {"sampling": "effective"}),
    "progressive": ("draws from natural to balanced over the epochs", {"sampling": "progressive"}),
    "deferred": ("natural draws, balanced from 80% of the epochs", {"sampling": "deferred"}),
    "loss": (
        "plain shuffling, loss weighted by inverse class frequency",
        {"class_weight": "balanced"},
    ),
    "batches": (
        "every batch holds each class equally (BalancedBatchSampler)",
        {"sampling": BatchComposition("equal")},
    ),
    "epochs": (
        "every epoch over-samples each class to the majority's count (exact quotas)",
        {"sampling": ClassQuotas("auto")},
    ),
    "balanced_prior": (
        "weighted draws; prior-corrected probabilities, balanced decisions",
        {"sampling": "balanced", "proba_correction": "prior", "logit_adjustment": 1.0},
    ),
    "logit_adjusted": (
        "logit-adjusted loss (tau=1, Balanced Softmax)",
        {"criterion": LogitAdjustedLoss},
    ),
    "ldam_drw": (
        "LDAM loss with deferred re-weighting of the loss",
        {"criterion": LDAMLoss, "class_weight": "deferred"},
    ),
    "focal": ("focal loss (gamma=2)", {"criterion": FocalLoss}),
}
_RESAMPLERS = {
    "ros": ("imblearn RandomOverSampler + skorch", RandomOverSampler),
    "rus": ("imblearn RandomUnderSampler + skorch", RandomUnderSampler),
    "smote": ("imblearn SMOTE (k_neighbors <= 5, fewer for tiny classes) + skorch", SMOTE),
}
_REFERENCES = {
    "ref_logreg": "class-weighted logistic regression",
    "ref_hgb": "class-weighted histogram gradient boosting",
    "ref_brf": "imblearn BalancedRandomForestClassifier",
}

#: Every method: ``{name: description}``.
METHODS: dict[str, str] = {
    **{k: v[0] for k, v in _NETWORK.items()},
    **{k: v[0] for k, v in _RESAMPLERS.items()},
}
#: The models outside the network (``references=True``).
REFERENCES: dict[str, str] = dict(_REFERENCES)
#: What runs by default: the principal levers, one of each kind.
DEFAULT_METHODS: tuple[str, ...] = (
    "none",
    "balanced",
    "loss",
    "deferred",
    "batches",
    "balanced_prior",
    "logit_adjusted",
    "ldam_drw",
    "focal",
    "ros",
    "rus",
    "smote",
)


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
    max_epochs: int = 60,
    lr: float = 0.003,
    batch_size: int = 64,
) -> Pipeline:
    """The pipeline of one method: preprocessing, then the model.

    Parameters
    ----------
    method : str
        A key of :data:`METHODS` or :data:`REFERENCES`.
    preprocessor : ColumnTransformer
        Applied first (cloned per fold by the caller).
    n_features, n_classes : int
        The network's input width (after preprocessing) and output size.
    seed : int, default=0
        ``random_state`` of the model and the resampler.
    max_epochs, lr, batch_size
        The training settings shared by all network methods (Adam).

    Returns
    -------
    pipeline : Pipeline or imblearn Pipeline

    Examples
    --------
    >>> from wsample_sk.compare import load_dataset, make_method, make_preprocessor
    >>> X = load_dataset("wine").X
    >>> make_method("smote", make_preprocessor(X), 13, 3)[-1].__class__.__name__
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
    if method in _NETWORK:
        params = {**shared, **_NETWORK[method][1]}
        net = WeightedSamplingClassifier(random_state=seed, **params)
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
                ("resample", _RESAMPLERS[method][1](random_state=seed)),
                ("net", net),
            ]
        )
    if method == "ref_logreg":
        model = LogisticRegression(class_weight="balanced", max_iter=2000)
    elif method == "ref_hgb":
        model = HistGradientBoostingClassifier(class_weight="balanced", random_state=seed)
    elif method == "ref_brf":
        model = BalancedRandomForestClassifier(
            n_estimators=200,
            sampling_strategy="all",
            replacement=True,
            bootstrap=False,
            random_state=seed,
            n_jobs=1,
        )
    else:
        raise ValueError(
            f"Unknown method {method!r}; choose from {list(METHODS) + list(REFERENCES)}."
        )
    return Pipeline([("prep", preprocessor), ("net", model)])
