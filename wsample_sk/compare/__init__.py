"""Side by side: every way of handling imbalance, on several data sets, with statistics.

Needs the ``compare`` extra (``pip install "wsample-sk[compare]"``): pandas,
matplotlib, tqdm, tabulate, scikit-posthocs (with statsmodels) and
iterative-stratification; the ``smoter`` method also needs ``resreg``.

* :func:`compare` cross-validates the methods (:data:`METHODS`, the
  references in :data:`REFERENCES`) on repeated stratified splits of each
  data set (the built-in suite :data:`DATASETS` by default: single-label,
  multi-label and regression; :func:`skip_reason` says which methods a
  task leaves out, and why) and returns tidy results, one row per fit;
* :func:`summarize`, :func:`paired_tests` and :func:`rank_test` turn them
  into tables: means and spreads, each method against a reference on the
  same splits (corrected resampled t-test), average ranks across data sets
  (Friedman test, Nemenyi post-hoc and critical difference);
* :func:`write_report` writes the CSV, Markdown, figures and one
  self-contained HTML report.
"""

from __future__ import annotations

_EXTRA = 'pip install "wsample-sk[compare]"'
try:
    import iterstrat  # noqa: F401
    import matplotlib  # noqa: F401
    import pandas  # noqa: F401
    import scikit_posthocs  # noqa: F401
    import tqdm  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the install
    raise ImportError(
        f"wsample_sk.compare needs the comparison extra ({exc.name} is missing): {_EXTRA}"
    ) from exc

from ._datasets import DATASETS, Dataset, load_dataset
from ._methods import (
    DEFAULT_METHODS,
    METHODS,
    REFERENCES,
    MultiLabelNeuralNet,
    make_method,
    make_preprocessor,
    skip_reason,
)
from ._metrics import METRICS, MULTILABEL_METRICS, REGRESSION_METRICS, expected_calibration_error
from ._report import OUTPUT_FILES, format_table, write_report
from ._run import compare
from ._stats import paired_tests, rank_test, summarize

__all__ = [
    "DATASETS",
    "DEFAULT_METHODS",
    "METHODS",
    "METRICS",
    "MULTILABEL_METRICS",
    "OUTPUT_FILES",
    "REGRESSION_METRICS",
    "REFERENCES",
    "Dataset",
    "MultiLabelNeuralNet",
    "compare",
    "expected_calibration_error",
    "format_table",
    "load_dataset",
    "make_method",
    "make_preprocessor",
    "paired_tests",
    "rank_test",
    "skip_reason",
    "summarize",
    "write_report",
]
