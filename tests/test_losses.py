"""Imbalance-aware losses, deferred schedules and post-hoc logit adjustment."""

import pickle

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy import stats
from sklearn.datasets import make_classification
from sklearn.metrics import balanced_accuracy_score, brier_score_loss
from sklearn.model_selection import GridSearchCV, train_test_split
from skorch.dataset import ValidSplit

from wsample_sk import WeightedSamplingClassifier
from wsample_sk._prediction import correction_of, output_prior
from wsample_sk.losses import FocalLoss, LDAMLoss, LogitAdjustedLoss

LOSSES = [LogitAdjustedLoss, LDAMLoss, FocalLoss]
COUNTS = [60.0, 30.0, 10.0]


def logits_and_targets(dtype=torch.float32, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(8, 3, generator=g, dtype=dtype), torch.randint(0, 3, (8,), generator=g)


# -- each loss against its formula, by hand --------------------------------------------
def test_logit_adjusted_formula_and_tau_zero():
    z, y = logits_and_targets()
    prior = torch.tensor(COUNTS) / sum(COUNTS)
    for tau in (0.0, 0.5, 1.0, 2.0):
        adjusted = z + tau * torch.log(prior)
        expected = -(adjusted.log_softmax(-1).gather(1, y[:, None])).mean()
        got = LogitAdjustedLoss(class_counts=COUNTS, tau=tau)(z, y)
        torch.testing.assert_close(got, expected)
    torch.testing.assert_close(
        LogitAdjustedLoss(class_counts=COUNTS, tau=0.0)(z, y), F.cross_entropy(z, y)
    )


def test_ldam_margins_per_class_and_formula():
    loss = LDAMLoss(class_counts=COUNTS, max_margin=0.4, scale=10.0)
    n = torch.tensor(COUNTS, dtype=torch.float64)
    margins = n**-0.25 / (n**-0.25).max() * 0.4
    torch.testing.assert_close(loss.margins, margins)
    assert loss.margins.argmax() == 2 and loss.margins[2] == pytest.approx(0.4)
    z, y = logits_and_targets()
    shifted = z.clone()
    for i in range(8):
        shifted[i, y[i]] -= float(margins[y[i]])
    expected = F.cross_entropy(10.0 * shifted, y)
    torch.testing.assert_close(loss(z, y), expected)


def test_focal_formula_gamma_zero_and_alpha():
    z, y = logits_and_targets()
    torch.testing.assert_close(FocalLoss(gamma=0.0)(z, y), F.cross_entropy(z, y))
    p = z.softmax(-1).gather(1, y[:, None])[:, 0]
    expected = -((1 - p) ** 2.0) * torch.log(p)
    torch.testing.assert_close(FocalLoss(gamma=2.0, reduction="none")(z, y), expected)
    alpha = torch.tensor([sum(COUNTS) / (3 * c) for c in COUNTS])
    balanced = FocalLoss(gamma=2.0, alpha="balanced", class_counts=COUNTS, reduction="sum")
    torch.testing.assert_close(balanced(z, y), (expected * alpha[y]).sum())


@pytest.mark.parametrize("loss_cls", LOSSES)
def test_reductions(loss_cls):
    z, y = logits_and_targets()
    none = loss_cls(class_counts=COUNTS, reduction="none")(z, y)
    assert none.shape == (8,)
    torch.testing.assert_close(loss_cls(class_counts=COUNTS, reduction="sum")(z, y), none.sum())
    torch.testing.assert_close(loss_cls(class_counts=COUNTS)(z, y), none.mean())


@pytest.mark.parametrize("loss_cls", LOSSES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_gradients_are_finite_for_extreme_logits(loss_cls, dtype):
    z = torch.tensor([[1e4, -1e4, 0.0], [-1e4, 1e4, 0.0], [0.0, 0.0, 0.0]], dtype=dtype)
    z.requires_grad_(True)
    y = torch.tensor([0, 0, 2])  # one confident hit, one confident miss
    kwargs = {"gamma": 0.5} if loss_cls is FocalLoss else {}
    loss = loss_cls(class_counts=COUNTS, **kwargs)(z, y)
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(z.grad).all()
    assert loss.dtype == dtype


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: LogitAdjustedLoss(tau=-1.0), "tau == -1.0, must be >= 0.0"),
        (lambda: FocalLoss(gamma=-0.5), "gamma == -0.5, must be >= 0.0"),
        (lambda: LDAMLoss(max_margin=0.0), "max_margin == 0.0, must be > 0.0"),
        (lambda: LogitAdjustedLoss(class_counts=[5, 0]), "got 0.0 for class 1"),
        (lambda: LDAMLoss(class_counts=[5]), "one value per class"),
        (lambda: LogitAdjustedLoss(tau=float("nan")), "tau must be finite; got nan"),
        (lambda: FocalLoss(gamma=float("inf")), "gamma must be finite; got inf"),
        (lambda: LDAMLoss(scale=1e300), "scale == 1e[+]?300, must be <= 10000"),
        (lambda: LDAMLoss(max_margin=True), "max_margin must be a real number, not a bool"),
        (lambda: FocalLoss(alpha=[1.0, float("nan")]), "alpha must be finite and positive"),
        (lambda: FocalLoss(reduction="max"), "reduction must be one of"),
    ],
)
def test_wrong_use_is_a_clear_error(make, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make()


@pytest.mark.parametrize("loss_cls", [LogitAdjustedLoss, LDAMLoss])
def test_counts_of_the_wrong_length_or_missing(loss_cls):
    z, y = logits_and_targets()
    with pytest.raises(ValueError, match="has 2 class counts but the logits have shape"):
        loss_cls(class_counts=[5, 5])(z, y)
    with pytest.raises(ValueError, match="needs the class counts"):
        loss_cls()(z, y)


# -- inside the classifier ------------------------------------------------------------------
@pytest.fixture(scope="module")
def imbalanced3():
    X, y = make_classification(
        900, 8, n_informative=5, n_classes=3, weights=[0.75, 0.2], random_state=0
    )
    return X.astype(np.float32), np.array(["a", "b", "c"])[y]


@pytest.mark.parametrize("loss_cls", LOSSES)
def test_class_counts_come_from_the_training_part(imbalanced3, loss_cls):
    X, y = imbalanced3
    split = ValidSplit(4, stratified=True)
    clf = WeightedSamplingClassifier(
        criterion=loss_cls, train_split=split, max_epochs=2, random_state=0
    ).fit(X, y)
    train, _ = next(split.check_cv(y).split(X, y))
    expected = [np.sum(y[train] == c) for c in ("a", "b", "c")]
    np.testing.assert_array_equal(clf.criterion_.class_counts.numpy(), expected)
    assert sum(expected) < len(y)  # the validation rows are not counted
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)  # takes_logits: a softmax


def test_explicit_class_counts_are_kept(imbalanced3):
    X, y = imbalanced3
    clf = WeightedSamplingClassifier(
        criterion=LogitAdjustedLoss, criterion__class_counts=[1, 1, 1], max_epochs=1
    ).fit(X, y)
    np.testing.assert_array_equal(clf.criterion_.class_counts.numpy(), [1, 1, 1])


@pytest.mark.parametrize("where", ["sampling", "loss"])
@pytest.mark.parametrize("loss_cls", LOSSES)
def test_losses_compose_with_weights_and_pickle(imbalanced3, loss_cls, where):
    X, y = imbalanced3
    lever = {"sampling": "sqrt"} if where == "sampling" else {"class_weight": "sqrt"}
    clf = WeightedSamplingClassifier(
        criterion=loss_cls, sample_weight_in=where, max_epochs=4, random_state=0, **lever
    ).fit(X, y, sample_weight=np.linspace(0.5, 1.5, len(y)))
    assert np.isfinite(clf.history[:, "train_loss"]).all()
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))
    assert type(restored.criterion_) is loss_cls


def test_logit_adjustment_raises_minority_recall(imbalanced3):
    X, y = imbalanced3
    kw = dict(max_epochs=15, lr=0.003, random_state=0)
    plain = WeightedSamplingClassifier(**kw).fit(X, y)
    adjusted = WeightedSamplingClassifier(criterion=LogitAdjustedLoss, **kw).fit(X, y)
    recall = [np.mean(m.predict(X)[y == "c"] == "c") for m in (plain, adjusted)]
    assert recall[1] > recall[0] + 0.05


def test_grid_search_over_criteria_and_schedules(imbalanced3):
    X, y = imbalanced3
    search = GridSearchCV(
        WeightedSamplingClassifier(max_epochs=4, random_state=0),
        {
            "criterion": [torch.nn.CrossEntropyLoss, LogitAdjustedLoss, LDAMLoss, FocalLoss],
            "sampling": [None, "balanced", "deferred"],
        },
        scoring="balanced_accuracy",
        cv=2,
        n_jobs=2,
        error_score="raise",
    ).fit(X, y)
    assert len(search.cv_results_["params"]) == 12
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()


# -- deferred schedules ---------------------------------------------------------------------
@pytest.mark.parametrize("start", [3, 0.5])
def test_deferred_draws_natural_then_balanced(imbalanced3, start):
    X, y = imbalanced3
    clf = WeightedSamplingClassifier(
        sampling="deferred", sampling__start=start, max_epochs=6, random_state=0
    ).fit(X, y)
    natural = np.array([np.mean(y == c) for c in ("a", "b", "c")])
    for epoch, counts in enumerate(clf.history[:, "drawn_class_counts"]):
        counts = np.array(counts)
        target = natural if epoch < 3 else np.full(3, 1 / 3)
        if epoch < 3:  # natural: a plain shuffled pass, every row once
            np.testing.assert_array_equal(counts, np.round(natural * len(y)))
        else:
            assert stats.chisquare(counts, target * counts.sum()).pvalue > 1e-3


def test_deferred_in_loss_form_weights_only_later_epochs(imbalanced3):
    X, y = imbalanced3
    clf = WeightedSamplingClassifier(
        class_weight="deferred", class_weight__start=2, max_epochs=4, random_state=0
    ).fit(X, y)
    natural = [np.mean(y == c) for c in ("a", "b", "c")]
    mixes = clf.history[:, "sampling_prior"]
    np.testing.assert_allclose(mixes[0], natural)
    np.testing.assert_allclose(mixes[1], natural)
    np.testing.assert_allclose(mixes[2], 1 / 3)
    assert clf.history[:, "weight_ess"] == [1.0] * 4  # the draws stay a plain shuffle


def test_deferred_start_beyond_the_last_epoch_warns(imbalanced3):
    X, y = imbalanced3
    with pytest.warns(UserWarning, match="turns on at epoch 5, but the schedule has 4 epochs"):
        WeightedSamplingClassifier(
            sampling="deferred", sampling__start=5, max_epochs=4, random_state=0
        ).fit(X, y)
    clf = WeightedSamplingClassifier(sampling="deferred", max_epochs=4, random_state=0).fit(X, y)
    np.testing.assert_allclose(clf.history[-1, "sampling_prior"], 1 / 3)  # 0.8 of 4: epoch 3


def test_deferred_start_is_searchable(imbalanced3):
    X, y = imbalanced3
    search = GridSearchCV(
        WeightedSamplingClassifier(sampling="deferred", max_epochs=4, random_state=0),
        {"sampling__start": [0, 2, 0.75]},
        cv=2,
        error_score="raise",
    ).fit(X, y)
    assert len(search.cv_results_["params"]) == 3


# -- calibrated probabilities with balanced decisions --------------------------------------
@pytest.fixture(scope="module")
def binary_split():
    X, y = make_classification(
        4000, 10, n_informative=4, weights=[0.93], class_sep=0.7, flip_y=0.02, random_state=0
    )
    return train_test_split(X.astype(np.float32), y, stratify=y, test_size=0.5, random_state=0)


def test_calibrated_probabilities_and_balanced_decisions_at_once(binary_split):
    X_train, X_test, y_train, y_test = binary_split
    kw = dict(sampling="balanced", max_epochs=12, random_state=0)
    raw = WeightedSamplingClassifier(**kw).fit(X_train, y_train)
    corrected = WeightedSamplingClassifier(proba_correction="prior", **kw).fit(X_train, y_train)
    both = WeightedSamplingClassifier(proba_correction="prior", logit_adjustment=1.0, **kw).fit(
        X_train, y_train
    )
    bacc = {
        name: balanced_accuracy_score(y_test, m.predict(X_test))
        for name, m in {"raw": raw, "corrected": corrected, "both": both}.items()
    }
    # correcting the probabilities alone moves decisions back to the natural prior
    assert bacc["corrected"] < bacc["raw"] - 0.05
    # tau = 1 keeps the balanced decision: argmax p(c|x)/prior(c) == argmax p_q(c|x)/q_c
    assert bacc["both"] == pytest.approx(bacc["raw"], abs=0.01)
    np.testing.assert_array_equal(both.predict_proba(X_test), corrected.predict_proba(X_test))
    p = both.predict_proba(X_test)[:, 1]
    assert brier_score_loss(y_test, p) < brier_score_loss(y_test, raw.predict_proba(X_test)[:, 1])


def test_logit_adjustment_formula(binary_split):
    X_train, X_test, y_train, _ = binary_split
    clf = WeightedSamplingClassifier(
        sampling="sqrt", logit_adjustment=0.5, max_epochs=3, random_state=0
    ).fit(X_train, y_train)
    q = clf.predict_proba(X_test)  # trained mix, uncorrected
    natural = q * clf.class_prior_ / clf.sampling_prior_
    natural /= natural.sum(axis=1, keepdims=True)
    expected = np.argmax(np.log(natural) - 0.5 * np.log(clf.class_prior_), axis=1)
    np.testing.assert_array_equal(clf.predict(X_test), clf.classes_[expected])


# -- composing with re-weighting: the prior is adjusted for once ---------------------------
@pytest.mark.parametrize("lever", [{"sampling": "balanced"}, {"class_weight": "balanced"}])
def test_logit_adjusted_loss_sees_the_trained_mix(imbalanced3, lever):
    X, y = imbalanced3
    clf = WeightedSamplingClassifier(
        criterion=LogitAdjustedLoss, max_epochs=2, random_state=0, **lever
    ).fit(X, y)
    expected = [np.sum(y == c) for c in ("a", "b", "c")]  # class_counts: always the natural ones
    np.testing.assert_allclose(clf.criterion_.class_counts.numpy(), expected)
    # the mix it trains on is balanced: the loss is cross-entropy
    np.testing.assert_allclose(clf.criterion_.training_mix.numpy(), 1 / 3)
    np.testing.assert_allclose(output_prior(correction_of(clf), clf.sampling_prior_), 1 / 3)
    natural = WeightedSamplingClassifier(criterion=LogitAdjustedLoss, max_epochs=1, random_state=0)
    natural.fit(X, y)
    np.testing.assert_allclose(natural.criterion_.training_mix.numpy(), np.divide(expected, 900))
    # tau=1: logits as if balanced
    np.testing.assert_allclose(output_prior(correction_of(natural), natural.sampling_prior_), 1 / 3)


def test_logit_adjusted_loss_with_post_hoc_adjustment_is_not_adjusted_twice(binary_split):
    X_train, X_test, y_train, y_test = binary_split
    shared = dict(criterion=LogitAdjustedLoss, max_epochs=15, random_state=0)
    plain = WeightedSamplingClassifier(**shared).fit(X_train, y_train)
    both = WeightedSamplingClassifier(proba_correction="prior", logit_adjustment=1.0, **shared).fit(
        X_train, y_train
    )
    np.testing.assert_array_equal(both.predict(X_test), plain.predict(X_test))  # same decisions
    p_plain, p_both = plain.predict_proba(X_test)[:, 1], both.predict_proba(X_test)[:, 1]
    assert abs(p_both.mean() - y_test.mean()) < abs(p_plain.mean() - y_test.mean())
    assert brier_score_loss(y_test, p_both) < brier_score_loss(y_test, p_plain)


def test_ldam_probabilities_are_those_of_its_scaled_logits(imbalanced3):
    X, y = imbalanced3
    clf = WeightedSamplingClassifier(
        criterion=LDAMLoss, criterion__scale=10.0, max_epochs=2, random_state=0
    ).fit(X, y)
    logits = clf.forward(X[:20])
    np.testing.assert_allclose(
        clf.predict_proba(X[:20]), torch.softmax(10.0 * logits, dim=-1).numpy(), rtol=1e-5
    )
