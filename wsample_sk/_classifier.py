"""WeightedSamplingClassifier: a skorch classifier trained on weighted draws.

The design, in terms of skorch's documented hooks (the fit loop is skorch's):

* ``fit`` / ``partial_fit`` validate ``X``, ``y``, ``sample_weight`` and the
  parameters once (the boundary), learn the classes, and hand skorch the
  caller's own ``X`` and ``y``, so callbacks see what they would see in skorch;
* ``get_dataset`` serves arrays, tensors, sparse matrices and dicts of them
  as an :class:`~wsample_sk._loading.ArrayDataset` (a skorch ``Dataset`` that
  also fetches whole batches), anything else as skorch would;
* ``get_split_datasets`` keeps skorch's ``train_split`` and builds the fit's
  :class:`~wsample_sk.WeightSchedule` from the training part alone;
* ``get_iterator`` builds the training loader around the schedule's sampler
  (or the user's own), reporting the rows of each batch to the schedule;
* ``on_epoch_begin`` / ``on_epoch_end`` let the schedule set and record each
  epoch's weights; ``get_loss`` turns label targets into output positions and
  applies loss weights in ``weight_mode="loss"``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from numbers import Integral, Real
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch
from sklearn import get_config
from sklearn.utils._param_validation import (
    Interval,
    Options,
    RealNotInt,
    StrOptions,
    validate_parameter_constraints,
)
from sklearn.utils.metadata_routing import process_routing
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import column_or_1d, validate_data
from skorch import NeuralNet, NeuralNetClassifier
from skorch.dataset import Dataset as SkorchDataset
from skorch.dataset import get_len
from skorch.utils import (
    _infer_predict_nonlinearity,
    data_from_dataset,
    is_dataset,
    is_pandas_ndframe,
    to_numpy,
)
from torch.utils.data import DataLoader

from . import _parallel
from ._labels import TargetCodec, encode
from ._loading import (
    ArrayDataset,
    RowRecorder,
    TrainingLoader,
    as_is,
    batch_view,
    collate_rows,
    is_dict,
    rows_in,
    to_tensors,
)
from ._samplers import BatchIndexSampler
from ._schedule import WeightSchedule, check_labels_known
from ._seeding import derive_seed, fit_seed, seed_torch, seeded_torch
from ._strategies import STRATEGIES, Strategy, check_sampling
from ._validation import check_count, check_samples_per_epoch, check_sampling_weights
from .modules import MLP

__all__ = ["WeightedSamplingClassifier"]


def _stored_privately(name: str) -> property:
    """A property kept in ``vars(self)["_" + name]``; missing until first set."""
    key = "_" + name.rstrip("_")

    def fget(self):
        try:
            return vars(self)[key]
        except KeyError:
            raise AttributeError(name) from None

    def fset(self, value):
        vars(self)[key] = value

    return property(fget, fset, doc=f"skorch's ``{name}``.")


@dataclass
class _FitData:
    """What the boundary of one ``fit`` call validated, for the hooks below it."""

    X: Any  # the caller's X (skorch and the callbacks see it)
    dataset: Any  # the dataset skorch trains on (built lazily for a custom ``dataset=``)
    labels: np.ndarray | None  # all rows' labels, when known
    codes: np.ndarray | None  # their output positions
    sample_weight: np.ndarray | None
    strategy: Strategy | None
    n_inputs: int | None  # per-sample input size, for the default MLP
    codec: TargetCodec  # labels of a batch to output positions
    seed: int = 0  # set once the module is initialised (see _fit)


def _is_table_list(X: Any) -> bool:
    """A list/tuple of rows (scikit-learn's table), not skorch's list of inputs."""
    if not isinstance(X, (list, tuple)) or not X:
        return isinstance(X, (list, tuple))
    first = X[0]
    return not (
        (isinstance(first, (np.ndarray, torch.Tensor)) and np.ndim(first) >= 1) or is_dict(first)
    ) and not sp.issparse(first)


def _for_skorch(data: Any, validated: Any) -> Any:
    """``data`` where skorch's Dataset reads it as one table, else its validated form.

    skorch reads a list as several inputs, and knows nothing of other
    array-likes; the callbacks then see the validated table instead.
    """
    if sp.issparse(data):  # skorch's Dataset reads CSR only
        return data if data.format == "csr" else validated
    if isinstance(data, (np.ndarray, torch.Tensor)) or is_dict(data):
        return data
    if is_pandas_ndframe(data) or (isinstance(data, (list, tuple)) and not _is_table_list(data)):
        return data
    return validated


def _one_row_batch(x: Any) -> Any:
    """One dataset item's input as a batch of one (for sizing the default MLP)."""
    if is_dict(x):
        return {k: torch.as_tensor(np.asarray(v))[None] for k, v in x.items()}
    return torch.as_tensor(np.asarray(x))[None]


def _as_float32(x: Any) -> Any:
    """float64 inputs as float32 (torch's default); other dtypes unchanged."""
    if isinstance(x, torch.Tensor):
        return x.float() if x.dtype == torch.float64 else x
    if x.dtype == np.float64:
        return x.astype(np.float32)
    return x


class WeightedSamplingClassifier(NeuralNetClassifier):
    """A scikit-learn classifier that trains a torch network on weighted draws.

    Each epoch draws training samples with probability proportional to their
    weight (``weight_mode="sample"``), or shuffles and weights each sample's
    loss (``weight_mode="loss"``). The weights come from a named strategy
    (``sampling=``), from ``fit(X, y, sample_weight=w)``, or from both
    multiplied. Weights are relative: they do not need to sum to one.

    It is a skorch :class:`~skorch.NeuralNetClassifier`: every skorch
    parameter (``optimizer``, ``lr``, ``callbacks``, ``module__*``,
    ``iterator_train__*``, ``dataset``, ``classes``, ``device`` ...) works as
    documented there, on every input skorch takes (arrays of any rank,
    tensors, DataFrames, sparse matrices, dicts of arrays, torch Datasets).
    The differences are listed in the user guide ("Differences from
    NeuralNetClassifier"): ``y`` holds class labels of any kind and
    ``predict`` returns them; the defaults suit tabular data.

    Parameters
    ----------
    module : torch module class or instance, default=None
        The network; it must return one logit per class (or probabilities
        with ``criterion=torch.nn.NLLLoss``). ``None`` builds an
        :class:`~wsample_sk.modules.MLP` sized from the data at fit time.
    sampling : None, str, dict or callable, default=None
        Class-level weighting: ``None`` (none), ``"balanced"`` (inverse class
        frequency, as ``compute_sample_weight("balanced", y)``), ``"sqrt"``
        (inverse square root of class frequency), ``"effective"`` (effective
        number of samples, Cui et al. 2019, see ``beta``), ``"progressive"``
        (from natural draws at the first epoch to balanced at the last, Kang
        et al. 2020), ``"deferred"`` (natural, then balanced from
        ``deferred_start``, Cao et al. 2019), a dict ``{class: weight}``, or a
        callable ``y -> weights`` (one per sample; given the epoch if it has a
        parameter named ``epoch``). Computed from the labels of the training
        part; multiplied by ``sample_weight`` when both are given. See
        :func:`~wsample_sk.check_sampling`.
    sampling_strategy : None, float, str, dict or callable, default=None
        Exact class counts per epoch instead of weighted draws: every epoch
        holds exactly this many rows of each class (drawn within the class
        uniformly or in proportion to ``sample_weight``, with or without
        ``replacement``), in imbalanced-learn's vocabulary (``"auto"``,
        ``"minority"``, ``"not majority"``, a float ratio, a dict of counts,
        a callable), resolved by imbalanced-learn itself; see
        :class:`~wsample_sk.StratifiedSampler`. Does not combine with
        ``sampling``, ``batch_composition``, ``weight_mode="loss"`` or
        ``samples_per_epoch``.
    sampling_type : {"over-sampling", "under-sampling"}, default="over-sampling"
        Whether ``sampling_strategy`` speaks as ``RandomOverSampler`` (counts
        to reach by adding rows) or ``RandomUnderSampler`` (counts to keep).
    batch_composition : None, "equal", "stratified", dict or (P, K), default=None
        Every batch with a fixed class composition: equal shares, the classes'
        own frequencies, ``{label: share}``, or ``(P, K)``: P classes at random,
        K rows each (batches of P x K rows); see
        :class:`~wsample_sk.BalancedBatchSampler`. The same exclusions as
        ``sampling_strategy``.
    beta : float, default=0.999
        β of ``sampling="effective"``, in [0, 1).
    deferred_start : int or float, default=0.8
        Where ``sampling="deferred"`` turns balanced: an epoch (int, from 0)
        or a fraction of ``max_epochs`` (float in [0, 1]).
    weight_mode : {"sample", "loss"}, default="sample"
        ``"sample"``: draw ``samples_per_epoch`` indices per epoch with
        probability proportional to the weights. ``"loss"``: plain shuffling,
        each sample's loss multiplied by its weight (weights scaled to mean
        one over the training part; the criterion's ``reduction`` is applied
        afterwards). Weights that are all equal mean no weighting in both
        modes: the same model as no weights at all.
    samples_per_epoch : None, int or float, default=None
        Draws per epoch: ``None`` is the training size (without replacement:
        the number of training samples with a positive weight), an int a
        count, a float a multiple of the training size.
    replacement : bool, default=True
        Draw with replacement (``weight_mode="sample"``).
    proba_correction : {None, "prior"}, default=None
        ``"prior"`` undoes the shift that weighting gives ``predict_proba``:
        each class's probability is multiplied by ``class_prior_ /
        sampling_prior_`` (the natural over the trained class mix; Saerens
        et al. 2002, Elkan 2001) and rows are renormalised. Rankings within a
        class (ROC AUC, average precision in the binary case) are unchanged;
        calibration improves. ``predict`` follows the corrected probabilities
        unless ``logit_adjustment`` is set.
    logit_adjustment : None or float, default=None
        Post-hoc logit adjustment of ``predict`` (Menon et al. 2021): the class
        maximising log p(c|x) − τ log π_c, with p(c|x) the posterior under the
        natural class mix (prior-corrected) and π = ``class_prior_``. τ = 1 is
        the balanced decision rule, argmax p(c|x) / π_c, whatever mix training
        drew; τ = 0 the natural one. ``predict_proba`` is not affected: with
        ``proba_correction="prior"`` and ``logit_adjustment=1.0``, probabilities
        are calibrated and decisions stay balanced.
    random_state : None, int or RandomState, default=None
        Seeds weight initialisation, dropout and the draws. An int gives
        identical results on CPU run to run (and an interrupted fit resumed
        from a checkpoint continues exactly); torch's global RNG is never
        changed.
    criterion, optimizer, lr, max_epochs, batch_size, train_split, verbose
        As in skorch, with defaults suited to tabular data: cross-entropy on
        logits, Adam with ``lr=0.001``, 100 epochs, batches of 128, no
        internal validation split (pass ``train_split=ValidSplit(5)`` for
        one: the sampler then uses the training part's weights only), silent.
    **kwargs
        Any other skorch parameter.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels: ``classes`` if given, else those of ``y``.
    n_features_in_ : int
        Number of features (columns) seen in ``fit``, for array-like ``X``.
    feature_names_in_ : ndarray of str
        Column names, when ``X`` was a DataFrame with string column names.
    class_prior_ : ndarray of shape (n_classes,)
        Class frequencies in the training part.
    sampling_prior_ : ndarray of shape (n_classes,)
        The class mix the weights give training (the drawn mix with
        ``weight_mode="sample"``, the loss mix with ``"loss"``), at the last
        epoch.
    module_, criterion_, optimizer_, history_
        As in skorch. ``history`` also records, per epoch,
        ``drawn_class_counts``, ``distinct_share`` and ``weight_ess``.
    weight_schedule_ : WeightSchedule
        The training weights of the running fit, during ``fit`` only (for
        callbacks, see :class:`~wsample_sk.WeightSchedule`).

    Notes
    -----
    **Data-parallel training.** Called on every rank of an initialised
    ``torch.distributed`` process group (for instance under ``torchrun``),
    with the same data, ``fit`` trains one model with
    ``DistributedDataParallel``: rank 0's seed is shared, every rank computes
    the same weighted draw per epoch and trains on its own share of the
    batches (``rank, rank + world_size, ...``), gradients are averaged, and
    every rank ends with the same fitted model (``module_`` is unwrapped
    after ``fit``). See ``examples/ddp_weighted_sampler.py``.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from wsample_sk import WeightedSamplingClassifier
    >>> X, y = make_classification(300, weights=[0.9], random_state=0)
    >>> clf = WeightedSamplingClassifier(sampling="balanced", max_epochs=5,
    ...                                  random_state=0).fit(X, y)
    >>> clf.predict(X[:3]).shape
    (3,)
    """

    _parameter_constraints: dict = {
        "module": "no_validation",
        "criterion": "no_validation",
        "optimizer": "no_validation",
        "lr": [Interval(Real, 0, None, closed="left")],
        "max_epochs": [Interval(Integral, 0, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left"), Options(Integral, {-1})],
        "iterator_train": [callable],
        "iterator_valid": [callable],
        "dataset": "no_validation",
        "train_split": "no_validation",
        "callbacks": "no_validation",
        "predict_nonlinearity": "no_validation",
        "warm_start": ["boolean"],
        "verbose": ["verbose"],
        "device": "no_validation",
        "compile": ["boolean"],
        "use_caching": ["boolean", StrOptions({"auto"})],
        "torch_load_kwargs": [None, dict],
        "classes": [None, "array-like"],
        "sampling": [None, StrOptions(set(STRATEGIES)), Mapping, callable],
        "sampling_strategy": [
            None,
            Interval(RealNotInt, 0, 1, closed="right"),
            StrOptions({"auto", "minority", "majority", "not minority", "not majority", "all"}),
            Mapping,
            callable,
        ],
        "sampling_type": [StrOptions({"over-sampling", "under-sampling"})],
        "batch_composition": [None, StrOptions({"equal", "stratified"}), Mapping, tuple],
        "beta": [Interval(Real, 0, 1, closed="left")],
        "deferred_start": [
            Interval(Integral, 0, None, closed="left"),
            Interval(RealNotInt, 0, 1, closed="both"),
        ],
        "weight_mode": [StrOptions({"sample", "loss"})],
        "samples_per_epoch": [
            None,
            Interval(Integral, 1, None, closed="left"),
            Interval(RealNotInt, 0, None, closed="neither"),
        ],
        "replacement": ["boolean"],
        "proba_correction": [None, StrOptions({"prior"})],
        "logit_adjustment": [None, Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    }

    # skorch sets these three in __init__; stored under private names they
    # keep vars(estimator) to parameters only (scikit-learn's contract), and
    # they are still missing while skorch's __init__ runs, as skorch expects.
    initialized_ = _stored_privately("initialized_")
    history_ = _stored_privately("history_")
    virtual_params_ = _stored_privately("virtual_params_")

    def __init__(
        self,
        module: Any = None,
        *,
        sampling: Any = None,
        sampling_strategy: Any = None,
        sampling_type: str = "over-sampling",
        batch_composition: Any = None,
        beta: float = 0.999,
        deferred_start: int | float = 0.8,
        weight_mode: str = "sample",
        samples_per_epoch: int | float | None = None,
        replacement: bool = True,
        proba_correction: str | None = None,
        logit_adjustment: float | None = None,
        random_state: Any = None,
        criterion: Any = torch.nn.CrossEntropyLoss,
        optimizer: Any = torch.optim.Adam,
        lr: float = 0.001,
        max_epochs: int = 100,
        batch_size: int = 128,
        train_split: Any = None,
        verbose: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            module,
            criterion=criterion,
            optimizer=optimizer,
            lr=lr,
            max_epochs=max_epochs,
            batch_size=batch_size,
            train_split=train_split,
            verbose=verbose,
            **kwargs,
        )
        self.sampling = sampling
        self.sampling_strategy = sampling_strategy
        self.sampling_type = sampling_type
        self.batch_composition = batch_composition
        self.beta = beta
        self.deferred_start = deferred_start
        self.weight_mode = weight_mode
        self.samples_per_epoch = samples_per_epoch
        self.replacement = replacement
        self.proba_correction = proba_correction
        self.logit_adjustment = logit_adjustment
        self.random_state = random_state

    # -- scikit-learn plumbing ----------------------------------------------
    def _get_param_names(self) -> list[str]:
        # skorch lists every attribute not ending in "_"; private bookkeeping
        # such as ``_params_to_validate`` is not a parameter.
        return [k for k in super()._get_param_names() if not k.startswith("_")]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = False
        tags.input_tags.sparse = True
        return tags

    def __getstate__(self) -> dict:
        # a net pickled during fit (skorch's Checkpoint(f_pickle=...)) leaves
        # the fit's data and schedule behind
        state = super().__getstate__()
        state.pop("_fit_data", None)
        state.pop("weight_schedule_", None)
        return state

    def _check_params(self) -> Strategy | None:
        """Validate the parameters once per fit; parse ``sampling`` once."""
        validate_parameter_constraints(
            self._parameter_constraints,
            self.get_params(deep=False),
            caller_name=type(self).__name__,
        )
        for prefix in ("iterator_train", "iterator_valid"):
            size = self.get_params_for(prefix).get("batch_size")
            if size is not None and size != -1:
                check_count(size, f"{prefix}__batch_size")
        check_samples_per_epoch(self.samples_per_epoch, 1)
        self._check_quota_params()
        return check_sampling(self.sampling, beta=self.beta, deferred_start=self.deferred_start)

    def _check_quota_params(self) -> None:
        """The one rule for exact quotas: they alone decide the class mix.

        ``sampling_strategy`` (rows per class per epoch) and
        ``batch_composition`` (rows per class per batch) each fix the class
        mix of the draws, so neither combines with ``sampling`` (class weights
        for the draws), with the other, with ``weight_mode="loss"`` (no draws)
        or with ``samples_per_epoch`` (the quotas set the epoch's size).
        ``sample_weight`` still chooses rows within a class.
        """
        quotas = [
            name
            for name in ("sampling_strategy", "batch_composition")
            if getattr(self, name) is not None
        ]
        if not quotas:
            return
        others = {
            "sampling": self.sampling is not None,
            "weight_mode='loss'": self.weight_mode == "loss",
            "samples_per_epoch": self.samples_per_epoch is not None,
            quotas[-1]: len(quotas) > 1,
        }
        clash = [name for name, on in others.items() if on]
        if clash:
            raise ValueError(
                f"{quotas[0]} fixes how many rows of each class are drawn, so it does "
                f"not combine with {clash[0]}; use one or the other (sample_weight "
                "still chooses rows within a class)."
            )
        composition = self.batch_composition
        if isinstance(composition, tuple) and not (
            len(composition) == 2 and all(isinstance(v, Integral) for v in composition)
        ):
            raise ValueError(
                "batch_composition as a tuple is (classes per batch, samples per class); "
                f"got {composition!r}."
            )

    # -- labels --------------------------------------------------------------
    def _output_labels(self) -> np.ndarray | None:
        """The labels of the network's outputs, in order; ``None`` when unknown."""
        if self.classes is not None and len(self.classes):
            return np.asarray(self.classes)
        return vars(self).get("classes_inferred_")

    def _learn_classes(self, labels: np.ndarray | None, reset: bool, classes: Any) -> None:
        """Fix the classes (skorch's ``classes_inferred_``) at the first fit."""
        if self.classes is not None and len(self.classes):
            known = np.asarray(self.classes)
            if len(np.unique(known)) != len(known):
                raise ValueError(f"classes must not repeat a label; got {known.tolist()!r}.")
        elif reset or "classes_inferred_" not in vars(self):
            source = classes if classes is not None else labels
            if source is None:
                vars(self).pop("classes_inferred_", None)
                return
            known = np.unique(np.asarray(source))
            self.classes_inferred_ = known
        else:
            known = self.classes_inferred_
        if len(known) < 2:
            raise ValueError(
                f"{type(self).__name__} needs samples of at least two classes; "
                f"got {len(known)} class ({known.tolist()!r})."
            )

    def _check_labels(self, y: Any, n: int) -> np.ndarray:
        y = column_or_1d(to_numpy(y) if isinstance(y, torch.Tensor) else y, warn=True)
        check_classification_targets(y)
        if len(y) != n:
            raise ValueError(f"X has {n} samples but y has {len(y)}; they must match.")
        return y

    # -- inputs at the boundary -----------------------------------------------
    def _validate_leaf(self, x: Any, *, reset: bool, top: bool) -> Any:
        """One input array: validated as scikit-learn does, float64 as float32."""
        if isinstance(x, torch.Tensor) and x.device.type != "cpu":
            return _as_float32(x)  # left on its device; checked by the module
        if isinstance(x, torch.Tensor):
            x = x.detach().numpy()
        if top:  # 1-D X: one value per sample, for a module of the user's only
            x = validate_data(
                self,
                x,
                reset=reset,
                accept_sparse="csr",
                allow_nd=True,
                ensure_2d=self.module is None,
                dtype="numeric",
            )
        else:
            from sklearn.utils import check_array

            x = check_array(x, accept_sparse="csr", allow_nd=True, ensure_2d=False, dtype="numeric")
        if self.module is None and x.dtype.kind in "biu":  # the default MLP takes floats
            x = x.astype(np.float32)
        return _as_float32(x)

    def _validate_inputs(self, X: Any, *, reset: bool) -> Any:
        """``X`` validated once, as tensors for batch indexing (see ``to_tensors``)."""
        if is_dict(X) or (isinstance(X, (list, tuple)) and not _is_table_list(X)):
            if reset:
                for attr in ("n_features_in_", "feature_names_in_"):
                    vars(self).pop(attr, None)
            leaves = X.items() if is_dict(X) else enumerate(X)
            checked = {k: self._validate_leaf(v, reset=reset, top=False) for k, v in leaves}
            tree = checked if is_dict(X) else type(X)(checked.values())
            get_len(tree)  # consistent lengths
            return to_tensors(tree)
        return to_tensors(self._validate_leaf(X, reset=reset, top=True))

    @staticmethod
    def _inputs_per_sample(inputs: Any) -> int:
        """Input size of one sample, for the default MLP (which flattens)."""
        if is_dict(inputs) or isinstance(inputs, (list, tuple)):
            values = list(inputs.values() if is_dict(inputs) else inputs)
            if len(values) != 1:
                raise ValueError(
                    "The default module takes one input; with several inputs "
                    "(a dict or list of arrays) pass your own module."
                )
            return WeightedSamplingClassifier._inputs_per_sample(values[0])
        shape = inputs.shape[1:]
        return int(np.prod(shape)) if len(shape) else 1

    def _fit_data(
        self, X: Any, y: Any, sample_weight: Any, *, reset: bool, classes: Any, strategy
    ) -> _FitData:
        """Validate one fit's data at the boundary, once."""
        if is_dataset(X):
            n = len(X)
            labels = None
            if y is not None:
                labels = self._check_labels(y, n)
            else:
                try:
                    labels = self._check_labels(data_from_dataset(X)[1], n)
                except (AttributeError, TypeError, ValueError):
                    labels = None  # targets not readable: no strategy can apply
            dataset, n_inputs = X, None
            if self.module is None and reset:
                first = X[0]
                x0 = first[0] if isinstance(first, (tuple, list)) else first
                n_inputs = self._inputs_per_sample(_one_row_batch(x0))
        else:
            if y is None:
                raise ValueError(
                    f"{type(self).__name__} requires y to be passed, but the target "
                    "y is None: pass the class labels (y may be None only when X is "
                    "a torch Dataset that yields them)."
                )
            inputs = self._validate_inputs(X, reset=reset)
            n = get_len(inputs)
            labels = self._check_labels(y, n)
            n_inputs = self._inputs_per_sample(inputs) if self.module is None else None
            custom = self.dataset is not SkorchDataset or self.get_params_for("dataset")
            dataset = None
            if not custom:
                dataset = ArrayDataset(
                    _for_skorch(X, inputs), _for_skorch(y, labels), inputs=inputs, labels=labels
                )
        self._learn_classes(labels, reset, classes)
        known = self._output_labels()
        codes = None
        if labels is not None and known is not None:
            codes = encode(labels, known, name="y")
        check_labels_known(
            codes,
            sampling=None if strategy is None else self.sampling,
            quotas=self.sampling_strategy is not None or self.batch_composition is not None,
        )
        if sample_weight is not None:
            sample_weight = check_sampling_weights(sample_weight, n)
        return _FitData(
            X=X,
            dataset=dataset,
            labels=labels,
            codes=codes,
            sample_weight=sample_weight,
            strategy=strategy,
            n_inputs=n_inputs,
            codec=TargetCodec(known),
        )

    # -- fitting ---------------------------------------------------------------
    def fit(self, X: Any, y: Any, sample_weight: Any = None, **fit_params: Any):
        """Initialise the network and train it on weighted draws.

        Parameters
        ----------
        X : array-like, tensor, sparse matrix, DataFrame, dict or Dataset
            Training data: arrays of any rank (tables, images, sequences),
            loaded a whole batch per indexing operation; a torch ``Dataset``
            (with or without ``y``) goes through skorch's general path.
        y : array-like of shape (n_samples,) or None
            Class labels (strings, ints or bools). May be ``None`` when ``X``
            is a Dataset; strategies then need its targets to be readable.
        sample_weight : array-like of shape (n_samples,), default=None
            Finite, non-negative weights, at least one positive; they need
            not sum to one. Multiplied by the ``sampling`` strategy's weights.
        **fit_params
            Passed to the module's ``forward`` (skorch's convention).

        Returns
        -------
        self : WeightedSamplingClassifier
        """
        reinitialize = not (self.warm_start and self.initialized_)
        return self._fit(X, y, sample_weight, fit_params, method="fit", reset=reinitialize)

    def partial_fit(
        self,
        X: Any,
        y: Any = None,
        classes: Any = None,
        sample_weight: Any = None,
        **fit_params: Any,
    ):
        """Train for ``max_epochs`` more epochs without re-initialising.

        An initialised network (by ``fit``, ``initialize()`` or
        ``initialize()`` followed by ``load_params``) continues from its
        current parameters.

        Parameters
        ----------
        X, y, sample_weight, **fit_params
            As in :meth:`fit`.
        classes : array-like, default=None
            All classes, needed at the first call only if its ``y`` does not
            show them all (and ``classes`` was not set at construction).

        Returns
        -------
        self : WeightedSamplingClassifier
        """
        return self._fit(
            X,
            y,
            sample_weight,
            fit_params,
            method="partial_fit",
            reset=not self.initialized_,
            classes=classes,
        )

    def _fit(self, X, y, sample_weight, fit_params, *, method, reset, classes=None):
        self.check_training_readiness()
        strategy = self._check_params()
        if get_config()["enable_metadata_routing"]:
            process_routing(self, method, **fit_params)  # unrequested metadata: refused now
        self._fit_data = data = self._fit_data_for(X, y, sample_weight, reset, classes, strategy)
        # An int random_state: everything seeded from it, inside a fork of
        # torch's RNG. None: as in skorch, torch's global RNG initialises the
        # module, and the fit's seed is drawn from it.
        fixed = self.random_state is not None
        seed = fit_seed(self.random_state) if fixed else None
        try:
            with seeded_torch(seed, self.device) if fixed else contextlib.nullcontext():
                if reset:
                    self.initialize()
                data.seed = _parallel.shared_seed(fit_seed(None) if seed is None else seed)
                with _parallel.data_parallel(self):
                    NeuralNet.partial_fit(self, X, y, _routing_method=method, **fit_params)
        finally:
            # the fit's data and loader are not kept (nor pickled) with the model
            vars(self).pop("_fit_data", None)
            vars(self).pop("weight_schedule_", None)
        return self

    def _fit_data_for(self, X, y, sample_weight, reset, classes, strategy) -> _FitData:
        data = self._fit_data(X, y, sample_weight, reset=reset, classes=classes, strategy=strategy)
        if data.n_inputs is not None:
            self._default_module_sizes = {"n_features": data.n_inputs}
        return data

    def check_data(self, X: Any, y: Any = None) -> None:
        """Nothing left to check: ``fit`` validated ``X`` and ``y`` already."""

    def initialize_module(self):
        """Build the module; the default MLP is sized from the fitted data.

        Before any data, the default module needs ``module__n_features`` and
        the classes (``classes=`` or ``module__n_classes``).
        """
        if self.module is not None:
            return NeuralNet.initialize_module(self)
        kwargs = dict(getattr(self, "_default_module_sizes", {}))
        labels = self._output_labels()
        if labels is not None:
            kwargs["n_classes"] = len(labels)
        if isinstance(self.criterion, type) and issubclass(self.criterion, torch.nn.NLLLoss):
            kwargs["output"] = "proba"  # NLLLoss takes probabilities (skorch logs them)
        kwargs.update(self.get_params_for("module"))
        missing = [k for k in ("n_features", "n_classes") if k not in kwargs]
        if missing and vars(self).get("_fit_data") is not None:
            raise ValueError(
                "The default module needs the number of classes, and the targets of "
                "this Dataset cannot be read: pass y to fit, or classes=[...]."
            )
        if missing:
            raise ValueError(
                "The default module is sized from the data, and there is none yet: "
                "call fit, or pass module__n_features=<inputs per sample> and "
                "classes=[...] (or module__n_classes=<number of classes>) before "
                f"initialize(); missing: {', '.join(missing)}."
            )
        self.module_ = MLP(**kwargs)
        return self

    def get_dataset(self, X: Any, y: Any = None):
        """The dataset of ``X``: batch-indexed for arrays, as skorch otherwise."""
        data = vars(self).get("_fit_data")
        if data is not None and X is data.X:
            if data.dataset is None:  # a custom ``dataset=``: built once, by skorch
                data.dataset = super().get_dataset(X, y)
            return data.dataset
        if is_dataset(X) or self.dataset is not SkorchDataset or self.get_params_for("dataset"):
            return super().get_dataset(X, y)
        inputs = self._validate_inputs(X, reset=False)
        return ArrayDataset(_for_skorch(X, inputs), y, inputs=inputs)

    def get_split_datasets(self, X: Any, y: Any = None, **fit_params: Any):
        """skorch's split; the weight schedule is built from the training part."""
        dataset_train, dataset_valid = super().get_split_datasets(X, y, **fit_params)
        data = vars(self).get("_fit_data")
        if data is not None and X is data.X:
            self.weight_schedule_ = schedule = self._schedule_for(dataset_train, data)
            self._give_class_counts(schedule.class_counts)
        return dataset_train, dataset_valid

    def _give_class_counts(self, counts: np.ndarray) -> None:
        """Criteria that want the training part's class counts get them here.

        A criterion with a ``set_class_counts`` method (the losses of
        :mod:`wsample_sk.losses`) receives them unless the user set
        ``criterion__class_counts``.
        """
        for criterion in self._counted_criteria():
            if not len(counts):
                raise ValueError(
                    f"{type(criterion).__name__} needs the class counts of the training "
                    "rows: pass y to fit, or criterion__class_counts=[...]."
                )
            if (counts == 0).any():
                missing = self._output_labels()[counts == 0].tolist()
                raise ValueError(
                    f"{type(criterion).__name__} adjusts for every class, but class(es) "
                    f"{missing!r} have no rows in the training part; pass "
                    "criterion__class_counts=[...] or a train_split that keeps them."
                )
            criterion.set_class_counts(counts)

    def _give_trained_mix(self, schedule: WeightSchedule) -> None:
        """This epoch's class mass as the loss sees it, for criteria that adjust for it.

        :class:`~wsample_sk.losses.LogitAdjustedLoss` declares
        ``counts_follow_training_mix``: after balanced draws or loss weights it
        then sees a uniform mix, and adjusts for nothing more (never twice).
        """
        for criterion in self._counted_criteria():
            if getattr(criterion, "counts_follow_training_mix", False):
                mass = schedule.sampling_prior * schedule.class_counts.sum()
                # a class the loss never sees keeps a tiny positive count (never a target)
                criterion.set_class_counts(np.maximum(mass, 1e-12 * mass.max()))

    def _counted_criteria(self):
        """Criteria that take class counts (``set_class_counts``) the user did not give."""
        for name in self._criteria:
            criterion = getattr(self, name + "_", None)
            criterion = getattr(criterion, "_orig_mod", criterion)
            if hasattr(criterion, "set_class_counts") and (
                "class_counts" not in self.get_params_for(name)
            ):
                yield criterion

    def _schedule_for(self, dataset_train: Any, data: _FitData) -> WeightSchedule:
        rows = rows_in(dataset_train, data.dataset)
        needs_rows = (
            data.strategy is not None
            or data.sample_weight is not None
            or self.sampling_strategy is not None
            or self.batch_composition is not None
        )
        if rows is None and needs_rows:
            raise ValueError(
                "train_split must return torch Subsets of the dataset it is given "
                "(as skorch's ValidSplit does), so that each row keeps its "
                f"label and weight; got a {type(dataset_train).__name__}."
            )

        def part(values):
            return None if values is None or rows is None else values[rows]

        return WeightSchedule(
            len(dataset_train),
            labels=part(data.labels),
            codes=part(data.codes),
            classes=self._output_labels(),
            strategy=data.strategy,
            sample_weight=part(data.sample_weight),
            weight_mode=self.weight_mode,
            replacement=bool(self.replacement),
            samples_per_epoch=self.samples_per_epoch,
            n_epochs=self.max_epochs,
            seed=data.seed,
            sampling_strategy=self.sampling_strategy,
            sampling_type=self.sampling_type,
            batch_composition=self.batch_composition,
            batch_size=self._composed_batch_size(),
            world=_parallel.world(),
        )

    def _composed_batch_size(self) -> int:
        size = self.get_params_for("iterator_train").get("batch_size", self.batch_size)
        if self.batch_composition is not None and size == -1:
            raise ValueError(
                "batch_composition needs a batch size of at least 1; skorch's "
                "batch_size=-1 (the whole training part as one batch) has no composition "
                "to fix."
            )
        return size

    def get_iterator(self, dataset: Any, training: bool = False):
        """The loader of ``dataset``: whole batches at once where possible.

        Training draws from the weight schedule's sampler (or a user's
        ``iterator_train__sampler`` / ``__batch_sampler``) and reports each
        batch's rows to the schedule; validation and prediction iterate in
        order.
        """
        schedule = vars(self).get("weight_schedule_") if training else None
        if training and schedule is None:  # called outside fit
            return super().get_iterator(dataset, training=training)
        prefix = "iterator_train" if training else "iterator_valid"
        iterator = getattr(self, prefix)
        kwargs = self.get_params_for(prefix)
        batch_size = kwargs.pop("batch_size", self.batch_size)
        if batch_size == -1:
            batch_size = len(dataset)
        is_loader_class = isinstance(iterator, type) and issubclass(iterator, DataLoader)
        view = batch_view(dataset) if is_loader_class and "collate_fn" not in kwargs else None
        if is_loader_class:
            # DataLoader draws a worker seed per pass; a private generator
            # keeps loading from consuming torch's global RNG.
            kwargs.setdefault("generator", torch.Generator())
            if view is None:  # row by row: labels that are strings stay an array
                kwargs.setdefault("collate_fn", collate_rows)
        if not training:
            if view is None or kwargs.get("shuffle") or "sampler" in kwargs:
                if not is_loader_class:
                    return super().get_iterator(dataset, training=training)
                return iterator(dataset, batch_size=batch_size, **kwargs)
            kwargs.pop("shuffle", None)
            drop_last = kwargs.pop("drop_last", False)
            order = BatchIndexSampler(None, batch_size, drop_last, n=len(view))
            return iterator(view, sampler=order, batch_size=None, collate_fn=as_is, **kwargs)
        if kwargs.get("in_order") is False:
            raise ValueError(
                "iterator_train__in_order=False delivers batches out of the order "
                "they were drawn in, so their rows (and weights) cannot be known."
            )
        return self._training_loader(iterator, dataset, view, schedule, batch_size, kwargs)

    def _training_loader(self, iterator, dataset, view, schedule, batch_size, kwargs):
        shuffle = kwargs.pop("shuffle", None)
        drop_last = kwargs.pop("drop_last", False)
        user_sampler = kwargs.pop("sampler", None)
        user_batches = kwargs.pop("batch_sampler", None)
        schedule.external = user_sampler is not None or user_batches is not None
        schedule.sampler.ordered = shuffle is False
        world, rank = _parallel.world()
        if schedule.batch_sampler is not None:  # batch_composition
            if user_batches is not None or user_sampler is not None:
                raise ValueError(
                    "batch_composition builds the batches; it does not combine with "
                    "iterator_train__sampler or __batch_sampler."
                )
            user_batches = schedule.batch_sampler
        if user_batches is not None:
            recorder = RowRecorder(user_batches, batched=True)
            if view is not None:  # whole batches by one indexing operation
                loader = iterator(
                    view, sampler=recorder, batch_size=None, collate_fn=as_is, **kwargs
                )
                return TrainingLoader(loader, recorder.take, schedule.on_batch)
            loader = iterator(dataset, batch_sampler=recorder, **kwargs)
            return TrainingLoader(loader, recorder.take, schedule.on_batch)
        if user_sampler is not None:
            recorder = RowRecorder(user_sampler, batched=False)
            loader = iterator(
                dataset, sampler=recorder, batch_size=batch_size, drop_last=drop_last, **kwargs
            )
            return TrainingLoader(loader, recorder.take, schedule.on_batch)
        if view is not None or (isinstance(iterator, type) and issubclass(iterator, DataLoader)):
            batches = BatchIndexSampler(
                schedule.sampler,
                batch_size,
                drop_last,
                as_lists=view is None,
                num_replicas=world,
                rank=rank,
            )
            if view is not None:
                loader = iterator(
                    view, sampler=batches, batch_size=None, collate_fn=as_is, **kwargs
                )
            else:
                loader = iterator(dataset, batch_sampler=batches, **kwargs)
            return TrainingLoader(loader, lambda k, n: batches.rows_of(k), schedule.on_batch)
        if world > 1:
            raise ValueError(
                "Data-parallel training needs iterator_train to be a DataLoader "
                f"class; got {iterator!r}."
            )
        recorder = RowRecorder(schedule.sampler, batched=False)
        loader = iterator(
            dataset, sampler=recorder, batch_size=batch_size, drop_last=drop_last, **kwargs
        )
        return TrainingLoader(loader, recorder.take, schedule.on_batch)

    # -- the weights, epoch by epoch --------------------------------------------
    def on_epoch_begin(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        """skorch's epoch start; the schedule sets this epoch's weights and seeds."""
        super().on_epoch_begin(
            net, dataset_train=dataset_train, dataset_valid=dataset_valid, **kwargs
        )
        schedule = vars(self).get("weight_schedule_")
        data = vars(self).get("_fit_data")
        if schedule is None or data is None:
            return
        epoch = len(self.history) - 1
        seed_torch(derive_seed(data.seed, "torch", epoch), self.device)  # this epoch's dropout
        schedule.begin_epoch(epoch)
        if schedule.codes is not None:
            self.class_prior_ = schedule.class_prior
            self.sampling_prior_ = schedule.sampling_prior
            self._give_trained_mix(schedule)

    def on_epoch_end(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        """Record what the sampler did this epoch in ``history``.

        See :meth:`WeightSchedule.end_epoch`.
        """
        super().on_epoch_end(
            net, dataset_train=dataset_train, dataset_valid=dataset_valid, **kwargs
        )
        schedule = vars(self).get("weight_schedule_")
        if schedule is not None:
            schedule.end_epoch(self.history)

    # -- the loss --------------------------------------------------------------
    def _encode_targets(self, y_true: Any) -> Any:
        data = vars(self).get("_fit_data")
        codec = data.codec if data is not None else TargetCodec(self._output_labels())
        return codec(y_true)

    def per_sample_loss(
        self, y_pred: Any, y_true: Any, X: Any = None, training: bool = False
    ) -> torch.Tensor:
        """The criterion's loss of each sample (its ``reduction`` set aside).

        Parameters
        ----------
        y_pred : torch.Tensor
            The module's output for a batch.
        y_true : torch.Tensor
            Output positions (``0 .. n_classes-1``) of the batch's targets.
        X, training
            As for skorch's ``get_loss``.

        Returns
        -------
        losses : torch.Tensor of shape (batch_size,)
        """
        if not hasattr(self.criterion_, "reduction"):
            raise ValueError(
                "Per-sample losses (weight_mode='loss', LossReweighting) need a "
                "criterion with a `reduction` attribute, as torch's losses have; "
                f"{type(self.criterion_).__name__} has none."
            )
        reduction = self.criterion_.reduction
        self.criterion_.reduction = "none"
        try:
            return NeuralNetClassifier.get_loss(self, y_pred, y_true, X=X, training=training)
        finally:
            self.criterion_.reduction = reduction

    def get_loss(self, y_pred: Any, y_true: Any, X: Any = None, training: bool = False):
        """The criterion's loss of a batch whose targets are class labels.

        Labels become output positions first; in ``weight_mode="loss"`` each
        sample's loss is multiplied by its weight during training.
        """
        y_true = self._encode_targets(y_true)
        schedule = vars(self).get("weight_schedule_")
        weights = schedule.loss_weights() if training and schedule is not None else None
        if weights is None:
            return super().get_loss(y_pred, y_true, X=X, training=training)
        losses = self.per_sample_loss(y_pred, y_true, X=X, training=training)
        losses = losses * weights.to(losses.device, losses.dtype)
        return losses.sum() if self.criterion_.reduction == "sum" else losses.mean()

    # -- prediction ------------------------------------------------------------
    def _get_predict_nonlinearity(self):
        if self._auto_nonlinearity():
            self.check_is_fitted()
            criterion = self._single_criterion()
            if getattr(criterion, "takes_logits", False):
                # the probabilities the loss models (LDAM: of its scaled logits)
                return getattr(criterion, "probabilities", partial(torch.softmax, dim=-1))
            return _infer_predict_nonlinearity(self)
        return super()._get_predict_nonlinearity()

    def _auto_nonlinearity(self) -> bool:
        return isinstance(self.predict_nonlinearity, str) and self.predict_nonlinearity == "auto"

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, columns in the order of ``classes_``.

        With ``predict_nonlinearity="auto"`` (the default) the rows are
        probabilities (in [0, 1], summing to one) whatever the criterion: the
        outputs of logit criteria get a softmax, and outputs that cannot be
        read as probabilities are an error that says which
        ``predict_nonlinearity`` to pass. A callable or ``None`` given by the
        user is applied as given.

        Parameters
        ----------
        X : array-like, tensor, sparse matrix, DataFrame, dict or Dataset

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        proba = super().predict_proba(X)
        if not self._auto_nonlinearity():
            return proba
        proba = self._check_probabilities(np.asarray(proba, dtype=np.float64))
        if self.proba_correction == "prior":
            self._check_priors("proba_correction")
            proba = self._natural_posterior(proba)
        return proba

    def _check_probabilities(self, proba: np.ndarray) -> np.ndarray:
        sums = proba.sum(axis=1)
        bad = ~((proba >= -1e-6).all(axis=1) & (proba <= 1 + 1e-6).all(axis=1))
        bad |= ~np.isclose(sums, 1.0, atol=1e-3)
        if proba.ndim == 2 and not bad.any():
            return np.clip(proba, 0.0, None) / sums[:, None]
        i = int(np.flatnonzero(bad)[0]) if proba.ndim == 2 else 0
        raise ValueError(
            f"The module's outputs are not probabilities (row {i}: "
            f"{np.round(proba[i], 4).tolist()!r}), and predict_nonlinearity='auto' "
            f"cannot tell how to turn them into some for the criterion "
            f"{type(self.criterion_).__name__}. Pass "
            "predict_nonlinearity=partial(torch.softmax, dim=-1) if the module "
            "returns logits, or make it return probabilities."
        )

    def _natural_posterior(self, proba: np.ndarray) -> np.ndarray:
        """p(c|x) under the training part's class mix, from the outputs' mix.

        The outputs are relative to the mix training drew or weighted
        (``sampling_prior_``), or, for a criterion that adjusts for it
        (:class:`~wsample_sk.losses.LogitAdjustedLoss`), to the mix its
        ``output_prior`` names.
        """
        prior = self._output_prior()
        drawn = prior > 0  # classes never drawn keep their probability
        proba[:, drawn] *= self.class_prior_[drawn] / prior[drawn]
        return proba / proba.sum(axis=1, keepdims=True)

    def _output_prior(self) -> np.ndarray:
        criterion = self._single_criterion()
        if criterion is not None and hasattr(criterion, "output_prior"):
            return np.asarray(criterion.output_prior(self.sampling_prior_), dtype=np.float64)
        return self.sampling_prior_

    def _single_criterion(self) -> Any:
        criteria = [getattr(self, name + "_", None) for name in self._criteria]
        if len(criteria) != 1 or criteria[0] is None:
            return None
        return getattr(criteria[0], "_orig_mod", criteria[0])

    def _adjusted_scores(self, X: Any) -> np.ndarray:
        """log p(c|x) − τ log π_c; classes without training rows never win."""
        if not self._auto_nonlinearity():
            raise ValueError("logit_adjustment needs predict_nonlinearity='auto'.")
        self._check_priors("logit_adjustment")
        proba = self._check_probabilities(
            np.asarray(NeuralNetClassifier.predict_proba(self, X), dtype=np.float64)
        )
        natural = self._natural_posterior(proba)
        with np.errstate(divide="ignore"):
            scores = np.log(natural) - self.logit_adjustment * np.log(self.class_prior_)
        scores[:, self.class_prior_ == 0] = -np.inf
        return scores

    def _check_priors(self, parameter: str) -> None:
        if not hasattr(self, "class_prior_"):
            raise ValueError(
                f"{parameter} needs the class mix of training (class_prior_), which "
                "is known after fit with the class labels."
            )

    def predict(self, X: Any) -> np.ndarray:
        """Predicted class labels (from ``classes_``; output positions when unknown).

        The class of the largest output of each row (after
        ``predict_nonlinearity``; after the prior correction when
        ``proba_correction`` is set).

        Parameters
        ----------
        X : array-like, tensor, sparse matrix, DataFrame, dict or Dataset

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        if self.logit_adjustment is not None:
            scores = self._adjusted_scores(X)
        elif self.proba_correction is not None and self._auto_nonlinearity():
            scores = self.predict_proba(X)
        else:  # the decision needs the ranking of the outputs only
            scores = NeuralNetClassifier.predict_proba(self, X)
        positions = np.asarray(scores).argmax(axis=1)
        labels = self._output_labels()
        if labels is None:
            return positions
        if positions.size and positions.max() >= len(labels):
            raise ValueError(
                f"The module has more outputs than there are classes ({len(labels)}); "
                "its output size must match the classes."
            )
        return labels[positions]
