"""The ``wsample-sk`` command (also ``python -m wsample_sk``)."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

import pandas as pd

from .compare import METHODS, compare, format_table, load_default_data, write_report

__all__ = ["main"]


def _read_csv(path: str, target: str | None):
    file = Path(path)
    if not file.is_file():
        raise SystemExit(f"error: no such file: {path}")
    if target is None:
        raise SystemExit("error: --csv needs --target COLUMN (the class label column)")
    try:
        data = pd.read_csv(file)
    except pd.errors.EmptyDataError:
        raise SystemExit(f"error: {path} is empty") from None
    if data.empty:
        raise SystemExit(f"error: {path} has a header but no rows")
    if target not in data.columns:
        raise SystemExit(
            f"error: target column {target!r} is not in {path}; its columns are "
            f"{list(data.columns)}"
        )
    y = data.pop(target)
    if y.isna().any():
        raise SystemExit(
            f"error: target column {target!r} has {int(y.isna().sum())} missing values"
        )
    if data.shape[1] == 0:
        raise SystemExit(f"error: {path} has no feature columns besides {target!r}")
    return data, y


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``wsample-sk``."""
    parser = argparse.ArgumentParser(
        prog="wsample-sk",
        description="Weighted sampling for PyTorch training, scikit-learn style.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    cmp = sub.add_parser(
        "compare",
        help="cross-validate weighting strategies against imbalanced-learn resamplers",
        description=(
            "Cross-validate the same network under each weighting strategy and "
            "under imbalanced-learn's resamplers; print a table and write CSV, "
            "Markdown and a PNG figure. With no --csv, runs on the built-in "
            "imbalanced breast-cancer data (shipped with scikit-learn)."
        ),
    )
    cmp.add_argument("--csv", help="CSV file with features and a label column")
    cmp.add_argument("--target", help="name of the label column in --csv")
    cmp.add_argument(
        "--methods",
        nargs="+",
        choices=list(METHODS),
        default=None,
        metavar="METHOD",
        help=f"subset of: {', '.join(METHODS)} (default: all)",
    )
    cmp.add_argument("--folds", type=int, default=5, help="stratified folds (default 5)")
    cmp.add_argument("--seed", type=int, default=0, help="seed of folds and models")
    cmp.add_argument("--n-jobs", type=int, default=1, help="parallel fits (default 1)")
    cmp.add_argument("--max-epochs", type=int, default=100, help="epochs per fit")
    cmp.add_argument("--lr", type=float, default=0.001, help="Adam learning rate")
    cmp.add_argument("--batch-size", type=int, default=128)
    cmp.add_argument("--out", help="output folder (default: a new wsample-sk-compare-<time>)")
    cmp.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    if args.folds < 2:
        raise SystemExit("error: --folds must be at least 2")
    if args.csv is None:
        if args.target is not None:
            raise SystemExit("error: --target goes with --csv")
        X, y = load_default_data(seed=args.seed)
        source = "built-in: breast cancer (scikit-learn), malignant subsampled to 1:10"
    else:
        X, y = _read_csv(args.csv, args.target)
        source = args.csv
    counts = pd.Series(y).value_counts()
    print(
        f"data: {source}\n{len(y)} rows, {X.shape[1]} columns; classes "
        + ", ".join(f"{k}: {v}" for k, v in counts.items()),
        flush=True,
    )
    try:
        summary = compare(
            X,
            y,
            methods=args.methods,
            folds=args.folds,
            seed=args.seed,
            n_jobs=args.n_jobs,
            max_epochs=args.max_epochs,
            lr=args.lr,
            batch_size=args.batch_size,
            progress=not args.quiet,
        )
    except ValueError as exc:
        raise SystemExit(f"error: {exc}") from None
    out = args.out or f"wsample-sk-compare-{datetime.now():%Y%m%d-%H%M%S}"
    paths = write_report(summary, out)
    print()
    print(format_table(summary))
    print("\nwrote " + ", ".join(str(p) for p in paths.values()))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
