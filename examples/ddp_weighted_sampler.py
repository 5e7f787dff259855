"""
Weighted draws with DistributedDataParallel
===========================================

Two CPU processes (``gloo`` backend) train one model with
``DistributedDataParallel``. Every rank computes the same seeded weighted
draw per epoch and takes its own shard (``DistributedWeightedSampler``), so
together they see exactly one weighted draw. The script checks that the
shards are disjoint positions that together make up the draw, and that both
ranks end with the same model.

Then the same two processes fit one ``WeightedSamplingClassifier`` together:
called on every rank of the process group, ``fit`` shards the batches of one
common weighted draw across the ranks and averages gradients with
``DistributedDataParallel``; both ranks end with the same fitted model.

Run it as is (it starts its two processes with ``torch.multiprocessing``), or
with ``torchrun --nproc_per_node=2 ddp_weighted_sampler.py`` on one or more
machines. ``--json PATH`` writes the checks for a test to read.
"""

import argparse
import json
import os
import socket

import numpy as np
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from sklearn.datasets import make_classification
from skorch.callbacks import Callback
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, TensorDataset

from wsample_sk import (
    DistributedWeightedSampler,
    WeightedSamplingClassifier,
    compute_sampling_weights,
)
from wsample_sk.modules import MLP

EPOCHS = 3


def train(rank, world_size, json_path):
    dist.init_process_group("gloo", rank=rank, world_size=world_size)
    torch.manual_seed(0)  # same initial weights on every rank
    X, y = make_classification(2000, n_features=8, weights=[0.9], random_state=0)
    data = TensorDataset(torch.tensor(X, dtype=torch.float32), torch.tensor(y))
    sampler = DistributedWeightedSampler(compute_sampling_weights(y, "balanced"), seed=0)
    loader = DataLoader(data, batch_size=64, sampler=sampler)
    model = DistributedDataParallel(MLP(8, 2, hidden_units=(32,)))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    shards, draws = [], []
    for epoch in range(EPOCHS):
        sampler.set_epoch(epoch)
        shards.append(sampler.draw().tolist())
        draws.append(sampler.full_draw().tolist())
        for xb, yb in loader:
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(model(xb), yb).backward()
            optimizer.step()
    params = torch.cat([p.detach().flatten() for p in model.parameters()]).tolist()
    clf_result = fit_classifier(X, y)
    gathered = [None] * world_size
    dist.all_gather_object(
        gathered, {"shards": shards, "draws": draws, "params": params, **clf_result}
    )
    if rank == 0:
        report = check(gathered, y)
        report.update(check_classifier(gathered, X))
        print(json.dumps(report, indent=1))
        if json_path:
            with open(json_path, "w") as f:
                json.dump(report, f)
    dist.destroy_process_group()


class RecordRows(Callback):
    """The first feature of every training row this rank trains on, per epoch."""

    def initialize(self):
        self.epochs = []
        return self

    def on_epoch_begin(self, net, **kwargs):
        self.epochs.append([])

    def on_batch_begin(self, net, batch=None, training=False, **kwargs):
        if training:
            self.epochs[-1] += batch[0][:, 0].tolist()

    def on_epoch_end(self, net, **kwargs):
        plan = dict(net.callbacks_)["class_mix"].plan_  # the class-mix schedule's plan
        self.draws = getattr(self, "draws", []) + [plan.epoch_draw.tolist()]


def fit_classifier(X, y):
    record = RecordRows()
    clf = WeightedSamplingClassifier(
        sampling="balanced",
        max_epochs=EPOCHS,
        batch_size=64,
        random_state=None,
        callbacks=[("rows", record)],
    )
    clf.fit(X.astype(np.float32), y)  # on every rank: data-parallel
    params = torch.cat([p.detach().flatten() for p in clf.module_.parameters()]).tolist()
    return {
        "clf_rows": record.epochs,
        "clf_draws": record.draws,
        "clf_params": params,
        "clf_proba": clf.predict_proba(X[:50]).tolist(),
    }


def check_classifier(per_rank, X):
    """Each rank's rows are its share of one common draw; one model on both."""
    row_of = {float(np.float32(v)): i for i, v in enumerate(X[:, 0])}
    partitions = []
    for epoch in range(EPOCHS):
        draw = per_rank[0]["clf_draws"][epoch]
        same = all(r["clf_draws"][epoch] == draw for r in per_rank)
        rows = [sorted(row_of[v] for v in r["clf_rows"][epoch]) for r in per_rank]
        union = sorted(sum(rows, []))
        partitions.append(same and union == sorted(draw))
    ref = np.array(per_rank[0]["clf_params"])
    return {
        "classifier_shards_partition_the_draw": partitions,
        "classifier_rows_per_rank": [len(r["clf_rows"][0]) for r in per_rank],
        "classifier_max_param_difference": max(
            float(np.abs(np.array(r["clf_params"]) - ref).max()) for r in per_rank
        ),
        "classifier_same_predictions": all(
            r["clf_proba"] == per_rank[0]["clf_proba"] for r in per_rank
        ),
    }


def check(per_rank, y):
    world = len(per_rank)
    report = {"world_size": world, "epochs": []}
    for epoch in range(EPOCHS):
        draw = np.array(per_rank[0]["draws"][epoch])
        shards = [np.array(r["shards"][epoch]) for r in per_rank]
        interleaved = np.empty(sum(len(s) for s in shards), dtype=np.int64)
        for rank, shard in enumerate(shards):
            interleaved[rank::world] = shard
        report["epochs"].append(
            {
                "same_draw_on_every_rank": all(
                    r["draws"][epoch] == per_rank[0]["draws"][epoch] for r in per_rank
                ),
                "shard_lengths": [len(s) for s in shards],
                "shards_partition_the_draw": bool(np.array_equal(interleaved, draw)),
                "minority_share": float(np.mean(y[draw] == 1)),
            }
        )
    ref = np.array(per_rank[0]["params"])
    report["max_param_difference"] = max(
        float(np.abs(np.array(r["params"]) - ref).max()) for r in per_rank
    )
    return report


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    if "RANK" in os.environ:  # started by torchrun
        train(int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"]), args.json)
        return
    with socket.socket() as s:  # a free port on the loopback interface
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    mp.spawn(train, args=(2, args.json), nprocs=2, join=True)


if __name__ == "__main__":
    main()
