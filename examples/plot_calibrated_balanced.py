"""
Calibrated probabilities and balanced decisions at once
=======================================================

Balanced draws inflate the predicted probability of the rare class (the
model learns the drawn mix, not the real one). ``proba_correction="prior"``
maps the probabilities back to the real mix, which also moves ``predict``
back to the natural decision rule, undoing the balancing. Adding
``logit_adjustment=1.0`` keeps the balanced decision rule (argmax of
p(c|x) / prior(c), Menon et al. 2021) while ``predict_proba`` stays
calibrated. ``TunedThresholdClassifierCV`` is the data-driven alternative:
it picks the threshold for balanced accuracy by cross-validation on the
corrected probabilities.
"""

import matplotlib.pyplot as plt
from sklearn.calibration import CalibrationDisplay
from sklearn.datasets import make_classification
from sklearn.metrics import balanced_accuracy_score, brier_score_loss
from sklearn.model_selection import TunedThresholdClassifierCV, train_test_split

from wsample_sk import WeightedSamplingClassifier

X, y = make_classification(4000, n_features=10, n_informative=4, weights=[0.92], random_state=7)
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)
shared = dict(sampling="balanced", max_epochs=25, random_state=0)

models = {
    "balanced draws": WeightedSamplingClassifier(**shared),
    "+ prior correction": WeightedSamplingClassifier(proba_correction="prior", **shared),
    "+ prior correction + logit adjustment": WeightedSamplingClassifier(
        proba_correction="prior", logit_adjustment=1.0, **shared
    ),
    "+ prior correction, tuned threshold": TunedThresholdClassifierCV(
        WeightedSamplingClassifier(proba_correction="prior", **shared),
        scoring="balanced_accuracy",
        cv=3,
    ),
}
scores = {}
for name, model in models.items():
    model.fit(X_train, y_train)
    proba = model.predict_proba(X_test)[:, 1]
    scores[name] = (
        balanced_accuracy_score(y_test, model.predict(X_test)),
        brier_score_loss(y_test, proba),
    )
    print(f"{name:40} balanced accuracy {scores[name][0]:.3f}  Brier {scores[name][1]:.4f}")

fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
for name in ("balanced draws", "+ prior correction + logit adjustment"):
    CalibrationDisplay.from_estimator(
        models[name], X_test, y_test, n_bins=8, strategy="quantile", name=name, ax=left
    )
left.set_title("Reliability on held-out data")
names = list(scores)
right.barh(names, [s[0] for s in scores.values()], color="tab:blue")
for i, (ba, brier) in enumerate(scores.values()):
    right.text(ba + 0.005, i, f"BA {ba:.3f}, Brier {brier:.3f}", va="center", fontsize=8)
right.set_xlim(0.5, 1.15)
right.set(xlabel="balanced accuracy (held out)", title="Decisions")
right.invert_yaxis()
plt.tight_layout()
plt.show()
