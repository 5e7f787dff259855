"""Weights that change during training, and what the sampler reports per epoch."""

import numpy as np
import pytest
from scipy import stats
from skorch.callbacks import Callback

from wsample_sk import WeightedSamplingClassifier, compute_sampling_weights
from wsample_sk._schedule import find_class_mix
from wsample_sk.callbacks import LossReweighting


def test_progressive_moves_from_natural_to_balanced():
    y = np.array([0] * 90 + [1] * 10)
    first = compute_sampling_weights(y, "progressive", epoch=0, n_epochs=5)
    middle = compute_sampling_weights(y, "progressive", epoch=2, n_epochs=5)
    last = compute_sampling_weights(y, "progressive", epoch=4, n_epochs=5)
    np.testing.assert_allclose(first, 1.0)
    np.testing.assert_allclose(last, compute_sampling_weights(y, "balanced"))
    share = middle[y == 1].sum() / middle.sum()
    np.testing.assert_allclose(share, 0.5 * 0.1 + 0.5 * 0.5)  # Kang et al.: linear in t/T


def test_progressive_draws_follow_the_schedule(imbalanced):
    X, y = imbalanced
    clf = WeightedSamplingClassifier(sampling="progressive", max_epochs=5, random_state=0)
    clf.fit(X, y)
    counts = np.array(clf.history[:, "drawn_class_counts"])
    natural = np.bincount(y) / len(y)
    for epoch, drawn in enumerate(counts):
        t = epoch / 4
        target = (1 - t) * natural + t * 0.5
        assert stats.chisquare(drawn, target * drawn.sum()).pvalue > 1e-3
    np.testing.assert_allclose(clf.sampling_prior_, [0.5, 0.5])


def test_epoch_callable(imbalanced):
    X, y = imbalanced
    seen = []

    def by_epoch(labels, epoch):
        seen.append(epoch)
        return np.where(labels == 1, 1.0 + 4 * epoch, 1.0)

    clf = WeightedSamplingClassifier(sampling=by_epoch, max_epochs=3, random_state=0)
    clf.fit(X, y)
    assert seen == [0, 1, 2]
    minority = [c[1] / sum(c) for c in clf.history[:, "drawn_class_counts"]]
    assert minority[0] < minority[1] < minority[2]


def test_history_records_sampling_statistics(imbalanced):
    X, y = imbalanced
    clf = WeightedSamplingClassifier(sampling="balanced", max_epochs=2, random_state=0)
    clf.fit(X, y)
    row = clf.history[-1]
    assert sum(row["drawn_class_counts"]) == 600
    # with replacement, about 1 - 1/e of the rows show up... fewer when weights are skewed
    assert 0.3 < row["distinct_share"] < 0.7
    w = compute_sampling_weights(y, "balanced")
    np.testing.assert_allclose(row["weight_ess"], w.sum() ** 2 / (w**2).sum() / 600)
    plain = WeightedSamplingClassifier(max_epochs=1, random_state=0).fit(X, y)
    assert plain.history[-1, "distinct_share"] == 1.0 and plain.history[-1, "weight_ess"] == 1


class FactorThenDraws(Callback):
    """Pairs each epoch's reweighting factors with the next epoch's draws."""

    def initialize(self):
        self.pairs, self._factor = [], None
        return self

    def on_epoch_end(self, net, dataset_train=None, **kwargs):
        schedule = find_class_mix(net).plan_
        drawn = schedule.drawn_rows
        if self._factor is not None:
            self.pairs.append((self._factor, np.bincount(drawn, minlength=len(self._factor))))
        self._factor = schedule.factor.copy()


@pytest.mark.parametrize("mode", ["sampling", "loss"])
def test_loss_reweighting_emphasises_hard_rows(imbalanced, mode):
    X, y = imbalanced
    record = FactorThenDraws()
    clf = WeightedSamplingClassifier(
        sample_weight_in=mode,
        max_epochs=4,
        random_state=0,
        callbacks=[("reweight", LossReweighting(temperature=0.5, floor=0.05)), ("record", record)],
    )
    clf.fit(X, y)
    assert min(clf.history[:, "reweight_max"]) > 2  # some rows far above the mean
    factor, draws = record.pairs[-1]
    if mode == "sampling":  # hard rows are drawn more often in the next epoch
        assert stats.spearmanr(factor, draws).statistic > 0.3
        assert clf.history[-1, "weight_ess"] < 0.8
    else:  # plain shuffling: every row once, whatever its factor
        assert set(draws) == {1}


def test_loss_reweighting_floor_keeps_every_row_drawable(imbalanced):
    X, y = imbalanced
    clf = WeightedSamplingClassifier(
        max_epochs=2, random_state=0, callbacks=[("rw", LossReweighting(floor=0.5))]
    )
    clf.fit(X, y)
    assert clf.history[-1, "weight_ess"] > 0.3


@pytest.mark.parametrize(
    "kwargs, match",
    [({"temperature": 0}, "temperature"), ({"floor": 0}, "floor"), ({"every": 0}, "every")],
)
def test_loss_reweighting_errors(imbalanced, kwargs, match):
    X, y = imbalanced
    clf = WeightedSamplingClassifier(max_epochs=1, callbacks=[("rw", LossReweighting(**kwargs))])
    with pytest.raises(ValueError, match=match):
        clf.fit(X, y)
