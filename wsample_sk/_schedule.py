"""The class-mix schedule: a skorch callback that owns a fit's draws and loss weights.

:class:`ClassMixSchedule` is to the mix of training what skorch's
``LRScheduler`` is to the learning rate. Both estimators register one among
their default callbacks (``callbacks__class_mix``); it owns the fit's
:class:`~wsample_sk._epoch_plan.EpochPlan` (the target kind's plan: per
class, per label, or per bin of a continuous target) and drives it from
skorch's callback hooks:

* :meth:`~ClassMixSchedule.start` builds the plan when the estimator
  builds the training loader (before the first epoch), from the training
  part and the canonical specs of ``sampling`` and the loss weights
  (``class_weight`` / ``target_weight``); the schedule's length continues
  that of a restored history, or is ``callbacks__class_mix__epochs``;
* ``on_epoch_begin`` sets the epoch's weights and hands the criteria the
  class mix they train on;
* ``on_epoch_end`` records the drawn class counts, the class mix trained on
  (``sampling_prior``), ``class_prior`` and the schedule's length
  (``class_mix_epochs``) in ``history``, so that checkpoints carry them.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

from skorch.callbacks import Callback

from . import _parallel
from ._criteria import Criteria
from ._epoch_plan import EpochPlan, TrainingPart
from ._strategies import first_weighted_epoch
from ._validation import check_count

__all__ = ["ClassMixSchedule", "StopOnNonFiniteLoss", "find_class_mix"]


class ClassMixSchedule(Callback):
    """Draws and loss weights of a fit, epoch by epoch (a default callback).

    :class:`~wsample_sk.WeightedSamplingClassifier` registers it as
    ``"class_mix"``; the class mix itself is the classifier's ``sampling=``
    and ``class_weight=``. Removing it (``callbacks="disable"`` or
    ``callbacks__class_mix=None``) is allowed only when no lever needs it:
    training then iterates as skorch's does.

    The position is the epoch (``len(history) - 1``). The length (of
    ``"progressive"``, and the fractions of ``"deferred"``) is ``epochs``
    if given, else ``max_epochs`` of the fit that started the schedule; it
    is recorded in ``history`` as ``class_mix_epochs``. ``partial_fit``,
    ``warm_start`` and ``Checkpoint`` + ``LoadInitState`` therefore continue
    the same schedule, and a resumed fit with a fixed ``random_state`` ends
    with the same parameters as an uninterrupted one. Training a stream one
    ``partial_fit`` (or ``warm_start`` fit) at a time, set ``epochs`` to the
    number of epochs the whole stream trains for
    (``callbacks__class_mix__epochs=50``). A fit that stops early
    (``EarlyStopping``) before the schedule reaches its full weights warns.

    Parameters
    ----------
    epochs : int, default=None
        The schedule's length in epochs; ``None``: ``max_epochs`` of the fit
        that starts it.

    Attributes
    ----------
    plan_ : EpochPlan or None
        The running fit's plan (``None`` outside ``fit``).
    criteria_ : Criteria or None
        The running fit's criteria, fed every epoch (``None`` outside ``fit``).

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from wsample_sk import WeightedSamplingClassifier
    >>> X, y = make_classification(200, weights=[0.9], random_state=0)
    >>> clf = WeightedSamplingClassifier(sampling="progressive", max_epochs=3,
    ...                                  random_state=0).fit(X, y)
    >>> [round(row["sampling_prior"][1], 2) for row in clf.history]
    [0.1, 0.3, 0.5]
    >>> clf.history[-1, "class_mix_epochs"]
    3
    """

    #: how :func:`find_class_mix` recognises it (also across a re-imported module)
    owns_class_mix = True

    def __init__(self, epochs: int | None = None) -> None:
        self.epochs = epochs

    def initialize(self) -> ClassMixSchedule:
        if self.epochs is not None:
            check_count(self.epochs, "callbacks__class_mix__epochs")
        self.plan_: EpochPlan | None = None
        self.criteria_: Criteria | None = None
        self.first_epoch_: int = 0
        return self

    def on_train_begin(self, net: Any, X: Any = None, y: Any = None, **kwargs: Any) -> None:
        self.plan_ = None
        self.first_epoch_ = len(net.history)

    def start(
        self,
        part: TrainingPart,
        sampling: Any = None,
        loss_weights: Any = None,
        *,
        criteria: Criteria,
        history: Any,
        max_epochs: int,
        batch_size: int,
        sample_weight_in: str,
    ) -> EpochPlan:
        """Build this fit's plan (the estimator calls this once, before the first epoch).

        From the training part, the canonical specs of ``sampling`` and the
        loss weights, the net's criteria (fed with what they need of the
        training part, and every epoch with its mix), the history so far
        (a continued fit continues its schedule), the fit's ``max_epochs``,
        the training batch size and ``sample_weight_in``.
        """
        epochs_done = len(history)
        recorded = [row["class_mix_epochs"] for row in history if "class_mix_epochs" in row]
        if self.epochs is not None:
            length = self.epochs
        else:
            length = recorded[-1] if recorded else epochs_done + max_epochs
        self.kind_, self.criteria_ = part.kind, criteria
        self.plan_ = part.kind.plan(
            part,
            sampling,
            loss_weights,
            sample_weight_in=sample_weight_in,
            length=length,
            batch_size=batch_size,
            world=_parallel.world(),
        )
        self.plan_.warn_unreachable()
        part.kind.feed_criteria(criteria, self.plan_)
        self.plan_.warn_on_double_correction()
        self._warn_if_over(epochs_done, recorded)
        return self.plan_

    def _warn_if_over(self, epochs_done: int, recorded: list) -> None:
        """A continued fit (partial_fit, warm_start) past a schedule that moves: say so."""
        moves = any(
            getattr(spec, "schedule", "constant") != "constant"
            for spec in (self.plan_.sampling, self.plan_.class_weight)
        )
        if moves and self.epochs is None and recorded and epochs_done >= self.plan_.length:
            warnings.warn(
                f"This fit continues at epoch {epochs_done} a class-mix schedule of "
                f"{self.plan_.length} epochs (max_epochs of the fit that started it), which "
                "is over: it trains at the schedule's full weights. For a stream of "
                "partial_fit (or warm_start) calls, set callbacks__class_mix__epochs to the "
                "epochs of the whole stream.",
                UserWarning,
                stacklevel=2,
            )

    def on_epoch_begin(self, net: Any, **kwargs: Any) -> None:
        if self.plan_ is None:
            return
        self.plan_.begin_epoch(len(net.history) - 1)
        self.kind_.begin_epoch(self.criteria_, self.plan_)

    def on_epoch_end(self, net: Any, **kwargs: Any) -> None:
        if self.plan_ is None:
            return
        self.plan_.end_epoch(net.history)
        net.history.record("class_mix_epochs", self.plan_.length)
        net.history.record("target_kind", self.kind_.name)  # a restore predicts as fitted

    def on_train_end(self, net: Any, X: Any = None, y: Any = None, **kwargs: Any) -> None:
        plan, self.plan_ = self.plan_, None  # predict and resume read history and criteria
        self.criteria_ = None
        if plan is None:
            return
        trained = len(net.history) - self.first_epoch_
        last, balanced = len(net.history) - 1, plan.balanced_from()
        if trained < net.max_epochs and last < balanced:
            warnings.warn(
                f"Training stopped at epoch {last} of {self.first_epoch_ + net.max_epochs} "
                f"(early stopping?), before the class-mix schedule reaches its full weights at "
                f"epoch {balanced} (sampling={plan.sampling!r}, "
                f"{plan._loss_lever}={plan.class_weight!r}): the balanced phase "
                f"{'never ran' if self._never_weighted(plan, last) else 'was cut short'}. "
                "Start it earlier, or shorten it with callbacks__class_mix__epochs.",
                UserWarning,
                stacklevel=2,
            )

    @staticmethod
    def _never_weighted(plan: EpochPlan, last: int) -> bool:
        deferred = [
            first_weighted_epoch(spec.start_, plan.length)
            for spec in (plan.sampling, plan.class_weight)
            if getattr(spec, "schedule", None) == "deferred"
        ]
        return bool(deferred) and last < min(deferred)

    def __getstate__(self) -> dict:
        # a net pickled during fit (Checkpoint(f_pickle=...)) leaves the plan behind
        state = dict(self.__dict__)
        state["plan_"] = state["criteria_"] = None
        return state


class StopOnNonFiniteLoss(Callback):
    """Stop ``fit`` when a training loss is NaN or infinite (a default callback).

    Registered as ``"finite_loss"``. A diverged fit otherwise trains on, and
    ends with a model that predicts one class everywhere; this stops it at
    the end of the epoch with a ``FloatingPointError`` that names the epoch
    and the first batch whose loss was not finite (it reads the batch losses
    skorch records, so it costs nothing per batch).
    ``callbacks__finite_loss=None`` switches it off (skorch's own behaviour).

    Examples
    --------
    >>> from wsample_sk import WeightedSamplingClassifier
    >>> clf = WeightedSamplingClassifier(module__n_features=3, classes=[0, 1]).initialize()
    >>> type(dict(clf.callbacks_)["finite_loss"]).__name__
    'StopOnNonFiniteLoss'
    """

    def on_epoch_end(self, net: Any, **kwargs: Any) -> None:
        # the losses skorch recorded for the epoch's batches: no work per batch
        batches = net.history[-1].get("batches", [])
        for number, batch in enumerate(batches, start=1):
            loss = batch.get("train_loss")
            if loss is not None and not math.isfinite(loss):
                raise FloatingPointError(
                    f"The training loss is {loss} at epoch {len(net.history)}, batch "
                    f"{number}: training diverged (lower lr, check the inputs for extreme "
                    "values, or the criterion's parameters). callbacks__finite_loss=None "
                    "trains on regardless."
                )


def find_class_mix(net: Any) -> ClassMixSchedule | None:
    """The net's :class:`ClassMixSchedule` callback, if it has one."""
    for _, callback in getattr(net, "callbacks_", ()):
        if getattr(callback, "owns_class_mix", False) is True:
            return callback
    return None
