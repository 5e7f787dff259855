"""Fast torch samplers: weighted draws with no size ceiling, resumable.

:class:`WeightedSampler` is a drop-in for
:class:`torch.utils.data.WeightedRandomSampler` (same arguments) that

* draws with replacement in O(1) expected work per draw (a guide table over
  the cumulative weights, Chen & Asau 1974) instead of ``torch.multinomial``,
  so there is no 2^24 limit on the number of weights;
* draws without replacement by exponential keys (Efraimidis & Spirakis 2006):
  the ``k`` samples with the smallest ``log(E_i) - log(w_i)``, ``E_i`` standard
  exponential, in key order;
* takes new weights between passes (assigned, or changed in place);
* gives reproducible per-epoch streams with :meth:`~WeightedSampler.set_epoch`
  and resumes mid-pass with ``state_dict`` / ``load_state_dict``.

:class:`PermutationSampler` is the unweighted counterpart (plain shuffling),
:class:`BatchIndexSampler` turns either into batches of indices (so that a
dataset can fetch a whole batch with one indexing operation), and
:class:`DistributedWeightedSampler` shards one weighted draw across
``DistributedDataParallel`` ranks.
"""

from __future__ import annotations

import math
import numbers
import operator
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
import torch
from torch.utils.data import Sampler

from ._validation import (
    check_count,
    check_flag,
    check_num_draws,
    check_sampling_weights,
    check_world,
    relative,
)

__all__ = [
    "BatchIndexSampler",
    "DistributedWeightedSampler",
    "MiniEpochSampler",
    "PermutationSampler",
    "ShardedSampler",
    "WeightedSampler",
]

_CHUNK = 1 << 16  # draws per vectorised chunk: buffers that stay in cache


# -- the draws, as pure functions of a numpy Generator --------------------------
class _GuideTable:
    """Cumulative relative weights and a guide table for O(1) expected draws."""

    def __init__(self, weights: np.ndarray) -> None:
        cdf = np.cumsum(relative(weights))  # relative: never overflows
        n = len(cdf)
        self.cdf, self.total, self.n = cdf, float(cdf[-1]), n
        # guide[j] = first i with cdf[i] > j * total / n
        self.guide = np.searchsorted(cdf, np.arange(n) * (self.total / n), side="right")
        positive = np.flatnonzero(weights)
        self.last = int(positive[-1])

    def draw(self, k: int, rng: np.random.Generator) -> np.ndarray:
        cdf, guide, total, n = self.cdf, self.guide, self.total, self.n
        out = np.empty(k, dtype=np.int64)
        # Small chunks with reused buffers stay in cache and avoid page faults.
        size = min(_CHUNK, k)
        u_buf, c_buf = np.empty(size), np.empty(size)
        for start in range(0, k, size):
            m = min(size, k - start)
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
            np.minimum(idx, self.last, out=idx)
        return out


def _group_codes(groups: np.ndarray) -> np.ndarray:
    """Groups as codes ``0 ..``: class codes as they are (O(n)), others via unique."""
    if groups.dtype.kind in "iu" and len(groups) and groups.min() >= 0:
        if groups.max() < 2 * len(groups) + 16:
            return groups.astype(np.intp, copy=False)
    return np.unique(groups, return_inverse=True)[1]


def _drop_empty(inverse: np.ndarray, counts: np.ndarray):
    """Renumber codes so that no group is empty."""
    if counts.all():
        return inverse, counts
    present = np.flatnonzero(counts)
    new = np.full(len(counts), -1)
    new[present] = np.arange(len(present))
    return new[inverse], counts[present]


class _GroupTable:
    """Two-stage draws for weights constant within groups (classes).

    A draw picks a group with probability (its rows x its weight) / total,
    then a row of it uniformly, both from one uniform number: where it falls
    among the groups' cumulative masses gives the group, where it falls
    within that group's interval the row. One gather from a row table
    (int32 when it fits) per draw, instead of a walk over ``n`` cumulative
    weights.
    """

    _FEW = 16  # up to this many groups, compare with each boundary; else search

    def __init__(self, weights: np.ndarray, groups: np.ndarray) -> None:
        inverse = _group_codes(groups)
        counts = np.bincount(inverse)
        inverse, counts = _drop_empty(inverse, counts)
        small = len(weights) < 2**31
        self.order = np.argsort(inverse, kind="stable").astype(np.int32 if small else np.int64)
        self.offsets = np.r_[0, np.cumsum(counts)[:-1]].astype(np.float64)
        self.ends = np.cumsum(counts) - 1
        mass = relative(weights)[self.order[self.offsets.astype(np.int64)]] * counts
        cdf = np.cumsum(mass / mass.sum())
        cdf[-1] = 1.0
        self.bounds = cdf[:-1]
        self.lo = np.r_[0.0, cdf[:-1]]
        width = cdf - self.lo
        self.scale = np.divide(counts, width, out=np.zeros(len(counts)), where=width > 0)

    @staticmethod
    def fits(weights: np.ndarray, groups: np.ndarray) -> bool:
        """Whether ``weights`` are constant within each group."""
        inverse = _group_codes(groups)
        first = np.full(inverse.max() + 1, np.nan)
        first[inverse[::-1]] = weights[::-1]  # any one weight of each group
        return bool(np.all(weights == first[inverse]))

    def draw(self, k: int, rng: np.random.Generator) -> np.ndarray:
        out = np.empty(k, dtype=np.int64)
        size = min(_CHUNK, k)
        u_buf = np.empty(size)
        g_buf = np.empty(size, dtype=np.intp)
        r_buf = np.empty(size, dtype=np.int64)
        o_buf = np.empty(size, dtype=self.order.dtype)
        few = len(self.bounds) < self._FEW
        for start in range(0, k, size):
            m = min(size, k - start)
            u, g, r, o = u_buf[:m], g_buf[:m], r_buf[:m], o_buf[:m]
            rng.random(out=u)
            if few:  # the group: how many boundaries u has passed
                g.fill(0)
                for bound in self.bounds:
                    g += u >= bound
            else:
                g[:] = np.searchsorted(self.bounds, u, side="right")
            u -= self.lo[g]  # the position within the group's interval ...
            u *= self.scale[g]  # ... in rows of the group
            u += self.offsets[g]
            np.copyto(r, u, casting="unsafe")
            np.minimum(r, self.ends[g], out=r)  # rounding never leaves the group
            np.take(self.order, r, out=o)
            out[start : start + m] = o
        return out


def _weighted_permutation(weights: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """``k`` distinct indices by successive weighted sampling (exponential keys)."""
    positive = np.flatnonzero(weights)
    keys = np.log(rng.standard_exponential(len(positive)))
    keys -= np.log(weights[positive])
    if k < len(positive):
        chosen = np.argpartition(keys, k - 1)[:k]
        order = chosen[np.argsort(keys[chosen], kind="stable")]
    else:
        order = torch.argsort(torch.from_numpy(keys)).numpy()
    return positive[order]


def _permutation(n: int, k: int, rng: np.random.Generator) -> np.ndarray:
    """``k`` indices from chained random permutations of ``range(n)``."""
    rounds = math.ceil(k / n)
    return np.concatenate([rng.permutation(n) for _ in range(rounds)])[:k]


# -- seeding and resumption, shared by the samplers ------------------------------
def _sizes(values: dict, theirs: bool) -> str:
    """``of 60 rows with num_samples=60`` (theirs) or ``30 rows, num_samples=30`` (ours)."""
    rows = values.pop("rows", None)
    rest = ", ".join(f"{field}={value!r}" for field, value in values.items())
    if theirs:
        return " ".join(
            p for p in (f"of {rows} rows" if rows is not None else "", rest and f"with {rest}") if p
        )
    return ", ".join(p for p in (f"{rows} rows" if rows is not None else "", rest) if p)


def _check_state(state: Any, identity: dict, keys: tuple[str, ...]) -> None:
    """Refuse a state that is not a sampler's of this kind and size, before any change.

    ``identity`` holds ``kind`` (the class name) and what the recorded pass
    depends on (rows, draws per pass, replicas, ...); ``keys`` the other
    entries the state must have. A missing key, another kind or a different
    size is a ``ValueError`` that names it.
    """
    kind = identity["kind"]
    if not isinstance(state, Mapping):
        raise ValueError(
            f"A {kind} state_dict must be a dict (what {kind}.state_dict() returns); "
            f"got {type(state).__name__}."
        )
    if "kind" in state and state["kind"] != kind:
        raise ValueError(f"state_dict is from a {state['kind']}; this is a {kind}.")
    missing = [key for key in (*identity, *keys) if key not in state]
    if missing:
        older = (
            " (a state saved by an earlier version of wsample-sk does not record its kind and size)"
            if "kind" in missing
            else ""
        )
        raise ValueError(
            f"{kind} state_dict is missing the key(s) {missing}; pass what "
            f"{kind}.state_dict() returned{older}."
        )
    differ = [f for f in identity if f != "kind" and state[f] != identity[f]]
    if differ:
        theirs = _sizes({f: state[f] for f in differ}, theirs=True)
        ours = _sizes({f: identity[f] for f in differ}, theirs=False)
        raise ValueError(f"state_dict is from a {kind} {theirs}; this {kind} has {ours}.")


def _check_resume(state: Mapping, kind: str, length: int, unit: str) -> None:
    """The recorded pass: ``seed`` None or a list of ints, ``position`` in [0, length]."""
    seed, position = state["seed"], state["position"]
    if seed is not None and (
        not isinstance(seed, (list, tuple))
        or not all(isinstance(s, numbers.Integral) and not isinstance(s, bool) for s in seed)
    ):
        raise ValueError(f"{kind} state_dict['seed'] must be None or a list of ints; got {seed!r}.")
    if (
        not isinstance(position, numbers.Integral)
        or isinstance(position, bool)
        or not 0 <= position <= length
    ):
        raise ValueError(
            f"{kind} state_dict['position'] must be an int in [0, {length}] ({unit} per "
            f"pass); got {position!r}."
        )


class _EpochSampler(Sampler[int]):
    """Seeding shared by the samplers: one numpy Generator per pass.

    Without :meth:`set_epoch`, each pass draws a fresh seed from
    ``generator`` (or torch's global generator), as torch's samplers do. After
    ``set_epoch(e)``, the stream of epoch ``e`` is fixed by ``e`` and a base
    seed drawn once, so every process that shares the generator's seed draws
    the same indices for the same epoch.

    ``state_dict()`` records the pass in progress (its seed and how many
    indices were taken); after ``load_state_dict`` the next pass continues
    that one where it stopped.
    """

    def __init__(self, num_samples: int, generator: torch.Generator | None):
        self._num_samples = num_samples
        self.generator = generator
        self.epoch: int | None = None
        self._base_seed: int | None = None
        self._resume: tuple[list[int], int] | None = None
        self._live: tuple[list[int], int, Any] | None = None  # seed, start, iterator

    @property
    def num_samples(self) -> int:
        """Indices per pass; may be set between passes."""
        return self._num_samples

    @num_samples.setter
    def num_samples(self, value: int) -> None:
        self._num_samples = check_num_draws(value)

    def _torch_seed(self) -> int:
        return int(torch.empty((), dtype=torch.int64).random_(generator=self.generator))

    def set_epoch(self, epoch: int) -> None:
        """Fix the stream of the next pass to that of ``epoch`` (an int >= 0)."""
        self.epoch = check_count(epoch, "epoch", min_val=0)

    def _next_seed(self) -> list[int]:
        if self.epoch is None:
            return [self._torch_seed()]
        if self._base_seed is None:
            self._base_seed = self._torch_seed()
        return [self._base_seed, self.epoch]

    def _draw(self, rng: np.random.Generator) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def _draw_pass(self, seed: list[int]) -> np.ndarray:
        return self._draw(np.random.default_rng(seed))

    def draw(self) -> np.ndarray:
        """Draw one pass's indices as one int64 array (no per-int overhead)."""
        return self._draw_pass(self._next_seed())

    def __iter__(self) -> Iterator[int]:
        if self._resume is not None:
            seed, start = self._resume
            self._resume = None
        else:
            seed, start = self._next_seed(), 0
        it = iter(self._draw_pass(seed)[start:].tolist())
        self._live = (seed, start, it)
        return it

    def __len__(self) -> int:
        return self.num_samples

    _STATE_KEYS = ("epoch", "base_seed", "generator", "seed", "position")
    _UNIT = "indices"  # what a pass yields

    def _rows(self) -> int:  # pragma: no cover
        raise NotImplementedError

    def _identity(self) -> dict:
        """What a recorded pass belongs to: kind and size (checked on loading)."""
        return {"kind": type(self).__name__, "rows": self._rows(), "num_samples": self.num_samples}

    def state_dict(self) -> dict:
        """The sampler's state, to resume a pass mid-way (see ``load_state_dict``).

        Besides the pass in progress (its seed and position), the epoch and
        the generator, it records what it belongs to: ``kind`` (the class),
        ``rows`` and ``num_samples`` (and, where they matter, the replicas,
        the batch shape, ``replacement``).
        """
        state = {
            **self._identity(),
            "epoch": self.epoch,
            "base_seed": self._base_seed,
            "generator": None if self.generator is None else self.generator.get_state(),
            "seed": None,
            "position": 0,
        }
        if self._live is not None:
            seed, start, it = self._live
            remaining = operator.length_hint(it)
            if remaining:  # a finished pass needs no resumption
                state["seed"] = list(seed)
                state["position"] = self.num_samples - remaining
        return state

    def load_state_dict(self, state: dict) -> None:
        """Restore ``state_dict()``: the next pass continues the recorded one.

        Raises
        ------
        ValueError
            If ``state`` lacks a key, or is from another kind of sampler or
            one of another size (rows, draws per pass, replicas, ...); the
            message says what differs. Nothing is changed then.
        """
        identity = self._identity()
        _check_state(state, identity, self._STATE_KEYS)
        _check_resume(state, identity["kind"], self.num_samples, self._UNIT)
        self.epoch = state["epoch"]
        self._base_seed = state["base_seed"]
        if state["generator"] is not None:
            if self.generator is None:
                self.generator = torch.Generator()
            self.generator.set_state(state["generator"])
        self._resume = None if state["seed"] is None else (list(state["seed"]), state["position"])


class WeightedSampler(_EpochSampler):
    """Draw indices with probability proportional to ``weights``.

    A drop-in for :class:`torch.utils.data.WeightedRandomSampler`: same
    arguments, same meaning, usable with a plain ``DataLoader``; faster, and
    with no limit on the number of weights.

    Parameters
    ----------
    weights : array-like of shape (n,)
        Relative weights, one per sample: finite, non-negative, at least one
        positive. They do **not** need to sum to one. Held as float64.
    num_samples : int, default=None
        Draws per pass; ``None`` means ``n`` (following later changes of
        ``weights``).
    replacement : bool, default=True
        Draw with replacement (i.i.d. draws). Without replacement, each index
        appears at most once, in order of selection (successive sampling);
        ``num_samples`` may then not exceed the number of positive weights.
    generator : torch.Generator, default=None
        Source of randomness; ``None`` uses torch's global generator.
    groups : array-like of shape (n,), default=None
        A group (say, the class) of each sample. When the weights are constant
        within every group, draws with replacement go in two stages: a group,
        then a row of it uniformly; the same distribution, fewer memory
        accesses per draw. Otherwise (or ``None``) a guide table over all the
        weights is used.

    Attributes
    ----------
    weights : torch.Tensor of shape (n,), dtype float64
        The weights in use. Assigning new ones (validated on assignment) or
        changing this tensor in place (validated at the next pass) takes
        effect at the next pass, as with torch's sampler.

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
    >>> sampler.weights = [0.0, 0.0, 1.0]  # from the next pass on
    >>> set(sampler)
    {2}
    """

    def __init__(
        self,
        weights: Any,
        num_samples: int | None = None,
        replacement: bool = True,
        generator: torch.Generator | None = None,
        *,
        groups: Any = None,
    ) -> None:
        self.replacement = check_flag(replacement, "replacement")
        self.groups = None if groups is None else np.asarray(groups)
        super().__init__(0, generator)
        self._fixed = num_samples is not None
        w = check_sampling_weights(weights, name="weights")
        self._accept(w)
        if self._fixed:
            self.num_samples = num_samples
        if self.groups is not None and self.groups.shape != (len(self._w),):
            raise ValueError(
                f"groups must hold one group per weight ({len(self._w)}); "
                f"got shape {self.groups.shape}."
            )
        self._check_positive()

    @property
    def weights(self) -> torch.Tensor:
        return self._weights

    @weights.setter
    def weights(self, weights: Any) -> None:
        self._accept(check_sampling_weights(weights, name="weights"))

    @_EpochSampler.num_samples.setter
    def num_samples(self, value: int) -> None:
        self._num_samples = check_num_draws(value)
        self._fixed = True

    def _accept(self, w: np.ndarray) -> None:
        """Take validated weights; drop what was built from the old ones."""
        if not self._fixed:
            self._num_samples = len(w)
        self._w = w
        self._weights = torch.from_numpy(w)
        self._version = self._weights._version
        self._table: _GuideTable | _GroupTable | None = None

    def _rows(self) -> int:
        return len(self._w)

    def _identity(self) -> dict:
        return {**super()._identity(), "replacement": self.replacement}

    def _check_positive(self) -> None:
        if not self.replacement:
            n_positive = int(np.count_nonzero(self._w))
            if self.num_samples > n_positive:
                raise ValueError(
                    f"Cannot draw {self.num_samples} samples without replacement: "
                    f"only {n_positive} weights are positive."
                )

    def _current(self) -> np.ndarray:
        """The weights, revalidated if the tensor was changed in place."""
        if self._weights._version != self._version:
            self._accept(check_sampling_weights(self._weights, name="weights"))
        self._check_positive()
        return self._w

    def _draw(self, rng: np.random.Generator) -> np.ndarray:
        w = self._current()
        if not self.replacement:
            return _weighted_permutation(w, self.num_samples, rng)
        if self._table is None:
            grouped = self.groups is not None and len(self.groups) == len(w)
            if grouped and _GroupTable.fits(w, self.groups):
                self._table = _GroupTable(w, self.groups)
            else:
                self._table = _GuideTable(w)
        return self._table.draw(self.num_samples, rng)


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
    >>> from wsample_sk import PermutationSampler
    >>> sorted(PermutationSampler(4, generator=torch.Generator().manual_seed(0)))
    [0, 1, 2, 3]
    """

    def __init__(
        self,
        n: int,
        num_samples: int | None = None,
        generator: torch.Generator | None = None,
    ) -> None:
        self.n = check_count(n, "n")
        super().__init__(self.n if num_samples is None else check_num_draws(num_samples), generator)

    def _rows(self) -> int:
        return self.n

    def _draw(self, rng: np.random.Generator) -> np.ndarray:
        return _permutation(self.n, self.num_samples, rng)


class DistributedWeightedSampler(_EpochSampler):
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
        self.num_replicas, self.rank = _world(num_replicas, rank)
        self.sampler = WeightedSampler(weights, num_samples, replacement)
        self.seed, self.drop_last = check_count(seed, "seed", min_val=0), bool(drop_last)
        total = self.sampler.num_samples
        per_rank = total // self.num_replicas if drop_last else -(-total // self.num_replicas)
        if per_rank == 0:
            raise ValueError(
                f"{total} draws cannot be shared by {self.num_replicas} replicas "
                "with drop_last=True."
            )
        check_num_draws(per_rank * self.num_replicas, "num_samples padded for num_replicas")
        super().__init__(per_rank, None)
        self.set_epoch(0)
        self._base_seed = self.seed

    def _rows(self) -> int:
        return len(self.sampler._w)

    def _identity(self) -> dict:
        return {
            **super()._identity(),
            "num_replicas": self.num_replicas,
            "replacement": self.sampler.replacement,
        }

    @property
    def total_size(self) -> int:
        """Draws over all ranks, after trimming or padding."""
        return self.num_samples * self.num_replicas

    def full_draw(self) -> np.ndarray:
        """The epoch's whole draw (all ranks), trimmed or padded to ``total_size``."""
        return self._full(np.random.default_rng([self.seed, self.epoch]))

    def _full(self, rng: np.random.Generator) -> np.ndarray:
        idx = self.sampler._draw(rng)
        if self.total_size <= len(idx):
            return idx[: self.total_size]
        return np.resize(idx, self.total_size)  # repeats the head, as DistributedSampler

    def _draw(self, rng: np.random.Generator) -> np.ndarray:
        return self._full(rng)[self.rank :: self.num_replicas]


class BatchIndexSampler(Sampler):
    """Yield batches of indices as arrays, for datasets indexed by batch.

    Use it as ``DataLoader(dataset, sampler=BatchIndexSampler(...),
    batch_size=None)`` with a dataset whose ``__getitem__`` accepts an index
    array: one indexing operation fetches a whole batch, with no per-row call
    or collate.

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

    Examples
    --------
    >>> from wsample_sk import BatchIndexSampler
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
        self.num_replicas, self.rank = check_world(num_replicas, rank)
        self.batch_size = check_count(batch_size, "batch_size")
        self.drop_last = bool(drop_last)
        if sampler is None and n is None:
            raise ValueError("n is required when sampler is None.")
        self._n = None if sampler is not None else check_count(n, "n")
        self._pass: tuple | None = None
        self._resume: tuple[list[int], int] | None = None
        self._yielded = 0

    @property
    def n(self) -> int:
        """Indices per pass (the inner sampler's, which may change)."""
        return len(self.sampler) if self.sampler is not None else self._n

    def _starts(self) -> list[int]:
        bs, n = self.batch_size, self.n
        starts = list(range(0, n - n % bs if self.drop_last else n, bs))
        if self.num_replicas > 1:
            starts = (starts * self.num_replicas)[: len(self) * self.num_replicas]
            starts = starts[self.rank :: self.num_replicas]
        return starts

    def __iter__(self) -> Iterator[Any]:
        bs = self.batch_size
        if self.sampler is None:
            n = self.n
            for start in self._starts():
                yield slice(start, min(start + bs, n))
            return
        if self._resume is not None:
            seed, first = self._resume
            self._resume = None
        else:
            seed = self.sampler._next_seed() if hasattr(self.sampler, "_next_seed") else None
            first = 0
        if seed is not None:
            idx = self.sampler._draw_pass(seed)
        elif hasattr(self.sampler, "draw"):
            idx = self.sampler.draw()
        else:
            idx = np.fromiter(iter(self.sampler), dtype=np.int64, count=self.n)
        starts = self._starts()
        self._pass = (idx, starts, seed, first)  # kept: rows_of reads batches from it
        self._yielded = first
        batches = idx.tolist() if self.as_lists else torch.from_numpy(idx)
        for start in starts[first:]:
            self._yielded += 1
            yield batches[start : start + bs]

    def rows_of(self, k: int) -> np.ndarray:
        """The indices of the ``k``-th batch yielded in the current pass (from 0)."""
        idx, starts, _, first = self._pass
        start = starts[first + k]
        return idx[start : start + self.batch_size]

    def _identity(self) -> dict:
        """What a recorded pass belongs to: kind, indices per pass, batch shape, replicas."""
        return {
            "kind": type(self).__name__,
            "num_samples": self.n,
            "batch_size": self.batch_size,
            "drop_last": self.drop_last,
            "num_replicas": self.num_replicas,
        }

    def _inner_stateful(self) -> bool:
        return hasattr(self.sampler, "state_dict") and hasattr(self.sampler, "load_state_dict")

    def state_dict(self) -> dict:
        """The state, to resume a pass after the batches already yielded.

        Records what it belongs to (``kind``, ``num_samples`` indices per
        pass, ``batch_size``, ``drop_last``, ``num_replicas``), the inner
        sampler's state and the pass in progress.
        """
        inner = self.sampler.state_dict() if self._inner_stateful() else None
        seed, position = None, 0
        if self._pass is not None and self._yielded < len(self._pass[1]):
            seed, position = self._pass[2], self._yielded
        return {**self._identity(), "sampler": inner, "seed": seed, "position": position}

    def load_state_dict(self, state: dict) -> None:
        """Restore ``state_dict()``: the next pass continues the recorded one.

        Exact when the inner sampler is one of the package's (its passes are
        seeded); another sampler's pass cannot be replayed.

        Raises
        ------
        ValueError
            If ``state`` lacks a key, or is from another kind of sampler, one
            of another size or batch shape, or over another inner sampler
            (checked by the inner sampler); nothing is changed then.
        """
        identity = self._identity()
        _check_state(state, identity, ("sampler", "seed", "position"))
        kind = identity["kind"]
        _check_resume(state, kind, len(self), "batches")
        inner = state["sampler"]
        if inner is not None and not self._inner_stateful():
            raise ValueError(
                f"state_dict holds the state of an inner sampler, but this {kind}'s "
                f"sampler ({type(self.sampler).__name__}) has none to restore."
            )
        if inner is None and self._inner_stateful():
            raise ValueError(
                f"state_dict holds no state of an inner sampler, but this {kind}'s "
                f"{type(self.sampler).__name__} needs one to resume."
            )
        if inner is not None:
            self.sampler.load_state_dict(inner)  # checks its own kind and size first
        self._resume = None if state["seed"] is None else (list(state["seed"]), state["position"])

    def __len__(self) -> int:
        n_batches = (
            self.n // self.batch_size if self.drop_last else math.ceil(self.n / self.batch_size)
        )
        return math.ceil(n_batches / self.num_replicas)


def _world(num_replicas: int | None, rank: int | None) -> tuple[int, int]:
    """``num_replicas`` and ``rank``, by default from the initialised process group."""
    if num_replicas is None or rank is None:
        import torch.distributed as dist

        if not (dist.is_available() and dist.is_initialized()):
            raise ValueError(
                "num_replicas and rank are required when no process group is initialised."
            )
        num_replicas = dist.get_world_size() if num_replicas is None else num_replicas
        rank = dist.get_rank() if rank is None else rank
    return check_world(num_replicas, rank)


class _Wrapper(Sampler[int]):
    """A sampler over another one's epochs, resumable by position (a deterministic epoch)."""

    def __init__(self, sampler: Any) -> None:
        if not hasattr(sampler, "set_epoch"):
            raise TypeError(
                f"{type(sampler).__name__} has no set_epoch: the wrapped sampler must draw "
                "the same rows for the same epoch on every call (every sampler of "
                "wsample_sk does; torch's DistributedSampler does)."
            )
        self.sampler = sampler
        self.epoch = 0
        self._skip = 0
        self._taken = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = check_count(epoch, "epoch", min_val=0)
        self._skip = self._taken = 0

    def _epoch_rows(self) -> list[int]:
        raise NotImplementedError

    def __iter__(self) -> Iterator[int]:
        rows, skip = self._epoch_rows(), self._skip
        self._skip, self._taken = 0, skip
        for index in rows[skip:]:
            self._taken += 1
            yield index

    def state_dict(self) -> dict:
        """The epoch and the rows of it already handed out."""
        return {"kind": type(self).__name__, "epoch": self.epoch, "taken": self._taken}

    def load_state_dict(self, state: Mapping) -> None:
        """Continue ``state``'s epoch after its rows already handed out (at the next iter)."""
        if not isinstance(state, Mapping) or state.get("kind") != type(self).__name__:
            raise ValueError(
                f"This is not the state of a {type(self).__name__}; got {state!r:.80}."
            )
        self.set_epoch(state["epoch"])
        self._skip = check_count(state["taken"], "taken", min_val=0)


class ShardedSampler(_Wrapper):
    """Any sampler of this package (or one like it), sharded across DDP ranks.

    Every rank draws the same epoch from its copy of ``sampler`` (same seed,
    same :meth:`set_epoch`) and keeps the positions ``rank, rank +
    num_replicas, ...`` of it, padded with the epoch's head to equal length
    (as ``DistributedSampler`` pads), so the ranks see disjoint positions of
    one draw and the same number of batches. Weighted draws, exact quotas
    and the class-mix schedule (:class:`~wsample_sk.ClassMixSampler`) are
    sharded this way; :class:`DistributedWeightedSampler` is the same for
    plain weighted draws.

    Parameters
    ----------
    sampler : Sampler
        Has ``set_epoch``, and draws the same rows for the same epoch on
        every rank.
    num_replicas, rank : int, default=None
        By default from the initialised process group.

    Examples
    --------
    >>> import torch
    >>> from wsample_sk import ShardedSampler, StratifiedSampler
    >>> def quotas():  # the same seed on every rank
    ...     return StratifiedSampler([0] * 8 + [1] * 2, generator=torch.Generator().manual_seed(0))
    >>> shards = [list(ShardedSampler(quotas(), 2, rank)) for rank in (0, 1)]
    >>> whole = quotas()
    >>> whole.set_epoch(0)
    >>> len(shards[0]) == len(shards[1]) and sorted(shards[0] + shards[1]) == sorted(whole)
    True
    """

    def __init__(self, sampler: Any, num_replicas: int | None = None, rank: int | None = None):
        super().__init__(sampler)
        self.num_replicas, self.rank = _world(num_replicas, rank)

    def _epoch_rows(self) -> list[int]:
        self.sampler.set_epoch(self.epoch)
        rows = [int(i) for i in self.sampler]
        k = self.num_replicas
        if rows and len(rows) % k:  # padded with the epoch itself, as DistributedSampler
            pad = k - len(rows) % k
            rows += (rows * -(-pad // len(rows)))[:pad]
        return rows[self.rank :: k]

    def __len__(self) -> int:
        return -(-len(self.sampler) // self.num_replicas)


class MiniEpochSampler(_Wrapper):
    """A long epoch of another sampler, handed out in ``parts`` shorter epochs.

    Mini-epoch ``m`` (``set_epoch(m)``) is the ``m % parts``-th of ``parts``
    consecutive slices of the wrapped sampler's epoch ``m // parts``: after
    ``parts`` mini-epochs every row of the long epoch has been drawn once,
    with validation, checkpoints and schedules in between (catalyst's
    ``MiniEpochSampler``).

    Parameters
    ----------
    sampler : Sampler
        Has ``set_epoch`` and draws the same rows for the same epoch.
    parts : int
        Mini-epochs per epoch of ``sampler``.

    Examples
    --------
    >>> import torch
    >>> from wsample_sk import MiniEpochSampler, PermutationSampler
    >>> shuffle = PermutationSampler(10, generator=torch.Generator().manual_seed(0))
    >>> mini = MiniEpochSampler(shuffle, parts=3)
    >>> parts = []
    >>> for m in range(3):
    ...     mini.set_epoch(m)
    ...     parts.append(list(mini))
    >>> [len(p) for p in parts], sorted(sum(parts, []))
    ([4, 3, 3], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    """

    def __init__(self, sampler: Any, parts: int) -> None:
        super().__init__(sampler)
        self.parts = check_count(parts, "parts")

    def _bounds(self, n: int) -> tuple[int, int]:
        part = self.epoch % self.parts
        base, extra = divmod(n, self.parts)
        start = part * base + min(part, extra)
        return start, start + base + (part < extra)

    def _epoch_rows(self) -> list[int]:
        self.sampler.set_epoch(self.epoch // self.parts)
        rows = [int(i) for i in self.sampler]
        start, stop = self._bounds(len(rows))
        return rows[start:stop]

    def __len__(self) -> int:
        start, stop = self._bounds(len(self.sampler))
        return stop - start
