"""Multi-label losses: each against a naive reading of its formula, and their plumbing."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from numpy.testing import assert_allclose

from wsample_sk.losses import AsymmetricLoss, DistributionBalancedLoss, MultiLabelFocalLoss

MULTI_LABEL = [MultiLabelFocalLoss, AsymmetricLoss, DistributionBalancedLoss]
COUNTS, N_ROWS = [40.0, 12.0, 3.0, 70.0], 100.0


def logits_and_targets(seed=0, n=7, n_labels=4):
    rng = np.random.default_rng(seed)
    z = rng.normal(0.0, 3.0, size=(n, n_labels))
    y = (rng.random((n, n_labels)) < 0.4).astype(np.float64)
    y[0] = 0.0  # a row without positive labels
    y[1] = 1.0  # and one with every label
    return z, y


def sigmoid(x):
    return 1.0 / (1.0 + math.exp(-x))


# -- naive references: one element at a time, plain floats -----------------------------
def focal_reference(z, y, gamma, alpha, counts=None, n_rows=None):
    rows = np.zeros(len(z))
    for i in range(z.shape[0]):
        for j in range(z.shape[1]):
            p = sigmoid(z[i, j])
            p_t = p if y[i, j] == 1 else 1.0 - p
            if alpha is None:
                a_t = 1.0
            else:
                a = 1.0 - counts[j] / n_rows if alpha == "balanced" else alpha
                a_t = a if y[i, j] == 1 else 1.0 - a
            rows[i] += -a_t * (1.0 - p_t) ** gamma * math.log(p_t)
    return rows


def asymmetric_reference(z, y, gamma_pos, gamma_neg, clip):
    rows = np.zeros(len(z))
    for i in range(z.shape[0]):
        for j in range(z.shape[1]):
            p = sigmoid(z[i, j])
            if y[i, j] == 1:
                rows[i] += -((1.0 - p) ** gamma_pos) * math.log(p)
            else:
                p_m = max(p - clip, 0.0)
                rows[i] += -(p_m**gamma_neg) * math.log(1.0 - p_m)
    return rows


def distribution_balanced_reference(z, y, counts, n_rows, alpha, beta, mu, lam, kappa):
    n_labels = len(counts)
    rows = np.zeros(len(z))
    for i in range(z.shape[0]):
        positives = [k for k in range(n_labels) if y[i, k] == 1]
        # class-aware sampling: P^C_i(l) = 1 / (C n_l); P^I(x_i) = 1/C sum_{k in P_i} 1/n_k
        p_instance = sum(1.0 / (n_labels * counts[k]) for k in positives)
        for j in range(n_labels):
            if p_instance == 0.0:
                r_hat = alpha + 1.0  # the limit r -> inf
            else:
                r = (1.0 / (n_labels * counts[j])) / p_instance
                r_hat = alpha + sigmoid(beta * (r - mu))
            prior = counts[j] / n_rows
            b_hat = -math.log(1.0 / prior - 1.0)
            nu = -kappa * b_hat  # z - nu = z + kappa b_hat (the authors' sign)
            if y[i, j] == 1:
                term = math.log(1.0 + math.exp(-(z[i, j] - nu)))
            else:
                term = math.log(1.0 + math.exp(lam * (z[i, j] - nu))) / lam
            rows[i] += r_hat * term
    return rows


def run(loss, z, y):
    return loss(torch.from_numpy(z), torch.from_numpy(y)).numpy()


def bce_rows(z, y):
    z, y = torch.from_numpy(z), torch.from_numpy(y)
    return F.binary_cross_entropy_with_logits(z, y, reduction="none").sum(1).numpy()


# -- formulas -----------------------------------------------------------------------------
@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0, 5.0])
@pytest.mark.parametrize("alpha", [None, 0.25, 1.0, "balanced"])
def test_focal_matches_its_formula(gamma, alpha):
    z, y = logits_and_targets()
    loss = MultiLabelFocalLoss(
        gamma, alpha, reduction="none", label_counts=COUNTS, n_samples=N_ROWS
    )
    expected = focal_reference(z, y, gamma, alpha, COUNTS, N_ROWS)
    assert_allclose(run(loss, z, y), expected, rtol=1e-10, atol=1e-12)


def test_focal_without_focusing_is_bce():
    z, y = logits_and_targets(seed=1)
    assert_allclose(run(MultiLabelFocalLoss(0.0, reduction="none"), z, y), bce_rows(z, y))
    # mean over rows of the per-row sums: BCE's element mean times the number of labels
    mean = run(MultiLabelFocalLoss(0.0), z, y)
    bce = F.binary_cross_entropy_with_logits(torch.from_numpy(z), torch.from_numpy(y))
    assert_allclose(mean, bce.numpy() * z.shape[1])


@pytest.mark.parametrize("gamma_pos", [0.0, 1.0])
@pytest.mark.parametrize("gamma_neg", [0.0, 0.5, 4.0])
@pytest.mark.parametrize("clip", [0.0, 0.05, 0.3])
def test_asymmetric_matches_its_formula(gamma_pos, gamma_neg, clip):
    z, y = logits_and_targets(seed=2)
    loss = AsymmetricLoss(gamma_pos, gamma_neg, clip, reduction="none")
    expected = asymmetric_reference(z, y, gamma_pos, gamma_neg, clip)
    assert_allclose(run(loss, z, y), expected, rtol=1e-10, atol=1e-12)


def test_asymmetric_without_focusing_or_clip_is_bce():
    z, y = logits_and_targets(seed=3)
    loss = AsymmetricLoss(gamma_pos=0.0, gamma_neg=0.0, clip=0.0, reduction="none")
    assert_allclose(run(loss, z, y), bce_rows(z, y))


@pytest.mark.parametrize(
    "params",
    [
        {"alpha": 0.1, "beta": 10.0, "mu": 0.3, "lam": 5.0, "kappa": 0.05},  # the paper's
        {"alpha": 0.0, "beta": 2.0, "mu": 0.9, "lam": 2.0, "kappa": 0.5},
        {"alpha": 1.0, "beta": 50.0, "mu": 0.0, "lam": 0.5, "kappa": 0.0},
    ],
)
def test_distribution_balanced_matches_its_formula(params):
    z, y = logits_and_targets(seed=4)
    loss = DistributionBalancedLoss(
        **params, reduction="none", label_counts=COUNTS, n_samples=N_ROWS
    )
    expected = distribution_balanced_reference(z, y, COUNTS, N_ROWS, **params)
    assert_allclose(run(loss, z, y), expected, rtol=1e-10, atol=1e-12)


def test_distribution_balanced_weights_and_bias():
    loss = DistributionBalancedLoss(label_counts=[90, 10], n_samples=100)
    w = loss.rebalancing_weights(torch.tensor([[1, 0], [1, 1], [0, 0]]))
    # alone, the common label has r = 1; beside the rare one r = 0.1 (down-weighted)
    assert w[0, 0] == pytest.approx(0.1 + 1 / (1 + math.exp(-7.0)))
    assert w[1, 0] == pytest.approx(0.1 + 1 / (1 + math.exp(2.0)))
    assert w[2].tolist() == [pytest.approx(1.1)] * 2  # no positives: the limit alpha + 1
    bias = loss.class_bias()
    assert bias[1] == pytest.approx(0.05 * math.log(0.1 / 0.9))  # rare label: pushed down
    assert bias[0] == pytest.approx(-bias[1])
    with pytest.raises(ValueError, match=r"shape \(n_samples, 2\), got \(3,\)"):
        loss.rebalancing_weights(torch.tensor([1, 0, 1]))
    flat = DistributionBalancedLoss(beta=0.0, label_counts=[90, 10], n_samples=100)
    assert torch.allclose(flat.rebalancing_weights(torch.zeros(1, 2)), torch.tensor(0.6).double())


def test_distribution_balanced_reduces_to_bce():
    z, y = logits_and_targets(seed=5)
    loss = DistributionBalancedLoss(
        alpha=0.5, beta=0.0, lam=1.0, kappa=0.0, reduction="none",
        label_counts=COUNTS, n_samples=N_ROWS,
    )  # fmt: skip
    assert_allclose(run(loss, z, y), bce_rows(z, y))


# -- reductions, probabilities, targets ----------------------------------------------------
@pytest.mark.parametrize("cls", MULTI_LABEL)
def test_reductions_and_probabilities(cls):
    z, y = logits_and_targets(seed=6)
    kw = {"label_counts": COUNTS, "n_samples": N_ROWS}
    rows = run(cls(reduction="none", **kw), z, y)
    assert rows.shape == (len(z),)
    assert_allclose(run(cls(reduction="mean", **kw), z, y), rows.mean())
    assert_allclose(run(cls(reduction="sum", **kw), z, y), rows.sum())
    assert cls.multi_label is True and cls.takes_logits is True
    logits = torch.from_numpy(z)
    torch.testing.assert_close(cls(**kw).probabilities(logits), torch.sigmoid(logits))
    with pytest.raises(ValueError, match="reduction"):
        cls(reduction="batchmean")


@pytest.mark.parametrize("cls", MULTI_LABEL)
def test_integer_bool_and_float_targets_agree(cls):
    z, y = logits_and_targets(seed=7)
    loss = cls(label_counts=COUNTS, n_samples=N_ROWS)
    logits = torch.from_numpy(z).float()
    expected = loss(logits, torch.from_numpy(y).float())
    assert expected.dtype == torch.float32
    for target in (torch.from_numpy(y).long(), torch.from_numpy(y).bool(), torch.from_numpy(y)):
        torch.testing.assert_close(loss(logits, target), expected)


@pytest.mark.parametrize("cls", MULTI_LABEL)
def test_wrong_targets_are_clear_errors(cls):
    loss = cls(label_counts=COUNTS, n_samples=N_ROWS)
    z = torch.zeros(3, 4)
    with pytest.raises(ValueError, match=r"\(3, 4\).*\(3,\)"):
        loss(z, torch.tensor([0, 1, 2]))  # class indices, not an indicator matrix
    with pytest.raises(ValueError, match=r"\(3, 4\).*\(3, 5\)"):
        loss(z, torch.zeros(3, 5))
    with pytest.raises(ValueError, match="0/1.*0.5"):
        loss(z, torch.full((3, 4), 0.5))
    with pytest.raises(ValueError, match="0/1.*2"):
        loss(z, torch.full((3, 4), 2))
    with pytest.raises(ValueError, match="0/1.*nan"):
        loss(z, torch.full((3, 4), float("nan")))
    with pytest.raises(ValueError, match="4 label counts.*\\(3, 5\\)"):
        loss(torch.zeros(3, 5), torch.zeros(3, 5))
    with pytest.raises(ValueError, match=r"\(n_samples, n_labels\)"):
        loss(torch.zeros(4), torch.zeros(4))


# -- gradients at extreme logits -----------------------------------------------------------
@pytest.mark.parametrize(
    "loss",
    [
        MultiLabelFocalLoss(gamma=2.0),
        MultiLabelFocalLoss(gamma=0.3, alpha=0.25),
        AsymmetricLoss(),
        AsymmetricLoss(gamma_pos=0.5, gamma_neg=0.3, clip=0.0),
        AsymmetricLoss(gamma_pos=0.0, gamma_neg=0.3, clip=0.2),
        DistributionBalancedLoss(label_counts=[1, 50, 99, 10], n_samples=100),
    ],
    ids=["focal", "focal-low-gamma", "asymmetric", "asymmetric-no-clip", "asymmetric-clip", "db"],
)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("scale", [50.0, 500.0])
def test_gradients_finite_at_extreme_logits(loss, dtype, scale):
    # every pairing of a very confident logit with a positive or a negative label
    z = torch.tensor([[1.0, -1.0, 1.0, -1.0], [-1.0, 1.0, -1.0, 1.0]], dtype=dtype) * scale
    y = torch.tensor([[1, 1, 0, 0], [1, 1, 0, 0]])
    z.requires_grad_(True)
    value = loss(z, y)
    value.backward()
    assert torch.isfinite(value) and torch.isfinite(z.grad).all()


# -- label counts and saved state ----------------------------------------------------------
@pytest.mark.parametrize(
    "cls, kw",
    [
        (MultiLabelFocalLoss, {"alpha": "balanced"}),
        (AsymmetricLoss, {}),
        (DistributionBalancedLoss, {}),
    ],
)
def test_state_dict_round_trip_into_a_fresh_loss(cls, kw):
    z, y = logits_and_targets(seed=8)
    fitted = cls(**kw)
    fitted.set_label_counts(np.array(COUNTS), int(N_ROWS))
    state = fitted.state_dict()
    assert set(state) == {"label_counts", "n_samples"}
    fresh = cls(**kw)
    assert fresh.label_counts is None and fresh.state_dict() == {}
    fresh.load_state_dict(state)
    torch.testing.assert_close(fresh.label_counts, torch.tensor(COUNTS, dtype=torch.float64))
    assert float(fresh.n_samples) == N_ROWS
    assert_allclose(run(fresh, z, y), run(fitted, z, y))
    cls(**kw).load_state_dict(cls(**kw).state_dict())  # nothing saved, nothing loaded


def test_losses_that_need_counts_say_so():
    z, y = torch.zeros(2, 4), torch.zeros(2, 4)
    for loss in (MultiLabelFocalLoss(alpha="balanced"), DistributionBalancedLoss()):
        with pytest.raises(ValueError, match="set_label_counts"):
            loss(z, y)
    MultiLabelFocalLoss(alpha=0.25)(z, y)  # the others do not
    AsymmetricLoss()(z, y)


@pytest.mark.parametrize("cls", MULTI_LABEL)
def test_label_counts_are_validated(cls):
    with pytest.raises(ValueError, match="give both or neither"):
        cls(label_counts=COUNTS)
    with pytest.raises(ValueError, match="give both or neither"):
        cls(n_samples=10)
    bad_counts = [[1.0, -1.0], [1.0, float("nan")], [1.0, 11.0], [[1.0, 2.0]], [], ["a", 1]]
    for counts in bad_counts:
        with pytest.raises(ValueError, match="label_counts"):
            cls(label_counts=counts, n_samples=10)
    with pytest.raises(TypeError, match="label_counts"):
        cls(label_counts=[True, False], n_samples=10)
    for n in (0, -5, float("nan"), float("inf"), True):
        with pytest.raises((TypeError, ValueError), match="n_samples"):
            cls(label_counts=[1, 2], n_samples=n)


def test_distribution_balanced_needs_each_label_present_and_absent():
    for counts in ([0, 5], [5, 10]):
        with pytest.raises(ValueError, match=r"label\(s\) \[\d\]"):
            DistributionBalancedLoss(label_counts=counts, n_samples=10)
    # a label seen in every row, or never, is fine for the others
    MultiLabelFocalLoss(alpha="balanced", label_counts=[0, 10], n_samples=10)
    AsymmetricLoss(label_counts=[0, 10], n_samples=10)


# -- parameters ----------------------------------------------------------------------------
BAD_VALUES = [float("nan"), float("inf"), -float("inf"), True, -1.0, 1e9, "2"]
PARAMETERS = [
    (MultiLabelFocalLoss, "gamma"),
    (MultiLabelFocalLoss, "alpha"),
    (AsymmetricLoss, "gamma_pos"),
    (AsymmetricLoss, "gamma_neg"),
    (AsymmetricLoss, "clip"),
    (DistributionBalancedLoss, "alpha"),
    (DistributionBalancedLoss, "beta"),
    (DistributionBalancedLoss, "mu"),
    (DistributionBalancedLoss, "lam"),
    (DistributionBalancedLoss, "kappa"),
]


@pytest.mark.parametrize("cls, name", PARAMETERS)
@pytest.mark.parametrize("value", BAD_VALUES, ids=repr)
def test_bad_parameters_are_refused_by_name(cls, name, value):
    with pytest.raises((TypeError, ValueError), match=name):
        cls(**{name: value})


def test_parameter_bounds():
    with pytest.raises(ValueError, match="clip"):
        AsymmetricLoss(clip=1.0)
    with pytest.raises(ValueError, match="lam"):
        DistributionBalancedLoss(lam=0.0)
    with pytest.raises(ValueError, match="alpha"):
        MultiLabelFocalLoss(alpha=1.5)
    with pytest.raises(ValueError, match="alpha"):
        MultiLabelFocalLoss(alpha="inverse")
    assert MultiLabelFocalLoss(alpha=np.float32(0.5)).alpha == 0.5
    assert AsymmetricLoss(clip=0, gamma_neg=0).clip == 0.0
