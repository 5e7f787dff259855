"""wsample_sk: weighted sampling as a scikit-learn-native part of PyTorch training."""

from .classifier import WeightedSamplingClassifier
from .samplers import (
    BatchIndexSampler,
    DistributedWeightedSampler,
    PermutationSampler,
    WeightedSampler,
)
from .strategies import (
    STRATEGIES,
    Strategy,
    class_sampling_distribution,
    compute_sampling_weights,
)
from .validation import check_sampling_weights

__version__ = "0.1.0"

__all__ = [
    "STRATEGIES",
    "BatchIndexSampler",
    "DistributedWeightedSampler",
    "PermutationSampler",
    "Strategy",
    "WeightedSampler",
    "WeightedSamplingClassifier",
    "check_sampling_weights",
    "class_sampling_distribution",
    "compute_sampling_weights",
]
