"""
Weights from a file (or from another model)
===========================================

``fit(X, y, sample_weight=w)`` accepts weights from anywhere. Here a first
model's errors become weights for a second one (hard examples drawn more
often), saved to and read back from a text file as they would be in practice.
Weights are relative: they need not sum to one.
"""

import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import train_test_split

from wsample_sk import WeightedSamplingClassifier

X, y = make_classification(3000, n_features=10, weights=[0.9], random_state=1)
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)

# Weights from another model: 1 + the probability it gave to the wrong class.
proba = LogisticRegression().fit(X_train, y_train).predict_proba(X_train)
weights = 1.0 + proba[np.arange(len(y_train)), 1 - y_train]

path = Path(tempfile.mkdtemp()) / "weights.txt"
np.savetxt(path, weights)
w = np.loadtxt(path)
print(f"{len(w)} weights from {path.name}: sum={w.sum():.1f} (no need to be 1)")

scores = {}
for name, sampling, kwargs in [
    ("uniform", None, {}),
    ("file weights", None, {"sample_weight": w}),
    # both at once: the file's weights times inverse class frequency
    ("balanced x file", "balanced", {"sample_weight": w}),
]:
    clf = WeightedSamplingClassifier(sampling=sampling, max_epochs=20, random_state=0)
    clf.fit(X_train, y_train, **kwargs)
    scores[name] = balanced_accuracy_score(y_test, clf.predict(X_test))
    print(f"{name:16} balanced accuracy {scores[name]:.3f}")

fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.5))
for label in (0, 1):
    left.hist(w[y_train == label], bins=30, alpha=0.6, label=f"class {label}")
left.set(xlabel="weight read from the file", ylabel="rows", title="Weights from another model")
left.legend()
right.barh(list(scores), list(scores.values()))
right.set_xlim(min(scores.values()) - 0.05, 1.0)
right.set(xlabel="balanced accuracy (held out)", title="Second model")
plt.tight_layout()
plt.show()
