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

A continuous target gets :class:`~wsample_sk.WeightedSamplingRegressor`
with the same levers in their density form (``sampling="balanced"`` draws by
the inverse smoothed target density, ``loss`` weighs the loss by it,
``target_weight="balanced"``), ``denseweight`` and ``bmse`` (Balanced MSE);
the resamplers are ``ros`` (imbalanced-learn's ``RandomOverSampler`` on
equal-width bins of the target, through a ``FunctionSampler``) and
``smoter`` (SMOTER, from the optional ``resreg`` package), feeding skorch's
plain ``NeuralNetRegressor``; the references are skorch's plain
``NeuralNetRegressor`` and scikit-learn's ``MLPRegressor`` and
``HistGradientBoostingRegressor``. Every regression model learns the
standardised target (``TransformedTargetRegressor``) and predicts in the
target's units.
"""

from __future__ import annotations

import importlib.util
import warnings
from typing import Any

import numpy as np
import pandas as pd
import torch
from imblearn import FunctionSampler
from imblearn.ensemble import BalancedRandomForestClassifier
from imblearn.over_sampling import SMOTE, RandomOverSampler
from imblearn.pipeline import Pipeline as ImbPipeline
from imblearn.under_sampling import RandomUnderSampler
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor, make_column_selector
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.multioutput import MultiOutputClassifier
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler
from skorch import NeuralNetClassifier, NeuralNetRegressor
from skorch.utils import to_numpy

from .._classifier import WeightedSamplingClassifier
from .._density import TargetBins
from .._regressor import WeightedSamplingRegressor
from ..losses import (
    AsymmetricLoss,
    BalancedMSELoss,
    DistributionBalancedLoss,
    FocalLoss,
    LDAMLoss,
    LogitAdjustedLoss,
    MultiLabelFocalLoss,
)
from ..modules import MLP
from ..sampling import BatchComposition, ClassQuotas
from ._metrics import relevance
from ._tasks import MULTI_LABEL, REGRESSION, Task, task_of

__all__ = [
    "DEFAULT_METHODS",
    "METHODS",
    "REFERENCES",
    "MultiLabelNeuralNet",
    "ROS_BINS",
    "make_method",
    "make_preprocessor",
    "skip_reason",
]

# name -> (what it is, WeightedSamplingClassifier parameters)
_NETWORK = {
    "none": ("no weighting (plain shuffling)", {}),
    "balanced": (
        "weighted draws, inverse class frequency (multi-label: class-aware, a label "
        "uniformly, then one of its rows; Shen et al. 2016; regression: inverse smoothed "
        "target density, LDS, Yang et al. 2021)",
        {"sampling": "balanced"},
    ),
    "sqrt": (
        "weighted draws, inverse square root of frequency (regression: of the smoothed density)",
        {"sampling": "sqrt"},
    ),
    "effective": ("weighted draws, effective number (beta=0.999)", {"sampling": "effective"}),
    "progressive": ("draws from natural to balanced over the epochs", {"sampling": "progressive"}),
    "deferred": ("natural draws, balanced from 80% of the epochs", {"sampling": "deferred"}),
    "loss": (
        "plain shuffling, loss weighted by inverse class frequency (multi-label: each "
        "label's positives by n_neg/n_pos, BCE's pos_weight; regression: by the inverse "
        "smoothed target density, target_weight='balanced')",
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
    "denseweight": (
        "regression: weighted draws by DenseWeight (alpha=1, Steininger et al. 2021)",
        {"sampling": "denseweight"},
    ),
    "bmse": (
        "regression: Balanced MSE loss, learned noise scale (Ren et al. 2022)",
        {"criterion": BalancedMSELoss},
    ),
}
# the form of a method on another task, where its parameters differ
_TASK_PARAMS = {
    "multi-label": {"focal": {"criterion": MultiLabelFocalLoss}},
    "regression": {"loss": {"target_weight": "balanced"}},
}
_RESAMPLERS = {
    "ros": (
        "imblearn RandomOverSampler + skorch (regression: over 10 equal-width bins of the target)",
        RandomOverSampler,
    ),
    "rus": ("imblearn RandomUnderSampler + skorch", RandomUnderSampler),
    "smote": ("imblearn SMOTE (k_neighbors <= 5, fewer for tiny classes) + skorch", SMOTE),
    "smoter": (
        "regression: SMOTER (Torgo et al. 2013; the resreg package) + skorch: rare "
        "targets (relevance >= 0.5) over-sampled by interpolation and the others "
        "under-sampled to as many",
        None,
    ),
}
#: Equal-width target bins the regression ``ros`` over-samples to the fullest one's count.
ROS_BINS = 10
_REFERENCES = {
    "ref_logreg": "class-weighted logistic regression (multi-label: one per label)",
    "ref_hgb": "class-weighted histogram gradient boosting (regression: unweighted)",
    "ref_brf": "imblearn BalancedRandomForestClassifier",
    "ref_mlp": (
        "scikit-learn MLPClassifier (regression: MLPRegressor; the same layer, Adam, lr, "
        "batch and epochs)"
    ),
    "ref_skorch": "regression: skorch's plain NeuralNetRegressor (MSE, shuffled batches)",
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
_CLASSES = "counts rows per class, and a continuous target has no classes; the regressor refuses it"
_CLASS_LOSS = "a loss over class scores; a regressor predicts values"
_REGRESSION_ONLY = "a lever for a continuous target (regression only)"
_REGRESSION_REFERENCE = "a reference for a continuous target (regression only)"
_IMBLEARN_CLASSES = (
    "imbalanced-learn's resamplers take class labels; for a continuous target ros "
    "over-samples target bins and smoter is SMOTER"
)
_CLASSIFIER = "a classifier; a continuous target has its own references"
# why a method does not run on data of a task: {task: {method: reason}}
_SKIPPED = {
    "multi-label": {
        "batches": _QUOTAS,
        "epochs": _QUOTAS,
        "logit_adjusted": _SOFTMAX,
        "ldam_drw": _SOFTMAX,
        "ros": _IMBLEARN,
        "rus": _IMBLEARN,
        "smote": _IMBLEARN,
        "ref_brf": _IMBLEARN,
        "ref_hgb": "HistGradientBoostingClassifier takes one label per row",
        "denseweight": _REGRESSION_ONLY,
        "bmse": _REGRESSION_ONLY,
        "smoter": _REGRESSION_ONLY,
        "ref_skorch": _REGRESSION_REFERENCE,
    },
    "single-label": {
        "rarity": (
            "combines the weights of a row's several labels; with one label per row it "
            "is 'balanced'"
        ),
        "asymmetric": _SIGMOIDS,
        "distribution_balanced": _SIGMOIDS,
        "ref_skorch_bce": _SKORCH_BCE,
        "ref_skorch_bce_pos": _SKORCH_BCE,
        "denseweight": _REGRESSION_ONLY,
        "bmse": _REGRESSION_ONLY,
        "smoter": _REGRESSION_ONLY + "; single labels have smote",
        "ref_skorch": _REGRESSION_REFERENCE,
    },
    "regression": {
        "batches": _CLASSES,
        "epochs": _CLASSES,
        "balanced_prior": "corrects class probabilities; a regressor predicts values",
        "logit_adjusted": _CLASS_LOSS,
        "ldam_drw": _CLASS_LOSS,
        "focal": _CLASS_LOSS,
        "rarity": "multi-label only",
        "asymmetric": "multi-label only",
        "distribution_balanced": "multi-label only",
        "rus": _IMBLEARN_CLASSES,
        "smote": _IMBLEARN_CLASSES,
        "ref_logreg": _CLASSIFIER,
        "ref_brf": _CLASSIFIER,
        "ref_skorch_bce": "a multi-label reference",
        "ref_skorch_bce_pos": "a multi-label reference",
    },
}
_RESREG = "needs the optional resreg package, which is not installed (pip install resreg)"

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
    "denseweight",
    "bmse",
    "smoter",
)


def _legacy_task(task: Any, multilabel: Any, caller: str) -> Any:
    """``multilabel=`` (wsample_sk 0.4 and before) as a task, with a deprecation warning."""
    if multilabel is None and not isinstance(task, (bool, np.bool_)):
        return task
    if multilabel is not None and task is not None:
        raise TypeError(f"{caller} takes task= or the older multilabel=, not both.")
    warnings.warn(
        f"{caller}(..., multilabel=...) is deprecated since wsample_sk 0.5; pass "
        "task='multi-label' or task='single-label' (or 'regression').",
        FutureWarning,
        stacklevel=3,
    )
    flag = task if multilabel is None else multilabel
    return "multi-label" if flag else "single-label"


def skip_reason(
    method: str, task: str | Task | None = None, *, multilabel: bool | None = None
) -> str | None:
    """Why ``method`` does not run on data of a task; ``None`` if it does.

    Parameters
    ----------
    method : str
        A key of :data:`METHODS` or :data:`REFERENCES`.
    task : {"single-label", "multi-label", "regression"}
        The data's task.
    multilabel : bool, default=None
        Deprecated (wsample_sk 0.4): ``task="multi-label"`` or
        ``"single-label"``.

    Returns
    -------
    reason : str or None

    Examples
    --------
    >>> from wsample_sk.compare import skip_reason
    >>> skip_reason("ros", "multi-label")
    'imbalanced-learn refuses multi-label targets'
    >>> skip_reason("balanced", "regression") is None
    True
    """
    task = _legacy_task(task, multilabel, "skip_reason")
    if method not in METHODS and method not in REFERENCES:
        raise ValueError(
            f"Unknown method {method!r}; choose from {list(METHODS) + list(REFERENCES)}."
        )
    name = task_of(None, task).name if task is not None else None
    if name not in _SKIPPED:
        raise ValueError(f"task must be one of {list(_SKIPPED)}; got {task!r}.")
    reason = _SKIPPED[name].get(method)
    if reason is None and method == "smoter" and importlib.util.find_spec("resreg") is None:
        reason = _RESREG
    return reason


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


class _PlainRegressor(NeuralNetRegressor):
    """skorch's plain ``NeuralNetRegressor`` given a 1-D target: trains on (n, 1), predicts (n,).

    skorch would broadcast a 1-D target against the (n, 1) output into a
    wrong loss (only torch warns).
    """

    def fit(self, X: Any, y: Any, **fit_params: Any) -> _PlainRegressor:
        """skorch's fit on ``y`` as a float32 column."""
        return super().fit(X, np.asarray(y, dtype=np.float32).reshape(-1, 1), **fit_params)

    def predict(self, X: Any) -> np.ndarray:
        """One value per row, shape (n,)."""
        return super().predict(X).reshape(-1)


def _binned_oversample(
    X: np.ndarray, y: np.ndarray, bins: int, random_state: int
) -> tuple[np.ndarray, np.ndarray]:
    """RandomOverSampler on equal-width bins of a continuous ``y``: rows of rare bins repeated."""
    codes = TargetBins(y, bins).codes
    sampler = RandomOverSampler(random_state=random_state)
    sampler.fit_resample(np.zeros((len(y), 1)), codes)
    rows = sampler.sample_indices_
    return X[rows], y[rows]


def _smoter(X: np.ndarray, y: np.ndarray, random_state: int) -> tuple[np.ndarray, np.ndarray]:
    """SMOTER (resreg): rare targets (relevance >= 0.5, from ``y``) balanced against the rest.

    A training part whose rare targets are not fewer than the others (or
    fewer than two) has nothing to balance: it is returned as it is.
    """
    import resreg

    rare = relevance(y)(y)
    n_rare = int((rare >= 0.5).sum())
    if n_rare < 2 or n_rare >= len(y) - n_rare:
        return np.asarray(X, dtype=np.float32), np.asarray(y, dtype=np.float64)
    k = min(5, n_rare - 1)
    X_new, y_new = resreg.smoter(X, y, rare, relevance_threshold=0.5, k=k, over="balance",
                                 random_state=random_state)  # fmt: skip
    return np.asarray(X_new, dtype=np.float32), np.asarray(y_new, dtype=np.float64)


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
    task: str | Task | None = None,
    multilabel: bool | None = None,
) -> Any:
    """The pipeline of one method: preprocessing, then the model.

    Parameters
    ----------
    method : str
        A key of :data:`METHODS` or :data:`REFERENCES`.
    preprocessor : ColumnTransformer
        Applied first (cloned per fold by the caller).
    n_features, n_classes : int
        The network's input width (after preprocessing) and output size
        (multi-label: the number of labels; regression: 1).
    task : {"single-label", "multi-label", "regression"}, default=None
        Build the method's form for that task (a ``ValueError`` with the
        reason for a method that does not apply, see :func:`skip_reason`);
        ``None``: single-label.
    multilabel : bool, default=None
        Deprecated (wsample_sk 0.4): ``task="multi-label"``.
    seed : int, default=0
        ``random_state`` of the model and the resampler.
    max_epochs, lr, batch_size
        The training settings shared by all network methods (Adam).

    Returns
    -------
    model : Pipeline, imblearn Pipeline or TransformedTargetRegressor
        A regression model learns the standardised target
        (``TransformedTargetRegressor`` around the pipeline).

    Examples
    --------
    >>> from wsample_sk.compare import load_dataset, make_method, make_preprocessor
    >>> X = load_dataset("wine").X
    >>> make_method("smote", make_preprocessor(X), 13, 3)[-1].__class__.__name__
    'NeuralNetClassifier'
    >>> make_method("focal", make_preprocessor(X), 13, 3, task="multi-label")[-1].criterion.__name__
    'MultiLabelFocalLoss'
    >>> model = make_method("loss", make_preprocessor(X), 13, 1, task="regression")
    >>> model.regressor[-1].target_weight
    'balanced'
    """
    task = task_of(None, _legacy_task(task, multilabel, "make_method") or "single-label")
    reason = skip_reason(method, task)
    if reason is not None:
        raise ValueError(f"{method} does not apply to {task.name} data: {reason}.")
    shared = dict(
        optimizer=torch.optim.Adam,
        lr=lr,
        max_epochs=max_epochs,
        batch_size=batch_size,
        train_split=None,
        verbose=0,
    )
    if task is REGRESSION:
        return TransformedTargetRegressor(
            _regression_model(method, preprocessor, n_features, seed, shared),
            transformer=StandardScaler(),
        )
    if method in _NETWORK:
        own = _TASK_PARAMS.get(task.name, {}).get(method)
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
        model = MultiOutputClassifier(model) if task is MULTI_LABEL else model
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


def _regression_model(
    method: str, preprocessor: ColumnTransformer, n_features: int, seed: int, shared: dict
) -> Pipeline:
    """The pipeline of one method on a continuous target (the target scaled around it)."""
    if method in _NETWORK:
        own = _TASK_PARAMS["regression"].get(method)
        net = WeightedSamplingRegressor(random_state=seed, **shared, **(own or _NETWORK[method][1]))
        return Pipeline([("prep", preprocessor), ("net", net)])
    if method in ("ros", "smoter", "ref_skorch"):
        net = _PlainRegressor(
            MLP,
            module__n_features=n_features,
            module__n_classes=1,
            criterion=torch.nn.MSELoss,
            iterator_train__shuffle=True,
            **shared,
        )
        steps = [("prep", preprocessor), ("float32", FunctionTransformer(_to_float32))]
        if method == "ros":
            kw_args = {"bins": ROS_BINS, "random_state": seed}
            steps.append(("resample", FunctionSampler(func=_binned_oversample, kw_args=kw_args,
                                                      validate=False)))  # fmt: skip
        elif method == "smoter":
            steps.append(("resample", FunctionSampler(func=_smoter, validate=False,
                                                      kw_args={"random_state": seed})))  # fmt: skip
        return ImbPipeline([*steps, ("net", net)])
    if method == "ref_mlp":
        model = MLPRegressor(
            hidden_layer_sizes=(100,),
            learning_rate_init=shared["lr"],
            batch_size=shared["batch_size"],
            max_iter=shared["max_epochs"],
            random_state=seed,
        )
    elif method == "ref_hgb":
        model = HistGradientBoostingRegressor(random_state=seed)
    else:  # pragma: no cover - skip_reason refuses the others first
        raise ValueError(f"{method} has no regression form.")
    return Pipeline([("prep", preprocessor), ("net", model)])
