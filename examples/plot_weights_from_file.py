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

for name, kwargs in [("uniform", {}), ("file weights", {"sample_weight": w})]:
    clf = WeightedSamplingClassifier(max_epochs=20, random_state=0)
    clf.fit(X_train, y_train, **kwargs)
    print(f"{name:13} balanced accuracy {balanced_accuracy_score(y_test, clf.predict(X_test)):.3f}")

# Both at once: the file's weights times inverse class frequency.
clf = WeightedSamplingClassifier(sampling="balanced", max_epochs=20, random_state=0)
clf.fit(X_train, y_train, sample_weight=w)
print(f"balanced x file weights: {balanced_accuracy_score(y_test, clf.predict(X_test)):.3f}")
