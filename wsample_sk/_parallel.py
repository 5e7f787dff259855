"""Data-parallel plumbing: the process group a fit runs in, if any.

When ``fit`` is called on every rank of an initialised ``torch.distributed``
group of two or more processes, the classifier trains one model with
``DistributedDataParallel``: rank 0's seed is shared, every rank draws the
same indices per epoch and trains on its own share of the batches.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import torch

__all__ = ["data_parallel", "shared_seed", "world"]


def world() -> tuple[int, int]:
    """``(world size, rank)``; ``(1, 0)`` outside a process group of two or more."""
    dist = torch.distributed
    if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
        return dist.get_world_size(), dist.get_rank()
    return 1, 0


def shared_seed(seed: int) -> int:
    """Rank 0's ``seed`` on every rank (unchanged on a single process)."""
    if world()[0] == 1:
        return seed
    shared = [seed]
    torch.distributed.broadcast_object_list(shared, src=0)
    return int(shared[0])


@contextlib.contextmanager
def data_parallel(net: Any) -> Iterator[None]:
    """Wrap ``net.module_`` in ``DistributedDataParallel`` for the duration."""
    if world()[0] == 1:
        yield
        return
    net.module_ = torch.nn.parallel.DistributedDataParallel(net.module_)
    try:
        yield
    finally:
        net.module_ = net.module_.module
