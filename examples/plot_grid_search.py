"""
Grid search over weighting strategies
=====================================

``sampling`` (how rows are drawn) and ``class_weight`` (how the loss weighs
classes) are ordinary parameters, so ``GridSearchCV`` can choose the
weighting like any other hyperparameter, in parallel (the estimator clones
and pickles). Weighted draws, exact quotas and batch compositions are forms
of the same ``sampling`` parameter, so one grid crosses them all, with their
sub-parameters, with ``class_weight``.
"""

import warnings

import matplotlib.pyplot as plt
import pandas as pd
from sklearn.datasets import make_classification
from sklearn.model_selection import GridSearchCV

from wsample_sk import WeightedSamplingClassifier
from wsample_sk.sampling import BatchComposition, ClassQuotas, WeightedDraws

X, y = make_classification(2000, n_features=10, weights=[0.93], random_state=3)
# crossing sampling with class_weight corrects twice in some cells: the estimator
# warns about it, and the grid is here to show what that does
warnings.filterwarnings("ignore", message=".*corrected twice", category=UserWarning)
search = GridSearchCV(
    WeightedSamplingClassifier(max_epochs=15, random_state=0),
    {
        "sampling": [
            None,
            "balanced",
            WeightedDraws("effective", beta=0.99),
            ClassQuotas("not majority"),
            BatchComposition("equal"),
        ],
        "class_weight": [None, "balanced"],
    },
    scoring="balanced_accuracy",
    cv=3,
    n_jobs=2,
).fit(X, y)

results = pd.DataFrame(search.cv_results_)[
    ["param_sampling", "param_class_weight", "mean_test_score", "std_test_score"]
].astype({"param_sampling": str, "param_class_weight": str})
results = results[["param_sampling", "param_class_weight", "mean_test_score", "std_test_score"]]
print(results.sort_values("mean_test_score", ascending=False).to_string(index=False))
print("best:", search.best_params_)

# mean test score (± std over the folds) of every combination
table = results.pivot(
    index="param_sampling", columns="param_class_weight", values="mean_test_score"
)
spread = results.pivot(
    index="param_sampling", columns="param_class_weight", values="std_test_score"
)
ax = table.plot.barh(xerr=spread.to_numpy().T, capsize=3, figsize=(7, 4))
low = float((table - spread).min().min())
ax.set_xlim(max(0.0, low - 0.05), 1.0)
ax.set(
    xlabel="balanced accuracy (3-fold CV)", ylabel="sampling", title="GridSearchCV over weightings"
)
plt.tight_layout()
plt.show()
