"""The DMST-GNODE comparison's options: the scaling readings, the ST module, the ablations
and their registered experiments.

Expectations are worked by hand (transforms of chosen numbers, derivatives of the inverse
Box-Cox, parameter counts layer by layer), not taken from the code under test.
"""
import json
import math

import numpy as np
import pytest
import torch
from scipy import stats

from stgkd.complexity import count_parameters
from stgkd.data import synthetic_series
from stgkd.data.boxcox import BoxCox, StationBoxCox
from stgkd.data.windows import ZScore
from stgkd.dmst import make_multistep_windows
from stgkd.dmst.run import evaluate_multistep
from stgkd.dmst.scaling import (SCALINGS, fit_scaler, scaler_from_dict, scaler_to_dict,
                                training_loss)
from stgkd.registry import EXPERIMENTS
from stgkd.runner import run_experiment
from stgkd.nn.dmst_gnode import DMSTGNODE

from conftest import random_graph


def _speeds(seed=0, shape=(300, 3)):
    rng = np.random.default_rng(seed)
    return np.clip(65 - rng.gamma(2.0, 6.0, size=shape), 0, None)


# ---------------------------------------------------------------- scaling: by hand

def test_station_boxcox_by_hand():
    # station 0: lam 0.5, ((3 + 1)^0.5 - 1) / 0.5 = 2, then (2 - 1) / 2 = 0.5
    # station 1: lam 0, log(e - 1 + 1) = 1, then (1 - 0) / 1 = 1
    # station 2: lam 2, ((1 + 1)^2 - 1) / 2 = 1.5, then (1.5 - 0.5) / 4 = 0.25
    bc = StationBoxCox(lam=(0.5, 0.0, 2.0), shift=1.0, mean=(1.0, 0.0, 0.5), std=(2.0, 1.0, 4.0))
    x = np.array([[3.0, math.e - 1, 1.0]])
    np.testing.assert_allclose(bc.transform(x), [[0.5, 1.0, 0.25]], rtol=1e-12)
    np.testing.assert_allclose(bc.inverse(np.array([[0.5, 1.0, 0.25]])), x, rtol=1e-12)
    t = torch.tensor([[0.5, 1.0, 0.25]], dtype=torch.float64)
    np.testing.assert_allclose(bc.inverse(t).numpy(), x, rtol=1e-12)
    np.testing.assert_allclose(bc.transform(torch.tensor(x)).numpy(), [[0.5, 1.0, 0.25]],
                               rtol=1e-12)
    with pytest.raises(ValueError, match="3 stations"):
        bc.transform(np.ones((2, 4)))


def test_zscore_option_by_hand():
    scaler = fit_scaler("zscore", np.array([[1.0, 3.0], [5.0, 7.0]]))
    # mean 4, population std sqrt((9 + 1 + 1 + 9) / 4) = sqrt(5)
    assert isinstance(scaler, ZScore)
    assert scaler.mean == pytest.approx(4.0) and scaler.std == pytest.approx(math.sqrt(5))
    assert scaler.transform(np.array([1.0]))[0] == pytest.approx(-3 / math.sqrt(5))
    assert scaler.inverse(np.array([-3 / math.sqrt(5)]))[0] == pytest.approx(1.0)


def test_station_lambdas_are_each_stations_own_maximum_likelihood_fit():
    values = _speeds()
    values[:, 2] = np.random.default_rng(5).lognormal(2.5, 0.4, 300)   # right-skewed
    bc = StationBoxCox.fit(values)
    for i in range(3):
        # scipy's maximum-likelihood exponent of station i's readings alone
        assert bc.lam[i] == pytest.approx(stats.boxcox_normmax(values[:, i] + bc.shift,
                                                               method="mle"), rel=1e-4)
    assert bc.lam[2] < 1 < bc.lam[0]       # a right-skewed station needs a lam below 1
    z = bc.transform(values)
    np.testing.assert_allclose(z.mean(axis=0), 0, atol=1e-9)
    np.testing.assert_allclose(z.std(axis=0), 1, rtol=1e-9)
    np.testing.assert_allclose(bc.inverse(z), values, rtol=1e-6, atol=1e-6)
    t32 = torch.tensor(values).float()
    assert torch.allclose(bc.inverse(bc.transform(t32)), t32, rtol=1e-4, atol=1e-3)


def test_a_constant_station_gets_lambda_one():
    values = _speeds(shape=(50, 2))
    values[:, 1] = 7.0
    bc = StationBoxCox.fit(values)
    assert bc.lam[1] == 1.0 and bc.std[1] == 1.0
    # lam 1: (7 + 1) - 1 = 7 = its mean, so the constant maps to 0 and back
    z = bc.transform(values)
    assert np.allclose(z[:, 1], 0.0)
    np.testing.assert_allclose(bc.inverse(z), values, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("scaling", list(SCALINGS))
def test_each_option_round_trips_and_is_stored(scaling):
    values = _speeds(3)
    scaler = fit_scaler(scaling, values)
    np.testing.assert_allclose(scaler.inverse(scaler.transform(values)), values,
                               rtol=1e-6, atol=1e-6)
    state = json.loads(json.dumps(scaler_to_dict(scaler)))
    assert scaler_from_dict(scaling, state) == scaler
    expected = {"boxcox": BoxCox, "boxcox-mph-loss": BoxCox, "boxcox-station": StationBoxCox,
                "zscore": ZScore}[scaling]
    assert type(scaler) is expected


def test_unknown_scaling_is_named():
    with pytest.raises(ValueError, match="scaling: expected one of"):
        fit_scaler("log", _speeds())


@pytest.mark.parametrize("scaling", list(SCALINGS))
def test_windows_under_each_option_give_back_the_readings(scaling):
    series = synthetic_series(n_nodes=4, n_days=4, steps_per_day=48, seed=1)
    data = make_multistep_windows(series, (2, 1, 1), scaling=scaling)
    assert data.scaling == scaling
    first = np.asarray(data.scaler.inverse(data.train[0].double()))
    assert np.allclose(first, series.values[:24], atol=1e-3)


# ---------------------------------------------------------------- the loss in mph

class _Output(torch.nn.Module):
    """Returns its parameter whatever the input: the forecast is the parameter itself."""

    def __init__(self, value):
        super().__init__()
        self.value = torch.nn.Parameter(value)

    def forward(self, x):
        return self.value


def test_mph_loss_gradient_is_the_mse_gradient_in_mph():
    bc = BoxCox(lam=2.0, shift=1.0, mean=3.0, std=2.0)
    z = torch.tensor([[[-0.5, 0.25], [0.75, 1.0]]], dtype=torch.float64)   # [1, 2, 2] forecasts
    y = torch.tensor([[[0.0, -0.25], [1.0, 0.5]]], dtype=torch.float64)    # scaled targets
    model = _Output(z.clone())
    loss = training_loss("boxcox-mph-loss", bc)(model, None, y)
    loss.backward()

    # by hand: v = 2 z + 3, x = (2 v + 1)^(1/2) - 1, dx/dz = 2 (2 v + 1)^(-1/2)
    def mph(s):
        return np.sqrt(2 * (2 * s + 3) + 1) - 1

    zn, yn = z.numpy(), y.numpy()
    error = mph(zn) - mph(yn)
    assert float(loss.detach()) == pytest.approx(np.mean(error ** 2), rel=1e-12)
    slope = 2 / np.sqrt(2 * (2 * zn + 3) + 1)
    np.testing.assert_allclose(model.value.grad.numpy(), 2 * error * slope / error.size,
                               rtol=1e-12)
    # the default option's loss is the MSE of the scaled values
    model.value.grad = None
    scaled = training_loss("boxcox", bc)(model, None, y)
    assert float(scaled) == pytest.approx(float(torch.mean((z - y) ** 2)), rel=1e-12)


def test_evaluation_loss_is_in_the_units_the_option_trains_in():
    series = synthetic_series(n_nodes=3, n_days=3, steps_per_day=48, seed=4)
    for scaling, expected in (("boxcox-mph-loss", 1.0), ("boxcox", None)):
        data = make_multistep_windows(series, (1, 1, 1), scaling=scaling)
        true = data.test[:, 12:].double()
        # forecasts 1 mph above every reading: MSE 1 in mph
        pred = data.scaler.transform(data.scaler.inverse(true) + 1.0)
        loss = evaluate_multistep(pred, data.test, data)["loss"]
        if expected is None:
            assert loss == pytest.approx(float(torch.mean((pred - true) ** 2)), rel=1e-9)
            assert loss != pytest.approx(1.0, rel=1e-2)
        else:
            assert loss == pytest.approx(expected, rel=1e-5)


# ---------------------------------------------------------------- ST module and ablations

N = 5


@pytest.fixture
def graphs():
    return random_graph(N, seed=0), random_graph(N, seed=1)


def _counts(n):
    """Parameters by hand (Ks = Kt = 3, 12 steps in and out, GODE hidden 32)."""
    # a GODE branch: block 1 TCN(1 -> [32, 16, 32]) 2*32+32 + 2*32*16+16 + 2*16*32+32 + 1x1
    # residual 32+32 = 2,256; ODE alpha n + W 32*32+32 + U 12*12+12 = 1,212 + n; TCN out
    # 2*32*32+32 + 1,040 + 1,056 = 4,176; LayerNorm 2*32 n. Block 2: 4,176 + 1,212 + n +
    # 4,176 + 64 n. Total 17,208 + 130 n.
    branch = 2256 + 1212 + 4176 + 4176 + 1212 + 4176 + 130 * n
    gode_head = 384 * 384 + 384 + 384 * 12 + 12               # the output MLP, 152,460
    # the "stgcn" ST module: GLU 1->16 (3*1*32+32), Cheb 16 (3*16*16+16), ReLU 16->32
    # (3*16*32+32), GLU 32->16 (3*32*32+32) + 1x1 align 32*16, Cheb, ReLU, two LayerNorms
    # 2*32 n each, linear 32*4 -> 12
    st = 128 + 784 + 1568 + 3104 + 512 + 784 + 1568 + 128 * 12 + 12 + 128 * n
    # MST-GCN: GLU 1->32 (3*64+64), two-graph Cheb 32 (2*3*32*32+32), ReLU 32->64
    # (3*32*64+64), GLU 64->32 (3*64*64+64) + align 64*32, Cheb, ReLU 32->128
    # (3*32*128+128), LayerNorms 2*64 n + 2*128 n, output GLU width 4 (4*128*256+256),
    # LayerNorm 2*128 n, 1x1 sigmoid 128*128+128, 1x1 to 12 (128*12), bias 12 n
    mst = (256 + 6176 + 6208 + 12352 + 2048 + 6176 + 12416 + 131328 + 16512 + 1536
           + (128 + 256 + 256 + 12) * n)
    dynamic, fusion = 2 * 10 * n, 12 * n                       # embeddings; per module
    return {"full": 3 * branch + gode_head + dynamic + st + 2 * fusion,
            "mst-gcn": 3 * branch + gode_head + dynamic + mst + 2 * fusion,
            "no-dynamic": 2 * branch + gode_head + st + 2 * fusion,
            "no-pattern": 2 * branch + gode_head + dynamic + st + 2 * fusion,
            "no-ode": st + fusion,
            "no-st": 3 * branch + gode_head + dynamic + fusion}


VARIANTS = {"full": {}, "mst-gcn": {"st_module": "mst-gcn"},
            "no-dynamic": {"without": ["dynamic"]}, "no-pattern": {"without": ["pattern"]},
            "no-ode": {"without": ["ode"]}, "no-st": {"without": ["st"]}}


def test_hand_counts_match_the_documented_totals():
    # the model docstring's 214,080 + 562 N and the MST-GCN baseline at N = 228
    assert _counts(207)["full"] == 330_414 and _counts(228)["full"] == 342_216
    mst_alone = _counts(228)["mst-gcn"] - _counts(228)["full"] + _counts(228)["no-ode"] - 12 * 228
    assert mst_alone == 333_604 + 11 * (128 + 228) + 2 * 3 * 32 * 32


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_each_variant_builds_runs_and_has_its_parameter_count(variant, graphs):
    torch.manual_seed(0)
    model = DMSTGNODE(N, *graphs, **VARIANTS[variant])
    assert count_parameters(model) == _counts(N)[variant]
    y = model(torch.randn(2, 12, N))
    assert y.shape == (2, 12, N)
    y.square().mean().backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.parameters())


def test_ablated_parts_are_absent(graphs):
    assert DMSTGNODE(N, *graphs, without=["dynamic"]).dynamic is None
    assert len(DMSTGNODE(N, *graphs, without=["pattern"]).graphs()) == 2
    no_ode = DMSTGNODE(N, *graphs, without=["ode"])
    assert no_ode.gode is None and no_ode.dynamic is None and no_ode.fusion.shape == (1, 12, N)
    no_st = DMSTGNODE(N, *graphs, without=["st"])
    x = torch.randn(2, 12, N)
    # the GODE module alone, weighted by its fusion weight (0.5 at the start)
    expected = 0.5 * no_st.gode(x.unsqueeze(1), no_st.graphs())
    assert torch.allclose(no_st(x), expected)


def test_bad_options_are_named(graphs):
    with pytest.raises(ValueError, match="without"):
        DMSTGNODE(N, *graphs, without=["ode", "st"])
    with pytest.raises(ValueError, match="without"):
        DMSTGNODE(N, *graphs, without=["distance"])
    with pytest.raises(ValueError, match="st_module"):
        DMSTGNODE(N, *graphs, st_module="gcn")


def _within_glorot(weight, fan_in, fan_out):
    return 0 < float(weight.detach().abs().max()) <= math.sqrt(6 / (fan_in + fan_out))


@pytest.mark.parametrize("module", ["stgcn-glorot", "mst-gcn"])
def test_glorot_st_modules_draw_every_temporal_weight_and_zero_the_biases(module, graphs):
    torch.manual_seed(0)
    st = DMSTGNODE(N, *graphs, st_module=module).st
    convs = [b.temporal_in.conv for b in st.blocks] + [b.temporal_out.conv for b in st.blocks]
    for conv in convs:
        c_out, c_in, kt, _ = conv.weight.shape
        assert _within_glorot(conv.weight, c_in * kt, c_out * kt)
        assert torch.all(conv.bias == 0)
    # the default module keeps PyTorch's init: biases uniform in +-1/sqrt(fan_in), not zero
    default = DMSTGNODE(N, *graphs).st
    assert all(bool((b.temporal_in.conv.bias != 0).any()) for b in default.blocks)


def test_mst_gcn_module_shapes(graphs):
    torch.manual_seed(0)
    st = DMSTGNODE(N, *graphs, st_module="mst-gcn").st
    assert [tuple(b.spatial.theta.shape) for b in st.blocks] == [(2, 3, 32, 32), (2, 3, 32, 32)]
    assert st.blocks[1].temporal_out.conv.out_channels == 128
    assert st(torch.randn(3, 12, N)).shape == (3, 12, N)


# ---------------------------------------------------------------- registered experiments

def test_variants_are_registered_without_renaming_the_pinned_ones():
    for dataset in ("losloop", "pemsd7m"):
        for model in ("st-gcn", "mst-gcn", "st-node", "dmst-gnode"):
            assert "scaling" not in EXPERIMENTS[f"dmst/{dataset}/{model}"].options
            for scaling in ("boxcox-station", "zscore", "boxcox-mph-loss"):
                experiment = EXPERIMENTS[f"dmst/{dataset}/{model}-{scaling}"]
                assert experiment.options == {"scaling": scaling}
                assert experiment.paper_row.endswith("(not in the paper)")
        assert EXPERIMENTS[f"dmst/{dataset}/dmst-gnode-st-mst-gcn"].options == {
            "st_module": "mst-gcn"}
        for part in ("dynamic", "pattern", "ode", "st"):
            assert EXPERIMENTS[f"dmst/{dataset}/dmst-gnode-no-{part}"].options == {
                "without": [part]}


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return tmp_path_factory.mktemp("results")


def test_a_variant_run_records_its_reading_and_reloads(root):
    from stgkd.report.dmst import run_test_windows
    from stgkd.runs import load_run_model
    name = "dmst/losloop/dmst-gnode-no-ode"
    result = run_experiment(name, "smoke", 0, results_dir=root, progress=False)
    assert result["scaling"] == "boxcox"
    assert result["reading"] == {"scaling": "boxcox", "st_module": "stgcn", "without": ["ode"]}
    assert result["parameters"] == _counts(207)["no-ode"]
    model = load_run_model(result, results_dir=root)
    assert count_parameters(model) == _counts(207)["no-ode"]
    assert run_test_windows(result).shape[1:] == (24, 207)


def test_an_mph_loss_run_trains_in_mph(root):
    from stgkd.dmst.run import predict_windows
    from stgkd.report.dmst import run_scaler, run_test_windows
    from stgkd.runs import load_run_model
    result = run_experiment("dmst/losloop/st-gcn-boxcox-mph-loss", "smoke", 0,
                            results_dir=root, progress=False)
    assert result["reading"] == {"scaling": "boxcox-mph-loss"}
    # the stored test loss is the MSE in mph of the stored model's forecasts
    windows = run_test_windows(result)
    pred = predict_windows(load_run_model(result, results_dir=root), windows, 12).double()
    scaler = run_scaler(result)
    mph = torch.mean((scaler.inverse(pred) - scaler.inverse(windows[:, 12:].double())) ** 2)
    assert result["test_loss"] == pytest.approx(float(mph), rel=1e-5)
    station = run_experiment("dmst/losloop/st-gcn-boxcox-station", "smoke", 0,
                             results_dir=root, progress=False)
    assert len(station["scaler"]["lam"]) == 207
    assert isinstance(run_scaler(station), StationBoxCox)


# ---------------------------------------------------------------- the cheaper paths

def _torchdiffeq_euler(field, h0, time=1.0, method="euler", step_size=0.25, rtol=1e-4,
                       atol=1e-5):
    from torchdiffeq import odeint
    t = torch.tensor([0.0, float(time)], dtype=h0.dtype)
    return odeint(field, h0, t, method=method, options={"step_size": float(step_size)})[-1]


@pytest.mark.parametrize("time, step", [(1.0, 0.25), (1.0, 0.3), (1.2, 0.1)])
def test_hand_euler_is_torchdiffeqs_euler_to_the_bit(time, step):
    from stgkd.nn import graph_ode
    torch.manual_seed(0)
    ode = graph_ode.GraphODE(N, 4, 6, time=time, step_size=step)
    with torch.no_grad():                        # move every term off its starting value
        for p in ode.parameters():
            p.add_(0.1 * torch.randn_like(p))
    adjacency = torch.softmax(torch.randn(N, N), dim=1)
    x = torch.randn(3, 4, 6, N, requires_grad=True)
    fast = ode(x, adjacency)
    fast_grads = torch.autograd.grad(fast.square().sum(), [x, *ode.parameters()])
    original = graph_ode.integrate
    graph_ode.integrate = _torchdiffeq_euler
    try:
        slow = ode(x, adjacency)
    finally:
        graph_ode.integrate = original
    slow_grads = torch.autograd.grad(slow.square().sum(), [x, *ode.parameters()])
    assert torch.equal(fast, slow)
    assert all(torch.equal(a, b) for a, b in zip(fast_grads, slow_grads))


def test_dmst_gnode_forecasts_are_unchanged_by_the_hand_euler(graphs):
    # downstream of the ODE the float32 products may round differently (memory layout), so
    # the whole model agrees to float32 rounding, on a fixed seed
    from stgkd.nn import graph_ode
    torch.manual_seed(0)
    model = DMSTGNODE(N, *graphs)
    x = torch.randn(4, 12, N)
    fast = model(x)
    original = graph_ode.integrate
    graph_ode.integrate = _torchdiffeq_euler
    try:
        slow = model(x)
    finally:
        graph_ode.integrate = original
    assert torch.allclose(fast, slow, rtol=1e-5, atol=1e-6)


def test_pattern_graph_is_computed_once_and_kept(tmp_path, monkeypatch):
    from stgkd.data.multigraph import pattern_graph
    from stgkd.dmst import graph_cache
    monkeypatch.setenv("STGKD_CACHE", str(tmp_path))
    monkeypatch.setattr(graph_cache, "_MEMORY", {})
    series = synthetic_series(n_nodes=6, n_days=2, steps_per_day=48, seed=3)
    values = series.values[:96]
    expected = pattern_graph(values, 48)
    calls = []

    def counted(*args):
        calls.append(args)
        return pattern_graph(*args)

    monkeypatch.setattr(graph_cache, "pattern_graph", counted)
    first = graph_cache.cached_pattern_graph(values, 48)
    np.testing.assert_array_equal(first, expected)
    assert len(list((tmp_path / "pattern_graphs").glob("*.npy"))) == 1
    graph_cache._MEMORY.clear()                  # a new process: read from disk
    np.testing.assert_array_equal(graph_cache.cached_pattern_graph(values, 48), expected)
    assert len(calls) == 1
    changed = values.copy()
    changed[0, 0] += 1.0                         # other readings: computed afresh
    graph_cache.cached_pattern_graph(changed, 48)
    assert len(calls) == 2


# ---------------------------------------------------------------- the readings table

def test_readings_table_reads_old_runs_as_the_pinned_reading():
    from stgkd.report.dmst import dmst_readings_table
    from test_report_dmst import dmst_result

    def val(mae):
        return {h: {"mae": mae} for h in ("20min", "40min", "60min")}

    old = [dmst_result("ST-GCN", "full", 8.0, seed=s, val=val(3.0 + s)) for s in (0, 1)]
    zscore = dmst_result("ST-GCN", "full", 7.0, val=val(2.0)).with_fields(
        experiment="dmst/losloop/st-gcn-zscore", scaling="zscore", reading={"scaling": "zscore"})
    ablation = dmst_result("DMST-GNODE", "full", 9.0).with_fields(
        experiment="dmst/losloop/dmst-gnode-no-ode",
        reading={"scaling": "boxcox", "st_module": "stgcn", "without": ["ode"]})
    pinned_gnode = dmst_result("DMST-GNODE", "full", 8.5)
    other = dmst_result("ST-GCN", "full", 1.0, dataset="pemsd7m")
    table = dmst_readings_table(old + [zscore, ablation, pinned_gnode, other], "losloop")
    assert list(table["experiment"]) == ["dmst/losloop/st-gcn", "dmst/losloop/st-gcn-zscore",
                                         "dmst/losloop/dmst-gnode",
                                         "dmst/losloop/dmst-gnode-no-ode"]
    st = table.iloc[0]
    assert st["scaling"] == "boxcox" and st["seeds"] == 2 and st["st_module"] == ""
    assert st["val_mae"] == pytest.approx(3.5) and st["val_mae_std"] == pytest.approx(0.5 ** 0.5)
    assert st["rmse_20min"] == pytest.approx(8.0) and st["rmse_20min_std"] == pytest.approx(0.0)
    assert table.iloc[1]["scaling"] == "zscore" and table.iloc[1]["val_mae"] == 2.0
    gnode = table.iloc[2]
    assert (gnode["st_module"], gnode["without"], gnode["scaling"]) == ("stgcn", "", "boxcox")
    assert table.iloc[3]["without"] == "ode" and np.isnan(table.iloc[3]["val_mae"])
