"""
Rare target values
==================

Rare target values are the regression form of class imbalance. The target
here has a long right tail: most rows lie near zero, a few far out. Each
lever of :class:`~wsample_sk.WeightedSamplingRegressor` trains the same
network; the plot shows the mean absolute error on held-out rows against
the training density of their target value (bins of the training
histogram), and the table the error in the many-, medium- and few-shot
regions (more than 100, 20 to 100, fewer than 20 training rows per bin, as
Yang et al. 2021 report).

Re-weighting trades error on common values for error on rare ones. Whether
that trade is worth it depends on the data: read the table, not the name of
the lever.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.model_selection import train_test_split

from wsample_sk import WeightedSamplingRegressor
from wsample_sk.losses import BalancedMSELoss

rng = np.random.default_rng(0)
n = 4000
X = rng.normal(size=(n, 6)).astype(np.float32)
# a long tail that the features explain: rare large values, not noise
y = np.exp(0.9 * X[:, 0] + 0.3 * X[:, 1]) + 0.1 * rng.normal(size=n)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)

levers = {
    "none": {},
    'sampling="sqrt"': {"sampling": "sqrt"},
    'sampling="balanced"': {"sampling": "balanced"},
    'target_weight="balanced"': {"target_weight": "balanced"},
    'sampling="denseweight"': {"sampling": "denseweight", "sampling__alpha": 0.9},
    "BalancedMSELoss": {"criterion": BalancedMSELoss},
}
common = dict(max_epochs=40, lr=0.003, batch_size=64, random_state=0)

counts, edges = np.histogram(y_train, bins=30)
test_bin = np.clip(np.searchsorted(edges, y_test, side="right") - 1, 0, len(counts) - 1)
shots = counts[test_bin]
regions = {
    "many (>100)": shots > 100,
    "medium": (shots >= 20) & (shots <= 100),
    "few (<20)": shots < 20,
}

fig, ax = plt.subplots(figsize=(7, 4))
print(f"{'lever':28s} {'MAE':>6s} " + " ".join(f"{r:>12s}" for r in regions))
for name, params in levers.items():
    reg = WeightedSamplingRegressor(**common, **params).fit(X_train, y_train)
    err = np.abs(reg.predict(X_test) - y_test)
    by_region = " ".join(f"{err[mask].mean():12.3f}" for mask in regions.values())
    print(f"{name:28s} {err.mean():6.3f} {by_region}")
    occupied = np.unique(test_bin)
    density = np.maximum(counts[occupied], 0.5) / len(y_train)  # a test value's bin may be empty
    mae = [err[test_bin == b].mean() for b in occupied]
    order = np.argsort(density)
    ax.plot(density[order], np.asarray(mae)[order], marker="o", ms=3, label=name)

ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xlabel("training density of the target's bin (share of training rows)")
ax.set_ylabel("held-out MAE in the bin")
ax.legend(fontsize=7)
ax.set_title("Error against target density, per lever")
fig.tight_layout()
plt.show()
