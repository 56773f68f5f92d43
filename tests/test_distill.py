"""Distillation losses against hand-worked values on 2-node, 3-step tensors, plus
gradient flow, the LORD threshold, Table 3's counter and a one-step smoke test."""
import math

import numpy as np
import pytest
import torch
from torch import nn

from stgkd.distill import (BlockAdapter, bctn_to_btnc, lord, lrd_kl, lrd_l2, lscd, lskd, lstcd,
                           ltcd, make_kd_loss, spatial_correlation, temporal_correlation)
from stgkd.nn import STGCN


def t(values):
    return torch.tensor(values, dtype=torch.float32)


# ---------------------------------------------------------------- response terms (eqs. 1-6)

def test_lrd_l2_by_hand():
    y_s, y_t, target = t([[1.0, 2.0]]), t([[0.0, 4.0]]), t([[2.0, 2.0]])
    # (y_s - y_t)^2 = [1, 4]; (y_s - T)^2 = [1, 0]; beta = 0.5
    # per node: 0.5*1 + 0.5*1 = 1, 0.5*4 + 0.5*0 = 2; mean = 1.5
    assert lrd_l2(y_s, y_t, target, beta=0.5).item() == pytest.approx(1.5)
    # beta = 0.25: 0.25*1 + 0.75*1 = 1, 0.25*4 + 0 = 1; mean = 1
    assert lrd_l2(y_s, y_t, target, beta=0.25).item() == pytest.approx(1.0)


def test_lrd_kl_by_hand():
    y_s, y_t, target = t([[0.0, 0.0]]), t([[math.log(3.0), 0.0]]), t([[1.0, -1.0]])
    # softmax over the two nodes: p_s = [1/2, 1/2]; p_t = [3/4, 1/4]
    # KL_bi = p_t log(p_t / p_s) = [0.75 ln 1.5, 0.25 ln 0.5]; (y_s - T)^2 = [1, 1]
    # beta = 0.5: mean_i[0.5 KL_i + 0.5 * 1] = 0.25 (0.75 ln 1.5 + 0.25 ln 0.5) + 0.5
    expected = 0.25 * (0.75 * math.log(1.5) + 0.25 * math.log(0.5)) + 0.5
    assert lrd_kl(y_s, y_t, target, beta=0.5).item() == pytest.approx(expected, rel=1e-6)
    # identical outputs: no KL, only the supervised part: 0.5 * mean((y_s - T)^2) = 0.5
    assert lrd_kl(y_s, y_s, target, beta=0.5).item() == pytest.approx(0.5)


def test_lord_by_hand():
    y_s = t([[1.0, 1.0], [0.0, 1.0]])
    y_t = t([[1.0, 3.0], [2.0, 2.0]])
    target = t([[0.0, 0.0], [2.0, 2.0]])
    # sample 0: D = |y_t - T| = [1, 3] -> min-max over its nodes [0, 1]; alpha1 = 0.5:
    #   node 0 keeps the target (1 - 0)^2 = 1, node 1 uses the teacher (1 - 3)^2 = 4
    # sample 1: D = [0, 0], max == min -> [0, 0]: both keep the target
    #   (0 - 2)^2 + (1 - 2)^2 = 5
    # LORD sums: 1 + 4 + 5 = 10
    loss, mask = lord(y_s, y_t, target, alpha1=0.5)
    assert loss.item() == pytest.approx(10.0)
    assert mask.tolist() == [[False, True], [False, False]]
    # normalised over the whole batch instead: D = [1, 3, 0, 0] -> [1/3, 1, 0, 0];
    # alpha1 = 0.3: sample 0 uses the teacher at both nodes: (1-1)^2 + (1-3)^2 = 4; + 5 = 9
    loss, mask = lord(y_s, y_t, target, alpha1=0.3, normalise_over="batch")
    assert loss.item() == pytest.approx(9.0)
    assert mask.tolist() == [[True, True], [False, False]]
    # per sample, alpha1 = 0.3 changes nothing: 10
    assert lord(y_s, y_t, target, alpha1=0.3)[0].item() == pytest.approx(10.0)


def test_lord_mask_flips_exactly_at_the_threshold():
    y_t, target = t([[0.0, 1.0, 2.0]]), t([[0.0, 0.0, 0.0]])
    # normalised D = [0, 0.5, 1]: node 1 sits exactly on 0.5
    below = float(np.nextafter(np.float32(0.5), np.float32(0.0)))
    above = float(np.nextafter(np.float32(0.5), np.float32(1.0)))
    assert lord(y_t, y_t, target, below)[1].tolist() == [[False, True, True]]
    assert lord(y_t, y_t, target, 0.5)[1].tolist() == [[False, False, True]]  # D <= alpha1: target
    assert lord(y_t, y_t, target, above)[1].tolist() == [[False, False, True]]
    # alpha1 = 1: nothing exceeds it
    assert lord(y_t, y_t, target, 1.0)[1].sum().item() == 0


def test_response_terms_never_send_gradient_to_the_teacher_output():
    y_s = t([[1.0, 2.0]]).requires_grad_()
    y_t = t([[0.5, 4.0]]).requires_grad_()
    target = t([[2.0, 2.0]])
    total = (lrd_l2(y_s, y_t, target, 0.5) + lrd_kl(y_s, y_t, target, 0.5)
             + lord(y_s, y_t, target, 0.5)[0])
    total.backward()
    assert y_t.grad is None
    assert y_s.grad is not None and torch.all(y_s.grad != 0)


# ---------------------------------------------------------------- correlations (eqs. 7-11)

# F[b, t, n, c] with B = 1, T = 3, N = 2. Student: C = 2, teacher: C = 1.
STUDENT = t([[[[0, 0], [1, 3]],     # t0: node 0, node 1
              [[1, 2], [1, 1]],     # t1
              [[2, 0], [0, 3]]]])   # t2
TEACHER = t([[[[1], [1]],
              [[2], [0]],
              [[2], [3]]]])
# TCD_s (eq. 7), mean over channels of |F_i - F_j| per node:
#   node 0: (0,1) (1+2)/2 = 1.5, (0,2) (2+0)/2 = 1, (1,2) (1+2)/2 = 1.5
#   node 1: (0,1) (0+2)/2 = 1,   (0,2) (1+0)/2 = 0.5, (1,2) (1+2)/2 = 1.5
# TCD_t: node 0: (0,1) 1, (0,2) 1, (1,2) 0;  node 1: (0,1) 1, (0,2) 2, (1,2) 3
# SCD_s (eq. 9), node 0 vs node 1 per step: t0 (1+3)/2 = 2, t1 (0+1)/2 = 0.5, t2 (2+3)/2 = 2.5
# SCD_t: t0 0, t1 2, t2 1
# LTCD (eq. 8) = 1/(B N C(3,2)) sum (TCD_s - TCD_t)^2
#   = 1/6 [(0.5^2 + 0 + 1.5^2) + (0 + 1.5^2 + 1.5^2)] = 1/6 (2.5 + 4.5) = 7/6
# LSCD (eq. 10) = 1/(B T C(2,2)) sum (SCD_s - SCD_t)^2 = 1/3 (2^2 + 1.5^2 + 1.5^2) = 8.5/3
LTCD_BY_HAND, LSCD_BY_HAND = 7 / 6, 8.5 / 3


def test_correlation_tensors_by_hand():
    tcd = temporal_correlation(STUDENT)
    assert tcd.shape == (1, 2, 3, 3)
    assert torch.allclose(tcd[0, 0], t([[0, 1.5, 1], [1.5, 0, 1.5], [1, 1.5, 0]]))
    assert torch.allclose(tcd[0, 1], t([[0, 1, 0.5], [1, 0, 1.5], [0.5, 1.5, 0]]))
    scd = spatial_correlation(STUDENT)
    assert scd.shape == (1, 3, 2, 2)
    assert torch.allclose(scd[0, :, 0, 1], t([2, 0.5, 2.5]))
    assert torch.allclose(scd[0, :, 1, 0], t([2, 0.5, 2.5]))


def test_ltcd_and_lscd_by_hand():
    assert ltcd(STUDENT, TEACHER).item() == pytest.approx(LTCD_BY_HAND, rel=1e-6)
    assert lscd(STUDENT, TEACHER).item() == pytest.approx(LSCD_BY_HAND, rel=1e-6)


def test_ltcd_and_lscd_follow_eqs_8_and_10_on_larger_tensors():
    # eqs. 7-10 written out with explicit loops over the pairs j > i
    gen = torch.Generator().manual_seed(1)
    f_s, f_t = torch.randn(2, 4, 5, 3, generator=gen), torch.randn(2, 4, 5, 2, generator=gen)
    b, steps, nodes = f_s.shape[:3]
    temporal = sum(((f_s[:, i] - f_s[:, j]).abs().mean(-1)
                    - (f_t[:, i] - f_t[:, j]).abs().mean(-1)).pow(2).sum()
                   for i in range(steps) for j in range(i + 1, steps))
    spatial = sum(((f_s[:, :, i] - f_s[:, :, j]).abs().mean(-1)
                   - (f_t[:, :, i] - f_t[:, :, j]).abs().mean(-1)).pow(2).sum()
                  for i in range(nodes) for j in range(i + 1, nodes))
    expected_ltcd = temporal / (b * nodes * math.comb(steps, 2))
    expected_lscd = spatial / (b * steps * math.comb(nodes, 2))
    assert ltcd(f_s, f_t).item() == pytest.approx(expected_ltcd.item(), rel=1e-5)
    assert lscd(f_s, f_t).item() == pytest.approx(expected_lscd.item(), rel=1e-5)


def test_correlation_shapes_and_dtype():
    features = torch.randn(2, 5, 3, 4)  # [B, T, N, C]
    assert temporal_correlation(features).shape == (2, 3, 5, 5)
    assert spatial_correlation(features).shape == (2, 5, 3, 3)
    assert spatial_correlation(features).dtype == torch.float32
    hidden = torch.randn(2, 4, 5, 3)  # [B, C, T, N]
    assert torch.equal(bctn_to_btnc(hidden)[1, 2, 0, 3], hidden[1, 3, 2, 0])
    assert bctn_to_btnc(hidden).shape == (2, 5, 3, 4)


def test_ltcd_lscd_zero_for_identical_and_blind_to_constant_shifts():
    gen = torch.Generator().manual_seed(0)
    f_s = torch.randn(2, 4, 3, 5, generator=gen)
    f_t = torch.randn(2, 4, 3, 7, generator=gen)
    for term in (ltcd, lscd):
        # zero up to rounding: teacher and student matrices come from different kernels
        assert term(f_s, f_s).item() == pytest.approx(0.0, abs=1e-12)
        base = term(f_s, f_t).item()
        assert base > 0
        assert term(f_s + 3.0, f_t).item() == pytest.approx(base, rel=1e-5)
        assert term(f_s, f_t - 2.5).item() == pytest.approx(base, rel=1e-5)
        per_channel = torch.arange(5.0)  # a different constant in each channel
        assert term(f_s + per_channel, f_t).item() == pytest.approx(base, rel=1e-5)


def test_lstcd_by_hand():
    y_s, y_t, target = t([[1.0, 1.0]]), t([[1.0, 3.0]]), t([[0.0, 0.0]])
    # LORD: D = [1, 3] -> [0, 1]; alpha1 = 0.5: node 0 target (1-0)^2 = 1, node 1 teacher (1-3)^2 = 4
    # LTCD over two temporal layers: (7/6 + 0) / 2 = 7/12 (the second layer is identical)
    # LSCD over one graph-conv layer: 8.5/3
    # alpha2 = 0.5, alpha3 = 0.6: 5 + 0.6 (0.5 * 8.5/3 + 0.5 * 7/12) = 5 + 0.6 * 41/24 = 6.025
    loss, mask = lstcd(y_s, y_t, target, [STUDENT, STUDENT], [TEACHER, STUDENT], [STUDENT],
                       [TEACHER], alpha1=0.5, alpha2=0.5, alpha3=0.6)
    assert loss.item() == pytest.approx(6.025, rel=1e-6)
    assert mask.tolist() == [[False, True]]
    # alpha2 = 0 (LTCD ablation): 5 + 0.6 * 7/12 = 5.35; alpha2 = 1 (LSCD): 5 + 0.6 * 8.5/3 = 6.7
    only_t = lstcd(y_s, y_t, target, [STUDENT, STUDENT], [TEACHER, STUDENT], [], [],
                   alpha1=0.5, alpha2=0.0, alpha3=0.6)[0]
    only_s = lstcd(y_s, y_t, target, [], [], [STUDENT], [TEACHER],
                   alpha1=0.5, alpha2=1.0, alpha3=0.6)[0]
    assert only_t.item() == pytest.approx(5.35, rel=1e-6)
    assert only_s.item() == pytest.approx(6.7, rel=1e-6)


def test_feature_terms_never_send_gradient_to_teacher_features():
    f_s = STUDENT.clone().requires_grad_()
    f_t = TEACHER.clone().requires_grad_()
    (ltcd(f_s, f_t) + lscd(f_s, f_t)).backward()
    assert f_t.grad is None
    assert f_s.grad is not None and f_s.grad.abs().sum() > 0


# ---------------------------------------------------------------- LSKD

def test_lskd_by_hand():
    y_s, target = t([[1.0, 2.0]]), t([[0.0, 0.0]])
    # response: mean((y_s - T)^2) = (1 + 4)/2 = 2.5
    # block a: [1, 1] vs [0, 3] -> (1 + 4)/2 = 2.5; block b: [0, 0] vs [1, 1] -> 1; mean 1.75
    # alpha = 0.5: 2.5 + 0.5 * 1.75 = 3.375
    block_a_s, block_a_t = t([1.0, 1.0]).view(1, 1, 1, 2), t([0.0, 3.0]).view(1, 1, 1, 2)
    block_b_s, block_b_t = torch.zeros(1, 1, 1, 2), torch.ones(1, 1, 1, 2)
    loss = lskd(y_s, target, [block_a_s, block_b_s], [block_a_t, block_b_t], alpha=0.5)
    assert loss.item() == pytest.approx(3.375)


def test_block_adapter_is_a_1x1_conv_per_block():
    adapter = BlockAdapter([1, 2], [3, 4])
    with torch.no_grad():
        conv = adapter.maps[0]
        conv.weight.copy_(t([2.0, -1.0, 0.0]).view(3, 1, 1, 1))
        conv.bias.copy_(t([1.0, 0.0, 5.0]))
    x = t([1.0, 2.0]).view(1, 1, 1, 2)  # [B=1, C=1, T=1, N=2]
    mapped = adapter([x, torch.zeros(1, 2, 4, 2)])
    # channel k = w_k x + b_k: [2x + 1, -x, 5]
    assert torch.allclose(mapped[0][0, :, 0, :], t([[3.0, 5.0], [-1.0, -2.0], [5.0, 5.0]]))
    assert mapped[1].shape == (1, 4, 4, 2)


# ---------------------------------------------------------------- loss objects

class LastStepTeacher(nn.Module):
    """Predicts the last input step (times a parameter that must stay frozen)."""

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(()))

    def forward(self, x, hidden=None):
        return self.scale * x[:, 0, -1, :]


class FirstStepStudent(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(()))

    def forward(self, x, hidden=None):
        return self.scale * x[:, 0, 0, :]


def batch(teacher_outputs):
    """x [B, 1, 2, N] whose last step is what LastStepTeacher returns; first step 0."""
    last = t(teacher_outputs)
    return torch.stack([torch.zeros_like(last), last], dim=1)[:, None]


def test_teacher_share_counts_over_calls_and_survives_state_dict():
    loss = make_kd_loss("lord", LastStepTeacher(), alpha1=0.4)
    assert math.isnan(loss.teacher_share)
    # call 1: y_t = [0, 1, 2], T = 0 -> normalised D [0, .5, 1] -> 2 of 3 use the teacher
    first = batch([[0.0, 1.0, 2.0]])
    loss(FirstStepStudent(), first, torch.zeros(1, 3))
    assert loss.teacher_share == pytest.approx(2 / 3)
    # call 2: y_t = [0, 0, 1] and [3, 0, 0], T = 0 -> D [0, 0, 1], [1, 0, 0] -> 1 + 1 of 6
    loss(FirstStepStudent(), batch([[0.0, 0.0, 1.0], [3.0, 0.0, 0.0]]), torch.zeros(2, 3))
    assert loss.teacher_share == pytest.approx(4 / 9)
    restored = make_kd_loss("lord", LastStepTeacher(), alpha1=0.4)
    restored.load_state_dict(loss.state_dict())
    assert restored.teacher_share == pytest.approx(4 / 9)
    # counters only, no teacher weights
    assert set(loss.state_dict()) == {"teacher_targets", "all_targets", "term_sums", "steps"}
    # both go on counting the same way: 6 of 12
    for counted in (loss, restored):
        counted(FirstStepStudent(), first, torch.zeros(1, 3))
        assert counted.teacher_share == pytest.approx(0.5)


def test_make_kd_loss_rejects_unknown_kinds_and_fixed_weights():
    with pytest.raises(ValueError, match="kind"):
        make_kd_loss("lxyz", LastStepTeacher())
    with pytest.raises(ValueError, match="alpha2"):
        make_kd_loss("ltcd", LastStepTeacher(), alpha1=0.5, alpha2=0.3, alpha3=0.5)


def tiny_graph(n=6, seed=0):
    rng = np.random.default_rng(seed)
    w = rng.uniform(0.1, 1.0, (n, n))
    w = (w + w.T) / 2
    np.fill_diagonal(w, 0.0)
    return w


HYPER = {"lrd-l2": dict(beta=0.5), "lrd-kl": dict(beta=0.5),
         "lskd": dict(alpha=0.3, student_channels=[4, 8]), "lord": dict(alpha1=0.5),
         "ltcd": dict(alpha1=0.5, alpha3=0.5), "lscd": dict(alpha1=0.5, alpha3=0.5),
         "lstcd": dict(alpha1=0.5, alpha2=0.4, alpha3=0.5)}


@pytest.mark.parametrize("kind", list(HYPER))
def test_each_kind_trains_a_tiny_student_one_step(kind):
    torch.manual_seed(0)
    weights = tiny_graph()
    teacher = STGCN(6, [[1, 4, 8], [8, 4, 16]], weights=weights)
    student = STGCN(6, [[1, 2, 4], [4, 2, 8]], weights=weights)
    teacher.train()  # the loss must freeze it
    teacher_before = {k: v.clone() for k, v in teacher.state_dict().items()}
    student_before = [p.detach().clone() for p in student.parameters()]
    loss_fn = make_kd_loss(kind, teacher, **HYPER[kind])
    assert not teacher.training and not any(p.requires_grad for p in teacher.parameters())
    extra = list(loss_fn.parameters())  # LSKD's adapter, trained with the student
    assert bool(extra) == (kind == "lskd")
    extra_before = [p.detach().clone() for p in extra]
    optimizer = torch.optim.RMSprop(list(student.parameters()) + extra, lr=1e-3)
    x, y = torch.randn(3, 1, 12, 6), torch.randn(3, 6)
    loss = loss_fn(student, x, y)
    assert loss.dim() == 0 and torch.isfinite(loss)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    assert all(p.grad is None for p in teacher.parameters())
    assert all(torch.equal(v, teacher.state_dict()[k]) for k, v in teacher_before.items())
    assert any(not torch.equal(a, b) for a, b in zip(student_before, student.parameters()))
    assert all(not torch.equal(a, b) for a, b in zip(extra_before, extra))
    if kind in ("lord", "ltcd", "lscd", "lstcd"):
        assert 0 < loss_fn.teacher_share <= 1


def test_lstcd_term_means_add_up_to_the_loss():
    torch.manual_seed(3)
    weights = tiny_graph()
    teacher = STGCN(6, [[1, 4, 8], [8, 4, 16]], weights=weights)
    student = STGCN(6, [[1, 2, 4], [4, 2, 8]], weights=weights)
    loss_fn = make_kd_loss("lstcd", teacher, alpha1=0.5, alpha2=0.25, alpha3=0.5)
    assert loss_fn.term_means == {}
    x, y = torch.randn(3, 1, 12, 6), torch.randn(3, 6)
    loss = loss_fn(student, x, y)
    terms = loss_fn.term_means
    with torch.no_grad():
        expected_lord, _ = lord(student(x), teacher(x), y, alpha1=0.5)
    assert terms["lord"] == pytest.approx(expected_lord.item(), rel=1e-5)
    # eq. 11 weights: LSCD alpha3 * alpha2 = 0.125, LTCD alpha3 * (1 - alpha2) = 0.375
    assert terms["weighted_lscd"] == pytest.approx(0.125 * terms["lscd"])
    assert terms["weighted_ltcd"] == pytest.approx(0.375 * terms["ltcd"])
    total = terms["lord"] + terms["weighted_lscd"] + terms["weighted_ltcd"]
    assert loss.item() == pytest.approx(total, rel=1e-5)
    loss_fn(student, x, y)   # a second step: the means stay those of two equal steps
    assert loss_fn.term_means["lord"] == pytest.approx(terms["lord"], rel=1e-5)
    only_ltcd = make_kd_loss("ltcd", teacher, alpha1=0.5, alpha3=0.5)
    only_ltcd(student, x, y)
    assert set(only_ltcd.term_means) == {"lord", "ltcd", "weighted_lord", "weighted_ltcd"}


def test_lord_mean_is_the_sum_over_batch_and_nodes():
    y_s = t([[1.0, 1.0], [0.0, 1.0]])
    y_t = t([[1.0, 3.0], [2.0, 2.0]])
    target = t([[0.0, 0.0], [2.0, 2.0]])
    # the by-hand case above: the sum is 10 over 2 samples x 2 nodes -> mean 2.5
    loss, mask = lord(y_s, y_t, target, alpha1=0.5, reduction="mean")
    assert loss.item() == pytest.approx(2.5)
    assert mask.tolist() == [[False, True], [False, False]]
    with pytest.raises(ValueError, match="reduction"):
        lord(y_s, y_t, target, alpha1=0.5, reduction="max")
