"""The comparison on multi-label data: built-in sets, splits, metrics, methods, report, CLI."""

import html

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.model_selection import KFold

from wsample_sk import _cli as cli
from wsample_sk.compare import (
    DATASETS,
    METHODS,
    METRICS,
    MULTILABEL_METRICS,
    REFERENCES,
    MultiLabelNeuralNet,
    compare,
    load_dataset,
    make_method,
    make_preprocessor,
    skip_reason,
    write_report,
)
from wsample_sk.compare._analysis import analyse, dataset_tasks
from wsample_sk.compare._metrics import score_multilabel
from wsample_sk.compare._splits import multilabel_splits, multilabel_subsample
from wsample_sk.modules import MLP

FAST = dict(repeats=1, folds=2, max_epochs=2, progress=False)
MULTILABEL = ("digit_attributes", "topics")


# -- data -------------------------------------------------------------------------------
@pytest.mark.parametrize("name", MULTILABEL)
def test_multilabel_sets_are_0_1_indicators_with_a_long_tail_the_same_every_call(name):
    assert name in DATASETS
    ds = load_dataset(name)
    assert ds.multilabel and isinstance(ds.y, pd.DataFrame)
    assert len(ds.X) == len(ds.y) and ds.y.shape[1] >= 7
    assert set(np.unique(ds.y.to_numpy())) == {0, 1}
    counts = ds.y.sum(axis=0).to_numpy()
    assert (np.diff(counts) < 0).all()  # labels in order of frequency, a tail
    assert counts.min() >= 19 and ds.imbalance_ratio > 14  # rare, yet enough for 2 folds
    assert counts.min() / len(ds.y) < 0.04 and counts.max() / len(ds.y) > 0.45
    assert (ds.y.sum(axis=1) >= 1).all()  # every row has a label
    again = load_dataset(name)
    pd.testing.assert_frame_equal(ds.X, again.X)
    pd.testing.assert_frame_equal(ds.y, again.y)


def test_digit_attributes_follow_the_digits():
    ds = load_dataset("digit_attributes")
    assert ds.X.shape == (613, 64)
    assert ds.y.sum(axis=0).to_dict() == {
        "even": 345, "prime": 227, "closed_loop": 216, "one_or_seven": 141,
        "multiple_of_3": 117, "above_6": 59, "two_loops": 19,
    }  # fmt: skip
    y = ds.y.astype(bool)
    assert not (y["two_loops"] & ~y["even"]).any()  # 8 is even, has a loop, is above 6
    assert not (y["prime"] & y["even"] & y["multiple_of_3"]).any()
    assert load_dataset("topics").y.sum(axis=0).tolist() == [279, 208, 155, 110, 70, 44, 29, 19]


# -- splits and subsamples ----------------------------------------------------------------------
def test_iterative_stratification_spreads_rare_labels_better_than_kfold():
    Y = load_dataset("topics").y.to_numpy()
    (train, test), _ = list(multilabel_splits(Y, folds=2, repeats=1, seed=0))
    per_fold = np.array([Y[train].sum(axis=0), Y[test].sum(axis=0)])
    assert abs(per_fold[0, -1] - per_fold[1, -1]) <= 1  # the rarest label: within one
    assert np.abs(per_fold[0] - per_fold[1]).max() <= 3
    assert abs(len(train) - len(test)) <= 3
    worst = max(  # KFold's largest split of a label, over a few shuffles
        np.abs(Y[a].sum(axis=0) - Y[b].sum(axis=0)).max()
        for s in range(5)
        for a, b in KFold(2, shuffle=True, random_state=s).split(Y)
    )
    assert worst > 3
    again = list(multilabel_splits(Y, folds=2, repeats=1, seed=0))[0][1]
    other = list(multilabel_splits(Y, folds=2, repeats=1, seed=1))[0][1]
    np.testing.assert_array_equal(test, again)
    assert not np.array_equal(test, other)


def test_multilabel_splits_test_every_row_once_per_repeat():
    Y = load_dataset("digit_attributes").y.to_numpy()
    splits = list(multilabel_splits(Y, folds=3, repeats=2, seed=0))
    assert len(splits) == 6
    for r in range(2):
        tests = np.concatenate([test for _, test in splits[3 * r : 3 * r + 3]])
        assert sorted(tests) == list(range(len(Y)))
    for train, test in splits:
        assert not set(train) & set(test) and len(train) + len(test) == len(Y)
        assert (Y[test].sum(axis=0) >= 6).all()  # 19 positives of 'two_loops': 6 or 7 a fold
    assert not np.array_equal(splits[0][1], splits[3][1])  # repeats differ


def test_multilabel_subsample_keeps_rare_labels():
    Y = load_dataset("topics").y.to_numpy()
    keep = multilabel_subsample(Y, 100, floor=15, seed=0)
    assert len(keep) == 100 and (np.diff(keep) > 0).all()
    assert (Y[keep].sum(axis=0) >= 15).all()
    np.testing.assert_array_equal(keep, multilabel_subsample(Y, 100, floor=15, seed=0))
    assert len(multilabel_subsample(Y, 10_000, floor=15, seed=0)) == len(Y)


# -- metrics ------------------------------------------------------------------------------------
def test_multilabel_metrics_by_hand():
    Y = np.array([[1, 0, 0], [0, 1, 0], [1, 1, 0], [0, 0, 0], [1, 0, 0]])
    pred = np.array([[1, 0, 0], [0, 0, 0], [1, 1, 1], [1, 0, 0], [0, 0, 0]])
    proba = np.array(
        [[0.9, 0.2, 0.1], [0.4, 0.3, 0.2], [0.8, 0.7, 0.6], [0.6, 0.1, 0.3], [0.3, 0.4, 0.2]]
    )
    s = score_multilabel(Y, proba, pred)
    # label 0: TP 2, FP 1, FN 1 -> F1 2/3; label 1: TP 1, FN 1 -> 2/3; label 2 has no positive
    assert s["macro_f1"] == pytest.approx(2 / 3)
    assert s["micro_f1"] == pytest.approx(2 * 3 / (2 * 3 + 2 + 2))  # TP 3, FP 2, FN 2
    assert s["hamming_loss"] == pytest.approx(4 / 15)
    # balanced accuracy: label 0 (2/3 + 1/2) / 2, label 1 (1/2 + 1) / 2; label 2 has no positive
    assert s["balanced_accuracy"] == pytest.approx(((2 / 3 + 1 / 2) / 2 + (1 / 2 + 1) / 2) / 2)
    # average precision, label 0: ranks .9 (+), .8 (+), .6 (-), .4 (-), .3 (+)
    ap0 = (1 + 1 + 3 / 5) / 3
    ap1 = (1 / 1 + 2 / 3) / 2  # .7 (+), .4 (-), .3 (+)
    assert s["average_precision"] == pytest.approx((ap0 + ap1) / 2)
    assert s["average_precision"] == pytest.approx(average_precision_score(Y[:, :2], proba[:, :2]))
    assert s["roc_auc"] == pytest.approx(roc_auc_score(Y[:, :2], proba[:, :2]))
    assert s["brier"] == pytest.approx(np.mean((proba - Y) ** 2))
    assert s["log_loss"] == pytest.approx(-np.mean(Y * np.log(proba) + (1 - Y) * np.log(1 - proba)))
    assert np.isnan(s["g_mean"]) and np.isnan(s["ece"])
    assert set(s) == set(list(METRICS)[:10]) and set(MULTILABEL_METRICS) <= set(s)
    perfect = score_multilabel(Y, Y.astype(float), Y)
    assert perfect["macro_f1"] == perfect["micro_f1"] == perfect["balanced_accuracy"] == 1
    assert perfect["hamming_loss"] == perfect["brier"] == 0


# -- methods ------------------------------------------------------------------------------------
def test_every_method_runs_or_is_skipped_with_a_reason():
    for method in [*METHODS, *REFERENCES]:
        reasons = [skip_reason(method, task) for task in ("single-label", "multi-label",
                                                          "regression")]  # fmt: skip
        assert None in reasons or method == "smoter", method  # everything runs somewhere
    skipped = {m for m in [*METHODS, *REFERENCES] if skip_reason(m, "multi-label")}
    assert skipped == {"batches", "epochs", "logit_adjusted", "ldam_drw", "ros", "rus", "smote",
                       "ref_hgb", "ref_brf", "denseweight", "bmse", "smoter",
                       "ref_skorch"}  # fmt: skip
    assert "imbalanced-learn refuses multi-label" in skip_reason("smote", "multi-label")
    X = load_dataset("topics").X
    with pytest.raises(ValueError, match="ros does not apply to multi-label data: imbalanced"):
        make_method("ros", make_preprocessor(X), 20, 8, task="multi-label")
    with pytest.raises(ValueError, match="asymmetric does not apply to single-label data"):
        make_method("asymmetric", make_preprocessor(X), 20, 8)
    with pytest.raises(ValueError, match="Unknown method 'bagging'"):
        skip_reason("bagging", "multi-label")


def test_skorch_bce_reference_weighs_positives_from_the_training_part_only():
    ds = load_dataset("topics")
    Y = ds.y.to_numpy()
    train = np.arange(300)
    pipe = make_method("ref_skorch_bce_pos", make_preprocessor(ds.X), 20, 8, max_epochs=1,
                       task="multi-label")  # fmt: skip
    pipe.fit(ds.X.iloc[train], Y[train])
    net = pipe[-1]
    positives = Y[train].sum(axis=0)
    expected = (300 - positives) / positives
    np.testing.assert_allclose(net.pos_weight_.numpy(), expected, rtol=1e-6)
    np.testing.assert_allclose(net.criterion_.pos_weight.numpy(), expected, rtol=1e-6)
    assert not np.allclose(expected, (len(Y) - Y.sum(axis=0)) / Y.sum(axis=0))  # not all rows
    proba = pipe.predict_proba(ds.X.iloc[300:])
    assert proba.shape == (len(Y) - 300, 8) and ((proba > 0) & (proba < 1)).all()
    np.testing.assert_array_equal(pipe.predict(ds.X.iloc[300:]), (proba > 0.5).astype(int))
    plain = MultiLabelNeuralNet(MLP, module__n_features=3, module__n_classes=2, max_epochs=1,
                                train_split=None, verbose=0)  # fmt: skip
    X = np.random.default_rng(0).normal(size=(20, 3)).astype("float32")
    plain.fit(X, np.c_[X[:, 0] > 0, X[:, 1] > 0])
    assert plain.pos_weight_ is None and plain.criterion_.pos_weight is None
    assert isinstance(plain.criterion_, torch.nn.BCEWithLogitsLoss)
    with pytest.raises(ValueError, match="pos_weight must be None or 'balanced'"):
        plain.set_params(pos_weight="sqrt").fit(X, np.c_[X[:, 0] > 0, X[:, 1] > 0])


# -- runs and report ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tiny_run():
    """topics cut to 200 rows: two methods, one reference, one method that does not apply."""
    methods = ["none", "balanced", "ros", "ref_skorch_bce_pos"]
    return compare(datasets=["topics"], methods=methods, max_rows=200, **FAST)


def test_compare_on_multilabel_data_end_to_end(tiny_run):
    res = tiny_run
    assert set(res["method"]) == {"none", "balanced", "ref_skorch_bce_pos"}
    assert len(res) == 3 * 2 and set(res["task"]) == {"multi-label"}
    assert res[list(MULTILABEL_METRICS)].notna().all().all()
    assert "g_mean" not in res and "mae" not in res  # the metrics of the tasks present
    assert res["macro_f1"].between(0, 1).all() and res["hamming_loss"].between(0, 1).all()
    info = res.attrs["datasets"]["topics"]
    assert info["multilabel"] and info["n_rows"] == 200 and info["y"].shape == (200, 8)
    assert info["classes"][info["positive"]] == "topic_7"  # the rarest label
    for method in ("none", "balanced", "ref_skorch_bce_pos"):
        proba = res.attrs["oof_proba"]["topics", method]
        assert proba.shape == (200, 8) and not np.isnan(proba).any()  # each row tested once
    assert res.attrs["skipped"] == {"topics": {"ros": skip_reason("ros", "multi-label")}}


def test_the_report_lists_skipped_methods_and_the_limits_of_the_tests(tiny_run, tmp_path):
    paths = write_report(tiny_run, tmp_path / "out")
    page = html.unescape(paths["html"].read_text())
    assert "Methods not run on some data sets" in page
    assert "imbalanced-learn refuses multi-label targets" in page
    assert "What the multi-label statistics can and cannot tell apart" in page
    assert "iterative stratification" in page and "macro f1" in page
    tests = pd.read_csv(paths["tests"])
    assert set(tests["metric"]) == {"macro_f1"} and set(tests["task"]) == {"multi-label"}
    assert set(tests["method"]) == {"balanced", "ref_skorch_bce_pos"}
    assert "ros" in paths["markdown"].read_text()
    assert paths["pr_curves"].exists() and paths["scores_macro_f1"].exists()
    again = pd.read_csv(paths["results"])  # read back: the task column still says multi-label
    assert {k: t.name for k, t in dataset_tasks(again).items()} == {"topics": "multi-label"}


def _fake(kinds: dict, methods: str = "abcd", seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = [
        dict(dataset=d, task=task, method=m, repeat=r, fold=f, macro_f1=rng.uniform(0.3, 0.9),
             balanced_accuracy=rng.uniform(0.5, 0.9), g_mean=np.nan if ml else 0.5)
        for d, ml in kinds.items()
        for task in ["multi-label" if ml else "single-label"]
        for m in (methods if not ml else methods[:3] + "z")
        for r in range(2)
        for f in range(2)
    ]  # fmt: skip
    res = pd.DataFrame(rows)
    res.attrs["settings"] = {"repeats": 2, "folds": 2}
    return res


def test_single_and_multilabel_sets_are_tested_apart_each_with_its_metric():
    res = _fake({"s1": False, "s2": False, "m1": True, "m2": True}, methods="abcd")
    single, multi = analyse(res, metric="balanced_accuracy", reference="d")
    assert (single["kind"], single["metric"], single["datasets"]) == (
        "single-label", "balanced_accuracy", ["s1", "s2"])  # fmt: skip
    assert (multi["kind"], multi["metric"], multi["datasets"]) == (
        "multi-label", "macro_f1", ["m1", "m2"])  # fmt: skip
    assert list(multi["ranked"]["ranks"].index.sort_values()) == ["a", "b", "c", "z"]
    assert multi["ranked"]["cd"] > 3  # 2 data sets: no two of 4 methods can be told apart
    # 'd' is not run on the multi-label sets: not a method of the comparison, so no tests
    assert "tests" in multi["notes"] and single["tests"] is not None
    fallback = analyse(res.replace({"method": {"d": "ros"}}), reference="ros")[1]
    assert fallback["reference"] == "a" and fallback["tests"] is not None
    assert "'ros' does not apply to multi-label data" in fallback["notes"]["reference"]
    with pytest.raises(ValueError, match="multilabel_metric must be one of"):
        analyse(res, multilabel_metric="g_mean")


@pytest.mark.parametrize(
    "y_change, match",
    [
        (lambda Y: Y.assign(topic_3=Y["topic_3"].replace(1, 2)), r"label 'topic_3' holds 2"),
        (lambda Y: Y.assign(topic_7=0), r"label 'topic_7' has 0 positives, fewer than folds=2"),
        (lambda Y: Y.iloc[:5], "X has 569 rows but y has 5"),
    ],
)
def test_bad_multilabel_targets_are_refused_before_any_fit(y_change, match):
    ds = load_dataset("topics")
    with pytest.raises(ValueError, match=match):
        compare(ds.X, y_change(ds.y), methods=["none"], **FAST)
    with pytest.raises(ValueError, match="None of the methods .* applies.*ros: imbalanced"):
        compare(ds.X, ds.y, methods=["ros"], **FAST)


# -- command line ------------------------------------------------------------------------------
def _tagged_csv(path, **extra):
    rng = np.random.default_rng(0)
    n = 90
    frame = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.normal(size=n)})
    frame["a"] = (frame["x1"] > 0).astype(int)
    frame["b"] = (frame["x2"] > 1).astype(int)
    frame["c"] = (np.arange(n) % 3 == 0).astype(int)
    frame.assign(**extra).to_csv(path, index=False)
    return path


def test_cli_multi_column_target_end_to_end(tmp_path, capsys):
    csv = _tagged_csv(tmp_path / "tags.csv")
    out = tmp_path / "out"
    args = ["compare", "--csv", str(csv), "--target", "a,b,c", "--methods", "none", "balanced",
            "ros", "--max-epochs", "1", "--repeats", "1", "--n-jobs", "1", "--metric", "g_mean",
            "--out", str(out), "--quiet"]  # fmt: skip
    with pytest.raises(SystemExit, match="--metric g_mean is not a metric of the tasks of this"):
        cli.main(args)  # single-label only: said before any fit, not silently replaced
    args[args.index("g_mean")] = "micro_f1"
    assert cli.main(args) == 0
    printed = capsys.readouterr().out
    assert "tags: 90 rows; multi-label, positives per label: a: " in printed
    assert "not run on tags: ros: imbalanced-learn refuses multi-label targets" in printed
    res = pd.read_csv(out / "results.csv")
    assert set(res["method"]) == {"none", "balanced"} and set(res["task"]) == {"multi-label"}
    assert pd.read_csv(out / "paired_tests.csv")["metric"].tolist() == ["micro_f1"]


def test_cli_multi_column_target_errors_are_one_line(tmp_path):
    csv = _tagged_csv(tmp_path / "t.csv", b=[0, 1, 2] * 30)
    base = ["compare", "--csv", str(csv), "--out", str(tmp_path / "o")]
    for target, match in [
        ("a,b", r"target column 'b' holds 2 \(line 4\): a multi-label target \(--target a,b\) "
                "needs 0/1 columns"),
        ("a,z", r"target column\(s\) \['z'\] of --target 'a,z' not in"),
        ("a,", "has an empty column name"),
        ("a,a", "names a column twice"),
    ]:  # fmt: skip
        with pytest.raises(SystemExit, match=match) as done:
            cli.main([*base, "--target", target])
        assert "\n" not in str(done.value.code)


def test_a_column_named_with_a_comma_is_still_one_target(tmp_path):
    path = tmp_path / "c.csv"
    pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "a,b": ["u", "v", "u", "v"]}).to_csv(path, index=False)
    X, y, task = cli._read_csv(str(path), "a,b")
    assert list(X.columns) == ["x"] and y.name == "a,b" and y.tolist() == ["u", "v", "u", "v"]
    assert task == "single-label"
    X, Y, task = cli._read_csv(str(_tagged_csv(tmp_path / "t.csv", d=["True", "False"] * 45)),
                               "a,d")  # fmt: skip
    assert task == "multi-label"
    assert Y.dtypes.tolist() == ["int64", "int64"] and Y["d"].tolist()[:2] == [1, 0]
    assert list(X.columns) == ["x1", "x2", "b", "c"]
