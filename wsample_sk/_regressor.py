"""WeightedSamplingRegressor: a skorch regressor trained on the target mix you choose.

The fit is :class:`~wsample_sk._estimator.WeightedSamplingNet`'s, as the
classifier's; the target kind is continuous (:data:`._target_kind.CONTINUOUS`):
bins of the target play the classes of the classifier's levers
(:mod:`._continuous_plan`), and ``predict`` returns float64 values, 1-D for a
one-column target, as scikit-learn's regressors do.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from skorch import NeuralNet, NeuralNetRegressor

from ._estimator import WeightedSamplingNet
from ._params import PARAMETER_CONSTRAINTS
from ._target_kind import CONTINUOUS
from .modules import MLP

__all__ = ["WeightedSamplingRegressor"]

_CLASSIFIER_ONLY = ("class_weight", "classes", "proba_correction", "logit_adjustment")


class WeightedSamplingRegressor(WeightedSamplingNet, NeuralNetRegressor):
    """A scikit-learn regressor that trains a torch network on the target mix you choose.

    Rare target values are the regression form of class imbalance. The same
    two levers as :class:`~wsample_sk.WeightedSamplingClassifier`, on a
    continuous target: ``sampling=`` says how rows are **drawn**, and
    ``target_weight=`` (the regressor's ``class_weight``) how the **loss**
    weighs them; ``fit(X, y, sample_weight=w)`` adds per-row weights from
    anywhere (importance weights, survey weights, a file), to the draws or
    the loss (``sample_weight_in``). Weights are relative: they need not sum
    to one.

    Density-based weights bin the training target into equal-width bins
    whose counts are smoothed by a symmetric kernel (label distribution
    smoothing, Yang et al. 2021): ``"balanced"`` weighs a row by the inverse
    smoothed density of its bin, ``"sqrt"`` by its inverse square root, and
    ``"deferred"`` / ``"progressive"`` move there from natural draws over the
    epochs; ``"denseweight"`` is DenseWeight (Steininger et al. 2021).
    Sub-parameters travel as ``sampling__bins``, ``sampling__kernel``,
    ``sampling__kernel_size``, ``sampling__sigma``, ``sampling__alpha``
    (or the arguments of :class:`~wsample_sk.sampling.WeightedDraws` /
    :class:`~wsample_sk.sampling.LossWeights`).

    It is a skorch :class:`~skorch.NeuralNetRegressor`: every skorch
    parameter works as documented there, on every input skorch takes. It
    differs in taking a 1-D ``y`` (predictions are then 1-D, float64, as for
    scikit-learn's regressors; skorch would broadcast the loss wrongly) and
    in defaults suited to tabular data.

    Parameters
    ----------
    module : torch module class or instance, default=None
        The network; one output per target column. ``None`` builds an
        :class:`~wsample_sk.modules.MLP` sized from the data at fit time
        (without data: ``module__n_features`` and ``module__n_classes``,
        the number of target columns).
    sampling : None, str, callable or WeightedDraws, default=None
        How training draws rows. ``None``: a plain shuffle every epoch (or
        draws by ``sample_weight``). ``"balanced"``, ``"sqrt"``,
        ``"effective"`` (over the bins), ``"deferred"``, ``"progressive"``,
        ``"denseweight"``, a callable ``y -> weights`` (given the target
        values; with an ``epoch`` parameter, called every epoch), or a
        :class:`~wsample_sk.sampling.WeightedDraws`.
    target_weight : None, str or LossWeights, default=None
        The same weights in the loss instead of the draws (the regressor's
        ``class_weight``): each row's loss times its weight.
    sample_weight_in : {"sampling", "loss"}, default="sampling"
        Where ``fit``'s ``sample_weight`` goes: the draws, or the loss (each
        row's loss times its weight, scaled to mean one; the criterion's
        ``reduction`` applied afterwards).
    random_state : None, int or RandomState, default=None
        Seeds weight initialisation, dropout and the draws; torch's global
        RNG is never changed.
    criterion, optimizer, lr, max_epochs, batch_size, train_split, verbose
        As in skorch, with defaults suited to tabular data: mean squared
        error, Adam with ``lr=0.001``, 100 epochs, batches of 128, no internal
        validation split, silent. :class:`~wsample_sk.losses.BalancedMSELoss`
        is the balanced MSE of Ren et al. (2022).
    **kwargs
        Any other skorch parameter, and ``sampling__*`` / ``target_weight__*``.

    Attributes
    ----------
    n_features_in_, feature_names_in_
        As in scikit-learn, for array-like ``X``.
    sampling_, target_weight_ : spec or None
        The canonical forms of ``sampling`` and ``target_weight`` of the last fit.
    module_, criterion_, optimizer_, history_, callbacks_
        As in skorch. With a lever set, ``history`` also records, per epoch,
        ``drawn_target_histogram`` (drawn rows per bin), ``distinct_share``
        and ``weight_ess``.

    Examples
    --------
    >>> import numpy as np
    >>> from wsample_sk import WeightedSamplingRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 3)).astype("float32")
    >>> y = X[:, 0] + rng.exponential(size=300)  # a long right tail
    >>> reg = WeightedSamplingRegressor(sampling="balanced", sampling__bins=20,
    ...                                 max_epochs=5, random_state=0).fit(X, y)
    >>> reg.predict(X[:3]).shape, reg.predict(X[:3]).dtype
    ((3,), dtype('float64'))
    """

    _parameter_constraints: dict = {
        **{k: v for k, v in PARAMETER_CONSTRAINTS.items() if k != "classes"},
        "target_weight": "no_validation",  # wsample_sk.sampling.check_class_weight
    }
    prefixes_ = [*NeuralNetRegressor.prefixes_, "sampling", "target_weight"]
    loss_lever = "target_weight"
    fixed_kind = CONTINUOUS

    def __init__(
        self,
        module: Any = None,
        *,
        sampling: Any = None,
        target_weight: Any = None,
        sample_weight_in: str = "sampling",
        random_state: Any = None,
        criterion: Any = torch.nn.MSELoss,
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
        self.target_weight = target_weight
        self.sample_weight_in = sample_weight_in
        self.random_state = random_state

    def _check_deprecated_params(self, **kwargs: Any) -> None:
        super()._check_deprecated_params(**kwargs)
        mine = [k for k in kwargs if k.split("__")[0] in _CLASSIFIER_ONLY]
        if mine:
            raise TypeError(
                f"{mine[0]} is a parameter of WeightedSamplingClassifier; a regressor "
                "predicts values (its loss weights are target_weight=)."
            )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def fit(self, X: Any, y: Any = None, sample_weight: Any = None, **fit_params: Any):
        """Initialise the network and train it on the chosen mix of target values.

        Parameters
        ----------
        X : array-like, tensor, sparse matrix, DataFrame, dict or Dataset
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Finite target values; ``None`` only when ``X`` is a Dataset or a
            stream of ``(input, target)`` rows (:class:`~wsample_sk.WeightedStream`:
            trained on as it comes, weighted by the stream; ``train_split=None``).
        sample_weight : array-like of shape (n_samples,), default=None
            Finite, non-negative weights, at least one positive; they need
            not sum to one.
        **fit_params
            Passed to the module's ``forward`` (skorch's convention).

        Returns
        -------
        self : WeightedSamplingRegressor
        """
        reinitialize = not (self.warm_start and self.initialized_)
        return self._fit(X, y, sample_weight, fit_params, method="fit", reset=reinitialize)

    def partial_fit(
        self, X: Any, y: Any = None, classes: Any = None, sample_weight: Any = None, **fit_params
    ):
        """Train for ``max_epochs`` more epochs without re-initialising.

        Parameters
        ----------
        X, y, sample_weight, **fit_params
            As in :meth:`fit`.
        classes : None
            Unused, as in skorch's ``NeuralNet.partial_fit``.

        Returns
        -------
        self : WeightedSamplingRegressor
        """
        reset = not self.initialized_
        return self._fit(X, y, sample_weight, fit_params, method="partial_fit", reset=reset)

    def predict(self, X: Any) -> np.ndarray:
        """Predicted target values, float64; 1-D when the network has one output.

        Parameters
        ----------
        X : array-like, tensor, sparse matrix, DataFrame, dict or Dataset

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_targets)
        """
        module = getattr(self, "module_", None)
        exact = isinstance(module, MLP)  # the default network predicts in float64
        if exact:
            module.float64_outputs = True
        try:
            y_pred = np.asarray(NeuralNet.predict_proba(self, X), dtype=np.float64)
        finally:
            if exact:
                module.float64_outputs = False
        return y_pred[:, 0] if y_pred.ndim == 2 and y_pred.shape[1] == 1 else y_pred

    @property
    def predict_proba(self):
        """A regressor has no ``predict_proba`` (skorch's ``NeuralNet`` has one)."""
        raise AttributeError(
            "WeightedSamplingRegressor has no predict_proba: it predicts values (predict)."
        )
