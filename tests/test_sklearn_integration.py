"""scikit-learn's own estimator checks, and the meta-estimators users combine it with."""

import numpy as np
import pytest
import sklearn
from imblearn.pipeline import Pipeline as ImbPipeline
from imblearn.under_sampling import RandomUnderSampler
from sklearn.metrics import balanced_accuracy_score, make_scorer
from sklearn.model_selection import GridSearchCV, cross_validate
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from wsample_sk import WeightedSamplingClassifier
from wsample_sk.sampling import ClassQuotas, WeightedDraws

# Weighted draws (and shuffled mini-batches in "loss" mode) are stochastic:
# fitting with integer weights cannot reproduce fitting on repeated rows to
# rtol=1e-7. scikit-learn lists the same check as an expected failure for its
# own stochastic estimators (SGD, forests, bagging, HistGradientBoosting).
_NOT_REPEATS = (
    "sample_weight drives random draws (or a mini-batch weighted loss), "
    "which is not equivalent to removing/repeating samples"
)
EXPECTED_FAILED_CHECKS = {
    "check_sample_weight_equivalence_on_dense_data": _NOT_REPEATS,
    "check_sample_weight_equivalence_on_sparse_data": _NOT_REPEATS,
}


_PER_CLASS = (
    "exact class quotas count rows per class; a multi-label target (a row holds several "
    "labels) refuses them with a clear error"
)
_QUOTAS_ARE_PER_CLASS = {
    name: _PER_CLASS
    for name in (
        "check_classifiers_multilabel_representation_invariance",
        "check_classifiers_multilabel_output_format_predict",
        "check_classifiers_multilabel_output_format_predict_proba",
        "check_classifiers_multilabel_output_format_decision_function",
    )
}


@parametrize_with_checks(
    [
        WeightedSamplingClassifier(),
        WeightedSamplingClassifier(sampling=WeightedDraws("balanced", replacement=False)),
        WeightedSamplingClassifier(class_weight="sqrt", sample_weight_in="loss"),
        WeightedSamplingClassifier(sampling=ClassQuotas("not majority")),
    ],
    expected_failed_checks=lambda est: {
        **EXPECTED_FAILED_CHECKS,
        **(_QUOTAS_ARE_PER_CLASS if isinstance(est.sampling, ClassQuotas) else {}),
    },
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


FAST = dict(max_epochs=5, random_state=0)


def minority_weights(y):
    """Weights that remove the minority class: its effect on fit is visible."""
    return (y == 0).astype(float)


def test_pipeline_step_sample_weight_without_routing(imbalanced):
    X, y = imbalanced
    pipe = make_pipeline(StandardScaler(), WeightedSamplingClassifier(**FAST))
    pipe.fit(X, y, weightedsamplingclassifier__sample_weight=minority_weights(y))
    clf = pipe[-1]
    np.testing.assert_allclose(clf.sampling_prior_, [1.0, 0.0])
    assert set(pipe.predict(X)) == {0}


@pytest.fixture
def routing():
    with sklearn.config_context(enable_metadata_routing=True):
        yield


def test_routing_through_pipeline_grid_search_and_cross_validate(imbalanced, routing):
    X, y = imbalanced
    sw = minority_weights(y)
    clf = WeightedSamplingClassifier(**FAST).set_fit_request(sample_weight=True)
    pipe = Pipeline(
        [("scale", StandardScaler().set_fit_request(sample_weight=False)), ("clf", clf)]
    )
    pipe.fit(X, y, sample_weight=sw)
    np.testing.assert_allclose(pipe[-1].sampling_prior_, [1.0, 0.0])

    scorer = make_scorer(balanced_accuracy_score).set_score_request(sample_weight=False)
    search = GridSearchCV(
        pipe, {"clf__sampling": [None, "balanced"]}, cv=2, scoring=scorer, refit=True
    )
    search.fit(X, y, sample_weight=sw)
    np.testing.assert_allclose(search.best_estimator_[-1].sampling_prior_, [1.0, 0.0])

    res = cross_validate(
        pipe, X, y, cv=2, scoring=scorer, params={"sample_weight": sw}, return_estimator=True
    )
    for est in res["estimator"]:
        np.testing.assert_allclose(est[-1].sampling_prior_, [1.0, 0.0])


def test_routing_on_without_request_is_an_error(imbalanced, routing):
    X, y = imbalanced
    pipe = Pipeline([("clf", WeightedSamplingClassifier(**FAST))])
    with pytest.raises(Exception, match="sample_weight"):
        pipe.fit(X, y, sample_weight=minority_weights(y))


def test_grid_search_over_strategies_in_parallel(imbalanced):
    X, y = imbalanced
    search = GridSearchCV(
        WeightedSamplingClassifier(**FAST),
        {"sampling": [None, "balanced", "sqrt", "effective"], "class_weight": [None, "balanced"]},
        scoring="balanced_accuracy",
        cv=2,
        n_jobs=2,
    ).fit(X, y)
    assert len(search.cv_results_["params"]) == 8
    assert search.best_params_["sampling"] is not None  # weighting helps at 9:1
    assert search.best_estimator_.predict(X).shape == (600,)


def test_grid_search_slices_sample_weight_without_routing(imbalanced):
    X, y = imbalanced
    search = GridSearchCV(WeightedSamplingClassifier(**FAST), {"lr": [0.001, 0.01]}, cv=2)
    search.fit(X, y, sample_weight=minority_weights(y))
    np.testing.assert_allclose(search.best_estimator_.sampling_prior_, [1.0, 0.0])


def test_last_step_of_an_imblearn_pipeline(imbalanced):
    X, y = imbalanced
    pipe = ImbPipeline(
        [
            ("under", RandomUnderSampler(random_state=0)),
            ("clf", WeightedSamplingClassifier(sampling="balanced", **FAST)),
        ]
    )
    pipe.fit(X, y)
    # the classifier saw the resampled, already balanced data
    np.testing.assert_allclose(pipe[-1].class_prior_, [0.5, 0.5])
    assert pipe.predict(X).shape == (600,)
