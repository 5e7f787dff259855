"""The comparison on continuous targets: tasks, splits, metrics, methods, report."""

import html
import importlib.util

import numpy as np
import pandas as pd
import pytest
from scipy.integrate import quad
from sklearn.compose import TransformedTargetRegressor

from wsample_sk import WeightedSamplingRegressor
from wsample_sk.compare import (
    DATASETS,
    REGRESSION_METRICS,
    compare,
    load_dataset,
    make_method,
    make_preprocessor,
    skip_reason,
    write_report,
)
from wsample_sk.compare._methods import _binned_oversample, _smoter
from wsample_sk.compare._metrics import relevance, score_regression, shot_regions
from wsample_sk.compare._splits import quantile_bins, quantile_splits
from wsample_sk.compare._tasks import REGRESSION, task_of

FAST = dict(repeats=1, folds=2, max_epochs=2, progress=False)


# -- data and tasks -------------------------------------------------------------------------
def test_regression_sets_ship_offline_with_a_tail_the_same_every_call():
    assert {"diabetes_progression", "long_tail"} <= set(DATASETS)
    tail = load_dataset("long_tail")
    assert tail.task == "regression" and tail.X.shape == (1200, 8)
    assert tail.y.skew() > 2.5 and tail.y.quantile(0.99) > 8 * tail.y.median()
    assert tail.imbalance_ratio > 100
    pd.testing.assert_series_equal(tail.y, load_dataset("long_tail").y)
    diabetes = load_dataset("diabetes_progression")
    assert diabetes.task == "regression" and diabetes.y.between(25, 346).all()


def test_the_task_is_read_from_y_or_named():
    assert task_of(np.array([0.5, 1.25, 3.0])) is REGRESSION
    assert task_of(np.array([1.0, 2.0, 2.0])).name == "single-label"  # whole numbers: labels
    assert task_of(np.array([1, 2, 2]), "regression") is REGRESSION
    assert task_of(np.zeros((4, 3)), "classification").name == "multi-label"
    with pytest.raises(ValueError, match="task must be one of"):
        task_of(np.zeros(3), "ranking")
    y = [1.5, 2, np.nan, 4, 5, 6, 7, 8]  # continuous (1.5): the missing value is named
    for task in (None, "regression"):
        with pytest.raises(ValueError, match=r"finite numbers; row 2 holds nan \(1 such rows\)"):
            compare(np.zeros((8, 1)), y, task=task, methods="none", **FAST)
    with pytest.raises(ValueError, match="y has 1 missing values"):  # whole numbers: labels
        compare(np.zeros((8, 1)), [1, 2, np.nan, 1, 2, 1, 2, 1], methods="none", **FAST)
    with pytest.raises(ValueError, match="the target is constant"):
        compare(np.zeros((8, 1)), np.ones(8), task="regression", methods="none", **FAST)


# -- splits ---------------------------------------------------------------------------------
def test_quantile_splits_spread_the_tail_over_the_folds():
    y = load_dataset("long_tail").y.to_numpy()
    groups = quantile_bins(y, folds=3)
    assert np.bincount(groups).tolist() == [120] * 10
    top = y >= np.quantile(y, 0.9)
    splits = list(quantile_splits(y, folds=3, repeats=2, seed=0))
    assert len(splits) == 6
    for r in range(2):
        tests = np.concatenate([test for _, test in splits[3 * r : 3 * r + 3]])
        assert sorted(tests) == list(range(len(y)))  # every row tested once per repeat
    for _, test in splits:
        assert top[test].sum() == 40  # the top decile split evenly
    assert not np.array_equal(splits[0][1], splits[3][1])
    again = list(quantile_splits(y, folds=3, repeats=2, seed=0))
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(splits, again, strict=True))


# -- metrics --------------------------------------------------------------------------------
def test_relevance_is_ribeiros_hermite_curve():
    y = np.r_[np.arange(100.0), 400.0]  # one outlier above, none below
    q1, median, q3 = np.quantile(y, [0.25, 0.5, 0.75])
    high = y[y <= q3 + 1.5 * (q3 - q1)].max()  # the upper adjacent value, 99
    phi = relevance(y)
    assert high == 99
    np.testing.assert_allclose(phi(np.array([median, 0.0, -5.0, 99.0, 400.0])), [0, 0, 0, 1, 1])
    t = (75.0 - median) / (high - median)  # Hermite with zero slopes: 3t^2 - 2t^3
    assert phi(np.array([75.0]))[0] == pytest.approx(3 * t**2 - 2 * t**3)
    assert (np.diff(phi(np.linspace(median, high, 50))) >= 0).all()
    both = relevance(np.r_[-300.0, np.arange(100.0), 400.0])
    np.testing.assert_allclose(both(np.array([-300.0, 0.0, 99.0])), [1, 1, 1])
    assert (relevance(np.arange(10.0))(np.arange(10.0)) == 0).all()  # no outliers
    assert (relevance(np.ones(5))(np.arange(3.0)) == 0).all()


def test_regression_scores_by_hand():
    y_train = np.r_[np.zeros(91), np.full(8, 5.0), 10.0]  # 10 bins, u = 10 rows
    assert shot_regions(y_train, np.array([0.0, 5.0, 8.0, 10.0, -3.0])).tolist() == [0, 1, 2, 2, 0]
    y_true = np.array([0.0, 0.0, 5.0, 8.0, 10.0])
    y_pred = np.array([1.0, -1.0, 3.0, 4.0, 10.0])
    s = score_regression(y_train, y_true, y_pred)
    assert set(s) == set(REGRESSION_METRICS)
    assert s["mae"] == pytest.approx(8 / 5) and s["rmse"] == pytest.approx(np.sqrt(22 / 5))
    assert s["many_shot_mae"] == 1 and s["medium_shot_mae"] == 2 and s["few_shot_mae"] == 2
    assert s["r2"] == pytest.approx(1 - 22 / np.sum((y_true - y_true.mean()) ** 2))
    none = score_regression(y_train, np.zeros(3), np.zeros(3))
    assert np.isnan(none["few_shot_mae"]) and none["mae"] == 0
    assert s["sera"] == 4 + 16 + 0  # a zero IQR: every value off the median is an outlier
    y_train = np.r_[np.arange(100.0), 400.0]
    y_true, y_pred = np.array([50.0, 80.0, 99.0, 120.0, 400.0]), np.array([40.0, 90, 95, 100, 300])
    s = score_regression(y_train, y_true, y_pred)
    phi = relevance(y_train)
    error2 = (y_pred - y_true) ** 2

    def ser(t):  # the sum of squared errors of the rows at least t relevant
        return error2[phi(y_true) >= t].sum()

    area = sum(quad(ser, a, b, limit=200)[0] for a, b in zip([0, 0.5], [0.5, 1], strict=True))
    assert s["sera"] == pytest.approx(area, rel=1e-3) and s["sera"] > 100**2


# -- methods --------------------------------------------------------------------------------
def test_methods_say_why_they_do_not_apply_to_a_continuous_target():
    assert skip_reason("balanced", "regression") is None
    assert "no classes" in skip_reason("epochs", "regression")
    assert "a loss over class scores" in skip_reason("focal", "regression")
    assert "regression only" in skip_reason("bmse", "single-label")
    X = load_dataset("long_tail").X
    model = make_method("loss", make_preprocessor(X), 8, 1, task="regression")
    assert isinstance(model, TransformedTargetRegressor)
    net = model.regressor[-1]
    assert isinstance(net, WeightedSamplingRegressor) and net.target_weight == "balanced"
    with pytest.raises(ValueError, match="logit_adjusted does not apply to regression data"):
        make_method("logit_adjusted", make_preprocessor(X), 8, 1, task="regression")


def test_binned_oversampling_fills_every_bin_to_the_fullest():
    y = np.r_[np.zeros(50), np.full(5, 4.5), 10.0]
    X = np.arange(len(y))[:, None].astype(float)
    X_new, y_new = _binned_oversample(X, y, bins=10, random_state=0)
    counts = np.unique(y_new, return_counts=True)[1]
    assert counts.tolist() == [50, 50, 50]
    np.testing.assert_array_equal(y_new, y[X_new[:, 0].astype(int)])  # rows kept whole


@pytest.mark.skipif(importlib.util.find_spec("resreg") is None, reason="resreg not installed")
def test_smoter_balances_rare_targets_and_is_skipped_with_a_reason_without_resreg(monkeypatch):
    ds = load_dataset("long_tail")
    X, y = ds.X.to_numpy()[:400], ds.y.to_numpy()[:400]
    rare = relevance(y)(y) >= 0.5
    X_new, y_new = _smoter(X, y, random_state=0)
    rare_new = relevance(y)(y_new) >= 0.5
    assert 0 < rare.sum() < 0.2 * len(y) and abs(rare_new.mean() - 0.5) < 0.05
    assert len(y_new) == len(y) and X_new.dtype == np.float32
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda n: None if n == "resreg" else real(n))
    assert "pip install resreg" in skip_reason("smoter", "regression")


# -- runs and the report ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def mixed_run():
    """Two regression sets, cut to 200 rows, beside a small single-label one."""
    methods = ["none", "balanced", "loss", "logit_adjusted", "ref_skorch"]
    names = ["long_tail", "diabetes_progression", "iris"]
    return compare(datasets=names, methods=methods, max_rows=200, **FAST)


def test_regression_and_classification_side_by_side(mixed_run):
    res = mixed_run
    regression = res[res["task"] == "regression"]
    assert set(regression["method"]) == {"none", "balanced", "loss", "ref_skorch"}
    assert regression[["mae", "rmse", "r2", "many_shot_mae", "sera"]].notna().all().all()
    assert regression["balanced_accuracy"].isna().all()
    assert res.loc[res["task"] == "single-label", "mae"].isna().all()
    info = res.attrs["datasets"]["long_tail"]
    assert info["task"] == "regression" and info["positive"] is None and info["n_rows"] == 200
    assert info["n_rows_total"] == 1200 and info["y"].max() > 8 * np.median(info["y"])
    pred = res.attrs["oof_proba"]["long_tail", "balanced"]
    assert pred.shape == (200, 1) and np.isfinite(pred).all()
    assert "a loss over class scores" in res.attrs["skipped"]["long_tail"]["logit_adjusted"]


def test_the_report_tests_each_task_apart(mixed_run, tmp_path):
    paths = write_report(mixed_run, tmp_path / "out", regression_metric="rmse")
    tests = pd.read_csv(paths["tests"])
    assert set(tests.loc[tests["task"] == "regression", "metric"]) == {"rmse"}
    assert set(tests.loc[tests["task"] == "single-label", "metric"]) == {"balanced_accuracy"}
    ranks = pd.read_csv(paths["ranks_regression"], index_col="method")
    assert set(ranks.index) == {"none", "balanced", "loss", "ref_skorch"}
    assert "ranks" not in paths  # one single-label data set: no rank test there
    assert paths["errors_by_target"].exists() and paths["pr_curves"].exists()
    page = html.unescape(paths["html"].read_text())
    assert "What the regression statistics can and cannot tell apart" in page
    assert "stratified on quantiles of the target (deciles" in page
    assert "continuous target 'y': min" in page and "SERA" in page
    summary = paths["markdown"].read_text()
    assert "regression data sets" in summary and "few_shot_mae" in summary
    # 200 rows of diabetes have no few-shot region: no rank on it, and the report says why
    again = write_report(mixed_run, tmp_path / "few", regression_metric="few_shot_mae")
    assert "ranks_regression" not in again
    assert "have no few_shot_mae on some data set" in html.unescape(again["html"].read_text())
    with pytest.raises(ValueError, match="regression_metric must be one of"):
        write_report(mixed_run, tmp_path / "bad", regression_metric="macro_f1")


# -- what a reviewer tried --------------------------------------------------------------------
def _csv(path, y, sep=",", decimal="."):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=len(y)), "b": rng.normal(size=len(y)), "y": y})
    frame.to_csv(path, sep=sep, decimal=decimal, index=False)
    return str(path)


def test_csv_targets_a_reviewer_tried(tmp_path, capsys):
    from wsample_sk import _cli as cli

    y = np.exp(np.random.default_rng(1).normal(size=40))
    run = ["--methods", "none", "--repeats", "1", "--max-epochs", "1", "--n-jobs", "1", "--quiet"]
    semi = _csv(tmp_path / "semi.csv", y, sep=";", decimal=",")  # decimal commas, target too
    assert cli.main(["compare", "--csv", semi, "--target", "y", *run,
                     "--out", str(tmp_path / "o")]) == 0  # fmt: skip
    assert "continuous target" in capsys.readouterr().out
    typo = y.astype(object)
    typo[9] = "abc"
    with pytest.raises(SystemExit, match=r"numeric but for 1 cell\(s\), first 'abc' on line 11"):
        cli.main(["compare", "--csv", _csv(tmp_path / "t.csv", typo), "--target", "y", *run])
    counts = np.floor(y * 10)
    with pytest.raises(SystemExit, match="is y a continuous target of whole numbers"):
        cli.main(["compare", "--csv", _csv(tmp_path / "c.csv", counts), "--target", "y", *run])
    labels = _csv(tmp_path / "l.csv", np.where(y > 1, "hi", "lo"))
    with pytest.raises(SystemExit, match="--metric sera is not a metric of the tasks of this run"):
        cli.main(["compare", "--csv", labels, "--target", "y", "--metric", "sera", *run])
    both = ["compare", "--csv", _csv(tmp_path / "c.csv", counts), "--csv", labels, "--target",
            "y", "--task", "regression", "--task", "classification", *run,
            "--out", str(tmp_path / "b")]  # fmt: skip
    assert cli.main(both) == 0  # a --task per file
    res = pd.read_csv(tmp_path / "b" / "results.csv")
    assert res.groupby("dataset")["task"].first().to_dict() == {"c": "regression",
                                                                 "l": "single-label"}  # fmt: skip


def test_python_targets_a_reviewer_tried():
    from scipy import sparse

    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    y = np.exp(X[:, 0])
    y_inf = y.copy()
    y_inf[6] = np.inf
    with pytest.raises(ValueError, match="row 6 holds inf"):
        compare(X, y_inf, methods="none", **FAST)
    with pytest.raises(ValueError, match="too large to standardise"):
        compare(X, y * 1e300, methods="none", **FAST)
    res = compare(X, sparse.csr_matrix(y[:, None]), task="regression", methods="none", **FAST)
    assert set(res["task"]) == {"regression"}
    zeros = np.r_[np.zeros(90), np.arange(1, 11.0)]  # zero-inflated: a zero IQR
    assert relevance(zeros)(np.array([0.0, 1.0, 10.0])).tolist() == [0.0, 1.0, 1.0]
    assert "10 rows of relevance 0.5 or more" in REGRESSION.describe(zeros, ["y"])
    tail = load_dataset("long_tail").y.to_numpy()
    keep = REGRESSION.subsample(tail, 60, 10, seed=0)
    assert len(keep) == 60 and tail[keep].max() == tail.max() and tail[keep].min() == tail.min()
    with pytest.warns(FutureWarning, match="multilabel=.*deprecated"):
        assert skip_reason("ros", multilabel=True) == skip_reason("ros", "multi-label")
    from wsample_sk.compare import format_table

    one = pd.DataFrame({"dataset": "d", "method": ["a", "a"], "mae": [1.0, np.nan]})
    table = format_table(one, ["mae"])
    assert "±" not in table and "| 1.000 " in table
