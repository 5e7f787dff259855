"""The methods of the comparison: one network, many ways to handle imbalance.

Every network method trains the same :class:`~wsample_sk.modules.MLP` (same
optimizer, learning rate, epochs and batch size) behind the same
preprocessing; only the handling of imbalance differs. The imbalanced-learn
methods run in an ``imblearn.pipeline.Pipeline`` feeding skorch's plain
``NeuralNetClassifier``, so resampling sees each training fold only. The
references are models outside the network, for scale.

Multi-label data (a 0/1 indicator ``Y``) get the methods that apply to them
(:func:`skip_reason` says why the others do not): the same parameters where
the estimator gives them a per-label meaning (``sampling="balanced"`` draws
class-aware, ``class_weight="balanced"`` weighs each label's positives),
``focal`` becomes :class:`~wsample_sk.losses.MultiLabelFocalLoss`, and
``rarity``, ``asymmetric`` and ``distribution_balanced`` are multi-label
only. Their references: scikit-learn's ``MLPClassifier``, a class-weighted
logistic regression per label, and skorch's plain ``NeuralNetClassifier``
with ``BCEWithLogitsLoss`` with and without each label's ``pos_weight``.
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
from sklearn.multioutput import MultiOutputClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler
from skorch import NeuralNetClassifier
from skorch.utils import to_numpy

from .._classifier import WeightedSamplingClassifier
from ..losses import (
    AsymmetricLoss,
    DistributionBalancedLoss,
    FocalLoss,
    LDAMLoss,
    LogitAdjustedLoss,
    MultiLabelFocalLoss,
)
from ..modules import MLP
from ..sampling import BatchComposition, ClassQuotas

__all__ = [
    "DEFAULT_METHODS",
    "METHODS",
    "REFERENCES",
    "MultiLabelNeuralNet",
    "make_method",
    "make_preprocessor",
    "skip_reason",
]

# name -> (what it is, WeightedSamplingClassifier parameters)
_NETWORK = {
    "none": ("no weighting (plain shuffling)", {}),
    "balanced": (
        "weighted draws, inverse class frequency (multi-label: class-aware, a label "
        "uniformly, then one of its rows; Shen et al. 2016)",
        {"sampling": "balanced"},
    ),
    "sqrt": ("weighted draws, inverse square root of frequency", {"sampling": "sqrt"}),
    "effective": ("weighted draws, effective number (beta=0.999)", {"sampling": "effective"}),
    "progressive": ("draws from natural to balanced over the epochs", {"sampling": "progressive"}),
    "deferred": ("natural draws, balanced from 80% of the epochs", {"sampling": "deferred"}),
    "loss": (
        "plain shuffling, loss weighted by inverse class frequency (multi-label: each "
        "label's positives by n_neg/n_pos, BCE's pos_weight)",
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
        "weighted draws; prior-corrected probabilities, balanced decisions (multi-label: "
        "per label)",
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
    "focal": (
        "focal loss (gamma=2; multi-label: on each label's sigmoid)",
        {"criterion": FocalLoss},
    ),
    "rarity": (
        "multi-label: weighted draws, a row weighs the mean inverse frequency of its labels",
        {"sampling": "balanced", "sampling__label_rule": "mean"},
    ),
    "asymmetric": (
        "multi-label: asymmetric loss (Ridnik et al. 2021)",
        {"criterion": AsymmetricLoss},
    ),
    "distribution_balanced": (
        "multi-label: distribution-balanced loss (Wu et al. 2020)",
        {"criterion": DistributionBalancedLoss},
    ),
}
# the multi-label form of a method, where its parameters differ
_MULTILABEL_PARAMS = {"focal": {"criterion": MultiLabelFocalLoss}}
_RESAMPLERS = {
    "ros": ("imblearn RandomOverSampler + skorch", RandomOverSampler),
    "rus": ("imblearn RandomUnderSampler + skorch", RandomUnderSampler),
    "smote": ("imblearn SMOTE (k_neighbors <= 5, fewer for tiny classes) + skorch", SMOTE),
}
_REFERENCES = {
    "ref_logreg": "class-weighted logistic regression (multi-label: one per label)",
    "ref_hgb": "class-weighted histogram gradient boosting",
    "ref_brf": "imblearn BalancedRandomForestClassifier",
    "ref_mlp": "scikit-learn MLPClassifier (the same layer, Adam, lr, batch and epochs)",
    "ref_skorch_bce": "multi-label: skorch NeuralNetClassifier, BCEWithLogitsLoss",
    "ref_skorch_bce_pos": (
        "multi-label: skorch NeuralNetClassifier, BCEWithLogitsLoss with each label's "
        "pos_weight n_neg/n_pos (of the training part)"
    ),
}

_SOFTMAX = (
    "a softmax loss over exclusive classes, while multi-label targets need one sigmoid "
    "per label; the estimator refuses it"
)
_QUOTAS = (
    "fixes rows per class, which a multi-label row, holding several labels, does not "
    "have; the estimator refuses it"
)
_IMBLEARN = "imbalanced-learn refuses multi-label targets"
_SIGMOIDS = (
    "a loss on one sigmoid per label, for multi-label targets; single labels have the "
    "softmax losses focal, logit_adjusted and ldam_drw"
)
_SKORCH_BCE = "a multi-label reference; single labels have ros, rus and smote with plain skorch"
# why a method does not run on data of a kind: {multilabel: {method: reason}}
_SKIPPED = {
    True: {
        "batches": _QUOTAS,
        "epochs": _QUOTAS,
        "logit_adjusted": _SOFTMAX,
        "ldam_drw": _SOFTMAX,
        "ros": _IMBLEARN,
        "rus": _IMBLEARN,
        "smote": _IMBLEARN,
        "ref_brf": _IMBLEARN,
        "ref_hgb": "HistGradientBoostingClassifier takes one label per row",
    },
    False: {
        "rarity": (
            "combines the weights of a row's several labels; with one label per row it "
            "is 'balanced'"
        ),
        "asymmetric": _SIGMOIDS,
        "distribution_balanced": _SIGMOIDS,
        "ref_skorch_bce": _SKORCH_BCE,
        "ref_skorch_bce_pos": _SKORCH_BCE,
    },
}

#: Every method: ``{name: description}``.
METHODS: dict[str, str] = {
    **{k: v[0] for k, v in _NETWORK.items()},
    **{k: v[0] for k, v in _RESAMPLERS.items()},
}
#: The models outside the network (``references=True``).
REFERENCES: dict[str, str] = dict(_REFERENCES)
#: What runs by default: the principal levers, one of each kind (on multi-label
#: data, those of :func:`skip_reason` ``None``).
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
    "rarity",
    "asymmetric",
    "distribution_balanced",
)


def skip_reason(method: str, multilabel: bool) -> str | None:
    """Why ``method`` does not run on single-label or multi-label data; ``None`` if it does.

    Parameters
    ----------
    method : str
        A key of :data:`METHODS` or :data:`REFERENCES`.
    multilabel : bool
        Whether the data's target is a multi-label indicator.

    Returns
    -------
    reason : str or None

    Examples
    --------
    >>> from wsample_sk.compare import skip_reason
    >>> skip_reason("ros", multilabel=True)
    'imbalanced-learn refuses multi-label targets'
    >>> skip_reason("balanced", multilabel=True) is None
    True
    """
    if method not in METHODS and method not in REFERENCES:
        raise ValueError(
            f"Unknown method {method!r}; choose from {list(METHODS) + list(REFERENCES)}."
        )
    return _SKIPPED[bool(multilabel)].get(method)


class MultiLabelNeuralNet(NeuralNetClassifier):
    """skorch's plain ``NeuralNetClassifier`` on a 0/1 indicator, ``BCEWithLogitsLoss``.

    skorch's classifier takes a 2-D float ``y`` with ``BCEWithLogitsLoss``,
    but its ``predict_proba`` then stacks ``(1 - p, p)`` into an array of
    shape (n, 2, L) (skorch's binary convention). Here ``predict_proba``
    returns one sigmoid per label, shape (n, L), and ``predict`` the
    indicator ``proba > 0.5``, as scikit-learn's ``MLPClassifier`` does.

    Parameters
    ----------
    *args, **kwargs
        ``NeuralNetClassifier``'s (``criterion`` defaults to
        ``BCEWithLogitsLoss``).
    pos_weight : {None, "balanced"}, default=None
        ``"balanced"``: each label's positives weigh ``n_neg / n_pos``
        (BCE's ``pos_weight``; 1 for a label without positives), counted on
        the ``y`` given to ``fit`` (in a cross-validation, the training
        part only).

    Attributes
    ----------
    pos_weight_ : Tensor of shape (L,) or None
        The positive weights of the last fit.

    Examples
    --------
    >>> import numpy as np
    >>> from wsample_sk.compare import MultiLabelNeuralNet
    >>> from wsample_sk.modules import MLP
    >>> X = np.random.default_rng(0).normal(size=(40, 3)).astype("float32")
    >>> Y = np.c_[X[:, 0] > 0, X[:, 1] > 1]
    >>> net = MultiLabelNeuralNet(MLP, module__n_features=3, module__n_classes=2,
    ...                           pos_weight="balanced", max_epochs=1, train_split=None,
    ...                           verbose=0).fit(X, Y)
    >>> net.predict_proba(X).shape, net.predict(X).shape
    ((40, 2), (40, 2))
    """

    def __init__(
        self,
        *args: Any,
        criterion: Any = torch.nn.BCEWithLogitsLoss,
        pos_weight: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, criterion=criterion, **kwargs)
        self.pos_weight = pos_weight

    def fit(self, X: Any, y: Any, **fit_params: Any) -> MultiLabelNeuralNet:
        """Count each label's positives of ``y`` (for ``pos_weight``), then skorch's fit."""
        if self.pos_weight not in (None, "balanced"):
            raise ValueError(f"pos_weight must be None or 'balanced'; got {self.pos_weight!r}.")
        y = np.asarray(y, dtype=np.float32)
        self.pos_weight_ = None
        if self.pos_weight == "balanced":
            positives = y.sum(axis=0)
            ratio = (len(y) - positives) / np.maximum(positives, 1.0)
            self.pos_weight_ = torch.as_tensor(np.where(positives > 0, ratio, 1.0).astype("f4"))
        return super().fit(X, y, **fit_params)

    def initialize_criterion(self) -> MultiLabelNeuralNet:
        """The criterion, with ``pos_weight_`` when there is one."""
        kwargs = self.get_params_for("criterion")
        if getattr(self, "pos_weight_", None) is not None:
            kwargs["pos_weight"] = self.pos_weight_
        self.criterion_ = self.initialized_instance(self.criterion, kwargs)
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """One sigmoid probability per label, shape (n, L)."""
        logits = [to_numpy(out) for out in self.forward_iter(X, training=False)]
        return 1.0 / (1.0 + np.exp(-np.concatenate(logits).astype(np.float64)))

    def predict(self, X: Any) -> np.ndarray:
        """The 0/1 indicator: each label's probability above 0.5."""
        return (self.predict_proba(X) > 0.5).astype(np.int64)


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
    multilabel: bool = False,
) -> Pipeline:
    """The pipeline of one method: preprocessing, then the model.

    Parameters
    ----------
    method : str
        A key of :data:`METHODS` or :data:`REFERENCES`.
    preprocessor : ColumnTransformer
        Applied first (cloned per fold by the caller).
    n_features, n_classes : int
        The network's input width (after preprocessing) and output size
        (multi-label: the number of labels).
    multilabel : bool, default=False
        Build the method's multi-label form (a ``ValueError`` with the reason
        for a method that does not apply, see :func:`skip_reason`).
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
    >>> make_method("focal", make_preprocessor(X), 13, 3, multilabel=True)[-1].criterion.__name__
    'MultiLabelFocalLoss'
    """
    reason = skip_reason(method, multilabel)
    if reason is not None:
        kind = "multi-label" if multilabel else "single-label"
        raise ValueError(f"{method} does not apply to {kind} data: {reason}.")
    shared = dict(
        optimizer=torch.optim.Adam,
        lr=lr,
        max_epochs=max_epochs,
        batch_size=batch_size,
        train_split=None,
        verbose=0,
    )
    if method in _NETWORK:
        own = _MULTILABEL_PARAMS.get(method) if multilabel else None
        params = {**shared, **(own or _NETWORK[method][1])}
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
    if method in ("ref_skorch_bce", "ref_skorch_bce_pos"):
        net = MultiLabelNeuralNet(
            MLP,
            module__n_features=n_features,
            module__n_classes=n_classes,
            pos_weight="balanced" if method == "ref_skorch_bce_pos" else None,
            iterator_train__shuffle=True,
            **shared,
        )
        return Pipeline([("prep", preprocessor), ("float32", FunctionTransformer(_to_float32)),
                         ("net", net)])  # fmt: skip
    if method == "ref_logreg":
        model = LogisticRegression(class_weight="balanced", max_iter=2000)
        model = MultiOutputClassifier(model) if multilabel else model
    elif method == "ref_mlp":
        model = MLPClassifier(
            hidden_layer_sizes=(100,),
            learning_rate_init=lr,
            batch_size=batch_size,
            max_iter=max_epochs,
            random_state=seed,
        )
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
