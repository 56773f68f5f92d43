"""The DMST-GNODE paper's baselines: shapes, gradients, argument checks, hand-counted
parameters, and the classical forecasters against known processes."""
import numpy as np
import pytest
import torch
from statsmodels.tsa.arima.model import ARIMA

from stgkd.baselines import (BASELINES, CLASSICAL, DESCRIPTIONS, ARIMAForecaster, SVRForecaster,
                             parameter_counts)
from stgkd.data.graph import chebyshev_polynomials, scaled_laplacian
from stgkd.nn.baselines import (ASTGCN, FCLSTM, MASTGCN, MSTGCN, TGCLSTM, MultiGraphChebConv,
                                STGCNMultiStep, hop_neighbourhoods)
from stgkd.nn.layers import ChebGraphConv
from stgkd.nn.stgcn import STGCN, TEACHER_BLOCKS
from conftest import random_graph

N, B = 5, 2


@pytest.fixture(autouse=True)
def _two_threads():
    # overrides conftest's fixture of this name: these tensors are tiny, one thread is enough
    torch.set_num_threads(1)


@pytest.fixture(scope="module")
def graphs():
    return {"distance": random_graph(N, seed=1), "pattern": random_graph(N, seed=2)}


def path_graph(n):
    w = np.zeros((n, n))
    for i in range(n - 1):
        w[i, i + 1] = w[i + 1, i] = 1.0
    return w


@pytest.mark.parametrize("name", list(BASELINES))
@pytest.mark.parametrize("n_pred", [12, 3])
def test_output_shape_and_gradients_reach_every_parameter(name, n_pred, graphs):
    torch.manual_seed(0)
    model = BASELINES[name](N, graphs, 12, n_pred)
    out = model(torch.randn(B, 12, N))
    assert out.shape == (B, n_pred, N)
    out.square().mean().backward()
    for pname, param in model.named_parameters():
        assert param.grad is not None, pname
        assert param.grad.abs().sum() > 0, pname


@pytest.mark.parametrize("name", list(BASELINES))
def test_same_seed_same_model(name, graphs):
    x = torch.randn(B, 12, N)
    outs = []
    for _ in range(2):
        torch.manual_seed(3)
        outs.append(BASELINES[name](N, graphs)(x))
    assert torch.equal(outs[0], outs[1])


@pytest.mark.parametrize("name", list(BASELINES))
def test_wrong_input_shape_names_x(name, graphs):
    model = BASELINES[name](N, graphs)
    with pytest.raises(ValueError, match=r"x: expected shape \[B, 12, 5\], found \[2, 12, 4\]"):
        model(torch.randn(B, 12, N - 1))
    with pytest.raises(ValueError, match=r"x: expected shape \[B, 12, 5\], found \[2, 1, 12, 5\]"):
        model(torch.randn(B, 1, 12, N))


def test_wrong_graphs_are_named(graphs):
    w = graphs["distance"]
    with pytest.raises(ValueError, match=r"adjacency: expected shape \[5, 5\], found \[4, 4\]"):
        ASTGCN(N, w[:4, :4])
    negative = w.copy()
    negative[0, 1] = -1
    with pytest.raises(ValueError, match="adjacency: expected non-negative weights"):
        TGCLSTM(N, negative)
    with pytest.raises(ValueError, match="adjacency: expected a zero diagonal"):
        STGCNMultiStep(N, w + np.eye(N))
    with pytest.raises(ValueError,
                       match=r"adjacencies\[1\]: expected shape \[5, 5\], found \[5, 4\]"):
        MSTGCN(N, [w, w[:, :4]])
    with pytest.raises(ValueError, match="adjacencies: expected at least one"):
        MASTGCN(N, [])
    with pytest.raises(ValueError, match="graphs: MST-GCN needs the 'pattern' graph"):
        BASELINES["MST-GCN"](N, {"distance": w})


def test_fc_lstm_parameters_by_hand():
    # LSTM 5 -> 3: 4 gates x (5 inputs + 3 recurrent) x 3 + 2 biases x 4 x 3; decoder 3 -> 2 x 5
    model = FCLSTM(5, n_pred=2, hidden=3, layers=1)
    assert sum(p.numel() for p in model.parameters()) == 4 * 8 * 3 + 24 + (3 * 10 + 10)


def test_tgc_lstm_hops_and_parameters_by_hand():
    # path 0-1-2-3: one hop (with self) 4 + 6 pairs, two hops adds (0,2), (1,3) both ways
    one, two = hop_neighbourhoods(path_graph(4), 2)
    assert one.sum() == 10 and two.sum() == 14
    assert two[0, 2] and two[3, 1] and not two[0, 3]
    model = TGCLSTM(4, path_graph(4), n_pred=2, hops=2)
    graph_conv = 10 + 14 + 2 * 4            # neighbour weights + a bias per hop and node
    lstm = 4 * 4 * (2 * 4 + 4) + 8 * 4      # input K N = 8, hidden N = 4
    assert sum(p.numel() for p in model.parameters()) == graph_conv + lstm + 2 * 4


def test_tgc_lstm_graph_conv_stays_on_the_neighbourhood():
    model = TGCLSTM(4, path_graph(4), hops=1)
    w = model.graph_conv.weight_matrices()[0]
    assert w[0, 3] == 0 and w[0, 2] == 0 and w[0, 1] != 0 and w[2, 2] != 0


def test_ast_gcn_parameters_by_hand():
    # one block, c_in 1, 2 Chebyshev filters, 3 time filters, N 4, T 12, K 3, 2 steps out
    model = ASTGCN(4, path_graph(4), n_pred=2, blocks=1, chev_filters=2, time_filters=3)
    temporal_attention = 4 + 1 * 4 + 1 + 2 * 12 * 12
    spatial_attention = 12 + 1 * 12 + 1 + 2 * 4 * 4
    graph_conv = 3 * 1 * 2
    time_conv = 3 * 2 * 3 + 3
    residual = 1 * 3 + 3
    norm = 2 * 3
    output = 12 * 2 * 3 + 2
    assert sum(p.numel() for p in model.parameters()) == (
        temporal_attention + spatial_attention + graph_conv + time_conv + residual + norm + output)


def test_ast_gcn_attentions_are_column_distributions():
    block = ASTGCN(N, random_graph(N)).branch.blocks[0]
    x = torch.randn(B, 1, 12, N)
    e = block.temporal_attention(x)
    s = block.spatial_attention(x)
    assert e.shape == (B, 12, 12) and s.shape == (B, N, N)
    torch.testing.assert_close(e.sum(dim=1), torch.ones(B, 12))
    torch.testing.assert_close(s.sum(dim=1), torch.ones(B, N))


def test_multi_graph_cheb_conv_with_one_graph_is_stgcn_graph_conv():
    torch.manual_seed(0)
    lap = torch.from_numpy(scaled_laplacian(random_graph(N))).float()
    multi = MultiGraphChebConv(4, 4, 3, lap[None])
    single = ChebGraphConv(4, 4, 3)
    single.set_graph(lap)
    with torch.no_grad():
        single.theta.copy_(multi.theta[0])
        single.bias.copy_(torch.randn(4))
        multi.bias.copy_(single.bias)
    x = torch.randn(B, 4, 6, N)
    torch.testing.assert_close(multi(x), single(x))


def test_multi_graph_cheb_conv_sums_over_graphs():
    torch.manual_seed(0)
    weights = [random_graph(N, seed=1), random_graph(N, seed=2)]
    laps = [scaled_laplacian(w) for w in weights]
    conv = MultiGraphChebConv(2, 2, 3, torch.from_numpy(np.stack(laps)).float())
    assert sum(p.numel() for p in conv.parameters()) == 2 * 3 * 2 * 2 + 2
    x = torch.randn(B, 2, 4, N, dtype=torch.float64)
    theta = conv.theta.detach().double()
    expected = torch.zeros(B, 2, 4, N, dtype=torch.float64)
    for g, lap in enumerate(laps):
        polys = torch.from_numpy(chebyshev_polynomials(lap, 3))
        for k in range(3):
            # (T_k X)_m = sum_n T_k[m, n] x_n, then channels c -> o by Theta[g, k]
            expected += torch.einsum("mn,bctn,co->botm", polys[k], x, theta[g, k])
    expected = torch.relu(expected + x)     # zero bias, identity residual
    torch.testing.assert_close(conv.double()(x), expected)


def test_st_gcn_with_one_step_is_stgcn():
    torch.manual_seed(0)
    w = random_graph(N)
    stgcn = STGCN(N, TEACHER_BLOCKS, weights=w)
    wrapped = STGCNMultiStep(N, w, n_pred=1)
    state = stgcn.state_dict()
    state = {k: v.view(1, N) if k == "output.node_bias" else v for k, v in state.items()}
    with torch.no_grad():
        state["output.node_bias"] = torch.randn(1, N)
    wrapped.body.load_state_dict(state)
    stgcn.output.node_bias.data.copy_(state["output.node_bias"][0])
    x = torch.randn(B, 12, N)
    torch.testing.assert_close(wrapped(x)[:, 0], stgcn(x.unsqueeze(1)))


def test_parameter_counts_at_pemsd7m_size():
    counts = parameter_counts(228)
    assert set(counts) == set(BASELINES)
    # the KD paper's teacher has 333,604 parameters at N = 228; 11 more output steps add
    # one 128-weight output channel and 228 biases each
    assert counts["ST-GCN"] == 333_604 + 11 * (128 + 228)
    # one more graph: a second 3 x 32 x 32 Theta in each of the two blocks
    assert counts["MST-GCN"] == counts["ST-GCN"] + 2 * 3 * 32 * 32


def test_every_baseline_is_described():
    assert list(DESCRIPTIONS) == ["ARIMA", "SVR"] + list(BASELINES)
    assert set(CLASSICAL) == {"ARIMA", "SVR"}
    assert all(line and "\n" not in line for line in DESCRIPTIONS.values())


# ---- classical forecasters ----

def ar1_series(steps, phi, mean, n_nodes, seed=0):
    rng = np.random.default_rng(seed)
    z = np.zeros((steps, n_nodes))
    for t in range(1, steps):
        z[t] = phi * z[t - 1] + rng.normal(size=n_nodes)
    return z + mean


def test_arima_recovers_ar1_and_forecasts_its_decay():
    series = ar1_series(2000, 0.8, 3.0, 2)
    model = ARIMAForecaster(n_pred=6, orders=[(1, 0, 0)], progress=False).fit(series, 500)
    np.testing.assert_allclose(model.ar_[:, 0], 0.8, atol=0.05)
    np.testing.assert_allclose(model.mean_, 3.0, atol=0.3)
    window = np.array([[3.0, 5.0], [4.0, 1.0], [7.0, 2.0]])[None]     # [1, 3, 2]
    forecast = model.predict(window)
    h = np.arange(1, 7)[:, None]
    expected = model.mean_ + model.ar_[:, 0] ** h * (window[0, -1] - model.mean_)
    np.testing.assert_allclose(forecast[0], expected, rtol=1e-10)
    # and close to the true process's expected decay 3 + 0.8^h (y_T - 3)
    np.testing.assert_allclose(forecast[0], 3 + 0.8 ** h * (window[0, -1] - 3), atol=0.5)


@pytest.mark.parametrize("order", [(2, 0, 0), (1, 1, 0)])
def test_arima_window_forecast_matches_statsmodels(order):
    series = ar1_series(800, 0.6, 10.0, 1, seed=4)
    if order[1] == 1:
        series = np.cumsum(series - 10.0, axis=0)     # a random walk with AR(1) increments
    model = ARIMAForecaster(n_pred=5, orders=[order], progress=False).fit(series, 100)
    res = ARIMA(series[:, 0], order=order, trend="c" if order[1] == 0 else "n").fit()
    window = series[300:312]
    expected = res.apply(window[:, 0]).forecast(5)
    np.testing.assert_allclose(model.predict(window[None])[0, :, 0], expected, rtol=1e-6)


def test_arima_fits_the_last_max_fit_steps():
    series = ar1_series(900, 0.5, 1.0, 1, seed=6)
    model = ARIMAForecaster(orders=[(2, 0, 0)], max_fit_steps=300, progress=False).fit(series, 100)
    res = ARIMA(series[-300:, 0], order=(2, 0, 0), trend="c").fit()
    np.testing.assert_allclose(model.ar_[0], res.arparams, rtol=1e-6)


def test_arima_chooses_the_order_with_the_lowest_aic():
    series = ar1_series(600, 0.7, 0.0, 1, seed=5)
    model = ARIMAForecaster(orders=[(1, 0, 0), (2, 0, 0)], progress=False).fit(series, 100)
    aics = [ARIMA(series[:, 0], order=o, trend="c").fit().aic for o in [(1, 0, 0), (2, 0, 0)]]
    assert tuple(model.order_[0]) == [(1, 0, 0), (2, 0, 0)][int(np.argmin(aics))]
    assert model.aic_[0] == pytest.approx(min(aics))


def test_arima_arguments_are_checked():
    with pytest.raises(ValueError, match="orders: expected one differencing order"):
        ARIMAForecaster(orders=[(1, 0, 0), (1, 1, 0)])
    with pytest.raises(RuntimeError, match="not fitted"):
        ARIMAForecaster().predict(np.zeros((1, 12, 2)))
    model = ARIMAForecaster(orders=[(1, 0, 0)], progress=False).fit(ar1_series(200, 0.5, 0, 2), 50)
    with pytest.raises(ValueError,
                       match=r"windows: expected shape \[W, n_his, 2\], found \[1, 12, 3\]"):
        model.predict(np.zeros((1, 12, 3)))


def sine_series(steps_per_day, days, n_nodes):
    t = np.arange(steps_per_day * days)[:, None]
    phase = np.linspace(0, 2, n_nodes)[None]
    return 50 + 10 * np.sin(2 * np.pi * t / 24 + phase)


@pytest.mark.parametrize("kernel", ["linear", "rbf"])
def test_svr_forecasts_a_smooth_series(kernel):
    series = sine_series(96, 3, 3)
    model = SVRForecaster(n_his=12, n_pred=4, kernel=kernel, epsilon=0.01,
                          max_rows=400).fit(series[:192], 96)
    windows = np.stack([series[s:s + 12] for s in range(192, 272, 7)])
    targets = np.stack([series[s + 12:s + 16] for s in range(192, 272, 7)])
    forecast = model.predict(windows)
    assert forecast.shape == targets.shape
    rmse = np.sqrt(np.mean((forecast - targets) ** 2))
    # errors inside the epsilon tube (0.01 standard deviations) cost nothing, so expect about that
    assert rmse < 0.02 * series.std()


@pytest.mark.parametrize("kernel", ["linear", "rbf"])
def test_svr_shared_kernel_prediction_is_each_svr_prediction(kernel):
    series = sine_series(48, 2, 2) + np.random.default_rng(0).normal(size=(96, 2))
    model = SVRForecaster(n_his=6, n_pred=3, kernel=kernel, max_rows=60).fit(series, 48)
    windows = np.stack([series[s:s + 6] for s in range(0, 80, 9)])
    rows = ((windows - model.center_) / model.scale_).transpose(0, 2, 1).reshape(-1, 6)
    expected = np.stack([m.predict(rows) for m in model.models_], axis=1)
    expected = (expected * model.scale_ + model.center_).reshape(len(windows), 2, 3)
    np.testing.assert_allclose(model.predict(windows, chunk=5), expected.transpose(0, 2, 1),
                               rtol=1e-9, atol=1e-9)


def test_svr_rows_stay_within_days_and_subsample_is_seeded():
    steps_per_day, days = 30, 3
    series = (np.arange(days)[:, None, None] * 100 + np.arange(steps_per_day)[None, :, None]
              + np.zeros((1, 1, 2))).reshape(-1, 2)
    model = SVRForecaster(n_his=4, n_pred=2, max_rows=50, seed=1)
    inputs, targets = model.training_rows(series, steps_per_day)
    assert len(inputs) == days * 2 * (steps_per_day - 6 + 1)
    rows = np.concatenate([inputs, targets], axis=1)
    assert (rows.max(axis=1) - rows.min(axis=1) == 5).all()    # consecutive steps of one day
    windows = series[None, 40:44]
    a = model.fit(series, steps_per_day).predict(windows)
    same, other = (SVRForecaster(n_his=4, n_pred=2, max_rows=50, seed=seed)
                   .fit(series, steps_per_day).predict(windows) for seed in (1, 2))
    assert model.n_rows_ == 50
    np.testing.assert_array_equal(a, same)
    assert not np.array_equal(a, other)


def test_a_classical_run_passes_its_seed_to_the_forecaster_that_draws_rows():
    from stgkd.dmst.models import build_classical
    # SVR subsamples its rows, so each run seed draws its own; ARIMA has nothing to draw
    assert build_classical("SVR", seed=2).seed == 2
    assert build_classical("SVR").seed == 0
    assert isinstance(build_classical("ARIMA", seed=2), ARIMAForecaster)
    with pytest.raises(ValueError, match="model: expected one of"):
        build_classical("FC-LSTM")


def test_arima_is_seed_free_and_two_fits_forecast_the_same():
    from stgkd.dmst.models import is_seed_free
    from stgkd.registry import get_experiment, seed_free_experiments
    assert is_seed_free("ARIMA") and not is_seed_free("SVR") and not is_seed_free("ST-GCN")
    assert get_experiment("dmst/losloop/arima").seed_free
    assert not get_experiment("dmst/losloop/svr").seed_free
    free = seed_free_experiments()
    assert {f"dmst/{d}/arima" for d in ("losloop", "pemsd7m", "pems08")} <= free
    assert "dmst/losloop/arima-zscore" in free and "dmst/losloop/svr-zscore" not in free
    assert all(get_experiment(name).model == "ARIMA" for name in free)
    # what makes one ARIMA run stand for every seed: two runs of seeds 1 and 2 forecast
    # the same, bit for bit
    from stgkd.dmst.models import build_classical
    series = ar1_series(600, 0.7, 2.0, 3)
    windows = series[-40:].reshape(4, 10, 3)
    a, b = (build_classical("ARIMA", seed=seed).fit(series[:500], 100).predict(windows)
            for seed in (1, 2))
    np.testing.assert_array_equal(a, b)
