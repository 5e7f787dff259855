"""WeightedSamplingClassifier: inputs, draws, split, reproducibility, errors."""

import pickle

import numpy as np
import pandas as pd
import pytest
import torch
from scipy import stats
from sklearn.base import clone
from sklearn.utils.class_weight import compute_sample_weight
from skorch.callbacks import Callback
from skorch.dataset import ValidSplit

from wsample_sk import WeightedSamplingClassifier, compute_sampling_weights
from wsample_sk._schedule import find_class_mix


def balanced_in(mode):
    """Balanced class weights in the draws ("sample") or in the loss ("loss")."""
    if mode == "sample":
        return {"sampling": "balanced"}
    return {"class_weight": "balanced", "sample_weight_in": "loss"}


FAST = dict(max_epochs=3, random_state=0)


class RecordBatches(Callback):
    """Record the rows drawn for training (X's first column holds the row id)."""

    def initialize(self):
        self.ids, self.train_rows, self.valid_rows = [], None, None
        return self

    def on_epoch_begin(self, net, dataset_train=None, dataset_valid=None, **kw):
        self.train_rows = rows_of(dataset_train)
        self.valid_rows = None if dataset_valid is None else rows_of(dataset_valid)

    def on_batch_begin(self, net, batch=None, training=False, **kw):
        if training:
            self.ids.append(batch[0][:, 0].numpy().astype(np.int64))

    @property
    def drawn(self):
        return np.concatenate(self.ids)


def rows_of(dataset):
    """Rows of X in a part: skorch's split returns Subsets of the fit's dataset."""
    if isinstance(dataset, torch.utils.data.Subset):
        return np.asarray(dataset.indices)
    return np.arange(len(dataset))


def with_row_ids(X):
    return np.c_[np.arange(len(X)), X].astype(np.float32)


def drawn_class_counts(clf, X, y, **fit_kw):
    rec = RecordBatches()
    clf.set_params(callbacks=[("rec", rec)])
    clf.fit(with_row_ids(X), y, **fit_kw)
    labels = np.unique(y)
    return np.array([(y[rec.drawn] == c).sum() for c in labels]), rec


# -- inputs and outputs ---------------------------------------------------------
@pytest.mark.parametrize("kind", ["float64", "float32", "dataframe", "list", "tensor"])
def test_accepts_common_inputs(imbalanced, kind):
    X, y = imbalanced
    X_in = {
        "float64": X.astype(np.float64),
        "float32": X,
        "dataframe": pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])]),
        "list": X.tolist(),
        "tensor": torch.from_numpy(X),
    }[kind]
    clf = WeightedSamplingClassifier(**FAST).fit(X_in, y)
    assert clf.n_features_in_ == 5
    assert clf.predict(X_in).shape == (600,)
    proba = clf.predict_proba(X_in)
    assert proba.shape == (600, 2) and proba.dtype == np.float64
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    if kind == "dataframe":
        assert list(clf.feature_names_in_) == list(X_in.columns)


@pytest.mark.parametrize(
    "labels", [np.array(["no", "yes"]), np.array([False, True]), np.array([-3, 7])]
)
def test_labels_are_returned_as_given(imbalanced, labels):
    X, y = imbalanced
    clf = WeightedSamplingClassifier(max_epochs=20, random_state=0).fit(X, labels[y])
    assert list(clf.classes_) == list(labels)
    assert set(clf.predict(X)) <= set(labels)
    assert clf.score(X, labels[y]) > 0.85


def test_multiclass_learns(multiclass):
    X, y = multiclass
    clf = WeightedSamplingClassifier(sampling="balanced", random_state=0).fit(X, y)
    assert clf.predict_proba(X).shape == (600, 3)
    assert clf.score(X, y) > 0.8


def test_module_class_and_instance(imbalanced):
    X, y = imbalanced

    class Net(torch.nn.Module):
        def __init__(self, hidden=8):
            super().__init__()
            self.seq = torch.nn.Sequential(
                torch.nn.Linear(5, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 2)
            )

        def forward(self, X):
            return self.seq(X)

    clf = WeightedSamplingClassifier(Net, module__hidden=4, **FAST).fit(X, y)
    assert clf.module_.seq[0].out_features == 4
    clf = WeightedSamplingClassifier(Net(), **FAST).fit(X, y)
    assert clf.predict(X).shape == (600,)


def test_default_mlp_is_configurable(imbalanced):
    X, y = imbalanced
    clf = WeightedSamplingClassifier(module__hidden_units=(7, 3), **FAST).fit(X, y)
    assert [m.out_features for m in clf.module_.net if hasattr(m, "out_features")] == [7, 3, 2]


def test_torch_dataset_and_dict_inputs(imbalanced):
    X, y = imbalanced
    ds = torch.utils.data.TensorDataset(torch.from_numpy(X), torch.from_numpy(y))
    clf = WeightedSamplingClassifier(sampling="balanced", **FAST).fit(ds, y)
    assert clf.predict(X).shape == (600,)
    clf = WeightedSamplingClassifier(class_weight="balanced", **FAST)
    clf.fit({"X": X}, y)
    assert clf.predict({"X": X}).shape == (600,)


# -- what gets drawn --------------------------------------------------------------
@pytest.mark.parametrize("sampling", [None, "balanced", "sqrt", "effective", {1: 4.0}])
def test_drawn_class_mix_matches_the_strategy(imbalanced, sampling):
    X, y = imbalanced
    clf = WeightedSamplingClassifier(
        sampling=sampling, **({"sampling__beta": 0.99} if sampling == "effective" else {}), **FAST
    )
    counts, _ = drawn_class_counts(clf, X, y)
    w = compute_sampling_weights(y, sampling, beta=0.99 if sampling == "effective" else None)
    w = np.ones(len(y)) if w is None else w
    target = np.array([w[y == c].sum() for c in (0, 1)]) / w.sum()
    assert counts.sum() == 3 * 600
    assert stats.chisquare(counts, target * counts.sum()).pvalue > 1e-3
    np.testing.assert_allclose(clf.sampling_prior_, target)
    np.testing.assert_allclose(clf.class_prior_, [np.mean(y == 0), np.mean(y == 1)])


def test_balanced_mix_is_not_the_natural_one(imbalanced):
    """The chi-square test above would catch draws that ignore the weights."""
    X, y = imbalanced
    counts, _ = drawn_class_counts(WeightedSamplingClassifier(sampling="balanced", **FAST), X, y)
    natural = np.bincount(y) / len(y)
    assert stats.chisquare(counts, natural * counts.sum()).pvalue < 1e-12


def test_explicit_sample_weight_drives_row_frequencies(imbalanced):
    X, y = imbalanced
    sw = np.random.default_rng(0).exponential(size=600)
    sw[:100] = 0.0
    clf = WeightedSamplingClassifier(max_epochs=30, random_state=0)
    _, rec = drawn_class_counts(clf, X, y, sample_weight=sw)
    counts = np.bincount(rec.drawn, minlength=600)
    assert counts[:100].sum() == 0
    # rows grouped into deciles of weight: observed vs expected
    order = np.argsort(sw[100:]) + 100
    groups = np.array_split(order, 10)
    observed = np.array([counts[g].sum() for g in groups])
    expected = np.array([sw[g].sum() for g in groups]) / sw.sum() * counts.sum()
    assert stats.chisquare(observed, expected).pvalue > 1e-3


def test_strategy_times_sample_weight(imbalanced):
    X, y = imbalanced
    sw = np.where(np.arange(600) % 2 == 0, 3.0, 1.0)
    clf = WeightedSamplingClassifier(sampling="balanced", **FAST)
    counts, _ = drawn_class_counts(clf, X, y, sample_weight=sw)
    w = compute_sample_weight("balanced", y) * sw
    target = np.array([w[y == c].sum() for c in (0, 1)]) / w.sum()
    assert stats.chisquare(counts, target * counts.sum()).pvalue > 1e-3


@pytest.mark.parametrize("spe, expected", [(150, 150), (0.5, 300), (2.0, 1200)])
def test_samples_per_epoch(imbalanced, spe, expected):
    X, y = imbalanced
    clf = WeightedSamplingClassifier(sampling="balanced", sampling__samples_per_epoch=spe, **FAST)
    clf.fit(X, y)
    assert sum(clf.history[-1, "batches", :, "train_batch_size"]) == expected


def test_without_replacement_never_repeats_within_an_epoch(imbalanced):
    X, y = imbalanced
    clf = WeightedSamplingClassifier(
        sampling="balanced",
        sampling__replacement=False,
        sampling__samples_per_epoch=200,
        max_epochs=1,
        random_state=0,
    )
    _, rec = drawn_class_counts(clf, X, y)
    assert len(rec.drawn) == 200 == len(np.unique(rec.drawn))


def test_unweighted_training_shuffles_every_epoch(imbalanced):
    X, y = imbalanced
    _, rec = drawn_class_counts(WeightedSamplingClassifier(batch_size=600, **FAST), X, y)
    epochs = rec.ids
    assert all(sorted(e.tolist()) == list(range(600)) for e in epochs)
    assert not np.array_equal(epochs[0], epochs[1])
    assert not np.array_equal(epochs[0], np.arange(600))


# -- the internal validation split --------------------------------------------------
def test_validation_rows_are_never_drawn_and_weights_are_the_training_parts(imbalanced):
    X, y = imbalanced
    sw = np.ones(600)
    clf = WeightedSamplingClassifier(train_split=ValidSplit(5), max_epochs=10, random_state=0)
    rec = RecordBatches()
    clf.set_params(callbacks=[("rec", rec)])
    # heavy weights on what turns out to be validation rows must not leak
    probe = clone(clf).set_params(callbacks=[("rec", RecordBatches())])
    probe.fit(with_row_ids(X), y)
    valid = dict(probe.callbacks_)["rec"].valid_rows
    sw[valid] = 1e6
    clf.fit(with_row_ids(X), y, sample_weight=sw)
    assert np.array_equal(rec.valid_rows, valid)
    assert len(np.intersect1d(rec.drawn, valid)) == 0
    assert np.isin(rec.drawn, rec.train_rows).all()
    # uniform over the training part (its weights are all one)
    counts = np.bincount(rec.drawn, minlength=600)[rec.train_rows]
    assert stats.chisquare(counts).pvalue > 1e-3
    assert "valid_acc" in clf.history[-1] and "valid_loss" in clf.history[-1]


# -- loss weighting ---------------------------------------------------------------
class CheckBatchLoss(Callback):
    """Recompute each training batch's loss by hand, from the schedule's weights."""

    def initialize(self):
        self.pairs = []
        return self

    def on_batch_begin(self, net, batch=None, training=False, **kw):
        if not training:
            return
        schedule = find_class_mix(net).plan_
        rows = schedule._batch_rows
        with torch.no_grad():
            net.module_.train()
            logits = net.module_(batch[0])
        per_row = torch.nn.functional.cross_entropy(logits, batch[1], reduction="none")
        weights = schedule._loss[rows]
        self._expected = float((per_row.numpy() * weights).sum())
        self._reduction = net.criterion_.reduction

    def on_batch_end(self, net, batch=None, training=False, loss=None, **kw):
        if training:
            self.pairs.append((self._expected, loss.item(), len(batch[1])))


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_loss_mode_weights_each_samples_loss(imbalanced, reduction):
    X, y = imbalanced
    check = CheckBatchLoss()
    clf = WeightedSamplingClassifier(
        class_weight="balanced",
        criterion__reduction=reduction,
        callbacks=[("check", check)],
        **FAST,
    )
    clf.fit(X, y)
    assert clf.criterion_.reduction == reduction  # restored after every batch
    for expected_sum, loss, size in check.pairs:
        expected = expected_sum if reduction == "sum" else expected_sum / size
        assert loss == pytest.approx(expected, rel=1e-5)
    # the weights are inverse class frequency, mean one over the training part
    w = compute_sample_weight("balanced", y)
    assert check.pairs and np.isclose(w.mean(), 1.0)


def test_loss_mode_iterates_every_row_once_per_epoch(imbalanced):
    X, y = imbalanced
    clf = WeightedSamplingClassifier(class_weight="balanced", **FAST)
    _, rec = drawn_class_counts(clf, X, y)
    assert all(sorted(e.tolist()) == list(range(600)) for e in np.split(rec.drawn, 3))


def test_loss_mode_needs_a_reduction(imbalanced):
    X, y = imbalanced

    def crit(*args, **kwargs):
        return lambda y_pred, y_true: torch.nn.functional.cross_entropy(y_pred, y_true)

    clf = WeightedSamplingClassifier(class_weight="balanced", criterion=crit, **FAST)
    with pytest.raises(ValueError, match="need a criterion with a `reduction`"):
        clf.fit(X, y)


@pytest.mark.parametrize("mode", ["sample", "loss"])
def test_balancing_raises_minority_recall(imbalanced, mode):
    X, y = imbalanced
    plain = WeightedSamplingClassifier(max_epochs=5, lr=0.003, random_state=0).fit(X, y)
    balanced = WeightedSamplingClassifier(
        **balanced_in(mode), max_epochs=5, lr=0.003, random_state=0
    ).fit(X, y)
    recall = [np.mean(m.predict(X)[y == 1] == 1) for m in (plain, balanced)]
    assert recall[1] > recall[0] + 0.1
    assert balanced.predict_proba(X)[:, 1].mean() > plain.predict_proba(X)[:, 1].mean()


# -- reproducibility ----------------------------------------------------------------
def test_same_random_state_same_predictions_and_global_rng_untouched(imbalanced):
    X, y = imbalanced
    torch_state, np_state = torch.get_rng_state(), np.random.get_state()
    kw = dict(sampling="balanced", module__dropout=0.2, max_epochs=3)
    p1 = WeightedSamplingClassifier(random_state=3, **kw).fit(X, y).predict_proba(X)
    p2 = WeightedSamplingClassifier(random_state=3, **kw).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(p1, p2)
    assert torch.equal(torch.get_rng_state(), torch_state)
    assert np.array_equal(np.random.get_state()[1], np_state[1])
    p3 = WeightedSamplingClassifier(random_state=4, **kw).fit(X, y).predict_proba(X)
    assert not np.array_equal(p1, p3)
    q1 = WeightedSamplingClassifier(random_state=None, **kw).fit(X, y).predict_proba(X)
    q2 = WeightedSamplingClassifier(random_state=None, **kw).fit(X, y).predict_proba(X)
    assert not np.array_equal(q1, q2)


def test_partial_fit_continues_with_new_draws(imbalanced):
    X, y = imbalanced
    clf = WeightedSamplingClassifier(
        sampling="balanced", max_epochs=1, random_state=0, batch_size=600
    )
    _, rec = drawn_class_counts(clf, X, y)
    first = rec.drawn.copy()
    clf.partial_fit(with_row_ids(X), y)
    assert len(clf.history) == 2
    assert not np.array_equal(rec.drawn[-600:], first)


# -- errors -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "params, fit_kw, match",
    [
        ({}, {"sample_weight": -np.ones(600)}, "non-negative; got -1.0 at index 0"),
        ({}, {"sample_weight": np.r_[np.nan, np.ones(599)]}, "finite; got nan at index 0"),
        ({}, {"sample_weight": np.r_[np.ones(599), np.inf]}, "finite; got inf at index 599"),
        ({}, {"sample_weight": np.zeros(600)}, "all zero"),
        ({}, {"sample_weight": np.ones(5)}, "has 5 weights but there are 600 samples"),
        ({}, {"sample_weight": np.ones((600, 2))}, "1-D"),
        ({}, {"sample_weight": np.array(["x"] * 600)}, "must be numeric"),
        ({"sampling": "inverse"}, {}, "Unknown sampling 'inverse'"),
        (
            {"sampling": "balanced", "sampling__samples_per_epoch": 0},
            {},
            "sampling__samples_per_epoch == 0, must be >= 1",
        ),
        (
            {"sampling": "balanced", "sampling__samples_per_epoch": -0.5},
            {},
            r"sampling__samples_per_epoch == -0.5, must be > 0.0",
        ),
        (
            {"sample_weight_in": "both"},
            {},
            "The 'sample_weight_in' parameter .* Got 'both' instead",
        ),
        ({"sampling": "sqrt", "sampling__replacement": "yes"}, {}, "replacement must be a bool"),
        (
            {
                "sampling": "balanced",
                "sampling__replacement": False,
                "sampling__samples_per_epoch": 10_000,
            },
            {},
            "Cannot draw 10000 samples without replacement",
        ),
    ],
)
def test_bad_input_gets_a_clear_error(imbalanced, params, fit_kw, match):
    X, y = imbalanced
    with pytest.raises(ValueError, match=match):
        WeightedSamplingClassifier(**params, **FAST).fit(X, y, **fit_kw)


def test_one_class_and_missing_y(imbalanced):
    X, y = imbalanced
    with pytest.raises(ValueError, match="at least two classes; got 1 class"):
        WeightedSamplingClassifier(**FAST).fit(X, np.zeros(600))
    with pytest.raises(ValueError, match="requires y to be passed"):
        WeightedSamplingClassifier(**FAST).fit(X, None)


def test_zero_weight_class_warns_and_is_never_predicted_drawn(imbalanced):
    X, y = imbalanced
    with pytest.warns(UserWarning, match="never be drawn"):
        counts, _ = drawn_class_counts(
            WeightedSamplingClassifier(**FAST), X, y, sample_weight=(y == 0).astype(float)
        )
    assert counts[1] == 0


def test_caller_arrays_are_never_modified(imbalanced):
    X, y = imbalanced
    X64 = X.astype(np.float64)
    sw = np.linspace(0.1, 3, 600)
    copies = X.copy(), X64.copy(), y.copy(), sw.copy()
    for mode in ("sample", "loss"):
        clf = WeightedSamplingClassifier(**balanced_in(mode), **FAST)
        clf.fit(X, y, sample_weight=sw)
        clf.fit(X64, y, sample_weight=sw)
        clf.predict_proba(X)
    for before, after in zip(copies, (X, X64, y, sw), strict=True):
        np.testing.assert_array_equal(before, after)


def test_predict_checks_features(imbalanced):
    X, y = imbalanced
    clf = WeightedSamplingClassifier(**FAST).fit(X, y)
    with pytest.raises(ValueError, match="features"):
        clf.predict(X[:, :3])


# -- persistence ----------------------------------------------------------------------
def test_pickle_round_trip_and_clone(imbalanced):
    X, y = imbalanced
    clf = WeightedSamplingClassifier(sampling="sqrt", **FAST).fit(X, y)
    assert find_class_mix(clf).plan_ is None  # the fit's plan is not kept
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))
    fresh = clone(clf)
    assert fresh.get_params()["sampling"] == "sqrt"
    assert not hasattr(fresh, "classes_")


def test_loader_workers_give_the_same_model(imbalanced):
    """Batches fetched in worker processes: same draws, same fit."""
    X, y = imbalanced
    kw = dict(sampling="balanced", max_epochs=2, random_state=0)
    single = WeightedSamplingClassifier(**kw).fit(X, y)
    workers = WeightedSamplingClassifier(iterator_train__num_workers=2, **kw).fit(X, y)
    np.testing.assert_array_equal(workers.predict_proba(X), single.predict_proba(X))


def test_a_train_split_that_loses_the_rows_is_an_error(imbalanced):
    """A split returning anything but Subsets would silently drop the weights."""
    X, y = imbalanced

    def split(dataset, y=None, **kwargs):
        return torch.utils.data.TensorDataset(torch.zeros(3, 5), torch.zeros(3)), None

    clf = WeightedSamplingClassifier(sampling="balanced", train_split=split, **FAST)
    with pytest.raises(ValueError, match="train_split must return torch Subsets"):
        clf.fit(X, y)
