"""Statistics on the tidy results: per data set, and across data sets.

* Per data set, each method against a reference on the same splits: the
  corrected resampled t-test (Nadeau and Bengio 2003; Bouckaert and Frank
  2004), which widens the variance of the paired differences by
  ``n_test / n_train`` because cross-validation splits share training rows
  (the plain paired t-test and the Wilcoxon test on folds are too liberal).
  p-values are Holm-adjusted over the methods of a data set (statsmodels).
* Across data sets: each method's average rank (its mean score per data set,
  ranked), the Friedman test (scipy) and the Nemenyi post-hoc test
  (scikit-posthocs) with Demšar's (2006) critical difference.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import scikit_posthocs as sp
from scipy import stats
from statsmodels.stats.multitest import multipletests

from ._metrics import METRICS

__all__ = ["paired_tests", "rank_test", "summarize"]


def _higher_is_better(metric: str) -> bool:
    if metric == "fit_seconds":
        return False
    if metric not in METRICS:
        raise ValueError(f"Unknown metric {metric!r}; choose from {list(METRICS)}.")
    return METRICS[metric]


def summarize(results: pd.DataFrame, metrics: list[str] | None = None) -> pd.DataFrame:
    """Mean and standard deviation over the splits, per data set and method.

    Parameters
    ----------
    results : DataFrame
        What :func:`compare` returned.
    metrics : list of str, default=None
        Columns to summarise; ``None``: every metric of :data:`METRICS` the
        results have, and ``fit_seconds``.

    Returns
    -------
    summary : DataFrame
        Indexed by (dataset, method); columns ``"<metric>_mean"`` and
        ``"<metric>_std"``.

    Examples
    --------
    >>> import pandas as pd
    >>> from wsample_sk.compare import summarize
    >>> res = pd.DataFrame({"dataset": "d", "method": ["a", "a", "b", "b"],
    ...                     "balanced_accuracy": [0.6, 0.8, 0.5, 0.5]})
    >>> summarize(res, ["balanced_accuracy"]).round(3).to_dict("list")
    {'balanced_accuracy_mean': [0.7, 0.5], 'balanced_accuracy_std': [0.141, 0.0]}
    """
    if metrics is None:  # every metric the results have
        metrics = [m for m in [*METRICS, "fit_seconds"] if m in results.columns]
    metrics = list(metrics)
    grouped = results.groupby(["dataset", "method"], sort=False)[metrics]
    out = grouped.agg(["mean", "std"])
    out.columns = [f"{metric}_{stat}" for metric, stat in out.columns]
    return out


def _splits(results: pd.DataFrame) -> tuple[int, int]:
    settings = results.attrs.get("settings", {})
    folds = settings.get("folds", int(results["fold"].max()) + 1)
    repeats = settings.get("repeats", int(results["repeat"].max()) + 1)
    return repeats, folds


def _t_test(d: np.ndarray, folds: int) -> dict:
    """The corrected resampled t-test of differences ``d``; NaN where undefined.

    With fewer than two splits, or differences that do not vary (constant up
    to rounding), the test has no variance to work with: ``t`` and ``p`` are
    NaN, and the method is neither better nor worse.
    """
    j = len(d)
    mean = float(d.mean()) if j else np.nan
    if j < 2 or np.ptp(d) <= 1e-12 * max(1.0, np.abs(d).max()):
        return {"difference": mean, "t": np.nan, "p": np.nan}
    se = np.sqrt((1.0 / j + 1.0 / (folds - 1)) * d.var(ddof=1))
    t = mean / se
    return {"difference": mean, "t": t, "p": 2.0 * stats.t.sf(abs(t), df=j - 1)}


def paired_tests(
    results: pd.DataFrame, reference: str = "none", metric: str = "balanced_accuracy"
) -> pd.DataFrame:
    """Each method against ``reference`` on the same splits of each data set.

    The corrected resampled t-test: with *d* the per-split differences
    (method minus reference; for metrics where lower is better, reference
    minus method, so a positive difference always means "better"), *J* the
    number of splits and ``n_test / n_train = 1 / (folds - 1)``,
    ``t = mean(d) / sqrt((1 / J + 1 / (folds - 1)) * var(d))`` with ``J - 1``
    degrees of freedom, two-sided. ``p_holm`` adjusts the p-values over the
    methods of a data set (Holm).

    Parameters
    ----------
    results : DataFrame
        What :func:`compare` returned.
    reference : str, default="none"
        The method every other is compared with.
    metric : str, default="balanced_accuracy"

    Returns
    -------
    tests : DataFrame
        Indexed by (dataset, method), columns ``difference`` (mean, positive
        = better than the reference), ``splits`` (pairs used), ``t``, ``p``,
        ``p_holm`` and ``better``/``worse`` (significant at 0.05 after Holm).
        ``t`` and ``p`` are NaN where the test is undefined: fewer than two
        splits, or differences that are the same on every split. No rows
        when the reference is the only method.

    Examples
    --------
    >>> import pandas as pd
    >>> from wsample_sk.compare import paired_tests
    >>> res = pd.DataFrame({"dataset": "d", "method": ["ref"] * 4 + ["new"] * 4,
    ...                     "repeat": [0, 0, 1, 1] * 2, "fold": [0, 1] * 4,
    ...                     "balanced_accuracy": [.5, .6, .55, .5, .7, .8, .72, .75]})
    >>> paired_tests(res, "ref")["difference"].round(3).tolist()
    [0.205]
    """
    sign = 1.0 if _higher_is_better(metric) else -1.0
    repeats, folds = _splits(results)
    if reference not in set(results["method"]):
        raise ValueError(f"The reference method {reference!r} is not in the results.")
    rows = []
    for dataset, part in results.groupby("dataset", sort=False):
        wide = part.pivot_table(  # a method without any score stays, as NaN
            index=["repeat", "fold"], columns="method", values=metric, dropna=False
        )
        base = wide[reference]
        for method in part["method"].unique():
            if method == reference:
                continue
            d = sign * (wide[method] - base).to_numpy()
            d = d[~np.isnan(d)]  # splits where both ran (an interrupted run may lack some)
            rows.append(
                {"dataset": dataset, "method": method, "splits": len(d), **_t_test(d, folds)}
            )
    columns = ["dataset", "method", "splits", "difference", "t", "p"]
    tests = pd.DataFrame(rows, columns=columns).set_index(["dataset", "method"])
    tests["p_holm"] = np.nan
    for dataset in tests.index.unique("dataset"):
        p = tests.loc[dataset, "p"]
        testable = p.notna()  # Holm over the tests that could be made
        if testable.any():
            adjusted = multipletests(p[testable].to_numpy(), method="holm")[1]
            tests.loc[[(dataset, m) for m in p.index[testable]], "p_holm"] = adjusted
    tests["better"] = (tests["p_holm"] < 0.05) & (tests["difference"] > 0)
    tests["worse"] = (tests["p_holm"] < 0.05) & (tests["difference"] < 0)
    return tests


def rank_test(
    results: pd.DataFrame, metric: str = "balanced_accuracy", alpha: float = 0.05
) -> dict:
    """Average ranks across data sets, Friedman test, Nemenyi post-hoc test.

    Each method's score on a data set is its mean over the splits; methods
    are ranked within a data set (1 = best, ties share the mean rank).

    Parameters
    ----------
    results : DataFrame
        What :func:`compare` returned (two or more data sets, three or more
        methods).
    metric : str, default="balanced_accuracy"
    alpha : float, default=0.05

    Returns
    -------
    test : dict
        ``"ranks"`` (Series, average rank per method, best first),
        ``"scores"`` (DataFrame, data set x method means), ``"statistic"`` and
        ``"p"`` of the Friedman test, ``"nemenyi"`` (DataFrame of pairwise
        p-values), ``"cd"`` (Demšar's critical difference of average ranks at
        ``alpha``), ``"n_datasets"``, ``"dropped"`` (methods left out because
        they lack a score on some data set, with a warning).

    Examples
    --------
    >>> import pandas as pd
    >>> from wsample_sk.compare import rank_test
    >>> res = pd.DataFrame({"dataset": [d for d in "abcd" for _ in range(3)],
    ...                     "method": ["x", "y", "z"] * 4,
    ...                     "balanced_accuracy": [.9, .8, .7, .8, .9, .6, .9, .7, .8, .9, .8, .7]})
    >>> rank_test(res)["ranks"].to_dict()
    {'x': 1.25, 'y': 2.0, 'z': 2.75}
    """
    higher = _higher_is_better(metric)
    scores = results.pivot_table(
        index="dataset", columns="method", values=metric, sort=False, dropna=False
    )
    scores = scores[list(dict.fromkeys(results["method"]))]
    incomplete = scores.columns[scores.isna().any()].tolist()
    if incomplete:
        warnings.warn(
            f"Method(s) {incomplete} have no {metric} on some data set(s); they are left "
            "out of the ranks (a rank test needs every method on every data set).",
            UserWarning,
            stacklevel=2,
        )
        scores = scores.drop(columns=incomplete)
    n, k = scores.shape
    if n < 2 or k < 3:
        left_out = (
            f" (left out: {incomplete}, which have no {metric} on some data set)"
            if incomplete
            else ""
        )
        raise ValueError(
            f"A rank test needs two or more data sets and three or more methods; got {n} "
            f"data set(s) and {k} method(s){left_out}."
        )
    ranks = scores.rank(axis=1, ascending=not higher)
    avg = ranks.mean().sort_values()
    statistic, p = stats.friedmanchisquare(*scores.to_numpy().T)
    sign = scores if higher else -scores
    nemenyi = sp.posthoc_nemenyi_friedman(sign.to_numpy())
    nemenyi.index = nemenyi.columns = scores.columns
    q = stats.studentized_range.ppf(1 - alpha, k, np.inf) / np.sqrt(2)
    cd = q * np.sqrt(k * (k + 1) / (6.0 * n))
    return {
        "ranks": avg,
        "scores": scores,
        "statistic": float(statistic),
        "p": float(p),
        "nemenyi": nemenyi,
        "cd": float(cd),
        "n_datasets": n,
        "alpha": alpha,
        "dropped": incomplete,
    }
