"""Multi-label targets in the estimator: conventions, draws, loss weights, corrections, state."""

import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch
from scipy import stats
from sklearn.datasets import make_multilabel_classification
from sklearn.metrics import brier_score_loss, f1_score
from sklearn.model_selection import GridSearchCV, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from skorch.callbacks import Callback, Checkpoint, LoadInitState
from skorch.dataset import ValidSplit

from wsample_sk import WeightedSamplingClassifier
from wsample_sk._multilabel import class_aware_row_probabilities, rarity_weights
from wsample_sk.losses import AsymmetricLoss, DistributionBalancedLoss, MultiLabelFocalLoss
from wsample_sk.sampling import ClassQuotas

FAST = dict(max_epochs=3, random_state=0, lr=0.01)


@pytest.fixture(scope="module")
def tagged():
    X, Y = make_multilabel_classification(
        400, n_features=8, n_classes=5, n_labels=2, allow_unlabeled=False, random_state=1
    )
    return X.astype(np.float32), Y


def test_mlp_conventions(tagged):
    X, Y = tagged
    clf = WeightedSamplingClassifier(**FAST).fit(X, Y)
    assert isinstance(clf.criterion_, torch.nn.BCEWithLogitsLoss)
    np.testing.assert_array_equal(clf.classes_, np.arange(5))
    pred, proba = clf.predict(X), clf.predict_proba(X)
    assert pred.shape == proba.shape == (400, 5) and set(np.unique(pred)) <= {0, 1}
    assert ((proba > 0) & (proba < 1)).all()
    np.testing.assert_allclose(clf.class_prior_, Y.mean(axis=0))
    for other in (sp.csr_matrix(Y), pd.DataFrame(Y), Y.tolist()):
        twin = WeightedSamplingClassifier(**FAST).fit(X, other)
        np.testing.assert_array_equal(twin.predict_proba(X), proba)


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"sampling": "balanced"}, lambda Y: class_aware_row_probabilities(Y)),
        (
            {"sampling": "balanced", "sampling__label_rule": "max"},
            lambda Y: rarity_weights(Y, rule="max"),
        ),
    ],
)
def test_drawn_rows_follow_the_formula_with_power(tagged, params, expected, drawn_rows):
    X, Y = tagged
    rec = drawn_rows()
    WeightedSamplingClassifier(
        callbacks=[rec], sampling__samples_per_epoch=25.0, **params, **FAST
    ).fit(X, Y)
    counts = np.bincount(np.concatenate(rec.rows), minlength=len(Y))
    p = expected(Y)
    p = p / p.sum()
    assert stats.chisquare(counts, p * counts.sum()).pvalue > 1e-4
    uniform = np.full(len(Y), counts.sum() / len(Y))  # the wrong formula is rejected
    assert stats.chisquare(counts, uniform).pvalue < 1e-12


def test_class_weight_balances_each_labels_positives(tagged):
    X, Y = tagged
    clf = WeightedSamplingClassifier(class_weight="balanced", **FAST).fit(X, Y)
    np.testing.assert_allclose(clf.sampling_prior_, 0.5)  # the loss sees as many + as -
    plain = WeightedSamplingClassifier(**FAST).fit(X, Y)
    assert clf.predict(X).mean() > plain.predict(X).mean()  # rarer labels predicted more


def test_sample_weight_and_search_tools(tagged):
    X, Y = tagged
    sw = np.linspace(0.5, 2.0, len(Y))
    WeightedSamplingClassifier(sampling="sqrt", **FAST).fit(X, Y, sample_weight=sw)
    WeightedSamplingClassifier(sample_weight_in="loss", **FAST).fit(X, Y, sample_weight=sw)
    search = GridSearchCV(
        WeightedSamplingClassifier(**FAST),
        {"sampling": [None, "balanced"], "class_weight": [None, "balanced"]},
        scoring="f1_macro",
        cv=2,
        error_score="raise",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        search.fit(X, Y)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    scores = cross_validate(
        make_pipeline(StandardScaler(), WeightedSamplingClassifier(**FAST)),
        X,
        Y,
        cv=2,
        scoring=["f1_micro", "f1_macro", "average_precision"],
    )
    assert np.isfinite(scores["test_f1_macro"]).all()


def test_prior_correction_per_label_lowers_the_brier_score(tagged):
    X, Y = tagged
    kw = dict(sampling="balanced", max_epochs=15, random_state=0, lr=0.01)
    raw = WeightedSamplingClassifier(**kw).fit(X, Y)
    corrected = WeightedSamplingClassifier(proba_correction="prior", **kw).fit(X, Y)
    p_raw, p_cor = raw.predict_proba(X), corrected.predict_proba(X)
    brier = [
        np.mean([brier_score_loss(Y[:, j], p[:, j]) for j in range(5)]) for p in (p_raw, p_cor)
    ]
    assert brier[1] < brier[0]
    adjusted = WeightedSamplingClassifier(proba_correction="prior", logit_adjustment=1.0, **kw)
    adjusted.fit(X, Y)
    assert f1_score(Y, adjusted.predict(X), average="macro") > 0.5


@pytest.mark.parametrize("loss", [MultiLabelFocalLoss, AsymmetricLoss, DistributionBalancedLoss])
def test_multi_label_losses_get_the_label_counts_and_restore(tagged, tmp_path, loss):
    X, Y = tagged
    cp = Checkpoint(dirname=str(tmp_path), monitor=None)
    clf = WeightedSamplingClassifier(criterion=loss, callbacks=[cp], **FAST).fit(X, Y)
    np.testing.assert_array_equal(clf.criterion_.label_counts.numpy(), Y.sum(axis=0))
    fresh = WeightedSamplingClassifier(
        criterion=loss, module__n_features=8, module__n_classes=5, **FAST
    ).initialize()
    fresh.load_params(checkpoint=cp)
    np.testing.assert_array_equal(fresh.predict_proba(X), clf.predict_proba(X))
    np.testing.assert_array_equal(fresh.predict(X), clf.predict(X))


def test_an_interrupted_progressive_fit_resumes_exactly(tagged, tmp_path):
    X, Y = tagged

    class StopAfter(Callback):
        def on_epoch_end(self, net, **kwargs):
            if len(net.history) == 2:
                raise KeyboardInterrupt

    kw = dict(sampling="progressive", random_state=0, lr=0.01, batch_size=64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        straight = WeightedSamplingClassifier(max_epochs=4, **kw).fit(X, Y)
        cp = Checkpoint(dirname=str(tmp_path), monitor=None)
        WeightedSamplingClassifier(max_epochs=4, callbacks=[cp, StopAfter()], **kw).fit(X, Y)
        resumed = WeightedSamplingClassifier(max_epochs=2, callbacks=[LoadInitState(cp)], **kw)
        resumed.fit(X, Y)
    for a, b in zip(straight.module_.parameters(), resumed.module_.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_a_label_without_positives_warns_and_keeps_its_probability(tagged):
    X, Y = tagged
    Y = Y.copy()
    Y[:, 4] = 0
    with pytest.warns(UserWarning, match=r"Label\(s\) \[4\] have no positive"):
        clf = WeightedSamplingClassifier(sampling="balanced", proba_correction="prior", **FAST).fit(
            X, Y
        )
    assert np.isfinite(clf.predict_proba(X)).all()


@pytest.mark.parametrize(
    "y, params, match",
    [
        (lambda Y: np.stack([Y, Y], axis=2), {}, "1-D .* or a 2-D 0/1 indicator"),
        (lambda Y: np.where(Y == 1, 2, 0), {}, r"values 0 or 1; got 2 at \(row 0, column 0\)"),
        (lambda Y: Y + np.arange(len(Y))[:, None] % 3, {}, r"0 or 1; got 2 at \(row 1, col"),
        (
            lambda Y: np.where(np.arange(Y.size).reshape(Y.shape) == 7, -1, Y),
            {},
            r"got -1 at \(row 1, column 2\)",
        ),
        (
            lambda Y: np.where(np.arange(Y.size).reshape(Y.shape) == 3, 0.5, Y),
            {},
            r"got 0.5 at \(row 0, column 3\)",
        ),
        (
            lambda Y: np.array([["a", "b"]] * len(Y)),
            {},
            "real numbers 0 or 1; got an array of dtype <U1",
        ),
        (lambda Y: Y, {"sampling": ClassQuotas()}, "multi-label target does not have"),
        (lambda Y: Y, {"train_split": ValidSplit(4, stratified=True)}, "stratified=False"),
        (lambda Y: Y, {"classes": [0, 1]}, "classes names 2 labels but y has 5"),
        (
            lambda Y: Y,
            {"sampling": "effective", "sampling__label_rule": "median"},
            "label_rule must be one of",
        ),
    ],
)
def test_bad_multi_label_input_is_a_clear_error(tagged, y, params, match):
    X, Y = tagged
    with pytest.raises(ValueError, match=match):
        WeightedSamplingClassifier(**{**FAST, **params}).fit(X, y(Y))


def test_loss_reweighting_weighs_rows_by_their_mean_label_loss(tagged):
    from wsample_sk.callbacks import LossReweighting

    X, Y = tagged
    clf = WeightedSamplingClassifier(callbacks=[("rw", LossReweighting())], **FAST).fit(X, Y)
    assert clf.history[-1, "reweight_max"] > 1.0  # hard rows are drawn more often
    assert clf.predict(X).shape == Y.shape


def test_label_rule_on_one_label_per_row_is_refused():
    X = np.random.default_rng(0).normal(size=(60, 3)).astype(np.float32)
    y = np.r_[np.zeros(50, int), np.ones(10, int)]
    with pytest.raises(ValueError, match="label_rule applies to multi-label targets only"):
        WeightedSamplingClassifier(sampling="balanced", sampling__label_rule="max", **FAST).fit(
            X, y
        )


def test_labels_never_or_always_positive_are_decided_at_one_half(tagged):
    X, Y = tagged
    Y = Y.copy()
    Y[:, 2], Y[:, 1] = 0, 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        clf = WeightedSamplingClassifier(
            logit_adjustment=1.0, max_epochs=5, lr=0.05, random_state=0
        )
        pred = clf.fit(X, Y).predict(X)
    proba = clf.predict_proba(X)
    np.testing.assert_array_equal(pred[:, [1, 2]], (proba[:, [1, 2]] > 0.5).astype(int))


def test_a_restored_multi_label_model_predicts_as_the_fitted_one(tagged, tmp_path):
    X, Y = tagged
    cp = Checkpoint(dirname=str(tmp_path), monitor=None)
    kw = dict(sampling="progressive", proba_correction="prior", **FAST)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        fitted = WeightedSamplingClassifier(callbacks=[cp], **kw).fit(X, Y)
    fresh = WeightedSamplingClassifier(module__n_features=8, classes=list(range(5)), **kw)
    fresh.initialize().load_params(checkpoint=cp)  # the default criterion, no data
    np.testing.assert_array_equal(fresh.predict(X), fitted.predict(X))
    np.testing.assert_allclose(fresh.predict_proba(X), fitted.predict_proba(X))


@pytest.mark.parametrize(
    "params",
    [
        dict(criterion=torch.nn.BCEWithLogitsLoss, criterion__pos_weight="balanced"),
        dict(criterion=MultiLabelFocalLoss, criterion__gamma=0.0, criterion__alpha="balanced"),
    ],
    ids=["pos_weight", "focal-alpha"],
)
def test_positive_weights_inside_the_criterion_are_part_of_the_mix(tagged, params):
    X, Y = tagged
    if params.get("criterion__pos_weight") == "balanced":
        n_pos = Y.sum(axis=0)
        weight = torch.tensor((len(Y) - n_pos) / n_pos, dtype=torch.float32)
        params = {**params, "criterion__pos_weight": weight}
    clf = WeightedSamplingClassifier(**params, **FAST).fit(X, Y)
    np.testing.assert_allclose(clf.sampling_prior_, 0.5)  # as many + as - in the loss
    np.testing.assert_allclose(clf.class_prior_, Y.mean(axis=0))


def test_a_loss_whose_mix_is_unknown_refuses_the_correction(tagged):
    X, Y = tagged
    clf = WeightedSamplingClassifier(criterion=DistributionBalancedLoss, **FAST).fit(X, Y)
    clf.predict_proba(X)  # uncorrected: fine
    for params in (dict(proba_correction="prior"), dict(logit_adjustment=1.0)):
        clf.set_params(**params)
        with pytest.raises(ValueError, match="cannot undo .* DistributionBalancedLoss weighs"):
            clf.predict(X)
        clf.set_params(proba_correction=None, logit_adjustment=None)


def test_parameters_alone_restore_a_multi_label_model(tagged, tmp_path):
    X, Y = tagged
    fitted = WeightedSamplingClassifier(**FAST).fit(X, Y)
    fitted.save_params(f_params=tmp_path / "p.pt")
    fresh = WeightedSamplingClassifier(module__n_features=8, module__n_classes=5, **FAST)
    fresh.initialize().load_params(f_params=tmp_path / "p.pt")  # no history, no classes
    assert fresh.predict(X).shape == (len(X), 5)
    np.testing.assert_array_equal(fresh.predict_proba(X), fitted.predict_proba(X))
    with pytest.raises(ValueError, match="y holds one label per row, but the model was fitted"):
        fresh.partial_fit(X, Y[:, 0])
    fresh.partial_fit(X, Y)  # trains on, as multi-label
    assert fresh.predict(X).shape == (len(X), 5)
    # and the other way round: a single-label model is not trained on an indicator
    single = WeightedSamplingClassifier(**FAST).fit(X, Y[:, 0])
    with pytest.raises(ValueError, match="multi-label indicator, but the model was fitted on one"):
        single.partial_fit(X, Y)


def test_a_state_saved_without_the_target_kind_still_loads(tagged):
    X, Y = tagged
    fitted = WeightedSamplingClassifier(**FAST).fit(X, Y[:, 0])
    state = {k: v for k, v in fitted.module_.state_dict().items() if "extra_state" not in k}
    fresh = WeightedSamplingClassifier(module__n_features=8, classes=[0, 1], **FAST).initialize()
    fresh.module_.load_state_dict(state)
    np.testing.assert_array_equal(fresh.predict(X), fitted.predict(X))


def test_a_loss_whose_mix_is_unknown_is_refused_when_fit_starts(tagged):
    X, Y = tagged
    clf = WeightedSamplingClassifier(
        criterion=DistributionBalancedLoss, proba_correction="prior", **FAST
    )
    with pytest.raises(ValueError, match="proba_correction cannot undo .* DistributionBalanced"):
        clf.fit(X, Y)
    assert not hasattr(clf, "history_") or len(clf.history) == 0


def test_a_module_of_ones_own_restored_without_history_warns(tagged, tmp_path):
    X, Y = tagged

    class Linear(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.layer = torch.nn.Linear(8, 5)

        def forward(self, X):
            return self.layer(X)

    WeightedSamplingClassifier(Linear, **FAST).fit(X, Y).save_params(
        f_params=tmp_path / "p.pt", f_history=tmp_path / "h.json"
    )
    fresh = WeightedSamplingClassifier(Linear, classes=list(range(5)), **FAST).initialize()
    with pytest.warns(UserWarning, match="do not say which kind of target .* load f_history"):
        fresh.load_params(f_params=tmp_path / "p.pt")
    fresh.load_params(f_history=tmp_path / "h.json")
    assert fresh.predict(X).shape == Y.shape  # history says multi-label


def test_nan_and_data_frame_columns_in_a_multi_label_y_are_named(tagged):
    X, Y = tagged
    Z = Y.astype(float)
    Z[3, 2] = np.nan
    with pytest.raises(ValueError, match=r"got nan at \(row 3, column 2\)"):
        WeightedSamplingClassifier(**FAST).fit(X, Z)
    frame = pd.DataFrame(Y, columns=["a", "b", "c", "d", "e"])
    frame.loc[4, "c"] = 2
    with pytest.raises(ValueError, match=r"got 2 at \(row 4, column 'c'\)"):
        WeightedSamplingClassifier(**FAST).fit(X, frame)
