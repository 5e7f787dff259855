"""
Grid search over weighting strategies
=====================================

``sampling`` and ``weight_mode`` are ordinary parameters, so
``GridSearchCV`` can choose the weighting like any other hyperparameter, in
parallel (the estimator clones and pickles).
"""

import matplotlib.pyplot as plt
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

# mean test score (± std over the folds) of every combination
table = results.pivot(index="param_sampling", columns="param_weight_mode", values="mean_test_score")
spread = results.pivot(index="param_sampling", columns="param_weight_mode", values="std_test_score")
table.index = table.index.astype(str)
ax = table.plot.barh(xerr=spread.to_numpy().T, capsize=3, figsize=(7, 4))
low = float((table - spread).min().min())
ax.set_xlim(max(0.0, low - 0.05), 1.0)
ax.set(
    xlabel="balanced accuracy (3-fold CV)", ylabel="sampling", title="GridSearchCV over weightings"
)
plt.tight_layout()
plt.show()
