"""
What the sampler draws, epoch by epoch
======================================

A skorch callback records the classes of every training batch. With
``sampling=None`` the drawn mix is the natural one; with ``"sqrt"`` it sits
between natural and balanced; with ``"balanced"`` every class is drawn equally
often, epoch after epoch (fresh draws each time).
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_classification
from skorch.callbacks import Callback

from wsample_sk import WeightedSamplingClassifier


class ClassMix(Callback):
    """Share of each class among the samples drawn in each epoch."""

    def initialize(self):
        self.epochs = []
        return self

    def on_epoch_begin(self, net, **kwargs):
        self.epochs.append(np.zeros(3))

    def on_batch_begin(self, net, batch=None, training=False, **kwargs):
        if training:
            self.epochs[-1] += np.bincount(batch[1].numpy(), minlength=3)


X, y = make_classification(
    3000, n_features=8, n_informative=5, n_classes=3, weights=[0.8, 0.15], random_state=5
)
fig, axes = plt.subplots(1, 3, figsize=(12, 3.5), sharey=True)
for ax, sampling in zip(axes, [None, "sqrt", "balanced"], strict=True):
    mix = ClassMix()
    WeightedSamplingClassifier(
        sampling=sampling, max_epochs=10, random_state=0, callbacks=[("mix", mix)]
    ).fit(X, y)
    shares = np.array(mix.epochs) / np.sum(mix.epochs, axis=1, keepdims=True)
    ax.stackplot(np.arange(1, 11), shares.T, labels=["class 0", "class 1", "class 2"])
    ax.set(title=f"sampling={sampling!r}", xlabel="epoch", ylim=(0, 1))
    print(f"{sampling!s:9} mean drawn mix {shares.mean(axis=0).round(3)}")
axes[0].set_ylabel("share of drawn samples")
axes[-1].legend(loc="lower right")
fig.tight_layout()
plt.show()
