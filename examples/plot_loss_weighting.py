"""
Weights in the loss: ``class_weight="balanced"``
================================================

Instead of drawing rare classes more often (``sampling="balanced"``),
``class_weight="balanced"`` shuffles plainly and multiplies each sample's
loss by its class's weight (scaled to a mean of one over the training part;
the criterion's reduction is applied after); ``sample_weight_in="loss"`` does
the same for ``fit``'s ``sample_weight``. Both optimise the same weighted
objective in expectation; they differ in gradient noise and in how often
rare samples are seen. The curves show the training loss of both.
"""

import matplotlib.pyplot as plt
from sklearn.datasets import make_classification
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import train_test_split

from wsample_sk import WeightedSamplingClassifier

X, y = make_classification(4000, n_features=10, weights=[0.95], random_state=2)
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)

fig, ax = plt.subplots(figsize=(6, 3.5))
for lever in ["sampling", "class_weight"]:
    clf = WeightedSamplingClassifier(**{lever: "balanced"}, max_epochs=25, random_state=0)
    clf.fit(X_train, y_train)
    score = balanced_accuracy_score(y_test, clf.predict(X_test))
    print(f"{lever}='balanced': balanced accuracy {score:.3f}")
    ax.plot(clf.history[:, "train_loss"], label=f"{lever} (bal. acc. {score:.2f})")
ax.set(xlabel="epoch", ylabel="training loss", title="sampling vs loss weighting")
ax.legend()
fig.tight_layout()
plt.show()
