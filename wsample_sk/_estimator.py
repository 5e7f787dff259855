"""What the classifier and the regressor share: skorch's hooks, with the mix of training.

:class:`WeightedSamplingNet` is a mixin placed before skorch's
``NeuralNetClassifier`` / ``NeuralNetRegressor``; the fit loop stays
skorch's, extended through its documented hooks:

* ``fit`` / ``partial_fit`` validate the parameters (:mod:`._params`) and the
  data (:mod:`._inputs`) once, and hand skorch the caller's ``X`` and ``y``;
  the fit's validated data and canonical levers live in one per-fit object
  (:class:`~wsample_sk._inputs.FitData`) for the duration of the call;
* the mix of training is owned by a default callback,
  :class:`~wsample_sk.callbacks.ClassMixSchedule` (``callbacks__class_mix``),
  which builds the fit's plan when ``get_iterator`` builds the training
  loader (:mod:`._iterators`) and drives it epoch by epoch;
* ``get_loss`` turns targets into what the criterion takes (the target
  kind's codec) and applies the plan's loss weights.

What differs by estimator is declared as class attributes: the parameter
that weighs the loss (``class_weight`` / ``target_weight``) and the target
kind of a regressor.
"""

from __future__ import annotations

import contextlib
import warnings
from typing import Any

import torch
from sklearn import get_config
from sklearn.utils.metadata_routing import process_routing
from skorch import NeuralNet
from skorch.dataset import Dataset as SkorchDataset
from skorch.utils import is_dataset

from . import _parallel
from ._criteria import criteria_of, per_sample, weighted_loss, weights_of_batch
from ._inputs import (
    FitData,
    default_module_sizes,
    fit_data,
    for_skorch,
    training_part,
    validate_inputs,
)
from ._iterators import ordered_loader, training_loader
from ._labels import output_labels
from ._loading import ArrayDataset
from ._params import (
    check_class_mix_callback,
    check_correctable,
    check_labels_known,
    check_params,
    check_stream_levers,
    reject_old_spellings,
    stored_privately,
)
from ._schedule import ClassMixSchedule, StopOnNonFiniteLoss, find_class_mix
from ._seeding import derive_seed, fit_seed, seed_torch, seeded_torch
from ._stream import WeightedStream
from ._target_kind import TargetKind, fitted_kind, kind_is_a_guess
from .modules import MLP

__all__ = ["WeightedSamplingNet"]


class WeightedSamplingNet:
    """skorch's hooks extended with the mix of training (a mixin; see the module)."""

    #: the parameter that weighs the loss, beside ``sampling``
    loss_lever = "class_weight"
    #: the kind of target when the estimator fixes it (a regressor); ``None``: from y
    fixed_kind: TargetKind | None = None

    # skorch sets these three in __init__; stored under private names they
    # keep vars(estimator) to parameters only (scikit-learn's contract), and
    # they are still missing while skorch's __init__ runs, as skorch expects.
    initialized_ = stored_privately("initialized_")
    history_ = stored_privately("history_")
    virtual_params_ = stored_privately("virtual_params_")
    _fit_data: FitData | None = None  # the running fit's validated data

    # -- scikit-learn and skorch plumbing --------------------------------------
    def _get_param_names(self) -> list[str]:
        # skorch lists every attribute not ending in "_"; private bookkeeping
        # such as ``_params_to_validate`` is not a parameter.
        return [k for k in super()._get_param_names() if not k.startswith("_")]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = False
        tags.input_tags.sparse = True
        return tags

    def _check_deprecated_params(self, **kwargs: Any) -> None:
        # before skorch's own check, which would suggest e.g. sampling__strategy
        reject_old_spellings(kwargs)

    def set_params(self, **params: Any):
        """Set parameters, as skorch does; the mix of training takes effect at the next fit.

        ``sampling``, the loss lever (``class_weight`` / ``target_weight``) and
        their sub-parameters (``sampling__x``) are read when ``fit`` starts,
        like ``criterion__x`` once a criterion is re-initialised: setting
        them on a fitted or initialised estimator re-initialises nothing
        (skorch would treat them as components to rebuild).

        Returns
        -------
        self

        Examples
        --------
        >>> from wsample_sk import WeightedSamplingClassifier
        >>> clf = WeightedSamplingClassifier(module__n_features=2, classes=[0, 1]).initialize()
        >>> clf.set_params(sampling="effective", sampling__beta=0.99).sampling__beta
        0.99
        """
        reject_old_spellings(params)
        levers = ("sampling", self.loss_lever)
        mix = {k: v for k, v in params.items() if k.split("__", 1)[0] in levers}
        for key, value in mix.items():
            setattr(self, key, value)
            if "__" in key:  # validated with skorch's prefixes at the next initialize()
                self._params_to_validate.add(key)
        rest = {k: v for k, v in params.items() if k not in mix}
        return super().set_params(**rest) if rest else self

    def __setstate__(self, state: dict) -> None:
        reject_old_spellings(state, where="This pickle, written by wsample_sk 0.2,")
        super().__setstate__(state)

    def __getstate__(self) -> dict:
        state = super().__getstate__()
        state.pop("_fit_data", None)  # a net pickled during fit leaves its data behind
        return state

    @property
    def _default_callbacks(self):
        # the mix first: scoring callbacks (valid_acc) that predict at the end of
        # an epoch read the mix it records for that epoch
        return [
            ("class_mix", ClassMixSchedule()),
            *super()._default_callbacks,
            ("finite_loss", StopOnNonFiniteLoss()),
        ]

    @property
    def target_kind(self) -> TargetKind:
        """The kind of target the model predicts: fitted, restored or, before any fit,
        told by the estimator (a regressor) or a multi-label criterion."""
        return fitted_kind(self)

    # -- fitting ---------------------------------------------------------------
    def _fit(self, X, y, sample_weight, fit_params, *, method, reset, classes=None):
        self.check_training_readiness()
        params = self.get_params(deep=False)
        levers = check_params(
            params,
            caller=type(self).__name__,
            loss_lever=self.loss_lever,
            sample_weight_given=sample_weight is not None,
        )
        if get_config()["enable_metadata_routing"]:
            process_routing(self, method, **fit_params)  # unrequested metadata: refused now
        data = fit_data(
            self, X, y, sample_weight, reset=reset, classes=classes, kind=self.fixed_kind
        )
        if data.stream:
            check_stream_levers(*levers, names=("sampling", self.loss_lever))
        check_labels_known(data.known_targets, *levers, names=("sampling", self.loss_lever))
        data.levers = levers
        self.sampling_ = levers[0]
        setattr(self, self.loss_lever + "_", levers[1])
        if data.n_inputs is not None:
            self._default_module_sizes = {"n_features": data.n_inputs}
            if data.n_outputs is not None:  # a regressor's target columns
                self._default_module_sizes["n_classes"] = data.n_outputs
        # An int random_state: everything seeded from it, inside a fork of
        # torch's RNG. None: as in skorch, torch's global RNG initialises the
        # module, and the fit's seed is drawn from it.
        fixed = self.random_state is not None
        seed = fit_seed(self.random_state) if fixed else None
        self._fit_data = data
        try:
            with seeded_torch(seed, self.device) if fixed else contextlib.nullcontext():
                if reset:
                    self.initialize()
                criteria = criteria_of(self)
                check_class_mix_callback(
                    find_class_mix(self) is not None,
                    params,
                    criteria,
                    loss_lever=self.loss_lever,
                    sample_weight_given=data.sample_weight is not None,
                )
                check_correctable(criteria, params)
                data.seed = _parallel.shared_seed(fit_seed(None) if seed is None else seed)
                with _parallel.data_parallel(self):
                    NeuralNet.partial_fit(self, X, y, _routing_method=method, **fit_params)
        finally:
            self._fit_data = None  # the fit's data is not kept (nor pickled) with the model
        return self

    def check_data(self, X: Any, y: Any = None) -> None:
        """Nothing left to check: ``fit`` validated ``X`` and ``y``."""

    def initialize_module(self):
        """Build the module; the default MLP is sized from the fitted data.

        Before any data, the default module needs ``module__n_features`` and
        the number of outputs (classes, labels or target columns).
        """
        if self.module is not None:
            return NeuralNet.initialize_module(self)
        data = self._fit_data
        self.module_ = MLP(**default_module_sizes(self, fitting=data is not None))
        if data is not None:  # saved with the parameters: a restore predicts as fitted
            self.module_.target_kind = data.kind.name
        return self

    def load_params(self, *args: Any, **kwargs: Any) -> None:
        """skorch's ``load_params``; warns when the kind of target stays unknown.

        The default module and ``history`` record whether the model predicts one
        label per row or a label indicator; parameters of a module of your own
        loaded without ``f_history`` do not, and the model then predicts one
        label per row (unless the criterion is a multi-label one).
        """
        super().load_params(*args, **kwargs)
        if kind_is_a_guess(self):
            warnings.warn(
                "These parameters do not say which kind of target they were trained on "
                "(a module of your own, and no f_history loaded): the model predicts one "
                "label per row. For a multi-label model, load f_history too (or pass "
                "criterion=torch.nn.BCEWithLogitsLoss).",
                UserWarning,
                stacklevel=2,
            )

    def get_dataset(self, X: Any, y: Any = None):
        """The dataset of ``X``: batch-indexed for arrays, as skorch otherwise."""
        data = self._fit_data
        if data is not None and X is data.X:
            if data.dataset is None:  # a custom ``dataset=``: built once, by skorch
                data.dataset = super().get_dataset(X, y)
            return data.dataset
        if isinstance(X, WeightedStream):  # outside fit: predict, score
            raise ValueError(
                "A WeightedStream repeats and shuffles its rows, so predictions on it would "
                "not line up with the source's rows: predict on the source itself (its rows, "
                "or an IterableDataset of them in order)."
            )
        if is_dataset(X) or self.dataset is not SkorchDataset or self.get_params_for("dataset"):
            return super().get_dataset(X, y)
        inputs = validate_inputs(self, X, reset=False)
        return ArrayDataset(for_skorch(X, inputs), y, inputs=inputs)

    def get_iterator(self, dataset: Any, training: bool = False):
        """The loader of ``dataset``: whole batches at once where possible.

        Training draws from the class-mix schedule's plan (see
        :class:`~wsample_sk.callbacks.ClassMixSchedule`); validation and
        prediction iterate in order.
        """
        mix = find_class_mix(self) if training else None
        if training and (mix is None or self._fit_data is None or self._fit_data.stream):
            return super().get_iterator(dataset, training=training)  # a stream: as it comes
        prefix = "iterator_train" if training else "iterator_valid"
        iterator = getattr(self, prefix)
        kwargs = self.get_params_for(prefix)
        batch_size = kwargs.pop("batch_size", self.batch_size)
        if not training:
            loader = ordered_loader(iterator, dataset, kwargs, batch_size)
            return super().get_iterator(dataset) if loader is None else loader
        data = self._fit_data
        plan = mix.start(
            training_part(data, dataset, output_labels(self)),
            *data.levers,
            criteria=criteria_of(self),
            history=self.history,
            max_epochs=self.max_epochs,
            batch_size=batch_size,
            sample_weight_in=self.sample_weight_in,
        )
        return training_loader(iterator, dataset, kwargs, batch_size, plan)

    def on_epoch_begin(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        """skorch's epoch start; this epoch's dropout is seeded from the fit's seed."""
        super().on_epoch_begin(
            net, dataset_train=dataset_train, dataset_valid=dataset_valid, **kwargs
        )
        if self._fit_data is not None:
            epoch = len(self.history) - 1
            seed_torch(derive_seed(self._fit_data.seed, "torch", epoch), self.device)
            if self._fit_data.stream and hasattr(dataset_train, "set_epoch"):
                dataset_train.set_epoch(epoch)  # a WeightedStream: new copies, new order

    # -- the loss --------------------------------------------------------------
    def per_sample_loss(
        self, y_pred: Any, y_true: Any, X: Any = None, training: bool = False
    ) -> torch.Tensor:
        """The criterion's loss of each sample (its ``reduction`` set aside).

        Parameters
        ----------
        y_pred : torch.Tensor
            The module's output for a batch.
        y_true : torch.Tensor
            The batch's targets as the criterion takes them (output positions
            of class labels, a float indicator, float values).
        X, training
            As for skorch's ``get_loss``.

        Returns
        -------
        losses : torch.Tensor of shape (batch_size,) or (batch_size, n_outputs)
        """
        data = self._fit_data
        y_true = (data.kind if data is not None else self.target_kind).match(y_pred, y_true)
        with per_sample(self.criterion_):
            return super().get_loss(y_pred, y_true, X=X, training=training)

    def get_loss(self, y_pred: Any, y_true: Any, X: Any = None, training: bool = False):
        """The criterion's loss of a batch, its targets as the criterion takes them.

        Targets go through the target kind's codec first (class labels become
        output positions); during training each row's loss is multiplied by its
        loss weight (the loss lever, ``sample_weight_in="loss"``; for
        multi-label targets ``class_weight`` weighs each label's positives).
        """
        data = self._fit_data
        kind = data.kind if data is not None else self.target_kind
        codec = data.codec if data is not None else kind.codec(output_labels(self))
        y_true = kind.match(y_pred, codec(y_true))
        plan = getattr(find_class_mix(self), "plan_", None) if training else None
        rows, positives = weights_of_batch(plan)
        if rows is None and positives is None:
            return super().get_loss(y_pred, y_true, X=X, training=training)
        losses = self.per_sample_loss(y_pred, y_true, X=X, training=training)
        return weighted_loss(self.criterion_, losses, y_true, rows, positives)

    def initialize_criterion(self):
        """skorch's criterion, or the target kind's default in its place
        (``CrossEntropyLoss`` becomes ``BCEWithLogitsLoss`` for a multi-label target)."""
        kind = self._fit_data.kind if self._fit_data is not None else None
        criterion = self.criterion if kind is None else kind.default_criterion(self.criterion)
        if criterion is not self.criterion:
            self.criterion_ = criterion(**self.get_params_for("criterion"))
            return self
        return super().initialize_criterion()
