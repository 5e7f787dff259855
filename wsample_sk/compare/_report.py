"""The report: CSV and Markdown tables, figures, one self-contained HTML file.

Single-label, multi-label and regression data sets are reported side by side
but tested apart (:mod:`._analysis`).
"""

from __future__ import annotations

import base64
import html
import io
import os
import platform
import sys
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import precision_recall_curve

from .._density import TargetBins
from ._analysis import (  # noqa: F401 - default_reference, omitted: also imported from here
    LIMITS,
    _skipped_table,
    analyse,
    dataset_tasks,
    default_reference,
    omitted,
)
from ._metrics import METRICS, SHOT_BINS
from ._stats import _splits, summarize
from ._tasks import TASKS

__all__ = ["OUTPUT_FILES", "format_table", "write_report"]

#: Every file :func:`write_report` may write (the command line clears them from
#: ``--out`` before a run, so no file of an earlier run is left beside new ones).
OUTPUT_FILES: tuple[str, ...] = (
    "results.csv",
    "summary.csv",
    "summary.md",
    "paired_tests.csv",
    "ranks.csv",
    *(f"ranks{task.suffix}.csv" for task in TASKS.values() if task.suffix),
    "report.html",
    "pr_curves.png",
    "errors_by_target.png",
    "cd_diagram.png",
    *(f"cd_diagram{task.suffix}.png" for task in TASKS.values() if task.suffix),
    *(f"scores_{metric}.png" for metric in METRICS),
)


def format_table(results: pd.DataFrame, metrics: list[str] | None = None) -> str:
    """Markdown table of ``mean ± std`` per data set, method and metric.

    Examples
    --------
    >>> import pandas as pd
    >>> from wsample_sk.compare import format_table
    >>> res = pd.DataFrame({"dataset": "d", "method": ["a", "a"],
    ...                     "balanced_accuracy": [0.6, 0.8]})
    >>> print(format_table(res, ["balanced_accuracy"]))
    | dataset   | method   | balanced_accuracy   |
    |:----------|:---------|:--------------------|
    | d         | a        | 0.700 ± 0.141       |
    """
    if metrics is None:  # the summary columns of the results' tasks
        tasks = dict.fromkeys(dataset_tasks(results).values())
        shown = [m for task in tasks for m in task.shown if m in results.columns]
        metrics = [*dict.fromkeys(shown), "fit_seconds"]
    summary = summarize(results, metrics)
    table = pd.DataFrame(index=summary.index)
    for metric in metrics:
        digits = 2 if metric == "fit_seconds" else 3
        table[metric] = [  # one split (or one score): no spread to show
            "n/a"
            if np.isnan(m)
            else f"{m:.{digits}f}" + ("" if np.isnan(s) else f" ± {s:.{digits}f}")
            for m, s in zip(summary[f"{metric}_mean"], summary[f"{metric}_std"], strict=True)
        ]
    return table.reset_index().to_markdown(index=False, disable_numparse=True)


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return buffer.getvalue()


def _dot_plots(results: pd.DataFrame, metric: str):
    import matplotlib.pyplot as plt

    names = [n for n, part in results.groupby("dataset", sort=False) if part[metric].notna().any()]
    methods = list(dict.fromkeys(results["method"]))
    fig, axes = plt.subplots(
        1,
        len(names),
        figsize=(3.2 * len(names) + 1.5, 0.32 * len(methods) + 1.4),
        sharey=True,
        squeeze=False,
    )
    rng = np.random.default_rng(0)
    for ax, name in zip(axes[0], names, strict=True):
        part = results[results["dataset"] == name]
        for i, method in enumerate(methods):
            values = part.loc[part["method"] == method, metric].to_numpy()
            if not len(values):  # not run on this data set
                continue
            jitter = rng.uniform(-0.18, 0.18, len(values))
            ax.plot(values, i + jitter, "o", ms=3, alpha=0.45, color="tab:blue")
            ax.plot([values.mean()] * 2, [i - 0.35, i + 0.35], color="black", lw=2)
        values = part[metric].to_numpy()
        low, high = float(np.nanmin(values)), float(np.nanmax(values))
        pad = 0.05 * (high - low) + 1e-3
        ax.set_xlim(low - pad, high + pad)  # every dot inside the axes
        ax.set_title(name, fontsize=10)
        ax.set_xlabel(metric.replace("_", " "))
        ax.grid(axis="x", alpha=0.3)
    axes[0, 0].set_yticks(range(len(methods)), methods)
    axes[0, 0].invert_yaxis()
    fig.suptitle(f"{metric.replace('_', ' ')}: every split (dots) and the mean (bar)")
    fig.tight_layout()
    return fig


def _pr_curves(results: pd.DataFrame):
    import matplotlib.pyplot as plt

    meta, oof = results.attrs["datasets"], results.attrs["oof_proba"]
    names = [n for n in dict.fromkeys(results["dataset"]) if meta[n]["positive"] is not None]
    methods = list(dict.fromkeys(results["method"]))
    colors = plt.cm.tab10(np.arange(len(methods)) % 10)
    styles = ["-", "--", ":", "-."]
    fig, axes = plt.subplots(1, len(names), figsize=(3.6 * len(names) + 1.5, 3.6), squeeze=False)
    lines = {}  # one legend for every method, whichever data sets it ran on
    for ax, name in zip(axes[0], names, strict=True):
        y, positive = meta[name]["y"], meta[name]["positive"]
        truth = y[:, positive] == 1 if meta[name].get("multilabel") else y == positive
        for i, (method, color) in enumerate(zip(methods, colors, strict=True)):
            proba = oof.get((name, method))
            if proba is None or np.isnan(proba).any():
                continue
            precision, recall, _ = precision_recall_curve(truth, proba[:, positive])
            style = styles[(i // 10) % len(styles)]  # a line style per ten colours
            (lines[method],) = ax.plot(recall, precision, color=color, ls=style, lw=1.2)
        ax.set(xlabel="recall", ylabel="precision", xlim=(0, 1), ylim=(0, 1.02))
        kind = "label" if meta[name].get("multilabel") else "class"
        ax.set_title(f"{name}: {kind} {meta[name]['classes'][positive]!r}", fontsize=10)
    order = [m for m in methods if m in lines]
    axes[0, -1].legend(
        [lines[m] for m in order], order, fontsize=7, loc="center left", bbox_to_anchor=(1.02, 0.5)
    )
    fig.suptitle("Precision-recall of the rarest class or label (out of fold, first repeat)")
    fig.tight_layout()
    return fig


def _errors_by_target(results: pd.DataFrame):
    """Each regression data set: out-of-fold MAE per target bin, over the target's histogram."""
    import matplotlib.pyplot as plt

    meta, oof = results.attrs["datasets"], results.attrs["oof_proba"]
    names = [n for n in dict.fromkeys(results["dataset"]) if meta[n].get("task") == "regression"]
    methods = list(dict.fromkeys(results["method"]))
    colors = plt.cm.tab10(np.arange(len(methods)) % 10)
    fig, axes = plt.subplots(1, len(names), figsize=(4.2 * len(names) + 1.5, 3.6), squeeze=False)
    lines = {}
    for ax, name in zip(axes[0], names, strict=True):
        y = np.asarray(meta[name]["y"], dtype=np.float64)
        bins = TargetBins(y, SHOT_BINS)
        edges, which, rows = bins.edges, bins.codes, bins.counts
        centres, present = (edges[:-1] + edges[1:]) / 2, bins.counts > 0
        density = ax.twinx()
        density.bar(centres, rows, width=np.diff(edges), color="0.88", zorder=0)
        density.set_yscale("log")  # a long tail's rare bins stay visible
        density.set_ylabel("rows (log scale)", color="0.5")
        ax.set_zorder(density.get_zorder() + 1)
        ax.patch.set_visible(False)
        for i, (method, color) in enumerate(zip(methods, colors, strict=True)):
            pred = oof.get((name, method))
            if pred is None or np.isnan(pred).any():
                continue
            error = np.abs(pred[:, 0] - y)
            mae = np.bincount(which, error, SHOT_BINS) / np.maximum(rows, 1)
            style = ["-", "--", ":", "-."][(i // 10) % 4]
            (lines[method],) = ax.plot(centres[present], mae[present], "o", color=color,
                                       ls=style, lw=1.2, ms=3)  # fmt: skip
        ax.set(xlabel=meta[name]["classes"][0], ylabel="MAE (out of fold)")
        ax.set_title(name, fontsize=10)
    order = [m for m in methods if m in lines]
    axes[0, -1].legend(
        [lines[m] for m in order], order, fontsize=7, loc="center left", bbox_to_anchor=(1.15, 0.5)
    )
    fig.suptitle(
        f"Error along the target: MAE per bin ({SHOT_BINS} equal-width bins, first repeat) "
        "over the number of rows (grey)"
    )
    fig.tight_layout()
    return fig


def _cd_diagram(test: dict, metric: str, kind: str = ""):
    import matplotlib.pyplot as plt
    import scikit_posthocs as sp

    k = len(test["ranks"])
    fig, ax = plt.subplots(figsize=(8, 0.25 * k + 2))
    # dark, distinct colours: the labels take their method's colour
    palette = [*plt.cm.tab10.colors, *plt.cm.Dark2.colors]
    colors = [palette[i % len(palette)] for i in range(k)]
    sp.critical_difference_diagram(
        test["ranks"],
        test["nemenyi"],
        cd=test["cd"],
        alpha=test["alpha"],
        ax=ax,
        label_fmt_left="{label} ({rank:.1f})",
        label_fmt_right="({rank:.1f}) {label}",
        color_palette={m: colors[i] for i, m in enumerate(test["ranks"].index)},
    )
    ax.set_title(
        f"Average rank on {metric.replace('_', ' ')} over {test['n_datasets']} {kind}data sets "
        f"(1 = best); Friedman p = {test['p']:.3g}; bar: Nemenyi CD = {test['cd']:.2f}",
        fontsize=9,
        pad=28,  # above the CD bar and its label
    )
    return fig


def _rank_table(ranked: dict) -> pd.DataFrame:
    """Methods (best first) x data sets: mean scores, then the average rank."""
    table = ranked["scores"].T.assign(average_rank=ranked["ranks"])
    table.index.name = "method"
    return table.sort_values("average_rank")


def _environment() -> dict:
    versions = {}
    for package in (
        "wsample-sk",
        "torch",
        "skorch",
        "scikit-learn",
        "imbalanced-learn",
        "numpy",
        "scipy",
        "pandas",
        "scikit-posthocs",
    ):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpus": str(os.cpu_count()),
        **versions,
    }


def _html_page(parts: list[str], title: str) -> str:
    style = (
        "body{font-family:system-ui,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;"
        "color:#222}table{border-collapse:collapse;font-size:0.85em;margin:1em 0}"
        "td,th{border:1px solid #ccc;padding:3px 7px;text-align:right}"
        "th{background:#f3f3f3}img{max-width:100%}code,pre{background:#f6f6f6}"
    )
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{style}</style></head><body>{''.join(parts)}</body></html>\n"
    )


def write_report(
    results: pd.DataFrame,
    out: str | Path,
    *,
    metric: str = "balanced_accuracy",
    multilabel_metric: str = "macro_f1",
    regression_metric: str = "mae",
    reference: str | None = "none",
    command: str | None = None,
) -> dict[str, Path]:
    """Write the tables, the figures and ``report.html`` into ``out``.

    Single-label, multi-label and regression data sets are tested apart
    (see :func:`analyse`): each task its metric, its paired tests and its
    rank test. Methods skipped on a data set (``attrs["skipped"]``) are listed
    with the reason.

    Parameters
    ----------
    results : DataFrame
        What :func:`compare` returned.
    out : str or Path
        Folder to write into (created if needed).
    metric : str, default="balanced_accuracy"
        The metric of the tests, the ranks and the diagram of single-label
        data sets.
    multilabel_metric : str, default="macro_f1"
        The same for multi-label data sets (one of
        :data:`~wsample_sk.compare.MULTILABEL_METRICS`).
    regression_metric : str, default="mae"
        The same for regression data sets (one of
        :data:`~wsample_sk.compare.REGRESSION_METRICS`).
    reference : str or None, default="none"
        The method the paired tests compare with; ``None``: ``"none"`` if it
        ran, else the first method. Without it (or with a single method)
        the report says why there are no paired tests; a reference that does
        not apply to a kind of data (``ros`` on multi-label data) gives way
        to that default there, as the report says.
    command : str, default=None
        The command line that produced the results, for the report.

    Returns
    -------
    paths : dict
        ``{"results", "summary", "markdown", "tests", "ranks", "html", <figure
        names>}`` -> Path. ``tests`` only with two or more methods, one of
        them the reference (one table: ``task`` and ``metric`` columns);
        ``ranks`` and ``cd_diagram`` (single-label), ``ranks_multilabel``,
        ``cd_diagram_multilabel``, ``ranks_regression`` and
        ``cd_diagram_regression`` only with two or more data sets of the
        task and three or more methods (the report says why a table is
        missing); ``pr_curves`` (classification) and ``errors_by_target``
        (regression) only for results fresh from :func:`compare`
        (``results.csv`` read back holds no out-of-fold outputs), so a saved
        run can be reported again.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = analyse(
        results,
        metric=metric,
        multilabel_metric=multilabel_metric,
        regression_metric=regression_metric,
        reference=reference,
    )
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "results": out / "results.csv",
        "summary": out / "summary.csv",
        "markdown": out / "summary.md",
        "tests": out / "paired_tests.csv",
        "html": out / "report.html",
    }
    results.to_csv(paths["results"], index=False)
    summary = summarize(results)
    summary.to_csv(paths["summary"])
    tables = {
        g["kind"]: format_table(g["results"], [*g["task"].shown, "fit_seconds"]) for g in groups
    }
    markdown = "\n\n".join(
        (f"{kind} data sets\n\n{table}" if len(tables) > 1 else table)
        for kind, table in tables.items()
    )
    n_datasets = results["dataset"].nunique()
    notes = [note for g in groups for note in g["notes"].values()]
    tests = [
        g["tests"].assign(task=g["kind"], metric=g["metric"])
        for g in groups
        if g["tests"] is not None
    ]
    if tests:
        table = pd.concat(tests)
        table[["task", "metric", *table.columns[:-2]]].to_csv(paths["tests"])
    else:
        paths.pop("tests")
    for g in groups:
        if g["ranked"] is not None:
            key = "ranks" + g["task"].suffix
            paths[key] = out / f"{key}.csv"
            _rank_table(g["ranked"]).to_csv(paths[key], float_format="%.4f")

    shown = [*(g["metric"] for g in groups), "average_precision", "brier", "few_shot_mae"]
    shown = [m for m in dict.fromkeys(shown) if m in results and results[m].notna().any()]
    figures = {f"scores_{m}": _dot_plots(results, m) for m in shown}
    tasks = dataset_tasks(results)
    if "oof_proba" in results.attrs:  # not in results read back from results.csv
        if any(t.name != "regression" for t in tasks.values()):
            figures["pr_curves"] = _pr_curves(results)
        if any(t.name == "regression" for t in tasks.values()):
            figures["errors_by_target"] = _errors_by_target(results)
    for g in groups:
        if g["ranked"] is not None:
            kind = f"{g['kind']} " if len(groups) > 1 else ""
            figures["cd_diagram" + g["task"].suffix] = _cd_diagram(g["ranked"], g["metric"], kind)
    images = {}
    for name, fig in figures.items():
        images[name] = _png(fig)
        plt.close(fig)
        paths[name] = out / f"{name}.png"
        paths[name].write_bytes(images[name])

    def img(name):
        data = base64.b64encode(images[name]).decode()
        return f"<p><img src='data:image/png;base64,{data}' alt='{name}'></p>"

    settings = results.attrs.get("settings", {})
    repeats, folds = _splits(results)
    meta = results.attrs.get("datasets", {})
    present = [t for t in TASKS.values() if t in tasks.values()]
    how = " and ".join(
        t.split_text(folds) + (f" ({t.name} data)" if len(present) > 1 else "") for t in present
    )
    per_set = results.groupby("dataset", sort=False)["method"].nunique().tolist()
    counts = (
        f"{per_set[0]} method(s)"
        if len(set(per_set)) == 1
        else f"{' / '.join(map(str, per_set))} methods (those that apply to each)"
    )
    parts = [
        "<h1>wsample-sk compare</h1>",
        f"<p>{len(results)} fits: {n_datasets} data set(s) x {counts} x "
        f"{repeats} repeat(s) of {how}, the same splits and seeds for every method.</p>",
    ]
    cut = {n: i for n, i in meta.items() if i.get("n_rows_total", i["n_rows"]) > i["n_rows"]}
    if cut:
        sizes = ", ".join(f"{n} ({i['n_rows']} of {i['n_rows_total']})" for n, i in cut.items())
        parts.append(
            f"<p>Subsampled to max_rows={settings.get('max_rows')}: {html.escape(sizes)}. "
            "Each is a stratified, seeded subsample: the models train on fewer rows than "
            "the full data has.</p>"
        )
    parts += [f"<p><i>{html.escape(note)}</i></p>" for note in notes]
    skipped = _skipped_table(results)
    if skipped is not None:
        parts += [
            "<h2>Methods not run on some data sets</h2>",
            "<p>A method that does not apply to a data set's task is not run "
            "there (and is absent from that kind's tests and ranks):</p>",
            skipped.to_html(index=False),
        ]
    for g in groups:
        ranked, kind_metric = g["ranked"], g["metric"].replace("_", " ")
        label = f"{g['kind']} data sets, " if len(groups) > 1 or g["task"].suffix else ""
        if ranked is not None:
            verdict = (
                "the methods' ranks differ more than chance explains"
                if ranked["p"] < ranked["alpha"]
                else "no evidence that the methods' ranks differ"
            )
            if g["task"] in LIMITS:
                verdict += "; see below what so few data sets can tell apart"
            parts += [
                f"<h2>Across {label or 'data sets: '}{kind_metric}</h2>",
                f"<p>Friedman test: chi2 = {ranked['statistic']:.2f}, p = {ranked['p']:.3g} "
                f"({verdict}). Methods joined by a bar are not significantly different "
                f"(Nemenyi, alpha = {ranked['alpha']}); with {ranked['n_datasets']} data sets "
                f"two average ranks must differ by {ranked['cd']:.2f} to be told apart.</p>",
                img("cd_diagram" + g["task"].suffix),
                _rank_table(ranked).to_html(float_format="%.3f"),
            ]
            if ranked["dropped"]:
                parts.append(
                    f"<p>Left out of the ranks (no score on some data set): "
                    f"{html.escape(', '.join(ranked['dropped']))}.</p>"
                )
        if g["tests"] is not None:
            reference_name = g["reference"]
            parts += [
                f"<h2>Per data set{' (' + g['kind'] + ')' if label else ''}: against "
                f"{reference_name!r} on the same splits</h2>",
                "<p>Corrected resampled t-test (Nadeau and Bengio 2003) on the per-split "
                f"differences in {kind_metric} (positive: better than "
                f"{reference_name!r}); p-values Holm-adjusted within a data set. t and p are "
                "empty where the differences do not vary over the splits.</p>",
                g["tests"].to_html(float_format="%.4g"),
            ]
        if g["task"] in LIMITS:
            parts.append(LIMITS[g["task"]](g, repeats, folds))
    parts += [
        "<h2>Every split</h2>",
        *[img(f"scores_{m}") for m in shown],
        *(["<h2>Precision-recall</h2>", img("pr_curves")] if "pr_curves" in images else []),
        *(
            ["<h2>Error along the target</h2>", img("errors_by_target")]
            if "errors_by_target" in images
            else []
        ),
        "<h2>Means and standard deviations over the splits</h2>",
    ]
    for g in groups:
        columns = ["dataset", "method"] + [
            c for m in [*g["task"].metrics, "fit_seconds"] for c in (f"{m}_mean", f"{m}_std")
        ]
        rows = summary.reset_index()
        rows = rows[rows["dataset"].isin(g["datasets"])][columns]
        if len(groups) > 1:
            parts.append(f"<h3>{g['kind'].capitalize()} data sets</h3>")
        parts.append(rows.to_html(index=False, float_format="%.3f"))
    if any(t.name == "multi-label" for t in tasks.values()):
        parts.append(
            "<p>Multi-label scores: macro F1 and average precision are means over the "
            "labels with a positive in the test part, balanced accuracy and ROC AUC over "
            "the labels with positives and negatives there, Brier score and log loss over "
            "every label; micro F1 and the Hamming loss pool every (row, label) decision. "
            "Decisions are each model's own predict.</p>"
        )
    if any(t.name == "regression" for t in tasks.values()):
        parts.append(
            f"<p>Regression scores: MAE, RMSE and R² over the test part; the shot regions "
            f"cut the training target into {SHOT_BINS} equal-width bins, u = n_train / "
            f"{SHOT_BINS} rows each if it were uniform: a test row is many-shot in a bin with "
            "at least u training rows, few-shot under u / 5 (the ratio of Yang et al.'s 100 "
            "and 20), medium-shot in between; a region without test rows has no score on "
            "that split. SERA is the sum over the test rows of relevance x squared error, "
            "the relevance (Ribeiro 2011) 0 at the training target's median and 1 at its "
            "boxplot's adjacent values and beyond. Every regression model learns the "
            "standardised target and predicts in its units.</p>"
        )
    parts.append("<h2>Data sets</h2><ul>")
    for name, info in meta.items():
        mix = tasks[name].describe(np.asarray(info["y"]), info["classes"])
        total = info.get("n_rows_total", info["n_rows"])
        rows = f"{info['n_rows']} rows" + (
            f" (a stratified subsample of {total})" if total > info["n_rows"] else ""
        )
        parts.append(
            f"<li><b>{html.escape(name)}</b>: {rows}; {html.escape(mix)}"
            f"{'. ' + html.escape(info['description']) if info.get('description') else ''}</li>"
        )
    parts.append("</ul>")
    env = _environment()
    parts += [
        "<h2>How this was run</h2>",
        f"<pre>{html.escape(command or '(from Python)')}</pre>",
        "<p>Settings: " + html.escape(", ".join(f"{k}={v}" for k, v in settings.items())) + "</p>",
        "<p>Fit time is the wall time of <code>fit</code> after an untimed warm-up fit per "
        "method and process; each fit uses one torch thread. Peak memory is not reported: "
        "on data this small it is below what a process-level probe can tell apart "
        "(<code>benchmarks/</code> measures memory at scale).</p>",
        pd.Series(env, name="version").to_frame().to_html(),
    ]
    paths["html"].write_text(_html_page(parts, "wsample-sk compare"))
    extra = "".join(f"\n{note}\n" for note in notes)
    if skipped is not None:
        extra += "\nMethods not run on some data sets:\n\n" + skipped.to_markdown(index=False)
        extra += "\n"
    paths["markdown"].write_text(markdown + "\n" + extra)
    return paths
