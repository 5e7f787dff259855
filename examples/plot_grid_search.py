"""
Grid search over weighting strategies
=====================================

``sampling`` and ``weight_mode`` are ordinary parameters, so
``GridSearchCV`` can choose the weighting like any other hyperparameter, in
parallel (the estimator clones and pickles).
"""

import pandas as pd
from sklearn.datasets import make_classification
from sklearn.model_selection import GridSearchCV

from wsample_sk import WeightedSamplingClassifier

X, y = make_classification(2000, n_features=10, weights=[0.93], random_state=3)
search = GridSearchCV(
    WeightedSamplingClassifier(max_epochs=15, random_state=0),
    {"sampling": [None, "balanced", "sqrt", "effective"], "weight_mode": ["sample", "loss"]},
    scoring="balanced_accuracy",
    cv=3,
    n_jobs=2,
).fit(X, y)

results = pd.DataFrame(search.cv_results_)[
    ["param_sampling", "param_weight_mode", "mean_test_score", "std_test_score"]
]
print(results.sort_values("mean_test_score", ascending=False).to_string(index=False))
print("best:", search.best_params_)
