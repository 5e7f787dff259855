"""Which tests each task gets: single-label, multi-label and regression data, apart.

A rank across data sets needs the same methods and the same metric on every
data set, so the data sets of each task are tested apart, each task with its
metric (balanced accuracy, macro F1 and MAE by default), its paired tests
against the reference and its own rank test.
"""

from __future__ import annotations

import pandas as pd

from ._methods import skip_reason
from ._stats import paired_tests, rank_test
from ._tasks import MULTI_LABEL, REGRESSION, SINGLE_LABEL, TASKS, Task

__all__ = ["analyse", "dataset_tasks", "default_reference", "omitted"]


def dataset_tasks(results: pd.DataFrame) -> dict[str, Task]:
    """``{data set: its task}``, in the results' order.

    From ``attrs["datasets"]`` (fresh from :func:`compare`), else the
    ``task`` column (``results.csv`` read back), else single-label.

    Examples
    --------
    >>> import pandas as pd
    >>> from wsample_sk.compare._analysis import dataset_tasks
    >>> res = pd.DataFrame({"dataset": ["a", "b"], "task": ["single-label", "regression"]})
    >>> {name: task.name for name, task in dataset_tasks(res).items()}
    {'a': 'single-label', 'b': 'regression'}
    """
    names = list(dict.fromkeys(results["dataset"]))
    meta = results.attrs.get("datasets", {})
    if all(name in meta and "task" in meta[name] for name in names):
        return {name: TASKS[meta[name]["task"]] for name in names}
    if "task" in results.columns:
        task = results.groupby("dataset", sort=False)["task"].first()
        return {name: TASKS[task[name]] for name in names}
    return dict.fromkeys(names, SINGLE_LABEL)


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


def _task_reference(
    reference: str | None, methods: list[str], task: Task
) -> tuple[str | None, str | None]:
    """The reference of one task's data sets, and a note when it had to change.

    A reference that cannot run on this task (say ``ros`` on multi-label
    data) gives way to the default one, with a note saying so.
    """
    if reference is None or reference in methods:
        return (default_reference(methods) if reference is None else reference), None
    try:
        reason = skip_reason(reference, task)
    except ValueError:  # not a method of the comparison: omitted() says it did not run
        reason = None
    fallback = default_reference(methods)
    if reason is None or fallback is None:
        return reference, None
    return fallback, (
        f"The reference method {reference!r} does not apply to {task.name} data "
        f"({reason}); their paired tests compare with {fallback!r}."
    )


def task_metrics(
    metric: str = "balanced_accuracy",
    multilabel_metric: str = "macro_f1",
    regression_metric: str = "mae",
) -> dict[Task, str]:
    """The metric of each task, each checked against the task's metrics.

    Examples
    --------
    >>> from wsample_sk.compare._analysis import task_metrics
    >>> [m for m in task_metrics(regression_metric="sera").values()]
    ['balanced_accuracy', 'macro_f1', 'sera']
    """
    chosen = {SINGLE_LABEL: metric, MULTI_LABEL: multilabel_metric, REGRESSION: regression_metric}
    names = {SINGLE_LABEL: "metric", MULTI_LABEL: "multilabel_metric",
             REGRESSION: "regression_metric"}  # fmt: skip
    for task, value in chosen.items():
        if value not in task.metrics:
            raise ValueError(
                f"{names[task]} must be one of {list(task.metrics)} ({task.name} data); got "
                f"{value!r}."
            )
    return chosen


def analyse(
    results: pd.DataFrame,
    *,
    metric: str = "balanced_accuracy",
    multilabel_metric: str = "macro_f1",
    regression_metric: str = "mae",
    reference: str | None = "none",
) -> list[dict]:
    """Tests of each task's data sets (single-label, multi-label, regression), apart.

    Parameters
    ----------
    results : DataFrame
        What :func:`compare` returned.
    metric, multilabel_metric, regression_metric : str
        The metric of single-label, multi-label (one of
        :data:`~wsample_sk.compare.MULTILABEL_METRICS`) and regression (one
        of :data:`~wsample_sk.compare.REGRESSION_METRICS`) data sets.
    reference : str or None, default="none"
        See :func:`write_report`.

    Returns
    -------
    analyses : list of dict
        One per task present: ``"task"`` (the Task), ``"kind"`` (its
        name), ``"metric"``, ``"datasets"``, ``"methods"``,
        ``"reference"``, ``"results"`` (its rows), ``"notes"``
        (``{"reference"?, "tests"?, "ranks"?: why}``), ``"tests"``
        (:func:`paired_tests` or None) and ``"ranked"`` (:func:`rank_test`
        or None).
    """
    metrics = task_metrics(metric, multilabel_metric, regression_metric)
    tasks = dataset_tasks(results)
    several = len(set(tasks.values())) > 1
    out = []
    for task in TASKS.values():
        names = [n for n, t in tasks.items() if t is task]
        if not names:
            continue
        part = results[results["dataset"].isin(names)]
        methods = list(dict.fromkeys(part["method"]))
        ref, changed = _task_reference(reference, methods, task)
        notes = {"reference": changed} if changed else {}
        notes.update(omitted(methods, len(names), ref))
        if several:
            notes = {k: f"{task.name.capitalize()} data: {v}" for k, v in notes.items()}
        chosen = metrics[task]
        tests = None if "tests" in notes else paired_tests(part, ref, chosen)
        ranked = None
        if "ranks" not in notes:
            try:
                ranked = rank_test(part, chosen)
            except ValueError as exc:  # too few methods left on every data set
                notes["ranks"] = f"No rank test across data sets: {exc}"
        out.append(
            {
                "task": task,
                "kind": task.name,
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


def _rank_limits(group: dict) -> str:
    """What the rank test across this task's few data sets can tell apart."""
    n, k = len(group["datasets"]), len(group["methods"])
    ranked, kind = group["ranked"], group["kind"]
    if ranked is None:
        return (
            f"With {n} {kind} data set(s) and {k} method(s) there is no rank test across "
            "them; only the per data set tests speak."
        )
    ranks = (
        f"Across data sets, the Friedman test ranks {k} methods on {n} {kind} data "
        f"sets; two average ranks must differ by the Nemenyi critical difference, "
        f"{ranked['cd']:.2f}, to be told apart"
    )
    if ranked["cd"] >= k - 1:
        ranks += (
            f", more than the largest possible difference ({k - 1}): no two methods can "
            "be told apart by rank"
        )
    return ranks + (
        ". The Friedman p-value is a chi-square approximation meant for many data sets "
        "(Demšar 2006 asks for more than ten); with this few, read the ranks as a "
        "description, not evidence."
    )


def _multilabel_limits(group: dict, repeats: int, folds: int) -> str:
    metric = group["metric"].replace("_", " ")
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
        f"for the overlap of training parts. {_rank_limits(group)}</p>"
    )


def _regression_limits(group: dict, repeats: int, folds: int) -> str:
    return (
        "<h3>What the regression statistics can and cannot tell apart</h3><p>"
        "Re-weighting rare target values trades error where the training data are dense "
        "for error where they are sparse: read the many-, medium- and few-shot MAE side by "
        "side, not the overall MAE alone, which the dense region dominates. The few-shot "
        "region of a test part holds few rows (often a handful), so its MAE varies a lot "
        f"from split to split; each paired test has {repeats * folds} paired values "
        "(repeats x folds), and a few-shot MAE that is missing on a split (no test row "
        "there) leaves that split out of its test. SERA weighs every squared error by the "
        "relevance of its target (0 at the median, 1 at the boxplot's adjacent values and "
        "beyond), so a few large errors on extreme targets dominate it. The splits are "
        "stratified on the target's deciles, so every fold holds part of the tail. "
        f"{_rank_limits(group)}</p>"
    )


#: The report's paragraph on what a task's statistics can tell apart (tasks not listed: none).
LIMITS = {MULTI_LABEL: _multilabel_limits, REGRESSION: _regression_limits}


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
