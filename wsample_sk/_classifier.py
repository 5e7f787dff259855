"""WeightedSamplingClassifier: a skorch classifier trained on the class mix you choose.

The design, in terms of skorch's documented hooks (the fit loop is skorch's):

* ``fit`` / ``partial_fit`` validate the parameters (:mod:`._params`) and the
  data (:mod:`._inputs`) once, and hand skorch the caller's ``X`` and ``y``;
* the class mix is owned by a default callback,
  :class:`~wsample_sk.callbacks.ClassMixSchedule` (``callbacks__class_mix``),
  which builds the fit's plan when ``get_iterator`` builds the training
  loader (:mod:`._iterators`) and drives it epoch by epoch;
* ``get_loss`` turns label targets into output positions and applies the
  plan's loss weights; ``predict_proba`` / ``predict`` apply the corrections
  of :mod:`._prediction`, reading the class mix from ``history``.
"""

from __future__ import annotations

import contextlib
import warnings
from typing import Any

import numpy as np
import torch
from sklearn import get_config
from sklearn.utils.metadata_routing import process_routing
from skorch import NeuralNet, NeuralNetClassifier
from skorch.dataset import Dataset as SkorchDataset
from skorch.utils import _infer_predict_nonlinearity, is_dataset

from . import _parallel
from ._criteria import per_sample, single_criterion, weighted_loss, weights_of_batch
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
    CLASS_MIX_PREFIXES,
    PARAMETER_CONSTRAINTS,
    check_class_mix_callback,
    check_correctable,
    check_labels_known,
    check_params,
    reject_old_spellings,
    stored_privately,
)
from ._prediction import prior_property
from ._schedule import ClassMixSchedule, StopOnNonFiniteLoss, find_class_mix
from ._seeding import derive_seed, fit_seed, seed_torch, seeded_torch
from ._target_kind import TargetKind, fitted_kind, kind_is_a_guess
from .modules import MLP

__all__ = ["WeightedSamplingClassifier"]


class WeightedSamplingClassifier(NeuralNetClassifier):
    """A scikit-learn classifier that trains a torch network on the class mix you choose.

    How training sees the classes is one concept with two parameters:
    ``sampling=`` (how rows are **drawn**: weighted draws, exact class
    quotas per epoch, a fixed class composition per batch, from the start,
    deferred or progressive) and ``class_weight=`` (how the **loss** weighs
    classes). ``fit(X, y, sample_weight=w)`` adds per-row weights from
    anywhere, to the draws or the loss (``sample_weight_in``). Weights are
    relative: they do not need to sum to one. See :mod:`wsample_sk.sampling`
    for every form and its sub-parameters (``sampling__x``).

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
        :class:`~wsample_sk.modules.MLP` sized from the data at fit time
        (without data: ``module__n_features`` and ``classes=``).
    sampling : None, str, dict, callable or spec, default=None
        How training draws rows. ``None``: a plain shuffle every epoch (or
        draws by ``sample_weight``). Shortcuts: ``"balanced"`` (inverse class
        frequency), ``"sqrt"``, ``"effective"``, ``"deferred"`` (natural, then
        balanced; Cao et al. 2019), ``"progressive"`` (natural to balanced;
        Kang et al. 2020), a dict ``{class: weight}`` or a callable
        ``y -> weights``. Specs: :class:`~wsample_sk.sampling.WeightedDraws`,
        :class:`~wsample_sk.sampling.ClassQuotas` (exact counts per epoch, in
        imbalanced-learn's vocabulary),
        :class:`~wsample_sk.sampling.BatchComposition`. Sub-parameters as
        arguments of the spec or as ``sampling__x``; one given where it does
        not apply is an error.
    class_weight : None, str, dict or LossWeights, default=None
        Loss weights per class (scikit-learn's name): ``"balanced"``, a dict,
        the other shortcuts (``"deferred"`` is deferred re-weighting), or a
        :class:`~wsample_sk.sampling.LossWeights`. Composes with any
        ``sampling`` (a warning says when both rebalance).
    sample_weight_in : {"sampling", "loss"}, default="sampling"
        Where ``fit``'s ``sample_weight`` goes: the draws (within a class for
        quotas), or the loss (each row's loss times its weight, scaled to
        mean one; the criterion's ``reduction`` applied afterwards).
    proba_correction : {None, "prior"}, default=None
        ``"prior"`` undoes the shift that re-weighting gives
        ``predict_proba``: each class's probability is multiplied by
        ``class_prior_ / sampling_prior_`` (Saerens et al. 2002) and rows are
        renormalised. ``predict`` follows the corrected probabilities unless
        ``logit_adjustment`` is set.
    logit_adjustment : None or float, default=None
        Post-hoc logit adjustment of ``predict`` (Menon et al. 2021): the
        class maximising log p(c|x) − τ log π_c, p the prior-corrected
        posterior, π = ``class_prior_``; τ = 1 is the balanced decision rule,
        whatever mix training drew. Classes never trained on never win.
    random_state : None, int or RandomState, default=None
        Seeds weight initialisation, dropout and the draws. An int gives
        identical results on CPU run to run, and an interrupted fit resumed
        from a checkpoint ends with the parameters of the uninterrupted one;
        torch's global RNG is never changed.
    criterion, optimizer, lr, max_epochs, batch_size, train_split, verbose
        As in skorch, with defaults suited to tabular data: cross-entropy on
        logits, Adam with ``lr=0.001``, 100 epochs, batches of 128, no
        internal validation split (with ``train_split=ValidSplit(5)`` the
        class mix uses the training part only), silent.
    **kwargs
        Any other skorch parameter, and ``sampling__*`` / ``class_weight__*``.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels: ``classes`` if given, else those of ``y``.
    n_features_in_ : int
        Number of features (columns) seen in ``fit``, for array-like ``X``.
    feature_names_in_ : ndarray of str
        Column names, when ``X`` was a DataFrame with string column names.
    sampling_, class_weight_ : spec or None
        The canonical forms of ``sampling`` and ``class_weight`` of the last fit.
    class_prior_ : ndarray of shape (n_classes,)
        Class frequencies in the training part (from ``history``).
    sampling_prior_ : ndarray of shape (n_classes,)
        The class mix training saw (draws times loss weights; a user sampler's
        actual draws), at the epoch whose parameters the model holds.
    module_, criterion_, optimizer_, history_, callbacks_
        As in skorch. ``history`` also records, per epoch,
        ``drawn_class_counts``, ``distinct_share``, ``weight_ess``,
        ``class_prior``, ``sampling_prior`` and ``class_mix_epochs``.

    Notes
    -----
    Called on every rank of a ``torch.distributed`` group, ``fit`` trains one
    model with ``DistributedDataParallel`` (``examples/ddp_weighted_sampler.py``).

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

    _parameter_constraints: dict = PARAMETER_CONSTRAINTS
    prefixes_ = [*NeuralNetClassifier.prefixes_, *CLASS_MIX_PREFIXES]

    # skorch sets these three in __init__; stored under private names they
    # keep vars(estimator) to parameters only (scikit-learn's contract), and
    # they are still missing while skorch's __init__ runs, as skorch expects.
    initialized_ = stored_privately("initialized_")
    history_ = stored_privately("history_")
    virtual_params_ = stored_privately("virtual_params_")
    _fit_data: FitData | None = None  # the running fit's validated data

    class_prior_ = prior_property(0, "Class frequencies in the training part.")
    sampling_prior_ = prior_property(1, "The class mix training saw.")

    def __init__(
        self,
        module: Any = None,
        *,
        sampling: Any = None,
        class_weight: Any = None,
        sample_weight_in: str = "sampling",
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
        self.class_weight = class_weight
        self.sample_weight_in = sample_weight_in
        self.proba_correction = proba_correction
        self.logit_adjustment = logit_adjustment
        self.random_state = random_state

    # -- scikit-learn and skorch plumbing --------------------------------------
    def _get_param_names(self) -> list[str]:
        # skorch lists every attribute not ending in "_"; private bookkeeping
        # such as ``_params_to_validate`` is not a parameter.
        return [k for k in super()._get_param_names() if not k.startswith("_")]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = False
        tags.input_tags.sparse = True
        tags.classifier_tags.multi_label = True
        return tags

    def _check_deprecated_params(self, **kwargs: Any) -> None:
        # before skorch's own check, which would suggest e.g. sampling__strategy
        reject_old_spellings(kwargs)

    def set_params(self, **params: Any):
        """Set parameters, as skorch does; the class mix takes effect at the next fit.

        ``sampling``, ``class_weight`` and their sub-parameters
        (``sampling__x``, ``class_weight__x``) are read when ``fit`` starts,
        like ``criterion__x`` once a criterion is re-initialised: setting
        them on a fitted or initialised estimator re-initialises nothing
        (skorch would treat them as components to rebuild).

        Returns
        -------
        self : WeightedSamplingClassifier

        Examples
        --------
        >>> from wsample_sk import WeightedSamplingClassifier
        >>> clf = WeightedSamplingClassifier(module__n_features=2, classes=[0, 1]).initialize()
        >>> clf.set_params(sampling="effective", sampling__beta=0.99).sampling__beta
        0.99
        """
        reject_old_spellings(params)
        mix = {k: v for k, v in params.items() if k.split("__", 1)[0] in CLASS_MIX_PREFIXES}
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
        # the class mix first: scoring callbacks (valid_acc) that predict at the
        # end of an epoch read the mix it records for that epoch
        return [
            ("class_mix", ClassMixSchedule()),
            *super()._default_callbacks,
            ("finite_loss", StopOnNonFiniteLoss()),
        ]

    # -- fitting ---------------------------------------------------------------
    def fit(self, X: Any, y: Any, sample_weight: Any = None, **fit_params: Any):
        """Initialise the network and train it on the chosen class mix.

        Parameters
        ----------
        X : array-like, tensor, sparse matrix, DataFrame, dict or Dataset
            Training data: arrays of any rank (tables, images, sequences),
            loaded a whole batch per indexing operation; a torch ``Dataset``
            (with or without ``y``) goes through skorch's general path.
        y : array-like of shape (n_samples,) or None
            Class labels (strings, ints or bools). May be ``None`` when ``X``
            is a Dataset; class-level levers then need its targets readable.
        sample_weight : array-like of shape (n_samples,), default=None
            Finite, non-negative weights, at least one positive; they need
            not sum to one. They multiply the draw weights (or the loss,
            with ``sample_weight_in="loss"``).
        **fit_params
            Passed to the module's ``forward`` (skorch's convention).

        Returns
        -------
        self : WeightedSamplingClassifier
        """
        reinitialize = not (self.warm_start and self.initialized_)
        return self._fit(X, y, sample_weight, fit_params, method="fit", reset=reinitialize)

    def partial_fit(
        self, X: Any, y: Any = None, classes: Any = None, sample_weight: Any = None, **fit_params
    ):
        """Train for ``max_epochs`` more epochs without re-initialising.

        An initialised network (by ``fit``, ``initialize()`` or
        ``initialize()`` followed by ``load_params``) continues from its
        current parameters, and the class-mix schedule from its position.

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
        reset = not self.initialized_
        return self._fit(
            X, y, sample_weight, fit_params, method="partial_fit", reset=reset, classes=classes
        )

    def _fit(self, X, y, sample_weight, fit_params, *, method, reset, classes=None):
        self.check_training_readiness()
        levers = check_params(self, sample_weight_given=sample_weight is not None)
        if get_config()["enable_metadata_routing"]:
            process_routing(self, method, **fit_params)  # unrequested metadata: refused now
        data = fit_data(self, X, y, sample_weight, reset=reset, classes=classes)
        check_labels_known(data.known_targets, *levers)
        self.sampling_, self.class_weight_ = levers
        if data.n_inputs is not None:
            self._default_module_sizes = {"n_features": data.n_inputs}
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
                check_class_mix_callback(self, data.sample_weight is not None)
                check_correctable(self)
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
        the classes (``classes=`` or ``module__n_classes``).
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
        if training and (mix is None or self._fit_data is None):
            return super().get_iterator(dataset, training=training)
        prefix = "iterator_train" if training else "iterator_valid"
        iterator = getattr(self, prefix)
        kwargs = self.get_params_for(prefix)
        batch_size = kwargs.pop("batch_size", self.batch_size)
        if not training:
            loader = ordered_loader(iterator, dataset, kwargs, batch_size)
            return super().get_iterator(dataset) if loader is None else loader
        plan = mix.start(self, training_part(self, self._fit_data, dataset))
        return training_loader(iterator, dataset, kwargs, batch_size, plan)

    def on_epoch_begin(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        """skorch's epoch start; this epoch's dropout is seeded from the fit's seed."""
        super().on_epoch_begin(
            net, dataset_train=dataset_train, dataset_valid=dataset_valid, **kwargs
        )
        if self._fit_data is not None:
            epoch = len(self.history) - 1
            seed_torch(derive_seed(self._fit_data.seed, "torch", epoch), self.device)

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
            Output positions (``0 .. n_classes-1``) of the batch's targets.
        X, training
            As for skorch's ``get_loss``.

        Returns
        -------
        losses : torch.Tensor of shape (batch_size,)
        """
        with per_sample(self.criterion_):
            return NeuralNetClassifier.get_loss(self, y_pred, y_true, X=X, training=training)

    def get_loss(self, y_pred: Any, y_true: Any, X: Any = None, training: bool = False):
        """The criterion's loss of a batch whose targets are class labels (or an indicator).

        Labels become output positions first; during training each row's
        loss is multiplied by its loss weight (``class_weight``,
        ``sample_weight_in="loss"``; for multi-label targets ``class_weight``
        weighs each label's positives).
        """
        data = self._fit_data
        codec = data.codec if data is not None else self.target_kind.codec(output_labels(self))
        y_true = codec(y_true)
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

    @property
    def target_kind(self) -> TargetKind:
        """The kind of target the model predicts (see ``target_kind_``): fitted, restored
        or, before any fit, told by a multi-label criterion."""
        return fitted_kind(self)

    # -- prediction ------------------------------------------------------------
    def _get_predict_nonlinearity(self):
        if self._auto_nonlinearity():
            self.check_is_fitted()
            inferred = _infer_predict_nonlinearity(self)
            return self.target_kind.nonlinearity(self, single_criterion(self), inferred)
        return super()._get_predict_nonlinearity()

    def _auto_nonlinearity(self) -> bool:
        return isinstance(self.predict_nonlinearity, str) and self.predict_nonlinearity == "auto"

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, columns in the order of ``classes_``.

        With ``predict_nonlinearity="auto"`` rows are probabilities whatever
        the criterion (else a clear error); one independent probability per
        label for multi-label targets. ``proba_correction="prior"`` corrects
        them to the natural class (or label) frequencies.

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
        return self.target_kind.probabilities(self, proba)

    def predict(self, X: Any) -> np.ndarray:
        """Predicted class labels (from ``classes_``; output positions when unknown).

        The largest output (prior-corrected, or logit-adjusted) of each row;
        for multi-label targets the 0/1 indicator of the labels whose
        (corrected, or adjusted) probability passes one half.

        Parameters
        ----------
        X : array-like, tensor, sparse matrix, DataFrame, dict or Dataset

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_labels)
        """
        if self.logit_adjustment is not None and not self._auto_nonlinearity():
            raise ValueError("logit_adjustment needs predict_nonlinearity='auto'.")
        return self.target_kind.decide(self, NeuralNetClassifier.predict_proba(self, X))
