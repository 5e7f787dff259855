"""WeightedSamplingClassifier: a skorch classifier trained on the class mix you choose.

The fit is :class:`~wsample_sk._estimator.WeightedSamplingNet`'s (skorch's
hooks with the mix of training); what is a classifier's is here: its
parameters, ``classes``, and ``predict_proba`` / ``predict``, which the
target kind (:mod:`._target_kind`) corrects for the class mix training saw
(:mod:`._prediction`, reading it from ``history``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from skorch import NeuralNetClassifier
from skorch.utils import _infer_predict_nonlinearity

from ._criteria import criteria_of
from ._estimator import WeightedSamplingNet
from ._params import PARAMETER_CONSTRAINTS
from ._prediction import correction_of, prior_property

__all__ = ["WeightedSamplingClassifier"]


class WeightedSamplingClassifier(WeightedSamplingNet, NeuralNetClassifier):
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
    prefixes_ = [*NeuralNetClassifier.prefixes_, "sampling", "class_weight"]

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
    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags

    # -- fitting ---------------------------------------------------------------
    def fit(self, X: Any, y: Any = None, sample_weight: Any = None, **fit_params: Any):
        """Initialise the network and train it on the chosen class mix.

        Parameters
        ----------
        X : array-like, tensor, sparse matrix, DataFrame, dict or Dataset
            Training data: arrays of any rank (tables, images, sequences),
            loaded a whole batch per indexing operation; a torch ``Dataset``
            (with or without ``y``) goes through skorch's general path; a
            stream (:class:`~wsample_sk.WeightedStream`, or any
            ``IterableDataset`` of ``(input, target)`` rows) trains on its
            rows as they come, weighted by the stream (the estimator's
            levers do not apply; ``classes=`` and ``train_split=None`` are
            needed; ``set_epoch`` is called every epoch).
        y : array-like of shape (n_samples,) or None
            Class labels (strings, ints or bools). May be ``None`` when ``X``
            is a Dataset (class-level levers then need its targets readable)
            or a stream.
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

    # -- prediction ------------------------------------------------------------
    def _get_predict_nonlinearity(self):
        if self._auto_nonlinearity():
            self.check_is_fitted()
            inferred = _infer_predict_nonlinearity(self)
            return self.target_kind.nonlinearity(criteria_of(self).single, inferred)
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
        return self.target_kind.probabilities(correction_of(self), proba)

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
        raw = NeuralNetClassifier.predict_proba(self, X)
        return self.target_kind.decide(correction_of(self), raw)
