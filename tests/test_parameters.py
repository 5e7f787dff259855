"""Every public numeric parameter, drawn at random: a clear error naming it, or a sane result.

For each parameter of the estimator, the forms of ``sampling``/``class_weight``,
the losses, the callbacks and the samplers, hypothesis draws values (NaN,
infinities, huge and tiny numbers, negatives, bools, strings) and checks that
each is either refused where it enters (``ValueError``/``TypeError`` whose
message names the parameter) or accepted with a finite result.
"""

import math

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wsample_sk import (
    BalancedBatchSampler,
    DistributedWeightedSampler,
    StratifiedSampler,
    WeightedSampler,
    WeightedSamplingClassifier,
)
from wsample_sk._params import check_params
from wsample_sk.callbacks import LossReweighting
from wsample_sk.losses import FocalLoss, LDAMLoss, LogitAdjustedLoss
from wsample_sk.sampling import BatchComposition, ClassQuotas, WeightedDraws, check_sampling

VALUES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(2**40), 2**40),
    st.booleans(),
    st.sampled_from(["x", None, 1e300, -0.0, 1e-300, 0.5, 3]),
)
SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
Y = np.array([0] * 30 + [1] * 10)


def refused_or(make, name, check):
    """``make()`` raises an error naming ``name``, or its result passes ``check``."""
    try:
        result = make()
    except (ValueError, TypeError) as exc:
        assert name in str(exc), f"the error does not name {name!r}: {exc}"
        return
    check(result)


def finite_loss(loss):
    z = torch.tensor([[2.0, -1.0], [0.5, 0.5], [-3.0, 3.0]], requires_grad=True)
    value = loss(z, torch.tensor([0, 1, 1]))
    value.backward()
    assert torch.isfinite(value) and torch.isfinite(z.grad).all()


@pytest.mark.parametrize(
    "name, make",
    [
        ("tau", lambda v: LogitAdjustedLoss(class_counts=[30, 10], tau=v)),
        ("gamma", lambda v: FocalLoss(gamma=v)),
        ("max_margin", lambda v: LDAMLoss(class_counts=[30, 10], max_margin=v)),
        ("scale", lambda v: LDAMLoss(class_counts=[30, 10], scale=v)),
    ],
)
@SETTINGS
@given(value=VALUES)
def test_loss_parameters(name, make, value):
    refused_or(lambda: make(value), name, finite_loss)


def _valid_spec(spec):
    assert spec is not None


@pytest.mark.parametrize(
    "name, make",
    [
        ("beta", lambda v: WeightedDraws("effective", beta=v)),
        ("start", lambda v: WeightedDraws(schedule="deferred", start=v)),
        ("samples_per_epoch", lambda v: WeightedDraws(samples_per_epoch=v)),
        ("replacement", lambda v: WeightedDraws(replacement=v)),
        ("sampling_strategy", lambda v: ClassQuotas(v)),
        (
            "classes_per_batch",
            lambda v: BatchComposition(None, classes_per_batch=v, samples_per_class=2),
        ),
        (
            "samples_per_class",
            lambda v: BatchComposition(None, classes_per_batch=2, samples_per_class=v),
        ),
        ("weights", lambda v: WeightedDraws({0: v})),
    ],
)
@SETTINGS
@given(value=VALUES)
def test_sampling_form_parameters(name, make, value):
    refused_or(lambda: check_sampling(make(value)), name, _valid_spec)


@pytest.mark.parametrize("name", ["lr", "max_epochs", "batch_size", "logit_adjustment"])
@SETTINGS
@given(value=VALUES)
def test_estimator_parameters(name, value):
    net = WeightedSamplingClassifier(**{name: value})

    def sane(levers):
        v = getattr(net, name)
        if v is None and name == "logit_adjustment":  # None: no adjustment
            return
        assert isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)

    def check():
        return check_params(net.get_params(deep=False), caller="WeightedSamplingClassifier",
                            loss_lever="class_weight", sample_weight_given=False)  # fmt: skip

    refused_or(check, name, sane)


@pytest.mark.parametrize("name", ["temperature", "floor", "every"])
@SETTINGS
@given(value=VALUES)
def test_callback_parameters(name, value):
    refused_or(lambda: LossReweighting(**{name: value}).initialize(), name, lambda cb: None)


def _draws(sampler):
    size = len(sampler)
    assert isinstance(size, int) and size > 0
    if size <= 10**5:  # an accepted huge size is refused only if it would not fit in memory
        idx = np.ravel(np.asarray(sampler.draw()))
        assert len(idx) and idx.min() >= 0


@pytest.mark.parametrize(
    "name, make",
    [
        ("num_samples", lambda v: WeightedSampler(np.ones(40), num_samples=v)),
        ("batch_size", lambda v: BalancedBatchSampler(Y, v)),
        ("num_batches", lambda v: BalancedBatchSampler(Y, 4, num_batches=v)),
        ("num_replicas", lambda v: DistributedWeightedSampler(np.ones(40), num_replicas=v, rank=0)),
        ("rank", lambda v: DistributedWeightedSampler(np.ones(40), num_replicas=2, rank=v)),
        ("sampling_strategy", lambda v: StratifiedSampler(Y, v)),
    ],
)
@SETTINGS
@given(value=VALUES)
def test_sampler_parameters(name, make, value):
    refused_or(lambda: make(value), name, _draws)
