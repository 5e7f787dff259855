"""One concept for the class mix: its forms, sub-parameters, old spellings, and saved state."""

import pickle
import warnings

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.model_selection import GridSearchCV
from skorch.callbacks import Checkpoint, EarlyStopping, LoadInitState
from skorch.dataset import ValidSplit

from wsample_sk import WeightedSamplingClassifier
from wsample_sk.callbacks import ClassMixSchedule
from wsample_sk.losses import FocalLoss, LDAMLoss, LogitAdjustedLoss
from wsample_sk.sampling import (
    BatchComposition,
    ClassQuotas,
    LossWeights,
    WeightedDraws,
    check_sampling,
)

FAST = dict(max_epochs=2, random_state=0, batch_size=64)


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(300, 6, weights=[0.8], random_state=0)
    return X.astype(np.float32), y


FORMS = [
    None,
    "balanced",
    {0: 1.0, 1: 3.0},
    WeightedDraws("effective", beta=0.99, replacement=False),
    WeightedDraws("balanced", schedule="deferred", start=1),
    ClassQuotas("not majority", sampling_type="over-sampling"),
    BatchComposition(None, classes_per_batch=2, samples_per_class=8),
]


def test_one_grid_crosses_mechanisms_and_sub_parameters_with_class_weight(data):
    X, y = data
    grid = {
        "sampling": [
            WeightedDraws("sqrt"),
            ClassQuotas("auto"),
            BatchComposition("equal"),
            BatchComposition(None, classes_per_batch=2, samples_per_class=16),
        ],
        "class_weight": [None, "balanced"],
    }
    with pytest.warns(UserWarning, match="corrected twice"):
        search = GridSearchCV(
            WeightedSamplingClassifier(**FAST), grid, cv=2, scoring="balanced_accuracy"
        ).fit(X, y)
    assert len(search.cv_results_["params"]) == 8
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    text = str(search.best_params_)
    assert "sampling" in text and ("Draws" in text or "Quotas" in text or "Composition" in text)


@pytest.mark.parametrize("form", FORMS, ids=repr)
def test_clone_and_params_round_trip_every_form(data, form):
    X, y = data
    clf = WeightedSamplingClassifier(sampling=form, class_weight=LossWeights("sqrt"), **FAST)
    twin = clone(clf)
    assert twin.get_params()["sampling"] == form
    assert twin.get_params()["class_weight"] == LossWeights("sqrt")
    other = WeightedSamplingClassifier(**FAST).set_params(**clf.get_params(deep=False))
    assert other.get_params(deep=False)["sampling"] == form
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # sampling and class_weight both rebalance
        twin.fit(X, y)
    assert (twin.sampling_ is None) == (form is None)
    assert twin.class_weight_ == LossWeights("sqrt")


def test_sub_parameters_travel_with_the_form_and_are_refused_where_they_do_not_apply(data):
    X, y = data
    clf = WeightedSamplingClassifier(sampling="deferred", sampling__start=1, **FAST).fit(X, y)
    assert clf.sampling_ == WeightedDraws("balanced", schedule="deferred", start=1)
    assert clone(clf).get_params()["sampling__start"] == 1
    clf = WeightedSamplingClassifier(sampling=ClassQuotas, sampling__sampling_strategy=0.5, **FAST)
    assert clf.fit(X, y).sampling_ == ClassQuotas(0.5)
    for params, match in [
        ({"sampling": "sqrt", "sampling__beta": 0.9}, "beta applies to weights='effective'"),
        ({"sampling": "sqrt", "sampling__start": 2}, "start applies to schedule='deferred'"),
        ({"sampling": ClassQuotas(), "sampling__shares": "equal"}, "sampling__shares does not"),
        ({"sampling": None, "sampling__replacement": False}, "sampling is None"),
        ({"class_weight": "balanced", "class_weight__replacement": False}, "does not apply"),
        ({"class_weight": ClassQuotas()}, "goes to sampling="),
        ({"sampling": LossWeights()}, "LossWeights go to class_weight="),
    ]:
        with pytest.raises((ValueError, TypeError), match=match):
            WeightedSamplingClassifier(**params, **FAST).fit(X, y)


@pytest.mark.parametrize(
    "old, new",
    [
        ({"sampling_strategy": "auto"}, "sampling=ClassQuotas"),
        ({"batch_composition": "equal"}, "sampling=BatchComposition"),
        ({"weight_mode": "loss"}, "class_weight=.*sample_weight_in='loss'"),
        ({"beta": 0.9}, "sampling__beta"),
        ({"deferred_start": 3}, "sampling__start"),
        ({"samples_per_epoch": 2.0}, "sampling__samples_per_epoch"),
        ({"replacement": False}, "sampling__replacement"),
    ],
)
def test_old_spellings_name_the_new_one(old, new):
    with pytest.raises(TypeError, match=new):
        WeightedSamplingClassifier(**old)
    with pytest.raises(TypeError, match=new):
        WeightedSamplingClassifier().set_params(**old)


def test_a_pickle_of_version_0_2_names_the_new_spelling(data):
    clf = WeightedSamplingClassifier(**FAST)
    state = clf.__getstate__()
    state["weight_mode"] = "sample"  # what 0.2 pickled
    blob = pickle.dumps(clf)
    with pytest.raises(TypeError, match="0.2.*weight_mode"):
        WeightedSamplingClassifier.__new__(WeightedSamplingClassifier).__setstate__(state)
    pickle.loads(blob)  # today's pickles load


def test_the_schedule_is_a_default_callback_and_needed_by_the_levers(data):
    X, y = data
    clf = WeightedSamplingClassifier(sampling="balanced", **FAST).fit(X, y)
    assert isinstance(dict(clf.callbacks_)["class_mix"], ClassMixSchedule)
    for removed in ({"callbacks": "disable"}, {"callbacks__class_mix": None}):
        with pytest.raises(ValueError, match="needs the class-mix callback"):
            WeightedSamplingClassifier(sampling="balanced", **removed, **FAST).fit(X, y)
        plain = WeightedSamplingClassifier(**removed, **FAST).fit(X, y)  # no lever: skorch's loop
        assert plain.predict(X).shape == (300,)


# -- fitted state travels with the model ---------------------------------------------------
CRITERIA = [
    dict(criterion=LogitAdjustedLoss, sampling="balanced"),
    dict(criterion=LDAMLoss, class_weight="deferred"),
    dict(criterion=FocalLoss, criterion__alpha="balanced"),
    dict(sampling="sqrt", proba_correction="prior", logit_adjustment=1.0),
]


@pytest.mark.parametrize("params", CRITERIA, ids=lambda p: str(p.get("criterion", "prior")))
def test_a_restore_without_data_predicts_the_same(data, tmp_path, params):
    X, y = data
    cp = Checkpoint(dirname=str(tmp_path), monitor=None)
    fitted = WeightedSamplingClassifier(callbacks=[cp], **{**params, **FAST}).fit(X, y)
    expected = fitted.predict_proba(X)
    fresh = WeightedSamplingClassifier(
        module__n_features=6, classes=[0, 1], **{**params, **FAST}
    ).initialize()
    fresh.load_params(checkpoint=cp)
    np.testing.assert_array_equal(fresh.predict_proba(X), expected)
    np.testing.assert_array_equal(fresh.predict(X), fitted.predict(X))
    np.testing.assert_array_equal(fresh.sampling_prior_, fitted.sampling_prior_)
    resumed = WeightedSamplingClassifier(
        max_epochs=0, callbacks=[LoadInitState(cp)], **{k: v for k, v in params.items()},
        random_state=0, batch_size=64,
    ).fit(X, y)  # fmt: skip
    np.testing.assert_array_equal(resumed.predict_proba(X), expected)
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.predict_proba(X), expected)


def test_a_restore_without_history_says_what_is_missing(data, tmp_path):
    X, y = data
    fitted = WeightedSamplingClassifier(sampling="sqrt", proba_correction="prior", **FAST)
    fitted.fit(X, y).save_params(f_params=str(tmp_path / "p.pt"))
    fresh = WeightedSamplingClassifier(
        module__n_features=6, classes=[0, 1], proba_correction="prior", **FAST
    ).initialize()
    fresh.load_params(f_params=str(tmp_path / "p.pt"))
    with pytest.raises(ValueError, match="load_params\\(f_history=...\\)"):
        fresh.predict_proba(X)


def test_load_best_reports_the_mix_of_the_kept_epoch(data):
    X, y = data
    stop = EarlyStopping(monitor="train_loss", patience=1, threshold=1e9, load_best=True)
    clf = WeightedSamplingClassifier(
        sampling="progressive", callbacks=[stop], max_epochs=5, random_state=0
    ).fit(X, y)
    kept = clf.history[stop.best_epoch_ - 1, "sampling_prior"]
    np.testing.assert_array_equal(clf.sampling_prior_, kept)
    assert not np.allclose(kept, clf.history[-1, "sampling_prior"])


def test_class_counts_buffers_load_into_a_fresh_loss():
    trained = LogitAdjustedLoss(class_counts=[80, 20])
    trained.set_training_mix([0.5, 0.5])
    fresh = LogitAdjustedLoss()
    fresh.load_state_dict(trained.state_dict())
    z, t = torch.randn(4, 2), torch.tensor([0, 1, 1, 0])
    torch.testing.assert_close(fresh(z, t), trained(z, t))


# -- found by a review ---------------------------------------------------------------------
def test_a_validation_split_with_corrections_scores_every_epoch(data):
    X, y = data
    for params in ({"proba_correction": "prior"}, {"logit_adjustment": 1.0}):
        clf = WeightedSamplingClassifier(
            sampling="balanced", train_split=ValidSplit(4), **params, **FAST
        ).fit(X, y)
        assert len(clf.history[:, "valid_acc"]) == 2  # valid_acc predicts with the mix


def test_all_zero_class_weights_are_an_error_not_the_unweighted_model(data):
    X, y = data
    for params in ({"sampling": {0: 0.0, 1: 0.0}}, {"class_weight": {0: 0.0, 1: 0.0}}):
        with pytest.raises(ValueError, match="zero for every training row"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                WeightedSamplingClassifier(**params, **FAST).fit(X, y)


def test_a_sub_parameter_does_not_silently_replace_the_form():
    with pytest.raises(ValueError, match="sampling__weights='sqrt' would replace"):
        check_sampling("balanced", weights="sqrt")
    with pytest.raises(ValueError, match="sampling__schedule='progressive' would replace"):
        check_sampling("deferred", schedule="progressive")
    assert check_sampling(WeightedDraws(), weights="sqrt") == WeightedDraws("sqrt")  # a template


@pytest.mark.parametrize(
    "sampling, class_weight",
    [
        ({1: 1.0}, "balanced"),
        ({0: 2.0, 1: 2.0}, "balanced"),  # a constant dict changes no mix
        (ClassQuotas({0: 239, 1: 61}), "balanced"),  # the natural counts of `data`
        (BatchComposition("stratified"), "balanced"),
        ("balanced", {0: 3.0, 1: 3.0}),
    ],
    ids=repr,
)
def test_no_double_correction_warning_unless_both_levers_reweight(data, sampling, class_weight):
    X, y = data
    assert np.bincount(y).tolist() == [239, 61]
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        clf = WeightedSamplingClassifier(sampling=sampling, class_weight=class_weight, **FAST)
        clf.fit(X, y)


@pytest.mark.parametrize(
    "sampling, class_weight",
    [
        (ClassQuotas("auto"), "balanced"),
        ({0: 1.0, 1: 2.0}, {0: 1.0, 1: 2.0}),
        ("progressive", "deferred"),
        (BatchComposition("equal"), LossWeights("sqrt")),
    ],
    ids=repr,
)
def test_the_double_correction_warning_when_both_reweight(data, sampling, class_weight):
    X, y = data
    clf = WeightedSamplingClassifier(sampling=sampling, class_weight=class_weight, **FAST)
    with pytest.warns(UserWarning, match="corrected twice"):
        clf.fit(X, y)


def test_extreme_lr_and_sampler_with_shuffle_are_clear_errors(data):
    X, y = data
    with pytest.raises(ValueError, match="'lr' parameter"):
        WeightedSamplingClassifier(lr=1e300, **FAST).fit(X, y)
    mine = torch.utils.data.SequentialSampler(range(300))
    clf = WeightedSamplingClassifier(
        iterator_train__sampler=mine, iterator_train__shuffle=True, **FAST
    )
    with pytest.raises(ValueError, match="mutually exclusive"):
        clf.fit(X, y)


@pytest.mark.parametrize(
    "params",
    [
        dict(sampling="sqrt"),
        dict(class_weight="balanced"),
        dict(sampling="effective", sampling__beta=0.9),
        dict(class_weight="effective", class_weight__beta=0.5),
        dict(sample_weight_in="loss", proba_correction="prior", logit_adjustment=1.0),
    ],
    ids=lambda p: ",".join(p),
)
def test_set_params_of_the_class_mix_on_a_fitted_net_takes_effect_at_the_next_fit(data, params):
    X, y = data
    clf = WeightedSamplingClassifier(**FAST).fit(X, y)
    module = clf.module_
    assert clf.set_params(**params) is clf
    assert clf.module_ is module  # nothing re-initialised by set_params itself
    clf.fit(X, y, sample_weight=np.ones(len(y)))
    sub = {k.split("__")[1]: v for k, v in params.items() if k.startswith("sampling__")}
    assert clf.sampling_ == check_sampling(params.get("sampling"), **sub)
    for key, value in params.items():
        assert clf.get_params()[key] == value
    if "class_weight" in params:
        assert clf.class_weight_.weights == params["class_weight"]


def test_set_params_of_the_class_mix_after_initialize_and_in_a_fitted_pipeline(data):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = data
    clf = WeightedSamplingClassifier(module__n_features=6, classes=[0, 1], **FAST).initialize()
    clf.set_params(sampling="balanced", sampling__replacement=False).partial_fit(X, y)
    assert clf.sampling_ == WeightedDraws("balanced", replacement=False)
    pipe = make_pipeline(StandardScaler(), WeightedSamplingClassifier(**FAST)).fit(X, y)
    pipe.set_params(weightedsamplingclassifier__sampling=ClassQuotas("auto")).fit(X, y)
    assert pipe[-1].sampling_ == ClassQuotas("auto")
    # a sub-parameter that does not apply is refused at the next fit, naming it
    pipe.set_params(weightedsamplingclassifier__sampling__beta=0.9)
    with pytest.raises(ValueError, match="sampling__beta does not apply"):
        pipe.fit(X, y)


def test_a_logit_adjusted_model_restored_without_its_criterion_refuses_to_correct(data, tmp_path):
    X, y = data
    kw = dict(criterion=LogitAdjustedLoss, proba_correction="prior", **FAST)
    fitted = WeightedSamplingClassifier(**kw).fit(X, y)
    files = dict(f_params=tmp_path / "p.pt", f_history=tmp_path / "h.json")
    fitted.save_params(**files, f_criterion=tmp_path / "c.pt")
    fresh = WeightedSamplingClassifier(module__n_features=6, classes=[0, 1], **kw).initialize()
    fresh.load_params(**files)
    with pytest.raises(ValueError, match=r"holds none .* load_params\(f_criterion=\.\.\.\)"):
        fresh.predict_proba(X)
    fresh.load_params(f_criterion=tmp_path / "c.pt")
    np.testing.assert_allclose(fresh.predict_proba(X), fitted.predict_proba(X), rtol=1e-6)


def test_the_schedule_length_can_be_set_for_a_stream_of_partial_fits(data):
    X, y = data
    whole = WeightedSamplingClassifier(sampling="progressive", **{**FAST, "max_epochs": 4}).fit(
        X, y
    )
    stream = WeightedSamplingClassifier(
        sampling="progressive", callbacks__class_mix__epochs=4, **{**FAST, "max_epochs": 1}
    )
    for _ in range(4):
        stream.partial_fit(X, y)
    expected = whole.history[:, "sampling_prior"]
    np.testing.assert_allclose(stream.history[:, "sampling_prior"], expected)
    assert stream.history[-1, "class_mix_epochs"] == 4
    # without the length, the schedule of a one-epoch fit is over at once
    jumpy = WeightedSamplingClassifier(sampling="progressive", **{**FAST, "max_epochs": 1})
    for _ in range(2):
        jumpy.partial_fit(X, y)
    np.testing.assert_allclose(jumpy.history[-1, "sampling_prior"], [0.5, 0.5])
    with pytest.raises(ValueError, match="callbacks__class_mix__epochs"):
        WeightedSamplingClassifier(callbacks__class_mix__epochs=0, **FAST).fit(X, y)


def test_an_early_stop_before_the_schedule_reaches_balance_warns(data):
    X, y = data
    stop = EarlyStopping(monitor="train_loss", patience=1, threshold=10.0)  # stops at once
    clf = WeightedSamplingClassifier(
        sampling="deferred", callbacks=[stop], **{**FAST, "max_epochs": 10}
    )
    with pytest.warns(UserWarning, match="stopped at epoch 1 .* full weights at epoch 8 .*never"):
        clf.fit(X, y)
    with warnings.catch_warnings():  # a fit that runs its epochs, or reaches balance: silent
        warnings.simplefilter("error", UserWarning)
        WeightedSamplingClassifier(sampling="deferred", **{**FAST, "max_epochs": 3}).fit(X, y)
        clf.set_params(sampling="balanced").fit(X, y)


def test_a_full_pass_without_replacement_records_the_natural_mix(data):
    X, y = data
    kw = dict(sampling="balanced", sampling__replacement=False, **FAST)
    clf = WeightedSamplingClassifier(proba_correction="prior", **kw).fit(X, y)
    assert clf.history[0, "drawn_class_counts"] == np.bincount(y).tolist()  # every row once
    np.testing.assert_allclose(clf.sampling_prior_, clf.class_prior_)  # the weights set order
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # the draws do not rebalance
        WeightedSamplingClassifier(class_weight="balanced", **kw).fit(X, y)
    part = WeightedSamplingClassifier(sampling__samples_per_epoch=0.4, **kw).fit(X, y)
    drawn, mixes = part.history[:, "drawn_class_counts"], part.history[:, "sampling_prior"]
    for counts, mix in zip(drawn, mixes, strict=True):
        np.testing.assert_allclose(mix, np.array(counts) / sum(counts))  # what was drawn


def test_criterion_class_weights_count_in_the_double_correction_warning(data):
    X, y = data
    clf = WeightedSamplingClassifier(
        sampling="balanced", criterion=FocalLoss, criterion__alpha="balanced", **FAST
    )
    with pytest.warns(UserWarning, match="the criterion's own class weights both correct"):
        clf.fit(X, y)


def test_continuing_past_the_schedule_without_its_length_warns(data):
    X, y = data
    stream = WeightedSamplingClassifier(sampling="deferred", **{**FAST, "max_epochs": 1})
    stream.partial_fit(X, y)
    with pytest.warns(UserWarning, match="schedule of 1 epochs .* is over.*class_mix__epochs"):
        stream.partial_fit(X, y)
