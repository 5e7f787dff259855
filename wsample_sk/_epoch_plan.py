"""One fit's plan of the class mix, epoch by epoch: the draws, the loss weights, the record.

:class:`EpochPlan` is built once per fit from the training part
(:class:`TrainingPart`, validated by the classifier) and the canonical specs
of ``sampling`` and ``class_weight`` (:mod:`wsample_sk.sampling`). At the start
of every epoch it computes that epoch's draw weights and loss weights (again
only when they change), hands the draw weights to its sampler, and at the end
of the epoch records what was drawn and the class mix trained on in
``history``. It is owned by :class:`~wsample_sk.callbacks.ClassMixSchedule`.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch.utils.data import Sampler

from ._samplers import PermutationSampler, WeightedSampler
from ._seeding import derive_seed
from ._strategies import (
    Strategy,
    combine_weights,
    first_weighted_epoch,
    make_strategy,
    warn_on_empty_classes,
)
from ._stratified import BalancedBatchSampler, StratifiedSampler
from ._validation import check_samples_per_epoch, check_sampling_weights, relative
from .sampling import (
    DENSITY_DEFAULTS,
    BatchComposition,
    ClassQuotas,
    LossWeights,
    WeightedDraws,
)

__all__ = ["EpochPlan", "TrainingPart", "refuse_density"]


@dataclass
class TrainingPart:
    """What the classifier validated about the training rows of one fit.

    Parameters
    ----------
    n : int
        Rows in the training part.
    labels, codes : ndarray of shape (n,) or None
        Their labels and output positions (``None`` when unknown).
    classes : ndarray of shape (n_classes,) or None
        Every class of the model, in output order.
    sample_weight : ndarray of shape (n,) or None
        The validated ``sample_weight`` of the training rows.
    seed : int
        The fit's seed; the draws of epoch ``e`` derive from it and ``e``.
    indicator : sparse matrix of shape (n, n_labels) or None
        Multi-label targets (then ``labels`` and ``codes`` are ``None``).
    kind : TargetKind or None
        The kind of target (``wsample_sk._target_kind``), which chooses the plan.
    """

    n: int
    labels: np.ndarray | None
    codes: np.ndarray | None
    classes: np.ndarray | None
    sample_weight: np.ndarray | None
    seed: int
    indicator: Any = None
    kind: Any = None


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


class EpochPlan:
    """The class mix of one fit, epoch by epoch: draws, loss weights and record.

    Parameters
    ----------
    part : TrainingPart
        The training rows.
    sampling : WeightedDraws, ClassQuotas, BatchComposition or None
        Canonical ``sampling_`` (see :func:`wsample_sk.sampling.check_sampling`).
    class_weight : LossWeights or None
        Canonical ``class_weight_`` (a regressor's ``target_weight_``).
    sample_weight_in : {"sampling", "loss"}
        Where ``sample_weight`` (and a callback's factor) goes.
    length : int
        Epochs of the schedule (``"progressive"``, fractions of ``"deferred"``).
    batch_size : int
        Rows per batch (for :class:`~wsample_sk.sampling.BatchComposition`).
    world : (int, int)
        Data-parallel world size and rank.

    Examples
    --------
    >>> import numpy as np
    >>> from wsample_sk._epoch_plan import EpochPlan, TrainingPart
    >>> from wsample_sk.sampling import check_sampling
    >>> y = np.array([0, 0, 0, 1])
    >>> part = TrainingPart(4, y, y, np.array([0, 1]), None, seed=0)
    >>> plan = EpochPlan(part, check_sampling("balanced"), None, length=10)
    >>> plan.begin_epoch(0)
    >>> plan.sampling_prior
    array([0.5, 0.5])
    """

    def __init__(
        self,
        part: TrainingPart,
        sampling: Any,
        class_weight: LossWeights | None,
        *,
        sample_weight_in: str = "sampling",
        length: int = 1,
        batch_size: int = 128,
        world: tuple[int, int] = (1, 0),
    ) -> None:
        self.part = part
        self.n, self.codes, self.classes = part.n, part.codes, part.classes
        self.class_weight_spec = class_weight
        self._check_spec(sampling)
        self.length = max(int(length), 1)
        in_loss = sample_weight_in == "loss"
        if sampling is None and part.sample_weight is not None and not in_loss:
            sampling = WeightedDraws(None)  # sample_weight alone weights the draws
        self.sampling, self.class_weight = sampling, class_weight
        self.draw_weight = None if in_loss else part.sample_weight
        self.loss_weight = part.sample_weight if in_loss else None
        self.factor_in_loss = in_loss
        self.quotas = isinstance(sampling, (ClassQuotas, BatchComposition))
        self.draws = make_strategy(sampling) if isinstance(sampling, WeightedDraws) else None
        self.losses = make_strategy(class_weight, "class_weight") if class_weight else None
        # with replacement unless asked otherwise (quotas choose rows themselves)
        self.replacement = getattr(sampling, "replacement", None) is not False
        self.sampler = _EpochDraws(self.n, self.replacement, part.seed)
        self.external = False  # the rows are drawn by a sampler of the user's
        self.weights: np.ndarray | None = None  # this epoch's draw weights
        self._loss: np.ndarray | None = None  # this epoch's loss weights (mean one)
        self._factor: np.ndarray | None = None
        self._stale = True
        self._first = True
        self._batch_rows: np.ndarray | None = None
        self._delivered: list[np.ndarray] = []
        counts = self._count_classes()
        self.class_counts = counts
        self.class_prior = counts / max(counts.sum(), 1)
        self.sampling_prior = self.class_prior
        self._quota_mix: np.ndarray | None = None
        self._grain = 0.0  # the share of one row in an epoch's quotas or a batch
        self.criterion_weights: np.ndarray | None = None  # the criterion's own, per class
        self.batch_sampler: BalancedBatchSampler | None = None
        if isinstance(sampling, ClassQuotas):
            self._quota_mix = self._use_quotas(sampling)
        elif isinstance(sampling, BatchComposition):
            self._quota_mix = self._use_composition(sampling, batch_size, world)

    #: what ``history`` calls the drawn rows per class
    _drawn_key = "drawn_class_counts"
    #: the estimator's parameter that weighs the loss, for messages
    _loss_lever = "class_weight"

    def _check_spec(self, sampling: Any) -> None:
        refuse_density(sampling, self.class_weight_spec)
        if getattr(sampling, "label_rule", None) is not None:
            raise ValueError(
                f"sampling={sampling!r}: label_rule applies to multi-label targets only; "
                "y holds one label per row."
            )

    def _count_classes(self) -> np.ndarray:
        """Training rows per class (empty when the labels are unknown)."""
        if self.codes is None or self.classes is None:
            return np.zeros(0, dtype=np.int64)
        return np.bincount(self.codes, minlength=len(self.classes))

    def training_targets(self) -> torch.Tensor | None:
        """The training rows' targets as the criterion takes them (``None``: unknown)."""
        return None if self.codes is None else torch.as_tensor(self.codes)

    # -- exact quotas ---------------------------------------------------------
    def _generator(self) -> torch.Generator:
        return torch.Generator().manual_seed(derive_seed(self.part.seed, "draws"))

    def _use_quotas(self, spec: ClassQuotas) -> np.ndarray:
        if np.count_nonzero(self.class_counts) < 2:  # a chunk of one class: nothing to balance
            return self.class_prior
        strategy = spec.sampling_strategy
        if callable(strategy):
            strategy = _returning_a_dict(strategy, spec)
        elif isinstance(strategy, Mapping):
            strategy = _counts_of_present(spec, self.classes, self.part.labels)
        try:
            stratified = StratifiedSampler(
                self.part.labels,
                strategy,
                sample_weight=self.draw_weight,
                replacement=spec.replacement,
                generator=self._generator(),
                sampling_type=spec.sampling_type,
            )
        except ValueError as exc:
            raise ValueError(f"sampling={spec!r} cannot hold its class quotas: {exc}") from None
        self.sampler.use_quotas(stratified)
        self._grain = 1.0 / max(len(stratified), 1)
        per_class = np.array(
            [stratified.class_counts_.get(c, 0) for c in self.classes.tolist()], dtype=float
        )
        if not per_class.any():
            raise ValueError(
                f"sampling={spec!r} gives every class a quota of zero: nothing would be drawn."
            )
        return per_class / per_class.sum()

    def _use_composition(
        self, spec: BatchComposition, batch_size: int, world: tuple[int, int]
    ) -> np.ndarray:
        classes, codes = self.classes, self.codes
        self.batch_sampler = BalancedBatchSampler(
            classes[codes],  # labels: errors and batch_counts_ speak of them
            None if spec.pk else batch_size,
            class_shares=_shares_of_present(spec, classes, codes),
            classes_per_batch=spec.classes_per_batch,
            samples_per_class=spec.samples_per_class,
            sample_weight=self.draw_weight,
            replacement=spec.replacement,
            generator=self._generator(),
            num_replicas=world[0],
            rank=world[1],
        )
        self._grain = 1.0 / self.batch_sampler.batch_size
        per_batch = np.zeros(len(classes))
        if spec.pk:
            per_batch[self.class_counts > 0] = 1.0
        else:
            position = {c: i for i, c in enumerate(classes.tolist())}
            for label, rows in self.batch_sampler.batch_counts_.items():
                per_batch[position[label]] = rows
        return per_batch / per_batch.sum()

    # -- the schedule ---------------------------------------------------------
    def warn_unreachable(self) -> None:
        """Warn when a deferred start lies beyond the schedule's last epoch."""
        for spec, name in ((self.sampling, "sampling"), (self.class_weight, "class_weight")):
            if getattr(spec, "schedule", None) != "deferred":
                continue
            first = first_weighted_epoch(spec.start_, self.length)
            if first >= self.length:
                warnings.warn(
                    f"{name}={spec!r} turns on at epoch {first}, but the "
                    f"schedule has {self.length} epochs (0..{self.length - 1}): its weights "
                    "never apply. Lower start or raise max_epochs.",
                    UserWarning,
                    stacklevel=2,
                )

    def balanced_from(self) -> int:
        """The first epoch at which every schedule has reached its full weights."""
        epoch = 0
        for spec in (self.sampling, self.class_weight):
            schedule = getattr(spec, "schedule", "constant")
            if schedule == "deferred":
                epoch = max(epoch, first_weighted_epoch(spec.start_, self.length))
            elif schedule == "progressive":
                epoch = max(epoch, self.length - 1)
        return epoch

    def warn_on_double_correction(self) -> None:
        """Warn when the draws and the loss both re-weight the classes (at the schedule's end).

        Judged on this training part: a dict of equal weights, or quotas equal
        to the natural counts, do not change the class mix.
        """
        draws, loss = self._rebalancing(self.length - 1)
        if draws and loss:
            lever = f"{self._loss_lever}={self.class_weight!r}"
            if self.class_weight is None:
                lever = "the criterion's own class weights"
            warnings.warn(
                f"sampling={self.sampling!r} and {lever} both "
                "correct for the imbalance, so it is corrected twice (the loss sees the "
                "rare rows over-weighted). Use one of them unless that is what you want.",
                UserWarning,
                stacklevel=2,
            )

    def _rebalancing(self, epoch: int) -> tuple[bool, bool]:
        """Whether the draws, and the loss, change the class mix at ``epoch``."""
        spe = getattr(self.sampling, "samples_per_epoch", None)
        if self._quota_mix is not None:  # whole rows per epoch or batch: up to rounding
            draws = not np.allclose(self._quota_mix, self.class_prior, rtol=0, atol=self._grain)
        elif not self.replacement and spe is None:  # a full pass: the weights set the order
            draws = False
        else:
            draws = self._uneven(self.draws, epoch)
        criterion = self.criterion_weights
        present = self.class_counts > 0
        own = criterion is not None and not np.allclose(criterion[present], criterion[present][0])
        return draws, own or self._uneven(self.losses, epoch)

    def _uneven(self, strategy: Strategy | None, epoch: int) -> bool:
        if strategy is None or not strategy.class_level or self.classes is None:
            return False
        present = self.class_counts > 0
        per_class = strategy.class_weights(self.classes, self.class_counts, epoch, self.length)
        return not np.allclose(per_class[present], per_class[present][0])

    def weigh_classes_in_loss(self, weights: np.ndarray | None) -> None:
        """The criterion's own class weights (see ``_criteria.loss_class_weights``), counted
        in the class mix the loss sees (``sampling_prior``)."""
        self.criterion_weights = weights
        self._stale = True

    def set_factor(self, factor: Any) -> None:
        """Multiply the weights by ``factor`` (one per training row) from the next epoch.

        The one way for callbacks to change the weights during ``fit``; the
        factor goes where ``sample_weight`` goes (the draws, or the loss with
        ``sample_weight_in="loss"``).
        """
        if self.quotas and not self.factor_in_loss:
            raise ValueError(
                "The draw weights cannot change during training when exact class quotas "
                f"(sampling={self.sampling!r}) decide the draws; use "
                "sample_weight_in='loss' to re-weight the loss instead."
            )
        self._factor = check_sampling_weights(factor, self.n, name="the reweighting factor")
        self._stale = True

    @property
    def factor(self) -> np.ndarray | None:
        """The factor last set by :meth:`set_factor` (``None`` if never set)."""
        return self._factor

    def _strategy_weights(self, strategy: Strategy | None, epoch: int) -> np.ndarray | None:
        if strategy is None:
            return None
        if strategy.class_level:
            per_class = strategy.class_weights(self.classes, self.class_counts, epoch, self.length)
            return per_class[self.codes]
        return strategy.weights(self.part.labels, epoch, self.length)

    def _class_loss_weights(self, epoch: int) -> np.ndarray | None:
        """Per-row loss weights from ``class_weight`` at ``epoch`` (``None``: none)."""
        return self._strategy_weights(self.losses, epoch)

    def _product(self, *factors: np.ndarray | None) -> np.ndarray | None:
        weights = combine_weights(*factors)
        if weights is None:
            return None
        if not weights.any():
            raise ValueError(
                "The weights are zero for every training row (sampling or class_weight "
                "times sample_weight); at least one must be positive."
            )
        if self._first and self.codes is not None:  # said once, at the first epoch
            warn_on_empty_classes(self.codes, weights, stacklevel=6)
        if np.all(weights == weights[0]):  # constant weights mean no weighting
            return None
        return weights

    def _dynamic(self) -> bool:
        return any(s is not None and s.dynamic for s in (self.draws, self.losses))

    def begin_epoch(self, epoch: int) -> None:
        """Compute epoch ``epoch``'s weights (when they change) and seed its draws."""
        if self._stale or self._dynamic():
            draw_factor = None if self.factor_in_loss else self._factor
            loss_factor = self._factor if self.factor_in_loss else None
            if not self.quotas:
                self.weights = self._product(
                    self._strategy_weights(self.draws, epoch), self.draw_weight, draw_factor
                )
            loss = self._product(self._class_loss_weights(epoch), self.loss_weight, loss_factor)
            self._loss = None if loss is None else relative(loss) / relative(loss).mean()
            self._stale = self._first = False
            if not self.quotas:
                self._apply()
            self.sampling_prior = self._expected_mix()
        self.sampler.set_epoch(epoch)
        if self.batch_sampler is not None:
            self.batch_sampler.set_epoch(epoch)
        self._delivered = []

    def _expected_mix(self) -> np.ndarray:
        """The class mix the loss sees: draw probability times loss weight, per class."""
        if self.codes is None or not len(self.class_prior):
            return self.class_prior
        k = len(self.class_prior)
        loss = np.ones(self.n) if self._loss is None else self._loss
        if self._quota_mix is not None:
            within = np.ones(self.n) if self.draw_weight is None else relative(self.draw_weight)
            tot = np.bincount(self.codes, within, minlength=k)
            share = np.divide(
                within, tot[self.codes], out=np.zeros(self.n), where=tot[self.codes] > 0
            )
            draw = self._quota_mix[self.codes] * share
        else:
            draw = self._draw_mass()
        return self._mix(np.bincount(self.codes, draw * loss, minlength=k))

    def _mix(self, mass: np.ndarray) -> np.ndarray:
        """Per-class mass of the draws and row loss weights, times the criterion's own
        class weights, as shares."""
        if self.criterion_weights is not None:
            mass = mass * self.criterion_weights
        return mass / mass.sum()

    @property
    def _one_pass(self) -> bool:
        """Weighted draws without replacement: each row with a positive weight at most once
        (a full pass when ``samples_per_epoch`` is not set: the weights only set the order)."""
        return self.weights is not None and not self.replacement

    def _draw_mass(self) -> np.ndarray:
        """Each row's expected share of the draws (a full pass: once each, if positive)."""
        if self.weights is None:
            return np.ones(self.n)
        if self._one_pass:
            return (self.weights > 0).astype(np.float64)
        return relative(self.weights)

    def _apply(self) -> None:
        w = self.weights
        spe = getattr(self.sampling, "samples_per_epoch", None)
        num_samples = check_samples_per_epoch(spe, self.n)
        if w is not None and (self.external or self.sampler.ordered):
            knob = "iterator_train__sampler" if self.external else "iterator_train__shuffle=False"
            raise ValueError(
                f"{knob} decides which rows are trained on and in what order, so "
                "the sampling weights cannot be applied by drawing; use "
                f"sample_weight_in='loss' (or {self._loss_lever}=) to apply them in the loss."
            )
        if w is None:
            self.sampler.use(None, num_samples)
            return
        if not self.replacement:
            positive = int(np.count_nonzero(w))
            if spe is None:
                num_samples = positive  # a full pass covers the positive weights once
            elif num_samples > positive:
                raise ValueError(
                    f"Cannot draw {num_samples} samples without replacement from "
                    f"{positive} training rows with a positive weight."
                )
        # class-level weights draw in two stages: a class, then a row of it
        plain = (
            self.draws is not None
            and self.draws.class_level
            and self.draw_weight is None
            and (self._factor is None or self.factor_in_loss)
        )
        self.sampler.use(w, num_samples, self.codes if plain else None)

    # -- batches -------------------------------------------------------------
    def on_batch(self, rows: np.ndarray) -> None:
        """Note the training rows of the batch about to be used."""
        self._batch_rows = rows
        self._delivered.append(rows)

    def loss_weights(self) -> torch.Tensor | None:
        """Loss weights of the current batch's rows (mean one over the training part)."""
        if self._loss is None or self._batch_rows is None:
            return None
        return torch.from_numpy(self._loss[self._batch_rows].astype(np.float32))

    @property
    def epoch_draw(self) -> np.ndarray | None:
        """This epoch's draw by the plan's own sampler, over all ranks."""
        return self.sampler.last_draw

    @property
    def drawn_rows(self) -> np.ndarray:
        """The training rows of this epoch's batches so far, in order."""
        if not self._delivered:
            return np.zeros(0, dtype=np.int64)
        return np.concatenate(self._delivered)

    def end_epoch(self, history: Any) -> None:
        """Record what this epoch drew, and the class mix trained on, in ``history``.

        ``drawn_class_counts`` (per class, in ``classes_`` order),
        ``distinct_share`` (distinct training rows seen / training rows),
        ``weight_ess`` (Kish's effective sample size of the draw weights, as
        a share of the rows), ``class_prior`` and ``sampling_prior`` (with a
        sampler of the user's: the mix it actually drew).
        """
        drawn = self.drawn_rows
        known = self.codes is not None and self.classes is not None
        if known and len(drawn):
            counts = np.bincount(self.codes[drawn], minlength=len(self.classes))
            history.record(self._drawn_key, counts.tolist())
            # the user's sampler, or part of a pass without replacement (whose inclusion
            # probabilities are not the weights'): the mix is what was drawn
            partial = self._one_pass and getattr(self.sampling, "samples_per_epoch", None)
            if self.external or partial:
                loss = np.ones(self.n) if self._loss is None else self._loss
                mass = np.bincount(self.codes[drawn], loss[drawn], minlength=len(self.classes))
                self.sampling_prior = self._mix(mass)
        if len(drawn):
            seen = np.count_nonzero(np.bincount(drawn, minlength=self.n))  # O(n), no sort
            history.record("distinct_share", seen / self.n)
            history.record("weight_ess", self.effective_sample_share())
        if known:
            history.record("class_prior", self.class_prior.tolist())
            history.record("sampling_prior", self.sampling_prior.tolist())

    def effective_sample_share(self) -> float:
        """Kish's effective sample size of the current draw weights over the row count."""
        if self.weights is None:
            return 1.0
        rel = relative(self.weights)
        return float(rel.sum() ** 2 / np.square(rel).sum() / self.n)


def refuse_density(*specs: Any) -> None:
    """Target densities (``"denseweight"``, ``bins`` ...) belong to continuous targets."""
    names = ("sampling", "class_weight")
    for name, spec in zip(names, specs, strict=True):
        if getattr(spec, "weights", None) == "denseweight":
            raise ValueError(
                f"{name}={spec!r}: 'denseweight' weighs rare values of a continuous target "
                "(WeightedSamplingRegressor); class labels have 'balanced', 'sqrt', "
                "'effective'."
            )
        given = [f for f in DENSITY_DEFAULTS if getattr(spec, f, None) is not None]
        if given:
            raise ValueError(
                f"{name}__{given[0]} smooths the histogram of a continuous target "
                "(WeightedSamplingRegressor); it does not apply to class labels."
            )


def _counts_of_present(spec: ClassQuotas, classes: np.ndarray, labels: np.ndarray) -> dict:
    """A quota dict for the classes this training part holds (a chunk may lack some).

    A class the model does not know at all is an error (a typo); one it knows
    but this part lacks (a fold, a ``partial_fit`` chunk) has no rows to draw.
    """
    known = set(classes.tolist())
    unknown = [c for c in spec.sampling_strategy if c not in known]
    if unknown:
        raise ValueError(
            f"sampling={spec!r} names class(es) {unknown!r} that are not among the "
            f"classes {classes.tolist()!r}."
        )
    present = set(np.unique(labels).tolist())
    return {c: n for c, n in spec.sampling_strategy.items() if c in present}


def _returning_a_dict(func: Any, spec: ClassQuotas) -> Any:
    """A quota callable whose result is checked to be ``{class: count}``."""

    def checked(y):
        counts = func(y)
        if not isinstance(counts, Mapping):
            raise ValueError(
                f"The sampling_strategy callable of sampling={spec!r} must return a dict "
                f"{{class: count}}; it returned a {type(counts).__name__}: {counts!r}."
            )
        return counts

    return checked


def _shares_of_present(spec: BatchComposition, classes: np.ndarray, codes: np.ndarray) -> Any:
    """A :class:`~wsample_sk.sampling.BatchComposition`'s shares for the classes present.

    A dict names labels of the known classes; shares of classes absent from
    the training part (a fold, a ``train_split``) are unused, as for
    ``sampling`` dicts.
    """
    composition = spec.shares
    if spec.pk:
        return "equal"
    if isinstance(composition, dict):
        known = set(classes.tolist())
        unknown = [c for c in composition if c not in known]
        if unknown:
            raise ValueError(
                f"sampling={spec!r} names class(es) {unknown!r} that are not among "
                f"the classes {classes.tolist()!r}."
            )
        present = set(classes[np.unique(codes)].tolist())
        left_out = sorted(present - set(composition), key=str)
        if left_out:
            warnings.warn(
                f"sampling={spec!r} gives no share to class(es) {left_out!r} of the "
                "training part: their rows are never drawn.",
                UserWarning,
                stacklevel=4,
            )
        return {c: share for c, share in composition.items() if c in present}
    return composition
