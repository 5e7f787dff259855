"""Seeds of a fit: one integer from ``random_state``, one stream per use and epoch.

A fit's randomness (weight initialisation, dropout, the draws of every epoch)
derives from one integer seed. Each epoch reseeds its streams from
``(seed, epoch)``, so epoch ``e`` is the same whether the fit ran straight
through or was resumed from a checkpoint taken after epoch ``e - 1``; and all
of it runs inside a fork of torch's RNG, so the caller's global state is left
as it was.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
from sklearn.utils import check_random_state

__all__ = ["derive_seed", "fit_seed", "seed_torch", "seeded_torch"]

_STREAMS = {"torch": 0, "draws": 1, "shuffle": 2}


def fit_seed(random_state: Any) -> int:
    """The seed of a fit: fixed by an int ``random_state``.

    ``None`` draws it from torch's global generator, so that, as with skorch,
    ``torch.manual_seed(s)`` before ``fit`` makes the fit reproducible.

    Examples
    --------
    >>> from wsample_sk._seeding import fit_seed
    >>> fit_seed(0) == fit_seed(0)
    True
    """
    if random_state is None:
        return int(torch.randint(0, 2**62, ()).item())
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


def derive_seed(seed: int, stream: str, epoch: int = 0) -> int:
    """An independent 63-bit seed for ``stream`` at ``epoch`` of a fit.

    Examples
    --------
    >>> from wsample_sk._seeding import derive_seed
    >>> derive_seed(7, "torch", 1) != derive_seed(7, "torch", 2)
    True
    """
    state = np.random.SeedSequence([seed, _STREAMS[stream], epoch]).generate_state(1, np.uint64)
    return int(state[0] >> 1)


def _cuda_devices(device: Any) -> list[int]:
    dev = torch.device(device) if device is not None else torch.device("cpu")
    if dev.type == "cuda" and torch.cuda.is_available():
        return [dev.index if dev.index is not None else torch.cuda.current_device()]
    return []


def seed_torch(seed: int, device: Any) -> None:
    """Seed torch's CPU generator (and the CUDA device in use, if any).

    Cheaper than ``torch.manual_seed``, which also prepares every other
    backend: this runs once per epoch.
    """
    torch.random.default_generator.manual_seed(seed)
    for index in _cuda_devices(device):
        with torch.cuda.device(index):
            torch.cuda.manual_seed(seed)


@contextlib.contextmanager
def seeded_torch(seed: int, device: Any) -> Iterator[None]:
    """Seed torch inside a fork of its RNG: the caller's global state is kept."""
    with torch.random.fork_rng(devices=_cuda_devices(device)):
        seed_torch(seed, device)
        yield
