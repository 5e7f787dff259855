"""The levers as plain samplers: ClassMixSampler, labels from datasets, shards, mini-epochs."""

import numpy as np
import pytest
import torch
from scipy import stats
from torch.utils.data import DataLoader, TensorDataset

from wsample_sk import (
    ClassMixSampler,
    MiniEpochSampler,
    PermutationSampler,
    ShardedSampler,
    StratifiedSampler,
    labels_of,
)
from wsample_sk.sampling import ClassQuotas

Y = np.array([0] * 900 + [1] * 100)


def drawn_share(sampler, epoch):
    sampler.set_epoch(epoch)
    return np.bincount(Y[list(sampler)], minlength=2)


def test_the_schedule_moves_with_set_epoch_and_the_draws_follow_it():
    sampler = ClassMixSampler(Y, "progressive", epochs=5, seed=0)
    mixes = []
    for epoch in range(5):
        counts = drawn_share(sampler, epoch)
        mix = sampler.class_mix
        mixes.append(mix[1])
        assert stats.chisquare(counts, mix * counts.sum()).pvalue > 1e-4  # draws follow it
    np.testing.assert_allclose(mixes, [0.1, 0.2, 0.3, 0.4, 0.5])
    counts = drawn_share(sampler, 4)
    assert stats.chisquare(counts, [900, 100]).pvalue < 1e-12  # not the natural mix
    deferred = ClassMixSampler(Y, "deferred", epochs=10, seed=0)
    assert [round(drawn_share(deferred, e)[1] / 1000, 1) for e in (0, 7, 8, 9)] == [
        0.1,
        0.1,
        0.5,
        0.5,
    ]
    by_epoch = ClassMixSampler(Y, lambda y, epoch: np.where(y == 1, 1.0 + epoch, 1.0), seed=0)
    assert drawn_share(by_epoch, 3)[1] > 2 * drawn_share(by_epoch, 0)[1]


def test_exact_quotas_and_sample_weight():
    quotas = ClassMixSampler(Y, ClassQuotas("auto"), seed=0)
    quotas.set_epoch(0)
    assert np.bincount(Y[list(quotas)]).tolist() == [900, 900]
    w = np.where(np.arange(1000) % 2 == 0, 1.0, 0.0)  # odd rows never drawn
    weighted = ClassMixSampler(Y, "balanced", sample_weight=w, seed=0)
    assert all(i % 2 == 0 for i in weighted)


@pytest.mark.parametrize("stop", [0, 1, 333, 999])
def test_a_resumed_epoch_equals_the_uninterrupted_one(stop):
    def make():
        return ClassMixSampler(Y, "progressive", epochs=4, seed=7)

    whole = make()
    whole.set_epoch(2)
    expected = list(whole)
    first = make()
    first.set_epoch(2)
    it = iter(first)
    head = [next(it) for _ in range(stop)]
    resumed = make()
    resumed.load_state_dict(first.state_dict())
    assert head + list(resumed) == expected
    with pytest.raises(ValueError, match="not the state of a ClassMixSampler"):
        resumed.load_state_dict({"epoch": 2})


def test_labels_come_from_targets_y_or_a_function():
    class Targets(TensorDataset):
        targets = [0, 1, 1]

    class WithY(TensorDataset):
        y = np.array(["a", "b", "b"])

    data = torch.zeros(3, 2)
    assert labels_of(Targets(data)).tolist() == [0, 1, 1]
    assert labels_of(WithY(data)).tolist() == ["a", "b", "b"]
    plain = TensorDataset(data, torch.tensor([2, 2, 5]))
    assert labels_of(plain, label=lambda item: int(item[1])).tolist() == [2, 2, 5]
    with pytest.raises(ValueError, match="has no `targets` or `y` attribute"):
        labels_of(plain)
    sampler = ClassMixSampler(plain, label=lambda item: int(item[1]), seed=0)
    loader = DataLoader(plain, batch_size=3, sampler=sampler)
    assert sum(len(b[0]) for b in loader) == 3
    with pytest.raises(ValueError, match="a batch sampler, BalancedBatchSampler"):
        from wsample_sk.sampling import BatchComposition

        ClassMixSampler(Y, BatchComposition("equal"))


def test_any_sampler_shards_across_ranks_and_resumes():
    def quotas():
        return StratifiedSampler(Y, generator=torch.Generator().manual_seed(3))

    shards = []
    for rank in range(3):
        sharded = ShardedSampler(quotas(), num_replicas=3, rank=rank)
        sharded.set_epoch(1)
        shards.append(list(sharded))
        assert len(sharded) == len(shards[-1])
    assert len({len(s) for s in shards}) == 1  # the same batches on every rank
    whole = quotas()
    whole.set_epoch(1)
    rows = list(whole)
    padded = rows + rows[: (-len(rows)) % 3]
    assert sorted(sum(shards, [])) == sorted(padded)
    mix = ShardedSampler(ClassMixSampler(Y, "progressive", epochs=3, seed=0), 2, 1)
    mix.set_epoch(2)
    it = iter(mix)
    head = [next(it) for _ in range(100)]
    again = ShardedSampler(ClassMixSampler(Y, "progressive", epochs=3, seed=0), 2, 1)
    again.load_state_dict(mix.state_dict())
    rest = list(again)
    mix.set_epoch(2)
    assert head + rest == list(mix)
    with pytest.raises(TypeError, match="has no set_epoch"):
        ShardedSampler(range(10), 2, 0)
    with pytest.raises(ValueError, match="rank must be in"):
        ShardedSampler(quotas(), 2, 2)


def test_mini_epochs_split_a_long_epoch():
    shuffle = PermutationSampler(1000, generator=torch.Generator().manual_seed(0))
    mini = MiniEpochSampler(shuffle, parts=4)
    parts = []
    for m in range(4):
        mini.set_epoch(m)
        parts.append(list(mini))
        assert len(parts[-1]) == len(mini) == 250
    assert sorted(sum(parts, [])) == list(range(1000))  # one long epoch, every row once
    mini.set_epoch(4)  # the next long epoch: a new order
    assert list(mini) != parts[0]


def test_more_ranks_than_rows_and_labels_that_do_not_match_the_dataset():
    lengths = {len(list(ShardedSampler(PermutationSampler(10), 25, r))) for r in range(25)}
    assert lengths == {1}  # every rank a batch: padded with the epoch repeated

    class Long(TensorDataset):
        targets = [0, 1, 1, 0]

    with pytest.raises(ValueError, match="has 3 rows but 4 labels"):
        ClassMixSampler(Long(torch.zeros(3, 1)))
