"""
A weighted stream of shards, read by two workers, interrupted and resumed
=========================================================================

A stream (an ``IterableDataset``: WebDataset shards, Hugging Face streaming, a
database cursor) has no indices to draw, so torch's ``WeightedRandomSampler``
cannot weight it. :class:`~wsample_sk.WeightedStream` weights it by
repetition: rows of the rare class are emitted several times and rows of the
common class once or not at all, so that both classes come out about equally
often (``sampling="balanced"``; the class shares are estimated as the stream
goes), the copies shuffled in a bounded buffer. Here the source is eight
"shards" of rows; each ``DataLoader`` worker reads every other row of them
(the stream shards itself by worker), so every row is read by exactly one
worker.

The pass is interrupted after 40 batches. torchdata's ``StatefulDataLoader``
takes the state of the loader, which includes the stream's state in each
worker; a new loader loads it and finishes the pass. The batches of the
interrupted and resumed pass are the same as those of an uninterrupted one.
"""

import itertools

import matplotlib.pyplot as plt
import numpy as np
import torch
from torchdata.stateful_dataloader import StatefulDataLoader

from wsample_sk import WeightedStream

rng = np.random.default_rng(0)
SHARDS = [  # eight shards of 500 rows: 32 features and a label, 1 in 10 rows of class 1
    [(rng.normal(size=32).astype(np.float32), int(rng.random() < 0.1)) for _ in range(500)]
    for _ in range(8)
]


def read_shards():
    """The stream, read again for every pass (as one would open the shard files)."""
    for shard in SHARDS:
        yield from shard


def make_stream():
    return WeightedStream(
        read_shards, label=lambda row: row[1], sampling="balanced", buffer_size=256, seed=0
    )


def loader(stream):
    return StatefulDataLoader(stream, batch_size=50, num_workers=2)


whole = [batch[1] for batch in loader(make_stream())]

first = loader(make_stream())
head = [batch[1] for batch in itertools.islice(first, 40)]
state = first.state_dict()  # taken mid-pass: the stream's state in each worker
second = loader(make_stream())
second.load_state_dict(state)
tail = [batch[1] for batch in second]

same = len(head) + len(tail) == len(whole) and all(
    torch.equal(a, b) for a, b in zip(head + tail, whole, strict=True)
)
labels = torch.cat(whole).numpy()
print(f"rows in one pass: {len(labels)} (4,000 read); rare class share {labels.mean():.2f} "
      f"(0.10 in the source)")  # fmt: skip
print(f"interrupted after {len(head)} batches, resumed for {len(tail)}: same batches as an "
      f"uninterrupted pass: {same}")  # fmt: skip
assert same

fig, ax = plt.subplots(figsize=(6, 3))
share = [float(b.float().mean()) for b in whole]
ax.plot(share, ".-", label="rare class share per batch")
ax.axvline(len(head) - 0.5, color="k", ls="--", label="interrupted and resumed here")
ax.axhline(0.5, color="0.6", lw=1)
ax.set(xlabel="batch", ylabel="share of class 1", ylim=(0, 1), title="A balanced stream")
ax.legend(fontsize=8)
fig.tight_layout()
