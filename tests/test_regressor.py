"""WeightedSamplingRegressor: a scikit-learn regressor, and rare target values as a lever."""

import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch
from scipy import stats
from sklearn import config_context
from sklearn.base import clone
from sklearn.compose import TransformedTargetRegressor
from sklearn.model_selection import GridSearchCV, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks
from skorch.callbacks import Checkpoint
from torch.utils.data import TensorDataset

from wsample_sk import WeightedSamplingRegressor
from wsample_sk._density import TargetBins, dense_weights, smoothed_histogram
from wsample_sk.losses import BalancedMSELoss
from wsample_sk.sampling import LossWeights, WeightedDraws

FAST = dict(max_epochs=3, random_state=0, batch_size=64)
_NOT_REPEATS = (
    "sample_weight weighs the draws: a stochastic fit, not equivalent to repeated rows "
    "(scikit-learn lists the same for its SGD and forest estimators)"
)


@parametrize_with_checks(
    [WeightedSamplingRegressor()],
    expected_failed_checks=lambda est: {
        "check_sample_weight_equivalence_on_dense_data": _NOT_REPEATS,
        "check_sample_weight_equivalence_on_sparse_data": _NOT_REPEATS,
    },
)
def test_scikit_learn_checks(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        check(estimator)


@pytest.fixture(scope="module")
def tail():
    """A long right tail: most targets near 0, a few far out."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1000, 4)).astype(np.float32)
    y = X[:, 0] + rng.exponential(scale=1.0, size=1000) ** 2
    return X, y


def _rare_half_share(y, rows, bins=30):
    """The share of draws in the rarer half of the (occupied) bins, and their natural share."""
    binned = TargetBins(y, bins)
    occupied = np.flatnonzero(binned.counts)
    rare = occupied[np.argsort(binned.counts[occupied], kind="stable")[: len(occupied) // 2]]
    in_rare = np.isin(binned.codes, rare)
    return in_rare[rows].mean(), in_rare.mean()


def test_balanced_draws_follow_the_inverse_smoothed_density_with_power(tail, drawn_rows):
    X, y = tail
    density = dict(bins=30, kernel="gaussian", kernel_size=5, sigma=2.0)
    shares = {}
    for form in ("balanced", "sqrt"):
        drawn = drawn_rows()
        reg = WeightedSamplingRegressor(
            sampling=WeightedDraws(form, **density), callbacks=[drawn], **{**FAST, "max_epochs": 8}
        ).fit(X, y)
        rows = np.concatenate(drawn.rows)
        shares[form], natural = _rare_half_share(y, rows)
        assert len(reg.history[-1, "drawn_target_histogram"]) == 30
    # the rare half of the bins: tens of times its natural share, far more than sqrt gives
    assert shares["balanced"] > 20 * natural, (shares, natural)
    assert natural < shares["sqrt"] < shares["balanced"] / 2
    # and each row is drawn in proportion to the formula (chi-square over the bins)
    binned = TargetBins(y, 30)
    smooth = smoothed_histogram(binned.counts, "gaussian", 5, 2.0)
    expected_per_bin = binned.counts / smooth[np.arange(30)]
    drawn = drawn_rows()
    WeightedSamplingRegressor(
        sampling=WeightedDraws("balanced", **density),
        callbacks=[drawn],
        **{**FAST, "max_epochs": 8},
    ).fit(X, y)
    counts = np.bincount(binned.codes[np.concatenate(drawn.rows)], minlength=30)
    occupied = binned.counts > 0
    expected = expected_per_bin[occupied] / expected_per_bin[occupied].sum() * counts.sum()
    assert stats.chisquare(counts[occupied], expected).pvalue > 1e-3
    natural_counts = binned.counts[occupied] / binned.counts.sum() * counts.sum()
    assert stats.chisquare(counts[occupied], natural_counts).pvalue < 1e-12  # power


def test_density_weights_against_a_naive_reference():
    rng = np.random.default_rng(1)
    counts = rng.integers(0, 50, size=40)
    from scipy.ndimage import gaussian_filter1d

    # Yang et al.'s window: scipy's gaussian filter of an impulse, scaled to peak 1
    window = gaussian_filter1d(np.eye(7)[3], sigma=1.5)
    window /= window.max()
    naive = np.array(
        [
            sum(window[k + 3] * counts[b + k] for k in range(-3, 4) if 0 <= b + k < 40)
            for b in range(40)
        ]
    )
    np.testing.assert_allclose(smoothed_histogram(counts, "gaussian", 7, 1.5), naive)
    y = np.r_[rng.normal(size=900), rng.normal(6, 0.5, size=100)]
    w = dense_weights(y, alpha=0.8)
    assert abs(w.mean() - 1) < 1e-12 and w[900:].mean() > 1.5 * w[:900].mean()
    assert w.max() / w.min() <= 1 / (1 - 0.8) + 1e-9  # f = max(1 - alpha p', eps)
    np.testing.assert_allclose(dense_weights(y, alpha=0.0), np.ones(1000))


def test_one_d_and_two_d_targets_inputs_and_sample_weight(tail):
    X, y = tail
    reg = WeightedSamplingRegressor(**FAST).fit(X, y)
    pred = reg.predict(X)
    assert pred.shape == (1000,) and pred.dtype == np.float64
    assert not hasattr(reg, "predict_proba")
    two = WeightedSamplingRegressor(**FAST).fit(X, np.c_[y, -y])
    assert two.predict(X).shape == (1000, 2)
    w = np.random.default_rng(0).uniform(0, 2, size=1000)
    for where in ("sampling", "loss"):
        WeightedSamplingRegressor(sample_weight_in=where, **FAST).fit(X, y, sample_weight=w)
    for inputs in (pd.DataFrame(X), sp.csr_matrix(X), torch.from_numpy(X)):
        assert WeightedSamplingRegressor(**FAST).fit(inputs, y).predict(inputs).shape == (1000,)
    data = TensorDataset(torch.from_numpy(X), torch.from_numpy(y.astype(np.float32)))
    reg = WeightedSamplingRegressor(sampling="balanced", **FAST).fit(data, None)
    assert reg.predict(X).shape == (1000,)


def test_one_grid_searches_the_levers_inside_a_pipeline(tail):
    X, y = tail
    pipe = make_pipeline(StandardScaler(), WeightedSamplingRegressor(**FAST))
    grid = {
        "weightedsamplingregressor__sampling": [None, "balanced", "sqrt", "denseweight"],
        "weightedsamplingregressor__target_weight": [None, LossWeights("balanced", bins=20)],
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # double corrections, on purpose
        search = GridSearchCV(pipe, grid, cv=2, scoring="neg_mean_absolute_error").fit(X, y)
    assert len(search.cv_results_["params"]) == 8
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    reg = WeightedSamplingRegressor(sampling="effective", sampling__beta=0.9, **FAST)
    assert clone(reg).get_params()["sampling__beta"] == 0.9
    result = cross_validate(
        TransformedTargetRegressor(reg, func=np.log1p, inverse_func=np.expm1),
        X,
        y - y.min(),
        cv=2,
        params={"sample_weight": np.ones(1000)},
    )
    assert np.isfinite(result["test_score"]).all()


def test_metadata_routing_of_sample_weight(tail):
    X, y = tail
    w = np.ones(1000)
    with config_context(enable_metadata_routing=True):
        reg = WeightedSamplingRegressor(**FAST).set_fit_request(sample_weight=True)
        scaler = StandardScaler().set_fit_request(sample_weight=False)
        make_pipeline(scaler, reg).fit(X, y, sample_weight=w)
        with pytest.raises(Exception, match="sample_weight"):
            make_pipeline(StandardScaler(), WeightedSamplingRegressor(**FAST)).fit(
                X, y, sample_weight=w
            )


def test_balanced_mse_trains_and_keeps_sigma(tail, tmp_path):
    X, _ = tail
    y = X @ np.array([1.0, -2.0, 0.5, 0.0]) + np.random.default_rng(0).exponential(size=1000)
    cp = Checkpoint(dirname=str(tmp_path), monitor=None)
    reg = WeightedSamplingRegressor(
        criterion=BalancedMSELoss, callbacks=[cp], **{**FAST, "max_epochs": 15, "lr": 0.01}
    ).fit(X, y)
    untrained = WeightedSamplingRegressor(**{**FAST, "max_epochs": 0}).fit(X, y)
    mse = [np.mean((model.predict(X) - y) ** 2) for model in (untrained, reg)]
    assert mse[1] < mse[0] / 3, mse
    sigma = float(reg.criterion_.sigma)
    assert sigma != 1.0  # learned with the network
    fresh = WeightedSamplingRegressor(
        criterion=BalancedMSELoss, module__n_features=4, module__n_classes=1, **FAST
    ).initialize()
    fresh.load_params(checkpoint=cp)
    assert float(fresh.criterion_.sigma) == sigma
    np.testing.assert_array_equal(fresh.predict(X), reg.predict(X))


def test_balanced_mse_against_a_naive_float64_reference():
    rng = np.random.default_rng(0)
    pred, target = rng.normal(size=(6, 2)), rng.normal(size=(6, 2))
    sigma = 0.625  # exact in float32, as the loss keeps it
    logits = np.array([[-np.sum((p - t) ** 2) / (2 * sigma**2) for t in target] for p in pred])
    naive = np.array(
        [-(logits[i, i] - np.log(np.exp(logits[i]).sum())) * 2 * sigma**2 for i in range(6)]
    )
    loss = BalancedMSELoss(sigma=sigma, learn_sigma=False, reduction="none").double()
    got = loss(torch.from_numpy(pred), torch.from_numpy(target)).numpy()
    np.testing.assert_allclose(got, naive, rtol=1e-12)


@pytest.mark.parametrize("criterion", [torch.nn.MSELoss, torch.nn.L1Loss, torch.nn.HuberLoss])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_row_weights_reach_regression_losses_with_the_reduction(criterion, reduction):
    from wsample_sk._criteria import weighted_loss

    rng = np.random.default_rng(0)
    pred, target = rng.normal(size=(8, 1)), rng.normal(size=(8, 1))
    rows = rng.uniform(0.1, 2, size=8)
    loss = criterion(reduction="none")
    per_row = loss(torch.from_numpy(pred), torch.from_numpy(target))[:, 0]
    loss.reduction = reduction
    got = weighted_loss(loss, per_row, None, torch.from_numpy(rows), None)
    naive = (per_row.numpy() * rows).sum()
    naive = naive if reduction == "sum" else naive / 8
    np.testing.assert_allclose(float(got), naive, rtol=1e-12)


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(sampling="balanced", sampling__bins=0), "sampling__bins == 0, must be >= 1"),
        (dict(sampling="balanced", sampling__kernel="box"), "kernel must be one of"),
        (dict(sampling="balanced", sampling__kernel_size=4), "kernel_size must be odd"),
        (dict(sampling="sqrt", sampling__alpha=0.5), "alpha applies to weights='denseweight'"),
        (dict(sampling="denseweight", sampling__bins=10), "bins smooths the target histogram"),
        (dict(target_weight="deferred", target_weight__beta=0.9), "beta applies to"),
    ],
)
def test_bad_levers_are_named(tail, params, match):
    X, y = tail
    with pytest.raises(ValueError, match=match):
        WeightedSamplingRegressor(**{**FAST, **params}).fit(X, y)


def test_bad_targets_are_named(tail):
    X, y = tail
    bad = y.copy()
    bad[7] = np.nan
    with pytest.raises(ValueError, match=r"y must be finite; got nan at row 7"):
        WeightedSamplingRegressor(**FAST).fit(X, bad)
    with pytest.raises(ValueError, match="y must hold real numbers"):
        WeightedSamplingRegressor(**FAST).fit(X, np.array(["a"] * 1000))
    with pytest.raises(ValueError, match="weighs rows by the density of one target"):
        WeightedSamplingRegressor(sampling="balanced", **FAST).fit(X, np.c_[y, y])


class OneValue(torch.nn.Module):
    """A regression head that returns one value per row, shape (n,)."""

    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(4, 1)

    def forward(self, X):
        return self.linear(X).squeeze(-1)


def test_module_output_and_target_shapes_must_match(tail):
    X, _ = tail
    y = 3 * X[:, 0]
    reg = WeightedSamplingRegressor(OneValue, **{**FAST, "max_epochs": 30, "lr": 0.05}).fit(X, y)
    assert np.mean((reg.predict(X) - y) ** 2) < 0.1  # a (n,) head trains on a 1-D y
    with pytest.raises(ValueError, match=r"output has shape \(64, 2\) but .* \(64, 1\)"):
        WeightedSamplingRegressor(module__n_classes=2, **FAST).fit(X, y)
    one = WeightedSamplingRegressor(**FAST).fit(X, y)
    with pytest.raises(ValueError, match=r"output has shape \(64, 1\) but .* \(64, 2\)"):
        one.partial_fit(X, np.c_[y, y])


def test_a_dataset_without_readable_targets_trains_without_levers(tail):
    X, y = tail

    class Rows(torch.utils.data.Dataset):
        def __len__(self):
            return len(X)

        def __getitem__(self, i):
            return X[i], np.float32(y[i])

    reg = WeightedSamplingRegressor(**FAST).fit(Rows(), None)
    assert reg.predict(X).shape == (1000,)
    with pytest.raises(ValueError, match="needs the class labels|needs the target"):
        WeightedSamplingRegressor(sampling="balanced", **FAST).fit(Rows(), None)


@pytest.mark.parametrize(
    "params, y_of, match",
    [
        (dict(criterion=torch.nn.CrossEntropyLoss), None, "CrossEntropyLoss is a classification"),
        (dict(criterion=torch.nn.BCEWithLogitsLoss), None, "BCEWithLogitsLoss is a classif"),
        (dict(sampling="denseweight"), lambda y: np.c_[y, y], "density of one target; y has 2"),
        (dict(sampling={0: 1.0, 3: 5.0}), None, "a dict weighs classes, which a continuous"),
        (
            dict(sampling="balanced", sampling__kernel="triangular", sampling__sigma=1.0),
            None,
            "sigma does not apply to kernel='triangular'",
        ),
    ],
    ids=["cross-entropy", "bce", "denseweight-2-columns", "dict", "triangular-sigma"],
)
def test_what_does_not_apply_to_a_continuous_target_is_refused(tail, params, y_of, match):
    X, y = tail
    with pytest.raises(ValueError, match=match):
        WeightedSamplingRegressor(**{**FAST, **params}).fit(X, y if y_of is None else y_of(y))


def test_classifier_parameters_and_non_real_targets_are_named(tail):
    X, y = tail
    for name in ("proba_correction", "class_weight", "classes"):
        with pytest.raises(TypeError, match=f"{name} is a parameter of WeightedSampling"):
            WeightedSamplingRegressor(**{name: None})
    with pytest.raises(TypeError, match="class_weight is a parameter"):
        WeightedSamplingRegressor().set_params(class_weight="balanced")
    text = y.astype(object)
    text[5] = "abc"
    with pytest.raises(ValueError, match=r"got 'abc' of dtype object at row 5"):
        WeightedSamplingRegressor(**FAST).fit(X, text)
    with pytest.raises(ValueError, match=r"real numbers .* of dtype <U"):
        WeightedSamplingRegressor(**FAST).fit(X, y.astype(str))
    with pytest.raises(ValueError, match=r"real numbers .* of dtype complex128"):
        WeightedSamplingRegressor(**FAST).fit(X, y + 1j)
    with pytest.raises(ValueError, match="module__n_classes=<target columns>"):
        WeightedSamplingRegressor(module__n_features=4).initialize()


def test_history_records_the_natural_and_the_drawn_histogram(tail):
    X, y = tail
    reg = WeightedSamplingRegressor(sampling="balanced", sampling__bins=10, **FAST).fit(X, y)
    natural = np.histogram(y, bins=10)[0]
    np.testing.assert_allclose(reg.history[-1, "class_prior"], natural / natural.sum())
    assert sum(reg.history[-1, "drawn_target_histogram"]) == 1000
