"""Which tests each kind of data set gets: single-label and multi-label data, apart.

A rank across data sets needs the same methods and the same metric on every
data set, so single-label and multi-label data sets are tested apart, each
with its metric (balanced accuracy and macro F1 by default), its paired
tests against the reference and its own rank test.
"""

from __future__ import annotations

import pandas as pd

from ._methods import skip_reason
from ._metrics import MULTILABEL_METRICS
from ._stats import paired_tests, rank_test

__all__ = ["analyse", "default_reference", "multilabel_datasets", "omitted"]

_KINDS = {False: "single-label", True: "multi-label"}


def multilabel_datasets(results: pd.DataFrame) -> dict[str, bool]:
    """``{data set: whether it is multi-label}``, in the results' order.

    From ``attrs["datasets"]`` (fresh from :func:`compare`), else the
    ``task`` column (``results.csv`` read back), else single-label.

    Examples
    --------
    >>> import pandas as pd
    >>> from wsample_sk.compare._analysis import multilabel_datasets
    >>> res = pd.DataFrame({"dataset": ["a", "b"], "task": ["single-label", "multi-label"]})
    >>> multilabel_datasets(res)
    {'a': False, 'b': True}
    """
    names = list(dict.fromkeys(results["dataset"]))
    meta = results.attrs.get("datasets", {})
    if all(name in meta for name in names):
        return {name: bool(meta[name].get("multilabel", False)) for name in names}
    if "task" in results.columns:
        task = results.groupby("dataset", sort=False)["task"].first()
        return {name: task[name] == "multi-label" for name in names}
    return dict.fromkeys(names, False)


def default_reference(methods: list[str]) -> str | None:
    """The method paired tests compare with by default: ``"none"`` if run, else the first.

    ``None`` with fewer than two methods (nothing to compare).

    Examples
    --------
    >>> from wsample_sk.compare._analysis import default_reference
    >>> default_reference(["balanced", "none"]), default_reference(["balanced", "ros"])
    ('none', 'balanced')
    >>> default_reference(["balanced"]) is None
    True
    """
    methods = list(methods)
    if len(methods) < 2:
        return None
    return "none" if "none" in methods else methods[0]


def omitted(methods: list[str], n_datasets: int, reference: str | None) -> dict[str, str]:
    """Why the paired tests (``"tests"``) or the rank test (``"ranks"``) cannot be made.

    Examples
    --------
    >>> from wsample_sk.compare._analysis import omitted
    >>> sorted(omitted(["balanced"], 1, None))
    ['ranks', 'tests']
    >>> omitted(["none", "balanced", "ros"], 2, "none")
    {}
    """
    methods = list(methods)
    notes = {}
    if len(methods) < 2:
        notes["tests"] = (
            f"No paired tests: only one method ran ({', '.join(map(repr, methods))}); they "
            "compare each method with a reference method on the same splits."
        )
    elif reference not in methods:
        notes["tests"] = (
            f"No paired tests: the reference method {reference!r} was not run "
            f"(the methods are {', '.join(methods)})."
        )
    if n_datasets < 2 or len(methods) < 3:
        notes["ranks"] = (
            "No rank test across data sets: the Friedman and Nemenyi tests need two or "
            f"more data sets and three or more methods; this run has {n_datasets} data "
            f"set(s) and {len(methods)} method(s)."
        )
    return notes


def _kind_reference(
    reference: str | None, methods: list[str], multilabel: bool
) -> tuple[str | None, str | None]:
    """The reference of one kind of data set, and a note when it had to change.

    A reference that cannot run on this kind (say ``ros`` on multi-label
    data) gives way to the default one, with a note saying so.
    """
    if reference is None or reference in methods:
        return (default_reference(methods) if reference is None else reference), None
    try:
        reason = skip_reason(reference, multilabel)
    except ValueError:  # not a method of the comparison: omitted() says it did not run
        reason = None
    fallback = default_reference(methods)
    if reason is None or fallback is None:
        return reference, None
    return fallback, (
        f"The reference method {reference!r} does not apply to {_KINDS[multilabel]} data "
        f"({reason}); their paired tests compare with {fallback!r}."
    )


def analyse(
    results: pd.DataFrame,
    *,
    metric: str = "balanced_accuracy",
    multilabel_metric: str = "macro_f1",
    reference: str | None = "none",
) -> list[dict]:
    """Tests of each kind of data set (single-label, then multi-label), apart.

    Parameters
    ----------
    results : DataFrame
        What :func:`compare` returned.
    metric, multilabel_metric : str
        The metric of single-label and of multi-label data sets (one of
        :data:`~wsample_sk.compare.MULTILABEL_METRICS`).
    reference : str or None, default="none"
        See :func:`write_report`.

    Returns
    -------
    analyses : list of dict
        One per kind present: ``"multilabel"``, ``"kind"``, ``"metric"``,
        ``"datasets"``, ``"methods"``, ``"reference"``, ``"results"`` (its
        rows), ``"notes"`` (``{"reference"?, "tests"?, "ranks"?: why}``),
        ``"tests"`` (:func:`paired_tests` or None) and ``"ranked"``
        (:func:`rank_test` or None).
    """
    if multilabel_metric not in MULTILABEL_METRICS:
        raise ValueError(
            f"multilabel_metric must be one of {list(MULTILABEL_METRICS)}; got "
            f"{multilabel_metric!r}."
        )
    kinds = multilabel_datasets(results)
    both = len(set(kinds.values())) == 2
    out = []
    for multilabel in (False, True):
        names = [n for n, ml in kinds.items() if ml == multilabel]
        if not names:
            continue
        part = results[results["dataset"].isin(names)]
        methods = list(dict.fromkeys(part["method"]))
        ref, changed = _kind_reference(reference, methods, multilabel)
        notes = {"reference": changed} if changed else {}
        notes.update(omitted(methods, len(names), ref))
        if both:
            notes = {k: f"{_KINDS[multilabel].capitalize()} data: {v}" for k, v in notes.items()}
        chosen = multilabel_metric if multilabel else metric
        tests = None if "tests" in notes else paired_tests(part, ref, chosen)
        ranked = None
        if "ranks" not in notes:
            try:
                ranked = rank_test(part, chosen)
            except ValueError as exc:  # too few methods left on every data set
                notes["ranks"] = f"No rank test across data sets: {exc}"
        out.append(
            {
                "multilabel": multilabel,
                "kind": _KINDS[multilabel],
                "metric": chosen,
                "datasets": names,
                "methods": methods,
                "reference": ref,
                "results": part,
                "notes": notes,
                "tests": tests,
                "ranked": ranked,
            }
        )
    return out


def _multilabel_limits(group: dict, repeats: int, folds: int) -> str:
    """What the statistics can and cannot tell apart on these multi-label data sets."""
    n, k = len(group["datasets"]), len(group["methods"])
    metric = group["metric"].replace("_", " ")
    ranked = group["ranked"]
    if ranked is None:
        ranks = (
            f"With {n} multi-label data set(s) and {k} method(s) there is no rank test across "
            "them; only the per data set tests speak."
        )
    else:
        ranks = (
            f"Across data sets, the Friedman test ranks {k} methods on {n} multi-label data "
            f"sets; two average ranks must differ by the Nemenyi critical difference, "
            f"{ranked['cd']:.2f}, to be told apart"
        )
        if ranked["cd"] >= k - 1:
            ranks += (
                f", more than the largest possible difference ({k - 1}): no two methods can "
                "be told apart by rank"
            )
        ranks += (
            ". The Friedman p-value is a chi-square approximation meant for many data sets "
            "(Demšar 2006 asks for more than ten); with this few, read the ranks as a "
            "description, not evidence."
        )
    return (
        "<h3>What the multi-label statistics can and cannot tell apart</h3><p>"
        f"Each split gives one {metric} per method, an average over the labels: the "
        f"paired test of a data set has {repeats * folds} paired values (repeats x folds) "
        "however many labels there are. The labels are not independent observations (they are "
        "correlated, as 'prime' and 'even' are for digits), so a difference on one or "
        "two rare labels moves the average by a fraction and is easily lost in the "
        "split-to-split spread; look at the per-label scores (the out-of-fold "
        "probabilities) before concluding that a method helps the tail. The splits are "
        "iterative stratification (Sechidis et al. 2011), not exact stratification: a "
        "rare label's positives are spread within one row per fold, the frequent labels "
        "only approximately, so the folds vary a little more than stratified "
        "single-label folds; the corrected resampled t-test still widens the variance "
        f"for the overlap of training parts. {ranks}</p>"
    )


def _skipped_table(results: pd.DataFrame) -> pd.DataFrame | None:
    """Methods that did not run on some data set: method, reason, data sets."""
    skipped = results.attrs.get("skipped", {})
    rows = {}
    for dataset, reasons in skipped.items():
        for method, reason in reasons.items():
            rows.setdefault((method, reason), []).append(dataset)
    if not rows:
        return None
    return pd.DataFrame(
        [{"method": m, "not run on": ", ".join(d), "why": r} for (m, r), d in rows.items()]
    )
