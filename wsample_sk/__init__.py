"""wsample_sk: weighted sampling as a scikit-learn-native part of PyTorch training.

Every public name has one import path:

* ``wsample_sk``: the estimators :class:`WeightedSamplingClassifier` and
  :class:`WeightedSamplingRegressor`, the samplers, the weighted stream
  :class:`WeightedStream`, per-row weights and weight validation;
* ``wsample_sk.sampling``: every form of ``sampling=`` and ``class_weight=``
  (:class:`~wsample_sk.sampling.WeightedDraws`,
  :class:`~wsample_sk.sampling.ClassQuotas`,
  :class:`~wsample_sk.sampling.BatchComposition`,
  :class:`~wsample_sk.sampling.LossWeights`);
* ``wsample_sk.callbacks``: skorch callbacks (the class-mix schedule,
  :class:`~wsample_sk.callbacks.LossReweighting`);
* ``wsample_sk.losses``: imbalance-aware losses;
* ``wsample_sk.modules``: the default network (:class:`~wsample_sk.modules.MLP`);
* ``wsample_sk.compare``: the side-by-side comparison with imbalanced-learn
  (needs the ``compare`` extra).

The implementation lives in ``_``-prefixed modules: ``_estimator`` (what
both estimators share, in terms of skorch's hooks), ``_classifier`` and
``_regressor``, ``_target_kind`` (everything that differs by the kind of
target: one label, a label indicator, continuous values), ``_params`` (their
parameters and their rules), ``_inputs`` (the fit's data at the boundary),
``_schedule`` (the
class-mix callback) and ``_epoch_plan`` (its per-fit plan), ``_iterators``
(the loaders), ``_criteria`` (feeding the losses), ``_prediction`` (corrected
probabilities), ``_samplers``, ``_stratified`` (exact class quotas),
``_loading`` (batch-at-once loading), ``_strategies``, ``_validation``,
``_labels``, ``_seeding`` and ``_parallel``; ``_multilabel`` (draws over label
sets) and ``_multilabel_plan`` (the class mix of a multi-label fit);
``_density`` (target densities) and ``_continuous_plan`` (the mix of a fit on
a continuous target); ``_stream`` (weighted sampling of an ``IterableDataset``)
and ``_class_mix_sampler`` (the class mix as a plain sampler).
"""

from ._class_mix_sampler import ClassMixSampler, labels_of
from ._classifier import WeightedSamplingClassifier
from ._multilabel import ClassAwareSampler, class_aware_row_probabilities, rarity_weights
from ._regressor import WeightedSamplingRegressor
from ._samplers import (
    BatchIndexSampler,
    DistributedWeightedSampler,
    MiniEpochSampler,
    PermutationSampler,
    ShardedSampler,
    WeightedSampler,
)
from ._strategies import class_sampling_distribution, compute_sampling_weights
from ._stratified import BalancedBatchSampler, StratifiedSampler
from ._stream import WeightedStream
from ._validation import check_sampling_weights

__version__ = "0.5.0"

__all__ = [
    "BalancedBatchSampler",
    "BatchIndexSampler",
    "ClassAwareSampler",
    "ClassMixSampler",
    "DistributedWeightedSampler",
    "MiniEpochSampler",
    "PermutationSampler",
    "ShardedSampler",
    "StratifiedSampler",
    "WeightedSampler",
    "WeightedSamplingClassifier",
    "WeightedSamplingRegressor",
    "WeightedStream",
    "check_sampling_weights",
    "class_aware_row_probabilities",
    "class_sampling_distribution",
    "compute_sampling_weights",
    "labels_of",
    "rarity_weights",
]
