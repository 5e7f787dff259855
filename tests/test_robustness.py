"""Bad input, extreme numbers and odd callables: clear errors, never silently wrong.

Each section is one class of problem, fixed at its root: weight arithmetic,
equal meanings giving equal models, user callables, classes missing from a
part of the data, the sampler as a drop-in, impossible sizes, the caller's
data, and what ``predict_proba`` returns.
"""

import functools

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.datasets import make_classification
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import KFold, cross_validate
from skorch.dataset import ValidSplit

from wsample_sk import (
    BatchIndexSampler,
    DistributedWeightedSampler,
    PermutationSampler,
    WeightedSampler,
    WeightedSamplingClassifier,
    compute_sampling_weights,
)
from wsample_sk._strategies import make_strategy
from wsample_sk.callbacks import LossReweighting
from wsample_sk.sampling import BatchComposition, ClassQuotas, check_sampling

FAST = dict(max_epochs=3, random_state=0)


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(300, 5, n_informative=3, weights=[0.8], random_state=0)
    return X.astype(np.float32), y


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


# -- 1. weight arithmetic ------------------------------------------------------------
finite_weights = arrays(
    np.float64,
    st.integers(1, 60),
    elements=st.one_of(
        st.just(0.0),
        st.floats(min_value=0.0, max_value=1.7e308, allow_nan=False, allow_infinity=False),
    ),
).filter(lambda w: w.max() > 0)


@settings(max_examples=150, deadline=None)
@given(w=finite_weights, replacement=st.booleans())
def test_any_valid_weights_draw_only_positive_rows(w, replacement):
    k = int(np.count_nonzero(w)) if not replacement else 3 * len(w)
    idx = WeightedSampler(w, k, replacement=replacement, generator=gen()).draw()
    assert len(idx) == k and np.all(w[idx] > 0)
    if not replacement:
        assert len(set(idx.tolist())) == k


@settings(max_examples=50, deadline=None)
@given(w=finite_weights)
def test_any_valid_weights_shard_across_replicas(w):
    parts = [DistributedWeightedSampler(w, num_replicas=2, rank=r).draw() for r in (0, 1)]
    assert len(parts[0]) == len(parts[1]) and all(np.all(w[p] > 0) for p in parts)


@settings(max_examples=80, deadline=None)
@given(
    sw=arrays(np.float64, 12, elements=st.floats(0, 1.7e308)).filter(lambda w: w.max() > 0),
    sampling=st.sampled_from(["balanced", "sqrt", "effective", {1: 1e300}, None]),
)
def test_strategy_times_any_valid_sample_weight_is_finite(sw, sampling):
    y = np.array([0] * 8 + [1] * 4)
    w = compute_sampling_weights(y, sampling, sample_weight=sw)
    assert np.all(np.isfinite(w)) and np.all(w >= 0) and w.max() > 0
    # the same ratios as the exact product wherever both are representable
    exact = sw / sw.max()
    if sampling is None:
        np.testing.assert_allclose(w / w.max(), exact)


@pytest.mark.parametrize(
    "mode",
    [
        dict(sample_weight_in="sampling"),
        dict(sample_weight_in="loss"),
        dict(sampling__replacement=False),
    ],
)
def test_huge_weights_train_in_every_mode(data, mode):
    X, y = data
    rng = np.random.default_rng(0)
    huge = 1e308 * rng.uniform(0.1, 1.0, len(y))
    clf = WeightedSamplingClassifier(sampling={1: 3.0}, **mode, **FAST).fit(
        X, y, sample_weight=huge
    )
    assert np.all(np.isfinite(clf.sampling_prior_)) and clf.sampling_prior_.sum() == pytest.approx(
        1
    )
    assert all(np.isfinite(clf.history[:, "weight_ess"]))
    assert all(np.isfinite(clf.history[:, "train_loss"])) and clf.history[-1, "train_loss"] > 0
    proba = clf.predict_proba(X)
    assert np.all(np.isfinite(proba))


# -- 2. same meaning, same model ----------------------------------------------------------
@pytest.mark.parametrize("where", ["sampling", "loss"])
@pytest.mark.parametrize("train_split", [None, ValidSplit(4)])
def test_constant_weights_are_no_weights(data, where, train_split):
    X, y = data
    kw = dict(sample_weight_in=where, train_split=train_split, **FAST)
    none = WeightedSamplingClassifier(**kw).fit(X, y).predict_proba(X)
    for constant in (1.0, 1e308, 3e-300):
        same = WeightedSamplingClassifier(**kw).fit(X, y, sample_weight=np.full(len(y), constant))
        np.testing.assert_array_equal(same.predict_proba(X), none)


@pytest.mark.parametrize("where", ["sampling", "loss"])
def test_scaled_weights_are_the_same_weights(data, where):
    X, y = data
    sw = np.random.default_rng(1).uniform(0.2, 3.0, len(y))
    kw = dict(sample_weight_in=where, sampling="sqrt", **FAST)
    a = WeightedSamplingClassifier(**kw).fit(X, y, sample_weight=sw)
    b = WeightedSamplingClassifier(**kw).fit(X, y, sample_weight=sw * 1024.0)  # exact scaling
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    c = WeightedSamplingClassifier(**kw).fit(X, y, sample_weight=sw * 7.3e-5)
    np.testing.assert_allclose(a.predict_proba(X), c.predict_proba(X), rtol=1e-4, atol=1e-6)


# -- 3. user callables -----------------------------------------------------------------
Y = np.array([0] * 6 + [1] * 2)


def minority_times(y, scale=2.0):
    return np.where(y == 1, scale, 1.0)


class ByEpoch:
    def __call__(self, y, epoch):
        return np.where(y == 1, 1.0 + epoch, 1.0)


class Static:
    def __call__(self, y):
        return np.where(y == 1, 5.0, 1.0)


@pytest.mark.parametrize(
    "func, dynamic, minority_weight",
    [
        (lambda y, scale=2.0: np.where(y == 1, scale, 1.0), False, 2.0),  # default kept
        (functools.partial(minority_times, scale=4.0), False, 4.0),  # keyword partial
        (np.exp, False, np.e),  # a ufunc has no signature
        (np.ones_like, False, 1.0),  # a numpy function with other parameters
        (Static(), False, 5.0),
        (ByEpoch(), True, 4.0),  # epoch 3
        (lambda y, epoch: np.where(y == 1, 1.0 + epoch, 1.0), True, 4.0),
        (lambda y, *, epoch=0: np.where(y == 1, 1.0 + epoch, 1.0), True, 4.0),
    ],
)
def test_the_epoch_goes_only_to_a_parameter_named_epoch(func, dynamic, minority_weight):
    strategy = make_strategy(check_sampling(func))
    assert strategy.dynamic is dynamic
    w = strategy.weights(Y, epoch=3, n_epochs=5)
    assert w[-1] == pytest.approx(minority_weight) and w[0] == pytest.approx(1.0)


def test_a_callable_returning_bad_weights_is_named():
    with pytest.raises(ValueError, match="weights returned by the sampling callable must be 1-D"):
        make_strategy(check_sampling(len)).weights(Y)
    with pytest.raises(ValueError, match="returned by the sampling callable must be finite"):
        make_strategy(check_sampling(lambda y: np.log(y))).weights(Y)


# -- 4. classes outside the current part ---------------------------------------------------
@pytest.fixture(scope="module")
def three():
    X, y = make_classification(
        300, 5, n_informative=3, n_classes=3, weights=[0.6, 0.35], random_state=0
    )
    return X.astype(np.float32), y


def test_partial_fit_on_a_chunk_without_a_class(three):
    X, y = three
    clf = WeightedSamplingClassifier(sampling={2: 5.0}, max_epochs=1, random_state=0)
    clf.partial_fit(X, y, classes=[0, 1, 2])
    chunk = y != 2
    clf.partial_fit(X[chunk], y[chunk])  # no error: class 2's weight is unused
    assert clf.sampling_prior_[2] == 0 and list(clf.classes_) == [0, 1, 2]


def test_train_split_leaving_a_class_out(three):
    X, y = three
    valid = np.flatnonzero(y == 2)
    train = np.flatnonzero(y != 2)
    for sampling in ({2: 5.0}, "balanced", "effective", "progressive"):
        clf = WeightedSamplingClassifier(
            sampling=sampling, train_split=ValidSplit([(train, valid)]), **FAST
        ).fit(X, y)
        assert clf.sampling_prior_[2] == 0 and clf.class_prior_[2] == 0
        if sampling == "balanced":
            np.testing.assert_allclose(clf.sampling_prior_, [0.5, 0.5, 0.0])


def test_cross_validation_fold_missing_a_rare_class(three):
    X, y = three
    order = np.argsort(y, kind="stable")  # the last fold holds all of class 2
    X, y = X[order], y[order]
    clf = WeightedSamplingClassifier(sampling={2: 5.0}, **FAST)
    with pytest.warns(UserWarning, match="not among the classes"):
        scores = cross_validate(clf, X, y, cv=KFold(3), error_score="raise")
    assert len(scores["test_score"]) == 3


# -- 5. the sampler as a drop-in -------------------------------------------------------
def test_new_weights_take_effect_at_the_next_pass():
    s = WeightedSampler([1.0, 1.0, 1.0], num_samples=50, generator=gen())
    assert set(s) == {0, 1, 2}
    s.weights = [0.0, 0.0, 2.0]
    assert set(s) == {2}
    s.weights[0] = 5.0  # in place, as with torch's sampler
    s.weights[2] = 0.0
    assert set(s) == {0}
    with pytest.raises(ValueError, match="weights must be non-negative; got -1.0 at index 1"):
        s.weights = [1.0, -1.0, 1.0]
    s.weights[1] = float("nan")
    with pytest.raises(ValueError, match="weights must be finite; got nan at index 1"):
        list(s)


def test_without_replacement_checks_positives_at_the_next_pass():
    s = WeightedSampler([1.0, 1.0, 1.0], num_samples=3, replacement=False, generator=gen())
    assert sorted(s) == [0, 1, 2]
    s.weights[0] = 0.0
    with pytest.raises(ValueError, match="Cannot draw 3 samples without replacement"):
        s.draw()


# -- 6. impossible sizes and bad counts ---------------------------------------------------
@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: WeightedSampler([1.0, 2.0], num_samples=10**15), "num_samples=.* GB"),
        (lambda: PermutationSampler(10, num_samples=10**15), "num_samples=.* GB"),
        (lambda: WeightedSampler([1.0, 2.0], num_samples=2.5), "num_samples must be an instance"),
        (lambda: WeightedSampler([1.0, 2.0]).set_epoch(-1), "epoch == -1, must be >= 0"),
        (lambda: DistributedWeightedSampler([1, 2], num_replicas=0, rank=0), "num_replicas == 0"),
        (lambda: BatchIndexSampler(None, 0, n=4), "batch_size == 0, must be >= 1"),
    ],
)
def test_bad_sizes_of_samplers_name_the_parameter(make, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make()


@pytest.mark.parametrize(
    "params, match",
    [
        (
            {"sampling": "sqrt", "sampling__samples_per_epoch": 10**12},
            "samples_per_epoch=1000000000000 draws need",
        ),
        (
            {"sampling": "sqrt", "sampling__samples_per_epoch": 1e8},
            "samples_per_epoch=.* draws need",
        ),
        (
            {"sampling": "sqrt", "sampling__samples_per_epoch": 1e12},
            r"sampling__samples_per_epoch == 1000000000000.0, must be <= 1000000000.0",
        ),
        ({"lr": float("nan")}, "lr must be finite; got nan"),
        ({"lr": float("inf")}, "lr must be finite; got inf"),
        ({"max_epochs": True}, "max_epochs must be a number, not a bool"),
        ({"logit_adjustment": float("nan")}, "logit_adjustment must be finite"),
        ({"logit_adjustment": 1e300}, "The 'logit_adjustment' parameter"),
        ({"max_epochs": -1}, "The 'max_epochs' parameter"),
        ({"max_epochs": 2.5}, "The 'max_epochs' parameter"),
        ({"batch_size": 0}, "The 'batch_size' parameter"),
        ({"batch_size": 32.0}, "The 'batch_size' parameter"),
        ({"iterator_train__batch_size": 0}, "iterator_train__batch_size == 0"),
        ({"sampling": "effective", "sampling__beta": 1.0}, r"sampling__beta == 1.0, must be < 1.0"),
        ({"sampling": "balanced", "sampling__beta": 0.5}, "beta applies to weights='effective'"),
        ({"callbacks": [("rw", LossReweighting(every=0))]}, "every == 0, must be >= 1"),
        ({"callbacks": [("rw", LossReweighting(every=1.5))]}, "every must be an instance"),
    ],
)
def test_bad_sizes_of_the_classifier_name_the_parameter(data, params, match):
    X, y = data
    with pytest.raises((ValueError, TypeError), match=match):
        WeightedSamplingClassifier(**{**FAST, **params}).fit(X, y)


def test_max_epochs_zero_initialises_only(data):
    """skorch's idiom (e.g. with LoadInitState): fit with zero epochs trains nothing."""
    X, y = data
    clf = WeightedSamplingClassifier(max_epochs=0, random_state=0).fit(X, y)
    assert len(clf.history) == 0 and clf.predict(X).shape == (300,)


# -- 8. the caller's data are never modified ----------------------------------------------
def test_caller_data_of_every_kind_stay_as_they_were(data):
    X, y = data
    df = pd.DataFrame(X.astype(np.float64), columns=[0, 1, 2, 3, 4])  # integer column names
    tensor = torch.from_numpy(X.copy())
    sparse = sp.csr_matrix(np.where(np.abs(X) > 1, X, 0).astype(np.float64))
    sw = list(np.linspace(0.5, 2.0, len(y)))
    snapshots = (df.copy(), tensor.clone(), sparse.copy(), list(sw), y.copy())
    for X_in in (df, tensor, sparse):
        for where in ("sampling", "loss"):
            clf = WeightedSamplingClassifier(sampling="balanced", sample_weight_in=where, **FAST)
            clf.fit(X_in, y, sample_weight=sw).predict_proba(X_in)
    pd.testing.assert_frame_equal(df, snapshots[0])
    assert list(df.columns) == [0, 1, 2, 3, 4]
    assert torch.equal(tensor, snapshots[1])
    assert (sparse != snapshots[2]).nnz == 0
    assert sw == snapshots[3] and np.array_equal(y, snapshots[4])


# -- 9. predict_proba returns probabilities -------------------------------------------------
class Logits(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.layer = torch.nn.Linear(5, 2)

    def forward(self, X):
        return 30 * self.layer(X)


class MyFocalLoss(torch.nn.Module):
    """A user's loss on logits that wsample_sk knows nothing about."""

    def __init__(self, gamma=2.0, reduction="mean"):
        super().__init__()
        self.gamma, self.reduction = gamma, reduction

    def forward(self, logits, target):
        logp = torch.log_softmax(logits, dim=-1).gather(1, target[:, None])[:, 0]
        loss = -((1 - logp.exp()) ** self.gamma) * logp
        return loss.mean() if self.reduction == "mean" else loss


class FlaggedFocalLoss(MyFocalLoss):
    takes_logits = True  # the documented flag: predict_proba applies a softmax


def assert_probabilities(proba):
    assert np.all(proba >= 0) and np.all(proba <= 1)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"criterion": torch.nn.NLLLoss},  # the default MLP then returns probabilities
        {"criterion": FlaggedFocalLoss},
        {
            "criterion": MyFocalLoss,
            "module": Logits,
            "predict_nonlinearity": functools.partial(torch.softmax, dim=-1),
        },
    ],
)
def test_predict_proba_rows_are_probabilities(data, params):
    X, y = data
    fit_params = {**FAST, "max_epochs": 10}  # enough to learn something with SGD
    clf = WeightedSamplingClassifier(sampling="balanced", **params, **fit_params).fit(X, y)
    assert_probabilities(clf.predict_proba(X))
    if "module" not in params:  # the probabilities mean something: better than chance
        assert balanced_accuracy_score(y, clf.predict(X)) > 0.6


@pytest.mark.parametrize(
    "params",
    [
        {"criterion": torch.nn.NLLLoss, "module": Logits},
        {"criterion": MyFocalLoss, "module": Logits},
    ],
)
def test_outputs_that_are_not_probabilities_are_an_error(data, params):
    X, y = data
    if params["criterion"] is torch.nn.NLLLoss:  # log of negative logits: a NaN loss
        with pytest.raises(FloatingPointError, match=r"loss is nan at epoch 1, batch \d+"):
            WeightedSamplingClassifier(**params, **FAST).fit(X, y)
        return
    clf = WeightedSamplingClassifier(**params, **FAST).fit(X, y)
    with pytest.raises(ValueError, match="not probabilities .* Pass predict_nonlinearity="):
        clf.predict_proba(X)
    assert clf.predict(X).shape == (300,)  # the decision needs only the largest output


# -- 9. dtypes converted or refused at the boundary ------------------------------------------
@pytest.mark.parametrize(
    "make",
    [
        lambda X: X.astype(np.float16),
        lambda X: torch.from_numpy(X).half(),
        lambda X: torch.from_numpy(X).bfloat16(),
    ],
)
def test_half_precision_inputs_train_the_default_network(data, make):
    X, y = data
    clf = WeightedSamplingClassifier(sampling="balanced", **FAST).fit(make(X.astype(np.float32)), y)
    assert np.isfinite(clf.predict_proba(make(X.astype(np.float32)))).all()


@pytest.mark.parametrize(
    "make", [lambda X: X.astype(np.complex64), lambda X: torch.from_numpy(X.astype(np.complex64))]
)
def test_complex_inputs_are_refused_in_one_line(data, make):
    X, y = data
    with pytest.raises(
        ValueError, match=r"^Complex data not supported: X has dtype [a-z.]*complex64"
    ):
        WeightedSamplingClassifier(**FAST).fit(make(X), y)


def test_a_quota_dict_for_a_class_a_chunk_lacks(data):
    X, y = data
    clf = WeightedSamplingClassifier(sampling=ClassQuotas({1: 150}), classes=[0, 1], **FAST)
    clf.partial_fit(X[y == 0], y[y == 0])  # a chunk without class 1: no rows to draw for it
    clf.partial_fit(X, y)
    assert clf.history[-1, "drawn_class_counts"][1] == 150
    with pytest.raises(ValueError, match=r"names class\(es\) \[7\]"):
        WeightedSamplingClassifier(sampling=ClassQuotas({7: 10}), **FAST).fit(X, y)


def test_a_batch_composition_leaving_a_class_out_warns(data):
    X, y = data
    with pytest.warns(UserWarning, match=r"no share to class\(es\) \[1\]"):
        WeightedSamplingClassifier(sampling=BatchComposition({0: 1.0}), **FAST).fit(X, y)
    with pytest.raises(ValueError, match=r"sampling__shares\[1\] must be non-negative; got -0.5"):
        WeightedSamplingClassifier(sampling=BatchComposition({0: 1.0, 1: -0.5}), **FAST).fit(X, y)


def test_logit_adjustment_never_predicts_a_class_never_drawn(data):
    X, y = data
    sw = np.where(y == 1, 0.0, 1.0)
    with pytest.warns(UserWarning, match="weight zero"):
        clf = WeightedSamplingClassifier(logit_adjustment=1.0, **FAST).fit(X, y, sample_weight=sw)
    assert set(clf.predict(X)) == {0}
