"""Measurements of DMST-GNODE's learned parts on tiny hand-made models and arrays."""
import math

import numpy as np
import pytest
import torch
from torch import nn

from stgkd.nn.dmst_gnode import DynamicGraph
from stgkd.nn.graph_ode import GraphODE
from stgkd.report.dmst_learned import (OTHER_PART, correlation, fusion_summary, gradient_table,
                                       knn_road_agreement, mixing_spectra, part_of,
                                       random_sign_agreement, run_steps, softmax_saturation,
                                       start_correlation)

from factories import fake_result


def test_knn_road_agreement_by_hand():
    """Road path 0-1-2-3: degrees 1, 2, 2, 1, chance (1 + 2 + 2 + 1) / (4 * 3) = 0.5.
    Strongest other station of each row: 1 (road), 3 (not), 0 (not), 2 (road): 2 of 4."""
    road = np.zeros((4, 4))
    for i in range(3):
        road[i, i + 1] = road[i + 1, i] = 1.0
    graph = np.array([[9.0, 0.5, 0.1, 0.2],
                      [0.1, 9.0, 0.2, 0.7],
                      [0.6, 0.1, 9.0, 0.3],
                      [0.1, 0.2, 0.7, 9.0]])          # the diagonal never counts
    assert knn_road_agreement(graph, road, k=1) == pytest.approx((0.5, 0.5))
    # k = 2: row 0 {1, 3}: 1 of 2; row 1 {3, 2}: 1; row 2 {0, 3}: 1; row 3 {2, 1}: 1
    assert knn_road_agreement(graph, road, k=2) == pytest.approx((0.5, 0.5))
    with pytest.raises(ValueError, match="k"):
        knn_road_agreement(graph, road, k=4)


def test_random_sign_agreement_by_hand():
    # n = 2: S in {-2, 0, 2} w.p. 1/4, 1/2, 1/4, E|S| / 2 = 0.5;
    # n = 4: E|S| = (4 + 4*2 + 0 + 4*2 + 4) / 16 = 1.5, / 4 = 0.375
    assert random_sign_agreement(1) == 1.0
    assert random_sign_agreement(2) == 0.5
    assert random_sign_agreement(4) == 0.375


class _Tiny(nn.Module):
    """A fusion weight, a dynamic graph and one other weight, named as in DMST-GNODE."""

    def __init__(self):
        super().__init__()
        self.fusion = nn.Parameter(torch.tensor([1.0, 2.0]))
        self.dynamic = DynamicGraph(2, 1)
        self.other = nn.Parameter(torch.tensor([3.0]))


def test_gradient_table_by_hand():
    """loss = fusion . x: the gradient is x. Batches x = (1, 1), (1, -1): coordinate 0 the
    same sign twice (agreement 1), coordinate 1 opposite signs (0): mean 0.5;
    ||g|| / ||w|| = sqrt(2) / sqrt(5) each batch. From fusion (1, 1): moved
    ||(0, 1)|| / ||(1, 1)|| = 1 / sqrt(2), root mean square sqrt(1 / 2)."""
    model, start = _Tiny(), _Tiny()
    with torch.no_grad():
        start.fusion.copy_(torch.tensor([1.0, 1.0]))
    batches = [(torch.tensor([1.0, 1.0]), None), (torch.tensor([1.0, -1.0]), None)]
    table = gradient_table(model, start, batches, lambda m, x, y: (m.fusion * x).sum()
                           + 0 * m.other.sum(), lr=1e-3, steps=100).set_index("part")
    row = table.loc["fusion weights"]
    assert row["parameters"] == 2
    assert row["sign_agreement"] == pytest.approx(0.5)
    assert row["sign_agreement_by_chance"] == 0.5
    assert row["grad_to_weight"] == pytest.approx(math.sqrt(2 / 5))
    assert row["moved"] == pytest.approx(1 / math.sqrt(2))
    assert row["moved_per_coordinate"] == pytest.approx(math.sqrt(0.5))
    assert row["adam_reach"] == pytest.approx(0.1)
    assert row["random_walk_reach"] == pytest.approx(0.01)
    # no gradient reaches the embeddings: agreement 0, gradient 0
    emb = table.loc["dynamic graph embeddings"]
    assert emb["sign_agreement"] == 0 and emb["grad_to_weight"] == 0
    assert table.loc[OTHER_PART, "parameters"] == 1
    assert model.fusion.grad is None                      # gradients cleared afterwards


def test_parts_by_parameter_name():
    assert part_of("dynamic.source") == "dynamic graph embeddings"
    assert part_of("fusion") == "fusion weights"
    assert part_of("gode.branches.0.1.ode.feature_basis") == "ODE feature basis P"
    assert part_of("gode.branches.2.0.ode.temporal_scale") == "ODE time mixing (basis, scales)"
    assert part_of("st.blocks.0.temporal_in.conv.weight") == OTHER_PART


def test_softmax_saturation_by_hand():
    """E1 = (1, -1), E2 = (1, 1): logits [[1, 1], [-1, -1]], half cut by the ReLU; rows
    softmax([1, 1]) and softmax([0, 0]) are both uniform: row max 0.5."""
    model = _Tiny()
    with torch.no_grad():
        model.dynamic.source.copy_(torch.tensor([[1.0], [-1.0]]))
        model.dynamic.target.copy_(torch.tensor([[1.0], [1.0]]))
    found = softmax_saturation(model)
    assert found["cut_by_relu"] == 0.5 and found["row_max"] == pytest.approx(0.5)
    assert found["logit_std"] == pytest.approx(float(torch.tensor([1.0, 1, -1, -1]).std()))


def test_fusion_summary_by_hand():
    model = nn.Module()
    model.gode, model.st = nn.Identity(), nn.Identity()
    model.fusion = nn.Parameter(torch.tensor([[[0.5, 0.7]], [[0.1, 0.3]]]))   # [2, 1, 2]
    found = fusion_summary(model)
    assert found["fusion_ode_mean"] == pytest.approx(0.6)
    assert found["fusion_st_min"] == pytest.approx(0.1)
    assert found["fusion_st_max"] == pytest.approx(0.3)
    assert found["fusion_ode_std"] == pytest.approx(math.sqrt(0.02))   # sample std of 0.5, 0.7


def test_mixing_spectra_by_hand():
    """P = 2 I, d = (0.5, 1.5): W = diag(2, 4) (d clamped to 1), sigma_max(P) = 2, one
    scale of two past the clamp."""
    model = nn.Module()
    model.ode = GraphODE(3, 2, 4)
    with torch.no_grad():
        model.ode.feature_basis.copy_(2 * torch.eye(2))
        model.ode.feature_scale.copy_(torch.tensor([0.5, 1.5]))
    row = mixing_spectra(model).iloc[0]
    assert row["ode"] == "ode"
    assert row["w_min"] == pytest.approx(2.0) and row["w_max"] == pytest.approx(4.0)
    assert row["basis_sigma_max"] == pytest.approx(2.0)
    assert row["scales_past_clamp"] == 0.5


def test_start_correlation_and_correlation():
    trained, start, other = _Tiny(), _Tiny(), _Tiny()
    with torch.no_grad():
        trained.fusion.copy_(torch.tensor([2.0, 4.0]))     # a multiple of start's (1, 2)
        for p in (trained.dynamic.source, trained.dynamic.target):
            p.copy_(torch.tensor([[1.0], [3.0]]))
        for p in (start.dynamic.source, start.dynamic.target):
            p.copy_(torch.tensor([[0.0], [1.0]]))
        for p in (other.dynamic.source, other.dynamic.target, other.fusion):
            p.copy_(p.flip(0).abs() if p.dim() == 1 else torch.tensor([[1.0], [0.0]]))
    assert correlation([1, 2, 3], [2, 4, 6]) == pytest.approx(1.0)
    # fusion, source, target each correlate 1 with the start; "other" (one entry) is left out
    assert start_correlation(trained, start) == pytest.approx(1.0)
    assert start_correlation(trained, other) == pytest.approx(-1.0)


def test_run_steps_by_hand():
    """Los-loop: 1,325 windows a epoch in batches of 32 is 42 steps; 21 epochs 882. A
    budget of 1,344 windows is 42 steps too."""
    config = {"batch_size": 32, "epoch_windows": None}
    assert run_steps(fake_result("dmst/losloop/dmst-gnode", train_config=config,
                                 windows={"train": 1325, "val": 1, "test": 1},
                                 best_epoch=21)) == 882
    config = {"batch_size": 32, "epoch_windows": 1344}
    assert run_steps(fake_result("dmst/losloop/dmst-gnode", train_config=config,
                                 windows={"train": 9010, "val": 1, "test": 1},
                                 best_epoch=2)) == 84


def test_initial_model_is_the_model_the_run_starts_from(tmp_path, monkeypatch):
    """The weights run_dmst hands to training, captured at the start of fit, equal
    initial_model's for the same result (smoke profile, Los-loop, seed 3)."""
    from stgkd.dmst import run as dmst_run
    from stgkd.runner import run_experiment
    from stgkd.report.dmst_learned import initial_model
    captured = {}

    class _Stop(Exception):
        pass

    def fake_fit(model, *args, **kwargs):
        captured.update({k: v.clone() for k, v in model.state_dict().items()})
        raise _Stop

    monkeypatch.setattr(dmst_run, "fit", fake_fit)
    with pytest.raises(_Stop):
        run_experiment("dmst/losloop/dmst-gnode", "smoke", 3, results_dir=tmp_path,
                       progress=False)
    result = fake_result("dmst/losloop/dmst-gnode", "smoke", 3, split_days=[1, 1, 1],
                         model="DMST-GNODE",
                         reading={"scaling": "boxcox", "st_module": "stgcn", "without": []})
    rebuilt = initial_model(result).state_dict()
    assert set(rebuilt) == set(captured)
    assert all(torch.equal(rebuilt[k], captured[k]) for k in captured)
    other = initial_model(result.with_fields(seed=4)).state_dict()
    assert not torch.equal(other["dynamic.source"], captured["dynamic.source"])


class _Branch(nn.Module):
    def __init__(self, factor):
        super().__init__()
        self.factor = factor

    def forward(self, x, graphs=None):
        return self.factor * x.squeeze(1)


def test_branch_correlation_by_hand():
    """GODE output 2 x, ST output -x: correlation -1; a model without the ST module is
    refused."""
    from stgkd.report.dmst_learned import branch_correlation
    model = nn.Module()
    model.gode, model.st = _Branch(2.0), _Branch(-1.0)
    model.graphs = lambda: []
    model.config = {"without": []}
    x = torch.randn(3, 12, 4, generator=torch.Generator().manual_seed(0))
    assert branch_correlation(model, x) == pytest.approx(-1.0)
    model.st, model.config = None, {"without": ["st"]}
    with pytest.raises(ValueError, match="ST module"):
        branch_correlation(model, x)


def test_note_takes_its_figures_from_the_measurements():
    """The paragraph quotes the measured eigenvalue and share past the clamp; no run, one
    line."""
    from stgkd.report.dmst_learned import PARTS, learned_parts_note
    summary = {"dataset": "toy", "seed": 0, "batches": 2, "adam_steps": 10,
               "start_correlation_own_seed": 0.9, "start_correlation_other_seed": 0.0,
               "dynamic_graph_start_correlation": 0.5, "embedding_start_correlation": 0.95,
               "knn5_on_roads": 0.2, "knn5_on_roads_at_start": 0.1, "knn5_on_roads_by_chance": 0.1,
               "dynamic_row_max": 0.4, "dynamic_cut_by_relu": 0.5, "dynamic_logit_std": 3.0,
               "fusion_ode_mean": 0.5, "fusion_st_mean": 0.5, "branch_output_correlation": 0.3,
               "mixing_eig_max": 3.25, "mixing_eig_min": 0.5, "mixing_scales_past_clamp": 0.75}
    rows = [{"part": part, "parameters": 1, "moved": 0.1, "moved_per_coordinate": 0.02,
             "adam_reach": 0.01, "random_walk_reach": 0.001, "grad_to_weight": 1e-4,
             "sign_agreement": 0.5, "sign_agreement_by_chance": 0.5}
            for part in [p for p, _ in PARTS] + [OTHER_PART]]
    import pandas as pd
    note = learned_parts_note([{"summary": summary, "gradients": pd.DataFrame(rows)}])
    assert "they reach 3.2" in note and "75% of them" in note and "+10.0 percentage" in note
    assert "20 times the 0.001" in note                  # 0.02 / 0.001
    assert learned_parts_note([]).startswith("No DMST-GNODE run")
