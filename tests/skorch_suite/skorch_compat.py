"""pytest plugin: run skorch's own test suite against WeightedSamplingClassifier.

skorch's tests import ``NeuralNetClassifier`` from the ``skorch`` package at
test time. This plugin rebinds that package attribute to a subclass of
:class:`wsample_sk.WeightedSamplingClassifier` with skorch's defaults
restored, so that a failure means a behavioural difference, not a default.
"""

from __future__ import annotations

import skorch
import torch
from skorch.dataset import ValidSplit

from wsample_sk import WeightedSamplingClassifier


class NeuralNetClassifier(WeightedSamplingClassifier):
    """WeightedSamplingClassifier with NeuralNetClassifier's defaults."""

    def __init__(
        self,
        module=None,
        *,
        criterion=torch.nn.NLLLoss,
        optimizer=torch.optim.SGD,
        lr=0.01,
        max_epochs=10,
        batch_size=128,
        train_split=ValidSplit(5, stratified=True),  # noqa: B008 (skorch's default)
        verbose=1,
        **kwargs,
    ):
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


def pytest_configure(config):
    skorch.NeuralNetClassifier = NeuralNetClassifier
