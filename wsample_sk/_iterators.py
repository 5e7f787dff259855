"""The loaders: whole batches at once where possible, the plan's sampler for training.

:func:`training_loader` builds the training ``DataLoader`` around the
epoch plan's sampler (or batch sampler, or a sampler of the user's when no
lever decides the draws) and wraps it in a
:class:`~wsample_sk._loading.TrainingLoader` that reports each batch's rows
to the plan; :func:`ordered_loader` serves validation and prediction in
order, a whole batch per indexing operation.
"""

from __future__ import annotations

from typing import Any

import torch
from torch.utils.data import DataLoader

from . import _parallel
from ._epoch_plan import EpochPlan
from ._loading import RowRecorder, TrainingLoader, as_is, batch_view, collate_rows
from ._samplers import BatchIndexSampler

__all__ = ["loader_setup", "ordered_loader", "training_loader"]


def loader_setup(iterator: Any, dataset: Any, kwargs: dict, batch_size: int):
    """The batch view of ``dataset`` (or ``None``) and the loader's kwargs, completed."""
    if batch_size == -1:
        batch_size = len(dataset)
    is_loader_class = isinstance(iterator, type) and issubclass(iterator, DataLoader)
    view = batch_view(dataset) if is_loader_class and "collate_fn" not in kwargs else None
    if is_loader_class:
        # DataLoader draws a worker seed per pass; a private generator keeps
        # loading from consuming torch's global RNG.
        kwargs.setdefault("generator", torch.Generator())
        if view is None:  # row by row: labels that are strings stay an array
            kwargs.setdefault("collate_fn", collate_rows)
    return view, kwargs, batch_size, is_loader_class


def ordered_loader(iterator: Any, dataset: Any, kwargs: dict, batch_size: int) -> Any | None:
    """Validation / prediction in order; ``None`` where skorch's own loader should serve."""
    view, kwargs, batch_size, is_loader_class = loader_setup(iterator, dataset, kwargs, batch_size)
    if view is None or kwargs.get("shuffle") or "sampler" in kwargs:
        if not is_loader_class:
            return None
        return iterator(dataset, batch_size=batch_size, **kwargs)
    kwargs.pop("shuffle", None)
    drop_last = kwargs.pop("drop_last", False)
    order = BatchIndexSampler(None, batch_size, drop_last, n=len(view))
    return iterator(view, sampler=order, batch_size=None, collate_fn=as_is, **kwargs)


def training_loader(
    iterator: Any, dataset: Any, kwargs: dict, batch_size: int, plan: EpochPlan
) -> TrainingLoader:
    """The training loader: the plan's draws, batch by batch, rows reported to the plan."""
    if kwargs.get("in_order") is False:
        raise ValueError(
            "iterator_train__in_order=False delivers batches out of the order "
            "they were drawn in, so their rows (and weights) cannot be known."
        )
    view, kwargs, batch_size, is_loader_class = loader_setup(iterator, dataset, kwargs, batch_size)
    shuffle = kwargs.pop("shuffle", None)
    drop_last = kwargs.pop("drop_last", False)
    user_sampler = kwargs.pop("sampler", None)
    user_batches = kwargs.pop("batch_sampler", None)
    if shuffle and (user_sampler is not None or user_batches is not None):
        raise ValueError(
            "iterator_train__shuffle=True and a sampler of your own "
            "(iterator_train__sampler / __batch_sampler) are mutually exclusive, as for "
            "torch's DataLoader."
        )
    plan.external = user_sampler is not None or user_batches is not None
    plan.sampler.ordered = shuffle is False
    if plan.batch_sampler is not None:  # BatchComposition (a user sampler was refused)
        user_batches = plan.batch_sampler
    if user_batches is not None:
        recorder = RowRecorder(user_batches, batched=True)
        if view is not None:  # whole batches by one indexing operation
            loader = iterator(view, sampler=recorder, batch_size=None, collate_fn=as_is, **kwargs)
        else:
            loader = iterator(dataset, batch_sampler=recorder, **kwargs)
        return TrainingLoader(loader, recorder.take, plan.on_batch)
    if user_sampler is not None:
        recorder = RowRecorder(user_sampler, batched=False)
        loader = iterator(
            dataset, sampler=recorder, batch_size=batch_size, drop_last=drop_last, **kwargs
        )
        return TrainingLoader(loader, recorder.take, plan.on_batch)
    world, rank = _parallel.world()
    if is_loader_class:
        batches = BatchIndexSampler(
            plan.sampler,
            batch_size,
            drop_last,
            as_lists=view is None,
            num_replicas=world,
            rank=rank,
        )
        if view is not None:
            loader = iterator(view, sampler=batches, batch_size=None, collate_fn=as_is, **kwargs)
        else:
            loader = iterator(dataset, batch_sampler=batches, **kwargs)
        return TrainingLoader(loader, lambda k, n: batches.rows_of(k), plan.on_batch)
    if world > 1:
        raise ValueError(
            "Data-parallel training needs iterator_train to be a DataLoader "
            f"class; got {iterator!r}."
        )
    recorder = RowRecorder(plan.sampler, batched=False)
    loader = iterator(
        dataset, sampler=recorder, batch_size=batch_size, drop_last=drop_last, **kwargs
    )
    return TrainingLoader(loader, recorder.take, plan.on_batch)
