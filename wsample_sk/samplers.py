"""Fast torch samplers: weighted draws with no size ceiling.

:class:`WeightedSampler` is a drop-in for
:class:`torch.utils.data.WeightedRandomSampler` (same arguments) that

* draws with replacement in O(1) expected work per draw (a guide table over
  the cumulative weights, Chen & Asau 1974) instead of ``torch.multinomial``,
  so there is no 2^24 limit on the number of weights;
* draws without replacement by exponential keys (Efraimidis & Spirakis 2006):
  the ``k`` samples with the smallest ``log(E_i) - log(w_i)``, ``E_i`` standard
  exponential, in key order;
* gives reproducible per-epoch streams with :meth:`~WeightedSampler.set_epoch`.

:class:`PermutationSampler` is the unweighted counterpart (plain shuffling),
and :class:`BatchIndexSampler` turns either into batches of indices, so that a
dataset can fetch a whole batch with one indexing operation.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
from torch.utils.data import Sampler

from .validation import check_sampling_weights

__all__ = [
    "BatchIndexSampler",
    "DistributedWeightedSampler",
    "PermutationSampler",
    "WeightedSampler",
]

_CHUNK = 1 << 16  # draws per vectorised chunk: buffers that stay in cache


def _check_num_samples(num_samples: Any) -> int:
    if isinstance(num_samples, bool) or not isinstance(num_samples, (int, np.integer)):
        raise ValueError(f"num_samples must be a positive integer; got {num_samples!r}.")
    if num_samples <= 0:
        raise ValueError(f"num_samples must be positive; got {num_samples}.")
    return int(num_samples)


class _EpochSampler(Sampler[int]):
    """Seeding shared by the samplers: one numpy Generator per epoch.

    Without :meth:`set_epoch`, each pass draws a fresh seed from
    ``generator`` (or torch's global generator), as torch's samplers do. After
    ``set_epoch(e)``, the stream of epoch ``e`` is fixed by ``e`` and a base
    seed drawn once, so every process that shares the generator's seed draws
    the same indices for the same epoch.
    """

    def __init__(self, num_samples: int, generator: torch.Generator | None):
        self.num_samples = num_samples
        self.generator = generator
        self.epoch: int | None = None
        self._base_seed: int | None = None

    def _torch_seed(self) -> int:
        return int(torch.empty((), dtype=torch.int64).random_(generator=self.generator))

    def set_epoch(self, epoch: int) -> None:
        """Fix the stream of the next pass to that of ``epoch``."""
        self.epoch = int(epoch)

    def _rng(self) -> np.random.Generator:
        if self.epoch is None:
            return np.random.default_rng(self._torch_seed())
        if self._base_seed is None:
            self._base_seed = self._torch_seed()
        return np.random.default_rng([self._base_seed, self.epoch])

    def draw(self) -> np.ndarray:
        """Draw this pass's indices as one int64 array (no per-int overhead)."""
        return self._draw(self._rng())

    def _draw(self, rng: np.random.Generator) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def __iter__(self) -> Iterator[int]:
        yield from self.draw().tolist()

    def __len__(self) -> int:
        return self.num_samples


class WeightedSampler(_EpochSampler):
    """Draw indices with probability proportional to ``weights``.

    A drop-in for :class:`torch.utils.data.WeightedRandomSampler`: same
    arguments, same meaning, usable with a plain ``DataLoader``; faster, and
    with no limit on the number of weights.

    Parameters
    ----------
    weights : array-like of shape (n,)
        Relative weights, one per sample: finite, non-negative, positive
        total. They do **not** need to sum to one. Held as float64.
    num_samples : int, default=None
        Draws per pass; ``None`` means ``n``.
    replacement : bool, default=True
        Draw with replacement (i.i.d. draws). Without replacement, each index
        appears at most once, in order of selection (successive sampling);
        ``num_samples`` may then not exceed the number of positive weights.
    generator : torch.Generator, default=None
        Source of randomness; ``None`` uses torch's global generator.

    Attributes
    ----------
    weights : torch.Tensor of shape (n,), dtype float64
        The validated weights.

    Examples
    --------
    >>> import torch
    >>> from torch.utils.data import DataLoader, TensorDataset
    >>> from wsample_sk import WeightedSampler
    >>> sampler = WeightedSampler([1.0, 1.0, 8.0], num_samples=6,
    ...                           generator=torch.Generator().manual_seed(0))
    >>> len(list(sampler))
    6
    >>> loader = DataLoader(TensorDataset(torch.arange(3)), batch_size=2,
    ...                     sampler=sampler)
    >>> sum(len(b[0]) for b in loader)
    6
    """

    def __init__(
        self,
        weights: Any,
        num_samples: int | None = None,
        replacement: bool = True,
        generator: torch.Generator | None = None,
    ) -> None:
        w = check_sampling_weights(weights, name="weights")
        num_samples = len(w) if num_samples is None else _check_num_samples(num_samples)
        if not isinstance(replacement, bool):
            raise ValueError(f"replacement must be a bool; got {replacement!r}.")
        if not replacement:
            n_positive = int(np.count_nonzero(w))
            if num_samples > n_positive:
                raise ValueError(
                    f"Cannot draw {num_samples} samples without replacement: "
                    f"only {n_positive} weights are positive."
                )
        super().__init__(num_samples, generator)
        self.weights = torch.from_numpy(w)
        self.replacement = replacement
        self._w = w
        self._table: tuple[np.ndarray, np.ndarray, float] | None = None

    # -- with replacement: guide table over the cumulative sum --------------
    def _guide_table(self) -> tuple[np.ndarray, np.ndarray, float]:
        if self._table is None:
            cdf = np.cumsum(self._w)
            total = float(cdf[-1])
            n = len(cdf)
            # guide[j] = first i with cdf[i] > j * total / n
            guide = np.searchsorted(cdf, np.arange(n) * (total / n), side="right")
            self._table = (cdf, guide, total)
        return self._table

    def _draw_with_replacement(self, rng: np.random.Generator) -> np.ndarray:
        cdf, guide, total = self._guide_table()
        n = len(cdf)
        last = int(np.flatnonzero(self._w)[-1]) if self._w[-1] == 0 else n - 1
        out = np.empty(self.num_samples, dtype=np.int64)
        # Small chunks with reused buffers stay in cache and avoid page faults.
        size = min(_CHUNK, self.num_samples)
        u_buf, c_buf = np.empty(size), np.empty(size)
        for start in range(0, self.num_samples, size):
            m = min(size, self.num_samples - start)
            u, c, idx = u_buf[:m], c_buf[:m], out[start : start + m]
            rng.random(out=u)
            np.multiply(u, n, out=idx, casting="unsafe")  # bucket j = floor(u * n)
            np.minimum(idx, n - 1, out=idx)
            np.take(guide, idx, out=idx)
            u *= total
            np.take(cdf, idx, out=c)
            # Walk right while the cumulative weight does not exceed u; the
            # expected number of steps is at most one. Rare long walks (a run
            # of tiny weights in one bucket) finish with a binary search.
            todo = np.flatnonzero(c <= u)
            for _ in range(4):
                if not todo.size:
                    break
                idx[todo] += 1
                todo = todo[cdf[np.minimum(idx[todo], n - 1)] <= u[todo]]
            if todo.size:
                idx[todo] = np.searchsorted(cdf, u[todo], side="right")
            # u may round up to total; the last positive weight owns the edge
            np.minimum(idx, last, out=idx)
        return out

    # -- without replacement: exponential keys -------------------------------
    def _draw_without_replacement(self, rng: np.random.Generator) -> np.ndarray:
        positive = np.flatnonzero(self._w)
        keys = np.log(rng.standard_exponential(len(positive)))
        keys -= np.log(self._w[positive])
        k = self.num_samples
        if k < len(positive):
            chosen = np.argpartition(keys, k - 1)[:k]
            order = chosen[np.argsort(keys[chosen], kind="stable")]
        else:
            order = torch.argsort(torch.from_numpy(keys)).numpy()
        return positive[order]

    def _draw(self, rng: np.random.Generator) -> np.ndarray:
        if self.replacement:
            return self._draw_with_replacement(rng)
        return self._draw_without_replacement(rng)


class DistributedWeightedSampler(Sampler[int]):
    """Weighted draws for ``DistributedDataParallel``: one draw, sharded by rank.

    Every rank computes the same seeded draw of ``num_samples`` indices for
    the epoch (set with :meth:`set_epoch`, as for
    :class:`torch.utils.data.distributed.DistributedSampler`) and keeps the
    positions ``rank, rank + num_replicas, ...`` of it. The shards are
    disjoint positions of one draw of equal length, so their union has exactly
    the intended distribution.

    Parameters
    ----------
    weights : array-like of shape (n,)
        Relative weights, as for :class:`WeightedSampler`.
    num_replicas : int, default=None
        Number of processes; by default the world size of the initialised
        process group.
    rank : int, default=None
        This process's rank; by default from the process group.
    num_samples : int, default=None
        Draws per epoch over all ranks; ``None`` means ``n``.
    replacement : bool, default=True
        Draw with replacement.
    seed : int, default=0
        Must be the same on every rank.
    drop_last : bool, default=False
        Drop the tail of the draw so that it divides evenly; otherwise the
        draw is extended by its own head to the next multiple of
        ``num_replicas``.

    Examples
    --------
    >>> from wsample_sk import DistributedWeightedSampler
    >>> shards = [list(DistributedWeightedSampler([1, 2, 3, 4], num_replicas=2, rank=r))
    ...           for r in (0, 1)]
    >>> len(shards[0]) == len(shards[1]) == 2
    True
    """

    def __init__(
        self,
        weights: Any,
        num_replicas: int | None = None,
        rank: int | None = None,
        num_samples: int | None = None,
        replacement: bool = True,
        seed: int = 0,
        drop_last: bool = False,
    ) -> None:
        if num_replicas is None or rank is None:
            import torch.distributed as dist

            if not (dist.is_available() and dist.is_initialized()):
                raise ValueError(
                    "num_replicas and rank are required when no process group is initialised."
                )
            num_replicas = dist.get_world_size() if num_replicas is None else num_replicas
            rank = dist.get_rank() if rank is None else rank
        num_replicas = _check_num_samples(num_replicas)
        if isinstance(rank, bool) or not 0 <= int(rank) < num_replicas:
            raise ValueError(f"rank must be in [0, {num_replicas - 1}]; got {rank!r}.")
        self._sampler = WeightedSampler(weights, num_samples, replacement)
        self.num_replicas, self.rank = num_replicas, int(rank)
        self.seed, self.drop_last, self.epoch = int(seed), drop_last, 0
        total = self._sampler.num_samples
        self.num_samples = total // num_replicas if drop_last else math.ceil(total / num_replicas)
        if self.num_samples == 0:
            raise ValueError(
                f"{total} draws cannot be shared by {num_replicas} replicas with drop_last=True."
            )
        self.total_size = self.num_samples * num_replicas

    def set_epoch(self, epoch: int) -> None:
        """Select the epoch's draw; call it on every rank before each epoch."""
        self.epoch = int(epoch)

    def full_draw(self) -> np.ndarray:
        """The epoch's whole draw (all ranks), trimmed or padded to ``total_size``."""
        idx = self._sampler._draw(np.random.default_rng([self.seed, self.epoch]))
        if self.total_size <= len(idx):
            return idx[: self.total_size]
        return np.resize(idx, self.total_size)  # repeats the head, as DistributedSampler

    def draw(self) -> np.ndarray:
        """This rank's shard of the epoch's draw."""
        return self.full_draw()[self.rank :: self.num_replicas]

    def __iter__(self) -> Iterator[int]:
        yield from self.draw().tolist()

    def __len__(self) -> int:
        return self.num_samples


class PermutationSampler(_EpochSampler):
    """Plain shuffling: a fresh random order of ``range(n)`` every pass.

    Parameters
    ----------
    n : int
        The number of samples.
    num_samples : int, default=None
        Draws per pass; ``None`` means ``n``. Fewer than ``n`` takes the head
        of a permutation; more chains permutations.
    generator : torch.Generator, default=None
        Source of randomness; ``None`` uses torch's global generator.

    Examples
    --------
    >>> import torch
    >>> from wsample_sk.samplers import PermutationSampler
    >>> sorted(PermutationSampler(4, generator=torch.Generator().manual_seed(0)))
    [0, 1, 2, 3]
    """

    def __init__(
        self,
        n: int,
        num_samples: int | None = None,
        generator: torch.Generator | None = None,
    ) -> None:
        self.n = _check_num_samples(n)
        super().__init__(
            self.n if num_samples is None else _check_num_samples(num_samples), generator
        )

    def _draw(self, rng: np.random.Generator) -> np.ndarray:
        rounds = math.ceil(self.num_samples / self.n)
        out = np.concatenate([rng.permutation(self.n) for _ in range(rounds)])
        return out[: self.num_samples]


class BatchIndexSampler(Sampler):
    """Yield batches of indices as arrays, for datasets indexed by batch.

    Use it as ``DataLoader(dataset, sampler=BatchIndexSampler(...),
    batch_size=None)`` with a dataset whose ``__getitem__`` accepts an index
    array (such as :class:`wsample_sk.loading.ArrayDataset`): one indexing
    operation fetches a whole batch, with no per-row call or collate.

    Parameters
    ----------
    sampler : WeightedSampler, PermutationSampler or None
        Where indices come from. Any sampler with a ``draw()`` method returning
        an index array is used as a whole; another iterable of ints is
        collected first. ``None`` yields ``slice`` objects over ``range(n)``
        in order (views, no copy), for prediction.
    batch_size : int
        Indices per batch.
    drop_last : bool, default=False
        Drop a last, smaller batch.
    n : int, default=None
        The number of samples; required when ``sampler`` is None.
    as_lists : bool, default=False
        Yield lists of ints instead of tensors (for a ``DataLoader``'s
        ``batch_sampler=`` over a row-by-row dataset).
    num_replicas, rank : int, default=1, 0
        Data-parallel sharding: every replica draws the same indices (same
        seed) and yields batches ``rank, rank + num_replicas, ...`` of them;
        the list of batches is extended by its own head so that every replica
        yields the same number.

    Attributes
    ----------
    last_indices : ndarray or None
        The indices drawn for the latest pass (for statistics).

    Examples
    --------
    >>> from wsample_sk.samplers import BatchIndexSampler
    >>> list(BatchIndexSampler(None, batch_size=2, n=5))
    [slice(0, 2, None), slice(2, 4, None), slice(4, 5, None)]
    """

    def __init__(
        self,
        sampler: Any,
        batch_size: int,
        drop_last: bool = False,
        n: int | None = None,
        as_lists: bool = False,
        num_replicas: int = 1,
        rank: int = 0,
    ) -> None:
        self.sampler = sampler
        self.as_lists = as_lists
        self.num_replicas, self.rank = _check_num_samples(num_replicas), int(rank)
        if not 0 <= self.rank < self.num_replicas:
            raise ValueError(f"rank must be in [0, {self.num_replicas - 1}]; got {rank!r}.")
        self.last_indices: np.ndarray | None = None
        self.batch_size = _check_num_samples(batch_size)
        self.drop_last = drop_last
        if sampler is None and n is None:
            raise ValueError("n is required when sampler is None.")
        self.n = len(sampler) if sampler is not None else int(n)

    def __iter__(self) -> Iterator[Any]:
        bs, n = self.batch_size, self.n
        stop = n - n % bs if self.drop_last else n
        if self.sampler is None:
            for start in range(0, stop, bs):
                yield slice(start, min(start + bs, n))
            return
        if hasattr(self.sampler, "draw"):
            idx = self.sampler.draw()
        else:
            idx = np.fromiter(iter(self.sampler), dtype=np.int64, count=n)
        self.last_indices = idx
        idx = idx.tolist() if self.as_lists else torch.from_numpy(idx)
        starts = list(range(0, stop, bs))
        if self.num_replicas > 1:
            starts = (starts * self.num_replicas)[: len(self) * self.num_replicas]
            starts = starts[self.rank :: self.num_replicas]
        for start in starts:
            yield idx[start : start + bs]

    def __len__(self) -> int:
        n_batches = (
            self.n // self.batch_size if self.drop_last else math.ceil(self.n / self.batch_size)
        )
        return math.ceil(n_batches / self.num_replicas)
