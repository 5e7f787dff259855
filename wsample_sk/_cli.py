"""The ``wsample-sk`` command (also ``python -m wsample_sk``).

Every failure the user can fix is one line on stderr and a non-zero exit,
checked before the first fit where it can be; finished fits are appended to
``results.csv`` as they come, so a failure or Ctrl-C (exit 130) loses nothing.
"""

from __future__ import annotations

import argparse
import csv
import os
import shlex
import sys
from datetime import datetime
from pathlib import Path

__all__ = ["main"]

_EXTRA = 'pip install "wsample-sk[compare]"'
# names known without importing the comparison (its libraries are an extra)
_DATASETS = ("breast_cancer", "diabetes", "wine", "digits", "iris")
_METRICS = (
    "balanced_accuracy", "average_precision", "macro_f1", "g_mean", "roc_auc",
    "brier", "log_loss", "ece",
)  # fmt: skip
_QUICK = {"repeats": 1, "max_epochs": 20, "methods": ["none", "balanced", "logit_adjusted", "ros"]}


def _fail(message: str) -> SystemExit:
    return SystemExit(f"error: {message}")


def _read_csv(path: str, target: str | None):
    """Features and labels of a CSV file, or a one-line error."""
    import pandas as pd

    file = Path(path)
    if not file.is_file():
        raise _fail(f"no such file: {path}")
    if target is None:
        raise _fail(f"--csv {path} needs --target COLUMN (the class label column)")
    try:
        data = pd.read_csv(file)
    except pd.errors.EmptyDataError:
        raise _fail(f"{path} is empty") from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise _fail(f"{path} is not a readable CSV file ({reason})") from None
    if data.empty:
        raise _fail(f"{path} has a header but no rows")
    if target not in data.columns:
        raise _fail(
            f"target column {target!r} is not in {path}; its columns are {list(data.columns)}"
        )
    y = data.pop(target)
    if y.isna().any():
        raise _fail(f"target column {target!r} has {int(y.isna().sum())} missing values")
    if data.shape[1] == 0:
        raise _fail(f"{path} has no feature columns besides {target!r}")
    if pd.api.types.is_float_dtype(y) and not (y == y.round()).all():
        raise _fail(
            f"target column {target!r} holds non-integer numbers ({y.nunique()} distinct "
            "values): compare needs class labels, not a continuous target"
        )
    for column in data.select_dtypes(exclude="number").columns:
        values = data[column].dropna()
        numbers = pd.to_numeric(values, errors="coerce")
        if len(values) and numbers.notna().mean() >= 0.9 and numbers.isna().any():
            row = numbers.index[numbers.isna()][0]
            raise _fail(
                f"column {column!r} of {path} is numeric but for {int(numbers.isna().sum())} "
                f"cell(s), first {values[row]!r} on line {row + 2}; fix or blank them"
            )
    return data, y


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
    parser = argparse.ArgumentParser(
        prog="wsample-sk",
        description="Weighted sampling for PyTorch training, scikit-learn style.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    cmp = sub.add_parser(
        "compare",
        help="compare ways of handling imbalance on several data sets, with statistics",
        description=(
            "Cross-validate the same network under each way of handling class "
            "imbalance (weighted draws, class quotas, loss weights, imbalance-aware "
            "losses, imbalanced-learn's resamplers) on repeated stratified splits "
            "of several data sets; test the differences (corrected resampled t-test "
            "per data set, Friedman and Nemenyi across data sets); write CSV, "
            "Markdown, figures and one HTML report. With no --csv, runs the "
            f"built-in suite ({', '.join(_DATASETS)}; shipped with scikit-learn)."
        ),
    )
    cmp.add_argument(
        "--datasets", nargs="+", choices=_DATASETS, metavar="NAME",
        help=f"built-in data sets to run (default: all of {', '.join(_DATASETS)}, or none "
        "with --csv)",
    )  # fmt: skip
    cmp.add_argument("--csv", action="append", default=[], help="CSV file (repeatable)")
    cmp.add_argument(
        "--target", action="append", default=[],
        help="label column of each --csv (one for all, or one per file)",
    )  # fmt: skip
    cmp.add_argument(
        "--methods", nargs="+", metavar="METHOD",
        help="methods to run (default: the principal ones; see the docs' "
        "'Choosing a method'); 'all' runs every method",
    )  # fmt: skip
    cmp.add_argument(
        "--references", action="store_true",
        help="also fit class-weighted logistic regression, gradient boosting and a "
        "balanced random forest",
    )  # fmt: skip
    cmp.add_argument("--repeats", type=int, default=5, help="repeats of the CV (default 5)")
    cmp.add_argument("--folds", type=int, default=2, help="stratified folds (default 2)")
    cmp.add_argument(
        "--quick", action="store_true",
        help="a short run: 1 repeat, 20 epochs, 4 methods",
    )  # fmt: skip
    cmp.add_argument("--seed", type=int, default=0, help="seed of splits and models")
    cmp.add_argument(
        "--n-jobs", type=int, default=-1, help="parallel fits (default -1: every core)"
    )
    cmp.add_argument("--max-epochs", type=int, default=None, help="epochs per fit (60)")
    cmp.add_argument("--lr", type=float, default=0.003, help="Adam learning rate")
    cmp.add_argument("--batch-size", type=int, default=64)
    cmp.add_argument(
        "--metric", choices=_METRICS, default="balanced_accuracy",
        help="metric of the tests and ranks (default balanced_accuracy)",
    )  # fmt: skip
    cmp.add_argument(
        "--reference-method", default="none",
        help="method the paired tests compare with (default none)",
    )  # fmt: skip
    cmp.add_argument("--out", help="output folder (default: a new wsample-sk-compare-<time>)")
    cmp.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def _check_args(args) -> None:
    for name in ("repeats", "folds", "max_epochs", "batch_size"):
        value = getattr(args, name)
        if value is not None and value < (2 if name == "folds" else 1):
            raise _fail(
                f"--{name.replace('_', '-')} must be at least {2 if name == 'folds' else 1}"
            )
    if args.lr <= 0:
        raise _fail("--lr must be positive")
    if args.n_jobs == 0:
        raise _fail("--n-jobs must be a positive number of processes or -1 (every core)")
    if args.target and not args.csv:
        raise _fail("--target goes with --csv")
    if len(args.target) not in (0, 1, len(args.csv)):
        raise _fail(f"{len(args.target)} --target for {len(args.csv)} --csv: give one, or one each")


def _run_compare(args, argv: list[str]) -> int:
    try:
        from . import compare as cmp
    except ImportError as exc:
        raise _fail(f"the comparison needs its extra ({exc.name} is missing): {_EXTRA}") from None
    methods = args.methods
    if methods is not None:
        known = [*cmp.METHODS, *cmp.REFERENCES]
        unknown = [m for m in methods if m not in known and m != "all"]
        if unknown:
            raise _fail(f"unknown method(s) {unknown}; choose from {known} or 'all'")
        if "all" in methods:  # every network method, and whatever else was named
            methods = list(dict.fromkeys([*cmp.METHODS, *(m for m in methods if m != "all")]))
    if args.quick:
        methods = methods or _QUICK["methods"]
    running = list(methods or cmp.DEFAULT_METHODS) + (
        list(cmp.REFERENCES) if args.references else []
    )
    if args.reference_method not in running:
        raise _fail(
            f"--reference-method {args.reference_method!r} is not among the methods to "
            f"run: {running}"
        )
        args.repeats = min(args.repeats, _QUICK["repeats"])
        args.max_epochs = args.max_epochs or _QUICK["max_epochs"]
    datasets: list = list(args.datasets or ([] if args.csv else _DATASETS))
    targets = args.target * len(args.csv) if len(args.target) == 1 else args.target
    for path, target in zip(args.csv, targets or [None] * len(args.csv), strict=True):
        X, y = _read_csv(path, target)
        datasets.append((Path(path).stem, X, y))
    out = _prepare_out(args.out, cmp.OUTPUT_FILES)
    for item in datasets:
        name, y = (item, cmp.load_dataset(item).y) if isinstance(item, str) else (item[0], item[2])
        counts = y.value_counts()
        print(f"{name}: {len(y)} rows; " + ", ".join(f"{k}: {v}" for k, v in counts.items()))
    writer = _RowWriter(out / "results.csv")
    try:
        results = cmp.compare(
            datasets=datasets,
            methods=methods,
            references=args.references,
            repeats=args.repeats,
            folds=args.folds,
            seed=args.seed,
            n_jobs=args.n_jobs,
            max_epochs=args.max_epochs or 60,
            lr=args.lr,
            batch_size=args.batch_size,
            progress=not args.quiet,
            on_result=writer,
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
    paths = cmp.write_report(
        results, out, metric=args.metric, reference=args.reference_method, command=command
    )
    print()
    shown = list(dict.fromkeys([args.metric, "average_precision", "brier", "fit_seconds"]))
    print(cmp.format_table(results, shown))
    print(f"\nreport: {paths['html']}\nwrote " + ", ".join(p.name for p in paths.values()))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    _check_args(args)
    os.environ.setdefault("PYTHONWARNINGS", "ignore")  # workers: no warnings over the bar
    return _run_compare(args, argv)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
