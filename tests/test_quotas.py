"""Exact class quotas per epoch and per batch, two-stage draws, and resumable samplers."""

import numpy as np
import pytest
import torch
from imblearn.over_sampling import RandomOverSampler
from imblearn.under_sampling import RandomUnderSampler
from scipy import stats
from sklearn.datasets import make_classification
from sklearn.model_selection import GridSearchCV
from skorch.callbacks import Callback, Checkpoint, LoadInitState
from torch.utils.data import DataLoader, TensorDataset

from wsample_sk import (
    BalancedBatchSampler,
    BatchIndexSampler,
    DistributedWeightedSampler,
    PermutationSampler,
    StratifiedSampler,
    WeightedSampler,
    WeightedSamplingClassifier,
)
from wsample_sk._schedule import find_class_mix
from wsample_sk.losses import FocalLoss, LDAMLoss, LogitAdjustedLoss
from wsample_sk.sampling import BatchComposition, ClassQuotas

Y = np.array(["a"] * 60 + ["b"] * 30 + ["c"] * 10)


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def counts_of(y, idx):
    return {c: int(np.sum(y[idx] == c)) for c in np.unique(y)}


# -- stratified epochs: imbalanced-learn's vocabulary, imbalanced-learn's meaning ----------
OVER = ["auto", "minority", "not minority", "not majority", "all", {"c": 45, "b": 31}]
UNDER = ["auto", "majority", "not minority", "not majority", "all", {"a": 12}]


@pytest.mark.parametrize("strategy", OVER + [lambda y: {"c": 20}])
def test_over_sampling_counts_equal_random_over_samplers(strategy):
    X = np.arange(len(Y))[:, None]
    _, y_ros = RandomOverSampler(sampling_strategy=strategy, random_state=0).fit_resample(X, Y)
    s = StratifiedSampler(Y, strategy, generator=gen())
    expected = counts_of(y_ros, np.arange(len(y_ros)))
    for _ in range(3):  # exact, every epoch
        assert counts_of(Y, s.draw()) == expected
    assert len(s) == len(y_ros)


@pytest.mark.parametrize("strategy", UNDER)
def test_under_sampling_counts_equal_random_under_samplers(strategy):
    X = np.arange(len(Y))[:, None]
    _, y_rus = RandomUnderSampler(sampling_strategy=strategy, random_state=0).fit_resample(X, Y)
    s = StratifiedSampler(
        Y, strategy, replacement=False, generator=gen(), sampling_type="under-sampling"
    )
    idx = s.draw()
    assert counts_of(Y, idx) == counts_of(y_rus, np.arange(len(y_rus)))
    assert len(set(idx.tolist())) == len(idx)  # without replacement: no repeats


def test_over_sampling_keeps_every_row_and_adds_copies_as_random_over_sampler():
    s = StratifiedSampler(Y, "auto", generator=gen())
    for _ in range(3):
        seen = np.bincount(s.draw(), minlength=len(Y))
        assert seen.min() >= 1  # every row of every class, every epoch
        assert (seen[Y == "a"] == 1).all()  # the majority is not redrawn
        assert seen[Y == "c"].sum() == 60 and seen[Y == "c"].max() > 1
    # with weights: rows of zero weight never, every other row once, copies by weight
    sw = np.r_[np.ones(90), np.zeros(5), np.linspace(1, 50, 5)]
    seen = np.zeros(len(Y))
    for _ in range(40):
        seen += np.bincount(
            StratifiedSampler(Y, "auto", sw, generator=gen(_)).draw(), minlength=100
        )
    assert (seen[90:95] == 0).all() and (seen[95:] >= 40).all()
    copies = seen[95:] - 40
    assert stats.chisquare(copies, sw[95:] / sw[95:].sum() * copies.sum()).pvalue > 1e-3


def test_under_sampling_draws_distinct_rows_by_default():
    for strategy in UNDER:
        idx = StratifiedSampler(Y, strategy, generator=gen(), sampling_type="under-sampling").draw()
        assert len(set(idx.tolist())) == len(idx)


def test_bootstrapping_whole_classes_is_an_explicit_option():
    y = np.array([0] * 5000 + [1] * 50)
    boot = StratifiedSampler(y, "auto", replacement=True, generator=gen()).draw()
    share = len(np.unique(boot[y[boot] == 0])) / 5000
    assert 0.6 < share < 0.67  # about 1 - 1/e of the majority's rows
    kept = StratifiedSampler(y, "auto", generator=gen()).draw()
    assert len(np.unique(kept[y[kept] == 0])) == 5000


def test_class_quotas_in_the_classifier_see_every_row():
    X, y = make_classification(300, 4, weights=[0.85], random_state=0)
    clf = WeightedSamplingClassifier(
        sampling=ClassQuotas("auto"), max_epochs=2, random_state=0
    ).fit(X.astype(np.float32), y)
    assert clf.history[:, "distinct_share"] == [1.0, 1.0]
    boot = ClassQuotas("auto", replacement=True)
    clf.set_params(sampling=boot).fit(X.astype(np.float32), y)
    assert max(clf.history[:, "distinct_share"]) < 0.8


def test_float_ratio_for_two_classes():
    y = np.array([0] * 90 + [1] * 10)
    assert np.bincount(y[StratifiedSampler(y, 0.5, generator=gen()).draw()]).tolist() == [90, 45]
    under = StratifiedSampler(y, 0.5, replacement=False, sampling_type="under-sampling")
    assert np.bincount(y[under.draw()]).tolist() == [20, 10]


def test_within_class_frequencies_follow_sample_weight():
    rng = np.random.default_rng(0)
    sw = rng.uniform(0.1, 3.0, len(Y))
    s = StratifiedSampler(
        Y, {"c": 20_000, "b": 20_000, "a": 20_000}, sample_weight=sw, generator=gen()
    )
    counts = np.zeros(len(Y))
    for _ in range(5):
        counts += np.bincount(s.draw(), minlength=len(Y))
    for c in ("a", "b", "c"):
        rows = np.flatnonzero(Y == c)
        expected = sw[rows] / sw[rows].sum() * counts[rows].sum()
        assert stats.chisquare(counts[rows], expected).pvalue > 1e-3
        # power: uniform within the class is rejected
        assert stats.chisquare(counts[rows]).pvalue < 1e-6


def test_stratified_errors_are_clear():
    with pytest.raises(ValueError, match="Cannot draw 60 rows of class 'b' without replacement"):
        StratifiedSampler(Y, "auto", replacement=False)
    with pytest.raises(ValueError, match="sampling_type must be one of"):
        StratifiedSampler(Y, "auto", sampling_type="both")
    with pytest.raises(ValueError, match="cannot be used with under-sampler"):
        StratifiedSampler(Y, "minority", sampling_type="under-sampling")


# -- batch composition ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "shares, expected",
    [
        ("equal", {"a": 4, "b": 3, "c": 3}),
        ("stratified", {"a": 6, "b": 3, "c": 1}),
        ({"a": 1, "c": 1}, {"a": 5, "b": 0, "c": 5}),
    ],
)
def test_every_batch_has_the_composition(shares, expected):
    s = BalancedBatchSampler(Y, 10, class_shares=shares, generator=gen())
    assert s.batch_counts_ == expected
    batches = list(s)
    assert len(batches) == 10
    assert all(counts_of(Y, b) == expected for b in batches)


def test_without_replacement_every_row_before_any_repeat():
    s = BalancedBatchSampler(Y, 10, class_shares="equal", num_batches=3, generator=gen())
    c_rows = [i for b in s for i in b if Y[i] == "c"]
    assert len(c_rows) == 9 and len(set(c_rows)) == 9  # 3 x 3 of class c's 10 rows, no repeat
    s = BalancedBatchSampler(Y, 10, class_shares="equal", num_batches=7, generator=gen())
    c_rows = [i for b in s for i in b if Y[i] == "c"]  # 21 rows: two full walks and one more
    seen = np.bincount(np.asarray(c_rows) - 90, minlength=10)
    assert sorted(seen.tolist()) == [2] * 9 + [3]


@pytest.mark.parametrize(
    "kw",
    [
        dict(batch_size=4),
        dict(batch_size=7, class_shares="stratified"),
        dict(batch_size=30),
        dict(classes_per_batch=2, samples_per_class=9),
        dict(classes_per_batch=3, samples_per_class=10),
        dict(batch_size=12, sample_weight=np.linspace(0.1, 5, 100)),
    ],
    ids=lambda kw: "-".join(f"{k}={v}" for k, v in kw.items() if k != "sample_weight"),
)
def test_no_batch_holds_a_row_twice(kw):
    for seed in range(20):
        s = BalancedBatchSampler(Y, num_batches=60, generator=gen(seed), **kw)
        for b in s:
            assert len(set(b)) == len(b)


def test_with_replacement_only_where_a_class_is_too_small_for_its_share():
    y = np.array([0] * 50 + [1] * 3)
    s = BalancedBatchSampler(y, 10, replacement=None, num_batches=30, generator=gen())
    for b in s:
        majority = [i for i in b if y[i] == 0]
        assert len(majority) == 5 and len(set(majority)) == 5
        assert sum(y[b] == 1) == 5  # three rows, two of them repeated
    with pytest.raises(ValueError, match="Class 1 has 3 rows, fewer than the 5"):
        BalancedBatchSampler(y, 10)


def test_p_by_k_batches():
    s = BalancedBatchSampler(Y, classes_per_batch=2, samples_per_class=5, generator=gen())
    for b in s:
        counts = counts_of(Y, b)
        assert sorted(counts.values()) == [0, 5, 5] and len(b) == 10


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(classes_per_batch=2, samples_per_class=11), "Class 'c' has 10 rows, fewer than"),
        (dict(classes_per_batch=4, samples_per_class=2), "classes_per_batch=4 but y has 3"),
        (dict(batch_size=2), "cannot hold one row of each of the 3 classes"),
        (dict(classes_per_batch=2, samples_per_class=2, batch_size=5), "does not match"),
        (dict(batch_size=10, class_shares={"z": 1}), r"names class\(es\) \['z'\]"),
    ],
)
def test_batch_errors_are_clear(kwargs, match):
    with pytest.raises(ValueError, match=match):
        BalancedBatchSampler(Y, **kwargs)


def test_with_a_plain_dataloader():
    data = TensorDataset(torch.arange(100))
    loader = DataLoader(data, batch_sampler=BalancedBatchSampler(Y, 12, generator=gen()))
    for (batch,) in loader:
        assert counts_of(Y, batch.numpy()) == {"a": 4, "b": 4, "c": 4}


@pytest.mark.parametrize("pk", [False, True])
def test_shards_are_stratified_disjoint_and_complete(pk):
    kw = dict(classes_per_batch=3, samples_per_class=2) if pk else dict(batch_size=6)
    single = list(BalancedBatchSampler(Y, num_batches=8, generator=gen(5), **kw))
    shards = [
        list(BalancedBatchSampler(Y, num_batches=8, generator=gen(5), num_replicas=2, rank=r, **kw))
        for r in (0, 1)
    ]
    assert len(shards[0]) == len(shards[1]) == 4
    interleaved = [b for pair in zip(*shards, strict=True) for b in pair]
    assert interleaved == single  # together, one draw; no batch twice
    for b in shards[0] + shards[1]:
        assert sorted(counts_of(Y, b).values()) == [2, 2, 2]


# -- two-stage draws for class-level weights ------------------------------------------------
def test_grouped_draws_have_the_weighted_distribution():
    groups = np.repeat([0, 1, 2, 3], [50, 30, 15, 5])
    w = np.repeat([1.0, 2.0, 0.0, 9.0], [50, 30, 15, 5])
    s = WeightedSampler(w, 300_000, groups=groups, generator=gen())
    counts = np.bincount(s.draw(), minlength=100)
    p = w / w.sum()
    assert counts[p == 0].sum() == 0
    assert stats.chisquare(counts[p > 0], p[p > 0] * counts.sum()).pvalue > 1e-3
    wrong = np.where(groups == 3, 10.0, w)
    assert stats.chisquare(counts[p > 0], (wrong / wrong.sum())[p > 0] * counts.sum()).pvalue < 1e-6


def test_groups_fall_back_when_weights_vary_within_a_group():
    groups = np.array([0, 0, 1, 1])
    s = WeightedSampler([1.0, 2.0, 3.0, 3.0], 1000, groups=groups, generator=gen())
    s.draw()
    assert type(s._table).__name__ == "_GuideTable"
    with pytest.raises(ValueError, match="groups must hold one group per weight"):
        WeightedSampler([1.0, 2.0], groups=[0, 1, 1])


def test_classifier_draws_class_level_strategies_in_two_stages():
    X, y = make_classification(400, 5, weights=[0.9], random_state=0)
    seen = []

    class Peek(Callback):
        def on_epoch_end(self, net, **kwargs):
            plan = find_class_mix(net).plan_
            seen.append(type(plan.sampler.weighted._table).__name__)

    WeightedSamplingClassifier(
        sampling="balanced", max_epochs=1, callbacks=[Peek()], random_state=0
    ).fit(X, y)
    WeightedSamplingClassifier(
        sampling="balanced", max_epochs=1, callbacks=[Peek()], random_state=0
    ).fit(X, y, sample_weight=np.linspace(1, 2, 400))
    assert seen == ["_GroupTable", "_GuideTable"]


# -- resumable samplers ----------------------------------------------------------------
def make_samplers():
    w = np.random.default_rng(0).random(50) + 0.1
    y = np.repeat([0, 1, 2], [30, 15, 5])
    return {
        "weighted": lambda: WeightedSampler(w, 40, generator=gen(1)),
        "weighted_no_replacement": lambda: WeightedSampler(w, 30, False, generator=gen(1)),
        "permutation": lambda: PermutationSampler(50, generator=gen(1)),
        "distributed": lambda: DistributedWeightedSampler(w, num_replicas=2, rank=1, seed=3),
        "stratified": lambda: StratifiedSampler(y, "auto", generator=gen(1)),
        "balanced_batches": lambda: BalancedBatchSampler(y, 6, generator=gen(1)),
        "batch_index": lambda: BatchIndexSampler(WeightedSampler(w, generator=gen(1)), 8),
    }


def as_list(item):
    return item.tolist() if hasattr(item, "tolist") else item


@pytest.mark.parametrize("name", list(make_samplers()))
@pytest.mark.parametrize("k", [0, 1, 4])
def test_resumed_after_k_items_yields_what_an_uninterrupted_run_would(name, k):
    make = make_samplers()[name]
    straight = make()
    first = [as_list(x) for x in straight]
    second = [as_list(x) for x in straight]  # the next pass too
    interrupted = make()
    it = iter(interrupted)
    head = [as_list(next(it)) for _ in range(k)]
    state = interrupted.state_dict()
    resumed = make()
    resumed.load_state_dict(state)
    rest = [as_list(x) for x in resumed]
    assert head + rest == first
    assert [as_list(x) for x in resumed] == second


def test_stateful_dataloader_resumes_mid_epoch():
    pytest.importorskip("torchdata")
    from torchdata.stateful_dataloader import StatefulDataLoader

    data = TensorDataset(torch.arange(50))
    w = np.random.default_rng(0).random(50) + 0.1

    def loader():
        return StatefulDataLoader(data, batch_size=8, sampler=WeightedSampler(w, generator=gen(2)))

    straight = [b[0].tolist() for b in loader()]
    first = loader()
    it = iter(first)
    head = [next(it)[0].tolist() for _ in range(3)]
    state = first.state_dict()
    resumed = loader()
    resumed.load_state_dict(state)
    assert head + [b[0].tolist() for b in resumed] == straight


class StopAfter(Callback):
    def __init__(self, epochs):
        self.epochs = epochs

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == self.epochs:
            raise KeyboardInterrupt  # skorch ends the fit, as with Ctrl-C


@pytest.mark.parametrize(
    "params",
    [
        dict(sampling="balanced"),
        dict(sampling=ClassQuotas("auto")),
        dict(sampling=BatchComposition("equal")),
        dict(class_weight="sqrt", module__dropout=0.3),
        dict(sampling="progressive"),
        dict(sampling="deferred", sampling__start=3),
        dict(sampling="sqrt", class_weight="deferred", class_weight__start=5),
        dict(criterion=LogitAdjustedLoss, sampling="balanced", proba_correction="prior"),
        dict(criterion=LDAMLoss, class_weight="deferred", class_weight__start=5),
        dict(criterion=FocalLoss, criterion__alpha="balanced"),
    ],
)
def test_interrupted_fit_resumed_from_a_checkpoint_ends_the_same(tmp_path, params):
    X, y = make_classification(300, 6, weights=[0.8], random_state=0)
    X = X.astype(np.float32)
    kw = dict(random_state=0, batch_size=64, **params)
    straight = WeightedSamplingClassifier(max_epochs=6, **kw).fit(X, y)
    cp = Checkpoint(dirname=str(tmp_path), monitor=None)
    WeightedSamplingClassifier(max_epochs=6, callbacks=[cp, StopAfter(4)], **kw).fit(X, y)
    resumed = WeightedSamplingClassifier(max_epochs=2, callbacks=[LoadInitState(cp)], **kw)
    resumed.fit(X, y)
    assert len(resumed.history) == 6
    for a, b in zip(straight.module_.parameters(), resumed.module_.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    np.testing.assert_array_equal(resumed.predict_proba(X), straight.predict_proba(X))
    np.testing.assert_array_equal(resumed.sampling_prior_, straight.sampling_prior_)


# -- in the classifier ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def imbalanced():
    X, y = make_classification(500, 6, weights=[0.85], random_state=0)
    return X.astype(np.float32), y


def test_classifier_epochs_hold_the_quotas(imbalanced):
    X, y = imbalanced
    n0, n1 = np.bincount(y)
    clf = WeightedSamplingClassifier(sampling=ClassQuotas(), max_epochs=3, random_state=0)
    clf.fit(X, y)
    assert all(c == [n0, n0] for c in clf.history[:, "drawn_class_counts"])
    np.testing.assert_allclose(clf.sampling_prior_, [0.5, 0.5])


def test_grid_search_over_sampling_strategy(imbalanced):
    X, y = imbalanced
    search = GridSearchCV(
        WeightedSamplingClassifier(max_epochs=3, random_state=0),
        {"sampling": [None, ClassQuotas("auto"), ClassQuotas(0.5), ClassQuotas("not majority")]},
        scoring="balanced_accuracy",
        cv=2,
        error_score="raise",
    ).fit(X, y)
    assert len(search.cv_results_["params"]) == 4


def test_classifier_batches_hold_the_composition(imbalanced):
    X, y = imbalanced

    class Batches(Callback):
        def initialize(self):
            self.minority = []
            return self

        def on_batch_begin(self, net, batch=None, training=False, **kwargs):
            if training:
                self.minority.append(int((batch[1] == 1).sum()))

    rec = Batches()
    WeightedSamplingClassifier(
        sampling=BatchComposition("equal"),
        batch_size=32,
        max_epochs=2,
        callbacks=[rec],
        random_state=0,
    ).fit(X, y)
    assert set(rec.minority) == {16}


@pytest.mark.parametrize(
    "params, match",
    [
        (
            dict(sampling=ClassQuotas(), sampling__samples_per_epoch=100),
            "sampling__samples_per_epoch does not apply to ClassQuotas",
        ),
        (dict(sampling=ClassQuotas(), sampling__beta=0.9), "sampling__beta does not apply"),
        (
            dict(sampling=BatchComposition(classes_per_batch=2)),
            "classes_per_batch and samples_per_class go together",
        ),
        (dict(sampling=ClassQuotas("sometimes")), "sampling_strategy 'sometimes' is not one of"),
        (dict(sampling=ClassQuotas({0: 0, 1: 0}, sampling_type="under-sampling")), "zero"),
        (dict(sampling=ClassQuotas(lambda y: [1, 2])), "sampling_strategy callable"),
    ],
)
def test_quota_combinations_without_a_meaning_are_refused(imbalanced, params, match):
    X, y = imbalanced
    with pytest.raises(ValueError, match=match):
        WeightedSamplingClassifier(max_epochs=1, **params).fit(X, y)


def test_every_class_with_a_share_keeps_a_row_when_many_are_rounded_up():
    y = np.array(["maj"] * 950 + [f"r{i}" for i in range(9) for _ in range(6)])
    counts = BalancedBatchSampler(y, 16, class_shares="stratified").batch_counts_
    assert counts == {"maj": 7, **{f"r{i}": 1 for i in range(9)}}
    tiny = np.array(["a"] * 98 + ["b"] * 5 + ["c"] * 5)
    shares = {"a": 0.98, "b": 0.01, "c": 0.01}
    assert BalancedBatchSampler(tiny, 3, class_shares=shares).batch_counts_ == {
        "a": 1,
        "b": 1,
        "c": 1,
    }
    X = np.random.default_rng(0).normal(size=(len(y), 3)).astype(np.float32)
    clf = WeightedSamplingClassifier(
        sampling=BatchComposition("stratified"), batch_size=16, max_epochs=1, random_state=0
    ).fit(X, y)
    assert min(clf.history[-1, "drawn_class_counts"]) > 0


def test_batch_composition_speaks_labels_and_ignores_classes_absent_from_the_part():
    rng = np.random.default_rng(0)
    y = np.repeat([3, 7, 9, 11], [60, 30, 20, 10])
    X = rng.normal(size=(len(y), 3)).astype(np.float32)
    shares = {3: 1.0, 7: 1.0, 9: 1.0, 11: 1.0}
    keep = y != 11  # a part without class 11, which classes= still names
    clf = WeightedSamplingClassifier(
        sampling=BatchComposition(shares), classes=[3, 7, 9, 11], batch_size=12, max_epochs=1,
        random_state=0,
    ).fit(X[keep], y[keep])  # fmt: skip
    assert clf.history[-1, "drawn_class_counts"][3] == 0
    weights = np.where(y == 9, 0.0, 1.0)
    with pytest.raises(ValueError, match="Class 9 has no row with a positive weight"):
        WeightedSamplingClassifier(sampling=BatchComposition(), max_epochs=1).fit(
            X, y, sample_weight=weights
        )


def test_the_size_of_a_quota_epoch_cannot_be_reassigned():
    for sampler in (StratifiedSampler(Y), BalancedBatchSampler(Y, 10)):
        size = len(sampler)
        with pytest.raises(AttributeError, match="fixed by its class quotas"):
            sampler.num_samples = 10
        assert len(sampler) == size == len(list(sampler))


def test_batch_composition_with_skorchs_whole_part_batch_is_a_clear_error(imbalanced):
    X, y = imbalanced
    with pytest.raises(ValueError, match="batch_size=-1 .* has no composition to fix"):
        WeightedSamplingClassifier(sampling=BatchComposition(), batch_size=-1, max_epochs=1).fit(
            X, y
        )


def test_weighted_rows_in_batch_compositions_are_drawn_by_weight_none_twice_a_batch():
    sw = np.where(np.arange(100) % 2 == 0, 10.0, 1.0)  # even rows weigh ten times more
    s = BalancedBatchSampler(
        Y, 12, replacement=None, sample_weight=sw, num_batches=400, generator=gen()
    )
    counts = np.zeros(100)
    for b in s:
        assert len(set(b)) == len(b)
        counts += np.bincount(b, minlength=100)
    a = np.flatnonzero(Y == "a")
    ratio = counts[a[a % 2 == 0]].mean() / counts[a[a % 2 == 1]].mean()
    assert 6 < ratio < 12, ratio  # about 10 (a few rows redrawn without repeats)
    walk = BalancedBatchSampler(Y, 12, sample_weight=sw, num_batches=400, generator=gen())
    seen = np.bincount(np.concatenate(list(walk)), minlength=100)
    assert seen[a].max() - seen[a].min() <= 1  # without replacement: weights set the order
