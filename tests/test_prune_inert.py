"""Inert channels (stgkd.prune.inert): a dead one-channel ReLU cuts the input off from the
forecast, found by running windows through the model."""
import pytest
import torch
from conftest import random_graph

from stgkd.nn import STGCN
from stgkd.prune.inert import first_cut_layer, inert_channels

N, T = 5, 12


#: one channel wide in both blocks' temporal_in and spatial layers: the shape Algorithm 1
#: pruned Table 7's teacher to on PeMSD7(M)
NARROW_BLOCKS = [[1, 1, 3], [3, 1, 7]]


def student(seed=0):
    torch.manual_seed(seed)
    return STGCN(N, NARROW_BLOCKS, weights=random_graph(N, seed, threshold=0.4)).eval()


def windows(count=40, seed=1):
    return torch.randn(count, T, N, generator=torch.Generator().manual_seed(seed))


def test_a_random_student_reads_its_input():
    table = inert_channels(student(), windows())
    assert list(table["layer"]) == ["blocks.0.temporal_in", "blocks.0.spatial",
                                    "blocks.0.temporal_out", "blocks.1.temporal_in",
                                    "blocks.1.spatial", "blocks.1.temporal_out",
                                    "output.temporal", "output.gate", "forecast"]
    assert list(table["channels"]) == [1, 1, 3, 1, 1, 7, 7, 7, 1]
    assert not table["cut"].any()
    assert first_cut_layer(table) is None


def test_a_dead_one_channel_relu_cuts_everything_after_it():
    model = student()
    with torch.no_grad():
        # relu(conv + bias + x_res) with a bias far below any conv + residual: zero always
        model.blocks[1].spatial.bias.fill_(-1e4)
    table = inert_channels(model, windows()).set_index("layer")
    assert table.loc["blocks.1.spatial", "zero"] == [0]
    assert table.loc["blocks.1.spatial", "cut"]
    # the layers before it still vary; every layer after it, and the forecast, do not
    assert not table.loc[["blocks.0.temporal_in", "blocks.0.spatial", "blocks.1.temporal_in"],
                         "cut"].any()
    assert table.loc[["blocks.1.temporal_out", "output.temporal", "output.gate", "forecast"],
                     "cut"].all()
    assert first_cut_layer(table.reset_index()) == "blocks.1.spatial"
    # the forecast is indeed one value per node, the same for every window
    with torch.no_grad():
        out = model(windows()[:, None])
    assert torch.equal(out, out[:1].expand_as(out))


def test_one_dead_channel_of_a_wide_layer_does_not_cut():
    before = inert_channels(student(), windows()).set_index("layer")
    model = student()
    with torch.no_grad():
        model.blocks[1].temporal_out.conv.bias[2].fill_(-1e4)   # channel 2 of 7 only
    table = inert_channels(model, windows()).set_index("layer")
    dead_before = before.loc["blocks.1.temporal_out", "zero"]
    assert 2 not in dead_before
    assert table.loc["blocks.1.temporal_out", "zero"] == sorted(dead_before + [2])
    assert table.loc["blocks.1.temporal_out", "inert"] == sorted(dead_before + [2])
    assert not table["cut"].any()


def test_batches_are_pooled_over_all_windows():
    """Windows alike within each batch but not between batches: nothing is inert, which
    a reading of any single batch would miss (there every channel looks constant)."""
    two = windows(count=2)
    alike_in_batches = two.repeat_interleave(3, dim=0)          # [w0, w0, w0, w1, w1, w1]
    pooled = inert_channels(student(), alike_in_batches, batch_size=3)
    assert not pooled["cut"].any()
    one_batch = inert_channels(student(), alike_in_batches[:3], batch_size=3)
    assert one_batch["cut"].all()


def test_windows_must_be_a_batch_of_inputs():
    with pytest.raises(ValueError, match=r"windows: expected \[S, T, N\] with S >= 2"):
        inert_channels(student(), windows()[:1])
    with pytest.raises(ValueError, match="found shape"):
        inert_channels(student(), torch.zeros(T, N))


def test_a_run_records_where_its_input_is_cut():
    """The runner's summary (stored in each run's result as ``inert``): the cut layer and
    the dead channels of every layer that has some."""
    from types import SimpleNamespace

    from stgkd.runner import inert_summary
    data = SimpleNamespace(val=torch.cat([windows(), torch.randn(40, 9, N)], dim=1), n_his=T)
    model = student()
    healthy = inert_summary(model, data)
    assert healthy["cut_at"] is None
    with torch.no_grad():
        model.blocks[1].spatial.bias.fill_(-1e4)
    dead = inert_summary(model, data)
    assert dead["cut_at"] == "blocks.1.spatial"
    assert dead["dead"]["blocks.1.spatial"] == [0]
    assert set(dead["dead"]) >= set(healthy["dead"])


def test_the_report_names_the_stored_run_whose_input_is_cut(tmp_path):
    """inert_runs reads each run's checkpoint and rolls it over its validation windows:
    seed 1, whose graph convolution was killed, is cut there; seed 0 is not."""
    from factories import fake_result

    from stgkd.io import save_torch
    from stgkd.report import inert_runs
    from stgkd.runs import dataset_series, result_path

    name = "prune/losloop/teacher-kdis-lstcd"
    n_nodes = dataset_series("losloop").n_nodes
    results = []
    for seed in (1, 0):     # stored out of order: rows come back by seed
        torch.manual_seed(seed)
        model = STGCN(n_nodes, NARROW_BLOCKS)
        if seed == 1:
            with torch.no_grad():
                model.blocks[0].spatial.bias.fill_(-1e4)
        path = result_path("smoke", name, seed, tmp_path, ".pt")
        path.parent.mkdir(parents=True, exist_ok=True)
        save_torch(path, {"model_config": model.config, "state_dict": model.state_dict(),
                          "scaler": {"mean": 0.0, "std": 1.0}, "experiment": name})
        results.append(fake_result(name, "smoke", seed, mae=(3.0 + 5 * seed, 4.0, 5.0),
                                   checkpoint=path.name, split_days=[2, 1, 1]))
    table = inert_runs(results + [fake_result("kd/losloop/student-lstcd", "smoke")], [name],
                       "smoke", results_dir=tmp_path)
    assert table["seed"].tolist() == [0, 1]
    assert table["cut at"].tolist() == ["none", "blocks.0.spatial"]
    assert table["test MAE 15 min"].tolist() == [3.0, 8.0]
    assert table.loc[1, "dead channels"].startswith("blocks.0.spatial[0]")
