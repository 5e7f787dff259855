"""WeightedStream: weighted sampling of an IterableDataset (copies, shards, resume)."""

import itertools
from collections import Counter

import numpy as np
import pytest
import torch
from scipy import stats
from torch.utils.data import DataLoader, IterableDataset

from wsample_sk import WeightedStream, _parallel
from wsample_sk import _stream as stream_module


def rows(n):
    return [(i, i % 4 == 0) for i in range(n)]


def emitted_counts(stream, n):
    counts = np.zeros(n, dtype=int)
    for i, _ in stream:
        counts[i] += 1
    return counts


# -- copies ---------------------------------------------------------------------------------
def test_copies_are_proportional_to_the_weights_with_power():
    n = 6000
    weight = {0: 1.0, 1: 3.0, 2: 0.5}  # by i % 3
    stream = WeightedStream(rows(n), weight=lambda row: weight[row[0] % 3], seed=0)
    counts = emitted_counts(stream, n)
    per_class = [counts[k::3].sum() for k in range(3)]
    expected = np.array([1.0, 3.0, 0.5]) / 4.5 * sum(per_class)
    assert stats.chisquare(per_class, expected).pvalue > 1e-3
    # the naive "one copy each" is rejected outright
    assert stats.chisquare(per_class, [sum(per_class) / 3] * 3).pvalue < 1e-12
    # every row: the floor or the ceiling of its expected count (weight / mean weight so far)
    w = np.array([weight[i % 3] for i in range(n)])
    c = w / (np.cumsum(w) / np.arange(1, n + 1))
    assert ((counts >= np.floor(c + 1e-9)) & (counts <= np.ceil(c - 1e-9))).all()


def test_alternating_weights_do_not_alias():
    n = 4000  # weights 1, 2, 1, 2, ...: expected copies 2/3 and 4/3, rounded at random
    stream = WeightedStream(rows(n), weight=lambda row: 1.0 + row[0] % 2, seed=1)
    counts = emitted_counts(stream, n)
    light, heavy = counts[0::2][50:], counts[1::2][50:]
    assert set(light) <= {0, 1} and set(heavy) <= {1, 2}
    assert abs((light == 0).mean() - 1 / 3) < 0.04 and abs((heavy == 2).mean() - 1 / 3) < 0.04
    # independent of position: no pattern between neighbours
    pairs = Counter(zip(light[:-1], light[1:], strict=True))
    assert (
        stats.chi2_contingency([[pairs[0, 0], pairs[0, 1]], [pairs[1, 0], pairs[1, 1]]]).pvalue
        > 1e-3
    )


def test_constant_weights_give_every_row_once_shuffled_within_the_buffer():
    n = 1000
    order = [i for i, _ in WeightedStream(rows(n), weight=lambda row: 0.1, buffer_size=50, seed=0)]
    assert sorted(order) == list(range(n)) and order != list(range(n))
    assert max(abs(pos - i) for pos, i in enumerate(order)) < 3 * n  # a bounded shuffle
    again = [i for i, _ in WeightedStream(rows(n), weight=lambda row: 0.1, buffer_size=50, seed=0)]
    assert order == again  # seeded
    s = WeightedStream(rows(n), buffer_size=50, seed=0)
    s.set_epoch(1)
    assert [i for i, _ in s] != order  # a new epoch: a new order
    fitted = WeightedStream(rows(300), length=300, buffer_size=1024, seed=0)  # buffer > pass
    assert sorted(i for i, _ in fitted) == list(range(300))  # the source's end drains it


def test_constant_weights_with_two_workers_give_exactly_one_pass():
    stream = WeightedStream(rows(500), seed=3, buffer_size=16)
    loader = DataLoader(stream, batch_size=32, num_workers=2)
    seen = sorted(int(i) for batch, _ in loader for i in batch)
    assert seen == list(range(500))


def test_balanced_class_shares_come_out_equal_known_or_estimated():
    n = 8000  # class True is 1 row in 4
    known = WeightedStream(rows(n), label=lambda r: r[1], sampling="balanced",
                           class_counts={True: 1, False: 3}, seed=0)  # fmt: skip
    estimated = WeightedStream(rows(n), label=lambda r: r[1], sampling="balanced", seed=0)
    for stream in (known, estimated):
        drawn = np.array([label for _, label in stream])
        assert abs(drawn.mean() - 0.5) < 0.02 and abs(len(drawn) - n) < 0.05 * n
    sqrt = np.array([label for _, label in WeightedStream(rows(n), label=lambda r: r[1],
                     sampling="sqrt", class_counts={True: 1, False: 3}, seed=0)])  # fmt: skip
    assert abs(sqrt.mean() - 1 / (1 + 3**0.5)) < 0.02  # (1/4)^.5 : (3/4)^.5 of the draws


def test_memory_is_the_buffer():
    stream = WeightedStream(rows(3000), weight=lambda r: 1.0 + 9.0 * r[1], buffer_size=64, seed=0)
    it = iter(stream)
    for _ in range(2000):
        next(it)
        assert len(stream.state_dict()["buffer"]) <= 64


# -- resuming -------------------------------------------------------------------------------
def make(**kw):
    return WeightedStream(rows(2500), weight=lambda r: 1.0 + 4.0 * r[1], buffer_size=40, seed=5,
                          **kw)  # fmt: skip


# rows are handled in chunks of 1,024: stops in the first, second and third, and in the drain
@pytest.mark.parametrize("stop", [0, 1, 37, 1100, 2300, -10])
@pytest.mark.parametrize("length", [None, 5200])  # 5,200 rows: more than two readings
def test_an_interrupted_and_resumed_pass_equals_the_uninterrupted_one(stop, length):
    whole = list(make(length=length))
    stop = stop % len(whole)
    first = make(length=length)
    it = iter(first)
    head = [next(it) for _ in range(stop)]
    state = first.state_dict()
    resumed = make(length=length)
    resumed.load_state_dict(state)
    assert head + list(resumed) == whole
    assert len(whole) == (length or len(whole))


def test_state_is_checked_when_loaded():
    stream = make()
    with pytest.raises(ValueError, match="not the state of a WeightedStream"):
        stream.load_state_dict({"epoch": 0})
    it = iter(make())
    next(it)
    other = make(length=800)
    other.load_state_dict(make().state_dict())  # a pass not begun: just its epoch
    assert len(list(other)) == 800
    fresh = make()
    iter(fresh)  # begun, nothing taken yet: resumes at its start
    again = make()
    again.load_state_dict(fresh.state_dict())
    assert list(again) == list(make())
    taken = iter(first := make())
    next(taken)
    state = first.state_dict()
    wrong = make(length=900)
    wrong.load_state_dict(state)
    with pytest.raises(ValueError, match="resume with the same workers, ranks, length and buffer"):
        iter(wrong)


def test_resumes_through_statefuldataloader_with_two_workers():
    from torchdata.stateful_dataloader import StatefulDataLoader

    def loader(stream):
        return StatefulDataLoader(stream, batch_size=10, num_workers=2)

    whole = [b[0].tolist() for b in loader(make())]
    first = loader(make())
    head = [b[0].tolist() for b in itertools.islice(first, 23)]
    state = first.state_dict()
    second = loader(make())
    second.load_state_dict(state)
    tail = [b[0].tolist() for b in second]
    assert head + tail == whole


# -- shards and ranks -----------------------------------------------------------------------
def test_ranks_need_a_length_and_yield_the_same_rows(monkeypatch):
    monkeypatch.setattr(_parallel, "world", lambda: (2, 0))
    with pytest.raises(ValueError, match="pass length="):
        iter(WeightedStream(rows(100), seed=0))
    per_rank = []
    for rank in (0, 1):
        monkeypatch.setattr(_parallel, "world", lambda rank=rank: (2, rank))
        stream = WeightedStream(rows(1000), weight=lambda r: 1.0 + r[1], seed=0, length=1000)
        per_rank.append([i for i, _ in stream])
        assert len(per_rank[-1]) == len(stream) == 500
    assert not {i % 2 for i in per_rank[0]} & {i % 2 for i in per_rank[1]}  # every 2nd row each


class Shards(IterableDataset):
    """A source that shards itself by worker (as WebDataset's split_by_worker)."""

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        k, s = (info.num_workers, info.id) if info else (1, 0)
        return iter([(i, False) for i in range(s, 200, k)])


def test_a_source_that_shards_itself_is_not_sharded_again():
    loader = DataLoader(WeightedStream(Shards(), sharded_source=True, seed=0), batch_size=8,
                        num_workers=2)  # fmt: skip
    assert sorted(int(i) for batch, _ in loader for i in batch) == list(range(200))


# -- errors ---------------------------------------------------------------------------------
def test_bad_input_is_named():
    with pytest.raises(TypeError, match="one-shot iterator"):
        WeightedStream(iter(rows(3)))
    with pytest.raises(ValueError, match="label and sampling go together"):
        WeightedStream(rows(3), label=lambda r: r[1])
    with pytest.raises(ValueError, match=r"class_counts\[False\] == 0.0, must be > 0.0"):
        WeightedStream(rows(3), label=lambda r: r[1], sampling="balanced",
                       class_counts={True: 1, False: 0})  # fmt: skip
    bad = WeightedStream(rows(10), weight=lambda r: float("nan") if r[0] == 7 else 1.0)
    with pytest.raises(ValueError, match="row 7 gave nan"):
        list(bad)
    unknown = WeightedStream(rows(10), label=lambda r: r[1], sampling="balanced",
                             class_counts={True: 1})  # fmt: skip
    with pytest.raises(ValueError, match="Row 1 has label False, which class_counts does not"):
        list(unknown)
    with pytest.raises(ValueError, match="buffer_size"):
        WeightedStream(rows(3), buffer_size=0)


def test_a_generator_function_is_a_source_read_again_every_pass():
    def source():
        yield from rows(30)

    stream = WeightedStream(source, seed=0)
    assert sorted(i for i, _ in stream) == sorted(i for i, _ in stream) == list(range(30))
    assert stream_module._CHUNK >= 256  # rows are weighed and shuffled in vectorised chunks


# -- the estimators on a stream ---------------------------------------------------------------
@pytest.fixture(scope="module")
def rare():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1500, 5)).astype("f4")
    return X, (X[:, 0] > 1.0).astype(int)  # 1 row in 6 of class 1


def test_the_classifier_trains_on_a_balanced_stream(rare):
    from sklearn.metrics import balanced_accuracy_score

    from wsample_sk import WeightedSamplingClassifier

    X, y = rare
    stream = WeightedStream(list(zip(X, y, strict=True)), label=lambda r: int(r[1]),
                            sampling="balanced", seed=0)  # fmt: skip
    clf = WeightedSamplingClassifier(classes=[0, 1], max_epochs=4, random_state=0).fit(stream)
    plain = WeightedSamplingClassifier(max_epochs=4, random_state=0).fit(X, y)
    assert stream.epoch == 3  # set_epoch every epoch: new copies, new order
    assert (
        balanced_accuracy_score(y, clf.predict(X))
        > balanced_accuracy_score(y, plain.predict(X)) + 0.1
    )
    assert clf.predict_proba(X).shape == (len(X), 2) and clf.target_kind_ == "single-label"
    with pytest.raises(ValueError, match="predict on the source itself"):
        clf.predict(stream)  # its rows repeated and shuffled: predictions would not line up
    clf.partial_fit(stream)  # continues on the same stream
    assert len(clf.history) == 8


def test_the_estimators_say_what_a_stream_needs(rare):
    from wsample_sk import WeightedSamplingClassifier, WeightedSamplingRegressor

    X, y = rare
    stream = WeightedStream(list(zip(X, y, strict=True)), seed=0)
    for params, match in [
        (dict(sampling="balanced"), "Weigh them in the stream instead: WeightedStream"),
        (dict(class_weight="balanced"), "class_weight=.* a stream's rows come as"),
        (dict(train_split=5), "pass train_split=None"),
        (dict(classes=None), r"pass classes=\[...\]"),
    ]:
        with pytest.raises(ValueError, match=match):
            WeightedSamplingClassifier(**{"classes": [0, 1], **params}, max_epochs=1).fit(stream)
    net = WeightedSamplingClassifier(classes=[0, 1], max_epochs=1)
    with pytest.raises(ValueError, match="so y must be None"):
        net.fit(stream, y)
    with pytest.raises(ValueError, match="weigh them in the stream"):
        net.fit(stream, None, sample_weight=np.ones(len(y)))
    with pytest.raises(ValueError, match=r"yields \(input, target\) rows; its first row is"):
        net.fit(WeightedStream([1.0, 2.0]))
    with pytest.raises(ValueError, match="The stream given to .* is empty"):
        net.fit(WeightedStream([]))
    odd = [(x, 2 if i == 40 else int(t)) for i, (x, t) in enumerate(zip(X, y, strict=True))]
    with pytest.raises(ValueError, match=r"label 2.0, which is not one of classes=\[0.0, 1.0\]"):
        net.fit(WeightedStream(odd, seed=0))
    values = WeightedStream([(x, np.float32(2 * x[0])) for x in X], seed=0)
    reg = WeightedSamplingRegressor(max_epochs=3, random_state=0).fit(values)
    assert reg.predict(X).shape == (len(X),)
    tags = WeightedStream([(x, (x[:3] > 0).astype("f4")) for x in X], seed=0)  # 3 labels a row
    multi = WeightedSamplingClassifier(max_epochs=1, random_state=0).fit(tags)
    assert multi.target_kind_ == "multi-label" and multi.predict(X).shape == (len(X), 3)


DDP_SCRIPT = r"""
import json, os, socket, sys
import numpy as np
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch.utils.data import DataLoader
from wsample_sk import ClassMixSampler, ShardedSampler, WeightedStream


def label(row):
    return row[1]


def run(rank, out):
    dist.init_process_group("gloo", rank=rank, world_size=2)
    rows = [(i, i % 5 == 0) for i in range(1000)]
    once = [int(i) for b, _ in DataLoader(WeightedStream(rows, seed=0, length=1000), 50) for i in b]
    weighted = WeightedStream(rows, label=label, sampling="balanced", seed=0, length=1200)
    seen = [int(i) for i, _ in weighted]
    y = np.array([r[1] for r in rows], dtype=int)
    sharded = ShardedSampler(ClassMixSampler(y, "balanced", seed=0))  # ranks from the group
    sharded.set_epoch(0)
    json.dump({"once": once, "weighted": seen, "sharded": list(sharded)},
              open(f"{out}.{rank}", "w"))
    dist.destroy_process_group()


if __name__ == "__main__":
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    mp.spawn(run, args=(sys.argv[1],), nprocs=2, join=True)
"""


def test_the_rank_travels_with_the_stream_into_a_spawned_worker(monkeypatch):
    import pickle

    monkeypatch.setattr(_parallel, "world", lambda: (2, 1))  # in the rank's main process
    sent = pickle.loads(pickle.dumps(WeightedStream(rows(100), seed=0, length=100)))
    monkeypatch.setattr(_parallel, "world", lambda: (1, 0))  # a spawned worker: no group
    assert sorted(i for i, _ in sent) == list(range(1, 100, 2))  # still rank 1 of 2
    local = pickle.loads(pickle.dumps(WeightedStream(rows(10), seed=0)))
    monkeypatch.setattr(_parallel, "world", lambda: (2, 0))  # copied before the group existed
    with pytest.raises(ValueError, match="pass length="):
        iter(local)  # it reads the world where it runs


def test_two_gloo_ranks_read_disjoint_rows_and_yield_the_same_batches(tmp_path):
    import json
    import subprocess
    import sys

    script = tmp_path / "ddp_stream.py"
    script.write_text(DDP_SCRIPT)
    out = tmp_path / "ranks"
    done = subprocess.run([sys.executable, str(script), str(out)], capture_output=True,
                          text=True, timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    ranks = [json.loads((tmp_path / f"ranks.{r}").read_text()) for r in (0, 1)]
    assert len(ranks[0]["once"]) == len(ranks[1]["once"]) == 500
    assert sorted(ranks[0]["once"] + ranks[1]["once"]) == list(range(1000))  # every row once
    assert len(ranks[0]["weighted"]) == len(ranks[1]["weighted"]) == 600  # the same batches
    assert [{i % 2 for i in r["weighted"]} for r in ranks] == [{0}, {1}]
    assert len(ranks[0]["sharded"]) == len(ranks[1]["sharded"]) == 500


# -- what a reviewer tried --------------------------------------------------------------------
def test_weights_between_shards_are_kept():
    # alternating weights 1, 3 read by two workers: each worker reads every other row,
    # but weighs every row, so the odd rows still come out three times as often
    stream = WeightedStream(list(range(4000)), weight=lambda r: 1.0 + 2.0 * (r % 2), seed=0)
    out = [int(x) for x in DataLoader(stream, batch_size=None, num_workers=2)]
    odd = sum(x % 2 for x in out)
    assert abs(odd / (len(out) - odd) - 3.0) < 0.15


class ByClass(IterableDataset):
    """Worker 0 yields 900 rows of class 0, worker 1 100 of class 1 (shards grouped by class)."""

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        k = 0 if info is None else info.id
        return iter([(i, k) for i in range(900 if k == 0 else 100)])


def test_a_self_sharding_source_with_known_shares_is_balanced_and_seeded_per_worker():
    stream = WeightedStream(ByClass(), label=lambda r: r[1], sampling="balanced",
                            class_counts={0: 900, 1: 100}, sharded_source=True, seed=0)  # fmt: skip
    out = [int(c) for _, c in DataLoader(stream, batch_size=None, num_workers=2)]
    assert abs(np.mean(out) - 0.5) < 0.05 and abs(len(out) - 1000) < 60


def test_mean_weight_makes_trending_weights_proportional():
    n = 4000
    stream = WeightedStream(list(range(n)), weight=lambda r: 1.0 + r, mean_weight=(n + 1) / 2,
                            seed=0)  # fmt: skip
    counts = np.bincount([int(x) for x in stream], minlength=n)
    first, last = counts[: n // 10].mean(), counts[-n // 10 :].mean()
    assert 0.07 < first < 0.13 and 1.8 < last < 2.1  # about 2 (2r/n) at the ends


def test_a_pass_that_ended_resumes_as_ended():
    from torchdata.stateful_dataloader import StatefulDataLoader

    stream = make()
    whole = list(stream)
    state = stream.state_dict()
    assert state["ended"]
    again = make()
    again.load_state_dict(state)
    assert list(again) == [] and list(again) == whole  # then a new pass

    def loader():
        return StatefulDataLoader(make(), batch_size=32, num_workers=2)

    batches = [b[0].tolist() for b in loader()]
    for taken in (len(batches) - 2, len(batches) - 1, len(batches)):  # a worker has ended
        first = loader()
        head = [b[0].tolist() for b in itertools.islice(first, taken)]
        resumed = loader()
        resumed.load_state_dict(first.state_dict())
        assert head + [b[0].tolist() for b in resumed] == batches


def test_passes_that_cannot_be_filled_and_zero_weights_are_errors(monkeypatch):
    with pytest.raises(ValueError, match="weights need a positive total"):
        list(WeightedStream(rows(50), weight=lambda r: 0.0))
    monkeypatch.setattr(_parallel, "world", lambda: (2, 1))
    odd_zero = WeightedStream(list(range(100)), weight=lambda r: float(r % 2 == 0), length=100)
    with pytest.raises(ValueError, match="Shard 1 of 2 .* has no row to emit"):
        list(odd_zero)


def test_labels_as_tensors_and_mixed_types_and_weights_of_any_size():
    tensors = [(i, torch.tensor(int(i % 4 == 0))) for i in range(4000)]
    drawn = [int(c) for _, c in WeightedStream(tensors, label=lambda r: r[1],
                                               sampling="balanced", seed=0)]  # fmt: skip
    assert abs(np.mean(drawn) - 0.5) < 0.05 and abs(len(drawn) - 4000) < 200
    mixed = [(i, 1 if i % 2 else "a") for i in range(10)]
    out = list(WeightedStream(mixed, label=lambda r: r[1], sampling="balanced",
                              class_counts={1: 1, "a": 1}, seed=0))  # fmt: skip
    assert len(out) == 10
    huge = list(WeightedStream(rows(100), weight=lambda r: 1e308, seed=0))
    assert sorted(i for i, _ in huge) == list(range(100))
    with pytest.raises(ValueError, match=r"row 3 gave \[1.0\]"):
        list(WeightedStream(rows(10), weight=lambda r: [1.0] if r[0] == 3 else 1.0))
    with pytest.raises(ValueError, match="class_counts gives the shares"):
        WeightedStream(rows(3), class_counts={True: 1})


def test_memory_is_the_buffer_and_one_chunk():
    pulled = []

    def source():
        for i in range(10_000):
            pulled.append(i)
            yield (i, False)

    it = iter(WeightedStream(source, buffer_size=8, seed=0, length=8))
    next(it)
    assert len(pulled) <= stream_module._CHUNK  # one chunk read, not the whole source
