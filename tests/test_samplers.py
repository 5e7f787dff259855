"""Statistical and behavioural tests of the samplers (fixed seeds)."""

import numpy as np
import pytest
import torch
from scipy import stats
from torch.utils.data import DataLoader, TensorDataset

from wsample_sk import BatchIndexSampler, PermutationSampler, WeightedSampler


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def chi2_pvalue(counts, probs):
    expected = probs * counts.sum()
    keep = expected > 0
    assert counts[~keep].sum() == 0, "drew an index of probability zero"
    return stats.chisquare(counts[keep], expected[keep]).pvalue


WEIGHT_SETS = {
    "uniformish": np.random.default_rng(1).random(50) + 0.1,
    "with_zeros": np.array([0, 1, 0, 2, 3, 0, 4, 0.5, 0, 0], dtype=float),
    "huge_range": 10.0 ** np.linspace(-12, 12, 25),
    "one_heavy": np.r_[np.full(40, 1e-3), 5.0],
    "zero_tail": np.r_[np.ones(10), np.zeros(5)],
}


@pytest.mark.parametrize("name", WEIGHT_SETS)
def test_draws_with_replacement_match_target_probabilities(name):
    w = WEIGHT_SETS[name]
    sampler = WeightedSampler(w, num_samples=200_000, generator=gen())
    counts = np.bincount(sampler.draw(), minlength=len(w))
    p = w / w.sum()
    assert chi2_pvalue(counts, p) > 1e-3
    if name == "huge_range":  # 1e-12 .. 1e12: the top weight holds 90% of the mass
        assert counts[:12].sum() == 0 and abs(counts[-1] / counts.sum() - 0.9) < 0.005


def test_with_replacement_detects_a_wrong_distribution():
    """The chi-square check above has power: it rejects a wrong target."""
    w = WEIGHT_SETS["uniformish"]
    counts = np.bincount(WeightedSampler(w, 200_000, generator=gen()).draw(), minlength=50)
    wrong = np.r_[w[:-1], w[-1] * 1.2]
    assert chi2_pvalue(counts, wrong / wrong.sum()) < 1e-6


@pytest.mark.parametrize("name", ["uniformish", "with_zeros", "huge_range"])
def test_without_replacement_first_draw_and_inclusion(name):
    w = WEIGHT_SETS[name]
    n_pos = np.count_nonzero(w)
    firsts = np.zeros(len(w), dtype=np.int64)
    g = gen(3)
    for _ in range(4000):
        idx = WeightedSampler(w, num_samples=min(3, n_pos), replacement=False, generator=g).draw()
        assert len(set(idx.tolist())) == len(idx)  # never repeats
        assert np.all(w[idx] > 0)
        firsts[idx[0]] += 1
    # the first draw of successive sampling has probability w_i / sum(w)
    assert chi2_pvalue(firsts, w / w.sum()) > 1e-3


def test_without_replacement_full_permutation():
    w = np.arange(1, 1001, dtype=float)
    idx = WeightedSampler(w, replacement=False, generator=gen()).draw()
    assert sorted(idx.tolist()) == list(range(1000))
    # heavier samples come earlier: rank correlation with weight is negative
    position = np.empty(1000)
    position[idx] = np.arange(1000)
    assert stats.spearmanr(w, position).statistic < -0.3


def test_same_generator_seed_same_stream_and_epochs_differ():
    w = WEIGHT_SETS["uniformish"]
    a, b = WeightedSampler(w, generator=gen(7)), WeightedSampler(w, generator=gen(7))
    first_a, first_b = list(a), list(b)
    assert first_a == first_b
    assert list(a) == list(b) != first_a  # the next pass is new, and still paired


def test_set_epoch_fixes_the_stream():
    w = WEIGHT_SETS["uniformish"]
    a, b = WeightedSampler(w, generator=gen(7)), WeightedSampler(w, generator=gen(7))
    a.set_epoch(3)
    b.set_epoch(3)
    epoch3 = list(a)
    assert list(a) == epoch3 == list(b)
    a.set_epoch(4)
    assert list(a) != epoch3


def test_global_generator_is_used_without_generator():
    torch.manual_seed(0)
    first = list(WeightedSampler([1.0, 2.0, 3.0], 20))
    torch.manual_seed(0)
    assert list(WeightedSampler([1.0, 2.0, 3.0], 20)) == first


def test_more_than_two_to_the_24_weights():
    n = (1 << 24) + 1000
    w = np.ones(n)
    w[-1] = float(n)  # the last index holds half of the mass
    idx = WeightedSampler(w, num_samples=10_000, generator=gen()).draw()
    assert idx.max() < n and 0.45 < np.mean(idx == n - 1) < 0.55


def test_drop_in_for_weighted_random_sampler_in_a_dataloader():
    data = TensorDataset(torch.arange(10))
    sampler = WeightedSampler(
        torch.tensor([0.0] * 9 + [1.0]), num_samples=7, replacement=True, generator=gen()
    )
    batches = [b[0] for b in DataLoader(data, batch_size=3, sampler=sampler)]
    assert [len(b) for b in batches] == [3, 3, 1]
    assert torch.cat(batches).tolist() == [9] * 7
    assert len(sampler) == 7 and sampler.weights.dtype == torch.float64


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(weights=[1, -1]), "non-negative; got -1.0 at index 1"),
        (dict(weights=[0, 0]), "all zero"),
        (dict(weights=[1, 2], num_samples=0), "num_samples == 0, must be >= 1"),
        (dict(weights=[1, 2], num_samples=2.5), "num_samples must be an instance of"),
        (dict(weights=[1, 0, 2], num_samples=3, replacement=False), "only 2 weights are positive"),
        (dict(weights=[1, 2], replacement="no"), "replacement must be a bool"),
    ],
)
def test_sampler_errors(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        WeightedSampler(**kwargs)


def test_permutation_sampler():
    s = PermutationSampler(5, num_samples=12, generator=gen())
    idx = s.draw()
    assert len(idx) == 12
    assert sorted(idx[:5].tolist()) == sorted(idx[5:10].tolist()) == list(range(5))


def test_batch_index_sampler():
    s = BatchIndexSampler(WeightedSampler(np.ones(10), generator=gen()), batch_size=4)
    batches = list(s)
    assert [len(b) for b in batches] == [4, 4, 2] and len(s) == 3
    s = BatchIndexSampler(PermutationSampler(10, generator=gen()), 4, drop_last=True)
    assert [len(b) for b in s] == [4, 4] and len(s) == 2
    assert list(BatchIndexSampler(None, 4, n=6)) == [slice(0, 4), slice(4, 6)]


@pytest.mark.parametrize(
    "weights, index",
    [
        (np.array([1.0, 2 + 1j, 3.0]), 1),  # numpy complex: a cast would keep 2.0
        ([1.0, 2.0, 3 + 0.5j], 2),  # Python complex numbers
        (np.array([1.0, 2.0, 1j], dtype=object), 2),
        (torch.tensor([1 + 0j, 1 + 2j]), 1),  # complex torch tensor
        (torch.tensor([1 + 1j, 2 + 0j]).conj(), 0),  # a conjugate view
        (np.array([1 + 0j, 2 + 0j]), 0),  # complex dtype, zero imaginary parts: still refused
    ],
)
def test_complex_weights_are_refused_not_cast_to_their_real_part(weights, index):
    from wsample_sk._validation import check_sampling_weights

    match = f"sample_weight must be real; got a complex value at index {index}"
    with pytest.raises(ValueError, match=match):
        check_sampling_weights(weights)
    with pytest.raises(ValueError, match="weights must be real"):
        WeightedSampler(weights)
    sampler = WeightedSampler(np.ones(len(weights)))
    with pytest.raises(ValueError, match="weights must be real"):
        sampler.weights = weights
