"""
Weighted sampling vs imbalanced-learn resamplers
================================================

:func:`wsample_sk.compare.compare` cross-validates the same network under
each way of handling imbalance, including imbalanced-learn's
``RandomOverSampler``, ``RandomUnderSampler`` and ``SMOTE`` (in an
``imblearn`` pipeline, so resampling sees training parts only), on repeated
stratified splits of several data sets. This is what ``wsample-sk compare``
runs; here on two of the built-in data sets, five methods and fewer epochs.
"""

import matplotlib.pyplot as plt

from wsample_sk.compare import compare, format_table, paired_tests

results = compare(
    datasets=["breast_cancer", "diabetes"],
    methods=["none", "balanced", "logit_adjusted", "ros", "smote"],
    repeats=3,
    max_epochs=30,
    n_jobs=2,
    progress=False,
)
print(format_table(results, ["balanced_accuracy", "average_precision", "brier"]))
print(paired_tests(results, reference="none")[["difference", "p", "p_holm"]].round(3))

# every split's balanced accuracy (dots) and the mean (bar), per data set
fig, axes = plt.subplots(1, 2, figsize=(11, 3.5), sharey=True)
methods = list(dict.fromkeys(results["method"]))
for ax, (name, part) in zip(axes, results.groupby("dataset", sort=False), strict=True):
    for i, method in enumerate(methods):
        values = part.loc[part["method"] == method, "balanced_accuracy"]
        ax.plot(values, [i] * len(values), "o", alpha=0.5, color="tab:blue")
        ax.plot([values.mean()] * 2, [i - 0.3, i + 0.3], color="black", lw=2)
    ax.set(title=name, xlabel="balanced accuracy")
axes[0].set_yticks(range(len(methods)), methods)
axes[0].invert_yaxis()
plt.tight_layout()
plt.show()
