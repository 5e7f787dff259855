"""
A plain PyTorch loop with the class-mix schedule
=================================================

No skorch: a hand-written training loop, a ``DataLoader`` and
:class:`~wsample_sk.ClassMixSampler`, which draws each epoch as the
estimators' ``sampling=`` does. With ``sampling="progressive"`` the draws move
from the natural class mix (1 rare row in 20) at the first epoch to a balanced
mix at the last; ``set_epoch`` moves the schedule, as
``DistributedSampler.set_epoch`` moves its shuffle. The labels come from the
dataset's ``targets`` attribute (torchvision's convention).

The plot shows the share of the rare class in the rows drawn each epoch,
against the schedule, and the rare class's recall on held-out rows.
"""

import matplotlib.pyplot as plt
import torch
from sklearn.datasets import make_classification
from sklearn.model_selection import train_test_split
from torch.utils.data import DataLoader, TensorDataset

from wsample_sk import ClassMixSampler

X, y = make_classification(4000, n_features=10, weights=[0.95], class_sep=0.8, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)


class Rows(TensorDataset):
    """A dataset with ``targets``, as torchvision's have."""

    def __init__(self, X, y):
        super().__init__(torch.as_tensor(X, dtype=torch.float32), torch.as_tensor(y))
        self.targets = y


train = Rows(X_train, y_train)
EPOCHS = 8
sampler = ClassMixSampler(train, "progressive", epochs=EPOCHS, seed=0)  # labels: train.targets
loader = DataLoader(train, batch_size=64, sampler=sampler)

torch.manual_seed(0)
model = torch.nn.Sequential(torch.nn.Linear(10, 32), torch.nn.ReLU(), torch.nn.Linear(32, 2))
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
drawn, scheduled, recall = [], [], []
for epoch in range(EPOCHS):
    sampler.set_epoch(epoch)  # moves the schedule (and seeds the epoch's draws)
    rare = seen = 0
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(xb), yb)
        loss.backward()
        optimizer.step()
        rare, seen = rare + int(yb.sum()), seen + len(yb)
    with torch.no_grad():
        pred = model(torch.as_tensor(X_test, dtype=torch.float32)).argmax(1).numpy()
    drawn.append(rare / seen)
    scheduled.append(sampler.class_mix[1])
    recall.append(float((pred[y_test == 1] == 1).mean()))
    print(f"epoch {epoch}: rare share drawn {drawn[-1]:.2f} (schedule {scheduled[-1]:.2f}), "
          f"held-out recall of the rare class {recall[-1]:.2f}")  # fmt: skip

fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(scheduled, "k--", label="schedule (ClassMixSampler.class_mix)")
ax.plot(drawn, "o-", label="rare class among the rows drawn")
ax.plot(recall, "s-", label="held-out recall of the rare class")
ax.set(xlabel="epoch", ylim=(0, 1.05), title='sampling="progressive" in a plain loop')
ax.legend(fontsize=8)
fig.tight_layout()
