"""
Inverse class frequency: ``sampling="balanced"``
================================================

On data with one positive in twenty, a network trained on natural draws mostly
predicts the majority class. Drawing each class equally often
(``sampling="balanced"``, the inverse class frequency of scikit-learn's
``compute_sample_weight("balanced", y)``) raises minority recall and balanced
accuracy.
"""

import matplotlib.pyplot as plt
from sklearn.datasets import make_classification
from sklearn.metrics import ConfusionMatrixDisplay, balanced_accuracy_score
from sklearn.model_selection import train_test_split

from wsample_sk import WeightedSamplingClassifier

X, y = make_classification(4000, n_features=10, weights=[0.95], class_sep=0.8, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)

fig, axes = plt.subplots(1, 2, figsize=(8, 3.5))
for ax, sampling in zip(axes, [None, "balanced"], strict=True):
    clf = WeightedSamplingClassifier(sampling=sampling, max_epochs=20, random_state=0)
    clf.fit(X_train, y_train)
    score = balanced_accuracy_score(y_test, clf.predict(X_test))
    print(
        f"sampling={sampling!s:9} drawn class mix={clf.sampling_prior_.round(2)} "
        f"balanced accuracy={score:.3f}"
    )
    ConfusionMatrixDisplay.from_estimator(clf, X_test, y_test, ax=ax, colorbar=False)
    ax.set_title(f"sampling={sampling!r}\nbalanced accuracy {score:.2f}")
fig.tight_layout()
plt.show()
