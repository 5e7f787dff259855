"""The ``wsample-sk`` command (also ``python -m wsample_sk``).

Every failure the user can fix is one line on stderr and a non-zero exit,
checked before the first fit where it can be; finished fits are appended to
``results.csv`` as they come, so a failure or Ctrl-C (exit 130) loses nothing.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import shlex
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

__all__ = ["main"]

_EXTRA = 'pip install "wsample-sk[compare]"'
# names known without importing the comparison (its libraries are an extra)
_DATASETS = (
    "breast_cancer", "diabetes", "wine", "digits", "iris", "digit_attributes", "topics",
    "diabetes_progression", "long_tail",
)  # fmt: skip
_CLASSIFICATION_METRICS = (
    "balanced_accuracy", "average_precision", "macro_f1", "micro_f1", "g_mean", "roc_auc",
    "brier", "log_loss", "ece", "hamming_loss",
)  # fmt: skip
_REGRESSION_METRICS = (
    "mae", "rmse", "r2", "many_shot_mae", "medium_shot_mae", "few_shot_mae", "sera",
)  # fmt: skip
_METRICS = _CLASSIFICATION_METRICS + _REGRESSION_METRICS
_SINGLE_LABEL_ONLY = ("g_mean", "ece")  # not defined for multi-label data
# the default --metric of each task, and the columns printed after the run
_PRIMARY = {"single-label": "balanced_accuracy", "multi-label": "macro_f1", "regression": "mae"}
_PRINTED = {
    "single-label": ("average_precision", "brier"),
    "multi-label": ("micro_f1", "average_precision", "hamming_loss"),
    "regression": ("mae", "rmse", "few_shot_mae", "sera"),
}
_TASK_CHOICES = ("auto", "classification", "regression")
_TASK_METRICS = {
    "single-label": _CLASSIFICATION_METRICS,
    "multi-label": tuple(m for m in _CLASSIFICATION_METRICS if m not in _SINGLE_LABEL_ONLY),
    "regression": _REGRESSION_METRICS,
}
_QUICK = {
    "repeats": 1,
    "max_epochs": 20,
    "methods": ["none", "balanced", "logit_adjusted", "ros"],
    "max_rows": 2000,
}
_DEFAULTS = {"repeats": 5, "max_epochs": 60}
_SEPARATORS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
_DEBUG = "WSAMPLE_SK_DEBUG"  # set: unexpected errors show their traceback


def _fail(message: str) -> SystemExit:
    """A one-line error (a message of several lines is joined into one)."""
    return SystemExit("error: " + " ".join(str(message).split()))


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: the message and where to read more, no usage block."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _int_at_least(low: int) -> Callable[[str], int]:
    """An argparse type: an integer of at least ``low`` (no floats, no 'nan')."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be an integer >= {low}; got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be at least {low}; got {value}")
        return value

    return parse


def _seed(text: str) -> int:
    value = _int_at_least(0)(text)
    if value >= 2**32:
        raise argparse.ArgumentTypeError(f"must be at most 2**32 - 1 = {2**32 - 1}; got {value}")
    return value


def _n_jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value == 0:
        raise argparse.ArgumentTypeError(
            f"must be a positive number of processes or negative as in joblib (-1: every "
            f"core); got {text!r}"
        )
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a finite number > 0; got {text!r}")
    return value


def _separator(file: Path) -> str:
    """The field separator of a CSV file: comma, semicolon, tab or pipe (comma if unsure).

    ``csv.Sniffer`` on the first lines: the candidate found the same number of
    times on every line wins.
    """
    try:
        with file.open(newline="", encoding="utf-8", errors="replace") as handle:
            sample = handle.read(1 << 16)
    except OSError:
        return ","
    if len(sample) == 1 << 16 and "\n" in sample:
        sample = sample[: sample.rindex("\n")]  # whole lines only
    try:
        return csv.Sniffer().sniff(sample, delimiters="".join(_SEPARATORS)).delimiter
    except csv.Error:
        return ","


def _commas_as_points(values):
    """Text values with a decimal comma written with a point (``'1,5'`` -> ``'1.5'``)."""
    return values.astype(str).str.strip().str.replace(",", ".", regex=False)


def _decimal_commas(data):
    """Text columns whose every value is a number with a decimal comma, as numbers.

    Files separated by semicolons (or tabs) often come from locales that write
    ``1,5`` for 1.5; read as text, such a column would be one-hot encoded.
    """
    import pandas as pd

    for column in data.select_dtypes(include=["object", "string"]).columns:
        values = data[column].dropna().astype(str).str.strip()
        if not len(values) or not values.str.contains(",", regex=False).any():
            continue
        numbers = pd.to_numeric(_commas_as_points(values), errors="coerce")
        if numbers.notna().all():  # every value a number once its comma is a point
            data[column] = numbers.reindex(data.index)  # missing cells stay missing
    return data


def _target_columns(target: str, columns: list, path: str, sep: str) -> list[str]:
    """The label column(s) ``--target`` names: one, or several joined by commas.

    A column whose name is ``target`` itself (commas included) wins, so a
    file with a column ``"a,b"`` keeps its meaning.
    """
    where = f"{path} (read with separator {_SEPARATORS[sep]} {sep!r}); its columns are"
    if target in columns or "," not in target:
        if target not in columns:
            raise _fail(f"target column {target!r} is not in {where} {list(columns)}")
        return [target]
    names = [name.strip() for name in target.split(",")]
    if "" in names:
        raise _fail(f"--target {target!r} has an empty column name (write --target a,b,c)")
    if len(set(names)) != len(names):
        raise _fail(f"--target {target!r} names a column twice")
    missing = [name for name in names if name not in columns]
    if missing:
        raise _fail(f"target column(s) {missing} of --target {target!r} not in {where} "
                    f"{list(columns)}")  # fmt: skip
    return names


def _indicator(data, names: list[str]):
    """The 0/1 columns of a multi-label target, as ints; a one-line error otherwise."""
    import pandas as pd

    for name in names:
        column = data[name]
        if column.isna().any():
            raise _fail(f"target column {name!r} has {int(column.isna().sum())} missing values")
        values = pd.to_numeric(column.astype(str).str.strip().replace({"True": "1",
                               "False": "0"}), errors="coerce")  # fmt: skip
        bad = ~values.isin([0, 1])
        if bad.any():
            row = int(bad.to_numpy().argmax())
            value = column.iloc[row]
            value = value.item() if hasattr(value, "item") else value  # 2, not np.int64(2)
            raise _fail(
                f"target column {name!r} holds {value!r} (line {row + 2}): a "
                f"multi-label target (--target {','.join(names)}) needs 0/1 columns"
            )
        data[name] = values.astype("int64")
    return data[names]


def _read_csv(path: str, target: str | None, task: str = "auto"):
    """Features, target (a Series, or a 0/1 DataFrame) and task of a CSV file; one-line errors.

    ``task="auto"``: a target of numbers that are not all whole is a
    continuous (regression) target, anything else class labels.
    """
    import pandas as pd

    file = Path(path)
    if not file.is_file():
        raise _fail(f"no such file: {path}")
    if target is None:
        raise _fail(f"--csv {path} needs --target COLUMN (the class label or target column)")
    sep = _separator(file)
    try:
        data = pd.read_csv(file, sep=sep)
    except pd.errors.EmptyDataError:
        raise _fail(f"{path} is empty") from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise _fail(
            f"{path} is not a readable CSV file (read with separator {_SEPARATORS[sep]} "
            f"{sep!r}: {reason})"
        ) from None
    if data.empty:
        raise _fail(f"{path} has a header but no rows")
    names = _target_columns(target, list(data.columns), path, sep)
    if sep != ",":  # decimal commas, the target's included
        data = _decimal_commas(data)
    if len(names) > 1:  # a multi-label target
        if task == "regression":
            raise _fail(f"--task regression takes one target column; --target {target!r} "
                        f"names {len(names)}")  # fmt: skip
        y = _indicator(data, names)
        data = data.drop(columns=names)
    else:
        y = data.pop(target)
        if y.isna().any():
            raise _fail(f"target column {target!r} has {int(y.isna().sum())} missing values")
    if data.shape[1] == 0:
        raise _fail(f"{path} has no feature columns besides {', '.join(map(repr, names))}")
    continuous = pd.api.types.is_float_dtype(y) and not (y == y.round()).all()
    if len(names) == 1 and task == "auto" and not pd.api.types.is_numeric_dtype(y):
        # numbers but for a few cells: a continuous target with a typo, not class labels
        numbers = pd.to_numeric(y.astype(str).str.strip(), errors="coerce")
        whole = numbers.dropna()
        if (whole != whole.round()).any():
            _refuse_stray_cells(f"target column {target!r}", y, numbers)
    if len(names) == 1 and task == "classification" and continuous:
        raise _fail(
            f"target column {target!r} holds non-integer numbers ({y.nunique()} distinct "
            "values): a classification needs class labels (leave out --task classification "
            "to compare regression methods on a continuous target)"
        )
    kind = "multi-label" if len(names) > 1 else "single-label"
    kind = "regression" if task == "regression" or (task == "auto" and continuous) else kind
    if kind == "regression":
        y = _regression_target(y, target)
    for column in data.select_dtypes(exclude="number").columns:
        values = data[column].dropna()
        text = _commas_as_points(values) if sep != "," else values
        numbers = pd.to_numeric(text, errors="coerce")
        _refuse_stray_cells(f"column {column!r} of {path}", values, numbers)
    return data, y, kind


def _refuse_stray_cells(what: str, values, numbers) -> None:
    """A one-line error for a column of numbers (``numbers``: ``values`` read as numbers,
    NaN where a cell is not one) but for a few cells: a typo, not a column of text."""
    if len(values) and numbers.notna().mean() >= 0.9 and numbers.isna().any():
        row = numbers.index[numbers.isna()][0]
        raise _fail(
            f"{what} is numeric but for {int(numbers.isna().sum())} cell(s), first "
            f"{values[row]!r} on line {row + 2}; fix or blank them"
        )


def _regression_target(y, target: str):
    """A continuous target as float64: every value a finite number, or the first one named."""
    import numpy as np
    import pandas as pd

    numbers = pd.to_numeric(y, errors="coerce")
    bad = ~np.isfinite(numbers.to_numpy(dtype="float64", na_value=np.nan))
    if bad.any():
        row = int(bad.argmax())
        value = y.iloc[row]
        value = value.item() if isinstance(value, np.generic) else value  # inf, not np.float64
        raise _fail(f"target column {target!r} holds {value!r} (line {row + 2}): "
                    "a regression target must be finite numbers")  # fmt: skip
    return numbers.astype("float64")


def _prepare_out(out: str | None, ours: tuple[str, ...] = ()) -> Path:
    """The output folder, created and known writable before the first fit.

    Files an earlier run wrote there (``ours``) are removed, so that none of
    them is left beside the new results; other files are not touched.
    """
    folder = Path(out or f"wsample-sk-compare-{datetime.now():%Y%m%d-%H%M%S}")
    if folder.exists() and not folder.is_dir():
        raise _fail(f"--out {folder} is a file, not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / ".write-test"
        probe.write_text("")
        probe.unlink()
        stale = [folder / name for name in ours if (folder / name).is_file()]
        for path in stale:
            path.unlink()
    except OSError as exc:
        raise _fail(f"cannot write into --out {folder}: {exc.strerror or exc}") from None
    if stale:
        print(f"--out {folder}: replaced {len(stale)} file(s) of an earlier run")
    return folder


class _RowWriter:
    """Appends each finished fit to ``results.csv``."""

    def __init__(self, path: Path) -> None:
        self.path, self.count, self._writer, self._file = path, 0, None, None

    def __call__(self, row: dict) -> None:
        if self._writer is None:
            self._file = self.path.open("w", newline="")
            self._writer = csv.DictWriter(self._file, fieldnames=list(row))
            self._writer.writeheader()
        self._writer.writerow(row)
        self._file.flush()
        self.count += 1

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``wsample-sk``."""
    parser = _Parser(
        prog="wsample-sk",
        description="Weighted sampling for PyTorch training, scikit-learn style.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    cmp = sub.add_parser(
        "compare",
        help="compare ways of handling imbalance on several data sets, with statistics",
        description=(
            "Cross-validate the same network under each way of handling imbalance (rare "
            "classes, labels or target values: weighted draws, class quotas, loss "
            "weights, imbalance-aware losses, resamplers) on repeated stratified splits "
            "of several data sets; test the differences (corrected resampled t-test "
            "per data set, Friedman and Nemenyi across data sets); write CSV, "
            "Markdown, figures and one HTML report. With no --csv, runs the "
            f"built-in suite ({', '.join(_DATASETS)}; shipped with scikit-learn; the "
            "digit_attributes and topics are multi-label, diabetes_progression and "
            "long_tail regression). Multi-label and regression data sets run the "
            "methods that apply to them (the report lists the others and why), on "
            "iteratively stratified splits or splits stratified on the target's deciles, "
            "and each task is tested apart."
        ),
    )
    cmp.add_argument(
        "--datasets", nargs="+", choices=_DATASETS, metavar="NAME",
        help=f"built-in data sets to run (default: all of {', '.join(_DATASETS)}, or none "
        "with --csv)",
    )  # fmt: skip
    cmp.add_argument(
        "--csv", action="append", default=[],
        help="CSV file (repeatable); comma, semicolon, tab or pipe separated",
    )  # fmt: skip
    cmp.add_argument(
        "--target", action="append", default=[],
        help="label column of each --csv (one for all, or one per file); several 0/1 "
        "columns joined by commas (--target a,b,c) are a multi-label target; a column of "
        "numbers that are not all whole is a continuous (regression) target",
    )  # fmt: skip
    cmp.add_argument(
        "--task", action="append", default=[], choices=_TASK_CHOICES,
        help="what the --csv targets are (one for all, or one per file): auto (default: a "
        "column of numbers that are not all whole is a regression target, else class "
        "labels), classification, or regression (say it for a continuous target of whole "
        "numbers, such as counts)",
    )  # fmt: skip
    cmp.add_argument(
        "--methods", nargs="+", metavar="METHOD",
        help="methods to run (default: the principal ones; see the docs' "
        "'Choosing a method'); 'all' runs every method",
    )  # fmt: skip
    cmp.add_argument(
        "--references", action="store_true",
        help="also fit class-weighted logistic regression, gradient boosting, a "
        "balanced random forest and scikit-learn's MLPClassifier (multi-label data: "
        "logistic regression per label, MLPClassifier, and skorch with "
        "BCEWithLogitsLoss with and without pos_weight; regression: gradient boosting, "
        "MLPRegressor and skorch's plain NeuralNetRegressor)",
    )  # fmt: skip
    cmp.add_argument(
        "--repeats", type=_int_at_least(1), default=None,
        help=f"repeats of the CV (default {_DEFAULTS['repeats']}; {_QUICK['repeats']} "
        "with --quick)",
    )  # fmt: skip
    cmp.add_argument(
        "--folds", type=_int_at_least(2), default=2,
        help="stratified folds (default 2; iterative stratification for multi-label data, "
        "stratified on the target's deciles for regression)",
    )  # fmt: skip
    cmp.add_argument(
        "--quick", action="store_true",
        help=f"a short run: {_QUICK['repeats']} repeat, {_QUICK['max_epochs']} epochs, "
        f"{len(_QUICK['methods'])} methods ({', '.join(_QUICK['methods'])}), at most "
        f"{_QUICK['max_rows']} rows per data set; --repeats, --max-epochs, --methods and "
        "--max-rows given as well win",
    )  # fmt: skip
    cmp.add_argument("--seed", type=_seed, default=0, help="seed of splits and models")
    cmp.add_argument(
        "--n-jobs", type=_n_jobs, default=-1,
        help="parallel fits (default -1: every core; -2: all but one)",
    )  # fmt: skip
    cmp.add_argument(
        "--max-epochs", type=_int_at_least(1), default=None,
        help=f"epochs per fit (default {_DEFAULTS['max_epochs']}; {_QUICK['max_epochs']} "
        "with --quick)",
    )  # fmt: skip
    cmp.add_argument(
        "--max-rows", type=_int_at_least(1), default=None,
        help="a data set with more rows is cut to a stratified subsample of this size "
        f"(default: every row; {_QUICK['max_rows']} with --quick)",
    )  # fmt: skip
    cmp.add_argument(
        "--lr", type=_positive_float, default=0.003, help="Adam learning rate (default 0.003)"
    )
    cmp.add_argument(
        "--batch-size", type=_int_at_least(1), default=64, help="rows per batch (default 64)"
    )
    cmp.add_argument(
        "--metric", choices=_METRICS, default=None, metavar="METRIC",
        help=f"metric of the tests and ranks, one of {', '.join(_METRICS)} (default "
        f"{_PRIMARY['single-label']}, {_PRIMARY['multi-label']} for multi-label data and "
        f"{_PRIMARY['regression']} for regression); given, it applies to the tasks that "
        f"have it ({' and '.join(_SINGLE_LABEL_ONLY)}: single-label only; "
        f"{', '.join(_REGRESSION_METRICS)}: regression only), the others keep their default",
    )  # fmt: skip
    cmp.add_argument(
        "--reference-method", default=None, metavar="METHOD",
        help="method the paired tests compare with (default: none, or the first method "
        "if none is not run)",
    )  # fmt: skip
    cmp.add_argument("--out", help="output folder (default: a new wsample-sk-compare-<time>)")
    cmp.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def _check_args(args) -> None:
    """What argparse cannot check alone (numbers are checked by their types)."""
    if args.target and not args.csv:
        raise _fail("--target goes with --csv")
    if len(args.target) not in (0, 1, len(args.csv)):
        raise _fail(f"{len(args.target)} --target for {len(args.csv)} --csv: give one, or one each")
    if args.task and not args.csv:
        raise _fail("--task goes with --csv (the built-in data sets know their task)")
    if len(args.task) not in (0, 1, len(args.csv)):
        raise _fail(f"{len(args.task)} --task for {len(args.csv)} --csv: give one, or one each")


def _settings(args) -> dict:
    """Repeats, epochs and the row ceiling: given, else --quick's, else the defaults."""
    quick = _QUICK if args.quick else {}
    return {
        "repeats": args.repeats or quick.get("repeats") or _DEFAULTS["repeats"],
        "max_epochs": args.max_epochs or quick.get("max_epochs") or _DEFAULTS["max_epochs"],
        "max_rows": args.max_rows or quick.get("max_rows"),
    }


def _counts(y, task: str, limit: int = 10) -> str:
    """Rows per class, positives per label of a multi-label target, or a continuous target."""
    if task == "regression":
        q = y.quantile([0.0, 0.5, 1.0]).tolist()
        return (f"continuous target: min {q[0]:.4g}, median {q[1]:.4g}, max {q[2]:.4g}, "
                f"skewness {y.skew():.2f}")  # fmt: skip
    multilabel = y.ndim == 2
    counts = y.sum(axis=0) if multilabel else y.value_counts()
    shown = ", ".join(f"{k}: {v}" for k, v in counts.iloc[:limit].items())
    shown += f", ... ({len(counts)} {'labels' if multilabel else 'classes'})" if len(
        counts) > limit else ""  # fmt: skip
    return f"multi-label, positives per label: {shown}" if multilabel else shown


def _metrics(metric: str | None) -> dict[str, str]:
    """The metric of each task: ``--metric`` where the task has it, else its default."""
    chosen = dict(_PRIMARY)
    if metric in _REGRESSION_METRICS:
        chosen["regression"] = metric
    elif metric is not None:
        chosen["single-label"] = metric
        if metric not in _SINGLE_LABEL_ONLY:
            chosen["multi-label"] = metric
    return chosen


def _print_tables(cmp, results, metrics: dict[str, str]) -> None:
    """The summary of each task's data sets, and the methods some data sets did not run."""
    from .compare._analysis import dataset_tasks

    tasks = {name: task.name for name, task in dataset_tasks(results).items()}
    present = [t for t in _PRIMARY if t in tasks.values()]
    for task in present:
        names = [name for name, t in tasks.items() if t == task]
        shown = [metrics[task], *_PRINTED[task], "fit_seconds"]
        print(f"\n{task} data sets:" if len(present) > 1 else "")
        part = results[results["dataset"].isin(names)]
        print(cmp.format_table(part, list(dict.fromkeys(shown))))
    not_run: dict = {}
    for dataset, reasons in results.attrs.get("skipped", {}).items():
        for method, reason in reasons.items():
            not_run.setdefault((method, reason), []).append(dataset)
    for (method, reason), names in not_run.items():
        print(f"not run on {', '.join(names)}: {method}: {reason}")


def _run_compare(args, argv: list[str]) -> int:
    try:
        from . import compare as cmp
    except ImportError as exc:
        raise _fail(f"the comparison needs its extra ({exc.name} is missing): {_EXTRA}") from None
    from .compare._analysis import analyse, default_reference
    from .compare._splits import cv_floor
    from .compare._tasks import task_of

    methods = args.methods
    if methods is not None:
        known = [*cmp.METHODS, *cmp.REFERENCES]
        unknown = [m for m in methods if m not in known and m != "all"]
        if unknown:
            raise _fail(f"unknown method(s) {unknown}; choose from {known} or 'all'")
        if "all" in methods:  # every network method, and whatever else was named
            methods = list(dict.fromkeys([*cmp.METHODS, *(m for m in methods if m != "all")]))
        methods = list(dict.fromkeys(methods))  # a method named twice runs once
    if args.quick:
        methods = methods or _QUICK["methods"]
    running = list(methods or cmp.DEFAULT_METHODS) + [
        m for m in (cmp.REFERENCES if args.references else ()) if m not in (methods or ())
    ]
    reference = args.reference_method
    if reference is not None and reference not in running:
        raise _fail(f"--reference-method {reference!r} is not among the methods to run: {running}")
    if reference is None:
        reference = default_reference(running)
        if reference not in (None, "none"):
            print(
                f"paired tests against {reference!r}, the first method ('none' is not run; "
                "choose another with --reference-method)"
            )
    settings = _settings(args)
    datasets: list = list(args.datasets or ([] if args.csv else _DATASETS))
    targets = args.target * len(args.csv) if len(args.target) == 1 else args.target
    tasks = args.task * len(args.csv) if len(args.task) == 1 else args.task
    for path, target, task in zip(
        args.csv, targets or [None] * len(args.csv), tasks or ["auto"] * len(args.csv), strict=True
    ):
        X, y, task = _read_csv(path, target, task)
        datasets.append((Path(path).stem, X, y, task))
    present = {cmp.load_dataset(d).task if isinstance(d, str) else d[3] for d in datasets}
    chosen = _metrics(args.metric)
    if args.metric is not None and not any(chosen[t] == args.metric for t in present):
        raise _fail(
            f"--metric {args.metric} is not a metric of the tasks of this run "
            f"({', '.join(sorted(present))}); "
            + "; ".join(f"{t}: {', '.join(_TASK_METRICS[t])}" for t in sorted(present))
        )
    out = _prepare_out(args.out, cmp.OUTPUT_FILES)
    max_rows = settings["max_rows"]
    if args.quick:
        ceiling = f", at most {max_rows} rows per data set" if max_rows else ""
        print(
            f"--quick: {settings['repeats']} repeat(s), {settings['max_epochs']} epochs, "
            f"methods {', '.join(running)}{ceiling}"
        )
    for item in datasets:
        if isinstance(item, str):
            ds = cmp.load_dataset(item)
            name, y, task = item, ds.y, ds.task
        else:
            name, _, y, task = item
        line = f"{name}: {len(y)} rows; {_counts(y, task)}"
        if max_rows is not None and len(y) > max_rows:
            keep = task_of(y, task).subsample(y.to_numpy(), max_rows, cv_floor(args.folds),
                                              args.seed)  # fmt: skip
            line += (
                f"\n  using a stratified subsample of {len(keep)} rows (--max-rows "
                f"{max_rows}); {_counts(y.iloc[keep], task)}"
            )
        print(line)
    writer = _RowWriter(out / "results.csv")
    try:
        results = cmp.compare(
            datasets=datasets,
            methods=methods,
            references=args.references,
            repeats=settings["repeats"],
            folds=args.folds,
            seed=args.seed,
            n_jobs=args.n_jobs,
            max_epochs=settings["max_epochs"],
            lr=args.lr,
            batch_size=args.batch_size,
            progress=not args.quiet,
            on_result=writer,
            max_rows=max_rows,
        )
    except KeyboardInterrupt:
        print(
            f"\ninterrupted: {writer.count} finished fit(s) are in {writer.path}",
            file=sys.stderr,
        )
        return 130
    except ValueError as exc:
        raise _fail(str(exc)) from None
    finally:
        writer.close()
    command = shlex.join(["wsample-sk", *argv])
    metrics = _metrics(args.metric)
    chosen = {
        "metric": metrics["single-label"],
        "multilabel_metric": metrics["multi-label"],
        "regression_metric": metrics["regression"],
    }
    try:
        paths = cmp.write_report(results, out, reference=reference, command=command, **chosen)
    except OSError as exc:
        raise _fail(f"cannot write the report into --out {out}: {exc.strerror or exc}") from None
    if len(results):
        _print_tables(cmp, results, metrics)
        analyses = analyse(results, reference=reference, **chosen)
        for note in (note for a in analyses for note in a["notes"].values()):
            print(note)
    print(f"\nreport: {paths['html']}\nwrote " + ", ".join(p.name for p in paths.values()))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    _check_args(args)
    os.environ.setdefault("PYTHONWARNINGS", "ignore")  # workers: no warnings over the bar
    try:
        return _run_compare(args, argv)
    except KeyboardInterrupt:  # outside the fits (which report what they kept)
        print("\ninterrupted", file=sys.stderr)
        return 130
    except MemoryError:
        if os.environ.get(_DEBUG):
            raise
        raise _fail(
            "out of memory; try --max-rows (a subsample), fewer --n-jobs or a smaller --batch-size"
        ) from None
    except Exception as exc:  # a bug, not a user's mistake: still one line, unless asked
        if os.environ.get(_DEBUG):
            raise
        raise _fail(
            f"unexpected {type(exc).__name__}: {exc} (set {_DEBUG}=1 to see the traceback; "
            "please report it)"
        ) from None


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
