"""The correlation loss on large graphs: the streamed exact loss (blocks of rows) and the
sampled-station estimate of LSCD."""
import itertools

import pytest
import torch

import stgkd.distill.correlation as correlation
from stgkd.distill import TeacherCache, lscd, make_kd_loss, upper_triangle
from stgkd.distill.pairwise import pairwise_l1_mse_streamed
from stgkd.nn import STGCN


def definition(x, y):
    """Eq. 10's mean over matrices and pairs i < j, written out with [..., K, K, C] tensors."""
    d_s = (x.unsqueeze(-2) - x.unsqueeze(-3)).abs().mean(-1)
    d_t = (y.unsqueeze(-2) - y.unsqueeze(-3)).abs().mean(-1)
    return ((upper_triangle(d_s) - upper_triangle(d_t)) ** 2).mean()


@pytest.mark.parametrize("k,block", [(5, 2 * 5), (6, 1), (7, 10 ** 6)])
def test_streamed_loss_and_gradient_match_the_definition(k, block):
    torch.manual_seed(k)
    x = torch.randn(2, 3, k, 2, dtype=torch.float64)
    y = torch.randn(2, 3, k, 4, dtype=torch.float64)
    ours = x.clone().requires_grad_()
    loss = pairwise_l1_mse_streamed(ours, y, block_elements=block)   # 1 row at a time for block=1
    (3.0 * loss).backward()
    reference = x.clone().requires_grad_()
    expected = definition(reference, y)
    (3.0 * expected).backward()
    assert loss.item() == pytest.approx(expected.item(), rel=1e-12)
    assert torch.allclose(ours.grad, reference.grad, atol=1e-14)


def test_large_graphs_take_the_streamed_path_with_the_same_loss(monkeypatch):
    torch.manual_seed(0)
    f_s, f_t = torch.randn(2, 3, 9, 2, dtype=torch.float64), torch.randn(2, 3, 9, 5, dtype=torch.float64)
    whole = lscd(f_s, f_t)
    calls = []
    real = correlation.pairwise_l1_mse_streamed
    monkeypatch.setattr(correlation, "pairwise_l1_mse_streamed",
                        lambda *a: calls.append(1) or real(*a))
    monkeypatch.setattr(correlation, "_STREAM_FROM_ELEMENTS", 2 * 3 * 9 * 9 - 1)
    assert lscd(f_s, f_t).item() == pytest.approx(whole.item(), rel=1e-12)
    assert calls == [1]


def test_station_sample_is_unbiased_over_every_subset(monkeypatch):
    # the mean of the S-station estimate over all C(N, S) subsets is the exact loss
    torch.manual_seed(1)
    n, s = 6, 3
    f_s, f_t = torch.randn(2, 2, n, 2, dtype=torch.float64), torch.randn(2, 2, n, 3, dtype=torch.float64)
    exact = lscd(f_s, f_t).item()
    estimates = []
    for subset in itertools.combinations(range(n), s):
        rest = [i for i in range(n) if i not in subset]
        monkeypatch.setattr(torch, "randperm", lambda _n, subset=subset, rest=rest:
                            torch.tensor(list(subset) + rest))
        estimates.append(lscd(f_s, f_t, stations_sample=s).item())
    assert len(estimates) == 20
    assert sum(estimates) / len(estimates) == pytest.approx(exact, rel=1e-12)
    assert max(abs(e - exact) for e in estimates) > 1e-3 * exact   # a single draw is not exact


def test_station_sample_needs_the_teachers_features():
    f_s, f_t = torch.randn(1, 2, 5, 2), torch.randn(1, 2, 5, 3)
    triangles = upper_triangle((f_t.unsqueeze(-2) - f_t.unsqueeze(-3)).abs().mean(-1))
    with pytest.raises(ValueError, match="stations_sample"):
        lscd(f_s, triangles, stations_sample=3)
    assert lscd(f_s, triangles, stations_sample=5).item() == pytest.approx(lscd(f_s, f_t).item(),
                                                                          rel=1e-5)


def test_sampled_lstcd_runs_with_a_cache_without_spatial_correlations():
    torch.manual_seed(0)
    n = 8
    weights = torch.rand(n, n)
    weights = ((weights + weights.T) / 2).fill_diagonal_(0).numpy()
    teacher = STGCN(n, [[1, 4, 8], [8, 4, 16]], weights=weights)
    student = STGCN(n, [[1, 2, 4], [4, 2, 8]], weights=weights)
    loss_fn = make_kd_loss("lstcd", teacher, alpha1=0.4, alpha2=0.5, alpha3=0.5, stations_sample=4)
    assert loss_fn.needs == {"temporal": True, "spatial": False}
    windows = torch.randn(4, 13, n)
    loss_fn.cache = TeacherCache.build(teacher, windows, 12, progress=False, **loss_fn.needs)
    index = torch.tensor([2, 0])
    loss = loss_fn(student, windows[index, None, :12], windows[index, 12], index=index)
    loss.backward()
    assert torch.isfinite(loss) and "lscd" in loss_fn.term_means
