"""Rewrite ``docs/results/``: the comparison on the built-in suite, for the docs.

    python docs/make_results.py                          # runs it (about 3 min on 2 cores)
    python docs/make_results.py --task regression        # the regression sets (about 1 min)
    python docs/make_results.py --results run/results.csv  # reports a saved run again

It runs every method and the references on the built-in data sets of one
task (``wsample-sk compare --methods all --references``, with ``--datasets``
those of the task), writes the report's tables and figures into
``docs/results/`` (regression: ``docs/results/regression/``; the HTML
report itself is not kept in git) and ``when_each_helps.rst``, the table the
user guide includes: each method's mean difference from no weighting and its
average rank, per metric, all measured in this one run.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

import pandas as pd

from wsample_sk.compare import (
    DATASETS,
    METHODS,
    compare,
    load_dataset,
    rank_test,
    summarize,
    write_report,
)

RESULTS = Path(__file__).parent / "results"
OUT = {"single-label": RESULTS, "regression": RESULTS / "regression"}
COMMAND = "wsample-sk compare --methods all --references"
# what each task's table shows: (metric, its name, lower is better), the first two ranked
COLUMNS = {
    "single-label": [
        ("balanced_accuracy", "balanced accuracy", False),
        ("brier", "Brier", True),
        ("average_precision", "average precision", False),
    ],
    "regression": [
        ("mae", "MAE", True),
        ("few_shot_mae", "few-shot MAE", True),
        ("rmse", "RMSE", True),
    ],
}
RELATIVE = {"single-label": False, "regression": True}
# where a method's source differs on a continuous target
PAPERS_REGRESSION = {
    "balanced": "LDS draws, Yang et al. 2021",
    "sqrt": "LDS, square root",
    "effective": "Cui et al. 2019 on LDS counts",
    "loss": "LDS loss weights, Yang et al. 2021",
    "ros": "imbalanced-learn on 10 target bins",
}  # differences in % of none's
PAPERS = {
    "balanced": "inverse class frequency draws",
    "sqrt": "Mahajan et al. 2018",
    "effective": "Cui et al. 2019",
    "progressive": "Kang et al. 2020",
    "deferred": "Cao et al. 2019 (DRW, draw form)",
    "loss": "class-weighted loss",
    "batches": "balanced batches",
    "epochs": "exact quotas, RandomOverSampler's 'auto'",
    "balanced_prior": "Saerens et al. 2002; Menon et al. 2021",
    "logit_adjusted": "Menon et al. 2021; Ren et al. 2020",
    "ldam_drw": "Cao et al. 2019",
    "focal": "Lin et al. 2017",
    "ros": "imbalanced-learn",
    "rus": "imbalanced-learn",
    "smote": "Chawla et al. 2002",
    "ref_logreg": "scikit-learn",
    "ref_hgb": "scikit-learn",
    "ref_brf": "Chen et al. 2004",
    "denseweight": "Steininger et al. 2021",
    "bmse": "Ren et al. 2022",
    "smoter": "Torgo et al. 2013 (resreg)",
    "ref_mlp": "scikit-learn",
    "ref_skorch": "skorch",
}


def when_each_helps(results: pd.DataFrame, task: str, command: str) -> str:
    """The rst table: mean difference from ``none`` and average rank per metric."""
    columns = COLUMNS[task]
    metrics = [m for m, _, _ in columns]
    means = summarize(results, metrics)
    ranks = {m: rank_test(results, m)["ranks"] for m in metrics[:2]}
    none = means.xs("none", level="method")
    rows = []
    for method in dict.fromkeys(results["method"]):
        part = means.xs(method, level="method")
        # errors in the target's units differ from data set to data set: relative change
        diff = (part / none - 1).mean() * 100 if RELATIVE[task] else (part - none).mean()
        first, _, lower = columns[0]
        sign = -1 if lower else 1
        better = int((sign * (part[f"{first}_mean"] - none[f"{first}_mean"]) > 0).sum())
        papers = {**PAPERS, **(PAPERS_REGRESSION if task == "regression" else {})}
        cells = [f"``{method}``", papers.get(method, "")]
        for k, (metric, _, _) in enumerate(columns):
            value = diff[f"{metric}_mean"]
            cell = f"{value:+.1f}%" if RELATIVE[task] else f"{value:+.3f}"
            cells.append(f"{cell} ({better}/{len(none)})" if k == 0 else cell)
            if metric in ranks:
                cells.append(f"{ranks[metric][method]:.1f}")
        rows.append(cells)
    head = ["method", "source"]
    for k, (metric, name, lower) in enumerate(columns):
        note = " (lower is better)" if lower else ""
        head.append(f"{name} vs none{note}" + (" (data sets better)" if k == 0 else ""))
        if metric in ranks:
            head.append(f"{name} rank")
    n = results["dataset"].nunique()
    how = "relative differences (%)" if RELATIVE[task] else "differences"
    lines = [
        f".. list-table:: Measured by ``{command}`` (5 x 2-fold CV, {n} data sets; "
        f"{how} are means over data sets of the per-data-set means; ranks are "
        f"average ranks among {results['method'].nunique()} methods, 1 = best)",
        "   :header-rows: 1",
        "",
    ]
    for row in [head, *rows]:
        lines.append(f"   * - {row[0]}")
        lines += [f"     - {cell}" for cell in row[1:]]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", choices=list(OUT), default="single-label")
    parser.add_argument("--results", help="a results.csv of an earlier run of " + COMMAND)
    args = parser.parse_args()
    names = [name for name in DATASETS if load_dataset(name).task == args.task]
    command = COMMAND if args.task == "single-label" else f"{COMMAND} --datasets {' '.join(names)}"
    if args.results:
        results = pd.read_csv(args.results)
        results.attrs["settings"] = {"repeats": int(results["repeat"].max()) + 1,
                                     "folds": int(results["fold"].max()) + 1}  # fmt: skip
        results = results[results["task"] == args.task]
    else:
        results = compare(datasets=names, methods=list(METHODS), references=True, n_jobs=-1)
    out = OUT[args.task]
    paths = write_report(results, out, command=command)
    paths["html"].unlink()  # tens of images as base64: not for git
    (out / "when_each_helps.rst").write_text(when_each_helps(results, args.task, command))
    print("wrote", ", ".join(sorted(p.name for p in out.iterdir())), "by", shlex.join(sys.argv))


if __name__ == "__main__":
    main()
