"""skorch callbacks: the class-mix schedule, and re-weighting from the model itself.

:class:`ClassMixSchedule` is one of the classifier's default callbacks
(``callbacks__class_mix``): it owns a fit's draws and loss weights;
:class:`StopOnNonFiniteLoss` (``callbacks__finite_loss``) stops a fit whose
training loss is not finite. Another
callback changes the weights of a running fit through the one declared
method of the schedule's plan, ``plan_.set_factor(factor)``; the factor takes
effect at the next epoch, where ``sample_weight`` goes (``sample_weight_in``).
"""

from __future__ import annotations

import numpy as np
import torch
from skorch.callbacks import Callback

from ._schedule import ClassMixSchedule, StopOnNonFiniteLoss, find_class_mix
from ._validation import check_count, check_real

__all__ = ["ClassMixSchedule", "LossReweighting", "StopOnNonFiniteLoss"]


class LossReweighting(Callback):
    """Re-weight training rows by their current loss (hard-example emphasis).

    After every ``every``-th epoch, the model's loss on each training row is
    computed (evaluation mode, one inference pass over the training part),
    and each row's weight from then on is its strategy/``sample_weight``
    weight times

    .. math::

        f_i = \\max\\left(\\text{floor},\\ (\\ell_i / \\bar\\ell)^{1/T}\\right)

    where :math:`\\bar\\ell` is the mean loss and :math:`T` the temperature:
    large :math:`T` flattens the factors towards one, small :math:`T`
    sharpens them; ``floor`` keeps every row drawable (no weight reaches
    zero). The factors go where ``sample_weight`` goes (the draws, or the
    loss with ``sample_weight_in="loss"``); their spread is recorded in
    ``history`` as ``reweight_max`` (largest over mean).

    Parameters
    ----------
    temperature : float, default=1.0
        Positive.
    floor : float, default=0.1
        Smallest factor, in (0, 1].
    every : int, default=1
        Re-weight after every this many epochs (a positive int).

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from wsample_sk import WeightedSamplingClassifier
    >>> from wsample_sk.callbacks import LossReweighting
    >>> X, y = make_classification(200, random_state=0)
    >>> clf = WeightedSamplingClassifier(
    ...     max_epochs=3, random_state=0,
    ...     callbacks=[("reweight", LossReweighting(temperature=2.0))]).fit(X, y)
    >>> len(clf.history[:, "reweight_max"])
    3
    """

    def __init__(self, temperature: float = 1.0, floor: float = 0.1, every: int = 1):
        self.temperature = temperature
        self.floor = floor
        self.every = every

    def initialize(self):
        check_real(self.temperature, "temperature", 0.0, 1e6, closed="right")
        check_real(self.floor, "floor", 0.0, 1.0, closed="right")
        check_count(self.every, "every")
        return self

    def on_epoch_end(self, net, dataset_train=None, **kwargs):
        mix = find_class_mix(net)
        schedule = getattr(mix, "plan_", None)
        if schedule is None:
            raise ValueError(
                "LossReweighting works with a WeightedSamplingClassifier, whose "
                "class-mix schedule (callbacks__class_mix) it changes."
            )
        targets = schedule.training_targets()
        if targets is None:
            raise ValueError(
                "LossReweighting needs the target of every training row, and those "
                "of this Dataset cannot be read: pass y to fit."
            )
        epoch = len(net.history)  # the next epoch, counted from 0
        if epoch % self.every:
            return
        with torch.no_grad():
            y_pred = net.forward(dataset_train, training=False)
            losses = net.per_sample_loss(y_pred, targets)
        losses = losses.double().numpy()
        if losses.ndim == 2:  # element-wise (multi-label): a row's loss is its labels' mean
            losses = losses.mean(axis=1)
        mean = losses.mean()
        if mean > 0:
            factor = np.maximum(self.floor, (losses / mean) ** (1.0 / self.temperature))
        else:
            factor = np.ones_like(losses)
        schedule.set_factor(factor)
        net.history.record("reweight_max", float(factor.max() / factor.mean()))
