"""
Weighted sampling vs imbalanced-learn resamplers
================================================

:func:`wsample_sk.compare.compare` cross-validates the same network under
each weighting and under imbalanced-learn's ``RandomOverSampler``,
``RandomUnderSampler`` and ``SMOTE`` (in an ``imblearn`` pipeline, so
resampling sees training folds only). This is what ``wsample-sk compare``
runs; here with fewer epochs to stay quick.
"""

import tempfile

import matplotlib.image as mpimg
import matplotlib.pyplot as plt

from wsample_sk.compare import compare, format_table, load_default_data, write_report

X, y = load_default_data()
print(y.value_counts().to_dict())
summary = compare(X, y, folds=3, max_epochs=40, n_jobs=2, progress=False)
print(format_table(summary))

paths = write_report(summary, tempfile.mkdtemp())
plt.figure(figsize=(12, 7))
plt.imshow(mpimg.imread(paths["figure"]))
plt.axis("off")
plt.show()
