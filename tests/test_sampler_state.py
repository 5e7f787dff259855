"""load_state_dict refuses a state that is not its own kind and size, and says why."""

import numpy as np
import pytest
import torch

from wsample_sk import (
    BalancedBatchSampler,
    BatchIndexSampler,
    DistributedWeightedSampler,
    PermutationSampler,
    StratifiedSampler,
    WeightedSampler,
)


def gen(seed=1):
    return torch.Generator().manual_seed(seed)


def labels(n):
    return np.arange(n) % 3


# kind -> a sampler over n rows (every one of the package's samplers with a state_dict)
MAKERS = {
    "WeightedSampler": lambda n: WeightedSampler(np.linspace(1, 2, n), generator=gen()),
    "PermutationSampler": lambda n: PermutationSampler(n, generator=gen()),
    "DistributedWeightedSampler": lambda n: DistributedWeightedSampler(
        np.ones(n), num_replicas=2, rank=0
    ),
    "StratifiedSampler": lambda n: StratifiedSampler(labels(n), generator=gen()),
    "BalancedBatchSampler": lambda n: BalancedBatchSampler(
        labels(n), 6, num_batches=5, generator=gen()
    ),
    "BatchIndexSampler": lambda n: BatchIndexSampler(PermutationSampler(n, generator=gen()), 4),
}


def started(sampler, k=2):
    """The state after ``k`` items of a pass."""
    it = iter(sampler)
    for _ in range(k):
        next(it)
    return sampler.state_dict()


def as_list(item):
    return item.tolist() if hasattr(item, "tolist") else item


@pytest.mark.parametrize("kind", list(MAKERS))
def test_state_records_its_kind_and_loads_into_the_same_kind_and_size(kind):
    state = started(MAKERS[kind](30))
    assert state["kind"] == kind
    resumed = MAKERS[kind](30)
    resumed.load_state_dict(state)  # its own kind and size: fine
    assert len([as_list(x) for x in resumed]) == len(resumed) - 2


@pytest.mark.parametrize("kind", [k for k in MAKERS if k != "BatchIndexSampler"])
def test_a_state_of_another_size_is_refused_with_both_sizes(kind):
    state = started(MAKERS[kind](60))
    match = f"from a {kind} of 60 rows( with .*)?; this {kind} has 30 rows"
    with pytest.raises(ValueError, match=match):
        MAKERS[kind](30).load_state_dict(state)


def test_the_batch_index_sampler_checks_its_inner_sampler_and_its_batches():
    state = started(MAKERS["BatchIndexSampler"](60))
    with pytest.raises(ValueError, match="num_samples=60; this BatchIndex.* has num_samples=30"):
        MAKERS["BatchIndexSampler"](30).load_state_dict(state)
    four, five = (BatchIndexSampler(PermutationSampler(30, generator=gen()), bs) for bs in (4, 5))
    with pytest.raises(ValueError, match="with batch_size=4; this BatchIndex.* has batch_size=5"):
        five.load_state_dict(started(four))
    inner = started(PermutationSampler(30))
    outer = BatchIndexSampler(WeightedSampler(np.ones(30)), 4).state_dict()
    outer["sampler"] = inner  # same sizes, another kind inside
    with pytest.raises(ValueError, match="from a PermutationSampler; this is a WeightedSampler"):
        BatchIndexSampler(WeightedSampler(np.ones(30)), 4).load_state_dict(outer)
    with pytest.raises(ValueError, match="holds no state of an inner sampler"):
        BatchIndexSampler(WeightedSampler(np.ones(30)), 4).load_state_dict(
            BatchIndexSampler(None, 4, n=30).state_dict()
        )


@pytest.mark.parametrize("kind", list(MAKERS))
def test_a_state_of_another_kind_is_refused(kind):
    other = "PermutationSampler" if kind != "PermutationSampler" else "WeightedSampler"
    state = started(MAKERS[other](30))
    with pytest.raises(ValueError, match=f"state_dict is from a {other}; this is a {kind}"):
        MAKERS[kind](30).load_state_dict(state)


@pytest.mark.parametrize("kind", list(MAKERS))
def test_a_missing_key_is_named_not_a_key_error(kind):
    state = started(MAKERS[kind](30))
    del state["position"], state["kind"]
    with pytest.raises(ValueError, match=r"missing the key\(s\) \['kind', 'position'\]"):
        MAKERS[kind](30).load_state_dict(state)


def test_replicas_draws_and_replacement_must_match():
    w = np.ones(40)
    two = DistributedWeightedSampler(w, num_replicas=2, rank=0)
    four = DistributedWeightedSampler(w, num_replicas=4, rank=0)
    match = "with num_samples=20, num_replicas=2; this Distributed.* has num_samples=10, num_rep"
    with pytest.raises(ValueError, match=match + "licas=4"):
        four.load_state_dict(started(two))
    with pytest.raises(ValueError, match="with num_samples=40; this Weighted.* has num_samples=30"):
        WeightedSampler(w, 30).load_state_dict(started(WeightedSampler(w, 40)))
    with pytest.raises(ValueError, match="replacement=True; this Weighted.* has replacement=False"):
        WeightedSampler(w, replacement=False).load_state_dict(started(WeightedSampler(w)))
    y = labels(30)
    with pytest.raises(ValueError, match="batch_size=6.*; this BalancedBatch.* has .*batch_size=9"):
        BalancedBatchSampler(y, 9).load_state_dict(started(BalancedBatchSampler(y, 6)))
    with pytest.raises(ValueError, match="num_replicas=1; this BalancedBatchSampler has "
                       "num_samples=5, num_replicas=2"):  # fmt: skip
        BalancedBatchSampler(y, 6, num_batches=10, num_replicas=2).load_state_dict(
            started(BalancedBatchSampler(y, 6, num_batches=10))
        )


def test_a_refused_state_changes_nothing_and_odd_values_are_refused():
    def make(seed=1):
        sampler = WeightedSampler(np.linspace(1, 2, 30), generator=gen(seed))
        sampler.set_epoch(4)
        return sampler

    expected = list(make())
    sampler = make()
    bad = started(make(seed=9), k=5)
    bad["rows"] = 31
    with pytest.raises(ValueError, match="of 31 rows"):
        sampler.load_state_dict(bad)
    assert list(sampler) == expected  # not resumed, not reseeded, not moved to epoch 4 of seed 9
    good = started(make(), k=5)
    for key, value, match in [
        ("position", 31, r"position'\] must be an int in \[0, 30\]"),
        ("position", -1, r"position'\] must be an int in \[0, 30\]"),
        ("position", 2.0, r"position'\] must be an int"),
        ("seed", "abc", r"seed'\] must be None or a list of ints"),
    ]:
        with pytest.raises(ValueError, match=match):
            sampler.load_state_dict({**good, key: value})
    with pytest.raises(ValueError, match="must be a dict"):
        sampler.load_state_dict([("kind", "WeightedSampler")])
