"""Channel pruning (KD paper section 3.3): Taylor scores against hand computations,
masked models against their compacted counterparts, parameter counts against hand
formulas, and Algorithm 1's loop on a tiny synthetic data set."""
import json
import math

import numpy as np
import pytest
import torch
from conftest import random_graph

from stgkd.complexity import count_parameters
from stgkd.evaluate import rollout
from stgkd.io import read_torch
from stgkd.nn import PRUNING_BASE_BLOCKS, STUDENT_BLOCKS, TEACHER_BLOCKS, STGCN, Hidden
from stgkd.nn.layers import ChannelAlign
from stgkd.nn.streaming import streaming_rollout
from stgkd.prune import (MaskedSTGCN, TaylorImportance, algorithm1, compact,
                         compacted_parameter_count, full_masks, level_schedule, prune_step,
                         pruning_level, step_share)
from stgkd.train import supervised_mse

N = 5
LAYERS = ["blocks.0.temporal_in", "blocks.0.spatial", "blocks.0.temporal_out",
          "blocks.1.temporal_in", "blocks.1.spatial", "blocks.1.temporal_out",
          "output.temporal", "output.gate"]


def graph(n, seed=0):
    return random_graph(n, seed, threshold=0.4)


def trained_looking(blocks, n=N, seed=0, **kwargs):
    """A model with LayerNorm scales/shifts and biases moved off their init."""
    torch.manual_seed(seed)
    model = STGCN(n, blocks, weights=graph(n, seed), **kwargs).eval()
    with torch.no_grad():
        for name, param in model.named_parameters():
            if "norm" in name or "bias" in name:
                param.add_(0.3 * torch.randn_like(param))
    return model


def masks_keeping(model, kept):
    """Masks keeping the listed channels of the named layers (others: all kept)."""
    masks = full_masks(model)
    for name, channels in kept.items():
        masks[name] = torch.zeros_like(masks[name])
        masks[name][channels] = True
    return masks


def random_masks(model, seed, share=0.5):
    gen = torch.Generator().manual_seed(seed)
    masks = {}
    for name, mask in full_masks(model).items():
        keep = torch.rand(mask.numel(), generator=gen) < share
        keep[torch.randint(mask.numel(), (1,), generator=gen)] = True   # never empty
        masks[name] = keep
    return masks


# --- the STGCN generalisation ---------------------------------------------------------------

def test_three_list_form_is_todays_model():
    model = STGCN(N, PRUNING_BASE_BLOCKS)
    assert set(model.config) == {"n_nodes", "blocks", "n_his", "ks", "kt", "dropout"}
    assert not any("source" in key for key in model.state_dict())
    assert model.blocks[1].temporal_in.align.project is not None      # 16 -> 8 shrinks
    assert model.blocks[0].temporal_out.align.mode == "pad"           # 8 -> 16 grows


def test_per_layer_channels_build_the_given_shapes():
    model = STGCN(N, [[1, 3, 4], [4, 2, 5]], spatial_channels=[2, 6], output_channels=[7, 3],
                  residuals={"blocks.0.spatial": [2, -1], "output.temporal": "project"})
    assert model.blocks[0].spatial.theta.shape == (3, 3, 2)
    assert model.blocks[0].temporal_out.conv.weight.shape == (4, 2, 3, 1)
    assert model.blocks[1].spatial.theta.shape == (3, 2, 6)
    assert model.blocks[1].temporal_out.align.project is not None     # default rule: 6 -> 5
    assert model.output.temporal.conv.weight.shape == (14, 5, 4, 1)
    assert model.output.temporal.align.project.weight.shape == (7, 5, 1, 1)
    assert model.output.norm.norm.weight.shape == (N, 7)
    assert model.output.gate.conv.weight.shape == (3, 7, 1, 1)
    assert model.output.fc.weight.shape == (1, 3, 1, 1)
    rebuilt = STGCN(**json.loads(json.dumps(model.config)))          # plain lists and dicts
    assert [p.shape for p in rebuilt.parameters()] == [p.shape for p in model.parameters()]


def test_residual_index_map_by_hand():
    align = ChannelAlign(3, 4, [2, -1, 0, 2])
    x = torch.tensor([10.0, 20.0, 30.0]).view(1, 3, 1, 1)
    assert align(x).flatten().tolist() == [30.0, 0.0, 10.0, 30.0]
    with pytest.raises(ValueError, match="4 input indices in \\[-1, 3\\)"):
        ChannelAlign(3, 4, [0, 1, 3, 0])


@pytest.mark.parametrize("kwargs, message", [
    (dict(spatial_channels=[2]), "spatial_channels: expected 2 positive"),
    (dict(output_channels=[3, 0]), "output_channels: expected 2 positive"),
    (dict(residuals={"blocks.0.norm": "project"}), "residuals: expected layer names"),
])
def test_bad_per_layer_options_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        STGCN(N, STUDENT_BLOCKS, **kwargs)


# --- importance --------------------------------------------------------------------------------

def test_taylor_score_of_a_glu_layer_by_hand():
    # blocks.0.temporal_in: GLU 1 -> 2 channels, conv weight [4, 1, 3, 1] (rows P0, P1, Q0, Q1).
    model = STGCN(N, STUDENT_BLOCKS)
    conv = model.blocks[0].temporal_in.conv
    importance = TaylorImportance()
    for scale in (1.0, 2.0):
        model.zero_grad(set_to_none=True)
        with torch.no_grad():
            conv.weight.fill_(1.0)
            conv.bias.fill_(0.5)
        conv.weight.grad = scale * torch.arange(1.0, 5.0).view(4, 1, 1, 1).expand(4, 1, 3, 1).clone()
        conv.bias.grad = torch.full((4,), 2.0 * scale)
        importance.accumulate(model)
    # scale 1: row r scores 3 (r + 1)^2, each bias entry (2 * 0.5)^2 = 1.
    # channel 0 = rows 0, 2: 3 (1 + 9) + 2 = 32; channel 1 = rows 1, 3: 3 (4 + 16) + 2 = 62.
    # scale 2 multiplies every (g w)^2 by 4; the mean over the two minibatches is 5/2 times.
    scores = importance.scores()
    assert scores["blocks.0.temporal_in"].tolist() == [80.0, 155.0]
    assert importance.n_batches == 2
    assert scores["blocks.0.spatial"].tolist() == [0.0, 0.0]              # no gradients there
    importance.reset()
    with pytest.raises(ValueError, match="at least one accumulated minibatch"):
        importance.scores()


def _sq(param, index):
    return float(((param.grad * param.detach())[index] ** 2).sum())


def test_taylor_scores_of_every_layer_kind_from_backward_passes():
    model = trained_looking(STUDENT_BLOCKS).train()
    importance = TaylorImportance()
    expected = {name: np.zeros(n) for name, n in
                zip(LAYERS, [2, 2, 4, 2, 2, 8, 8, 8])}
    torch.manual_seed(3)
    for _ in range(3):
        model.zero_grad()
        x, y = torch.randn(4, 1, 12, N), torch.randn(4, N)
        supervised_mse(model, x, y).backward()
        importance.accumulate(model)
        for i, block in enumerate(model.blocks):
            glu, cheb, relu = block.temporal_in, block.spatial, block.temporal_out
            norm = block.norm.norm
            for c in range(2):   # GLU channel c: rows c and 2 + c, both bias entries
                expected[f"blocks.{i}.temporal_in"][c] += (
                    _sq(glu.conv.weight, c) + _sq(glu.conv.weight, 2 + c)
                    + _sq(glu.conv.bias, c) + _sq(glu.conv.bias, 2 + c)
                    + (_sq(glu.align.project.weight, c) if i == 1 else 0.0))  # 4 -> 2 projects
                expected[f"blocks.{i}.spatial"][c] += (
                    _sq(cheb.theta, (slice(None), slice(None), c)) + _sq(cheb.bias, c))
            for c in range(relu.c_out):   # ReLU conv row, bias, and the LayerNorm column after it
                expected[f"blocks.{i}.temporal_out"][c] += (
                    _sq(relu.conv.weight, c) + _sq(relu.conv.bias, c)
                    + _sq(norm.weight, (slice(None), c)) + _sq(norm.bias, (slice(None), c)))
        out = model.output
        for c in range(8):
            expected["output.temporal"][c] += (
                _sq(out.temporal.conv.weight, c) + _sq(out.temporal.conv.weight, 8 + c)
                + _sq(out.temporal.conv.bias, c) + _sq(out.temporal.conv.bias, 8 + c)
                + _sq(out.norm.norm.weight, (slice(None), c))
                + _sq(out.norm.norm.bias, (slice(None), c)))
            expected["output.gate"][c] += _sq(out.gate.conv.weight, c) + _sq(out.gate.conv.bias, c)
    scores = importance.scores()
    assert list(scores) == LAYERS
    for name in LAYERS:
        assert np.allclose(scores[name].numpy(), expected[name] / 3, rtol=1e-6, atol=0), name


# --- masks ---------------------------------------------------------------------------------

@pytest.mark.parametrize("blocks", [STUDENT_BLOCKS, PRUNING_BASE_BLOCKS])
def test_all_ones_masks_leave_outputs_unchanged(blocks):
    model = trained_looking(blocks)
    x = torch.randn(3, 1, 12, N)
    plain = Hidden()
    with torch.no_grad():
        expected = model(x, plain)
        for mode in ("kept", "full"):
            with MaskedSTGCN(model, full_masks(model), hidden=mode) as masked:
                hidden = Hidden()
                assert torch.equal(masked(x, hidden), expected)
                got = hidden.temporal + hidden.spatial + hidden.blocks
                want = plain.temporal + plain.spatial + plain.blocks
                assert all(torch.equal(a, b) for a, b in zip(got, want))


def test_masked_channels_are_zero_and_hooks_come_off():
    model = trained_looking(STUDENT_BLOCKS)
    x = torch.randn(2, 1, 12, N)
    with torch.no_grad():
        expected = model(x)
        masked = MaskedSTGCN(model, masks_keeping(model, {"blocks.0.temporal_out": [1, 3]}),
                             hidden="full")
        hidden = Hidden()
        masked(x, hidden)
        # the block output went through LayerNorm with a shifted bias: removed channels stay 0
        assert torch.all(hidden.blocks[0][:, [0, 2]] == 0)
        assert torch.all(hidden.blocks[0][:, [1, 3]] != 0)
        with pytest.raises(ValueError, match="already hooked"):
            MaskedSTGCN(model)
        assert masked.remove() is model
        assert torch.equal(model(x), expected)


def test_masks_are_checked():
    model = STGCN(N, STUDENT_BLOCKS)
    masks = full_masks(model)
    masks["blocks.0.spatial"] = torch.zeros(2, dtype=torch.bool)
    with pytest.raises(ValueError, match="at least one kept channel"):
        MaskedSTGCN(model, masks)
    masks["blocks.0.spatial"] = torch.ones(3, dtype=torch.bool)
    with pytest.raises(ValueError, match=r"expected shape \[2\], found \[3\]"):
        MaskedSTGCN(model, masks)


# --- compaction ----------------------------------------------------------------------------

STUDENT_KEPT = {
    "blocks.0.temporal_in": [1],          # pad 1 -> 2: the residual's channel 0 is gone
    "blocks.0.spatial": [0, 1],           # identity 2 -> 2 now grows 1 -> 2
    "blocks.0.temporal_out": [0, 1, 3],   # pad 2 -> 4: outputs 0, 1 read inputs, 3 was padding
    "blocks.1.temporal_in": [1],          # projection 4 -> 2: W[[1]][:, [0, 1, 3]]
    "blocks.1.spatial": [1],              # identity, kept input 1 not among the kept outputs
    "blocks.1.temporal_out": [0, 2, 5, 6],  # pad 2 -> 8 whose input 0 is gone
    "output.temporal": [1, 2, 5, 7],      # identity 8 -> 8 over inputs [0, 2, 5, 6]
    "output.gate": [0, 4],
}
# source maps derived by hand from the kept sets above (input position or -1)
STUDENT_RESIDUALS = {
    "blocks.0.temporal_in": [-1],              # output 1 was padding
    "blocks.0.spatial": [-1, 0],               # outputs 0, 1 read inputs 0 (gone), 1 (position 0)
    "blocks.0.temporal_out": [0, 1, -1],       # 0 <- 0, 1 <- 1 (positions 0, 1), 3 <- padding
    "blocks.1.temporal_in": "project",
    "blocks.1.spatial": [0],                   # output 1 <- input 1 (position 0)
    "blocks.1.temporal_out": [-1, -1, -1, -1], # 0 <- 0 (gone: spatial keeps only 1), 2, 5, 6 padding
    "output.temporal": [-1, 1, 2, -1],         # 1 (gone), 2 (pos 1), 5 (pos 2), 7 (gone)
}


def _check_compaction(model, masks, x):
    with torch.no_grad():
        masked = MaskedSTGCN(model, masks, hidden="full")
        full = Hidden()
        expected = masked(x, full)
        masked.hidden = "kept"
        kept = Hidden()
        masked(x, kept)
        masked.remove()
        small = compact(model, masks)
        got_hidden = Hidden()
        got = small(x, got_hidden)
    assert torch.allclose(got, expected, atol=1e-5)
    index = {name: torch.nonzero(m).flatten() for name, m in masks.items()}
    names = [f"blocks.{i}.{layer}" for i in range(2) for layer in ("temporal_in", "temporal_out")]
    pairs = list(zip(got_hidden.temporal, full.temporal, kept.temporal, names))
    pairs += list(zip(got_hidden.spatial, full.spatial, kept.spatial,
                      ["blocks.0.spatial", "blocks.1.spatial"]))
    pairs += list(zip(got_hidden.blocks, full.blocks, kept.blocks,
                      ["blocks.0.temporal_out", "blocks.1.temporal_out"]))
    for small_feature, full_feature, kept_feature, name in pairs:
        assert torch.allclose(small_feature, full_feature[:, index[name]], atol=1e-5), name
        assert torch.allclose(small_feature, kept_feature, atol=1e-5), name
        assert torch.all(full_feature[:, ~masks[name]] == 0), name
    return small


def test_student_compaction_by_hand_maps():
    model = trained_looking(STUDENT_BLOCKS)
    masks = masks_keeping(model, STUDENT_KEPT)
    small = _check_compaction(model, masks, torch.randn(4, 1, 12, N))
    assert small.config["blocks"] == [[1, 1, 3], [3, 1, 4]]
    assert small.config["spatial_channels"] == [2, 1]
    assert small.config["output_channels"] == [4, 2]
    assert small.config["residuals"] == STUDENT_RESIDUALS
    projection = model.blocks[1].temporal_in.align.project.weight
    assert torch.equal(small.blocks[1].temporal_in.align.project.weight, projection[[1]][:, [0, 1, 3]])
    glu = model.output.temporal.conv.weight                  # [16, 8, 4, 1]: rows P then Q
    assert torch.equal(small.output.temporal.conv.weight,
                       glu[[1, 2, 5, 7, 9, 10, 13, 15]][:, [0, 2, 5, 6]])


@pytest.mark.parametrize("blocks", [TEACHER_BLOCKS, STUDENT_BLOCKS, [[1, 4, 6], [6, 3, 8]]])
@pytest.mark.parametrize("seed", [0, 1])
def test_compaction_equals_the_masked_model(blocks, seed):
    model = trained_looking(blocks, seed=seed)
    masks = random_masks(model, seed)
    small = _check_compaction(model, masks, torch.randn(3, 1, 12, N))
    assert count_parameters(small) == compacted_parameter_count(model, masks)


def test_compacting_nothing_gives_the_same_numbers():
    model = trained_looking(PRUNING_BASE_BLOCKS)
    small = compact(model, full_masks(model))
    x = torch.randn(2, 1, 12, N)
    with torch.no_grad():
        assert torch.equal(small(x), model(x))
    assert count_parameters(small) == count_parameters(model)


def test_compacted_parameter_count_by_hand():
    model = STGCN(N, [[1, 4, 6], [6, 3, 8]])
    masks = masks_keeping(model, {"blocks.0.temporal_in": [0, 2, 3], "blocks.0.spatial": [1, 3],
                                  "blocks.0.temporal_out": [0, 1, 4, 5],
                                  "blocks.1.temporal_in": [0, 2], "blocks.1.spatial": [0, 1, 2],
                                  "blocks.1.temporal_out": [1, 2, 3, 6, 7],
                                  "output.temporal": [0, 1, 2, 3], "output.gate": [5, 6, 7]})
    kt, ks, width = 3, 3, 12 - 2 * 2 * (3 - 1)
    c0, t0, s0, o0, t1, s1, o1, ot, g = 1, 3, 2, 4, 2, 3, 5, 4, 3
    expected = (2 * t0 * c0 * kt + 2 * t0                   # GLU 1 -> 3 (pad residual: no weights)
                + ks * t0 * s0 + s0                          # graph conv (identity residual)
                + o0 * s0 * kt + o0 + 2 * N * o0             # ReLU conv, LayerNorm [N, C]
                + 2 * t1 * o0 * kt + 2 * t1 + t1 * o0        # GLU with its 6 -> 3 projection cut
                + ks * t1 * s1 + s1
                + o1 * s1 * kt + o1 + 2 * N * o1
                + 2 * ot * o1 * width + 2 * ot + 2 * N * ot  # output GLU over the width, norm
                + g * ot + g + g + N)                        # sigmoid conv, fc, node bias
    assert expected == 524
    assert compacted_parameter_count(model, masks) == expected
    assert count_parameters(compact(model, masks)) == expected
    # level: share of the prunable parameters (all but the N node biases) removed
    full = count_parameters(model)
    assert pruning_level(model, masks) == pytest.approx(1 - (expected - N) / (full - N))


def test_save_load_round_trip_of_a_compacted_model(tmp_path):
    model = trained_looking(STUDENT_BLOCKS)
    small = compact(model, masks_keeping(model, STUDENT_KEPT))
    path = tmp_path / "pruned.pt"
    torch.save({"model_config": small.config, "state_dict": small.state_dict()}, path)
    state = torch.load(path, weights_only=True)
    loaded = STGCN(**state["model_config"])
    loaded.load_state_dict(state["state_dict"])
    loaded.set_graph(graph(N, 0)).eval()
    x = torch.randn(3, 1, 12, N)
    with torch.no_grad():
        assert torch.equal(loaded(x), small(x))
    # a state dict whose residual map differs from the config's is refused
    state["state_dict"]["blocks.0.spatial.align.source"] = torch.tensor([0, -1])
    with pytest.raises(RuntimeError, match="residual map"):
        STGCN(**state["model_config"]).load_state_dict(state["state_dict"])


@pytest.mark.parametrize("blocks", [STUDENT_BLOCKS, TEACHER_BLOCKS])
def test_streaming_rollout_of_a_compacted_model_equals_its_plain_rollout(blocks):
    model = trained_looking(blocks, seed=2)
    small = compact(model, random_masks(model, 2)).eval()
    history = torch.randn(4, 1, 12, N)
    with torch.no_grad():
        expected = rollout(small, history, 9)
        got = streaming_rollout(small, history, 9)
    assert torch.allclose(got, expected, atol=1e-5)


# --- pruning steps and Algorithm 1 ---------------------------------------------------------

def test_prune_step_removes_the_lowest_remaining_share():
    masks = {"a": torch.tensor([True, False, True, True]), "b": torch.ones(4, dtype=torch.bool)}
    scores = {"a": torch.tensor([5.0, 0.0, 3.0, 2.0]), "b": torch.tensor([1.0, 1.0, 1.0, 1.0])}
    pruned = prune_step(masks, scores, 0.34)
    # a: 3 remaining, round(1.02) = 1 removed: the lowest kept score (index 3; index 1 is gone)
    assert pruned["a"].tolist() == [True, False, True, False]
    # b: 4 remaining, round(1.36) = 1 removed; equal scores go lowest index first
    assert pruned["b"].tolist() == [False, True, True, True]
    assert masks["a"].tolist() == [True, False, True, True]           # input untouched
    with pytest.raises(ValueError, match="fraction: expected a share"):
        prune_step(masks, scores, 1.5)


def test_pruning_never_removes_every_channel():
    model = STGCN(N, TEACHER_BLOCKS)
    masks = full_masks(model)
    gen = torch.Generator().manual_seed(0)
    for _ in range(5):
        scores = {name: torch.rand(m.numel(), generator=gen) for name, m in masks.items()}
        masks = prune_step(masks, scores, 0.99)
        assert all(int(m.sum()) == 1 for m in masks.values())
    small = compact(model, masks)
    assert small.config["blocks"] == [[1, 1, 1], [1, 1, 1]]


def test_level_schedule_follows_from_the_counts_whatever_the_scores():
    model = STGCN(N, PRUNING_BASE_BLOCKS)
    gen = torch.Generator().manual_seed(4)
    masks, levels = full_masks(model), []
    for _ in range(4):
        scores = {name: torch.rand(m.numel(), generator=gen) for name, m in masks.items()}
        masks = prune_step(masks, scores, 0.2)
        levels.append(pruning_level(model, masks))
    assert level_schedule(model, 0.2, 4) == pytest.approx(levels)
    assert levels == sorted(levels) and 0 < levels[0]


def test_step_share_reaches_the_level_with_the_least_overshoot():
    model = STGCN(N, PRUNING_BASE_BLOCKS)
    shares = [0.05, 0.1, 0.15, 0.2, 0.3]
    share = step_share(model, 0.5, min_steps=2, max_steps=5, shares=shares)

    def overshoot(s):   # (overshoot, steps) of the first step at or past 50%, else None
        levels = level_schedule(model, s, 5)
        hit = [i for i, level in enumerate(levels) if level >= 0.5 and i >= 1]
        return (levels[hit[0]] - 0.5, hit[0] + 1) if hit and levels[hit[0] - 1] < 0.5 else None

    reached = {s: overshoot(s) for s in shares if overshoot(s) is not None}
    assert share in reached
    assert reached[share][0] == pytest.approx(min(o for o, _ in reached.values()))
    with pytest.raises(ValueError, match="target_level: no share"):
        step_share(model, 0.9, min_steps=3, max_steps=3, shares=[0.02])


def test_algorithm1_prunes_to_the_target_and_returns_the_compacted_model(synthetic_windows):
    torch.manual_seed(0)
    n = synthetic_windows.n_nodes
    model = STGCN(n, [[1, 4, 6], [6, 3, 8]], weights=graph(n, 1))
    seen = []

    def feature_loss(student, x, y):   # a loss reading hidden features, as LSTCD does
        hidden = Hidden()
        out = student(x, hidden)
        seen.append([f.shape[1] for f in hidden.temporal])
        return torch.mean((out - y) ** 2) + 0.01 * sum(f.pow(2).mean() for f in hidden.spatial)

    result = algorithm1(model, synthetic_windows, feature_loss, interval=2, fraction=0.25,
                        target_level=0.5, batch_size=8)
    levels = [h["level"] for h in result.history]
    assert levels[-1] >= 0.5 and all(level < 0.5 for level in levels[:-1])
    assert levels == sorted(levels) and len(levels) >= 2
    assert len(seen) == 2 * len(levels)
    # during the last interval the loss saw the kept channels of the masks before the last step
    before = result.history[-2]["channels"]
    assert seen[-1] == [before["blocks.0.temporal_in"], before["blocks.0.temporal_out"],
                        before["blocks.1.temporal_in"], before["blocks.1.temporal_out"]]
    assert count_parameters(result.model) == result.history[-1]["parameters"] == result.parameters
    assert result.history[-1]["channels"] == {k: int(m.sum()) for k, m in result.masks.items()}
    # without fine-tuning, the compacted model is the masked trained model
    x = synthetic_windows.val[:4, None, :12]
    with torch.no_grad(), MaskedSTGCN(model.eval(), result.masks) as masked:
        assert torch.allclose(result.model.eval()(x), masked(x), atol=1e-5)


def test_algorithm1_fine_tunes_with_the_supervised_loss(synthetic_windows):
    torch.manual_seed(0)
    n = synthetic_windows.n_nodes
    model = STGCN(n, STUDENT_BLOCKS, weights=graph(n, 1))
    target = count_parameters(model) - 150
    result = algorithm1(model, synthetic_windows, supervised_mse, interval=1, fraction=0.3,
                        target_parameters=target, finetune_batches=3, batch_size=8)
    assert result.parameters <= target and len(result.finetune_losses) == 3
    assert all(math.isfinite(v) for v in result.finetune_losses)


def test_one_rmsprop_step_after_compacting_with_the_optimiser_equals_the_masked_step():
    # the compacted model with the cut optimiser state takes the masked model's step:
    # removed channels get no gradient there, so the kept entries see the same update
    from stgkd.prune.algorithm import _compact_with_optimizer, _optimizer
    model = trained_looking([[1, 4, 6], [6, 3, 8]]).train()
    x = torch.randn(3, 1, 12, N, generator=torch.Generator().manual_seed(1))
    y = torch.randn(3, N, generator=torch.Generator().manual_seed(2))
    optimizer = _optimizer(model, supervised_mse, 1e-2, 0.9)
    masks = full_masks(model)
    masks["blocks.0.spatial"][[0, 2]] = False
    masks["blocks.1.temporal_out"][[1, 4, 5]] = False
    masks["output.gate"][3] = False
    with MaskedSTGCN(model, masks) as masked:
        for _ in range(2):   # a running average that is not the first step's
            optimizer.zero_grad()
            supervised_mse(masked, x, y).backward()
            optimizer.step()
        small, small_optimizer = _compact_with_optimizer(model, masks, optimizer, supervised_mse,
                                                         1e-2, 0.9)
        fresh = compact(model, masks)     # the same weights under a fresh RMSProp
        fresh_optimizer = _optimizer(fresh, supervised_mse, 1e-2, 0.9)
        for net, opt in ((masked, optimizer), (small, small_optimizer), (fresh, fresh_optimizer)):
            opt.zero_grad()
            supervised_mse(net, x, y).backward()
            opt.step()
        expected = compact(model, masks)
    for (name, a), b in zip(expected.state_dict().items(), small.state_dict().values()):
        assert torch.allclose(a, b, atol=1e-5), name
    # without the cut state the step differs: the comparison can fail
    assert not all(torch.allclose(a, b, atol=1e-5)
                   for a, b in zip(expected.parameters(), fresh.parameters()))


def test_algorithm1_compacting_each_step_matches_the_masked_run(synthetic_windows):
    n = synthetic_windows.n_nodes
    settings = dict(interval=2, fraction=0.2, target_level=0.7, batch_size=8, seed=1)

    def run(compacting):
        torch.manual_seed(0)
        model = STGCN(n, [[1, 4, 6], [6, 3, 8]], weights=graph(n, 1))
        seen = []

        def feature_loss(student, x, y):
            hidden = Hidden()
            out = student(x, hidden)
            seen.append([f.shape[1] for f in hidden.temporal + hidden.spatial])
            return torch.mean((out - y) ** 2) + 0.01 * sum(f.pow(2).mean() for f in hidden.spatial)

        result = algorithm1(model, synthetic_windows, feature_loss, compact_each_step=compacting,
                            finetune_batches=2, **settings)
        return result, seen

    masked, masked_seen = run(False)
    compacting, compacting_seen = run(True)
    assert len(masked.history) >= 3
    assert compacting_seen == masked_seen        # the loss saw the same kept channels
    for a, b in zip(masked.history, compacting.history):
        assert (a["step"], a["minibatches"], a["parameters"], a["channels"]) == \
               (b["step"], b["minibatches"], b["parameters"], b["channels"])
        assert a["loss"] == pytest.approx(b["loss"], rel=1e-4)
    assert all(torch.equal(masked.masks[k], compacting.masks[k]) for k in masked.masks)
    assert compacting.model.config == masked.model.config
    assert compacting.finetune_losses == pytest.approx(masked.finetune_losses, rel=1e-4)
    x = synthetic_windows.val[:4, None, :12]
    with torch.no_grad():
        assert torch.allclose(compacting.model.eval()(x), masked.model.eval()(x), atol=1e-4)


@pytest.mark.parametrize("kwargs, message", [
    (dict(target_parameters=10), "one channel per layer can reach"),
    (dict(target_parameters=1000, target_level=0.5), "expected exactly one"),
    (dict(target_level=0.5, fraction=0.01), "removes no channel"),
])
def test_algorithm1_refuses_unreachable_settings(synthetic_windows, kwargs, message):
    model = STGCN(synthetic_windows.n_nodes, STUDENT_BLOCKS, weights=graph(synthetic_windows.n_nodes))
    settings = dict(interval=1, fraction=0.5, batch_size=8) | kwargs
    with pytest.raises(ValueError, match=message):
        algorithm1(model, synthetic_windows, supervised_mse, **settings)


class _Interrupt(Exception):
    pass


@pytest.mark.parametrize("compacting", [False, True])
def test_algorithm1_resumes_after_an_interruption_on_the_same_minibatches(synthetic_windows,
                                                                            tmp_path, compacting):
    n = synthetic_windows.n_nodes
    settings = dict(interval=2, fraction=0.2, target_level=0.7, batch_size=8, seed=3,
                    compact_each_step=compacting)

    def fresh():
        torch.manual_seed(0)
        return STGCN(n, [[1, 4, 6], [6, 3, 8]], weights=graph(n, 1))

    straight = algorithm1(fresh(), synthetic_windows, supervised_mse, **settings)
    assert len(straight.history) >= 3

    def stop_after_two(line):
        if line.startswith("pruning step 2:"):
            raise _Interrupt
    state = tmp_path / "prune.pt"
    with pytest.raises(_Interrupt):
        algorithm1(fresh(), synthetic_windows, supervised_mse, log=stop_after_two,
                   state_path=state, **settings)
    assert state.is_file()
    interrupted_s = read_torch(state)["elapsed_s"]
    resumed = algorithm1(fresh(), synthetic_windows, supervised_mse, state_path=state, **settings)
    assert [h["step"] for h in resumed.history] == [h["step"] for h in straight.history]
    assert [h["minibatches"] for h in resumed.history] == [h["minibatches"] for h in straight.history]
    assert all(torch.equal(resumed.masks[k], straight.masks[k]) for k in straight.masks)
    for (name, a), b in zip(straight.model.state_dict().items(), resumed.model.state_dict().values()):
        assert torch.allclose(a, b, atol=1e-6), name
    # the time of the interrupted session is carried over, not lost
    assert resumed.wall_time_s == pytest.approx(interrupted_s + resumed.session_time_s, rel=1e-6)
    assert resumed.wall_time_s > resumed.session_time_s > 0
    # a state of other settings is refused, a masked run's for a compacting one included
    for other in ({"fraction": 0.5}, {"compact_each_step": not compacting}):
        with pytest.raises(ValueError, match="settings"):
            algorithm1(fresh(), synthetic_windows, supervised_mse, state_path=state,
                       **{**settings, **other})
