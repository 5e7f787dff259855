"""wsample_sk: weighted sampling as a scikit-learn-native part of PyTorch training.

Every public name has one import path:

* ``wsample_sk``: the estimator :class:`WeightedSamplingClassifier`, the
  samplers, the weighting strategies and weight validation;
* ``wsample_sk.callbacks``: skorch callbacks (:class:`~wsample_sk.callbacks.LossReweighting`);
* ``wsample_sk.modules``: the default network (:class:`~wsample_sk.modules.MLP`);
* ``wsample_sk.compare``: the side-by-side comparison with imbalanced-learn
  (needs the ``compare`` extra).

The implementation lives in ``_``-prefixed modules: ``_classifier`` (the
estimator, in terms of skorch's hooks), ``_schedule`` (the one owner of a
fit's training weights), ``_samplers``, ``_stratified`` (exact class
quotas), ``_loading`` (batch-at-once loading), ``_strategies``,
``_validation``, ``_labels``, ``_seeding`` and ``_parallel``.
"""

from ._classifier import WeightedSamplingClassifier
from ._samplers import (
    BatchIndexSampler,
    DistributedWeightedSampler,
    PermutationSampler,
    WeightedSampler,
)
from ._schedule import WeightSchedule
from ._strategies import (
    STRATEGIES,
    Strategy,
    check_sampling,
    class_sampling_distribution,
    compute_sampling_weights,
)
from ._stratified import BalancedBatchSampler, StratifiedSampler
from ._validation import check_sampling_weights

__version__ = "0.2.0"

__all__ = [
    "STRATEGIES",
    "BalancedBatchSampler",
    "BatchIndexSampler",
    "DistributedWeightedSampler",
    "PermutationSampler",
    "StratifiedSampler",
    "Strategy",
    "WeightSchedule",
    "WeightedSampler",
    "WeightedSamplingClassifier",
    "check_sampling",
    "check_sampling_weights",
    "class_sampling_distribution",
    "compute_sampling_weights",
]
