"""The fit's data at the boundary: ``X``, ``y`` and ``sample_weight`` validated once.

:func:`fit_data` validates one fit's inputs as scikit-learn does (setting
``n_features_in_`` / ``feature_names_in_``), learns the classes, encodes the
labels as output positions and checks ``sample_weight``; the result
(:class:`FitData`) is what the loaders and the class-mix schedule use below
the boundary. Inputs are converted where the default network needs it
(integers and half precision to float32); complex inputs are refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from numbers import Real
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.utils import check_array
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import column_or_1d, validate_data
from skorch.dataset import Dataset as SkorchDataset
from skorch.dataset import get_len
from skorch.utils import data_from_dataset, is_dataset, is_pandas_ndframe, to_numpy
from torch.utils.data import IterableDataset

from ._epoch_plan import TrainingPart
from ._labels import encode, output_labels
from ._loading import ArrayDataset, is_dict, rows_in, to_tensors
from ._multilabel import check_label_matrix
from ._target_kind import CONTINUOUS, MULTI_LABEL, SINGLE_LABEL, TargetKind, fitted_kind
from ._validation import check_sampling_weights

__all__ = [
    "FitData",
    "default_module_sizes",
    "fit_data",
    "training_part",
    "validate_inputs",
]


@dataclass
class FitData:
    """What the boundary of one ``fit`` call validated, for the hooks below it."""

    X: Any  # the caller's X (skorch and the callbacks see it)
    dataset: Any  # the dataset skorch trains on (built lazily for a custom ``dataset=``)
    labels: np.ndarray | None  # all rows' labels, when known
    codes: np.ndarray | None  # their output positions
    sample_weight: np.ndarray | None
    n_inputs: int | None  # per-sample input size, for the default MLP
    codec: Any  # the kind's: a batch's targets as the criterion takes them
    seed: int = 0  # set once the module is initialised
    indicator: Any = None  # multi-label targets: a CSR 0/1 matrix (labels, codes are None)
    kind: TargetKind = SINGLE_LABEL  # decided here, once
    levers: tuple = (None, None)  # the canonical sampling and loss-weight specs
    n_outputs: int | None = None  # a continuous target's columns, for the default MLP
    stream: bool = False  # an IterableDataset: rows come in batches of the stream, unweighted here

    @property
    def known_targets(self) -> Any:
        """The rows' targets as the levers use them (``None``: unknown)."""
        if self.kind is CONTINUOUS:
            return self.labels
        return self.codes if self.indicator is None else self.indicator


def _is_table_list(X: Any) -> bool:
    """A list/tuple of rows (scikit-learn's table), not skorch's list of inputs."""
    if not isinstance(X, (list, tuple)) or not X:
        return isinstance(X, (list, tuple))
    first = X[0]
    return not (
        (isinstance(first, (np.ndarray, torch.Tensor)) and np.ndim(first) >= 1) or is_dict(first)
    ) and not sp.issparse(first)


def for_skorch(data: Any, validated: Any) -> Any:
    """``data`` where skorch's Dataset reads it as one table, else its validated form."""
    if sp.issparse(data):  # skorch's Dataset reads CSR only
        return data if data.format == "csr" else validated
    if isinstance(data, (np.ndarray, torch.Tensor)) or is_dict(data):
        return data
    if is_pandas_ndframe(data) or (isinstance(data, (list, tuple)) and not _is_table_list(data)):
        return data
    return validated


def _as_seen(y: Any, targets: np.ndarray) -> Any:
    """A multi-label ``y`` as skorch's callbacks see it: as given if one array, else 2-D."""
    return y if isinstance(y, (np.ndarray, torch.Tensor)) or is_pandas_ndframe(y) else targets


def _one_row_batch(x: Any) -> Any:
    """One dataset item's input as a batch of one (for sizing the default MLP)."""
    if is_dict(x):
        return {k: torch.as_tensor(np.asarray(v))[None] for k, v in x.items()}
    return torch.as_tensor(np.asarray(x))[None]


_HALF = (torch.float16, torch.bfloat16)


def _as_float32(x: Any, default_module: bool) -> Any:
    """float64 inputs as float32 (torch's default); half precision too for the default MLP."""
    if isinstance(x, torch.Tensor):
        if x.is_complex():
            raise ValueError(f"Complex data not supported: X has dtype {x.dtype}.")
        if x.dtype == torch.float64 or (default_module and x.dtype in _HALF):
            return x.float()
        return x
    if x.dtype == np.float64 or (default_module and x.dtype == np.float16):
        return x.astype(np.float32)
    return x


def _check_numeric_columns(frame: Any) -> None:
    """A DataFrame of numbers (or bools): other columns named, with their dtype and a value."""
    columns = frame.to_frame() if frame.ndim == 1 else frame
    for name, dtype in columns.dtypes.items():
        if dtype.kind in "biuf":
            continue
        values = columns[name]
        where = "first value"
        value = values.iloc[0] if len(values) else None
        if dtype.kind == "O" and not hasattr(dtype, "categories"):
            # numbers stored as objects are fine, as for scikit-learn; else the first other
            numbers = np.array([isinstance(v, Real) and not isinstance(v, bool) for v in values])
            if numbers.all():
                continue
            i = int(np.flatnonzero(~numbers)[0])
            where, value = f"row {i} holds", values.iloc[i]
        raise ValueError(
            f"X column {name!r} has dtype {dtype} ({where} {value!r}); "
            "the network takes numbers: encode it first, e.g. with OneHotEncoder or "
            "OrdinalEncoder in a Pipeline (or sklearn.compose.make_column_transformer)."
        )


def _validate_leaf(net: Any, x: Any, *, reset: bool, top: bool) -> Any:
    """One input array: validated as scikit-learn does, float64 as float32."""
    default_module = net.module is None
    if is_pandas_ndframe(x):
        _check_numeric_columns(x)
    if isinstance(x, torch.Tensor) and (x.device.type != "cpu" or x.dtype == torch.bfloat16):
        return _as_float32(x, default_module)  # left on its device; checked by the module
    if isinstance(x, torch.Tensor):
        x = x.detach().numpy()
    dtype = getattr(x, "dtype", None)
    if isinstance(dtype, np.dtype) and dtype.kind == "c":
        raise ValueError(f"Complex data not supported: X has dtype {dtype}; pass real values.")
    if top:  # 1-D X: one value per sample, for a module of the user's only
        x = validate_data(
            net,
            x,
            reset=reset,
            accept_sparse="csr",
            allow_nd=True,
            ensure_2d=default_module,
            dtype="numeric",
        )
    else:
        x = check_array(x, accept_sparse="csr", allow_nd=True, ensure_2d=False, dtype="numeric")
    if default_module and x.dtype.kind in "biu":  # the default MLP takes floats
        x = x.astype(np.float32)
    return _as_float32(x, default_module)


def validate_inputs(net: Any, X: Any, *, reset: bool) -> Any:
    """``X`` validated once, as tensors for batch indexing (see ``to_tensors``)."""
    if is_dict(X) or (isinstance(X, (list, tuple)) and not _is_table_list(X)):
        if reset:
            for attr in ("n_features_in_", "feature_names_in_"):
                vars(net).pop(attr, None)
        leaves = X.items() if is_dict(X) else enumerate(X)
        checked = {k: _validate_leaf(net, v, reset=reset, top=False) for k, v in leaves}
        tree = checked if is_dict(X) else type(X)(checked.values())
        get_len(tree)  # consistent lengths
        return to_tensors(tree)
    return to_tensors(_validate_leaf(net, X, reset=reset, top=True))


def inputs_per_sample(inputs: Any) -> int:
    """Input size of one sample, for the default MLP (which flattens)."""
    if is_dict(inputs) or isinstance(inputs, (list, tuple)):
        values = list(inputs.values() if is_dict(inputs) else inputs)
        if len(values) != 1:
            raise ValueError(
                "The default module takes one input; with several inputs "
                "(a dict or list of arrays) pass your own module."
            )
        return inputs_per_sample(values[0])
    shape = inputs.shape[1:]
    return int(np.prod(shape)) if len(shape) else 1


def _is_table(y: Any) -> bool:
    """A 2-D target with more than one column (an indicator matrix, or an error)."""
    if sp.issparse(y):
        return True
    shape = getattr(y, "shape", None)
    if shape is None and isinstance(y, (list, tuple)) and len(y):
        shape = np.shape(y) if isinstance(y[0], (list, tuple, np.ndarray)) else None
    return shape is not None and (len(shape) > 2 or (len(shape) == 2 and shape[1] > 1))


def check_indicator(y: Any, n: int) -> Any:
    """A multi-label target as a CSR 0/1 matrix; anything else 2-D is a clear error."""
    y = to_numpy(y) if isinstance(y, torch.Tensor) else y
    if not sp.issparse(y) and np.ndim(y) > 2:
        raise ValueError(
            f"y must be 1-D (one label per row) or a 2-D 0/1 indicator matrix (multi-label); "
            f"got an array of shape {np.shape(y)}."
        )
    try:  # a value that is not 0/1 (NaN included): its row, column and value
        check_label_matrix(y, name="y")
    except ValueError as exc:
        columns = getattr(y, "columns", None)
        found = re.search(r"column (\d+)\)", str(exc))
        if columns is None or found is None:
            raise
        column = columns[int(found.group(1))]
        raise ValueError(str(exc).replace(found.group(0), f"column {column!r})")) from None
    kind = type_of_target(y)
    if kind != "multilabel-indicator":
        raise ValueError(
            f"y is a 2-D target of type {kind!r}; {_NAME} takes one label per row (1-D y) "
            "or a 0/1 indicator matrix (multi-label), not multi-output multi-class targets."
        )
    indicator, rows, _ = check_label_matrix(y, name="y")
    if rows != n:
        raise ValueError(f"X has {n} samples but y has {rows}; they must match.")
    return indicator


_NAME = "WeightedSamplingClassifier"


def check_labels(y: Any, n: int) -> np.ndarray:
    """``y`` as 1-D class labels, one per sample."""
    y = column_or_1d(to_numpy(y) if isinstance(y, torch.Tensor) else y, warn=True)
    check_classification_targets(y)
    if len(y) != n:
        raise ValueError(f"X has {n} samples but y has {len(y)}; they must match.")
    return y


def default_module_sizes(net: Any, *, fitting: bool) -> dict:
    """The arguments of the default :class:`~wsample_sk.modules.MLP`, from the data.

    Before any data it needs ``module__n_features`` and the classes
    (``classes=`` or ``module__n_classes``).
    """
    kwargs = dict(getattr(net, "_default_module_sizes", {}))
    labels = output_labels(net)
    if labels is not None:
        kwargs["n_classes"] = len(labels)
    if isinstance(net.criterion, type) and issubclass(net.criterion, torch.nn.NLLLoss):
        kwargs["output"] = "proba"  # NLLLoss takes probabilities (skorch logs them)
    kwargs.update(net.get_params_for("module"))
    missing = [k for k in ("n_features", "n_classes") if k not in kwargs]
    if missing and getattr(type(net), "fixed_kind", None) is CONTINUOUS:
        raise ValueError(
            "The default module is sized from the data, and there is none yet: call fit, "
            "or pass module__n_features=<inputs per sample> and module__n_classes=<target "
            f"columns> before initialize(); missing: {', '.join(missing)}."
        )
    if missing and fitting:
        raise ValueError(
            "The default module needs the number of classes, and the targets of "
            "this Dataset cannot be read: pass y to fit, or classes=[...]."
        )
    if missing:
        raise ValueError(
            "The default module is sized from the data, and there is none yet: "
            "call fit, or pass module__n_features=<inputs per sample> and "
            "classes=[...] (or module__n_classes=<number of classes>) before "
            f"initialize(); missing: {', '.join(missing)}."
        )
    return kwargs


def _learn_classes(net: Any, labels: np.ndarray | None, reset: bool, classes: Any) -> None:
    """Fix the classes (skorch's ``classes_inferred_``) at the first fit."""
    if net.classes is not None and len(net.classes):
        known = np.asarray(net.classes)
        if len(np.unique(known)) != len(known):
            raise ValueError(f"classes must not repeat a label; got {known.tolist()!r}.")
    elif reset or "classes_inferred_" not in vars(net):
        source = classes if classes is not None else labels
        if source is None:
            vars(net).pop("classes_inferred_", None)
            return
        known = np.unique(np.asarray(source))
        net.classes_inferred_ = known
    else:
        known = net.classes_inferred_
    if len(known) < 2:
        raise ValueError(
            f"{type(net).__name__} needs samples of at least two classes; "
            f"got {len(known)} class ({known.tolist()!r})."
        )


def _dataset_targets(X: Any, y: Any, n: int, check: Any) -> np.ndarray | None:
    """A Dataset's targets (``y``, else what it yields), checked; ``None`` if unreadable."""
    if y is not None:
        return check(y, n)
    try:
        return check(data_from_dataset(X)[1], n)
    except (AttributeError, TypeError, ValueError):
        return None  # targets not readable: no lever on them can apply


def _check_same_kind(net: Any, kind: TargetKind) -> None:
    """Training on: ``y`` must be of the kind the model was fitted (or restored) on."""
    fitted = fitted_kind(net, guess=False)
    if fitted is None or fitted is kind:
        return
    if kind is MULTI_LABEL:
        raise ValueError(
            "y is a multi-label indicator, but the model was fitted on one label per row."
        )
    known = output_labels(net)
    columns = "" if known is None else f" of {len(known)} label columns"
    raise ValueError(
        f"y holds one label per row, but the model was fitted on a multi-label indicator"
        f"{columns}; pass y as a 0/1 matrix of shape (n_samples, n_labels)."
    )


def _learn_label_columns(net: Any, n_labels: int, reset: bool) -> None:
    """A 0/1 indicator target: ``classes_`` are the label columns, as MLPClassifier's."""
    if net.classes is not None and len(net.classes) and len(net.classes) != n_labels:
        raise ValueError(f"classes names {len(net.classes)} labels but y has {n_labels} columns.")
    known = None if reset else output_labels(net)
    if known is not None and len(known) != n_labels:
        raise ValueError(f"y has {n_labels} label columns; the model was fitted on {len(known)}.")
    if getattr(net.train_split, "stratified", False):
        raise ValueError(
            "train_split stratifies by one label per row, which a multi-label y does not "
            "have; pass ValidSplit(cv, stratified=False) (or a split of your own)."
        )
    net.classes_inferred_ = np.arange(n_labels)


def check_values(y: Any, n: int) -> np.ndarray:
    """A continuous target: finite real numbers, 1-D or 2-D, one row per sample (float64)."""
    y = to_numpy(y) if isinstance(y, torch.Tensor) else y
    if is_pandas_ndframe(y):
        y = y.to_numpy()
    given = np.asarray(y)
    if given.dtype.kind not in "biuf":  # strings, complex, objects: the first non-real named
        flat = given.reshape(-1)
        real = np.array(
            [isinstance(v, Real) and not isinstance(v, (bool, np.bool_)) for v in flat.tolist()]
        )
        if given.dtype.kind != "O" or not real.all():
            i = int(np.flatnonzero(~real)[0]) if (~real).any() else 0
            where = np.unravel_index(i, given.shape) if given.ndim else ()
            place = ", ".join(f"{d} {w}" for d, w in zip(("row", "column"), where, strict=False))
            raise ValueError(
                "y must hold real numbers (a continuous target); got "
                f"{flat[i]!r} of dtype {given.dtype} at {place or 'row 0'}."
            )
    values = given.astype(np.float64)
    if values.ndim not in (1, 2) or (values.ndim == 2 and values.shape[1] == 0):
        raise ValueError(f"y must be 1-D or 2-D (n_samples, n_targets); got shape {values.shape}.")
    if len(values) != n:
        raise ValueError(f"X has {n} samples but y has {len(values)}; they must match.")
    bad = ~np.isfinite(values)
    if bad.any():
        where = np.argwhere(bad)[0]
        place = f"row {where[0]}" + (f", column {where[1]}" if values.ndim == 2 else "")
        raise ValueError(f"y must be finite; got {float(values[tuple(where)])!r} at {place}.")
    return values


def fit_data(
    net: Any,
    X: Any,
    y: Any,
    sample_weight: Any,
    *,
    reset: bool,
    classes: Any,
    kind: TargetKind | None = None,
) -> FitData:
    """Validate one fit's data at the boundary, once.

    ``kind``: the estimator's fixed kind of target (a regressor's continuous
    values); ``None``: one label per row or, for a 2-D ``y``, a label indicator.
    """
    if isinstance(X, IterableDataset):
        return _stream_data(net, X, y, sample_weight, reset=reset, classes=classes, kind=kind)
    continuous = kind is CONTINUOUS
    if is_dataset(X):
        n = len(X)
        check = check_values if continuous else check_labels
        labels, indicator = _dataset_targets(X, y, n, check), None
        dataset, n_inputs = X, None
        if net.module is None and reset:
            first = X[0]
            x0 = first[0] if isinstance(first, (tuple, list)) else first
            n_inputs = inputs_per_sample(_one_row_batch(x0))
    else:
        if y is None:
            raise ValueError(
                f"{type(net).__name__} requires y to be passed, but the target "
                "y is None: pass the targets (y may be None only when X is "
                "a torch Dataset that yields them)."
            )
        inputs = validate_inputs(net, X, reset=reset)
        n = get_len(inputs)
        indicator = check_indicator(y, n) if not continuous and _is_table(y) else None
        if continuous:
            labels = check_values(y, n)
            targets = labels.astype(np.float32)
        else:
            labels = check_labels(y, n) if indicator is None else None
            targets = labels if indicator is None else indicator.toarray().astype(np.float32)
        n_inputs = inputs_per_sample(inputs) if net.module is None else None
        custom = net.dataset is not SkorchDataset or net.get_params_for("dataset")
        dataset = None
        if not custom:
            seen = _as_seen(y, targets) if indicator is not None or continuous else None
            y_seen = for_skorch(y, targets) if seen is None else seen
            dataset = ArrayDataset(for_skorch(X, inputs), y_seen, inputs=inputs, labels=targets)
    if kind is None:  # the one place the kind of a classifier's target is decided
        kind = SINGLE_LABEL if indicator is None else MULTI_LABEL
    if not reset and (indicator is not None or labels is not None) and not continuous:
        _check_same_kind(net, kind)
    codes, n_outputs = None, None
    if continuous:
        n_outputs = 1 if labels is None or labels.ndim == 1 else labels.shape[1]
    elif indicator is not None:
        _learn_label_columns(net, indicator.shape[1], reset)
    else:
        _learn_classes(net, labels, reset, classes)
        known = output_labels(net)
        if labels is not None and known is not None:
            codes = encode(labels, known, name="y")
    if reset or "target_kind_" not in vars(net):
        net.target_kind_ = kind.name
    codec = kind.codec(output_labels(net))
    if sample_weight is not None:
        sample_weight = check_sampling_weights(sample_weight, n)
    return FitData(
        X=X,
        dataset=dataset,
        labels=labels,
        codes=codes,
        sample_weight=sample_weight,
        n_inputs=n_inputs,
        codec=codec,
        indicator=indicator,
        kind=kind,
        n_outputs=n_outputs,
    )


def _stream_data(
    net: Any,
    X: IterableDataset,
    y: Any,
    sample_weight: Any,
    *,
    reset: bool,
    classes: Any,
    kind: TargetKind | None,
) -> FitData:
    """A stream (an ``IterableDataset`` of ``(input, target)`` rows) at the fit boundary.

    Its rows are known only as they come: the kind of target and the default
    module's size are read from its first row, a classifier's classes must be
    given (``classes=``), and the rows are weighed by the stream itself
    (:class:`~wsample_sk.WeightedStream`), not by the estimator's levers.
    """
    name = type(net).__name__
    if y is not None:
        raise ValueError(
            f"{type(X).__name__} is a stream of (input, target) rows, so y must be None; "
            "put the targets in the rows."
        )
    if sample_weight is not None:
        raise ValueError(
            "A stream's rows cannot take sample_weight (it has no row order to match); "
            "weigh them in the stream: WeightedStream(source, weight=lambda row: ...)."
        )
    if net.train_split is not None:
        raise ValueError(
            f"{name} cannot hold out rows of a stream (train_split needs indices); pass "
            "train_split=None and score a held-out set of your own."
        )
    peek = getattr(X, "peek", None)
    first = peek() if peek is not None else next(iter(X), None)
    if first is None:
        raise ValueError(f"The stream given to {name} is empty: it yields no row.")
    if not isinstance(first, (tuple, list)) or len(first) < 2:
        raise ValueError(
            f"A stream for {name} yields (input, target) rows; its first row is "
            f"{type(first).__name__}{'' if first is None else ' ' + repr(first)[:80]}."
        )
    x0, y0 = first[0], first[1]
    y0 = to_numpy(y0) if isinstance(y0, torch.Tensor) else np.asarray(y0)
    if kind is None:
        kind = MULTI_LABEL if y0.size > 1 else SINGLE_LABEL
    if not reset:
        _check_same_kind(net, kind)
    n_outputs = None
    if kind is CONTINUOUS:
        n_outputs = max(1, int(y0.size))
    elif kind is MULTI_LABEL:
        _learn_label_columns(net, int(y0.size), reset)
    else:
        _learn_classes(net, None, reset, classes)
        if output_labels(net) is None:
            raise ValueError(
                f"The labels of a stream are not known before training: pass "
                f"classes=[...] to {name} (every label the stream holds)."
            )
    if reset or "target_kind_" not in vars(net):
        net.target_kind_ = kind.name
    n_inputs = None
    if net.module is None and reset:
        n_inputs = inputs_per_sample(_one_row_batch(x0))
    return FitData(
        X=X,
        dataset=X,
        labels=None,
        codes=None,
        sample_weight=None,
        n_inputs=n_inputs,
        codec=_StreamCodec(kind.codec(output_labels(net)), output_labels(net), kind),
        kind=kind,
        n_outputs=n_outputs,
        stream=True,
    )


class _StreamCodec:
    """A stream's targets are seen batch by batch: each batch checked as it comes (a label
    outside ``classes``, a non-finite value), then encoded as the kind's codec does."""

    def __init__(self, codec: Any, classes: np.ndarray | None, kind: TargetKind) -> None:
        self.codec, self.kind = codec, kind
        numeric = classes is not None and classes.dtype.kind in "iufb"
        self.known = torch.as_tensor(classes.astype(np.float64)) if numeric else None

    def __call__(self, y: Any) -> Any:
        if isinstance(y, torch.Tensor) and y.numel():
            values = y.detach().double().cpu()
            if self.kind is CONTINUOUS and not torch.isfinite(values).all():
                bad = values[~torch.isfinite(values)][0].item()
                raise ValueError(f"A row of the stream has target {bad!r}; targets must be finite.")
            if self.kind is SINGLE_LABEL and self.known is not None:
                inside = torch.isin(values.reshape(-1), self.known)
                if not inside.all():
                    bad = values.reshape(-1)[~inside][0].item()
                    raise ValueError(
                        f"A row of the stream has label {bad!r}, which is not one of "
                        f"classes={self.known.tolist()!r}."
                    )
        return self.codec(y)


def training_part(data: FitData, dataset_train: Any, classes: np.ndarray | None) -> TrainingPart:
    """The validated labels and weights of the training part's rows (during fit).

    ``classes``: the model's output labels (``None`` for a multi-label or
    continuous target).

    Raises when a lever needs per-row data and ``train_split`` did not
    return a ``Subset`` of the dataset it was given.
    """
    rows = rows_in(dataset_train, data.dataset)
    needs_rows = (
        any(lever is not None for lever in data.levers)
        or data.sample_weight is not None
        or data.indicator is not None
    )
    if rows is None and needs_rows:
        raise ValueError(
            "train_split must return torch Subsets of the dataset it is given "
            "(as skorch's ValidSplit does), so that each row keeps its "
            f"label and weight; got a {type(dataset_train).__name__}."
        )

    def part(values):
        return None if values is None or rows is None else values[rows]

    return TrainingPart(
        len(dataset_train),
        labels=part(data.labels),
        codes=part(data.codes),
        classes=classes,
        sample_weight=part(data.sample_weight),
        seed=data.seed,
        indicator=part(data.indicator),
        kind=data.kind,
    )
