"""Weighted sampling of a stream: :class:`WeightedStream`, an ``IterableDataset``.

A map-style dataset is weighted by drawing indices (:class:`WeightedSampler`);
a stream (WebDataset shards, Hugging Face streaming, a database cursor, data
larger than memory) has no indices to draw. :class:`WeightedStream` weights it
by repetition instead: each row is emitted a whole number of times whose
expectation is proportional to its weight, the copies shuffled within a
bounded buffer.

* **Copies.** A row of weight ``w`` is expected ``c = w / m`` times, ``m`` the
  mean weight of the rows read so far (the row included). It is emitted
  ``floor(c)`` times plus once more with probability ``c - floor(c)`` (an
  independent uniform number per row, so the rounding does not depend on
  where the row sits in the stream, nor alias with weights that alternate).
  Constant weights give every row exactly once.
* **Labels.** With ``label=`` and ``sampling="balanced"`` (or ``"sqrt"``) a
  row of class *k* weighs ``1 / p_k`` (``p_k ** -0.5``), ``p_k`` the class's
  share: from ``class_counts=`` if given, else estimated from the rows read
  so far. The estimate warms up: until a class has been seen often enough
  for its share to settle, its first rows are copied by the inverse of a
  rough estimate (the first row of a class met after 1,000 others is
  expected about ``1000 / n_classes`` times). Give ``class_counts`` when the
  shares are known, or let the stream run past the warm-up.
* **Shuffling.** Copies enter a buffer of ``buffer_size`` rows; once it is
  full each new copy replaces a uniformly chosen row, which is emitted; at
  the end of the source the buffer is emitted in random order. Memory is
  the buffer, whatever the length of the stream.
* **Sharding.** Each DataLoader worker and each ``torch.distributed`` rank
  reads its own copy of the source and keeps every *k*-th row (*k* the
  number of workers times ranks), so every row is read by exactly one of
  them. A source that shards itself (WebDataset's ``split_by_worker``,
  ``datasets.distributed.split_dataset_by_node``) says so with
  ``sharded_source=True`` and is not sharded again.
* **Equal passes.** ``length`` fixes the rows of a pass (``length // world``
  per rank, split over its workers), reading the source again from its
  start if it runs out first; under ``DistributedDataParallel`` it is
  required, so that every rank yields the same number of batches.
* **Resuming.** ``state_dict()`` may be called on the stream while a pass is
  under way (as torchdata's ``StatefulDataLoader`` does in each worker); after
  ``load_state_dict(state)``, the next ``iter()`` continues that pass,
  which then equals the uninterrupted pass. The state holds the buffered
  rows and the position; resuming reads the source again up to that
  position (a stream cannot seek).
"""

from __future__ import annotations

import copy
import math
import numbers
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import numpy as np
import torch
from torch.utils.data import IterableDataset, get_worker_info

from . import _parallel
from ._validation import check_count

__all__ = ["WeightedStream"]

_VERSION = 1
_BLOCK = 4096  # uniform numbers drawn at a time (one vectorised call, resumable by its start)
_SAMPLINGS = ("balanced", "sqrt")


class _Pass:
    """The state of one shard's pass, updated before every row is emitted."""

    def __init__(self, seed: int, epoch: int, shard: tuple[int, int], share: int | None) -> None:
        self.shard, self.share, self.epoch = shard, share, epoch
        self.rng = np.random.default_rng([seed, epoch, *shard])
        self.block_state = self.rng.bit_generator.state
        self.block = self.rng.random(_BLOCK)
        self.offset = 0
        self.lap = 0  # passes over the source (more than one only with ``length``)
        self.read = 0  # rows of the source read in this lap (every shard's rows)
        self.emitted = 0
        self.weight_sum = 0.0
        self.weighted = 0  # rows weighed
        self.counts: dict = {}  # rows per label read by this shard
        self.buffer: list = []
        self.pending: tuple | None = None  # (row, copies not yet in the buffer)
        self.draining = False

    def uniform(self) -> float:
        if self.offset == _BLOCK:
            self.block_state = self.rng.bit_generator.state
            self.block = self.rng.random(_BLOCK)
            self.offset = 0
        u = self.block[self.offset]
        self.offset += 1
        return float(u)

    def snapshot(self) -> dict:
        return {
            "version": _VERSION,
            "epoch": self.epoch,
            "shard": list(self.shard),
            "share": self.share,
            "rng": copy.deepcopy(self.block_state),
            "offset": self.offset,
            "lap": self.lap,
            "read": self.read,
            "emitted": self.emitted,
            "weight_sum": self.weight_sum,
            "weighted": self.weighted,
            "counts": dict(self.counts),
            "buffer": list(self.buffer),
            "pending": self.pending,
            "draining": self.draining,
        }

    @classmethod
    def restore(cls, state: dict) -> _Pass:
        self = cls.__new__(cls)
        self.shard, self.share, self.epoch = tuple(state["shard"]), state["share"], state["epoch"]
        self.rng = np.random.default_rng()
        self.rng.bit_generator.state = copy.deepcopy(state["rng"])
        self.block_state = copy.deepcopy(state["rng"])
        self.block = self.rng.random(_BLOCK)
        self.offset = state["offset"]
        for key in ("lap", "read", "emitted", "weight_sum", "weighted", "pending", "draining"):
            setattr(self, key, state[key])
        self.counts = dict(state["counts"])
        self.buffer = list(state["buffer"])
        return self


def _shard_of(sharded_source: bool) -> tuple[int, int, int, int]:
    """``(shard, shards, worker, workers)`` of this process: ranks times DataLoader workers."""
    info = get_worker_info()
    workers, worker = (info.num_workers, info.id) if info is not None else (1, 0)
    world, rank = _parallel.world()
    if sharded_source:
        return 0, 1, worker, workers
    return rank * workers + worker, world * workers, worker, workers


class WeightedStream(IterableDataset):
    """A stream of rows, each emitted about in proportion to its weight (an ``IterableDataset``).

    See the module for the full contract (copies, labels, shuffling, sharding,
    equal passes, resuming).

    Parameters
    ----------
    source : iterable, IterableDataset or callable
        The rows; read again for every pass (``iter(source)``), so it must be
        re-iterable: a list, an ``IterableDataset``, or a callable that
        returns a new iterator (a generator function). A one-shot iterator
        is refused.
    weight : callable, default=None
        ``weight(row)``: the row's weight (finite, non-negative; they need not
        sum to one). ``None``: 1 (times the class weight of ``sampling``).
    label : callable, default=None
        ``label(row)``: the row's class (hashable), for ``sampling``.
    sampling : {"balanced", "sqrt"}, default=None
        Class weights from ``label``: the inverse class share, or its
        inverse square root. Needs ``label``.
    class_counts : mapping, default=None
        ``{label: count or share}``: the class shares, if known (else they
        are estimated from the stream; see the module on the warm-up).
    buffer_size : int, default=1024
        Rows held for shuffling (the memory used).
    seed : int, default=None
        Seeds the copies and the shuffle (with the epoch and the shard);
        ``None``: drawn once from torch's generator when the stream is made.
    length : int, default=None
        Rows per pass, over all ranks and workers (see the module); ``None``:
        a pass is one reading of the source. Required under
        ``torch.distributed`` with two or more ranks.
    sharded_source : bool, default=False
        The source yields only this worker's (and rank's) rows itself: it is
        not sharded again.

    Attributes
    ----------
    epoch : int
        Set by :meth:`set_epoch`; a pass's randomness derives from
        ``(seed, epoch, shard)``, so call it every epoch for new copies and
        a new order (as with ``DistributedSampler``).

    Examples
    --------
    >>> from torch.utils.data import DataLoader
    >>> from wsample_sk import WeightedStream
    >>> rows = [(x, x % 4 == 0) for x in range(1000)]  # 1 in 4 rows of class True
    >>> stream = WeightedStream(rows, label=lambda row: row[1], sampling="balanced",
    ...                         class_counts={True: 250, False: 750}, seed=0)
    >>> drawn = [label for _, label in stream]
    >>> round(len(drawn), -2), round(sum(drawn) / len(drawn), 1)  # about one pass, balanced
    (1000, 0.5)
    >>> loader = DataLoader(WeightedStream(rows, weight=lambda row: 1.0), batch_size=100)
    >>> sorted(int(x) for batch, _ in loader for x in batch) == list(range(1000))
    True
    """

    def __init__(
        self,
        source: Iterable | Callable[[], Iterator],
        weight: Callable[[Any], float] | None = None,
        label: Callable[[Any], Any] | None = None,
        sampling: str | None = None,
        *,
        class_counts: Mapping | None = None,
        buffer_size: int = 1024,
        seed: int | None = None,
        length: int | None = None,
        sharded_source: bool = False,
    ) -> None:
        if not callable(source) and iter(source) is source:
            raise TypeError(
                f"source must be re-iterable (every pass reads it again): a "
                f"{type(source).__name__} is a one-shot iterator. Pass a list, an "
                "IterableDataset, or a function that returns a new iterator."
            )
        for name, fn in (("weight", weight), ("label", label)):
            if fn is not None and not callable(fn):
                raise TypeError(f"{name} must be a function of a row; got {fn!r}.")
        if sampling is not None and sampling not in _SAMPLINGS:
            raise ValueError(f"sampling must be None, 'balanced' or 'sqrt'; got {sampling!r}.")
        if (sampling is None) != (label is None):
            raise ValueError(
                "label and sampling go together: label= says each row's class, "
                "sampling='balanced' (or 'sqrt') how classes are weighted."
            )
        self.source, self.weight, self.label, self.sampling = source, weight, label, sampling
        self.class_counts = None if class_counts is None else _check_counts(class_counts)
        self.buffer_size = check_count(buffer_size, "buffer_size")
        if seed is None:
            seed = int(torch.randint(0, 2**63 - 1, (), dtype=torch.int64))
        if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
            raise ValueError(f"seed must be a non-negative int or None; got {seed!r}.")
        self.seed = int(seed)
        self.length = None if length is None else check_count(length, "length")
        self.sharded_source = bool(sharded_source)
        self.epoch = 0
        self._pass: _Pass | None = None
        self._resume: dict | None = None

    def peek(self) -> Any:
        """The source's first row (``None`` if it is empty), without starting a pass."""
        return next(self._rows(), None)

    def set_epoch(self, epoch: int) -> None:
        """The epoch of the next pass (its copies and order derive from it)."""
        self.epoch = check_count(epoch, "epoch", min_val=0)

    def __len__(self) -> int:
        if self.length is None:
            raise TypeError("A WeightedStream has a length only when length= is given.")
        return self.length // _parallel.world()[0]

    # -- resuming -----------------------------------------------------------------
    def state_dict(self) -> dict:
        """Where the running (or last) pass is; a pass not begun: its start."""
        if self._pass is not None:
            return self._pass.snapshot()
        if self._resume is not None:
            return copy.deepcopy(self._resume)
        return {"version": _VERSION, "epoch": self.epoch, "start": True}

    def load_state_dict(self, state: Mapping) -> None:
        """Continue the pass ``state`` was taken in, at the next ``iter()``."""
        if not isinstance(state, Mapping) or state.get("version") != _VERSION:
            raise ValueError(
                "This is not the state of a WeightedStream (of this version); got a "
                f"{type(state).__name__}."
            )
        state = dict(state)
        self.epoch = state["epoch"]
        self._pass = None
        self._resume = None if state.get("start") else copy.deepcopy(state)

    # -- the pass -----------------------------------------------------------------
    def _rows(self) -> Iterator:
        return iter(self.source() if callable(self.source) else self.source)

    def _class_weight(self, st: _Pass, row: Any, index: int) -> float:
        key = self.label(row)
        try:
            st.counts[key] = st.counts.get(key, 0) + 1
        except TypeError:
            raise TypeError(
                f"label(row) must be hashable; row {index} gave {key!r} ({type(key).__name__})."
            ) from None
        if self.class_counts is not None:
            if key not in self.class_counts:
                raise ValueError(
                    f"Row {index} has label {key!r}, which class_counts does not list "
                    f"({list(self.class_counts)})."
                )
            share = self.class_counts[key]
        else:
            share = st.counts[key] / st.weighted
        return share**-1.0 if self.sampling == "balanced" else share**-0.5

    def _copies(self, st: _Pass, row: Any, index: int) -> int:
        w = 1.0
        if self.weight is not None:
            w = self.weight(row)
            if isinstance(w, torch.Tensor):
                w = w.item()
            if (
                isinstance(w, bool)
                or not isinstance(w, numbers.Real)
                or not (math.isfinite(w) and w >= 0)
            ):
                raise ValueError(
                    f"weight(row) must be a finite number >= 0; row {index} gave {w!r}."
                )
            w = float(w)
        st.weighted += 1
        if self.label is not None:
            w *= self._class_weight(st, row, index)
        st.weight_sum += w
        if st.weight_sum <= 0:
            return 0  # no positive weight yet: nothing to be proportional to
        expected = w * st.weighted / st.weight_sum
        whole = round(expected)
        if abs(expected - whole) <= 1e-9 * max(1.0, expected):
            return int(whole)
        base = math.floor(expected)
        return base + (st.uniform() < expected - base)

    def __iter__(self) -> Iterator:
        shard, shards, worker, workers = _shard_of(self.sharded_source)
        world = _parallel.world()[0]
        if world > 1 and self.length is None:
            raise ValueError(
                "Under torch.distributed every rank must yield the same number of rows; "
                "pass length= (the rows of a pass, over all ranks), e.g. the size of the "
                "source."
            )
        share = None
        if self.length is not None:
            per_rank = self.length // world
            share = per_rank // workers + (worker < per_rank % workers)
        if self._resume is not None:
            state, self._resume = self._resume, None
            if tuple(state["shard"]) != (shard, shards) or state["share"] != share:
                raise ValueError(
                    f"This state was taken in shard {state['shard'][0]} of "
                    f"{state['shard'][1]} (rows per pass {state['share']}); this iterator is "
                    f"shard {shard} of {shards} ({share}): resume with the same workers, "
                    "ranks and length."
                )
            st = _Pass.restore(state)
        else:
            st = _Pass(self.seed, self.epoch, (shard, shards), share)
        self._pass = st
        return self._run(st, shard, shards)

    def _run(self, st: _Pass, shard: int, shards: int) -> Iterator:
        # a pass of ``share`` rows needs no more buffer than that
        size = self.buffer_size if st.share is None else max(1, min(self.buffer_size, st.share))
        buffer = st.buffer
        while not st.draining:
            rows = self._rows()
            for _ in range(st.read):  # resuming: the rows read before (a stream cannot seek)
                next(rows)
            if st.pending is not None:
                row, left = st.pending
                yield from self._insert(st, row, left, size)
            for row in rows:
                index = st.read
                st.read += 1
                if index % shards != shard:
                    continue
                copies = self._copies(st, row, index)
                if copies:
                    yield from self._insert(st, row, copies, size)
                if st.share is not None and st.emitted >= st.share:
                    st.draining = True
                    break
            else:
                st.lap += 1
                st.read = 0
                if st.share is None or not st.weight_sum:
                    st.draining = True  # one reading of the source (or nothing to weigh)
        while buffer and (st.share is None or st.emitted < st.share):
            j = int(st.uniform() * len(buffer))
            buffer[j], buffer[-1] = buffer[-1], buffer[j]
            row = buffer.pop()
            st.emitted += 1
            yield row
        self._pass = None

    @staticmethod
    def _insert(st: _Pass, row: Any, copies: int, size: int) -> Iterator:
        buffer = st.buffer
        for left in range(copies - 1, -1, -1):
            if st.share is not None and st.emitted >= st.share:
                st.pending = None
                return
            if len(buffer) < size:
                buffer.append(row)
                st.pending = (row, left) if left else None
                continue
            j = int(st.uniform() * size)
            out, buffer[j] = buffer[j], row
            st.pending = (row, left) if left else None
            st.emitted += 1
            yield out


def _check_counts(counts: Mapping) -> dict:
    """Class shares from counts or shares: positive, finite; normalised to sum to one."""
    if not isinstance(counts, Mapping) or not counts:
        raise ValueError(f"class_counts must be a non-empty dict {{label: count}}; got {counts!r}.")
    values = {}
    for key, value in counts.items():
        if (
            isinstance(value, bool)
            or not isinstance(value, numbers.Real)
            or not (math.isfinite(value) and value > 0)
        ):
            raise ValueError(
                f"class_counts must hold finite counts > 0; class {key!r} has {value!r}."
            )
        values[key] = float(value)
    total = sum(values.values())
    return {key: value / total for key, value in values.items()}
