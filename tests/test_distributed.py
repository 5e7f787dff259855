"""Beyond one process: sharded weighted draws (DDP) and grid search on dask."""

import json
import subprocess
import sys
from pathlib import Path

import joblib
import numpy as np
import pytest
import torch
from scipy import stats
from sklearn.model_selection import GridSearchCV

from wsample_sk import (
    DistributedWeightedSampler,
    WeightedSamplingClassifier,
)

EXAMPLE = Path(__file__).parents[1] / "examples" / "ddp_weighted_sampler.py"


def shards(weights, world, **kwargs):
    samplers = [
        DistributedWeightedSampler(weights, num_replicas=world, rank=r, **kwargs)
        for r in range(world)
    ]
    return samplers, [s.draw() for s in samplers]


@pytest.mark.parametrize(
    "n, world, drop_last", [(1000, 2, False), (1001, 4, False), (1001, 4, True), (10, 3, False)]
)
def test_shards_are_disjoint_positions_of_one_draw(n, world, drop_last):
    w = np.random.default_rng(0).random(n)
    samplers, parts = shards(w, world, seed=5, drop_last=drop_last)
    draw = samplers[0].full_draw()
    assert all(np.array_equal(s.full_draw(), draw) for s in samplers)
    assert len({len(p) for p in parts}) == 1 and len(parts[0]) == len(samplers[0])
    interleaved = np.empty(len(draw), dtype=np.int64)
    for rank, part in enumerate(parts):
        interleaved[rank::world] = part
    np.testing.assert_array_equal(interleaved, draw)
    expected = n // world * world if drop_last else -(-n // world) * world
    assert len(draw) == expected


def test_union_has_the_intended_distribution():
    w = np.array([1.0, 2.0, 3.0, 4.0])
    _, parts = shards(w, 2, num_samples=40_000, seed=1)
    counts = np.bincount(np.concatenate(parts), minlength=4)
    assert stats.chisquare(counts, w / w.sum() * counts.sum()).pvalue > 1e-3


def test_epochs_and_seeds():
    w = np.ones(100)
    s = DistributedWeightedSampler(w, num_replicas=2, rank=0, seed=0)
    e0 = s.draw()
    s.set_epoch(1)
    assert not np.array_equal(s.draw(), e0)
    s.set_epoch(0)
    np.testing.assert_array_equal(s.draw(), e0)
    other = DistributedWeightedSampler(w, num_replicas=2, rank=0, seed=1)
    assert not np.array_equal(other.draw(), e0)


def test_without_replacement_shards_never_overlap():
    _, parts = shards(np.arange(1, 101, dtype=float), 2, replacement=False)
    assert len(np.intersect1d(parts[0], parts[1])) == 0
    assert sorted(np.concatenate(parts).tolist()) == list(range(100))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(num_replicas=2, rank=2), r"rank must be in \[0, 1\]"),
        (dict(num_replicas=2), "no process group"),
        (dict(num_replicas=20, rank=0, drop_last=True), "cannot be shared by 20"),
        (dict(num_replicas=2, rank=0, weights=[1, -1]), "non-negative"),
    ],
)
def test_errors(kwargs, match):
    kwargs.setdefault("weights", np.ones(10))
    with pytest.raises(ValueError, match=match):
        DistributedWeightedSampler(**kwargs)


def test_two_gloo_processes_train_the_same_model_and_classifier(tmp_path):
    out = tmp_path / "ddp.json"
    done = subprocess.run(
        [sys.executable, str(EXAMPLE), "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(out.read_text())
    assert report["world_size"] == 2
    for epoch in report["epochs"]:
        assert epoch["same_draw_on_every_rank"] and epoch["shards_partition_the_draw"]
        assert epoch["shard_lengths"] == [1000, 1000]
        assert 0.45 < epoch["minority_share"] < 0.55  # balanced draws over both ranks
    assert report["max_param_difference"] == 0.0
    # the classifier, fitted on both ranks: shares of one draw, one model
    assert report["classifier_shards_partition_the_draw"] == [True, True, True]
    assert sum(report["classifier_rows_per_rank"]) == 2000
    assert report["classifier_max_param_difference"] == 0.0
    assert report["classifier_same_predictions"]


def test_grid_search_on_a_dask_cluster(imbalanced):
    distributed = pytest.importorskip("dask.distributed")
    X, y = imbalanced
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            host="127.0.0.1",
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        search = GridSearchCV(
            WeightedSamplingClassifier(max_epochs=3, random_state=0),
            {"sampling": [None, "balanced", "sqrt"]},
            cv=2,
            scoring="balanced_accuracy",
            n_jobs=-1,
        )
        with joblib.parallel_backend("dask"):
            search.fit(X, y)
        workers = client.run(lambda: torch.get_num_threads())
    assert len(workers) == 2
    assert len(search.cv_results_["params"]) == 3
    local = GridSearchCV(
        WeightedSamplingClassifier(max_epochs=3, random_state=0),
        {"sampling": [None, "balanced", "sqrt"]},
        cv=2,
        scoring="balanced_accuracy",
    ).fit(X, y)
    np.testing.assert_allclose(
        search.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"]
    )
