"""proba_correction="prior": probabilities that mean what they say after balancing."""

import numpy as np
import pytest
import torch
from sklearn.calibration import CalibratedClassifierCV
from sklearn.datasets import make_classification
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score
from sklearn.model_selection import TunedThresholdClassifierCV, train_test_split

from wsample_sk import WeightedSamplingClassifier
from wsample_sk.losses import FocalLoss


@pytest.fixture(scope="module")
def split():
    X, y = make_classification(
        6000,
        n_features=10,
        n_informative=4,
        weights=[0.93],
        class_sep=0.7,
        flip_y=0.02,
        random_state=0,
    )
    return train_test_split(X, y, stratify=y, test_size=0.5, random_state=0)


@pytest.fixture(scope="module")
def balanced(split):
    X_train, _, y_train, _ = split
    return WeightedSamplingClassifier(sampling="balanced", max_epochs=15, random_state=0).fit(
        X_train, y_train
    )


def test_correction_improves_calibration_and_keeps_ranking(split, balanced):
    _, X_test, _, y_test = split
    raw = balanced.predict_proba(X_test)[:, 1]
    corrected = balanced.set_params(proba_correction="prior").predict_proba(X_test)[:, 1]
    balanced.set_params(proba_correction=None)
    # balancing inflates the minority probability; the correction brings it back
    assert raw.mean() > 2 * y_test.mean()
    assert abs(corrected.mean() - y_test.mean()) < abs(raw.mean() - y_test.mean()) / 3
    assert brier_score_loss(y_test, corrected) < 0.7 * brier_score_loss(y_test, raw)
    assert log_loss(y_test, corrected) < 0.8 * log_loss(y_test, raw)
    # a monotone transform per row: ranking metrics do not move
    assert roc_auc_score(y_test, corrected) == pytest.approx(roc_auc_score(y_test, raw), abs=1e-6)
    assert average_precision_score(y_test, corrected) == pytest.approx(
        average_precision_score(y_test, raw), abs=1e-6
    )


def test_correction_formula_and_priors(balanced, split):
    _, X_test, _, _ = split
    np.testing.assert_allclose(balanced.sampling_prior_, [0.5, 0.5])
    raw = balanced.predict_proba(X_test[:5])
    corrected = balanced.set_params(proba_correction="prior").predict_proba(X_test[:5])
    balanced.set_params(proba_correction=None)
    expected = raw * balanced.class_prior_ / balanced.sampling_prior_
    np.testing.assert_allclose(corrected, expected / expected.sum(axis=1, keepdims=True))


def test_unweighted_model_is_unchanged(split):
    X_train, X_test, y_train, _ = split
    clf = WeightedSamplingClassifier(max_epochs=2, random_state=0).fit(X_train, y_train)
    raw = clf.predict_proba(X_test)
    np.testing.assert_allclose(clf.set_params(proba_correction="prior").predict_proba(X_test), raw)


def test_bad_value(split):
    X_train, _, y_train, _ = split
    with pytest.raises(ValueError, match="The 'proba_correction' parameter .* Got 'bayes' instead"):
        WeightedSamplingClassifier(proba_correction="bayes", max_epochs=1).fit(X_train, y_train)


def test_composes_with_threshold_tuning_and_calibration(split):
    X_train, X_test, y_train, y_test = split
    base = WeightedSamplingClassifier(
        sampling="balanced", proba_correction="prior", max_epochs=8, random_state=0
    )
    tuned = TunedThresholdClassifierCV(base, scoring="balanced_accuracy", cv=3)
    tuned.fit(X_train, y_train)
    assert 0 < tuned.best_threshold_ < 0.5  # corrected probabilities need a low cut
    assert tuned.score(X_test, y_test) > 0.6
    calibrated = CalibratedClassifierCV(base, cv=3, method="sigmoid").fit(X_train, y_train)
    proba = calibrated.predict_proba(X_test)[:, 1]
    assert (
        brier_score_loss(y_test, proba)
        <= brier_score_loss(y_test, base.fit(X_train, y_train).predict_proba(X_test)[:, 1]) + 0.01
    )


@pytest.mark.parametrize(
    "params",
    [
        dict(criterion=FocalLoss, criterion__gamma=0.0, criterion__alpha="balanced"),
        dict(criterion=torch.nn.CrossEntropyLoss, criterion__weight="balanced"),
    ],
    ids=["focal-alpha", "torch-weight"],
)
def test_class_weights_inside_the_criterion_are_part_of_the_mix(split, params):
    X_train, X_test, y_train, _ = split
    counts = np.bincount(y_train)
    if params.get("criterion__weight") == "balanced":
        weight = torch.tensor(counts.sum() / (2 * counts), dtype=torch.float32)
        params = {**params, "criterion__weight": weight}
    fast = dict(max_epochs=6, random_state=0, proba_correction="prior")
    clf = WeightedSamplingClassifier(**params, **fast).fit(X_train, y_train)
    np.testing.assert_allclose(clf.sampling_prior_, [0.5, 0.5], atol=1e-9)
    ref = WeightedSamplingClassifier(class_weight="balanced", **fast).fit(X_train, y_train)
    prior = counts[1] / counts.sum()
    # with gamma=0 / torch's weight, the same model as class_weight="balanced": the
    # correction brings both to the natural prior, not the balanced one
    for model in (clf, ref):
        mean = model.predict_proba(X_test)[:, 1].mean()
        assert abs(mean - prior) < 0.03, (mean, prior)
    uncorrected = clf.set_params(proba_correction=None).predict_proba(X_test)[:, 1].mean()
    assert uncorrected > prior + 0.1


def test_a_criterion_weight_of_the_wrong_size_is_a_clear_error(split):
    X_train, _, y_train, _ = split
    clf = WeightedSamplingClassifier(criterion__weight=torch.ones(3), max_epochs=1)
    with pytest.raises(ValueError, match=r"criterion__weight has shape \(3,\); it needs one "):
        clf.fit(X_train, y_train)
