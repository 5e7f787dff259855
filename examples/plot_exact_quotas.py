"""
Exact class quotas per epoch and per batch
==========================================

Weighted draws give the intended class mix on average; the mix of a single
batch still varies. ``StratifiedSampler`` fixes the count of every class per
epoch (in imbalanced-learn's ``sampling_strategy`` vocabulary) and
``BalancedBatchSampler`` the composition of every batch. Both work with a
plain ``DataLoader`` and inside the classifier
(``sampling=ClassQuotas(...)``, ``sampling=BatchComposition(...)``), and both
resume mid-epoch from ``state_dict()``.
"""

import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.datasets import make_classification
from torch.utils.data import DataLoader, TensorDataset

from wsample_sk import (
    BalancedBatchSampler,
    StratifiedSampler,
    WeightedSampler,
    WeightedSamplingClassifier,
    compute_sampling_weights,
)
from wsample_sk.sampling import ClassQuotas

X, y = make_classification(3000, n_features=8, weights=[0.9], random_state=0)
data = TensorDataset(torch.tensor(X, dtype=torch.float32), torch.tensor(y))
batch = 32


def minority_share(loader):
    return np.array([(yb == 1).float().mean().item() for _, yb in loader])


g = torch.Generator().manual_seed(0)
loaders = {
    "weighted draws (balanced)": DataLoader(
        data,
        batch,
        sampler=WeightedSampler(
            compute_sampling_weights(y, "balanced"), len(y), generator=g
        ),  # fmt: skip
    ),
    "stratified epochs ('auto')": DataLoader(
        data, batch, sampler=StratifiedSampler(y, sampling_strategy="auto", generator=g)
    ),
    "balanced batches ('equal')": DataLoader(
        data, batch_sampler=BalancedBatchSampler(y, batch, class_shares="equal", generator=g)
    ),
}
shares = {name: minority_share(loader) for name, loader in loaders.items()}
for name, s in shares.items():
    print(f"{name:28} minority share per batch: mean {s.mean():.3f}, std {s.std():.3f}")

# resuming: after 5 batches, a restored sampler yields what the original would have
sampler = BalancedBatchSampler(y, batch, generator=torch.Generator().manual_seed(1))
it = iter(sampler)
seen = [next(it) for _ in range(5)]
state = sampler.state_dict()
rest = list(it)
resumed = BalancedBatchSampler(y, batch, generator=torch.Generator().manual_seed(99))
resumed.load_state_dict(state)
print("resumed batches equal the uninterrupted ones:", list(resumed) == rest)

# inside the classifier: the drawn class counts per epoch are exact
clf = WeightedSamplingClassifier(sampling=ClassQuotas("auto"), max_epochs=3, random_state=0)
clf.fit(X.astype(np.float32), y)
print("drawn class counts per epoch:", clf.history[:, "drawn_class_counts"])

fig, ax = plt.subplots(figsize=(7, 3.5))
bins = np.linspace(0, 1, 33)
for name, s in shares.items():
    ax.hist(s, bins=bins, alpha=0.6, label=f"{name} (std {s.std():.3f})")
ax.axvline(0.5, color="black", lw=1)
ax.set(xlabel="minority share of a batch of 32", ylabel="batches")
ax.set_title("One epoch each: the class mix of every batch")
ax.legend(fontsize=8)
plt.tight_layout()
plt.show()
