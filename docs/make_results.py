"""Rewrite ``docs/results/``: the comparison on the built-in suite, for the docs.

    python docs/make_results.py                          # runs it (about 4 min on 2 cores)
    python docs/make_results.py --results run/results.csv  # reports a saved run again

It runs every method and the references (``wsample-sk compare --methods all
--references``), writes the report's tables and figures into
``docs/results/`` (the HTML report itself is not kept in git) and
``when_each_helps.rst``, the table the user guide includes: each method's
mean difference from no weighting and its average rank, per metric, all
measured in this one run.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

import pandas as pd

from wsample_sk.compare import METHODS, compare, rank_test, summarize, write_report

OUT = Path(__file__).parent / "results"
COMMAND = "wsample-sk compare --methods all --references"
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
}


def when_each_helps(results: pd.DataFrame) -> str:
    """The rst table: mean difference from ``none`` and average rank per metric."""
    means = summarize(results, ["balanced_accuracy", "average_precision", "brier"])
    ranks = {m: rank_test(results, m)["ranks"] for m in ("balanced_accuracy", "brier")}
    none = means.xs("none", level="method")
    rows = []
    for method in dict.fromkeys(results["method"]):
        part = means.xs(method, level="method")
        diff = (part - none).mean()
        better = int((part["balanced_accuracy_mean"] > none["balanced_accuracy_mean"]).sum())
        rows.append(
            [
                f"``{method}``",
                PAPERS.get(method, ""),
                f"{diff['balanced_accuracy_mean']:+.3f} ({better}/{len(none)})",
                f"{ranks['balanced_accuracy'][method]:.1f}",
                f"{diff['average_precision_mean']:+.3f}",
                f"{diff['brier_mean']:+.3f}",
                f"{ranks['brier'][method]:.1f}",
            ]
        )
    head = [
        "method",
        "source",
        "balanced accuracy vs none (data sets better)",
        "rank",
        "average precision vs none",
        "Brier vs none (lower is better)",
        "Brier rank",
    ]
    lines = [
        ".. list-table:: Measured by ``" + COMMAND + "`` (5 x 2-fold CV, 5 data sets; "
        "differences are means over data sets of the per-data-set means; ranks are "
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
    parser.add_argument("--results", help="a results.csv of an earlier run of " + COMMAND)
    args = parser.parse_args()
    if args.results:
        results = pd.read_csv(args.results)
        results.attrs["settings"] = {"repeats": int(results["repeat"].max()) + 1,
                                     "folds": int(results["fold"].max()) + 1}  # fmt: skip
    else:
        results = compare(methods=list(METHODS), references=True, n_jobs=-1)
    if "task" in results:  # the page and its table speak of the single-label suite
        results = results[results["task"] != "multi-label"]
    paths = write_report(results, OUT, command=COMMAND)
    paths["html"].unlink()  # tens of images as base64: not for git
    (OUT / "when_each_helps.rst").write_text(when_each_helps(results))
    print("wrote", ", ".join(sorted(p.name for p in OUT.iterdir())), "by", shlex.join(sys.argv))


if __name__ == "__main__":
    main()
