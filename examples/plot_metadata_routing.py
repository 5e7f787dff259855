"""
A pipeline with metadata routing
================================

With scikit-learn's metadata routing on, ``sample_weight`` travels by name
through ``Pipeline``, ``GridSearchCV`` and ``cross_validate``: each step says
whether it wants it. Here the scaler does not, the classifier does.
"""

import matplotlib.pyplot as plt
import numpy as np
import sklearn
from sklearn.datasets import make_classification
from sklearn.metrics import balanced_accuracy_score, make_scorer
from sklearn.model_selection import cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from wsample_sk import WeightedSamplingClassifier

sklearn.set_config(enable_metadata_routing=True)

X, y = make_classification(2000, n_features=8, weights=[0.9], random_state=4)
# e.g. recency weights: later rows count more
sample_weight = np.linspace(0.2, 1.0, len(y))

pipe = make_pipeline(
    StandardScaler().set_fit_request(sample_weight=False),
    WeightedSamplingClassifier(sampling="balanced", max_epochs=10, random_state=0).set_fit_request(
        sample_weight=True
    ),
)
scorer = make_scorer(balanced_accuracy_score).set_score_request(sample_weight=False)
result = cross_validate(
    pipe, X, y, cv=3, scoring=scorer, params={"sample_weight": sample_weight}, return_estimator=True
)
print("balanced accuracy per fold:", result["test_score"].round(3))
print("class mix drawn in fold 0:", result["estimator"][0][-1].sampling_prior_.round(3))

sklearn.set_config(enable_metadata_routing=False)

# what each fold's classifier drew, against the data's own class mix
fig, ax = plt.subplots(figsize=(6, 3.5))
natural = np.bincount(y) / len(y)
drawn = np.array([est[-1].sampling_prior_ for est in result["estimator"]])
ax.bar(np.arange(2) - 0.2, natural, 0.4, label="natural mix")
ax.bar(np.arange(2) + 0.2, drawn.mean(axis=0), 0.4, yerr=drawn.std(axis=0), label="drawn (3 folds)")
ax.set(xticks=[0, 1], xlabel="class", ylabel="share of the training draws")
ax.set_title("Routed sample_weight x balanced strategy")
ax.legend()
plt.tight_layout()
plt.show()
