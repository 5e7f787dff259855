"""The default network: a small multilayer perceptron sized from the data."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

__all__ = ["MLP"]


class MLP(nn.Module):
    """A feed-forward network returning one logit (or probability) per class.

    :class:`~wsample_sk.WeightedSamplingClassifier` builds it when ``module``
    is None, with ``n_features`` and ``n_classes`` taken from the data at fit
    time (like scikit-learn's ``MLPClassifier``). Its other arguments are set
    with the ``module__`` prefix, e.g. ``module__hidden_units=(64, 64)``.
    Each sample is flattened first, so image-shaped input ``(n, 1, 28, 28)``
    works with ``n_features=784``.

    Parameters
    ----------
    n_features : int
        Input size (of a flattened sample).
    n_classes : int
        Output size (one output per class).
    hidden_units : sequence of int, default=(100,)
        Sizes of the hidden layers.
    dropout : float, default=0.0
        Dropout probability after each hidden layer.
    output : {"logits", "proba"}, default="logits"
        Return logits (for ``CrossEntropyLoss`` and the losses of
        :mod:`wsample_sk.losses`) or probabilities (for ``NLLLoss``, which
        skorch applies to the log of the output; the classifier chooses this
        when the criterion is ``NLLLoss``).

    Attributes
    ----------
    target_kind : {"single-label", "multi-label"} or None
        The kind of target the network was trained on; the classifier sets
        it when it fits, and it travels in the ``state_dict`` (torch's extra
        state), so that parameters restored into a fresh network
        (``load_params(f_params=...)``) predict as the fitted model did.
        ``None``: not known (a state saved before wsample_sk 0.4).
    float64_outputs : bool
        Compute the forward pass in float64 (parameters and inputs cast, the
        module unchanged). :class:`~wsample_sk.WeightedSamplingRegressor`
        sets it while it predicts, so that a row's prediction does not depend
        on which rows share its batch (float32 kernels round differently by
        batch size). False otherwise.

    Examples
    --------
    >>> import torch
    >>> from wsample_sk.modules import MLP
    >>> MLP(4, 3, hidden_units=(8,))(torch.zeros(2, 4)).shape
    torch.Size([2, 3])
    >>> proba = MLP(4, 3, output="proba")(torch.zeros(2, 2, 2))
    >>> torch.allclose(proba.sum(dim=1), torch.ones(2))
    True
    """

    def __init__(
        self,
        n_features: int,
        n_classes: int,
        hidden_units: Sequence[int] = (100,),
        dropout: float = 0.0,
        output: str = "logits",
    ) -> None:
        super().__init__()
        if output not in ("logits", "proba"):
            raise ValueError(f"output must be 'logits' or 'proba'; got {output!r}.")
        layers: list[nn.Module] = [nn.Flatten()]
        width = n_features
        for units in hidden_units:
            layers += [nn.Linear(width, units), nn.ReLU()]
            if dropout:
                layers.append(nn.Dropout(dropout))
            width = units
        layers.append(nn.Linear(width, n_classes))
        if output == "proba":
            layers.append(nn.Softmax(dim=-1))
        self.net = nn.Sequential(*layers)
        self.target_kind: str | None = None
        self.float64_outputs = False

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        if self.float64_outputs:
            params = {name: p.double() for name, p in self.net.named_parameters()}
            return torch.func.functional_call(self.net, params, (X.double(),))
        return self.net(X)

    def get_extra_state(self) -> dict:
        return {"target_kind": self.target_kind}

    def set_extra_state(self, state: dict) -> None:
        self.target_kind = state.get("target_kind")

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        # a state saved before the target kind was recorded still loads (kind unknown)
        state_dict.setdefault(prefix + "_extra_state", {"target_kind": None})
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)
