"""The kind of target a model is fitted on, and where a restored model finds it.

A classifier is fitted on one label per row (``"single-label"``) or on a 0/1
indicator matrix (``"multi-label"``). The fit decides it at its boundary
(:mod:`._inputs`); what skorch saves carries it, so that a restored model
predicts as the fitted one did:

* the fitted estimator (and its pickle): ``multi_label_``;
* ``history`` (``f_history``): ``multi_label`` on every epoch of a
  multi-label fit;
* the default module's ``state_dict`` (``f_params``): its ``target_kind``
  (torch's extra state, :class:`~wsample_sk.modules.MLP`);
* a multi-label criterion (``BCEWithLogitsLoss`` or a loss declaring
  ``multi_label = True``) says so by itself.
"""

from __future__ import annotations

from typing import Any

import torch

from ._criteria import single_criterion

__all__ = ["MULTI_LABEL", "SINGLE_LABEL", "fitted_kind", "is_multi_label"]

SINGLE_LABEL = "single-label"
MULTI_LABEL = "multi-label"


def _module_kind(net: Any) -> str | None:
    module = getattr(getattr(net, "module_", None), "_orig_mod", getattr(net, "module_", None))
    return getattr(module, "target_kind", None)


def fitted_kind(net: Any) -> str | None:
    """The kind of target ``net`` was fitted on, from what it holds; ``None`` if unknown.

    The module's recorded kind comes first (parameters just loaded into an
    estimator fitted before say what they were trained on), then the fitted
    flag, then ``history``.
    """
    kind = _module_kind(net)
    if kind is not None:
        return kind
    flag = vars(net).get("multi_label_")
    if flag is not None:
        return MULTI_LABEL if flag else SINGLE_LABEL
    history = getattr(net, "history_", None)
    if history is not None and len(history):
        return MULTI_LABEL if history[-1].get("multi_label", False) else SINGLE_LABEL
    return None


def is_multi_label(net: Any) -> bool:
    """Whether the model predicts a 0/1 indicator (fitted so, restored so, or such a loss)."""
    kind = fitted_kind(net)
    if kind is not None:
        return kind == MULTI_LABEL
    criterion = single_criterion(net)
    return isinstance(criterion, torch.nn.BCEWithLogitsLoss) or bool(
        getattr(criterion, "multi_label", False)
    )
