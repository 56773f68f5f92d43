"""Data-parallel training (stgkd.distributed): two CPU processes (gloo) take the same steps
as one process on the same global batches; bad process counts are refused clearly."""
import json
import os

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from stgkd.cli import main
from stgkd.data import make_windows, synthetic_series
from stgkd.distributed import all_reduce_gradients, free_port, shard
from stgkd.nn import STUDENT_BLOCKS, STGCN
from stgkd.runs import result_path
from stgkd.train import TrainConfig, fit, supervised_mse
from conftest import InterruptAt

# 56 training windows; an epoch of 31 of them in batches of 15 is 15, 15, 1 windows:
# shares 8 + 7 (uneven), then 1 + 0 (rank 1 has nothing and still takes the step)
CONFIG = TrainConfig(epochs=2, batch_size=15, epoch_windows=31)
# loss calls per epoch: rank 0 three (8, 8, 1 windows), rank 1 two (7, 7, none)
CALLS_PER_EPOCH = (3, 2)


SERIES = synthetic_series(n_nodes=6, n_days=4, steps_per_day=48, seed=0)


def _data():
    return make_windows(SERIES, (2, 1, 1))


def _model(data, seed=0):
    torch.manual_seed(seed)
    return STGCN(data.n_nodes, STUDENT_BLOCKS, n_his=data.n_his, weights=SERIES.weights)


def _spawn(function, folder):
    """``function(rank, 2, port, folder)`` in two processes, forked (no re-import: fast)."""
    mp.start_processes(function, args=(2, free_port(), str(folder)), nprocs=2, join=True,
                       start_method="fork")


def _rank(rank, size, port, folder):
    """One of ``size`` processes: an interrupted two-epoch run (stopped on every rank at
    epoch 2, batch 2, after rank 0 stored epoch 1), resumed from rank 0's state."""
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.set_num_threads(1)
    dist.init_process_group("gloo", rank=rank, world_size=size)
    data, state_path = _data(), os.path.join(folder, "run.resume.pt")
    try:
        fit(_model(data), data, CONFIG, InterruptAt(CALLS_PER_EPOCH[rank] + 2), state_path,
            progress=False)
    except KeyboardInterrupt:
        pass
    model = _model(data, seed=1)     # another start: the resume state's weights replace it
    result = fit(model, data, CONFIG, supervised_mse, state_path, progress=False)
    torch.save({"model": model.state_dict(), "history": result.history,
                "resumed_from_epoch": result.resumed_from_epoch},
               os.path.join(folder, f"rank{rank}.pt"))
    dist.destroy_process_group()


def test_two_processes_take_the_steps_of_one_on_the_whole_batch(tmp_path):
    torch.set_num_threads(1)     # as each rank: no threads spinning against the others
    data = _data()
    start = _model(data).state_dict()
    single_model = _model(data)
    # first: the forked ranks inherit what torch imports on its first optimiser (seconds)
    single = fit(single_model, data, CONFIG, progress=False)
    one = single_model.state_dict()
    _spawn(_rank, tmp_path)
    ranks = [torch.load(tmp_path / f"rank{r}.pt") for r in range(2)]

    assert [r["resumed_from_epoch"] for r in ranks] == [1, 1]
    for name, value in one.items():
        # both ranks hold the same model (the same steps from the same summed gradients) ...
        torch.testing.assert_close(ranks[1]["model"][name], ranks[0]["model"][name],
                                   rtol=0, atol=0)
        # ... the one process computes on whole batches, up to float rounding
        torch.testing.assert_close(ranks[0]["model"][name], value, rtol=1e-4, atol=1e-5)
    # and training moved the weights far beyond that tolerance (six RMSProp steps)
    moved = max((one[k] - start[k]).abs().max().item() for k in one if one[k].is_floating_point())
    assert moved > 1e-3
    for got, want in zip(ranks[0]["history"], single.history):
        assert got["train_loss"] == pytest.approx(want["train_loss"], rel=1e-5)
        assert got["val_mae"] == pytest.approx(want["val_mae"], rel=1e-5)
    # rank 0 validated and broadcast its record; only the epoch times are each rank's own
    assert [{k: v for k, v in h.items() if k != "epoch_time_s"} for h in ranks[0]["history"]] \
        == [{k: v for k, v in h.items() if k != "epoch_time_s"} for h in ranks[1]["history"]]


def _reduce_rank(rank, size, port, folder):
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.set_num_threads(1)
    dist.init_process_group("gloo", rank=rank, world_size=size)
    # a 3-window batch, one weight w and loss mean_i (w * x_i)^2: gradient mean_i 2 w x_i^2
    x, w = torch.tensor([1.0, 2.0, 3.0]), torch.nn.Parameter(torch.tensor(0.5))
    unused = torch.nn.Parameter(torch.zeros(2))
    mine = shard(torch.arange(3), rank, size)
    loss = torch.mean((w * x[mine]) ** 2)
    loss.backward()
    batch_loss = all_reduce_gradients([w, unused], loss, len(mine) / 3)
    data = _data()
    try:    # two processes cannot share a batch of one window
        fit(_model(data), data, TrainConfig(epochs=1, batch_size=1), progress=False)
        refusal = None
    except ValueError as error:
        refusal = str(error)
    torch.save({"grad": w.grad, "loss": batch_loss, "unused": unused.grad, "refusal": refusal},
               os.path.join(folder, f"rank{rank}.pt"))
    dist.destroy_process_group()


def test_gradients_are_summed_by_share_into_the_whole_batch_gradient(tmp_path):
    _spawn(_reduce_rank, tmp_path)
    for r in range(2):
        got = torch.load(tmp_path / f"rank{r}.pt")
        # rank 0 has windows 0 and 2, rank 1 window 1; by hand, over the whole batch:
        # gradient 2 * 0.5 * (1 + 4 + 9) / 3 = 14 / 3, loss 0.25 * 14 / 3 = 3.5 / 3
        assert got["grad"].item() == pytest.approx(14 / 3, rel=1e-6)
        assert got["loss"] == pytest.approx(3.5 / 3, rel=1e-6)
        assert got["unused"] is None      # no gradient on any rank: left to the optimiser
        assert got["refusal"] == ("processes: expected at most config.batch_size = 1 (each "
                                  "process takes a share of every batch), found 2")


def test_shards_deal_a_batch_like_a_distributed_sampler():
    index = torch.tensor([7, 3, 9, 1, 4])
    assert shard(index, 0, 2).tolist() == [7, 9, 4]
    assert shard(index, 1, 2).tolist() == [3, 1]
    assert shard(torch.tensor([5]), 1, 2).tolist() == []


@pytest.mark.parametrize("nproc", ["0", "-2"])
def test_nproc_below_one_is_a_usage_error(nproc, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["run", "kd/losloop/teacher", "--nproc", nproc])
    assert stop.value.code == 2
    assert f"argument --nproc: expected at least 1 process, found {int(nproc)}" \
        in capsys.readouterr().err


@pytest.mark.parametrize("argv, message", [
    (["kd/losloop/teacher", "--nproc", "51"],
     "--nproc 51: expected at most kd/losloop/teacher's batch size, 50 windows"),
    (["kd/losloop/student-lstcd", "--nproc", "2"],
     "--nproc 2: kd/losloop/student-lstcd distils (loss lstcd), which trains in one process "
     "only"),
    (["prune/losloop/taylor-50", "--nproc", "2"],
     "--nproc 2: prune/losloop/taylor-50 prunes (Algorithm 1)"),
    (["dmst/losloop/st-gcn", "--nproc", "2"],
     "--nproc 2: dmst/losloop/st-gcn is a ST-GCN run of the DMST-GNODE comparison"),
    (["kd/losloop/teacher", "--nproc", "2", "--jobs", "2"],
     "--jobs 2 --nproc 2: expected one of them, found both"),
])
def test_unsupported_process_counts_and_runs_are_refused_in_one_line(argv, message, tmp_path,
                                                                     capsys):
    assert main(["--results-dir", str(tmp_path), "run", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {message}") and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []        # refused before anything started


def test_more_processes_than_gpus_is_refused(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    assert main(["--results-dir", str(tmp_path), "run", "kd/losloop/teacher", "--device", "cuda",
                 "--nproc", "2"]) == 2
    assert capsys.readouterr().err == ("error: --nproc 2 --device cuda: expected --device cuda "
                                       "and one GPU per process on each node (2), found 1 "
                                       "GPU(s)\n")


def test_a_launcher_and_nproc_must_agree(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("RANK", "0")
    monkeypatch.setenv("WORLD_SIZE", "2")       # as torchrun --nproc-per-node 2 sets it
    assert main(["--results-dir", str(tmp_path), "run", "kd/losloop/teacher",
                 "--nproc", "3"]) == 2
    assert capsys.readouterr().err.startswith(
        "error: --nproc 3: this process was started among 2 processes (WORLD_SIZE=2)")


def test_experiment_files_refuse_several_processes(tmp_path, capsys):
    assert main(["--results-dir", str(tmp_path), "run", "my_network.toml", "--nproc", "2"]) == 2
    assert capsys.readouterr().err.startswith(
        "error: --nproc 2: the runs of an experiment file train in one process each")


def test_run_over_two_processes_stores_one_result_like_one_process(tmp_path, capsys):
    name = "kd/losloop/student-no-kd"
    argv = ["run", name, "--profile", "smoke", "--quiet", "--threads", "1"]
    assert main(["--results-dir", str(tmp_path / "two"), *argv, "--nproc", "2"]) == 0
    torch.set_num_threads(1)
    assert main(["--results-dir", str(tmp_path / "one"), *argv]) == 0
    two, one = (json.loads(result_path("smoke", name, 0, tmp_path / k).read_text())
                for k in ("two", "one"))
    folder = result_path("smoke", name, 0, tmp_path / "two").parent
    # rank 0 wrote the result and checkpoint; no lock or resume state is left
    assert sorted(p.name for p in folder.iterdir()) == ["seed0.json", "seed0.pt"]
    assert two["provenance"]["processes"] == 2 and two["provenance"]["backend"] == "gloo"
    assert "processes" not in one["provenance"]
    for horizon, metrics in one["test"].items():
        assert two["test"][horizon]["mae"] == pytest.approx(metrics["mae"], rel=1e-5)
    assert two["history"][0]["train_loss"] == pytest.approx(one["history"][0]["train_loss"],
                                                            rel=1e-5)
