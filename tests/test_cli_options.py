"""Every option of ``wsample-sk compare`` runs; a bad value is a one-line error naming it.

The fits are as small as they go (a tiny CSV, one or two epochs); where only the
arguments handed to ``compare()`` matter, it is replaced by a recorder.
"""

import html
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from wsample_sk import _cli as cli

# every option of `wsample-sk compare --help`, and the tests that run it
RUN_BY = {
    "--help": "test_help_lists_every_option_and_exits_0",
    "--datasets": "test_a_single_method_writes_a_report_without_tests",
    "--csv": "test_many_options_in_one_small_run",
    "--target": "test_many_options_in_one_small_run",
    "--methods": "test_many_options_in_one_small_run",
    "--references": "test_many_options_in_one_small_run",
    "--repeats": "test_quick_applies_its_settings_and_given_ones_win",
    "--folds": "test_many_options_in_one_small_run",
    "--quick": "test_quick_run_end_to_end",
    "--seed": "test_many_options_in_one_small_run",
    "--n-jobs": "test_many_options_in_one_small_run",
    "--max-epochs": "test_many_options_in_one_small_run",
    "--max-rows": "test_many_options_in_one_small_run",
    "--lr": "test_many_options_in_one_small_run",
    "--batch-size": "test_many_options_in_one_small_run",
    "--metric": "test_many_options_in_one_small_run",
    "--reference-method": "test_many_options_in_one_small_run",
    "--out": "test_many_options_in_one_small_run",
    "--quiet": "test_many_options_in_one_small_run",
    "--task": "test_a_continuous_target_is_compared_as_regression",
}


def tiny_frame(n=80, seed=0):
    """``n`` rows, three numeric features and a categorical one, classes 3:1."""
    rng = np.random.default_rng(seed)
    label = np.where(np.arange(n) % 4 == 0, "rare", "common")
    return pd.DataFrame(
        {
            "x1": rng.normal(size=n) + (label == "rare"),
            "x2": rng.normal(size=n),
            "x3": rng.uniform(size=n).round(3),
            "colour": rng.choice(["red", "blue"], n),
            "label": label,
        }
    )


@pytest.fixture
def tiny_csv(tmp_path):
    path = tmp_path / "tiny.csv"
    tiny_frame().to_csv(path, index=False)
    return path


@pytest.fixture
def recorder(monkeypatch, tmp_path):
    """compare() replaced: the keyword arguments it got, and no fit."""
    seen = {}

    def fake(**kwargs):
        seen.update(kwargs)
        raise KeyboardInterrupt  # the CLI's exit path that needs no results

    monkeypatch.setattr("wsample_sk.compare.compare", fake)
    return seen


def test_help_lists_every_option_and_exits_0(capsys):
    with pytest.raises(SystemExit) as done:
        cli.main(["compare", "--help"])
    assert done.value.code == 0
    text = capsys.readouterr().out
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if a.dest == "command").choices["compare"]
    options = {s for a in sub._actions for s in a.option_strings if s.startswith("--")}
    assert options == set(RUN_BY), "a new option needs a test that runs it (RUN_BY)"
    assert all(option in text for option in options)
    names = set(globals())
    assert set(RUN_BY.values()) <= names


def test_many_options_in_one_small_run(tiny_csv, tmp_path, capsys):
    out = tmp_path / "out"
    args = [
        "compare", "--csv", str(tiny_csv), "--target", "label", "--methods", "none",
        "balanced", "--references", "--repeats", "1", "--folds", "3", "--seed", "7",
        "--n-jobs", "1", "--max-epochs", "1", "--max-rows", "60", "--lr", "0.01",
        "--batch-size", "16", "--metric", "macro_f1", "--reference-method", "balanced",
        "--out", str(out), "--quiet",
    ]  # fmt: skip
    assert cli.main(args) == 0
    printed = capsys.readouterr()
    assert "fits:" not in printed.err  # --quiet: no progress bar
    assert "using a stratified subsample of 60 rows (--max-rows 60)" in printed.out
    res = pd.read_csv(out / "results.csv")
    assert set(res["method"]) == {"none", "balanced", "ref_logreg", "ref_hgb", "ref_brf", "ref_mlp"}
    assert sorted(set(res["fold"])) == [0, 1, 2] and set(res["repeat"]) == {0}
    tests = pd.read_csv(out / "paired_tests.csv")
    assert "balanced" not in set(tests["method"]) and len(tests) == 5  # the reference
    assert (out / "scores_macro_f1.png").exists()
    page = html.unescape((out / "report.html").read_text())
    for setting in ("max_epochs=1", "lr=0.01", "batch_size=16", "seed=7", "max_rows=60"):
        assert setting in page
    assert "60 rows (a stratified subsample of 80)" in page


def test_a_continuous_target_is_compared_as_regression(tmp_path, capsys):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(80, 2))
    counts = np.floor(np.exp(1.0 + x[:, 0] + 0.2 * rng.normal(size=80)))  # whole numbers
    path = tmp_path / "counts.csv"
    pd.DataFrame({"x1": x[:, 0], "x2": x[:, 1], "visits": counts.astype(int)}).to_csv(
        path, index=False
    )
    base = ["compare", "--csv", str(path), "--target", "visits", "--repeats", "1",
            "--max-epochs", "2", "--n-jobs", "1", "--quiet"]  # fmt: skip
    args = [*base, "--task", "regression", "--methods", "none", "balanced", "ros",
            "--metric", "rmse", "--out", str(tmp_path / "r")]  # fmt: skip
    assert cli.main(args) == 0
    printed = capsys.readouterr().out
    assert "continuous target: min 0, median" in printed and "rmse" in printed
    res = pd.read_csv(tmp_path / "r" / "results.csv")
    assert set(res["task"]) == {"regression"} and res["rmse"].gt(0).all()
    tests = pd.read_csv(tmp_path / "r" / "paired_tests.csv")
    assert set(tests["metric"]) == {"rmse"} and set(tests["task"]) == {"regression"}
    assert (tmp_path / "r" / "errors_by_target.png").exists()
    page = html.unescape((tmp_path / "r" / "report.html").read_text())
    assert "stratified on quantiles of the target" in page and "few-shot" in page
    # whole numbers without --task are class labels: too many classes for two folds
    with pytest.raises(SystemExit, match="fewer than folds=2"):
        cli.main([*base, "--methods", "none", "--out", str(tmp_path / "c")])
    frame = pd.read_csv(path).assign(visits=counts + 0.5)  # not whole: a continuous target
    frame.to_csv(path, index=False)
    assert cli.main([*base, "--methods", "none", "--out", str(tmp_path / "a")]) == 0
    assert set(pd.read_csv(tmp_path / "a" / "results.csv")["task"]) == {"regression"}


def test_quick_applies_its_settings_and_given_ones_win(tiny_csv, tmp_path, recorder):
    big = tmp_path / "big.csv"
    tiny_frame(n=2500, seed=1).to_csv(big, index=False)
    base = ["compare", "--quick", "--csv", str(big), "--target", "label"]
    assert cli.main([*base, "--out", str(tmp_path / "a")]) == 130
    quick = {k: recorder[k] for k in ("repeats", "max_epochs", "max_rows", "methods")}
    assert quick == {"repeats": 1, "max_epochs": 20, "max_rows": 2000,
                     "methods": ["none", "balanced", "logit_adjusted", "ros"]}  # fmt: skip
    given = ["--repeats", "2", "--max-epochs", "3", "--max-rows", "500", "--methods", "none"]
    assert cli.main([*base, *given, "--out", str(tmp_path / "b")]) == 130
    assert (recorder["repeats"], recorder["max_epochs"], recorder["max_rows"]) == (2, 3, 500)
    assert recorder["methods"] == ["none"]
    assert cli.main(["compare", "--csv", str(big), "--target", "label", "--out",
                     str(tmp_path / "c")]) == 130  # fmt: skip
    assert (recorder["repeats"], recorder["max_epochs"], recorder["max_rows"]) == (5, 60, None)


def test_quick_run_end_to_end(tiny_csv, tmp_path, capsys):
    args = ["compare", "--quick", "--csv", str(tiny_csv), "--target", "label", "--n-jobs", "1",
            "--out", str(tmp_path / "q"), "--quiet"]  # fmt: skip
    assert cli.main(args) == 0
    printed = capsys.readouterr().out
    assert "--quick: 1 repeat(s), 20 epochs" in printed and "at most 2000 rows" in printed
    res = pd.read_csv(tmp_path / "q" / "results.csv")
    assert set(res["method"]) == {"none", "balanced", "logit_adjusted", "ros"}
    assert set(res["repeat"]) == {0} and len(res) == 4 * 2


@pytest.mark.parametrize("methods", [["none"], ["balanced"]])
def test_a_single_method_writes_a_report_without_tests(tmp_path, capsys, methods):
    out = tmp_path / "out"
    args = ["compare", "--datasets", "iris", "--methods", *methods, "--max-epochs", "1",
            "--repeats", "1", "--n-jobs", "1", "--out", str(out), "--quiet"]  # fmt: skip
    assert cli.main(args) == 0
    assert "No paired tests: only one method ran" in capsys.readouterr().out
    page = html.unescape((out / "report.html").read_text())
    assert f"No paired tests: only one method ran ('{methods[0]}')" in page
    assert (out / "summary.csv").exists() and not (out / "paired_tests.csv").exists()


def test_without_none_the_tests_compare_with_the_first_method(tmp_path, recorder, capsys):
    out = ["--out", str(tmp_path / "o")]
    assert cli.main(["compare", "--datasets", "iris", "--methods", "balanced", "ros", *out]) == 130
    assert "paired tests against 'balanced', the first method" in capsys.readouterr().out
    with pytest.raises(SystemExit, match="--reference-method 'none' is not among"):
        cli.main(["compare", "--methods", "balanced", "--reference-method", "none", *out])


@pytest.mark.parametrize(
    "text, sep",
    [
        ("x1;x2;label\n1,5;2;a\n2,25;3;b\n-0,5;1;a\n3e0;;b\n", ";"),  # decimal commas
        ("x1\tx2\tlabel\n1.5\t2\ta\n2.25\t3\tb\n-0.5\t1\ta\n3\t\tb\n", "\t"),
        ("x1|x2|label\n1.5|2|a\n2.25|3|b\n-0.5|1|a\n3||b\n", "|"),
    ],
)
def test_semicolon_tab_and_pipe_files_are_read(tmp_path, text, sep):
    path = tmp_path / "d.csv"
    path.write_text(text)
    assert cli._separator(path) == sep
    X, y, _ = cli._read_csv(str(path), "label")
    assert list(X.columns) == ["x1", "x2"] and y.tolist() == ["a", "b", "a", "b"]
    assert X["x1"].tolist() == [1.5, 2.25, -0.5, 3.0] and X["x2"].isna().tolist()[-1]
    if sep == ";":  # and with an exponent (as pandas writes tiny floats)
        path.write_text("x1;label\n1,5e-05;a\n-2,5E+03;b\n;a\n4;b\n")
        X, _, _ = cli._read_csv(str(path), "label")
        assert X["x1"].tolist()[:2] == [1.5e-05, -2500.0] and np.isnan(X["x1"][2])


def test_a_semicolon_file_end_to_end_and_the_separator_in_errors(tmp_path):
    frame = tiny_frame()
    path = tmp_path / "semi.csv"
    frame.to_csv(path, sep=";", decimal=",", index=False)
    args = ["compare", "--csv", str(path), "--target", "label", "--methods", "ref_logreg",
            "none", "--max-epochs", "1", "--repeats", "1", "--n-jobs", "1", "--quiet",
            "--out", str(tmp_path / "o")]  # fmt: skip
    assert cli.main(args) == 0
    with pytest.raises(SystemExit, match="'y' is not in .* separator semicolon ';'.*'x1', 'x2'"):
        cli.main([*args[:3], "--target", "y", *args[5:]])


# -- bad values: one line naming the option and the value, non-zero exit, before any fit ---------
@pytest.mark.parametrize(
    "option, value, message",
    [
        ("--repeats", "0", "must be at least 1; got 0"),
        ("--repeats", "nan", "must be an integer >= 1; got 'nan'"),
        ("--repeats", "1.5", "must be an integer >= 1; got '1.5'"),
        ("--repeats", "True", "must be an integer >= 1; got 'True'"),
        ("--folds", "1", "must be at least 2; got 1"),
        ("--folds", "inf", "must be an integer >= 2; got 'inf'"),
        ("--max-epochs", "0", "must be at least 1; got 0"),
        ("--max-epochs", "-3", "must be at least 1; got -3"),
        ("--max-rows", "0", "must be at least 1; got 0"),
        ("--batch-size", "1e3", "must be an integer >= 1; got '1e3'"),
        ("--batch-size", "0", "must be at least 1; got 0"),
        ("--lr", "nan", "must be a finite number > 0; got 'nan'"),
        ("--lr", "inf", "must be a finite number > 0; got 'inf'"),
        ("--lr", "1e999", "must be a finite number > 0; got '1e999'"),
        ("--lr", "0", "must be a finite number > 0; got '0'"),
        ("--lr", "-0.1", "must be a finite number > 0; got '-0.1'"),
        ("--lr", "fast", "must be a finite number > 0; got 'fast'"),
        ("--n-jobs", "0", "must be a positive number of processes .*; got '0'"),
        ("--n-jobs", "two", "must be a positive number of processes .*; got 'two'"),
        ("--seed", "-1", "must be at least 0; got -1"),
        ("--seed", "4294967296", r"must be at most 2\*\*32 - 1 = 4294967295; got 4294967296"),
        ("--metric", "accuracy", "invalid choice: 'accuracy'"),
        ("--datasets", "covtype", "invalid choice: 'covtype'"),
    ],
)
def test_a_bad_number_is_one_line_naming_the_option(option, value, message, capsys, recorder):
    with pytest.raises(SystemExit) as done:
        cli.main(["compare", option, value, "--quiet"])
    assert done.value.code == 2 and not recorder
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert f"argument {option}" in err
    assert re.search(message, err), err


def test_an_unexpected_error_is_one_line_unless_asked(monkeypatch, tmp_path):
    def broken(**kwargs):
        raise RuntimeError("something\nwent wrong")

    monkeypatch.setattr("wsample_sk.compare.compare", broken)
    args = ["compare", "--datasets", "iris", "--out", str(tmp_path / "o")]
    with pytest.raises(SystemExit) as done:
        cli.main(args)
    assert "\n" not in str(done.value.code)
    assert "unexpected RuntimeError: something went wrong" in done.value.code
    monkeypatch.setenv("WSAMPLE_SK_DEBUG", "1")
    with pytest.raises(RuntimeError, match="something"):
        cli.main(args)


def test_the_installed_command_prints_one_line_for_a_bad_value():
    done = subprocess.run(
        [sys.executable, "-m", "wsample_sk", "compare", "--lr", "nan"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "wsample-sk compare: error: argument --lr: must be a finite number > 0; got 'nan' "
        "(see wsample-sk compare --help)"
    ]
