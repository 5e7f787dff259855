"""Weighted sampling of a stream: :class:`WeightedStream`, an ``IterableDataset``.

A map-style dataset is weighted by drawing indices (:class:`WeightedSampler`);
a stream (WebDataset shards, Hugging Face streaming, a database cursor, data
larger than memory) has no indices to draw. :class:`WeightedStream` weights it
by repetition instead: each row is emitted a whole number of times whose
expectation is proportional to its weight, the copies shuffled within a
bounded buffer.

* **Copies.** A row of weight ``w`` is expected ``c = w / m`` times, ``m`` the
  mean weight of the source's rows read so far (the row included), or
  ``mean_weight`` if given. It is emitted ``floor(c)`` times plus once more
  with probability ``c - floor(c)`` (an independent uniform number per row,
  so the rounding does not depend on where the row sits in the stream, nor
  alias with weights that alternate). Constant weights give every row
  exactly once. Because ``m`` is the mean so far, weights that trend along
  the stream (recency weights) are compared with the rows before them, not
  with the whole stream: give ``mean_weight`` (the mean over the stream)
  for copies proportional to the weights throughout.
* **Labels.** With ``label=`` and ``sampling="balanced"`` (or ``"sqrt"``) a
  row of class *k* weighs ``1 / p_k`` (``p_k ** -0.5``), ``p_k`` the class's
  share: from ``class_counts=`` if given (then, without ``weight=``, the
  mean weight is known exactly), else estimated from the rows read so far.
  The estimate warms up: until a class has been seen often enough for its
  share to settle, its first rows are copied by the inverse of a rough
  estimate (the first row of a class met after 1,000 others is expected
  about ``1000 / n_classes`` times). Give ``class_counts`` when the shares
  are known, or let the stream run past the warm-up.
* **Shuffling and memory.** Copies enter a buffer of ``buffer_size`` rows;
  once it is full each new copy replaces a uniformly chosen row, which is
  emitted; at the end of the source the buffer is emitted in random order.
  Memory is the buffer plus one chunk of 1,024 source rows being weighed,
  whatever the length of the stream.
* **Sharding.** Each DataLoader worker and each ``torch.distributed`` rank
  reads its own copy of the source and keeps every *k*-th row (*k* the
  number of workers times ranks), so every row is emitted by exactly one of
  them. Every shard weighs every row it reads, so the mean weight and the
  class shares are those of the whole source, the same in every shard, and
  the copies are what one process would make. A source that shards itself
  (WebDataset's ``split_by_worker``,
  ``datasets.distributed.split_dataset_by_node``) says so with
  ``sharded_source=True`` and is not sharded again; each shard then sees
  only its own rows, so give ``class_counts`` or ``mean_weight`` (else a
  shard normalises by its own rows, and weights that differ between shards
  are lost). The rank travels with the stream into DataLoader workers.
  ``set_epoch`` reaches the workers when they start: with
  ``persistent_workers=True`` they keep the epoch they started with.
* **Equal passes.** ``length`` fixes the rows of a pass (``length // world``
  per rank, split over its workers), reading the source again from its
  start if it runs out first; under ``DistributedDataParallel`` it is
  required, so that every rank yields the same number of batches. A shard
  that cannot fill its share (it has no row of positive weight) raises an
  error rather than leave the other ranks waiting.
* **Resuming.** ``state_dict()`` may be called on the stream while a pass is
  under way, or after it ended (as torchdata's ``StatefulDataLoader`` does
  in each worker); after ``load_state_dict(state)``, the next ``iter()``
  continues that pass (nothing, if it had ended), which then equals the
  uninterrupted pass. The state holds the buffered rows and the position;
  resuming reads the source again up to that position (a stream cannot
  seek).
"""

from __future__ import annotations

import copy
import itertools
import math
import numbers
import operator
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import numpy as np
import torch
from torch.utils.data import IterableDataset, get_worker_info

from . import _parallel
from ._validation import check_count, check_real

__all__ = ["WeightedStream"]

_VERSION = 1
_CHUNK = 1024  # rows weighed, copied and shuffled in one vectorised step
_SCALARS = (bool, int, str, np.bool_, np.integer, np.str_)  # labels counted by numpy
_SAMPLINGS = ("balanced", "sqrt")


class _Pass:
    """One shard's pass, chunk by chunk.

    The state of a chunk's start (the statistics, the generator, the buffer)
    determines everything the chunk emits, so a snapshot is that state and
    the position ``t`` within the chunk's output; resuming recomputes the
    chunk and skips ``t`` rows.
    """

    def __init__(
        self, seed: int, epoch: int, shard: tuple[int, int], share: int | None, buffer_size: int
    ) -> None:
        self.shard, self.share, self.epoch, self.buffer_size = shard, share, epoch, buffer_size
        self.rng = np.random.default_rng([seed, epoch, *shard])
        self.lap = 0  # readings of the source (more than one only with ``length``)
        self.read = 0  # rows of the source read in this lap (every shard's rows)
        self.emitted = 0
        self.weight_sum = 0.0  # of the weights over ``scale``
        self.weighted = 0  # rows weighed
        self.scale = 0.0  # the first positive weight: weights are summed relative to it
        self.counts: dict = {}  # rows per label read
        self.buffer: list = []
        self.draining = False
        self.lap_copies = 0  # copies this shard made in this lap
        self.begin_chunk()

    _FIELDS = (
        "lap", "read", "emitted", "weight_sum", "weighted", "scale", "draining", "lap_copies",
    )  # fmt: skip

    def begin_chunk(self, t: int = 0) -> None:
        """Remember the state the chunk starts from (before it reads or draws)."""
        self.start = {key: getattr(self, key) for key in self._FIELDS}
        self.start["counts"] = dict(self.counts)
        self.start["buffer"] = self.buffer  # never changed in place: replaced by each chunk
        self.start["rng"] = copy.deepcopy(self.rng.bit_generator.state)
        self.out: list = [None] * t  # the chunk's output, and an iterator over what is left
        self.out_left: Iterator = iter(())

    @property
    def t(self) -> int:
        """Rows of the chunk's output emitted so far."""
        return len(self.out) - self.out_left.__length_hint__()

    def header(self) -> dict:
        return {
            "version": _VERSION,
            "epoch": self.epoch,
            "shard": list(self.shard),
            "share": self.share,
            "buffer_size": self.buffer_size,
        }

    def snapshot(self) -> dict:
        return {**self.header(), **copy.copy(self.start), "t": self.t}

    @classmethod
    def restore(cls, state: dict) -> _Pass:
        self = cls.__new__(cls)
        self.shard, self.share, self.epoch = tuple(state["shard"]), state["share"], state["epoch"]
        self.buffer_size = state["buffer_size"]
        self.rng = np.random.default_rng()
        self.rng.bit_generator.state = copy.deepcopy(state["rng"])
        for key in cls._FIELDS:
            setattr(self, key, state[key])
        self.counts = dict(state["counts"])
        self.buffer = list(state["buffer"])
        self.begin_chunk(t=state["t"])  # until the chunk is recomputed: where it was
        return self


_STATE_KEYS = {"version", "epoch", "shard", "share", "buffer_size"}
_PASS_KEYS = {*_Pass._FIELDS, "counts", "buffer", "rng", "t"}


def _shard_of(sharded_source: bool, world: tuple[int, int]) -> tuple[tuple, tuple, int, int]:
    """This process's ``(shard, shards)`` filter, its identity among every worker and rank
    (its seed), its worker and the number of workers."""
    info = get_worker_info()
    workers, worker = (info.num_workers, info.id) if info is not None else (1, 0)
    size, rank = world
    identity = (rank * workers + worker, size * workers)
    return ((0, 1) if sharded_source else identity), identity, worker, workers


def _label_value(key: Any) -> Any:
    """A 0-d tensor or array label as its Python value (a tensor hashes by identity)."""
    if isinstance(key, (torch.Tensor, np.ndarray)) and key.ndim == 0:
        return key.item()
    return key


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
    mean_weight : float, default=None
        The mean weight (``weight`` times the class weight) over the whole
        stream, if known: a row is then expected ``weight / mean_weight``
        times from the first row on (see the module on trending weights and
        self-sharding sources).
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
        mean_weight: float | None = None,
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
        if class_counts is not None and label is None:
            raise ValueError(
                "class_counts gives the shares of the classes of label=; pass label= and "
                "sampling='balanced' (or 'sqrt') with it."
            )
        self.source, self.weight, self.label, self.sampling = source, weight, label, sampling
        self.class_counts = None if class_counts is None else _check_counts(class_counts)
        self.mean_weight = (
            None
            if mean_weight is None
            else check_real(mean_weight, "mean_weight", 0.0, math.inf, closed="neither")
        )
        self.buffer_size = check_count(buffer_size, "buffer_size")
        if seed is None:
            seed = int(torch.randint(0, 2**63 - 1, (), dtype=torch.int64))
        self.seed = check_count(seed, "seed", min_val=0)
        self.length = None if length is None else check_count(length, "length")
        self.sharded_source = bool(sharded_source)
        self.epoch = 0
        self._pass: _Pass | None = None
        self._resume: dict | None = None
        self._ended: dict | None = None  # the state of a pass that ended

    def peek(self) -> Any:
        """The source's first row (``None`` if it is empty), without starting a pass."""
        return next(self._rows(), None)

    def set_epoch(self, epoch: int) -> None:
        """The epoch of the next pass (its copies and order derive from it)."""
        self.epoch = check_count(epoch, "epoch", min_val=0)

    def __len__(self) -> int:
        if self.length is None:
            raise TypeError("A WeightedStream has a length only when length= is given.")
        return self.length // self._world()[0]

    def _world(self) -> tuple[int, int]:
        """``(world size, rank)``: of this process, or of the one that sent the stream to a
        DataLoader worker (a worker has no process group of its own)."""
        return self.__dict__.get("_sent_from") or _parallel.world()

    def __getstate__(self) -> dict:
        # pickled for a DataLoader worker (which has no process group): the rank and world
        # size of a process group travel with it; outside one, nothing is fixed
        state = dict(self.__dict__)
        world = self._world()
        state["_sent_from"] = world if world[0] > 1 else None
        return state

    # -- resuming -----------------------------------------------------------------
    def state_dict(self) -> dict:
        """Where the running pass is (or that the last one ended); a pass not begun: its start."""
        if self._pass is not None:
            return self._pass.snapshot()
        if self._resume is not None:
            return copy.deepcopy(self._resume)
        if self._ended is not None:
            return dict(self._ended)
        return {"version": _VERSION, "epoch": self.epoch, "start": True}

    def load_state_dict(self, state: Mapping) -> None:
        """Continue the pass ``state`` was taken in, at the next ``iter()``."""
        if not isinstance(state, Mapping) or state.get("version") != _VERSION:
            raise ValueError(
                "This is not the state of a WeightedStream (of this version); got a "
                f"{type(state).__name__}."
            )
        state = dict(state)
        if state.get("start"):
            keys = {"version", "epoch", "start"}
        else:
            keys = _STATE_KEYS | ({"ended"} if state.get("ended") else _PASS_KEYS)
        if set(state) != keys:
            missing, extra = sorted(keys - set(state)), sorted(set(state) - keys)
            raise ValueError(
                f"This is not the state of a WeightedStream: missing {missing}, unexpected {extra}."
            )
        self.epoch = state["epoch"]
        self._pass = self._ended = None
        self._resume = None if state.get("start") else copy.deepcopy(state)

    # -- the pass -----------------------------------------------------------------
    def _rows(self) -> Iterator:
        return iter(self.source() if callable(self.source) else self.source)

    def __iter__(self) -> Iterator:
        size_of_world = self._world()
        shard, identity, worker, workers = _shard_of(self.sharded_source, size_of_world)
        world = size_of_world[0]
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
        skip, self._ended = 0, None
        if self._resume is not None:
            state, self._resume = self._resume, None
            here = (list(identity), share, self.buffer_size)
            if (list(state["shard"]), state["share"], state["buffer_size"]) != here:
                raise ValueError(
                    f"This state was taken in shard {state['shard'][0]} of "
                    f"{state['shard'][1]} (rows per pass {state['share']}, buffer "
                    f"{state['buffer_size']}); this iterator is shard {identity[0]} of "
                    f"{identity[1]} ({share}, buffer {self.buffer_size}): resume with the same "
                    "workers, ranks, length and buffer_size."
                )
            if state.get("ended"):
                self._ended = state
                return iter(())
            st, skip = _Pass.restore(state), state["t"]
        else:
            st = _Pass(self.seed, self.epoch, identity, share, self.buffer_size)
        self._pass = st
        # rows pass through C iterators (a chunk's list, chained): no Python call per row
        return itertools.chain.from_iterable(self._chunks(st, *shard, skip))

    def _chunks(self, st: _Pass, shard: int, shards: int, skip: int) -> Iterator[Iterator]:
        """Each chunk's output, as an iterator the snapshot reads its position from."""
        # a pass of ``share`` rows needs no more buffer than that
        size = self.buffer_size if st.share is None else max(1, min(self.buffer_size, st.share))
        rows = None
        while True:
            st.begin_chunk()
            if st.draining:
                out = self._drain(st)
            else:
                if rows is None:
                    rows = self._rows()
                    self._skip_read(rows, st.read)
                block = list(itertools.islice(rows, _CHUNK))
                first = st.read
                st.read += len(block)
                if not block:  # the end of the source
                    rows = None
                    self._end_lap(st)
                    continue
                out = self._emit(st, block, first, shard, shards, size)
            if st.share is not None:
                out = out[: max(0, st.share - st.emitted)]
            st.emitted += len(out)
            st.out, st.out_left = out, iter(out[skip:])  # the snapshot's t: what is left
            yield st.out_left
            skip = 0
            if st.draining or (st.share is not None and st.emitted >= st.share):
                break
        self._ended = {**st.header(), "ended": True}
        self._pass = None

    @staticmethod
    def _skip_read(rows: Iterator, n: int) -> None:
        """Resuming: the rows read before (a stream cannot seek)."""
        skipped = sum(1 for _ in itertools.islice(rows, n))
        if skipped < n:
            raise ValueError(
                f"The source has {skipped} rows, but the state was taken after {n} of them: "
                "resume on the same source."
            )

    def _end_lap(self, st: _Pass) -> None:
        """The source has ended: drain the buffer, or (``length``) read it again."""
        if st.weighted and not st.weight_sum:
            raise ValueError(
                "Every row of the stream has weight 0 (weight times the class weight): the "
                "weights need a positive total."
            )
        enough = st.share is None or st.emitted + len(st.buffer) >= st.share
        if not enough and not st.lap_copies:
            raise ValueError(
                f"Shard {st.shard[0]} of {st.shard[1]} (rank x DataLoader worker) has no row "
                f"to emit in a whole reading of the source, so it cannot yield its "
                f"{st.share} rows of length={self.length}; the other shards would wait for it. "
                "Give the stream rows for every shard (fewer workers or ranks, or a source "
                "that shards evenly)."
            )
        st.lap, st.read, st.lap_copies = st.lap + 1, 0, 0
        st.draining = enough

    def _emit(self, st: _Pass, block: list, first: int, shard: int, shards: int, size: int) -> list:
        """The rows a chunk pushes out of the buffer (the buffer updated).

        Every row of the block is weighed (the mean weight and the class shares
        are the whole source's); this shard keeps every ``shards``-th row.
        """
        n = len(block)
        w = self._weights(st, block, first)
        if not st.scale and w.any():
            st.scale = float(w[np.flatnonzero(w)[0]])
        w = w / st.scale if st.scale else w  # relative to a fixed weight: no overflow
        position = st.weighted + np.arange(1, n + 1)
        total = st.weight_sum + np.cumsum(w)
        st.weighted += n
        st.weight_sum = float(total[-1])
        mine = np.arange((shard - first) % shards, n, shards)
        w, position, total = w[mine], position[mine], total[mine]
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            known = self.mean_weight if self.mean_weight is not None else self._known_mean
            if known is not None:
                expected = w * (st.scale / known)
            else:
                expected = np.where(total > 0, w * position / total, 0.0)
        whole = np.round(expected)
        base = np.floor(expected)
        copies = base + (st.rng.random(len(mine)) < expected - base)
        exact = np.abs(expected - whole) <= 1e-9 * np.maximum(1.0, expected)
        copies = np.where(exact, whole, copies).astype(np.intp)
        st.lap_copies += int(copies.sum())
        # the pool: the buffer's rows, then this shard's rows of the block; slots hold pool ids
        buffer = st.buffer
        held = len(buffer)
        incoming = held + np.repeat(np.arange(len(mine)), copies)
        fill = min(size - held, len(incoming))
        slots = np.r_[np.arange(held), incoming[:fill]].astype(np.intp)
        rest = incoming[fill:]
        pool = buffer + _take(block, mine)
        if not len(rest):
            st.buffer = _take(pool, slots)
            return []
        # each copy replaces a uniform slot, which is emitted: sequential in meaning,
        # computed at once (a copy emits its slot's last occupant before it)
        where = (st.rng.random(len(rest)) * size).astype(np.intp)
        small = where.astype(np.int16) if size < 2**15 else where  # 16 bits: a radix sort
        order = np.argsort(small, kind="stable")
        sorted_where, sorted_in = where[order], rest[order]
        first_in_slot = np.r_[True, sorted_where[1:] != sorted_where[:-1]]
        previous = np.r_[-1, sorted_in[:-1]]
        out_ids = np.empty(len(rest), dtype=np.intp)
        out_ids[order] = np.where(first_in_slot, slots[sorted_where], previous)
        last = np.r_[sorted_where[1:] != sorted_where[:-1], True]
        slots[sorted_where[last]] = sorted_in[last]
        st.buffer = _take(pool, slots)
        return _take(pool, out_ids)

    @property
    def _known_mean(self) -> float | None:
        """The mean class weight over the stream, when the shares are given and the rows
        have no weights of their own."""
        if self.class_counts is None or self.weight is not None:
            return None
        power = -1.0 if self.sampling == "balanced" else -0.5
        return float(sum(p * p**power for p in self.class_counts.values()))

    def _drain(self, st: _Pass) -> list:
        """The buffer, in random order (the end of the pass)."""
        out = _take(st.buffer, st.rng.permutation(len(st.buffer)))
        st.buffer = []
        return out

    def _weights(self, st: _Pass, chunk: list, first: int) -> np.ndarray:
        """Each row's weight: ``weight(row)`` times its class weight, checked."""
        n = len(chunk)
        if self.weight is None:
            w = np.ones(n)
        else:
            values = [
                v.item() if isinstance(v, torch.Tensor) and v.numel() == 1 else v
                for v in map(self.weight, chunk)
            ]
            try:
                w = np.array(values, dtype=np.float64)
                bad = ~(np.isfinite(w) & (w >= 0)) if w.ndim == 1 else None
            except (TypeError, ValueError, OverflowError):
                w, bad = None, None
            if bad is None or bad.any():  # the first offending row, named
                for i, v in enumerate(values):
                    real = isinstance(v, numbers.Real) and not isinstance(v, bool)
                    if not (real and math.isfinite(v) and v >= 0):
                        raise ValueError(
                            f"weight(row) must be a finite number >= 0; row {first + i} gave {v!r}."
                        )
        if self.label is not None:
            w = w * self._class_weights(st, chunk, first)
        return w

    def _class_weights(self, st: _Pass, chunk: list, first: int) -> np.ndarray:
        """Each row's class weight: from the given shares, or the running estimate."""
        keys = [_label_value(key) for key in map(self.label, chunk)]
        labels, codes = _codes_of(keys, first)
        known = self.class_counts
        if known is not None:
            missing = [code for code, label in enumerate(labels) if label not in known]
            if missing:
                i = int(np.flatnonzero(codes == missing[0])[0])
                raise ValueError(
                    f"Row {first + i} has label {keys[i]!r}, which class_counts does not "
                    f"list ({list(known)})."
                )
            share = np.array([known[label] for label in labels])[codes]
        else:  # each row's class share so far, the row included
            seen = np.empty(len(keys))
            for code, label in enumerate(labels):
                mine = codes == code
                running = st.counts.get(label, 0) + np.cumsum(mine)
                seen[mine] = running[mine]
                st.counts[label] = int(running[-1])
            share = seen / (st.weighted + np.arange(1, len(keys) + 1))
        return share**-1.0 if self.sampling == "balanced" else share**-0.5


def _codes_of(keys: list, first: int) -> tuple[list, np.ndarray]:
    """The distinct labels (as Python values) and each row's position among them.

    Labels numpy holds as one array (ints, bools, strings of one type) are coded
    at once; others (tuples, mixed types) through a dict.
    """
    kinds = set(map(type, keys))
    if len(kinds) == 1 and kinds <= set(_SCALARS):
        array = np.asarray(keys)
        if array.ndim == 1 and array.dtype.kind in "biuUS":
            if array.dtype.kind in "iu" and array.min() >= 0 and array.max() < 1 << 16:
                present = np.bincount(array) > 0  # small ints: counted, not sorted
                values = np.flatnonzero(present).astype(array.dtype)
                codes = (np.cumsum(present) - 1)[array]
            else:
                values, codes = np.unique(array, return_inverse=True)
            return values.tolist(), codes
    index: dict = {}
    codes = np.empty(len(keys), dtype=np.intp)
    for i, key in enumerate(keys):
        try:
            codes[i] = index.setdefault(key, len(index))
        except TypeError:
            raise TypeError(
                f"label(row) must be hashable; row {first + i} gave {key!r} ({type(key).__name__})."
            ) from None
    return list(index), codes


def _take(items: list, ids: np.ndarray) -> list:
    """``[items[i] for i in ids]``, gathered in C."""
    ids = ids.tolist()
    if len(ids) < 2:
        return [items[i] for i in ids]
    return list(operator.itemgetter(*ids)(items))


def _check_counts(counts: Mapping) -> dict:
    """Class shares from counts or shares: positive, finite; normalised to sum to one."""
    if not isinstance(counts, Mapping) or not counts:
        raise ValueError(f"class_counts must be a non-empty dict {{label: count}}; got {counts!r}.")
    values = {
        key: check_real(value, f"class_counts[{key!r}]", 0.0, math.inf, closed="neither")
        for key, value in counts.items()
    }
    total = sum(values.values())
    return {key: value / total for key, value in values.items()}
