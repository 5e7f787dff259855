"""
Tagging with a long tail: which labels each lever helps
=======================================================

A multi-label tagger whose tags follow a long tail: the most common tag is
on about half the rows, the rarest on under one in a hundred. Each lever is
fitted on the same data and scored per tag on held-out rows, so that the
plot shows *which* tags it helps, not only the average:

* no weighting (binary cross-entropy, natural draws);
* ``sampling="balanced"``: class-aware draws (Shen et al. 2016), a tag first,
  uniformly, then one of its rows;
* ``class_weight="balanced"``: each tag's positives weighted
  ``n_neg / n_pos`` in the loss;
* ``criterion=AsymmetricLoss`` (Ridnik et al. 2021): easy negatives
  discarded, the rest down-weighted;
* class-aware draws with ``proba_correction="prior"`` (each tag's probability
  mapped back to its natural rate) and ``logit_adjustment=1.0`` (the
  per-tag balanced decision);
* no weighting, with one decision threshold per tag chosen on out-of-fold
  probabilities of the training part (scikit-learn's
  ``TunedThresholdClassifierCV`` is binary-only; this is the recipe of the
  user guide).

The data come from ``make_multilabel_classification``; rows are dropped with
a probability that grows geometrically with the rarity of their rarest tag,
so that tag frequencies decay geometrically while every kept row keeps its
true tags (dropping positives instead would turn tags into label noise).
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_multilabel_classification
from sklearn.metrics import f1_score, precision_recall_curve
from sklearn.model_selection import KFold, cross_val_predict, train_test_split
from sklearn.preprocessing import StandardScaler

from wsample_sk import WeightedSamplingClassifier
from wsample_sk.losses import AsymmetricLoss

# %%
# A long tail of tags
# -------------------
# Tags are sorted by frequency, then a row is kept with probability
# ``0.55 ** j``, ``j`` the index of its rarest tag.
X, Y = make_multilabel_classification(
    80000, n_features=30, n_classes=10, n_labels=2, allow_unlabeled=False, random_state=0
)
Y = Y[:, np.argsort(-Y.mean(axis=0), kind="stable")]
rarest = Y.shape[1] - 1 - np.argmax(Y[:, ::-1], axis=1)
keep = np.random.default_rng(0).random(len(Y)) < 0.55**rarest
X, Y = X[keep], Y[keep]
X_train, X_test, Y_train, Y_test = train_test_split(X, Y, test_size=0.4, random_state=0)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
freq = Y_train.mean(axis=0)
print(f"{len(Y_train)} training rows, {len(Y_test)} test rows, {Y.shape[1]} tags")
print("tag frequencies (training part):", np.round(freq, 3))
print("positives per tag in the test part:", Y_test.sum(axis=0))

# %%
# The levers
# ----------
shared = dict(max_epochs=30, random_state=0)
levers = {
    "no weighting": {},
    "class-aware draws": dict(sampling="balanced"),
    'class_weight="balanced"': dict(class_weight="balanced"),
    "AsymmetricLoss": dict(criterion=AsymmetricLoss),
    "class-aware + prior + logit adj.": dict(
        sampling="balanced", proba_correction="prior", logit_adjustment=1.0
    ),
}


def balanced_accuracy(Y_true, Y_pred):
    """Per tag: the mean of the recalls of its positives and of its negatives."""
    tpr = (Y_pred * Y_true).sum(axis=0) / Y_true.sum(axis=0)
    tnr = ((1 - Y_pred) * (1 - Y_true)).sum(axis=0) / (1 - Y_true).sum(axis=0)
    return (tpr + tnr) / 2


models, per_tag = {}, {}


def score(name, pred):
    f1 = f1_score(Y_test, pred, average=None, zero_division=0)
    per_tag[name] = f1, balanced_accuracy(Y_test, pred)
    micro = f1_score(Y_test, pred, average="micro", zero_division=0)
    print(f"{name:36} {f1.mean():8.3f}  {micro:8.3f}  {per_tag[name][1].mean():16.3f}")


print(f"\n{'lever':36} macro F1  micro F1  mean balanced acc.")
for name, params in levers.items():
    models[name] = WeightedSamplingClassifier(**params, **shared).fit(X_train, Y_train)
    score(name, models[name].predict(X_test))

# %%
# Per-tag thresholds
# ------------------
# Out-of-fold probabilities of the training part (the test part is never
# looked at), then, for each tag, the threshold with the best F1 on them.
# The model fitted on the whole training part applies them to the test part.
plain = WeightedSamplingClassifier(**shared)
oof = cross_val_predict(
    plain, X_train, Y_train, cv=KFold(3, shuffle=True, random_state=0), method="predict_proba"
)
thresholds = np.empty(Y.shape[1])
for tag in range(Y.shape[1]):
    precision, recall, cuts = precision_recall_curve(Y_train[:, tag], oof[:, tag])
    f1 = 2 * precision * recall / np.maximum(precision + recall, 1e-12)
    thresholds[tag] = cuts[np.argmax(f1[:-1])]  # the last point has no threshold
pred = (models["no weighting"].predict_proba(X_test) >= thresholds).astype(int)
score("no weighting + per-tag thresholds", pred)
print("thresholds:", np.round(thresholds, 2))

# %%
# Calibration of each tag's probability
# -------------------------------------
# Class-aware draws show rare tags far more often than they occur, which
# inflates their probabilities; ``proba_correction="prior"`` maps them back.
# Both models below are the same network (same seed; the correction acts
# after training), so the difference is the correction alone. It is an
# approximation for class-aware draws, which mix tags within a row: the
# per-tag Brier score says how close it comes.
drawn = models["class-aware draws"].history[-1, "drawn_label_frequencies"]
print(f"\nshare of drawn rows carrying each tag (last epoch): {np.round(drawn, 2)}")


def brier(model):
    return ((model.predict_proba(X_test) - Y_test) ** 2).mean(axis=0)


briers = {
    "no weighting": brier(models["no weighting"]),
    "class-aware, uncorrected": brier(models["class-aware draws"]),
    "class-aware, prior-corrected": brier(models["class-aware + prior + logit adj."]),
}
print(f"{'tag':>3} {'freq':>6} " + " ".join(f"{k:>28}" for k in briers))
for tag in range(Y.shape[1]):
    print(f"{tag:3d} {freq[tag]:6.3f} " + " ".join(f"{b[tag]:28.4f}" for b in briers.values()))
print("mean     " + " ".join(f"{b.mean():28.4f}" for b in briers.values()))

fig, (left, middle, right) = plt.subplots(1, 3, figsize=(16, 4.8))
for (name, (f1, ba)), marker in zip(per_tag.items(), "osD^vx", strict=True):
    left.plot(freq, f1, marker=marker, label=name)
    middle.plot(freq, ba, marker=marker, label=name)
for ax, metric in ((left, "F1"), (middle, "balanced accuracy")):
    ax.set(xscale="log", xlabel="tag frequency (training part)")
    ax.set(ylabel=f"{metric} on held-out rows", title=f"Per-tag {metric}")
left.legend(fontsize=8)
for (name, b), marker in zip(briers.items(), "osD", strict=True):
    right.plot(freq, b, marker=marker, label=name)
right.set(xscale="log", yscale="log", xlabel="tag frequency (training part)")
right.set(ylabel="Brier score on held-out rows", title="Per-tag Brier score")
right.legend(fontsize=8)
fig.tight_layout()
plt.show()

# %%
# What to read in it
# ------------------
# * Balanced accuracy: the unweighted model rarely predicts a tag carried by
#   under 2% of the rows, and every lever lifts those tags most.
#   ``class_weight="balanced"`` lifts them most: weighting a tag's positives
#   ``n_neg / n_pos`` moves its 0.5 threshold to the tag's prior, the
#   decision that maximises balanced accuracy, which ``logit_adjustment=1.0``
#   also makes.
# * F1 also counts precision: the balanced decisions' extra false positives
#   on the rare tags cost F1 there, and micro F1 (dominated by the common
#   tags) drops for every re-weighting. Thresholds picked per tag for F1 on
#   the training part give the best macro F1 while keeping micro F1.
# * Brier score: class-aware draws inflate the rare tags' probabilities;
#   the prior correction brings those back to about the unweighted model's
#   score. On the common tags it changes little: it rescales rates, and what
#   the draws changed in the network itself remains.
#
# The rarest tags have a few dozen held-out positives: their per-tag scores
# move by several points from one seed to the next; the patterns above do not.
