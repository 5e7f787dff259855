"""The kind of target, as one object that owns everything that differs by kind.

A classifier is fitted on one label per row (:data:`SINGLE_LABEL`) or on a
0/1 indicator matrix (:data:`MULTI_LABEL`); a regressor on continuous values
(:data:`CONTINUOUS`). The fit decides the kind once, at its boundary
(:mod:`._inputs`), and stores its name as ``target_kind_``;
every other module asks the kind object instead of testing the target:

* how a batch's targets reach the loss (:meth:`TargetKind.codec`);
* the default criterion and the output nonlinearity;
* the plan of the class mix (what ``sampling="balanced"`` means: per class,
  or per label) and what the criteria are given (class or label counts,
  their own class weights, the training mix);
* the prior correction and the decision rule of ``predict``.

What skorch saves carries the kind, so that a restored model predicts as the
fitted one did (:func:`fitted_kind`): the estimator's ``target_kind_`` (and
its pickle), ``history`` (``target_kind`` on every epoch, ``f_history``), the
default module's ``state_dict`` (its ``target_kind``, ``f_params``), and a
multi-label criterion says so by itself. Adding a kind is adding one
subclass here.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np
import torch

from ._continuous_plan import ContinuousPlan
from ._criteria import (
    Criteria,
    criteria_of,
    give_class_counts,
    give_label_counts,
    give_training_mix,
    loss_class_weights,
)
from ._epoch_plan import EpochPlan, TrainingPart
from ._labels import IndicatorCodec, TargetCodec, ValueCodec
from ._multilabel_plan import MultiLabelPlan
from ._prediction import (
    Correction,
    corrected_label_probabilities,
    corrected_probabilities,
    decide,
    decide_labels,
)

__all__ = [
    "CONTINUOUS",
    "KINDS",
    "MULTI_LABEL",
    "SINGLE_LABEL",
    "TargetKind",
    "fitted_kind",
    "kind_is_a_guess",
]


class TargetKind:
    """What differs by the kind of target; one instance per kind (see the module)."""

    name = ""
    plan_class: type = EpochPlan

    def __repr__(self) -> str:
        return f"<target kind {self.name}>"

    def __reduce__(self):  # pickled by name: one instance per kind, across processes
        return (_kind_named, (self.name,))

    # -- training --------------------------------------------------------------
    def codec(self, classes: np.ndarray | None) -> Any:
        """Turns a batch's targets into what the criterion takes."""
        raise NotImplementedError

    def default_criterion(self, criterion: Any) -> Any:
        """The criterion to build for ``criterion=`` (the default may differ by kind)."""
        return criterion

    def match(self, y_pred: Any, y_true: Any) -> Any:
        """The batch's targets in the shape of the module's output (a check where it matters)."""
        return y_true

    def plan(self, part: TrainingPart, sampling: Any, class_weight: Any, **kwargs: Any):
        """The fit's plan of the class mix."""
        return self.plan_class(part, sampling, class_weight, **kwargs)

    def feed_criteria(self, criteria: Criteria, plan: EpochPlan) -> None:
        """Give the criteria what they need of the training part; count their own class
        weights in the plan's record of the mix."""
        raise NotImplementedError

    def begin_epoch(self, criteria: Criteria, plan: EpochPlan) -> None:
        """Per epoch, what the criteria need of the epoch's mix."""

    # -- prediction ------------------------------------------------------------
    def nonlinearity(self, criterion: Any, inferred: Any) -> Any:
        """``predict_proba``'s nonlinearity for ``predict_nonlinearity="auto"``."""
        raise NotImplementedError

    def probabilities(self, fix: Correction, raw: Any) -> np.ndarray:
        """``predict_proba``'s rows checked, and prior-corrected if asked."""
        raise NotImplementedError

    def decide(self, fix: Correction, raw: Any) -> np.ndarray:
        """``predict`` from the module's probabilities."""
        raise NotImplementedError


class _SingleLabel(TargetKind):
    """One class label per row: softmax outputs, class counts, class priors."""

    name = "single-label"
    plan_class = EpochPlan

    def codec(self, classes: np.ndarray | None) -> TargetCodec:
        return TargetCodec(classes)

    def feed_criteria(self, criteria: Criteria, plan: EpochPlan) -> None:
        for criterion in criteria:
            if getattr(criterion, "multi_label", False):
                raise ValueError(
                    f"{type(criterion).__name__} is a multi-label loss; y holds one label per "
                    "row (pass a 0/1 indicator matrix, or a single-label criterion)."
                )
        give_class_counts(criteria, plan.class_counts, plan.classes)
        if len(plan.class_counts):
            n = len(plan.class_counts)
            plan.weigh_classes_in_loss(loss_class_weights(criteria.single, n, per_label=False))

    def begin_epoch(self, criteria: Criteria, plan: EpochPlan) -> None:
        if len(plan.sampling_prior):
            give_training_mix(criteria, np.asarray(plan.sampling_prior))

    def nonlinearity(self, criterion: Any, inferred: Any) -> Any:
        if getattr(criterion, "takes_logits", False):
            # the probabilities the loss models (LDAM: of its scaled logits)
            return getattr(criterion, "probabilities", partial(torch.softmax, dim=-1))
        return inferred

    def probabilities(self, fix: Correction, raw: Any) -> np.ndarray:
        return corrected_probabilities(fix, raw)

    def decide(self, fix: Correction, raw: Any) -> np.ndarray:
        return decide(fix, raw)


class _MultiLabel(TargetKind):
    """A 0/1 indicator matrix: one sigmoid per label, label counts, per-label priors."""

    name = "multi-label"
    plan_class = MultiLabelPlan

    def codec(self, classes: np.ndarray | None) -> IndicatorCodec:
        return IndicatorCodec()

    def default_criterion(self, criterion: Any) -> Any:
        return torch.nn.BCEWithLogitsLoss if criterion is torch.nn.CrossEntropyLoss else criterion

    def feed_criteria(self, criteria: Criteria, plan: EpochPlan) -> None:
        for criterion in criteria:
            if hasattr(criterion, "set_class_counts"):
                raise ValueError(
                    f"{type(criterion).__name__} takes one label per row; y is a multi-label "
                    "indicator (use BCEWithLogitsLoss or a multi-label loss of "
                    "wsample_sk.losses)."
                )
        give_label_counts(criteria, plan.class_counts, plan.n)
        n = len(plan.class_counts)
        plan.weigh_classes_in_loss(loss_class_weights(criteria.single, n, per_label=True))

    def nonlinearity(self, criterion: Any, inferred: Any) -> Any:
        return getattr(criterion, "probabilities", torch.sigmoid)

    def probabilities(self, fix: Correction, raw: Any) -> np.ndarray:
        return corrected_label_probabilities(fix, raw)

    def decide(self, fix: Correction, raw: Any) -> np.ndarray:
        return decide_labels(fix, raw)


_CLASSIFICATION_LOSSES = (
    torch.nn.CrossEntropyLoss,
    torch.nn.NLLLoss,
    torch.nn.BCELoss,
    torch.nn.BCEWithLogitsLoss,
    torch.nn.MultiLabelSoftMarginLoss,
    torch.nn.MultiLabelMarginLoss,
    torch.nn.MultiMarginLoss,
)


class _Continuous(TargetKind):
    """Continuous values (regression): bins of the target play the classes."""

    name = "continuous"
    plan_class = ContinuousPlan

    def codec(self, classes: np.ndarray | None) -> ValueCodec:
        return ValueCodec()

    def match(self, y_pred: Any, y_true: Any) -> Any:
        """One column of targets for a module with one output per row, as given for one with
        columns; any other difference is an error naming both shapes (torch would
        broadcast it into a wrong loss)."""
        if not isinstance(y_pred, torch.Tensor) or y_true is None:
            return y_true
        if y_pred.dim() == 1 and y_true.dim() == 2 and y_true.shape[1] == 1:
            return y_true[:, 0]
        if y_pred.shape != y_true.shape:
            raise ValueError(
                f"The module's output has shape {tuple(y_pred.shape)} but the batch's targets "
                f"have shape {tuple(y_true.shape)}: a regressor's module returns one value per "
                "target column (shape (n,) or (n, 1) for a 1-D y)."
            )
        return y_true

    def feed_criteria(self, criteria: Criteria, plan: EpochPlan) -> None:
        for criterion in criteria:
            classifying = isinstance(criterion, _CLASSIFICATION_LOSSES) or any(
                hasattr(criterion, name) for name in ("set_class_counts", "set_label_counts")
            )
            if classifying:
                raise ValueError(
                    f"{type(criterion).__name__} is a classification loss; y is a continuous "
                    "target (use MSELoss, L1Loss, HuberLoss or wsample_sk.losses.BalancedMSELoss)."
                )

    def nonlinearity(self, criterion: Any, inferred: Any) -> Any:
        return inferred


SINGLE_LABEL: TargetKind = _SingleLabel()
MULTI_LABEL: TargetKind = _MultiLabel()
CONTINUOUS: TargetKind = _Continuous()
KINDS = {kind.name: kind for kind in (SINGLE_LABEL, MULTI_LABEL, CONTINUOUS)}


def _kind_named(name: str) -> TargetKind:
    return KINDS[name]


def _module_kind(net: Any) -> str | None:
    module = getattr(net, "module_", None)
    return getattr(getattr(module, "_orig_mod", module), "target_kind", None)


def _recorded_kind(net: Any) -> str | None:
    """The kind in what the model holds: module, fitted attribute, history."""
    kind = _module_kind(net)  # parameters just loaded say what they were trained on
    if kind is None:
        kind = vars(net).get("target_kind_")
    if kind is None and "multi_label_" in vars(net):  # a pickle of wsample_sk 0.3
        kind = MULTI_LABEL.name if vars(net)["multi_label_"] else SINGLE_LABEL.name
    history = getattr(net, "history_", None)
    if kind is None and history is not None and len(history):
        last = history[-1]
        if "target_kind" in last:
            kind = last["target_kind"]
        elif last.get("multi_label", False):  # a history written by wsample_sk 0.3
            kind = MULTI_LABEL.name
    return kind


def fitted_kind(net: Any, *, guess: bool = True) -> TargetKind | None:
    """The kind of target ``net`` was fitted (or restored) on.

    An estimator of one kind says it (``fixed_kind``: a regressor's continuous
    values); else it is read from what the model holds (see the module).
    Nothing recorded: a
    multi-label criterion (``BCEWithLogitsLoss``, a loss declaring
    ``multi_label = True``) means multi-label, anything else single-label;
    with ``guess=False``, ``None``.
    """
    fixed = getattr(type(net), "fixed_kind", None)  # an estimator of one kind (a regressor)
    if fixed is not None:
        return fixed
    name = _recorded_kind(net)
    if name is not None:
        return KINDS[name]
    if not guess:
        return None
    criterion = criteria_of(net).single
    multi = isinstance(criterion, torch.nn.BCEWithLogitsLoss) or bool(
        getattr(criterion, "multi_label", False)
    )
    return MULTI_LABEL if multi else SINGLE_LABEL


def kind_is_a_guess(net: Any) -> bool:
    """Whether nothing the model holds records its kind, and it is taken as single-label
    by default (a module of your own restored without ``f_history``)."""
    if getattr(type(net), "fixed_kind", None) is not None:
        return False
    return _recorded_kind(net) is None and fitted_kind(net) is SINGLE_LABEL
