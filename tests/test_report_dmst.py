"""The DMST-GNODE chapter's tables and figures (stgkd.report.dmst) on hand-made results.

Expected values are worked out by hand from the fake results below, or, for the
checkpoint test, computed directly from the model and the series with numpy indexing.
"""
import math

import numpy as np
import pandas as pd
import pytest
import torch

from stgkd.runs import load_run_model
from stgkd.report.dmst import (DMST_HORIZONS, METRIC_COLUMNS, dmst_claim, dmst_table,
                               dmst_view, graph_matrices, graph_summary,
                               model_overview, pick_trace_nodes,
                               paper_figures, prediction_traces, station_layout, target_clock,
                               training_curves, variant_parameters)

from factories import PROVENANCE, fake_result

MODELS = ["ARIMA", "SVR", "FC-LSTM", "TGC-LSTM", "AST-GCN", "MAST-GCN", "ST-GCN", "MST-GCN",
          "ST-NODE", "DMST-GNODE"]


def dmst_result(model, profile, rmse20, seed=0, dataset="losloop", parameters=1000,
                best_epoch=2, epochs=3, wall=10.0, accuracy20=0.8,
                device="AMD EPYC (2 threads of 2 CPUs)", **fields):
    """A result of ``model`` as run_dmst writes it (``fields`` set any other field); at
    20/40/60 min RMSE is rmse20 + 0/10/20, MAE rmse20 / 2 + 0/10/20, MAPE 5/15/25 and
    accuracy accuracy20 - 0/0.1/0.2, so each column is distinguishable."""
    classical = model in ("ARIMA", "SVR")
    trained = {} if classical else {"best_epoch": best_epoch, "history": [
        {"epoch": e + 1, "train_loss": 1.0 / (e + 1), "val_mae": 5.0 - e,
         "val": {"20min": {"rmse": 6.0 - e, "accuracy": 0.7 + 0.01 * e}, "loss": 0.5 - 0.1 * e},
         "lr": 1e-3, "epoch_time_s": 1.0} for e in range(epochs)]}
    return fake_result(f"dmst/{dataset}/{model.lower()}", profile, seed,
                       horizons=DMST_HORIZONS, rmse=[rmse20 + 10 * i for i in range(3)],
                       mae=[rmse20 / 2 + 10 * i for i in range(3)],
                       mape=[5.0 + 10 * i for i in range(3)],
                       accuracy=[accuracy20 - 0.1 * i for i in range(3)],
                       model=model, paper_row=model, parameters=None if classical else parameters,
                       provenance={**PROVENANCE, "wall_time_s": wall, "device": device},
                       **trained, **fields)


# ----------------------------------------------------------------------------- the table


def test_dmst_table_best_profile_mean_over_seeds_and_not_yet_run():
    results = [
        dmst_result("ST-GCN", "full", 4.0, seed=0, best_epoch=3, epochs=2, wall=100.0,
                    device="NVIDIA H200"),
        dmst_result("ST-GCN", "full", 5.0, seed=1, best_epoch=5, epochs=4, wall=300.0),
        dmst_result("ST-GCN", "smoke", 9.0),                 # a worse profile: not used
        dmst_result("SVR", "smoke", 6.0, wall=50.0),
        fake_result("kd/losloop/teacher", "full", rmse=1.0),               # not a DMST run
    ]
    table = dmst_table(results, datasets=("losloop",))
    assert table["model"].tolist() == MODELS
    assert (table["dataset"] == "losloop").all()
    st = table.set_index("model").loc["ST-GCN"]
    assert st["rmse_20min"] == pytest.approx(4.5)          # (4 + 5) / 2
    assert st["mae_20min"] == pytest.approx(2.25)          # (2 + 2.5) / 2
    assert st["rmse_60min"] == pytest.approx(24.5)         # 4.5 + 20
    assert st["accuracy_40min"] == pytest.approx(0.7)
    assert st["parameters"] == 1000
    assert st["best_epoch"] == pytest.approx(4.0)          # (3 + 5) / 2
    assert st["epochs_run"] == pytest.approx(3.0)          # (2 + 4) / 2
    assert st["wall_time_s"] == pytest.approx(200.0)
    assert st["device"] == "AMD EPYC (2 threads of 2 CPUs), NVIDIA H200"   # seeds differ
    assert (st["profile"], st["seeds"], st["experiment"]) == ("full", 2, "dmst/losloop/st-gcn")
    svr = table.set_index("model").loc["SVR"]
    assert svr["rmse_20min"] == pytest.approx(6.0) and svr["profile"] == "smoke"
    assert pd.isna(svr["parameters"]) and math.isnan(svr["best_epoch"])
    assert math.isnan(svr["epochs_run"])
    rest = table[~table["model"].isin(["ST-GCN", "SVR"])]
    assert (rest["profile"] == "not yet run").all() and (rest["seeds"] == 0).all()
    assert rest[METRIC_COLUMNS].isna().all().all()
    # one profile only
    smoke = dmst_table(results, "smoke", datasets=("losloop",)).set_index("model")
    assert smoke.loc["ST-GCN", "rmse_20min"] == pytest.approx(9.0)
    with pytest.raises(ValueError, match="profile"):
        dmst_table(results, "fast")


def test_dmst_table_all_datasets_and_view():
    table = dmst_table([dmst_result("DMST-GNODE", "quick", 3.25, dataset="pemsd7m",
                                    parameters=342216, best_epoch=7, epochs=17, wall=1234.4)])
    assert len(table) == 30
    assert table["dataset"].tolist() == ["losloop"] * 10 + ["pemsd7m"] * 10 + ["pems08"] * 10
    view = dmst_view(table, "pemsd7m")
    assert view.index.tolist() == MODELS
    row = view.loc["DMST-GNODE"]
    assert row[("20 min", "RMSE")] == "3.250"
    assert row[("20 min", "Accuracy")] == "0.8000"
    assert row[("60 min", "MAPE")] == "25.000"
    assert row[("", "parameters")] == "342,216"
    assert row[("", "best / epochs")] == "7 / 17"
    assert row[("", "wall time (s)")] == "1,234"
    assert row[("", "device")] == "AMD EPYC (2 threads of 2 CPUs)"
    assert row[("", "profile")] == "quick"
    assert view.loc["ARIMA", ("20 min", "RMSE")] == "–"
    assert view.loc["ARIMA", ("", "profile")] == "not yet run"
    assert view.loc["ARIMA", ("", "device")] == "–"


# ----------------------------------------------------------------------------- the paper


def test_paper_figures_by_either_name_with_ours_beside():
    by_paper = paper_figures("Los_Loop")
    by_ours = paper_figures("losloop")
    pd.testing.assert_frame_equal(by_paper, by_ours)
    assert by_ours["metric"].tolist() == ["RMSE", "Accuracy"]
    assert by_ours["paper_value"].tolist() == [3.3422, 0.7643]
    assert (by_ours["horizon_min"] == 20.0).all() and (by_ours["model"] == "DMST-GNODE").all()
    with_ours = paper_figures("losloop", [dmst_result("DMST-GNODE", "full", 3.5,
                                                      accuracy20=0.8)])
    assert with_ours["ours"].tolist() == pytest.approx([3.5, 0.8])
    assert with_ours["difference"].tolist() == pytest.approx([0.1578, 0.0357])
    assert with_ours["profile"].tolist() == ["full", "full"]
    assert paper_figures("pems08")["paper_value"].tolist() == [19.4863, 0.9377]
    bkk = paper_figures("BKK", [])
    assert bkk["paper_value"].tolist() == [3.3165, 0.9367]
    assert (bkk["profile"] == "data set not available").all()
    assert paper_figures("pemsd7m").empty                    # not in the paper
    with pytest.raises(ValueError, match="dataset"):
        paper_figures("bangkok")


def test_dmst_claim_within_one_profile_and_against_the_paper():
    results = [dmst_result("DMST-GNODE", "full", 3.0), dmst_result("DMST-GNODE", "smoke", 10.0),
               dmst_result("ST-GCN", "full", 3.5), dmst_result("ST-NODE", "smoke", 2.0)]
    claim = dmst_claim(results).set_index("rival")
    assert claim.index.tolist() == ["ST-GCN", "ST-NODE", "DMST-GNODE (paper)"]
    st = claim.loc["ST-GCN"]
    assert (st["dmst_gnode"], st["rival_value"]) == (3.0, 3.5)
    assert st["difference"] == pytest.approx(-0.5) and bool(st["dmst_gnode_better"])
    assert st["profile_dmst_gnode"] == st["profile_rival"] == "full"
    assert st["verdict"] == "DMST-GNODE beats ST-GCN (full, 1 seed)"
    node = claim.loc["ST-NODE"]                             # only smoke holds both
    assert (node["dmst_gnode"], node["rival_value"]) == (10.0, 2.0)
    assert not node["dmst_gnode_better"] and node["profile_dmst_gnode"] == "smoke"
    paper = claim.loc["DMST-GNODE (paper)"]
    assert paper["dmst_gnode"] == 3.0 and paper["rival_value"] == 3.3422
    assert paper["difference"] == pytest.approx(-0.3422) and bool(paper["dmst_gnode_better"])
    assert paper["profile_rival"] == "abstract"
    # accuracy: higher is better (0.8 against the paper's 0.7643)
    accuracy = dmst_claim(results, metric="accuracy").set_index("rival")
    assert bool(accuracy.loc["DMST-GNODE (paper)", "dmst_gnode_better"])
    assert not accuracy.loc["ST-GCN", "dmst_gnode_better"]  # 0.8 against 0.8: not better


def test_dmst_claim_averages_each_model_over_the_seeds_both_have():
    results = [dmst_result("DMST-GNODE", "full", 3.0, seed=0),
               dmst_result("DMST-GNODE", "full", 5.0, seed=1),
               dmst_result("ST-GCN", "full", 3.5, seed=0)]
    claim = dmst_claim(results).set_index("rival")
    st = claim.loc["ST-GCN"]                      # seed 0 only: 3.0 against 3.5
    assert (st["dmst_gnode"], st["rival_value"], st["seeds"]) == (3.0, 3.5, 1)
    assert bool(st["dmst_gnode_better"])
    assert st["verdict"] == "DMST-GNODE beats ST-GCN (full, 1 seed)"
    paper = claim.loc["DMST-GNODE (paper)"]       # against the paper: every seed, (3 + 5) / 2
    assert (paper["dmst_gnode"], paper["seeds"]) == (4.0, 2)
    results.append(dmst_result("ST-GCN", "full", 4.5, seed=1))
    st = dmst_claim(results).set_index("rival").loc["ST-GCN"]   # 4.0 against 4.0
    assert (st["dmst_gnode"], st["rival_value"], st["seeds"]) == (4.0, 4.0, 2)
    assert not st["dmst_gnode_better"]
    assert st["verdict"] == "DMST-GNODE does not beat ST-GCN (full, mean of 2 paired seeds)"
    apart = dmst_claim([dmst_result("DMST-GNODE", "full", 3.0, seed=0),
                        dmst_result("ST-GCN", "full", 9.0, seed=1)]).set_index("rival")
    assert not apart.loc["ST-GCN", "dmst_gnode_better"] and apart.loc["ST-GCN", "seeds"] == 0
    assert apart.loc["ST-GCN", "verdict"].startswith("not compared: no common seed in full")


def test_dmst_claim_missing_or_mismatched_runs_never_support_it():
    claim = dmst_claim([]).set_index("rival")
    assert not claim["dmst_gnode_better"].any()
    assert claim.loc["ST-GCN", "verdict"] == "not yet run: DMST-GNODE, ST-GCN"
    assert claim.loc["DMST-GNODE (paper)", "rival_value"] == 3.3422
    apart = dmst_claim([dmst_result("DMST-GNODE", "full", 1.0),
                        dmst_result("ST-GCN", "smoke", 9.0)]).set_index("rival")
    assert not apart.loc["ST-GCN", "dmst_gnode_better"]     # different profiles: not compared
    assert apart.loc["ST-GCN", "verdict"].startswith("not compared")
    # PeMSD7(M) is not in the paper
    d7 = dmst_claim([dmst_result("DMST-GNODE", "full", 1.0, dataset="pemsd7m")], "pemsd7m")
    assert math.isnan(d7["rival_value"].iloc[-1]) and not d7["dmst_gnode_better"].iloc[-1]
    # PeMS08: the paper's 19.49 is flow, our runs forecast speed: never "better"
    d8 = dmst_claim([dmst_result("DMST-GNODE", "full", 3.0, dataset="pems08")], "pems08")
    assert d8["rival_value"].iloc[-1] == 19.4863 and not d8["dmst_gnode_better"].iloc[-1]
    assert d8["verdict"].iloc[-1].startswith("not compared")
    with pytest.raises(ValueError):
        dmst_claim([], "bkk")
    with pytest.raises(ValueError):
        dmst_claim([], metric="r2")


# ----------------------------------------------------------------------------- Figure 13


def test_training_curves_from_history():
    curves = training_curves(dmst_result("DMST-GNODE", "full", 3.0, epochs=3))
    assert curves["epoch"].tolist() == [1, 2, 3]
    assert curves["train_loss"].tolist() == pytest.approx([1.0, 0.5, 1 / 3])
    assert curves["val_loss"].tolist() == pytest.approx([0.5, 0.4, 0.3])
    assert curves["val_mae"].tolist() == pytest.approx([5.0, 4.0, 3.0])
    assert curves["val_rmse_20min"].tolist() == pytest.approx([6.0, 5.0, 4.0])
    assert curves["val_accuracy_20min"].tolist() == pytest.approx([0.70, 0.71, 0.72])
    assert training_curves(dmst_result("SVR", "smoke", 3.0)).empty
    assert training_curves(None).empty


# ----------------------------------------------------------------------------- layout, clock


class _Series:
    def __init__(self, weights, coordinates=None):
        self.weights, self.coordinates = weights, coordinates


def test_station_layout_spectral_embedding_of_a_ring_is_a_circle():
    n = 8
    ring = np.zeros((n, n))
    for i in range(n):
        ring[i, (i + 1) % n] = ring[(i + 1) % n, i] = 1.0
    xy, label = station_layout(_Series(ring))
    assert label == "spectral embedding of the distance graph"
    radius = np.hypot(xy[:, 0], xy[:, 1])
    np.testing.assert_allclose(radius, radius[0], rtol=1e-6)     # all on one circle
    # consecutive stations are 360/8 = 45 degrees apart, all turning the same way
    angles = np.degrees(np.diff(np.unwrap(np.arctan2(xy[:, 1], xy[:, 0]))))
    np.testing.assert_allclose(np.abs(angles), 45.0, atol=1e-6)
    assert len(set(np.sign(angles))) == 1


def test_station_layout_uses_coordinates_when_known():
    coordinates = np.array([[34.0, -118.0], [34.5, -118.5]])   # latitude, longitude
    xy, label = station_layout(_Series(np.zeros((2, 2)), coordinates))
    assert label == "longitude / latitude"
    np.testing.assert_array_equal(xy, [[-118.0, 34.0], [-118.5, 34.5]])


def test_target_clock():
    assert target_clock(0, 4, 288) == "01:15"      # reading 0 + 12 + 3 = 15, 75 minutes
    assert target_clock(265, 4, 288) == "01:15"    # 288 - 24 + 1 = 265 windows a day
    assert target_clock(264, 12, 288) == "23:55"   # reading 264 + 23 = 287


# ----------------------------------------------------------------------------- checkpoints


def test_model_overview_counts_and_order():
    overview = model_overview(12)
    assert overview["model"].tolist() == MODELS
    counts = overview.set_index("model")["parameters"]
    assert pd.isna(counts["ARIMA"]) and pd.isna(counts["SVR"])
    assert counts["DMST-GNODE"] == 214_080 + 562 * 12            # the model's documented count
    assert overview.set_index("model").loc["SVR", "kind"] == "machine learning"
    assert overview["description"].str.len().gt(20).all()


@pytest.mark.parametrize("n", [207, 228])
def test_variant_parameters_follow_the_documented_counts(n):
    # DMST-GNODE: 214,080 + 562 N; a GODE branch 17,208 + 130 N; the dynamic graph 20 N;
    # the fusion 12 N per module; the stgcn ST module 9,996 + 128 N, MST-GCN's
    # 195,008 + 652 N (stgkd.nn.dmst_gnode.DMSTGNODE's docstring)
    full, branch, st, mst = 214_080 + 562 * n, 17_208 + 130 * n, 9_996 + 128 * n, 195_008 + 652 * n
    assert variant_parameters(n) == {
        "dmst-gnode": full,
        "dmst-gnode-st-stgcn-glorot": full,
        "dmst-gnode-st-mst-gcn": full - st + mst,
        "dmst-gnode-no-dynamic": full - branch - 20 * n,
        "dmst-gnode-no-pattern": full - branch,
        "dmst-gnode-no-ode": st + 12 * n,
        "dmst-gnode-no-st": full - st - 12 * n}
    if n == 207:   # the counts the Los-loop epoch benchmark measured on the real graphs
        assert variant_parameters(n)["dmst-gnode-no-ode"] == 38_976
        assert variant_parameters(n)["dmst-gnode-st-mst-gcn"] == 623_894


@pytest.fixture(scope="module")
def synthetic_run(tmp_path_factory):
    """A DMST-GNODE "run" on the synthetic data set, untrained, stored as run_dmst stores
    one: result JSON fields and a checkpoint, split 2/1/1 days of 48 steps."""
    from stgkd.data import load_series
    from stgkd.data.boxcox import BoxCox
    from stgkd.dmst import build_graphs, build_model

    root = tmp_path_factory.mktemp("results")
    series = load_series("synthetic")                      # 12 nodes, 4 days of 48 steps
    graphs = build_graphs(series, 2)
    torch.manual_seed(0)
    model = build_model("DMST-GNODE", series.n_nodes, graphs, 12, 12)
    with torch.no_grad():                                  # a dynamic graph worth checking
        model.dynamic.source.copy_(torch.linspace(-1, 1, 12 * 10).reshape(12, 10))
        model.dynamic.target.copy_(torch.linspace(1, -0.5, 12 * 10).reshape(12, 10).flip(0))
    scaler = BoxCox.fit(series.values[:2 * 48])
    folder = root / "smoke" / "dmst" / "synthetic" / "dmst-gnode"
    folder.mkdir(parents=True)
    torch.save({"model": "DMST-GNODE", "n_nodes": 12, "state_dict": model.state_dict(),
                "scaler": scaler.to_dict(), "experiment": "dmst/synthetic/dmst-gnode"},
               folder / "seed0.pt")
    result = dmst_result("DMST-GNODE", "smoke", 5.0, dataset="synthetic", split_days=[2, 1, 1],
                         scaler=scaler.to_dict(), checkpoint="seed0.pt")
    return result, root, series, model.eval(), scaler


def test_prediction_traces_match_the_model_on_hand_cut_windows(synthetic_run):
    result, root, series, model, scaler = synthetic_run
    svr = dmst_result("SVR", "smoke", 5.0, dataset="synthetic")        # classical: no trace
    traces = prediction_traces([result, svr], "synthetic", [1, 7], n_windows=5, start=3,
                               models=("DMST-GNODE", "SVR", "ST-GCN"), results_dir=root)
    assert set(traces["model"]) == {"DMST-GNODE"}
    assert traces["node"].tolist() == [1] * 5 + [7] * 5
    assert traces["window"].tolist() == [3, 4, 5, 6, 7] * 2
    test_start = 3 * 48                                   # the test day is day 3 (0-based)
    for node in (1, 7):
        rows = traces[traces["node"] == node]
        for window, true, predicted in zip(rows["window"], rows["true"], rows["predicted"]):
            first = test_start + window                   # first reading of the window
            # target of step 4: reading first + 12 + 3
            assert true == pytest.approx(series.values[first + 15, node], abs=1e-3)
            x = torch.tensor(np.asarray(scaler.transform(series.values[first:first + 12])),
                             dtype=torch.float32)[None]
            with torch.no_grad():
                y = model(x)[0, 3, node].double().item()
            assert predicted == pytest.approx(float(scaler.inverse(np.array(y))), abs=1e-3)
    assert rows["clock"].iloc[0] == "09:00"               # reading 3 + 15 = 18 of 48: 18 * 30 min
    # fewer windows than asked when the test day ends (25 windows a day)
    tail = prediction_traces([result], "synthetic", [0], n_windows=10, start=20,
                             models=("DMST-GNODE",), results_dir=root)
    assert tail["window"].tolist() == [20, 21, 22, 23, 24]
    with pytest.raises(ValueError, match="nodes"):
        prediction_traces([result], "synthetic", [12], models=("DMST-GNODE",), results_dir=root)
    with pytest.raises(ValueError, match="start"):
        prediction_traces([result], "synthetic", [0], start=25, models=("DMST-GNODE",),
                          results_dir=root)
    with pytest.raises(ValueError, match="classical"):
        load_run_model(svr, results_dir=root)
    assert prediction_traces([], "synthetic", [0], results_dir=root).empty


def test_graph_matrices_from_the_checkpoint(synthetic_run):
    result, root, series, _, _ = synthetic_run
    graphs = graph_matrices(result, root)
    # D^-1/2 (W + I) D^-1/2 of the synthetic distance weights, by hand
    a = series.weights + np.eye(12)
    d = a.sum(axis=1)
    np.testing.assert_allclose(graphs["distance"], a / np.sqrt(np.outer(d, d)), atol=1e-6)
    np.testing.assert_allclose(graphs["pattern"], graphs["pattern"].T, atol=1e-6)
    assert graphs["pattern"].shape == (12, 12)
    # softmax over rows of relu(E1 E2^T) with the embeddings set in the fixture
    e1 = np.linspace(-1, 1, 120).reshape(12, 10)
    e2 = np.linspace(1, -0.5, 120).reshape(12, 10)[::-1]
    scores = np.maximum(e1 @ e2.T, 0.0)
    expected = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(graphs["dynamic"], expected, atol=1e-5)
    np.testing.assert_allclose(graphs["dynamic"].sum(axis=1), 1.0, atol=1e-6)


def test_graph_summary_by_hand():
    distance = np.array([[0.5, 0.5, 0.0], [0.5, 0.5, 0.0], [0.0, 0.0, 1.0]])   # links 0-1 only
    dynamic = np.array([[0.2, 0.6, 0.2], [0.3, 0.4, 0.3], [0.5, 0.5, 0.0]])
    summary = graph_summary({"distance": distance, "pattern": None,
                             "dynamic": dynamic}).set_index("graph")
    assert summary.index.tolist() == ["distance", "dynamic"]
    assert summary.loc["distance", "off_diagonal_mass"] == pytest.approx(1.0 / 3.0)
    assert summary.loc["distance", "mass_on_distance_links"] == pytest.approx(1.0)
    # dynamic: off-diagonal weight 0.6 + 0.2 + 0.3 + 0.3 + 0.5 + 0.5 = 2.4 of 3.0,
    # of it 0.6 + 0.3 on the linked pairs (0, 1) and (1, 0)
    assert summary.loc["dynamic", "off_diagonal_mass"] == pytest.approx(2.4 / 3.0)
    assert summary.loc["dynamic", "mass_on_distance_links"] == pytest.approx(0.9 / 2.4)
    assert summary.loc["dynamic", "distance_link_share"] == pytest.approx(2.0 / 6.0)


def test_pick_trace_nodes_by_hand(synthetic_run):
    result, _, series, _, _ = synthetic_run
    # targets of step 4 in test windows 0 .. 9: readings 15 .. 24 of the test day (day 3)
    spread = series.values[3 * 48 + 15:3 * 48 + 25].std(axis=0, ddof=1)
    order = np.argsort(spread, kind="stable")
    assert pick_trace_nodes(result, 0, 10) == [int(order[-1]), int(order[5])]   # 12 nodes
