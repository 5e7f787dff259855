"""The weight schedule: the one owner of a fit's training weights, epoch by epoch.

:class:`WeightSchedule` is to the training weights what skorch's
``LRScheduler`` is to the learning rate. The classifier creates one per fit,
from the training part alone (validated once, strategy parsed once), and
keeps it as ``weight_schedule_`` while ``fit`` runs. At the start of every
epoch it computes that epoch's weights (again only when they change: a
dynamic strategy, or a factor set by a callback through :meth:`set_factor`),
hands them to its sampler through the sampler's ``weights`` setter, and at
the end of the epoch records what was drawn in ``history``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch.utils.data import Sampler

from ._samplers import PermutationSampler, WeightedSampler
from ._seeding import derive_seed
from ._strategies import Strategy, combine_weights, warn_on_empty_classes
from ._stratified import BalancedBatchSampler, StratifiedSampler
from ._validation import check_samples_per_epoch, check_sampling_weights, relative

__all__ = ["WeightSchedule", "check_labels_known"]


def check_labels_known(codes: np.ndarray | None, *, sampling: Any = None, quotas: bool = False):
    """A strategy or exact quotas need the training rows' labels: say so if they are unknown.

    ``sampling`` is the strategy as the caller named it (``None``: none).
    """
    if codes is not None:
        return
    if quotas:
        raise ValueError(
            "Exact class quotas (sampling_strategy, batch_composition) need the "
            "class labels of the training rows: pass y to fit."
        )
    if sampling is not None:
        raise ValueError(
            f"sampling={sampling!r} needs the class labels of the training "
            "rows: pass y to fit (the targets of this Dataset cannot be read)."
        )


class _EpochDraws(Sampler[int]):
    """The training part's draws: a shuffle for uniform weights, weighted otherwise.

    Both samplers are built at most once; new weights reach the weighted one
    through its ``weights`` setter.
    """

    def __init__(self, n: int, replacement: bool, seed: int) -> None:
        self.n = n
        self.replacement = replacement
        self._seed = seed
        self.shuffle = PermutationSampler(
            n, generator=torch.Generator().manual_seed(derive_seed(seed, "shuffle"))
        )
        self.weighted: WeightedSampler | None = None
        self.stratified: StratifiedSampler | None = None
        self.current: Any = self.shuffle
        self.ordered = False  # iterator_train__shuffle=False: uniform passes in order
        self.last_draw: np.ndarray | None = None

    def use(
        self, weights: np.ndarray | None, num_samples: int, groups: np.ndarray | None = None
    ) -> None:
        if weights is None:
            self.shuffle.num_samples = num_samples
            self.current = self.shuffle
            return
        if self.weighted is None:
            self.weighted = WeightedSampler(
                weights,
                num_samples,
                replacement=self.replacement,
                generator=torch.Generator().manual_seed(derive_seed(self._seed, "draws")),
                groups=groups,
            )
        else:
            self.weighted.groups = groups
            self.weighted.weights = weights
            self.weighted.num_samples = num_samples
        self.current = self.weighted

    def use_quotas(self, sampler: StratifiedSampler) -> None:
        self.stratified = self.current = sampler

    def set_epoch(self, epoch: int) -> None:
        for sampler in (self.shuffle, self.weighted, self.stratified):
            if sampler is not None:
                sampler.set_epoch(epoch)

    # the seeding protocol of the package's samplers, for BatchIndexSampler
    def _next_seed(self) -> list[int] | None:
        return None if self.ordered else self.current._next_seed()

    def _draw_pass(self, seed: list[int] | None) -> np.ndarray:
        if seed is None:
            return self.draw()
        self.last_draw = self.current._draw_pass(seed)
        return self.last_draw

    def draw(self) -> np.ndarray:
        if self.ordered and self.current is self.shuffle:
            self.last_draw = np.arange(self.shuffle.num_samples) % self.n
        else:
            self.last_draw = self.current.draw()
        return self.last_draw

    def __iter__(self):
        if self.ordered and self.current is self.shuffle:
            return iter(self.draw().tolist())
        return iter(self.current)

    def __len__(self) -> int:
        return len(self.current)

    def state_dict(self) -> dict:
        """The states of the samplers this one chooses between."""
        return {
            name: getattr(self, name).state_dict()
            for name in ("shuffle", "weighted", "stratified")
            if getattr(self, name) is not None
        }

    def load_state_dict(self, state: dict) -> None:
        for name, sub in state.items():
            getattr(self, name).load_state_dict(sub)


class WeightSchedule:
    """The training weights of one fit, epoch by epoch: their only owner.

    :class:`~wsample_sk.WeightedSamplingClassifier` builds one per fit from
    the training part and exposes it as ``weight_schedule_`` while ``fit``
    runs, so that callbacks can change the weights through
    :meth:`set_factor` (see :class:`wsample_sk.callbacks.LossReweighting`).

    Parameters
    ----------
    n : int
        Rows in the training part.
    labels : ndarray of shape (n,) or None
        Their labels (``None`` when unknown: then no strategy applies).
    codes : ndarray of shape (n,) or None
        Their positions in ``classes``.
    classes : ndarray of shape (n_classes,) or None
        All classes the model knows, in output order.
    strategy : Strategy or None
        The parsed ``sampling`` parameter.
    sample_weight : ndarray of shape (n,) or None
        The training part's validated ``sample_weight``.
    weight_mode : {"sample", "loss"}
        Apply the weights by drawing or in the loss.
    replacement : bool
        Draw with replacement.
    samples_per_epoch : None, int or float
        Draws per epoch (see the classifier).
    n_epochs : int
        Epochs of the fit (for schedules such as ``"progressive"``).
    seed : int
        Seed of the fit; the draws of epoch ``e`` derive from it and ``e``.

    Attributes
    ----------
    weights : ndarray of shape (n,) or None
        This epoch's weights; ``None`` when they are uniform.
    sampler : torch Sampler
        Yields this epoch's draws (positions in the training part).
    class_counts : ndarray of shape (n_classes,)
        Training rows per class (empty when the labels are unknown).
    class_prior : ndarray of shape (n_classes,)
        Class frequencies in the training part.
    sampling_prior : ndarray of shape (n_classes,)
        The class mix the weights give training this epoch.

    Examples
    --------
    >>> import numpy as np
    >>> from wsample_sk import WeightSchedule, check_sampling
    >>> y = np.array([0, 0, 0, 1])
    >>> schedule = WeightSchedule(4, labels=y, codes=y, classes=np.array([0, 1]),
    ...                           strategy=check_sampling("balanced"), seed=0)
    >>> schedule.begin_epoch(0)
    >>> schedule.sampling_prior
    array([0.5, 0.5])
    """

    def __init__(
        self,
        n: int,
        *,
        labels: np.ndarray | None = None,
        codes: np.ndarray | None = None,
        classes: np.ndarray | None = None,
        strategy: Strategy | None = None,
        sample_weight: np.ndarray | None = None,
        weight_mode: str = "sample",
        replacement: bool = True,
        samples_per_epoch: Any = None,
        n_epochs: int = 1,
        seed: int = 0,
        sampling_strategy: Any = None,
        sampling_type: str = "over-sampling",
        batch_composition: Any = None,
        batch_size: int = 128,
        world: tuple[int, int] = (1, 0),
    ) -> None:
        check_labels_known(
            codes,
            sampling=None if strategy is None else strategy.name,
            quotas=sampling_strategy is not None or batch_composition is not None,
        )
        self.n = n
        self.labels, self.codes, self.classes = labels, codes, classes
        self.strategy = strategy
        self.sample_weight = sample_weight
        self.weight_mode = weight_mode
        self.replacement = replacement
        self.samples_per_epoch = samples_per_epoch
        self.n_epochs = n_epochs
        self.sampler = _EpochDraws(n, replacement, seed)
        self.external = False  # the rows are drawn by a sampler of the user's
        self.weights: np.ndarray | None = None
        self._factor: np.ndarray | None = None
        self._stale = True
        self._first = True
        self._loss_weights: np.ndarray | None = None
        self._batch_rows: np.ndarray | None = None
        self._delivered: list[np.ndarray] = []
        k = 0 if classes is None else len(classes)
        counts = np.bincount(codes, minlength=k) if codes is not None else np.zeros(0, int)
        self.class_counts = counts
        self.class_prior = counts / max(counts.sum(), 1)
        self.sampling_prior = self.class_prior
        self.quotas = sampling_strategy is not None or batch_composition is not None
        self.batch_sampler: BalancedBatchSampler | None = None
        if sampling_strategy is not None:
            stratified = StratifiedSampler(
                labels,
                sampling_strategy,
                sample_weight=sample_weight,
                replacement=replacement,
                generator=torch.Generator().manual_seed(derive_seed(seed, "draws")),
                sampling_type=sampling_type,
            )
            self.sampler.use_quotas(stratified)
            per_class = np.array([stratified.class_counts_.get(c, 0) for c in classes.tolist()])
            self.sampling_prior = per_class / per_class.sum()
        if batch_composition is not None:
            pk = isinstance(batch_composition, tuple)
            self.batch_sampler = BalancedBatchSampler(
                classes[codes],  # labels: errors and batch_counts_ speak of them
                None if pk else batch_size,
                class_shares=_shares_of_present(batch_composition, classes, codes),
                classes_per_batch=batch_composition[0] if pk else None,
                samples_per_class=batch_composition[1] if pk else None,
                sample_weight=sample_weight,
                replacement=replacement,
                generator=torch.Generator().manual_seed(derive_seed(seed, "draws")),
                num_replicas=world[0],
                rank=world[1],
            )
            per_batch = np.zeros(len(classes))
            if pk:
                per_batch[counts > 0] = 1.0
            else:
                position = {c: i for i, c in enumerate(classes.tolist())}
                for label, rows in self.batch_sampler.batch_counts_.items():
                    per_batch[position[label]] = rows
            self.sampling_prior = per_batch / per_batch.sum()

    # -- the weights -------------------------------------------------------
    def set_factor(self, factor: Any) -> None:
        """Multiply the weights by ``factor`` (one per training row) from the next epoch.

        The one way for callbacks to change the weights during ``fit``: the
        factor is validated here and applied at the next epoch's start, in
        either ``weight_mode``.
        """
        if self.quotas:
            raise ValueError(
                "The weights cannot change during training when exact class quotas "
                "(sampling_strategy, batch_composition) decide the draws."
            )
        self._factor = check_sampling_weights(factor, self.n, name="the reweighting factor")
        self._stale = True

    def _strategy_weights(self, epoch: int) -> np.ndarray | None:
        if self.strategy is None:
            return None
        if self.strategy.class_level:
            per_class = self.strategy.class_weights(
                self.classes, self.class_counts, epoch, self.n_epochs
            )
            return per_class[self.codes]
        return self.strategy.weights(self.labels, epoch, self.n_epochs)

    def _compute(self, epoch: int) -> np.ndarray | None:
        weights = combine_weights(self._strategy_weights(epoch), self.sample_weight, self._factor)
        if weights is None:
            return None
        if self._first and self.codes is not None:  # said once, at the first epoch
            warn_on_empty_classes(self.codes, weights, stacklevel=5)
        if not weights.any():  # pragma: no cover (combine_weights raises first)
            raise ValueError("Every training row has weight zero.")
        if np.all(weights == weights[0]):  # constant weights mean no weighting
            return None
        return weights

    def begin_epoch(self, epoch: int) -> None:
        """Compute epoch ``epoch``'s weights (when they change) and seed its draws."""
        if self.quotas:  # the quotas were fixed when the schedule was built
            self.sampler.set_epoch(epoch)
            if self.batch_sampler is not None:
                self.batch_sampler.set_epoch(epoch)
            self._delivered = []
            return
        if self._stale or (self.strategy is not None and self.strategy.dynamic):
            self.weights = self._compute(epoch)
            self._stale = self._first = False
            self._apply()
        self.sampler.set_epoch(epoch)
        self._delivered = []

    def _apply(self) -> None:
        w = self.weights
        if self.codes is not None and len(self.class_prior):
            k = len(self.class_prior)
            mass = np.bincount(self.codes, relative(w), minlength=k) if w is not None else None
            self.sampling_prior = self.class_prior if mass is None else mass / mass.sum()
        num_samples = check_samples_per_epoch(self.samples_per_epoch, self.n)
        if self.weight_mode == "loss":
            self._loss_weights = None
            if w is not None:
                rel = relative(w)
                self._loss_weights = (rel / rel.mean()).astype(np.float32)
            self.sampler.use(None, num_samples)
            return
        if w is not None and (self.external or self.sampler.ordered):
            knob = "iterator_train__sampler" if self.external else "iterator_train__shuffle=False"
            raise ValueError(
                f"{knob} decides which rows are trained on and in what order, so "
                "the sampling weights cannot be applied by drawing; use "
                "weight_mode='loss' to apply them in the loss."
            )
        if not self.replacement:
            positive = self.n if w is None else int(np.count_nonzero(w))
            if self.samples_per_epoch is None:
                num_samples = positive  # a full pass covers the positive weights once
            elif num_samples > positive:
                raise ValueError(
                    f"Cannot draw {num_samples} samples without replacement from "
                    f"{positive} training rows with a positive weight."
                )
        # class-level weights draw in two stages: a class, then a row of it
        class_level = self.strategy is not None and self.strategy.class_level
        plain = class_level and self.sample_weight is None and self._factor is None
        self.sampler.use(w, num_samples, self.codes if plain else None)

    @property
    def factor(self) -> np.ndarray | None:
        """The factor last set by :meth:`set_factor` (``None`` if never set)."""
        return self._factor

    # -- batches -------------------------------------------------------------
    def on_batch(self, rows: np.ndarray) -> None:
        """Note the training rows of the batch about to be used."""
        self._batch_rows = rows
        self._delivered.append(rows)

    def loss_weights(self) -> torch.Tensor | None:
        """Loss weights of the current batch's rows (mean one over the training part)."""
        if self._loss_weights is None or self._batch_rows is None:
            return None
        return torch.from_numpy(self._loss_weights[self._batch_rows])

    @property
    def epoch_draw(self) -> np.ndarray | None:
        """This epoch's draw by the schedule's own sampler, over all ranks.

        In data-parallel training every rank computes this same draw and
        trains on its share of the batches (see :attr:`drawn_rows`).
        """
        return self.sampler.last_draw

    @property
    def drawn_rows(self) -> np.ndarray:
        """The training rows of this epoch's batches so far, in order."""
        if not self._delivered:
            return np.zeros(0, dtype=np.int64)
        return np.concatenate(self._delivered)

    def end_epoch(self, history: Any) -> None:
        """Record what this epoch drew in ``history``.

        ``drawn_class_counts`` (per class, in ``classes_`` order; with known
        labels), ``distinct_share`` (distinct training rows seen / training
        rows) and ``weight_ess`` (Kish's effective sample size of the weights
        in use, as a share of the training rows).
        """
        if not self._delivered:
            return
        drawn = self.drawn_rows
        if self.codes is not None and self.classes is not None:
            counts = np.bincount(self.codes[drawn], minlength=len(self.classes))
            history.record("drawn_class_counts", counts.tolist())
        seen = np.count_nonzero(np.bincount(drawn, minlength=self.n))  # O(n), no sort
        history.record("distinct_share", seen / self.n)
        history.record("weight_ess", self.effective_sample_share())

    def effective_sample_share(self) -> float:
        """Kish's effective sample size of the current weights over the row count."""
        if self.weights is None:
            return 1.0
        rel = relative(self.weights)
        return float(rel.sum() ** 2 / np.square(rel).sum() / self.n)


def _shares_of_present(composition: Any, classes: np.ndarray, codes: np.ndarray) -> Any:
    """``batch_composition``'s shares for the classes this training part holds.

    A dict names labels of the known classes; shares of classes absent from
    the training part (a fold, a ``train_split``) are unused, as for
    ``sampling`` dicts.
    """
    if isinstance(composition, dict):
        known = set(classes.tolist())
        unknown = [c for c in composition if c not in known]
        if unknown:
            raise ValueError(
                f"batch_composition names class(es) {unknown!r} that are not among "
                f"the classes {classes.tolist()!r}."
            )
        present = set(classes[np.unique(codes)].tolist())
        return {c: share for c, share in composition.items() if c in present}
    return "equal" if isinstance(composition, tuple) else composition
