"""WeightedSamplingClassifier is a skorch NeuralNetClassifier: skorch's own suite, and more.

``test_skorch_suite`` runs the test files that skorch ships against this class
(``tests/skorch_suite/skorch_compat.py`` lists every test that fails, with
its reason). The other tests cover what skorch's suite does not: the same
workflows on labels that are not output positions, every input kind, and the
checks that skorch writes against its own class.
"""

import functools
import os
import pickle
import re
import subprocess
import sys
from pathlib import Path
from unittest.mock import patch

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import skorch
import torch
from sklearn.datasets import make_classification
from sklearn.metrics import accuracy_score, f1_score
from skorch.callbacks import Checkpoint, EpochScoring, InputShapeSetter, LoadInitState
from skorch.dataset import Dataset as SkorchDataset
from skorch.dataset import ValidSplit
from skorch.helper import predefined_split
from torch.utils.data import DataLoader, TensorDataset

import wsample_sk._inputs
import wsample_sk._loading
import wsample_sk._params
from wsample_sk import WeightedSampler, WeightedSamplingClassifier
from wsample_sk.sampling import BatchComposition, ClassQuotas

SUITE = Path(skorch.__file__).parent / "tests"
PLUGIN = Path(__file__).parent / "skorch_suite"
FILES = [
    "test_classifier.py",
    "test_net.py",
    "callbacks/test_scoring.py",
    "callbacks/test_training.py",
    "test_history.py",
]
FAST = dict(max_epochs=3, random_state=0)


@pytest.mark.parametrize("name", FILES)
def test_skorch_suite(name, tmp_path):
    """skorch's shipped tests, with NeuralNetClassifier swapped for this class."""
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(PLUGIN), os.environ.get("PYTHONPATH", "")]),
        "SKORCH_SUITE_THREADS": "1",
    }
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-c",
            str(tmp_path / "pytest.ini"),
            "-p",
            "skorch_compat",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:xdist",
            "--tb=short",
            "-rfE",
            str(SUITE / name),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert " passed" in done.stdout


# -- what skorch's suite checks against skorch's own class ------------------------
class Linear(torch.nn.Module):
    def __init__(self, input_dim=3):
        super().__init__()
        self.layer = torch.nn.Linear(input_dim, 2)

    def forward(self, X):
        return self.layer(X)


def test_repr_is_skorchs_with_this_class():
    net = WeightedSamplingClassifier(Linear, module__input_dim=5)
    assert repr(net) == (
        "<class 'wsample_sk._classifier.WeightedSamplingClassifier'>[uninitialized](\n"
        f"  module={Linear},\n  module__input_dim=5,\n)"
    )
    assert repr(net.initialize()).startswith(
        "<class 'wsample_sk._classifier.WeightedSamplingClassifier'>[initialized](\n"
        "  module_=Linear("
    )


def test_input_shape_setter_does_not_reinitialise_needlessly():
    """skorch's test, patching this class's initialize_module instead of skorch's."""
    X, y = make_classification(200, 10, n_informative=10, n_redundant=0, random_state=0)
    X = X.astype(np.float32)
    with patch.object(
        WeightedSamplingClassifier,
        "initialize_module",
        side_effect=WeightedSamplingClassifier.initialize_module,
        autospec=True,
    ) as init:
        net = WeightedSamplingClassifier(
            Linear, max_epochs=2, callbacks=[InputShapeSetter()], module__input_dim=10
        )
        net.fit(X, y)
        assert init.call_count == 1  # initialize() only: the shape was right
        net = WeightedSamplingClassifier(Linear, max_epochs=2, callbacks=[InputShapeSetter()])
        net.fit(X, y)
        assert init.call_count == 3  # initialize(), then the new input dim
        net.partial_fit(X, y)
        assert init.call_count == 3
    assert net.module_.layer.in_features == 10


# -- inputs -------------------------------------------------------------------------
class SmallCNN(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 4, 3, padding=1)
        self.out = torch.nn.Linear(4 * 8 * 8, 2)

    def forward(self, X):
        return self.out(torch.relu(self.conv(X)).flatten(1))


def images(n=200, seed=0):
    """Image-shaped arrays (n, 1, 8, 8): class 1 has a bright centre."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.2).astype(np.int64)
    X = rng.normal(size=(n, 1, 8, 8)).astype(np.float32)
    X[y == 1, :, 3:5, 3:5] += 3.0
    return X, y


def count_batch_fetches():
    """Count how often the batch-indexed view is indexed (one per batch expected)."""
    calls = []
    original = wsample_sk._loading._BatchView.__getitem__

    def counted(self, idx):
        calls.append(idx)
        return original(self, idx)

    return calls, patch.object(wsample_sk._loading._BatchView, "__getitem__", counted)


@pytest.mark.parametrize("kind", ["numpy", "tensor"])
def test_image_shaped_input_keeps_batch_at_once_loading(kind):
    X, y = images()
    X_in = torch.from_numpy(X) if kind == "tensor" else X
    calls, counting = count_batch_fetches()
    with counting:
        clf = WeightedSamplingClassifier(
            SmallCNN, sampling="balanced", batch_size=50, lr=0.01, max_epochs=10, random_state=0
        ).fit(X_in, y)
    assert len(calls) == 10 * 4  # 200 rows in batches of 50: one indexing each
    assert clf.score(X_in, y) > 0.9
    assert clf.predict_proba(X_in).shape == (200, 2)


def test_default_mlp_flattens_image_shaped_input():
    X, y = images()
    clf = WeightedSamplingClassifier(sampling="balanced", max_epochs=20, random_state=0).fit(X, y)
    assert clf.module_.net[1].in_features == 64
    assert clf.score(X, y) > 0.9


def test_sparse_input_is_fetched_batch_at_once():
    X, y = make_classification(300, 20, random_state=0)
    X[np.abs(X) < 1] = 0
    Xs = sp.csr_matrix(X)
    calls, counting = count_batch_fetches()
    with counting:
        clf = WeightedSamplingClassifier(max_epochs=5, batch_size=100, random_state=0).fit(Xs, y)
    assert len(calls) == 5 * 3
    dense = WeightedSamplingClassifier(max_epochs=5, batch_size=100, random_state=0).fit(X, y)
    np.testing.assert_allclose(clf.predict_proba(Xs), dense.predict_proba(X), rtol=1e-5)


class TwoInputs(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.a = torch.nn.Linear(3, 2)
        self.b = torch.nn.Linear(2, 2)

    def forward(self, left, right):
        return self.a(left) + self.b(right)


def test_dict_of_arrays_reaches_the_module_as_keywords():
    X, y = make_classification(200, 5, random_state=0)
    X = X.astype(np.float32)
    data = {"left": X[:, :3], "right": X[:, 3:]}
    clf = WeightedSamplingClassifier(TwoInputs, sampling="balanced", **FAST).fit(data, y)
    assert clf.predict(data).shape == (200,)


def test_dataframe_input_keeps_feature_names():
    X, y = make_classification(200, 4, random_state=0)
    df = pd.DataFrame(X, columns=list("abcd"))
    clf = WeightedSamplingClassifier(**FAST).fit(df, y)
    assert list(clf.feature_names_in_) == list("abcd")
    assert clf.predict(df).shape == (200,)


@pytest.mark.parametrize(
    "column, match",
    [
        (pd.Categorical(["x", "y"] * 100), "X column 'e' has dtype category .*'x'.*encode it"),
        (
            ["x", "y"] * 100,
            "X column 'e' has dtype .* \\((first value|row 0 holds) 'x'\\); the network",
        ),
        (
            [1.0] * 150 + ["oops"] + [2.0] * 49,
            "X column 'e' has dtype object \\(row 150 holds 'oops'",
        ),
    ],
    ids=["categorical", "text", "object"],
)
def test_a_dataframe_column_that_is_not_numbers_is_named(column, match):
    X, y = make_classification(200, 4, random_state=0)
    df = pd.DataFrame(X, columns=list("abcd")).assign(e=column)
    with pytest.raises(ValueError, match=match):
        WeightedSamplingClassifier(**FAST).fit(df, y)
    fitted = WeightedSamplingClassifier(**FAST).fit(df[list("abcd")].astype(object), y)
    with pytest.raises(ValueError, match=match):  # at prediction too
        fitted.predict(df.drop(columns="a"))


@pytest.mark.parametrize("with_y", [True, False])
def test_torch_dataset_with_or_without_y(with_y):
    X, y = make_classification(200, 5, weights=[0.8], random_state=0)
    ds = TensorDataset(torch.from_numpy(X.astype(np.float32)), torch.from_numpy(y))
    clf = WeightedSamplingClassifier(sampling="balanced", max_epochs=2, random_state=0)
    clf.fit(ds, y if with_y else None)  # a TensorDataset's targets can be read
    assert list(clf.classes_) == [0, 1]
    np.testing.assert_allclose(clf.sampling_prior_, [0.5, 0.5])
    assert clf.predict(ds).shape == (200,)


class Opaque(torch.utils.data.Dataset):
    """A dataset whose targets can only be reached item by item."""

    def __init__(self, X, y):
        self._X, self._y = X, y

    def __len__(self):
        return len(self._X)

    def __getitem__(self, i):
        return self._X[i], self._y[i]


def test_strategy_on_a_dataset_without_readable_labels_needs_y():
    X, y = make_classification(100, 5, random_state=0)
    ds = Opaque(X.astype(np.float32), y)
    clf = WeightedSamplingClassifier(sampling="balanced", max_epochs=1, random_state=0)
    with pytest.raises(ValueError, match="needs the class labels of the training rows: pass y"):
        clf.fit(ds, None)
    clf.fit(ds, y)  # with y it works
    np.testing.assert_allclose(clf.sampling_prior_, [0.5, 0.5])
    # without a strategy, no labels are needed; predictions are output positions
    plain = WeightedSamplingClassifier(Linear, module__input_dim=5, max_epochs=1, random_state=0)
    assert set(plain.fit(ds, None).predict(ds)) <= {0, 1}
    with pytest.raises(ValueError, match="The default module needs the number of classes"):
        WeightedSamplingClassifier(max_epochs=1).fit(ds, None)


# -- persistence ----------------------------------------------------------------------
LABELS = np.array(["no", "yes"])


@pytest.fixture
def labelled():
    X, y = make_classification(300, 6, weights=[0.8], random_state=0)
    return X.astype(np.float32), LABELS[y]


def test_save_params_then_initialize_load_predict_and_continue(labelled, tmp_path):
    X, y = labelled
    kw = dict(sampling="balanced", classes=LABELS, module__n_features=6, random_state=0)
    fitted = WeightedSamplingClassifier(max_epochs=5, **kw).fit(X, y)
    fitted.save_params(f_params=tmp_path / "p.pt", f_optimizer=tmp_path / "o.pt")
    restored = WeightedSamplingClassifier(max_epochs=2, **kw).initialize()
    restored.load_params(f_params=tmp_path / "p.pt", f_optimizer=tmp_path / "o.pt")
    np.testing.assert_array_equal(restored.predict_proba(X), fitted.predict_proba(X))
    assert set(restored.predict(X)) <= set(LABELS)  # labels, through classes=
    before = [p.detach().clone() for p in restored.module_.parameters()]
    restored.partial_fit(X, y)  # continues from the loaded parameters
    after = list(restored.module_.parameters())
    moved = max(float((a - b).abs().max()) for a, b in zip(after, before, strict=True))
    assert 0 < moved < 0.1  # trained on, not re-initialised
    assert len(restored.history) == 2


def test_default_module_before_any_data(labelled):
    with pytest.raises(ValueError, match="pass module__n_features=<inputs per sample>"):
        WeightedSamplingClassifier().initialize()
    net = WeightedSamplingClassifier(module__n_features=6, classes=LABELS).initialize()
    assert net.module_.net[-1].out_features == 2


def test_checkpoint_resume_continues_the_history(labelled, tmp_path):
    X, y = labelled
    cp = Checkpoint(dirname=str(tmp_path), monitor=None)
    kw = dict(sampling="balanced", train_split=ValidSplit(4), random_state=0)
    WeightedSamplingClassifier(max_epochs=3, callbacks=[cp], **kw).fit(X, y)
    resumed = WeightedSamplingClassifier(
        max_epochs=3,
        callbacks=[Checkpoint(dirname=str(tmp_path), monitor=None), LoadInitState(cp)],
        **kw,
    ).fit(X, y)
    assert len(resumed.history) == 6


def test_pickle_round_trip_keeps_labels_and_predictions(labelled):
    X, y = labelled
    clf = WeightedSamplingClassifier(sampling="sqrt", **FAST).fit(X, y)
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict(X), clf.predict(X))
    assert list(restored.classes_) == list(LABELS)


# -- callbacks and scoring see what skorch gives them ----------------------------------
class KeepX(skorch.callbacks.Callback):
    def on_train_begin(self, net, X=None, y=None, **kwargs):
        self.X, self.y = X, y


@pytest.mark.parametrize(
    "labels", [np.array(["cat", "dog"]), np.array([-1, 1]), np.array([False, True])]
)
@pytest.mark.parametrize("use_caching", [True, False])
def test_epoch_scoring_is_right_for_any_labels(labels, use_caching):
    X, y = make_classification(400, 5, random_state=0)
    X, y = X.astype(np.float32), labels[y]
    valid = np.arange(300, 400)
    keep = KeepX()
    clf = WeightedSamplingClassifier(
        max_epochs=3,
        random_state=0,
        train_split=predefined_split(SkorchDataset(X[valid], y[valid])),
        callbacks=[
            ("keep", keep),
            ("acc", EpochScoring("accuracy", use_caching=use_caching, name="acc")),
            ("f1", EpochScoring("f1_macro", use_caching=use_caching, name="f1")),
        ],
    ).fit(X[:300], y[:300])
    assert keep.X is not None and keep.X.shape == (300, 5)  # the caller's X
    pred = clf.predict(X[valid])
    assert clf.history[-1, "acc"] == pytest.approx(accuracy_score(y[valid], pred))
    assert clf.history[-1, "f1"] == pytest.approx(f1_score(y[valid], pred, average="macro"))
    assert clf.history[-1, "valid_acc"] == pytest.approx(accuracy_score(y[valid], pred))


# -- skorch's own knobs -------------------------------------------------------------------
def test_custom_dataset_class_and_its_arguments_are_used(labelled):
    X, y = labelled
    made = []

    class Tagged(SkorchDataset):
        def __init__(self, X, y=None, tag=None, **kwargs):
            super().__init__(X, y, **kwargs)
            made.append(tag)

    clf = WeightedSamplingClassifier(
        dataset=Tagged, dataset__tag="mine", sampling="balanced", **FAST
    ).fit(X, y)
    assert made[0] == "mine"
    np.testing.assert_allclose(clf.sampling_prior_, [0.5, 0.5])


def test_iterator_train_as_a_partial(labelled):
    X, y = labelled
    seen = []

    def loader(dataset, **kwargs):
        seen.append(kwargs)
        return DataLoader(dataset, **kwargs)

    clf = WeightedSamplingClassifier(
        iterator_train=functools.partial(loader, num_workers=0), sampling="balanced", **FAST
    ).fit(X, y)
    assert seen and seen[0]["batch_size"] == 128 and "sampler" in seen[0]
    counts = np.array(clf.history[:, "drawn_class_counts"]).sum(axis=0)
    assert counts[1] / counts.sum() > 0.4  # the weighted draws reached the loader


def test_user_sampler_with_weights_by_drawing_is_refused(labelled):
    X, y = labelled
    mine = torch.utils.data.SequentialSampler(range(300))
    clf = WeightedSamplingClassifier(sampling="balanced", iterator_train__sampler=mine, **FAST)
    with pytest.raises(ValueError, match="iterator_train__sampler and sampling='balanced'"):
        clf.fit(X, y)


@pytest.mark.parametrize("kind", ["sampler", "batch_sampler"])
def test_user_sampler_with_loss_weighting(labelled, kind):
    X, y = labelled
    if kind == "sampler":
        knob = torch.utils.data.SequentialSampler(range(300))
    else:
        knob = torch.utils.data.BatchSampler(range(300), 64, drop_last=False)
    clf = WeightedSamplingClassifier(
        class_weight="balanced", **{f"iterator_train__{kind}": knob}, **FAST
    ).fit(X, y)
    assert clf.history[-1, "distinct_share"] == 1.0  # the user's order, every row
    np.testing.assert_allclose(clf.sampling_prior_, [0.5, 0.5])  # and the weights in the loss


@pytest.mark.parametrize("kind", ["sampler", "batch_sampler"])
@pytest.mark.parametrize(
    "lever, match",
    [
        ({"sampling": "balanced"}, "iterator_train__{kind} and sampling='balanced' both decide"),
        ({"sampling": ClassQuotas()}, "iterator_train__{kind} and sampling=ClassQuotas"),
        ({"sampling": BatchComposition()}, "iterator_train__{kind} and sampling=BatchComposition"),
    ],
)
def test_user_sampler_with_a_draw_lever_is_a_clear_error(labelled, kind, lever, match):
    X, y = labelled
    knob = torch.utils.data.SequentialSampler(range(300))
    if kind == "batch_sampler":
        knob = torch.utils.data.BatchSampler(knob, 64, drop_last=False)
    clf = WeightedSamplingClassifier(**lever, **{f"iterator_train__{kind}": knob}, **FAST)
    with pytest.raises(ValueError, match=re.escape(match.format(kind=kind).split("(")[0])):
        clf.fit(X, y)
    plain = WeightedSamplingClassifier(**{f"iterator_train__{kind}": knob}, **FAST)
    with pytest.raises(ValueError, match="sample_weight_in='loss'"):
        plain.fit(X, y, sample_weight=np.ones(300))
    # the mix it actually trained on, with a sampler of the user's: what it drew
    plain.fit(X, y)
    np.testing.assert_allclose(plain.sampling_prior_, np.unique(y, return_counts=True)[1] / 300)


# -- one owner for the training weights --------------------------------------------------
def test_one_fit_validates_once_parses_once_builds_one_sampler(labelled):
    X, y = labelled
    sw = np.linspace(0.5, 2.0, 300)
    with (
        patch.object(
            wsample_sk._inputs,
            "check_sampling_weights",
            wraps=wsample_sk._inputs.check_sampling_weights,
        ) as validated,
        patch.object(
            wsample_sk._params, "check_sampling", wraps=wsample_sk._params.check_sampling
        ) as parsed,
        patch.object(
            WeightedSampler, "__init__", autospec=True, side_effect=WeightedSampler.__init__
        ) as built,
    ):
        clf = WeightedSamplingClassifier(sampling="progressive", max_epochs=5, random_state=0)
        clf.fit(X, y, sample_weight=sw)
    assert validated.call_count == 1
    assert parsed.call_count == 1
    assert built.call_count == 1  # epoch 0 is uniform... then one sampler, re-weighted
    minority = [c[1] / sum(c) for c in clf.history[:, "drawn_class_counts"]]
    assert minority[-1] > minority[1]  # the schedule reached the sampler
