import numpy as np
import pytest
from sklearn.utils.class_weight import compute_sample_weight

from wsample_sk import class_sampling_distribution, compute_sampling_weights
from wsample_sk.sampling import check_sampling

Y = np.array(["a"] * 60 + ["b"] * 30 + ["c"] * 10)
COUNTS = {"a": 60, "b": 30, "c": 10}


def test_balanced_matches_scikit_learn():
    np.testing.assert_allclose(
        compute_sampling_weights(Y, "balanced"), compute_sample_weight("balanced", Y)
    )
    mix = class_sampling_distribution(Y, compute_sampling_weights(Y, "balanced"))
    np.testing.assert_allclose(list(mix.values()), [1 / 3] * 3)


def test_sqrt_draws_classes_in_proportion_to_root_count():
    mix = class_sampling_distribution(Y, compute_sampling_weights(Y, "sqrt"))
    roots = np.sqrt(list(COUNTS.values()))
    np.testing.assert_allclose(list(mix.values()), roots / roots.sum())


@pytest.mark.parametrize("beta", [0.0, 0.9, 0.99, 0.999, 0.9999])
def test_effective_number_of_samples(beta):
    w = compute_sampling_weights(Y, "effective", beta=beta)
    for label, n_c in COUNTS.items():
        expected = (1 - beta) / (1 - beta**n_c)
        ratio = w[Y == label][0] / w[Y == "a"][0]
        np.testing.assert_allclose(ratio, expected / ((1 - beta) / (1 - beta**60)))


@pytest.mark.parametrize("sampling", ["balanced", "sqrt", "effective"])
def test_class_strategies_average_one(sampling):
    np.testing.assert_allclose(compute_sampling_weights(Y, sampling).mean(), 1.0)


def test_dict_and_callable():
    w = compute_sampling_weights(Y, {"c": 6.0})
    assert set(w[Y == "c"]) == {6.0} and set(w[Y != "c"]) == {1.0}
    w = compute_sampling_weights(Y, lambda y: (y == "b") * 2.0 + 1.0)
    assert set(w[Y == "b"]) == {3.0}


def test_strategy_and_sample_weight_multiply():
    sw = np.linspace(0.5, 2.0, len(Y))
    sw_before = sw.copy()
    w = compute_sampling_weights(Y, "balanced", sample_weight=sw)
    np.testing.assert_allclose(w, compute_sample_weight("balanced", Y) * sw)
    np.testing.assert_array_equal(sw, sw_before)


def test_no_weighting_is_none():
    assert compute_sampling_weights(Y) is None


@pytest.mark.parametrize(
    "sampling, match",
    [
        ("balance", "Unknown sampling 'balance'"),
        ({"a": -1.0}, "non-negative"),
        ({"a": float("nan")}, "finite"),
        (3.5, "sampling must be None"),
        ("balanced", "none"),
        (lambda y: np.ones(3), "has 3 weights but there are 100"),
        (lambda y: -np.ones(len(y)), "non-negative"),
    ],
)
def test_bad_strategies(sampling, match):
    if sampling == "balanced":  # a quota spec is not a per-row weighting
        from wsample_sk.sampling import ClassQuotas

        with pytest.raises(ValueError, match="fixes class counts"):
            compute_sampling_weights(Y, ClassQuotas())
        return
    with pytest.raises(ValueError, match=match):
        compute_sampling_weights(Y, sampling)


@pytest.mark.parametrize("beta", [1.0, -0.1, "high", float("nan"), float("inf"), True])
def test_bad_beta(beta):
    with pytest.raises(ValueError, match="sampling__beta"):
        check_sampling("effective", beta=beta)


def test_zero_weight_class_warns():
    with pytest.warns(UserWarning, match=r"class\(es\) \['c'\] has weight zero|\['c'\]"):
        compute_sampling_weights(Y, {"c": 0.0})


def test_strategy_times_weights_all_zero():
    with pytest.raises(ValueError, match="all zero"):
        compute_sampling_weights(Y, {"a": 0.0}, sample_weight=(Y == "a") * 1.0)


def test_dict_naming_an_unknown_class_warns_and_is_unused():
    with pytest.warns(UserWarning, match=r"names class\(es\) \['zebra'\] .* unused"):
        w = compute_sampling_weights(Y, {"zebra": 2.0, "c": 3.0})
    assert set(w[Y == "c"]) == {3.0} and set(w[Y != "c"]) == {1.0}


def test_class_sampling_distribution_names_its_own_parameter():
    with pytest.raises(ValueError, match=r"^weights must be non-negative; got -1.0 at index 2"):
        class_sampling_distribution(Y[:4], [1.0, 1.0, -1.0, 1.0])
