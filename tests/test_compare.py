"""The comparison: built-in data, runs, statistics, report and command line."""

import html
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from wsample_sk import _cli as cli
from wsample_sk.compare import (
    DATASETS,
    DEFAULT_METHODS,
    METHODS,
    METRICS,
    REFERENCES,
    compare,
    format_table,
    load_dataset,
    paired_tests,
    rank_test,
    skip_reason,
    summarize,
    write_report,
)
from wsample_sk.compare._metrics import score_fit
from wsample_sk.compare._tasks import TASKS

FAST = dict(repeats=1, folds=2, max_epochs=2, progress=False)


# -- data -------------------------------------------------------------------------------
def test_the_suite_is_several_imbalanced_data_sets_the_same_every_call():
    assert len(DATASETS) >= 4
    sets = [load_dataset(name) for name in DATASETS]
    assert {ds.name for ds in sets if ds.multilabel} == {"digit_attributes", "topics"}
    sets = [ds for ds in sets if not ds.multilabel]  # (multi-label: test_compare_multilabel)
    assert len({ds.domain for ds in sets}) == len(sets)
    assert any(ds.y.nunique() > 2 for ds in sets)  # a multiclass set
    assert len({round(ds.imbalance_ratio) for ds in sets}) > 1
    for ds in sets:
        assert ds.imbalance_ratio > 4.9 and len(ds.X) == len(ds.y)  # 1:5 or more
        again = load_dataset(ds.name)
        pd.testing.assert_frame_equal(ds.X, again.X)
        pd.testing.assert_series_equal(ds.y, again.y)
    assert load_dataset("breast_cancer").y.value_counts().to_dict() == {
        "benign": 357,
        "malignant": 36,
    }
    with pytest.raises(ValueError, match="Unknown data set 'covtype'"):
        load_dataset("covtype")  # nothing is downloaded


# -- runs ---------------------------------------------------------------------------------
def test_tidy_results_same_splits_for_every_method_caller_data_untouched():
    ds = load_dataset("wine")
    X = ds.X.copy()
    X.columns = range(X.shape[1])  # integer names must come back as they were
    before = X.copy()
    res = compare(datasets=[("w", X, ds.y), "breast_cancer"], methods=["none", "balanced", "ros"],
                  **FAST)  # fmt: skip
    pd.testing.assert_frame_equal(X, before)
    assert list(X.columns) == list(range(13))
    assert len(res) == 2 * 3 * 2
    classification = [m for m in METRICS if m in TASKS["single-label"].metrics]
    assert list(res.columns) == ["dataset", "task", "method", "repeat", "fold", *classification,
                                 "fit_seconds"]  # fmt: skip
    assert res[classification].notna().all().all()
    for metric in ("balanced_accuracy", "average_precision", "roc_auc", "ece"):
        assert res[metric].between(0, 1).all()
    for (name, method), proba in res.attrs["oof_proba"].items():
        assert not np.isnan(proba).any(), (name, method)  # every row tested once per repeat
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert res.attrs["datasets"]["w"]["classes"] == ["class_0", "class_1", "class_2"]


def test_scores_do_not_depend_on_n_jobs():
    kw = dict(datasets=["wine"], methods=["none", "logit_adjusted", "smote"], **FAST)
    a, b = compare(n_jobs=1, **kw), compare(n_jobs=2, **kw)
    cols = ["dataset", "method", "repeat", "fold", *TASKS["single-label"].metrics]
    pd.testing.assert_frame_equal(a[cols], b[cols])


def test_every_method_and_reference_runs():
    assert set(DEFAULT_METHODS) <= set(METHODS)
    res = compare(datasets=["wine"], methods=list(METHODS), references=True, **FAST)
    single = {m for m in [*METHODS, *REFERENCES] if skip_reason(m, "single-label") is None}
    assert set(res["method"]) == single
    assert set(res.attrs["skipped"]["wine"]) == (set(METHODS) | set(REFERENCES)) - single
    assert res["balanced_accuracy"].between(0, 1).all()


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(methods=["bagging"]), r"Unknown method\(s\) \['bagging'\]"),
        (dict(y=np.zeros(111)), "single class"),
        (dict(folds=40), r"rarest class \('class_2'\) has 10 samples, fewer than folds=40"),
        (dict(folds=1), "at least 2"),
        (dict(repeats=0), "repeats must be a positive int"),
        (dict(y=np.zeros(5)), "X has 111 rows but y has 5"),
        # numeric parameters: wrong type, bool for int, NaN, inf, out of range (before any fit)
        (dict(repeats=True), r"repeats must be a positive int; got True \(bool\)"),
        (dict(repeats=np.nan), r"repeats must be a positive int; got nan \(float\)"),
        (dict(folds=2.0), r"folds must be an int, at least 2; got 2.0 \(float\)"),
        (dict(max_epochs=0), "max_epochs must be a positive int; got 0"),
        (dict(max_epochs=np.inf), r"max_epochs must be a positive int; got inf"),
        (dict(batch_size=False), r"batch_size must be a positive int; got False \(bool\)"),
        (dict(lr=np.nan), "lr must be a finite number > 0; got nan"),
        (dict(lr=float("inf")), "lr must be a finite number > 0; got inf"),
        (dict(lr=0), "lr must be a finite number > 0; got 0"),
        (dict(lr="0.1"), "lr must be a finite number > 0; got '0.1'"),
        (dict(lr=True), "lr must be a finite number > 0; got True"),
        (dict(seed=-1), "seed must be a non-negative int; got -1"),
        (dict(seed=2**32), r"seed must be an int in \[0, 2\*\*32 - 1\]; got 4294967296"),
        (dict(seed=1.5), r"seed must be a non-negative int; got 1.5 \(float\)"),
        (dict(n_jobs=0), "n_jobs must be None, a positive int .*; got 0"),
        (dict(n_jobs=True), "n_jobs must be None, a positive int .*; got True"),
        (dict(n_jobs=2.0), "n_jobs must be None, a positive int .*; got 2.0"),
        (dict(max_rows=0), "max_rows must be a positive int; got 0"),
    ],
)
def test_compare_errors(kwargs, match):
    ds = load_dataset("wine")
    y = kwargs.pop("y", ds.y)
    with pytest.raises(ValueError, match=match):
        compare(ds.X, y, **{**FAST, **kwargs})


_CTRL_C_IN_A_FIT = """
import os, signal
# a process started by a pytest-xdist worker inherits SIGINT ignored: start from Python's own
signal.signal(signal.SIGINT, signal.default_int_handler)
from wsample_sk import WeightedSamplingClassifier
from wsample_sk.compare import compare, load_dataset

begin = WeightedSamplingClassifier.on_epoch_begin
def interrupted(net, *args, **kwargs):  # Ctrl-C at the second epoch, inside skorch's loop
    begin(net, *args, **kwargs)
    if len(net.history) == 2:
        os.kill(os.getpid(), signal.SIGINT)
WeightedSamplingClassifier.on_epoch_begin = interrupted
try:
    compare(datasets=[load_dataset("wine")], methods=["none"], repeats=3, max_epochs=400,
            progress=False)
except KeyboardInterrupt:  # skorch alone would swallow it and train on
    print("interrupted", signal.getsignal(signal.SIGINT) is signal.default_int_handler)
"""


def test_ctrl_c_inside_a_skorch_fit_stops_the_run():
    # its own process: a signal sent to the test worker could land anywhere in it
    done = subprocess.run(
        [sys.executable, "-c", _CTRL_C_IN_A_FIT], capture_output=True, text=True, timeout=600
    )
    assert done.stdout.strip() == "interrupted True", done.stdout + done.stderr[-3000:]


def test_empty_methods_or_data_sets_are_clear_errors():
    with pytest.raises(ValueError, match="methods is empty; name at least one of"):
        compare(datasets=["wine"], methods=[], **FAST)
    with pytest.raises(ValueError, match="datasets is empty; name at least one of"):
        compare(datasets=[], methods="balanced", **FAST)


def test_one_method_or_data_set_given_as_a_string_is_that_one():
    res = compare(datasets="wine", methods="ref_logreg", **FAST)
    assert set(res["method"]) == {"ref_logreg"} and set(res["dataset"]) == {"wine"}


def test_max_rows_takes_a_stratified_subsample_that_keeps_rare_classes():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=700), "b": rng.normal(size=700)})
    y = np.repeat(["big", "mid", "rare"], [600, 94, 6])
    res = compare(X, y, methods=["ref_logreg"], max_rows=100, seed=3, **FAST)
    info = res.attrs["datasets"]["data"]
    assert (info["n_rows"], info["n_rows_total"]) == (100, 700)
    assert np.bincount(info["y"]).tolist() == [81, 13, 6]  # shares; the rare class kept whole
    assert res.attrs["settings"]["max_rows"] == 100
    again = compare(X, y, methods=["ref_logreg"], max_rows=100, seed=3, **FAST)
    pd.testing.assert_frame_equal(
        res.drop(columns="fit_seconds"), again.drop(columns="fit_seconds")
    )
    small = np.r_[y[:60], y[600:630]]
    full = compare(X.iloc[:90], small, methods=["ref_logreg"], max_rows=100, **FAST)
    assert full.attrs["datasets"]["data"]["n_rows"] == 90  # not more than max_rows: every row


# -- metrics and statistics ------------------------------------------------------------------
def test_scores_of_perfect_and_of_uninformative_probabilities():
    y = np.array([0, 0, 0, 1, 1, 2])
    perfect = score_fit(y, np.eye(3)[y], positive=2)
    assert perfect["balanced_accuracy"] == perfect["roc_auc"] == perfect["average_precision"] == 1
    assert perfect["brier"] == perfect["ece"] == 0
    flat = score_fit(y, np.full((6, 3), 1 / 3), positive=2)
    assert flat["roc_auc"] == 0.5
    assert flat["log_loss"] == pytest.approx(np.log(3))


def _fake(values: dict, repeats=5, folds=2):
    rows = []
    for dataset, methods in values.items():
        for method, scores in methods.items():
            for i, s in enumerate(scores):
                rows.append(dict(dataset=dataset, method=method, repeat=i // folds,
                                 fold=i % folds, balanced_accuracy=s, brier=1 - s))  # fmt: skip
    res = pd.DataFrame(rows)
    res.attrs["settings"] = {"repeats": repeats, "folds": folds}
    return res


def test_corrected_resampled_t_test_by_hand():
    rng = np.random.default_rng(0)
    ref = rng.uniform(0.6, 0.8, 10)
    new = ref + rng.normal(0.05, 0.02, 10)
    same = ref + rng.normal(0, 0.02, 10)
    res = _fake({"d": {"none": ref, "new": new, "same": same}})
    tests = paired_tests(res, "none")
    d = new - ref
    t = d.mean() / np.sqrt((1 / 10 + 1 / 1) * d.var(ddof=1))  # n_test / n_train = 1 for 2 folds
    assert tests.loc[("d", "new"), "t"] == pytest.approx(t)
    assert tests.loc[("d", "new"), "p"] == pytest.approx(2 * stats.t.sf(abs(t), 9))
    assert (tests["p_holm"] >= tests["p"]).all()
    assert tests.loc[("d", "new"), "p"] < tests.loc[("d", "same"), "p"]
    lower = paired_tests(res, "none", metric="brier")  # lower is better: the sign follows
    assert lower.loc[("d", "new"), "difference"] == pytest.approx(d.mean())
    with pytest.raises(ValueError, match="reference method 'x'"):
        paired_tests(res, "x")


def test_paired_tests_without_variance_or_with_missing_splits_are_not_significant():
    res = _fake({"d": {"none": [0.5, 0.6, 0.55, 0.5], "same_gain": [0.6, 0.7, 0.65, 0.6],
                       "near": [0.6 + 1e-16, 0.7, 0.65, 0.6], "real": [0.7, 0.75, 0.8, 0.6]}},
                repeats=2)  # fmt: skip
    tests = paired_tests(res, "none")
    for method in ("same_gain", "near"):  # a constant difference: no variance to test with
        row = tests.loc[("d", method)]
        assert np.isnan(row["t"]) and np.isnan(row["p"]) and not row["better"]
        assert row["difference"] == pytest.approx(0.1)
    assert tests.loc[("d", "real"), "p_holm"] == pytest.approx(tests.loc[("d", "real"), "p"])
    partial = res[~((res["method"] == "real") & (res["repeat"] == 1))]
    row = paired_tests(partial, "none").loc[("d", "real")]
    assert row["splits"] == 2 and not np.isnan(row["difference"])


def test_paired_tests_of_the_reference_alone_are_an_empty_table():
    tests = paired_tests(_fake({"d": {"none": [0.5, 0.6]}}, repeats=1), "none")
    assert tests.empty and list(tests.index.names) == ["dataset", "method"]
    assert {"splits", "difference", "t", "p", "p_holm", "better", "worse"} <= set(tests.columns)


def test_rank_test_leaves_out_methods_missing_on_a_data_set():
    rng = np.random.default_rng(2)
    values = {f"d{i}": {m: rng.uniform(0.5, 0.9, 4) for m in "abcd"} for i in range(3)}
    res = _fake(values, repeats=2)
    res = res[~((res["dataset"] == "d1") & (res["method"] == "b"))]
    with pytest.warns(UserWarning, match=r"\['b'\] have no balanced_accuracy"):
        out = rank_test(res)
    assert out["dropped"] == ["b"] and "b" not in out["ranks"].index
    assert np.isfinite(out["p"])


def test_friedman_nemenyi_and_critical_difference():
    rng = np.random.default_rng(1)
    values = {
        f"d{i}": {m: rng.uniform(0.5, 0.9, 10) + 0.1 * j for j, m in enumerate("abcd")}
        for i in range(6)
    }
    out = rank_test(_fake(values))
    assert list(out["ranks"].index) == ["d", "c", "b", "a"]
    means = out["scores"]
    assert out["statistic"] == pytest.approx(stats.friedmanchisquare(*means.to_numpy().T)[0])
    assert out["cd"] == pytest.approx(2.569 * np.sqrt(4 * 5 / (6 * 6)), rel=1e-3)  # Demšar's q
    assert out["nemenyi"].shape == (4, 4)
    with pytest.raises(ValueError, match="two or more data sets"):
        rank_test(_fake({"d": values["d0"]}))


def test_summary_and_table():
    res = _fake({"d": {"a": [0.5, 0.7], "b": [0.6, 0.6]}}, repeats=1)
    summary = summarize(res, ["balanced_accuracy"])
    assert summary.loc[("d", "a"), "balanced_accuracy_mean"] == pytest.approx(0.6)
    assert "0.600 ± 0.141" in format_table(res, ["balanced_accuracy"])


# -- report ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small_run():
    return compare(datasets=["wine", "breast_cancer"], methods=["none", "balanced", "ros"],
                   **FAST)  # fmt: skip


def test_report_is_one_self_contained_html_file(small_run, tmp_path):
    paths = write_report(small_run, tmp_path / "out", command="wsample-sk compare --quick")
    page = paths["html"].read_text()
    assert "src='data:image/png;base64," in page and "src='http" not in page
    assert "Friedman" in page and "corrected resampled t-test" in page.lower()
    assert "wsample-sk compare --quick" in page and "scikit-learn" in page
    ranks = pd.read_csv(paths["ranks"], index_col="method")
    assert list(ranks.columns) == ["wine", "breast_cancer", "average_rank"]
    assert ranks["average_rank"].is_monotonic_increasing
    for key in ("cd_diagram", "pr_curves", "scores_balanced_accuracy"):
        assert paths[key].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(pd.read_csv(paths["results"])) == len(small_run)
    assert "balanced_accuracy" in paths["markdown"].read_text()


def test_a_report_without_tests_says_why(small_run, tmp_path):
    one = compare(datasets=["iris"], methods=["ref_logreg"], **FAST)
    paths = write_report(one, tmp_path / "one", reference=None)
    page = html.unescape(paths["html"].read_text())
    assert "No paired tests: only one method ran ('ref_logreg')" in page
    assert "No rank test across data sets" in page and "1 data set(s) and 1 method(s)" in page
    assert "tests" not in paths and "ranks" not in paths and paths["summary"].exists()
    assert "No paired tests" in paths["markdown"].read_text()
    page = html.unescape(
        write_report(small_run, tmp_path / "rus", reference="rus")["html"].read_text()
    )
    assert "No paired tests: the reference method 'rus' was not run" in page
    assert "Friedman" in page  # the rank test does not need the reference


# -- command line --------------------------------------------------------------------------
def _cli(args, tmp_path):
    return cli.main(["compare", "--quiet", "--max-epochs", "2", "--repeats", "1",
                     "--n-jobs", "1", "--out", str(tmp_path / "out"), *args])  # fmt: skip


def test_cli_on_two_csv_files(tmp_path, capsys):
    for name in ("wine", "breast_cancer"):
        ds = load_dataset(name)
        ds.X.assign(label=ds.y).to_csv(tmp_path / f"{name}.csv", index=False)
    args = ["--csv", str(tmp_path / "wine.csv"), "--csv", str(tmp_path / "breast_cancer.csv"),
            "--target", "label", "--methods", "none", "balanced", "rus"]  # fmt: skip
    assert _cli(args, tmp_path) == 0
    printed = capsys.readouterr().out
    assert "benign: 357, malignant: 36" in printed and "| balanced" in printed
    out = tmp_path / "out"
    assert (out / "report.html").exists() and (out / "cd_diagram.png").exists()
    assert set(pd.read_csv(out / "results.csv")["dataset"]) == {"wine", "breast_cancer"}


@pytest.mark.parametrize(
    "content, args, match",
    [
        (None, ["--csv", "missing.csv", "--target", "y"], "no such file"),
        ("", ["--target", "y"], "is empty"),
        ("a,b\n", ["--target", "b"], "no rows"),
        ("a,b\n1,0\n2,1\n", ["--target", "c"], "target column 'c' is not in"),
        ("a,b\n1,0\n2,0\n3,0\n", ["--target", "b"], "single class"),
        ("a,b\n1,0\n2,1\n", [], "needs --target"),
        ("a,b\n1,0\n2,1,7,8\n3,0\n", ["--target", "b"], "not a readable CSV file"),
        (b"\x89PNG\r\n\x1a\n\x00\xff\xfe\x00" * 20, ["--target", "b"], "not a readable CSV"),
        (
            "a,b\n" + "".join(f"{i}.5,{i % 2}\n" for i in range(30)) + "n/a?,1\n",
            ["--target", "b"],
            "column 'a' .* is numeric but for 1 cell.*'n/a\\?' on line 32",
        ),
        (  # the same in a semicolon file with decimal commas
            "a;b\n" + "".join(f"{i},5;{i % 2}\n" for i in range(30)) + "n/a?;1\n",
            ["--target", "b"],
            "column 'a' .* is numeric but for 1 cell.*'n/a\\?' on line 32",
        ),
        (
            "a,b\n" + "".join(f"{i},{i * 0.37:.2f}\n" for i in range(30)),
            ["--target", "b", "--task", "classification"],
            "non-integer numbers \\(30 distinct values\\): a classification needs class labels",
        ),
        (
            "a,b\n" + "".join(f"{i},{'x' if i == 7 else i}\n" for i in range(30)),
            ["--target", "b", "--task", "regression"],
            "target column 'b' holds 'x' \\(line 9\\): a regression target must be finite",
        ),
        ("a,b\n1,0\n2,1\n", ["--target", "b", "--target", "a"], "2 --target for 1 --csv"),
    ],
)
def test_cli_errors_are_one_line(tmp_path, content, args, match):
    if content is not None:
        csv = tmp_path / "d.csv"
        if isinstance(content, bytes):
            csv.write_bytes(content)
        else:
            csv.write_text(content)
        args = ["--csv", str(csv), *args]
    with pytest.raises(SystemExit, match=match):
        _cli(args, tmp_path)


def test_cli_checks_out_before_the_first_fit(tmp_path, monkeypatch):
    ran = []
    monkeypatch.setattr("wsample_sk.compare.compare", lambda *a, **k: ran.append(1))
    (tmp_path / "file").write_text("x")
    for out, match in [("file", "is a file"), ("file/sub", "cannot write into")]:
        with pytest.raises(SystemExit, match=match):
            cli.main(["compare", "--quick", "--out", str(tmp_path / out)])
    assert not ran


def test_cli_keeps_finished_fits_on_failure_and_exits_130_on_ctrl_c(tmp_path, monkeypatch):
    def interrupted(*args, on_result, **kwargs):
        on_result({"dataset": "wine", "method": "none", "balanced_accuracy": 0.9})
        on_result({"dataset": "wine", "method": "ros", "balanced_accuracy": 0.8})
        raise KeyboardInterrupt

    monkeypatch.setattr("wsample_sk.compare.compare", interrupted)
    assert cli.main(["compare", "--datasets", "wine", "--out", str(tmp_path / "o")]) == 130
    assert len(pd.read_csv(tmp_path / "o" / "results.csv")) == 2


def test_the_core_does_not_import_the_comparison_libraries():
    code = (
        "import sys, wsample_sk\n"
        "heavy = ('matplotlib', 'scikit_posthocs', 'statsmodels')\n"
        "print([m for m in heavy if m in sys.modules])"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_without_the_extra_the_cli_says_what_to_install(monkeypatch):
    import wsample_sk

    monkeypatch.delattr(wsample_sk, "compare", raising=False)
    for name in [m for m in sys.modules if m.startswith("wsample_sk.compare")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "scikit_posthocs", None)
    with pytest.raises(SystemExit, match=r'pip install "wsample-sk\[compare\]"'):
        cli.main(["compare", "--quick"])


def test_python_dash_m_entry_point():
    done = subprocess.run(
        [sys.executable, "-m", "wsample_sk", "compare", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "--csv" in done.stdout and "--references" in done.stdout


def test_the_cli_knows_the_suite_without_importing_it():
    from wsample_sk.compare import METRICS as metrics

    assert cli._DATASETS == DATASETS and cli._METRICS == tuple(metrics)
    from wsample_sk.compare._tasks import TASKS

    for name, task in TASKS.items():  # the CLI's copy of each task's metrics and primary one
        assert set(cli._TASK_METRICS[name]) == set(task.metrics)
        assert cli._PRIMARY[name] == task.metrics[0]


def test_cli_metric_brier_and_a_second_run_into_the_same_folder(tmp_path, capsys):
    args = ["--methods", "none", "balanced", "ros", "--metric", "brier"]
    assert _cli(["--datasets", "wine", "iris", *args], tmp_path) == 0
    out = tmp_path / "out"
    assert (out / "ranks.csv").exists() and (out / "cd_diagram.png").exists()
    (out / "notes.txt").write_text("mine")
    assert _cli(["--datasets", "iris", *args], tmp_path) == 0  # one data set: no ranks
    assert "replaced" in capsys.readouterr().out
    assert not (out / "ranks.csv").exists() and not (out / "cd_diagram.png").exists()
    assert (out / "notes.txt").read_text() == "mine"  # not ours: untouched
    assert set(pd.read_csv(out / "results.csv")["dataset"]) == {"iris"}


def test_cli_checks_the_reference_method_and_takes_all_with_others(tmp_path, monkeypatch):
    seen = {}
    monkeypatch.setattr(
        "wsample_sk.compare.compare", lambda *a, **k: seen.update(k) or pd.DataFrame()
    )
    with pytest.raises(SystemExit, match="--reference-method 'rsu' is not among"):
        cli.main(["compare", "--quick", "--reference-method", "rsu", "--out", str(tmp_path)])
    assert not seen  # refused before the first fit
    with pytest.raises(SystemExit, match=r"unknown method\(s\) \['bagging'\]"):
        cli.main(["compare", "--methods", "all", "bagging", "--out", str(tmp_path)])
    monkeypatch.setattr("wsample_sk.compare.write_report", lambda *a, **k: {"html": tmp_path})
    monkeypatch.setattr("wsample_sk.compare.format_table", lambda *a, **k: "")
    cli.main(["compare", "--methods", "all", "ref_logreg", "--out", str(tmp_path / "o")])
    assert seen["methods"] == [*METHODS, "ref_logreg"]


def test_columns_missing_in_early_rows_and_tiny_classes_for_smote():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=60), "b": rng.normal(size=60)})
    X.loc[:20, "b"] = np.nan  # all missing in the first rows of every training part
    y = np.repeat(["x", "y"], [45, 15])
    res = compare(X, y, methods=["ros", "none"], **FAST)
    assert res["balanced_accuracy"].notna().all()
    y3 = np.repeat(["x", "y", "z"], [45, 13, 2])
    with pytest.raises(ValueError, match=r"smote on data \(repeat 0, fold 0\).*two or more rows"):
        compare(X, y3, methods=["smote"], **FAST)
