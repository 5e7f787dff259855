import os

import numpy as np
import pytest
import torch
from sklearn.datasets import make_classification
from skorch.callbacks import Callback

if os.environ.get("PYTEST_XDIST_WORKER"):
    # one process per core: torch's own threads would only fight each other
    # (small networks run several times slower with 2 threads x 2 processes)
    torch.set_num_threads(1)


@pytest.fixture
def imbalanced():
    """600 samples, 2 classes at 9:1, 5 features."""
    X, y = make_classification(600, n_features=5, n_informative=3, weights=[0.9], random_state=0)
    return X.astype(np.float32), y


@pytest.fixture
def multiclass():
    """600 samples, 3 classes at 6:3:1, string labels."""
    X, y = make_classification(
        600,
        n_features=6,
        n_informative=4,
        n_classes=3,
        weights=[0.6, 0.3],
        random_state=0,
    )
    return X, np.array(["cat", "dog", "eel"])[y]


class DrawnRows(Callback):
    """Every training row drawn, epoch by epoch (from the class-mix schedule's plan)."""

    def initialize(self):
        self.rows = []
        return self

    def on_epoch_end(self, net, **kwargs):
        self.rows.append(dict(net.callbacks_)["class_mix"].plan_.drawn_rows.copy())


@pytest.fixture
def drawn_rows():
    """The callback class that records the drawn rows (``DrawnRows()`` per fit)."""
    return DrawnRows
