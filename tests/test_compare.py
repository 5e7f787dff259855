"""The comparison (function and command line) on small, fast settings."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from wsample_sk import _cli as cli
from wsample_sk.compare import METHODS, METRICS, compare, load_default_data, write_report

FAST = dict(folds=2, max_epochs=3, progress=False)


def test_default_data_is_the_documented_imbalanced_subset():
    X, y = load_default_data()
    assert X.shape == (393, 30)
    assert y.value_counts().to_dict() == {"benign": 357, "malignant": 36}
    X2, y2 = load_default_data()
    pd.testing.assert_frame_equal(X, X2)
    assert not load_default_data(seed=1)[0].equals(X)


def test_compare_runs_every_method_on_the_same_folds(tmp_path):
    X, y = load_default_data()
    summary = compare(X, y, **FAST)
    assert list(summary.index) == list(METHODS)
    for metric in METRICS:
        assert summary[f"{metric}_mean"].notna().all()
    scores = summary[["balanced_accuracy_mean", "average_precision_mean", "g_mean_mean"]]
    assert ((scores > 0) & (scores <= 1)).all().all()
    folds = summary.attrs["folds"]
    assert len(folds) == 2 * len(METHODS)
    oof = summary.attrs["oof_proba"]["balanced"]
    np.testing.assert_allclose(oof.sum(axis=1), 1.0)  # every row predicted once
    paths = write_report(summary, tmp_path / "out")
    for path in paths.values():
        assert path.stat().st_size > 0
    assert "balanced_accuracy" in paths["markdown"].read_text()
    assert paths["figure"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_compare_is_reproducible_and_parallel_gives_the_same_scores():
    X, y = load_default_data()
    a = compare(X, y, methods=["balanced", "ros"], **FAST)
    b = compare(X, y, methods=["balanced", "ros"], n_jobs=2, **FAST)
    cols = [c for c in a.columns if not c.startswith(("fit_seconds", "peak_memory"))]
    pd.testing.assert_frame_equal(a[cols], b[cols])


def test_compare_handles_categorical_columns_and_multiclass():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"num": rng.normal(size=120), "cat": rng.choice(["a", "b", "c"], 120)})
    X.loc[3, "num"] = np.nan
    y = np.repeat(["x", "y", "z"], [80, 30, 10])
    summary = compare(X, y, methods=["none", "sqrt", "rus"], **FAST)
    assert summary["macro_f1_mean"].between(0, 1).all()


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(methods=["bagging"]), r"Unknown method\(s\) \['bagging'\]"),
        (dict(y=np.zeros(393)), "single class"),
        (dict(folds=40), "fewer than folds=40"),
    ],
)
def test_compare_errors(kwargs, match):
    X, y = load_default_data()
    y = kwargs.pop("y", y)
    with pytest.raises(ValueError, match=match):
        compare(X, y, **{**FAST, **kwargs})


def test_cli_on_a_csv(tmp_path, capsys):
    X, y = load_default_data()
    csv = tmp_path / "data.csv"
    X.assign(label=y).to_csv(csv, index=False)
    out = tmp_path / "report"
    assert (
        cli.main(
            [
                "compare",
                "--csv",
                str(csv),
                "--target",
                "label",
                "--methods",
                "none",
                "balanced",
                "--folds",
                "2",
                "--max-epochs",
                "2",
                "--quiet",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "benign: 357, malignant: 36" in printed and "| balanced" in printed
    assert (out / "comparison.png").exists()


@pytest.mark.parametrize(
    "make, args, match",
    [
        (None, ["--csv", "missing.csv", "--target", "y"], "no such file"),
        ("", ["--target", "y"], "is empty"),
        ("a,b\n", ["--target", "b"], "no rows"),
        ("a,b\n1,0\n2,1\n", ["--target", "c"], "target column 'c' is not in"),
        ("a,b\n1,0\n2,0\n", ["--target", "b"], "single class"),
        ("a,b\n1,0\n2,1\n", [], "needs --target"),
    ],
)
def test_cli_errors(tmp_path, make, args, match):
    if make is not None:
        csv = tmp_path / "d.csv"
        csv.write_text(make)
        args = ["--csv", str(csv), *args]
    with pytest.raises(SystemExit, match=match):
        cli.main(["compare", *args])


def test_python_dash_m_entry_point():
    done = subprocess.run(
        [sys.executable, "-m", "wsample_sk", "compare", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "--csv" in done.stdout and "--methods" in done.stdout
