import numpy as np
import pandas as pd
import pytest
import torch

from wsample_sk._validation import check_samples_per_epoch, check_sampling_weights


@pytest.mark.parametrize(
    "weights, match",
    [
        ([1.0, -0.5, 2.0], r"non-negative; got -0.5 at index 1"),
        ([1.0, np.nan, 2.0], r"finite; got nan at index 1"),
        ([1.0, 2.0, np.inf], r"finite; got inf at index 2"),
        ([0.0, 0.0, 0.0], r"all zero"),
        ([[1.0, 2.0, 3.0]], r"1-D .* shape \(1, 3\)"),
        (["a", "b", "c"], r"must be numeric"),
        ([], r"empty"),
    ],
)
def test_bad_weights_are_named(weights, match):
    with pytest.raises(ValueError, match=match):
        check_sampling_weights(weights)


def test_wrong_length():
    with pytest.raises(ValueError, match="has 2 weights but there are 3 samples"):
        check_sampling_weights([1, 2], n_samples=3)


@pytest.mark.parametrize(
    "make", [list, np.array, pd.Series, torch.tensor, lambda w: np.array(w, np.float32)]
)
def test_accepted_containers_give_a_float64_copy(make):
    original = [3.0, 0.0, 1e-12, 1e12]
    w = make(original)
    out = check_sampling_weights(w)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, original, rtol=1e-6)
    out *= 0  # the copy is ours: the caller's container is untouched
    np.testing.assert_allclose(np.asarray(w, dtype=np.float64), original, rtol=1e-6)


def test_weights_need_not_sum_to_one():
    assert check_sampling_weights([5, 5, 90]).sum() == 100


@pytest.mark.parametrize(
    "value, n, expected", [(None, 10, 10), (3, 10, 3), (0.5, 10, 5), (2.0, 10, 20), (0.01, 10, 1)]
)
def test_samples_per_epoch(value, n, expected):
    assert check_samples_per_epoch(value, n) == expected


@pytest.mark.parametrize("value", [0, -1, 0.0, -0.5, "all", True, float("nan")])
def test_bad_samples_per_epoch(value):
    with pytest.raises(ValueError, match="samples_per_epoch"):
        check_samples_per_epoch(value, 10)
