"""The pairwise-L1 kernel's hand-written backward, upper triangles, and the teacher
cache: cached teacher answers give the losses of a teacher run on every batch."""
import pytest
import torch

from stgkd.distill import (LazyTeacherCache, TeacherCache, lscd, ltcd, make_kd_loss, pairwise_l1_mean,
                           upper_triangle)
from stgkd.distill.correlation import bctn_to_btnc
from stgkd.distill.pairwise import CyclicPairs, cyclic_pair_index
from stgkd.nn import STGCN
from stgkd.nn.stgcn import Hidden
from stgkd.train import TrainConfig, fit


def broadcast_l1_mean(x):
    """The definition, written out: 1/C sum_c |x_ic - x_jc| via a [..., K, K, C] tensor."""
    return (x.unsqueeze(-2) - x.unsqueeze(-3)).abs().mean(-1)


def test_pairwise_l1_mean_by_hand():
    x = torch.tensor([[0.0, 1.0], [2.0, -1.0], [1.0, 1.0]])
    # pairs: (0,1): (2 + 2)/2 = 2; (0,2): (1 + 0)/2 = 0.5; (1,2): (1 + 2)/2 = 1.5
    expected = torch.tensor([[0.0, 2.0, 0.5], [2.0, 0.0, 1.5], [0.5, 1.5, 0.0]])
    assert torch.allclose(pairwise_l1_mean(x), expected)
    assert torch.allclose(pairwise_l1_mean(x.requires_grad_()), expected)


def test_pairwise_l1_mean_gradient_matches_the_definition():
    torch.manual_seed(0)
    x = torch.randn(2, 3, 5, 4, dtype=torch.float64)
    weight = torch.randn(2, 3, 5, 5, dtype=torch.float64)  # not symmetric on purpose
    ours = x.clone().requires_grad_()
    (pairwise_l1_mean(ours) * weight).sum().backward()
    reference = x.clone().requires_grad_()
    (broadcast_l1_mean(reference) * weight).sum().backward()
    assert torch.allclose(ours.grad, reference.grad, atol=1e-12)
    assert torch.autograd.gradcheck(pairwise_l1_mean, (x[0, 0].clone().requires_grad_(),))


def test_upper_triangle_by_hand():
    m = torch.arange(9.0).reshape(3, 3)
    assert upper_triangle(m).tolist() == [1.0, 2.0, 5.0]
    assert upper_triangle(torch.stack([m, -m])).shape == (2, 3)


def test_ltcd_lscd_take_teacher_triangles_or_features():
    torch.manual_seed(1)
    f_s, f_t = torch.randn(2, 4, 5, 3), torch.randn(2, 4, 5, 7)
    tcd_t = upper_triangle(broadcast_l1_mean(f_t.transpose(1, 2)))   # [B, N, T(T-1)/2]
    scd_t = upper_triangle(broadcast_l1_mean(f_t))                   # [B, T, N(N-1)/2]
    assert torch.allclose(ltcd(f_s, tcd_t), ltcd(f_s, f_t), rtol=1e-6)
    assert torch.allclose(lscd(f_s, scd_t), lscd(f_s, f_t), rtol=1e-6)
    with pytest.raises(ValueError, match="upper triangles"):
        lscd(f_s, scd_t[..., :-1])


def tiny_models(n=6):
    torch.manual_seed(0)
    weights = torch.rand(n, n)
    weights = ((weights + weights.T) / 2).fill_diagonal_(0).numpy()
    teacher = STGCN(n, [[1, 4, 8], [8, 4, 16]], weights=weights)
    student = STGCN(n, [[1, 2, 4], [4, 2, 8]], weights=weights)
    return teacher, student


def test_cache_holds_the_teachers_answers():
    teacher, _ = tiny_models()
    windows = torch.randn(7, 13, 6)
    cache = TeacherCache.build(teacher, windows, n_his=12, spatial_dtype=torch.float32,
                               batch_size=3, progress=False)
    hidden = Hidden()
    with torch.no_grad():
        y_t = teacher(windows[:, None, :12], hidden)
    assert torch.allclose(cache.outputs, y_t, atol=1e-6)
    assert len(cache.temporal) == 4 and len(cache.spatial) == 2
    for cached, feature in zip(cache.spatial, hidden.spatial):
        # stored by cyclic offset: back to upper triangles for the comparison
        assert torch.allclose(CyclicPairs(cached).triangles(),
                              upper_triangle(broadcast_l1_mean(bctn_to_btnc(feature))), atol=1e-5)
    for cached, feature in zip(cache.temporal, hidden.temporal):
        per_node = bctn_to_btnc(feature).transpose(1, 2)
        assert torch.allclose(cached, upper_triangle(broadcast_l1_mean(per_node)), atol=1e-5)
    with pytest.raises(IndexError, match=r"\[0, 7\)"):
        cache.lookup(torch.tensor([7]))


def test_lazy_cache_builds_once_on_its_first_lookup():
    teacher, _ = tiny_models()
    windows = torch.randn(7, 13, 6)
    builds = []

    def build():
        builds.append(1)
        return TeacherCache.build(teacher, windows, n_his=12, progress=False)

    lazy = LazyTeacherCache(build)
    assert not lazy.built and lazy.nbytes is None and builds == []
    outputs, temporal, spatial = lazy.lookup(torch.tensor([2, 5]))
    eager = build()
    assert builds == [1, 1] and lazy.built and lazy.nbytes == eager.nbytes
    assert torch.equal(outputs, eager.outputs[[2, 5]])
    lazy.lookup(torch.tensor([0]))
    assert builds == [1, 1]                                  # not built again


@pytest.mark.parametrize("kind,hyper", [
    ("lrd-l2", dict(beta=0.3)), ("lord", dict(alpha1=0.4)),
    ("ltcd", dict(alpha1=0.4, alpha3=0.5)), ("lscd", dict(alpha1=0.4, alpha3=0.5)),
    ("lstcd", dict(alpha1=0.4, alpha2=0.3, alpha3=0.5))])
@pytest.mark.parametrize("dtype,rtol", [(torch.float32, 1e-5), (torch.float16, 2e-3)])
def test_cached_loss_equals_the_loss_with_a_running_teacher(kind, hyper, dtype, rtol):
    teacher, student = tiny_models()
    windows = torch.randn(5, 13, 6)
    index = torch.tensor([3, 0, 4])
    x, y = windows[index, None, :12], windows[index, 12]
    running = make_kd_loss(kind, teacher, **hyper)
    cached = make_kd_loss(kind, teacher, **hyper)
    cached.cache = TeacherCache.build(teacher, windows, 12, spatial_dtype=dtype, progress=False)
    expected = running(student, x, y)
    got = cached(student, x, y, index=index)
    assert got.item() == pytest.approx(expected.item(), rel=rtol)
    grads = []
    for loss in (expected, got):
        student.zero_grad()
        loss.backward()
        grads.append(torch.cat([p.grad.flatten() for p in student.parameters()]))
    assert torch.allclose(grads[0], grads[1], rtol=10 * rtol, atol=1e-6)


def test_fit_gives_an_index_taking_loss_every_training_row_once_per_epoch(synthetic_windows):
    seen = []

    def loss_fn(model, x, y, index):
        seen.append(index.clone())
        assert torch.equal(x[:, 0], synthetic_windows.train[index, :12])
        return torch.mean((model(x) - y) ** 2)

    loss_fn.takes_sample_index = True
    _, student = tiny_models(synthetic_windows.train.shape[2])
    config = TrainConfig(epochs=2, batch_size=16)
    fit(student, synthetic_windows, config, loss_fn, progress=False)
    n = synthetic_windows.train.shape[0]
    per_epoch = len(seen) // 2
    for epoch in (seen[:per_epoch], seen[per_epoch:]):
        assert sorted(torch.cat(epoch).tolist()) == list(range(n))


def test_cyclic_pair_index_by_hand():
    # K=4, row-major upper triangle: (0,1)=0 (0,2)=1 (0,3)=2 (1,2)=3 (1,3)=4 (2,3)=5
    # offset 1: (0,1) (1,2) (2,3) (3,0); offset 2: (0,2) (1,3) (2,0) (3,1)
    assert cyclic_pair_index(4).tolist() == [[0, 3, 5, 2], [1, 4, 1, 4]]
    # K=5: offset 1: (0,1) (1,2) (2,3) (3,4) (4,0); offset 2: (0,2) (1,3) (2,4) (3,0) (4,1)
    assert cyclic_pair_index(5).tolist() == [[0, 4, 7, 9, 3], [1, 5, 8, 2, 6]]


@pytest.mark.parametrize("k", [2, 3, 6, 7])
def test_cyclic_pairs_round_trip(k):
    torch.manual_seed(k)
    m = torch.rand(3, k, k)
    m = m + m.transpose(1, 2)
    pairs = CyclicPairs.of_matrices(m)
    assert pairs.values.shape == (3, k // 2, k)
    assert torch.equal(pairs.triangles(), upper_triangle(m))
    assert torch.equal(CyclicPairs.from_triangles(upper_triangle(m), k).values, pairs.values)
    i, d = 1, k // 2                                # the entry at offset d of row i
    assert pairs.values[0, d - 1, i] == m[0, i, (i + d) % k]


@pytest.mark.parametrize("compiled", ["1", "0"])
@pytest.mark.parametrize("k", [5, 6])
@pytest.mark.parametrize("cyclic", [False, True])
def test_fused_pairwise_mse_matches_the_definition(monkeypatch, compiled, k, cyclic):
    import stgkd.distill.pairwise as pairwise
    monkeypatch.setenv("STGKD_FUSED_COMPILE", compiled)
    monkeypatch.setattr(pairwise, "ELEMENTS_PER_CHUNK", 2 * k * k)  # chunks of 2 matrices
    monkeypatch.setattr(pairwise, "_COMPILE_FROM_ELEMENTS", 0)      # compile even 2 x 5 x 5
    torch.manual_seed(4)
    x = torch.randn(2, 3, k, 3, dtype=torch.float64)         # 6 matrices, K rows, C=3
    x[0, 0, 1, 2] = x[0, 0, 3, 2]                              # a tie: sign 0 in the gradient
    triangles = torch.rand(2, 3, k * (k - 1) // 2, dtype=torch.float64)
    ours = x.clone().requires_grad_()
    teacher = CyclicPairs.from_triangles(triangles, k) if cyclic else triangles
    loss = pairwise.pairwise_l1_mse(ours, teacher)
    (2.5 * loss).backward()
    reference = x.clone().requires_grad_()
    # the definition: mean over the 6 matrices and K(K-1)/2 pairs i < j of (D_ij - T_ij)^2
    expected = ((upper_triangle(broadcast_l1_mean(reference)) - triangles) ** 2).mean()
    (2.5 * expected).backward()
    assert loss.item() == pytest.approx(expected.item(), rel=1e-10)
    assert torch.allclose(ours.grad, reference.grad, atol=1e-12)


def test_fused_pairwise_mse_compiled_follows_pruned_channel_counts(monkeypatch):
    """Algorithm 1 shrinks the channel count C step by step: the compiled kernel gives
    the definition's loss and gradient at every C, down to one channel."""
    import stgkd.distill.pairwise as pairwise
    monkeypatch.setenv("STGKD_FUSED_COMPILE", "1")
    monkeypatch.setattr(pairwise, "_COMPILE_FROM_ELEMENTS", 0)
    torch.manual_seed(5)
    k = 6
    triangles = torch.rand(2, 2, k * (k - 1) // 2, dtype=torch.float64)
    for channels in (5, 4, 3, 2, 1):
        x = torch.randn(2, 2, k, channels, dtype=torch.float64)
        ours = x.clone().requires_grad_()
        pairwise.pairwise_l1_mse(ours, triangles).backward()
        reference = x.clone().requires_grad_()
        expected = ((upper_triangle(broadcast_l1_mean(reference)) - triangles) ** 2).mean()
        expected.backward()
        assert "failed" not in pairwise._compiled
        assert pairwise.pairwise_l1_mse(x, triangles).item() == pytest.approx(expected.item(),
                                                                              rel=1e-10)
        assert torch.allclose(ours.grad, reference.grad, atol=1e-12)
