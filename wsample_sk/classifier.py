"""WeightedSamplingClassifier: a skorch classifier trained on weighted draws.

The design, in terms of skorch's hooks:

* ``fit`` validates ``X``, ``y`` and ``sample_weight`` once, encodes the
  labels, turns ``sampling`` and ``sample_weight`` into one weight per sample
  (:func:`wsample_sk.strategies.compute_sampling_weights`) and hands skorch a
  dataset that carries those weights (:mod:`wsample_sk.loading`);
* ``get_split_datasets`` keeps skorch's ``train_split`` and maps each part's
  rows back to their weights, so the sampler sees the training part only;
* ``get_iterator`` builds the training loader from a
  :class:`~wsample_sk.WeightedSampler` (``weight_mode="sample"``) or plain
  shuffling (``weight_mode="loss"``), fetching whole batches at once;
* ``get_loss`` multiplies per-sample losses by the weights in ``"loss"`` mode.

The fit loop itself is skorch's.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.metrics import accuracy_score
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data
from skorch import NeuralNet, NeuralNetClassifier
from skorch.callbacks import EpochScoring
from skorch.dataset import Dataset as SkorchDataset
from skorch.dataset import get_len
from skorch.utils import is_dataset
from torch.utils.data import DataLoader, Subset

from .loading import ArrayDataset, WeightedDataset
from .modules import MLP
from .samplers import BatchIndexSampler, PermutationSampler, WeightedSampler
from .strategies import check_sampling, compute_sampling_weights
from .validation import check_samples_per_epoch, check_sampling_weights

__all__ = ["WeightedSamplingClassifier"]

WEIGHT_MODES = ("sample", "loss")


def _encoded_accuracy(net: Any, X: Any, y_encoded: Any) -> float:
    """Accuracy of ``net`` against encoded targets (skorch's scoring callbacks)."""
    return accuracy_score(np.asarray(y_encoded), net.label_encoder_.transform(net.predict(X)))


def _is_general_input(X: Any) -> bool:
    """A torch Dataset or a dict of arrays: skorch's row-by-row path."""
    return is_dataset(X) or (isinstance(X, dict) and not sp.issparse(X))


def _n_features(x: Any) -> int:
    """Input width of one item (a tensor, or a dict holding one), for the MLP."""
    if isinstance(x, dict):
        if len(x) != 1:
            raise ValueError(
                "The default module takes one input; with a dict of several "
                "inputs pass your own module."
            )
        (x,) = x.values()
    return int(np.shape(x)[-1])


def _data_parallel_world() -> tuple[int, int] | None:
    """(world size, rank) when fit runs in a torch.distributed group of 2+."""
    dist = torch.distributed
    if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
        return dist.get_world_size(), dist.get_rank()
    return None


def _as_is(batch: Any) -> Any:
    return batch


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


@contextlib.contextmanager
def _seeded_torch_rng(seed: int, device: Any) -> Iterator[None]:
    """Seed torch inside a fork of its RNG: the caller's global state is kept."""
    devices = []
    dev = torch.device(device) if device is not None else torch.device("cpu")
    if dev.type == "cuda" and torch.cuda.is_available():
        devices = [dev.index if dev.index is not None else torch.cuda.current_device()]
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        yield


class WeightedSamplingClassifier(NeuralNetClassifier):
    """A scikit-learn classifier that trains a torch network on weighted draws.

    Each epoch draws training samples with probability proportional to their
    weight (``weight_mode="sample"``), or shuffles and weights each sample's
    loss (``weight_mode="loss"``). The weights come from a named strategy
    (``sampling=``), from ``fit(X, y, sample_weight=w)``, or from both
    multiplied. Weights are relative: they do not need to sum to one.

    It is a skorch :class:`~skorch.NeuralNetClassifier`: every skorch
    parameter (``optimizer``, ``lr``, ``callbacks``, ``module__*``,
    ``iterator_train__*``, ``device`` ...) works as documented there.

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
        et al. 2020), a dict ``{class: weight}``, or a callable ``y ->
        weights`` or ``(y, epoch) -> weights`` (one per sample; called every
        epoch). Computed from the labels of the training part; multiplied by
        ``sample_weight`` when both are given.
    beta : float, default=0.999
        β of ``sampling="effective"``, in [0, 1).
    weight_mode : {"sample", "loss"}, default="sample"
        ``"sample"``: draw ``samples_per_epoch`` indices per epoch with
        probability proportional to the weights. ``"loss"``: plain shuffling,
        each sample's loss multiplied by its weight (weights scaled to mean
        one over the training part; the criterion's ``reduction`` is applied
        afterwards).
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
        calibration improves. ``predict`` follows the corrected probabilities.
    random_state : None, int or RandomState, default=None
        Seeds weight initialisation, dropout and the draws. An int gives
        identical results on CPU run to run; torch's global RNG is never
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
        The class labels.
    n_features_in_ : int
        Number of features seen in ``fit`` (array-like ``X``).
    feature_names_in_ : ndarray of str
        Column names, when ``X`` was a DataFrame with string column names.
    label_encoder_ : LabelEncoder
        Maps labels to the network's output positions.
    class_prior_ : ndarray of shape (n_classes,)
        Class frequencies in the data passed to ``fit``.
    sampling_prior_ : ndarray of shape (n_classes,)
        The class mix the weights give training (the drawn mix with
        ``weight_mode="sample"``, the loss mix with ``"loss"``).
    module_, criterion_, optimizer_, history_
        As in skorch. ``history`` also records, per epoch,
        ``drawn_class_counts``, ``distinct_share`` and ``weight_ess``.
    train_sampler_ : BatchIndexSampler
        The training batches' sampler, during ``fit`` only (for callbacks).

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
        beta: float = 0.999,
        weight_mode: str = "sample",
        samples_per_epoch: int | float | None = None,
        replacement: bool = True,
        proba_correction: str | None = None,
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
        self.beta = beta
        self.weight_mode = weight_mode
        self.samples_per_epoch = samples_per_epoch
        self.replacement = replacement
        self.proba_correction = proba_correction
        self.random_state = random_state

    @property
    def _default_callbacks(self):
        # skorch's valid_acc compares predict() with the dataset's targets;
        # here targets are encoded and predict() returns labels.
        return [
            (name, EpochScoring(_encoded_accuracy, name=name, lower_is_better=False))
            if name == "valid_acc"
            else (name, cb)
            for name, cb in super()._default_callbacks
        ]

    # -- scikit-learn plumbing ----------------------------------------------
    def _get_param_names(self) -> list[str]:
        # skorch lists every attribute not ending in "_"; private bookkeeping
        # such as ``_params_to_validate`` is not a parameter.
        return [k for k in super()._get_param_names() if not k.startswith("_")]

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "label_encoder_") and bool(self.initialized_)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = False
        return tags

    @property
    def classes_(self) -> np.ndarray:
        """The class labels, in the order of ``predict_proba``'s columns."""
        try:
            return self.label_encoder_.classes_
        except AttributeError:
            raise AttributeError(
                f"{type(self).__name__} is not fitted yet; it has no classes_."
            ) from None

    def _check_params(self) -> None:
        if self.weight_mode not in WEIGHT_MODES:
            raise ValueError(
                f"weight_mode must be one of {list(WEIGHT_MODES)}; got {self.weight_mode!r}."
            )
        if not isinstance(self.replacement, (bool, np.bool_)):
            raise ValueError(f"replacement must be a bool; got {self.replacement!r}.")
        check_samples_per_epoch(self.samples_per_epoch, 1)
        check_sampling(self.sampling, beta=self.beta)
        if self.proba_correction not in (None, "prior"):
            raise ValueError(
                f"proba_correction must be None or 'prior'; got {self.proba_correction!r}."
            )

    # -- data at the boundary -----------------------------------------------
    def _encode_y(self, y: Any, reset: bool, classes: Any) -> np.ndarray:
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        if reset:
            known = classes if classes is not None else self.classes
            encoder = LabelEncoder().fit(y if known is None else np.asarray(known))
            if len(encoder.classes_) < 2:
                raise ValueError(
                    f"{type(self).__name__} needs samples of at least two "
                    f"classes; got 1 class ({encoder.classes_[0]!r})."
                )
            self.label_encoder_ = encoder
        try:
            return self.label_encoder_.transform(y).astype(np.int64)
        except ValueError as exc:
            raise ValueError(
                f"y contains labels not among the classes {self.classes_.tolist()!r}: {exc}"
            ) from None

    def _fit_dataset(self, X: Any, y: Any, sample_weight: Any, reset: bool, classes: Any):
        general = _is_general_input(X)
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target "
                "y is None (pass the class labels, also when X is a Dataset)."
            )
        if not general:
            X, y = validate_data(self, X, y, reset=reset, dtype=np.float32)
        y_enc = self._encode_y(y, reset, classes)
        if general and get_len(X) != len(y_enc):
            raise ValueError(f"X has {get_len(X)} samples but y has {len(y_enc)}; they must match.")
        if sample_weight is not None:
            sample_weight = check_sampling_weights(sample_weight, len(y_enc))
        loss_mode = self.weight_mode == "loss"
        if not general:
            return ArrayDataset(
                X, y_enc, return_weights=loss_mode, sample_weight=sample_weight
            ), y_enc
        if isinstance(X, dict):
            X = SkorchDataset(X, y_enc)
        elif not np.array_equal(np.asarray(self.classes_), np.arange(len(self.classes_))):
            raise ValueError(
                "With a torch Dataset as X, the labels must be the integers "
                "0 .. n_classes-1 that the dataset yields; got classes "
                f"{self.classes_.tolist()!r}."
            )
        if self.module is None and reset:
            self.n_features_in_ = _n_features(X[0][0])
        return WeightedDataset(
            X, y_enc, return_weights=loss_mode, sample_weight=sample_weight
        ), y_enc

    def _predict_dataset(self, X: Any) -> Any:
        if is_dataset(X):
            return X
        if _is_general_input(X):
            return SkorchDataset(X)
        return ArrayDataset(validate_data(self, X, reset=False, dtype=np.float32))

    def _seed(self, reset: bool) -> int:
        """Seed of this (partial_)fit call; fresh entropy for random_state=None.

        A call that continues training (``partial_fit``, ``warm_start``) is
        offset by the epochs already run, so it does not replay the draws.
        """
        if self.random_state is None:
            return int(np.random.SeedSequence().generate_state(1, np.uint64)[0] >> 1)
        base = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        return base if reset else base + len(self.history_ or ())

    # -- fitting ---------------------------------------------------------------
    def fit(self, X: Any, y: Any, sample_weight: Any = None, **fit_params: Any):
        """Initialise the network and train it on weighted draws.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), DataFrame, dict or Dataset
            Training data. Arrays, tensors and DataFrames are loaded batch by
            batch; a dict of arrays or a torch ``Dataset`` goes through
            skorch's general path.
        y : array-like of shape (n_samples,)
            Class labels (strings, ints or bools).
        sample_weight : array-like of shape (n_samples,), default=None
            Finite, non-negative weights with a positive total; they need not
            sum to one. Multiplied by the ``sampling`` strategy's weights.
        **fit_params
            Passed to the module's ``forward`` (skorch's convention).

        Returns
        -------
        self : WeightedSamplingClassifier
        """
        reset = not (self.warm_start and self.__sklearn_is_fitted__())
        return self._fit(X, y, sample_weight, fit_params, reset=reset, routing="fit")

    def partial_fit(
        self,
        X: Any,
        y: Any,
        classes: Any = None,
        sample_weight: Any = None,
        **fit_params: Any,
    ):
        """Train for ``max_epochs`` more epochs without re-initialising.

        Parameters
        ----------
        X, y, sample_weight, **fit_params
            As in :meth:`fit`.
        classes : array-like, default=None
            All classes, required only if the first batch does not show them
            all.

        Returns
        -------
        self : WeightedSamplingClassifier
        """
        reset = not self.__sklearn_is_fitted__()
        return self._fit(
            X,
            y,
            sample_weight,
            fit_params,
            reset=reset,
            routing="partial_fit",
            classes=classes,
        )

    def _fit(self, X, y, sample_weight, fit_params, *, reset, routing, classes=None):
        self._check_params()
        dataset, y_enc = self._fit_dataset(X, y, sample_weight, reset, classes)
        seed = self._seed(reset)
        replicas = _data_parallel_world()
        if replicas:  # every rank must draw the same batches: rank 0's seed
            shared = [seed]
            torch.distributed.broadcast_object_list(shared, src=0)
            seed = shared[0]
        with _seeded_torch_rng(seed, self.device):
            if reset or not self.initialized_:
                self.initialize()
            if replicas:
                self.module_ = torch.nn.parallel.DistributedDataParallel(self.module_)
            try:
                NeuralNet.partial_fit(self, dataset, y_enc, _routing_method=routing, **fit_params)
            finally:
                # the loader of this fit is not kept (nor pickled) with the model
                vars(self).pop("train_sampler_", None)
                if replicas:
                    self.module_ = self.module_.module
        return self

    def initialize_module(self):
        """Build the module; the default MLP is sized from the fitted data."""
        if self.module is not None:
            return super().initialize_module()
        kwargs = {"n_features": self.n_features_in_, "n_classes": len(self.classes_)}
        kwargs.update(self.get_params_for("module"))
        self.module_ = MLP(**kwargs)
        return self

    def get_split_datasets(self, X: Any, y: Any = None, **fit_params: Any):
        """skorch's split, each part carrying the targets and weights of its rows."""
        dataset_train, dataset_valid = super().get_split_datasets(X, y, **fit_params)
        dataset_train = self._carry_weights(dataset_train)
        ours = (ArrayDataset, WeightedDataset)
        if isinstance(X, ours) and not isinstance(dataset_train, ours):
            raise ValueError(
                "train_split must return torch Subsets of the dataset it is given "
                "(as skorch's ValidSplit does), so that each row keeps its target "
                f"and weight; got a {type(dataset_train).__name__}."
            )
        if dataset_valid is not None:
            dataset_valid = self._carry_weights(dataset_valid)
            if isinstance(dataset_valid, (ArrayDataset, WeightedDataset)):
                dataset_valid.return_weights = False  # validated as is
        return dataset_train, dataset_valid

    @staticmethod
    def _carry_weights(dataset: Any) -> Any:
        if isinstance(dataset, Subset) and isinstance(
            dataset.dataset, (ArrayDataset, WeightedDataset)
        ):
            return dataset.dataset.subset(dataset.indices)
        return dataset

    # -- the training part's weights, epoch by epoch --------------------------
    def training_weights(self, dataset_train: Any, epoch: int = 0) -> np.ndarray | None:
        """Weights of the training part's rows for ``epoch`` (0-based).

        The ``sampling`` strategy computed from the training part's labels,
        times its ``sample_weight``, times any ``weight_factor`` a callback has
        set on the dataset (see :class:`wsample_sk.callbacks.LossReweighting`).
        Also updates ``class_prior_`` and ``sampling_prior_``.

        Parameters
        ----------
        dataset_train : ArrayDataset or WeightedDataset
            The training part, as skorch's callbacks receive it.
        epoch : int, default=0

        Returns
        -------
        weights : ndarray of shape (len(dataset_train),) or None
            ``None`` means uniform.
        """
        targets = dataset_train.targets
        with warnings.catch_warnings():
            if epoch > 0:  # said once, at the first epoch
                warnings.simplefilter("ignore", UserWarning)
            weights = compute_sampling_weights(
                self.classes_[targets],
                self.sampling,
                sample_weight=dataset_train.sample_weight,
                beta=self.beta,
                epoch=epoch,
                n_epochs=self.max_epochs,
            )
        factor = getattr(dataset_train, "weight_factor", None)
        if factor is not None:
            weights = factor if weights is None else weights * factor
        k = len(self.classes_)
        counts = np.bincount(targets, minlength=k).astype(np.float64)
        mass = counts if weights is None else np.bincount(targets, weights, minlength=k)
        if not mass.any():
            raise ValueError(
                "Every sample in the training part has weight zero, so there "
                "is nothing to draw; check sample_weight and train_split."
            )
        self.class_prior_ = counts / counts.sum()
        self.sampling_prior_ = mass / mass.sum()
        return weights

    def _epoch_sampler(self, weights: np.ndarray | None, n: int, generator: Any):
        num_samples = check_samples_per_epoch(self.samples_per_epoch, n)
        if self.weight_mode == "loss" or weights is None:
            if self.weight_mode == "sample" and not self.replacement and num_samples > n:
                raise ValueError(
                    f"Cannot draw {num_samples} samples without replacement "
                    f"from a training part of {n}."
                )
            return PermutationSampler(n, num_samples, generator=generator)
        if self.samples_per_epoch is None and not self.replacement:
            # a full pass without replacement covers the positive weights once
            num_samples = int(np.count_nonzero(weights))
        return WeightedSampler(
            weights, num_samples, replacement=bool(self.replacement), generator=generator
        )

    def use_training_weights(self, dataset_train: Any, weights: np.ndarray | None) -> None:
        """Train on ``weights`` (one per training row) from the next epoch on."""
        if self.weight_mode == "loss":
            dataset_train.weights = None if weights is None else weights / weights.mean()
        batches = getattr(self, "train_sampler_", None)
        if batches is not None:
            batches.sampler = self._epoch_sampler(
                weights, len(dataset_train), batches.sampler.generator
            )

    def on_epoch_begin(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        """skorch's epoch start; re-weights for strategies that change per epoch."""
        super().on_epoch_begin(
            net, dataset_train=dataset_train, dataset_valid=dataset_valid, **kwargs
        )
        epoch = len(self.history) - 1
        strategy = check_sampling(self.sampling, beta=self.beta)
        if epoch > 0 and strategy is not None and strategy.dynamic:
            self.use_training_weights(dataset_train, self.training_weights(dataset_train, epoch))

    def on_epoch_end(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        """Record what the sampler did this epoch in ``history``.

        ``drawn_class_counts`` (per class, in ``classes_`` order),
        ``distinct_share`` (distinct training rows seen / training rows) and
        ``weight_ess`` (Kish's effective sample size of the weights in use,
        as a share of the training rows).
        """
        super().on_epoch_end(
            net, dataset_train=dataset_train, dataset_valid=dataset_valid, **kwargs
        )
        batches = getattr(self, "train_sampler_", None)
        if batches is None or batches.last_indices is None:
            return
        drawn = batches.last_indices
        targets = dataset_train.targets
        n = len(targets)
        self.history.record(
            "drawn_class_counts",
            np.bincount(targets[drawn], minlength=len(self.classes_)).tolist(),
        )
        seen = np.count_nonzero(np.bincount(drawn, minlength=n))  # O(n), no sort
        self.history.record("distinct_share", seen / n)
        inner = batches.sampler
        w = inner.weights.numpy() if isinstance(inner, WeightedSampler) else dataset_train.weights
        ess = n if w is None else w.sum() ** 2 / np.square(w).sum()
        self.history.record("weight_ess", float(ess / n))

    def get_iterator(self, dataset: Any, training: bool = False):
        """Loader for ``dataset``: weighted draws for training, batch-level fetch.

        A user-given ``iterator_*__sampler``/``batch_sampler``, a custom
        iterator class or a dataset that is not one of wsample_sk's falls back
        to skorch's own loader.
        """
        prefix = "iterator_train" if training else "iterator_valid"
        iterator = getattr(self, prefix)
        kwargs = self.get_params_for(prefix)
        if (
            not isinstance(dataset, (ArrayDataset, WeightedDataset))
            or "sampler" in kwargs
            or "batch_sampler" in kwargs
            or not (isinstance(iterator, type) and issubclass(iterator, DataLoader))
        ):
            return super().get_iterator(dataset, training=training)
        batch_size = kwargs.pop("batch_size", self.batch_size)
        if batch_size == -1:
            batch_size = len(dataset)
        kwargs.pop("shuffle", None)  # the sampler decides the order
        drop_last = kwargs.pop("drop_last", False)
        # DataLoader draws a worker base seed per pass; a private generator
        # keeps prediction from consuming torch's global RNG.
        kwargs.setdefault("generator", torch.Generator())
        general = isinstance(dataset, WeightedDataset)
        if training:
            # Drawn from the (forked, seeded) global RNG: reproducible per fit.
            generator = torch.Generator().manual_seed(
                int(torch.empty((), dtype=torch.int64).random_())
            )
            weights = self.training_weights(dataset, epoch=0)
            sampler = self._epoch_sampler(weights, len(dataset), generator)
            world, rank = _data_parallel_world() or (1, 0)
            batches = BatchIndexSampler(
                sampler, batch_size, drop_last, as_lists=general, num_replicas=world, rank=rank
            )
            self.train_sampler_ = batches
            self.use_training_weights(dataset, weights)
        elif general:
            return iterator(dataset, batch_size=batch_size, drop_last=drop_last, **kwargs)
        else:
            batches = BatchIndexSampler(None, batch_size, drop_last, n=len(dataset))
        if general:
            return iterator(dataset, batch_sampler=batches, **kwargs)
        kwargs.setdefault("collate_fn", _as_is)  # batches are tensors already
        return iterator(dataset, sampler=batches, batch_size=None, **kwargs)

    def per_sample_loss(
        self, y_pred: Any, y_true: Any, X: Any = None, training: bool = False
    ) -> torch.Tensor:
        """The criterion's loss of each sample (its ``reduction`` set aside).

        Parameters
        ----------
        y_pred : torch.Tensor
            The module's output for a batch.
        y_true : array-like or torch.Tensor
            Encoded targets of the batch.
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
            return super().get_loss(y_pred, y_true, X=X, training=training)
        finally:
            self.criterion_.reduction = reduction

    def get_loss(self, y_pred: Any, y_true: Any, X: Any = None, training: bool = False):
        """The criterion's loss; per-sample weighted in ``weight_mode="loss"``."""
        if not (isinstance(y_true, (tuple, list)) and len(y_true) == 2):
            return super().get_loss(y_pred, y_true, X=X, training=training)
        y_true, weights = y_true
        losses = self.per_sample_loss(y_pred, y_true, X=X, training=training)
        losses = losses * weights.to(losses.device, losses.dtype)
        return losses.sum() if self.criterion_.reduction == "sum" else losses.mean()

    # -- prediction ------------------------------------------------------------
    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, columns in the order of ``classes_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), dict or Dataset

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes), float64
        """
        check_is_fitted(self)
        proba = np.asarray(super().predict_proba(self._predict_dataset(X)), np.float64)
        if self.proba_correction == "prior":
            # classes never drawn keep their (untrained) probability as is
            drawn = self.sampling_prior_ > 0
            proba[:, drawn] *= self.class_prior_[drawn] / self.sampling_prior_[drawn]
        return proba / proba.sum(axis=1, keepdims=True)

    def predict(self, X: Any) -> np.ndarray:
        """Predicted class labels (from ``classes_``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), dict or Dataset

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        proba = self.predict_proba(X)
        return self.classes_[proba.argmax(axis=1)]
