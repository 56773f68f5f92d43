"""The training loop: learning-rate schedule, determinism, resumption after an interruption."""
from dataclasses import replace

import pytest
import torch

from stgkd.io import StoredFileError
from stgkd.nn import STUDENT_BLOCKS, STGCN
from stgkd.train import TrainConfig, _rng_state, _set_rng_state, fit, supervised_mse
from conftest import InterruptAt


def _model(series, seed=0):
    torch.manual_seed(seed)
    return STGCN(series.n_nodes, STUDENT_BLOCKS, weights=series.weights)


def _comparable(history):
    return [{k: v for k, v in h.items() if k != "epoch_time_s"} for h in history]


def test_learning_rate_decays_by_0_7_every_5_epochs(synthetic, synthetic_windows):
    config = TrainConfig(epochs=7, batch_size=16)
    result = fit(_model(synthetic), synthetic_windows, config, progress=False)
    assert [h["lr"] for h in result.history] == pytest.approx([1e-3] * 5 + [7e-4] * 2)


def test_model_selection_keeps_the_best_validation_epoch(synthetic, synthetic_windows):
    result = fit(_model(synthetic), synthetic_windows, TrainConfig(epochs=4, batch_size=16),
                 progress=False)
    maes = [h["val_mae"] for h in result.history]
    assert result.best_epoch == maes.index(min(maes)) + 1
    assert result.best_val_mae == min(maes)


def test_same_seed_same_numbers(synthetic, synthetic_windows):
    config = TrainConfig(epochs=2, batch_size=16)
    a = fit(_model(synthetic), synthetic_windows, config, progress=False)
    b = fit(_model(synthetic), synthetic_windows, config, progress=False)
    assert _comparable(a.history) == _comparable(b.history)


def test_training_lowers_the_training_loss(synthetic, synthetic_windows):
    result = fit(_model(synthetic), synthetic_windows, TrainConfig(epochs=6, batch_size=8),
                 progress=False)
    assert result.history[-1]["train_loss"] < result.history[0]["train_loss"]


def test_interrupted_run_resumes_to_the_same_result(synthetic, synthetic_windows, tmp_path):
    config = TrainConfig(epochs=3, batch_size=16)
    batches_per_epoch = -(-len(synthetic_windows.train) // 16)
    straight_model = _model(synthetic)
    straight = fit(straight_model, synthetic_windows, config, progress=False)

    state = tmp_path / "run.resume.pt"
    interrupted_model = _model(synthetic)
    with pytest.raises(KeyboardInterrupt):  # dies in the middle of the second epoch
        fit(interrupted_model, synthetic_windows, config, InterruptAt(batches_per_epoch + 2),
            state_path=state, progress=False)
    resumed_model = _model(synthetic, seed=123)  # fresh weights: all state comes from the file
    resumed = fit(resumed_model, synthetic_windows, config, state_path=state, progress=False)

    assert resumed.resumed_from_epoch == 1
    assert _comparable(resumed.history) == _comparable(straight.history)
    for (name, a), b in zip(straight_model.state_dict().items(), resumed_model.state_dict().values()):
        assert torch.equal(a, b), name


def test_sessions_say_where_each_epoch_ran(synthetic, synthetic_windows, tmp_path):
    """One session for a run straight through; a cut run resumed has two, epochs 0-1 and
    1-3; a resume state written before sessions were recorded gives its epochs the
    device 'not recorded'."""
    from stgkd.io import read_torch, save_torch
    from stgkd.provenance import device_description

    config = TrainConfig(epochs=3, batch_size=16)
    here = device_description("cpu")
    straight = fit(_model(synthetic), synthetic_windows, config, progress=False)
    assert [(s["device"], s["from_epoch"], s["to_epoch"]) for s in straight.sessions] == [
        (here, 0, 3)]
    batches_per_epoch = -(-len(synthetic_windows.train) // 16)
    state = tmp_path / "run.resume.pt"
    with pytest.raises(KeyboardInterrupt):  # dies in the second epoch, after one checkpoint
        fit(_model(synthetic), synthetic_windows, config, InterruptAt(batches_per_epoch + 2),
            state_path=state, progress=False)
    old = read_torch(state)
    resumed = fit(_model(synthetic), synthetic_windows, config, state_path=state, progress=False)
    assert [(s["device"], s["from_epoch"], s["to_epoch"]) for s in resumed.sessions] == [
        (here, 0, 1), (here, 1, 3)]
    assert sum(s["seconds"] for s in resumed.sessions) == pytest.approx(resumed.wall_time_s,
                                                                       abs=0.01)
    del old["result"]["sessions"]          # as written before sessions were recorded
    save_torch(state, old)
    resumed = fit(_model(synthetic), synthetic_windows, config, state_path=state, progress=False)
    assert [(s["device"], s["from_epoch"], s["to_epoch"]) for s in resumed.sessions] == [
        ("not recorded", 0, 1), (here, 1, 3)]


def test_checkpoint_of_other_settings_is_refused(synthetic, synthetic_windows, tmp_path):
    state = tmp_path / "run.resume.pt"
    fit(_model(synthetic), synthetic_windows, TrainConfig(epochs=1, batch_size=16), state_path=state,
        progress=False)
    with pytest.raises(ValueError, match="delete it to start afresh"):
        fit(_model(synthetic), synthetic_windows, TrainConfig(epochs=1, batch_size=8),
            state_path=state, progress=False)


def test_resume_state_of_another_model_structure_is_refused_by_name(synthetic, synthetic_windows,
                                                                    tmp_path):
    """A resume state written for a model of other channels (a pruned model whose pruning
    chose other channels) is refused with an error that names the file and the remedy."""
    state = tmp_path / "run.resume.pt"
    fit(_model(synthetic), synthetic_windows, TrainConfig(epochs=1, batch_size=16), state_path=state,
        progress=False)
    other = STGCN(synthetic.n_nodes, [[1, 8, 16], [16, 8, 16]], n_his=synthetic_windows.n_his)
    with pytest.raises(StoredFileError, match=r"run\.resume\.pt: expected the weights of this "
                       r"run's model.*delete it to start this run afresh"):
        fit(other, synthetic_windows, TrainConfig(epochs=1, batch_size=16), state_path=state,
            progress=False)


def test_compiled_training_gives_the_eager_numbers(synthetic, synthetic_windows, tmp_path):
    # torch.compile changes how the forward pass runs, not what it computes; a run
    # checkpointed without it resumes with it.
    config = TrainConfig(epochs=2, batch_size=16)
    eager = fit(_model(synthetic), synthetic_windows, config, progress=False)
    state = tmp_path / "run.resume.pt"
    batches_per_epoch = -(-len(synthetic_windows.train) // 16)
    with pytest.raises(KeyboardInterrupt):  # stops in the second epoch, after one checkpoint
        fit(_model(synthetic), synthetic_windows, config, InterruptAt(batches_per_epoch + 1),
            state_path=state, progress=False)
    compiled = fit(_model(synthetic), synthetic_windows, replace(config, compile=True),
                   state_path=state, progress=False)
    assert compiled.resumed_from_epoch == 1
    for a, b in zip(eager.history, compiled.history):
        assert b["train_loss"] == pytest.approx(a["train_loss"], rel=1e-4)
        assert b["val_mae"] == pytest.approx(a["val_mae"], rel=1e-4)


class _RecordingLoss:
    """supervised_mse that records the training-window indices of every batch."""

    takes_sample_index = True

    def __init__(self):
        self.seen = []

    def __call__(self, model, x, y, index):
        self.seen.append(index.tolist())
        return supervised_mse(model, x, y)


def test_epoch_windows_trains_on_that_many_distinct_windows_per_epoch(synthetic, synthetic_windows):
    n_train = synthetic_windows.train.shape[0]
    budget = n_train // 3
    config = TrainConfig(epochs=2, batch_size=7, epoch_windows=budget)
    loss = _RecordingLoss()
    fit(_model(synthetic), synthetic_windows, config, loss, progress=False)
    batches_per_epoch = -(-budget // 7)                    # ceil: the last batch is short
    assert len(loss.seen) == 2 * batches_per_epoch
    epochs = [sum(loss.seen[:batches_per_epoch], []), sum(loss.seen[batches_per_epoch:], [])]
    for drawn in epochs:
        assert len(drawn) == len(set(drawn)) == budget     # no window twice in an epoch
        assert all(0 <= i < n_train for i in drawn)
    assert set(epochs[0]) != set(epochs[1])                # a fresh draw each epoch
    again = _RecordingLoss()
    fit(_model(synthetic), synthetic_windows, config, again, progress=False)
    assert again.seen == loss.seen                         # the draws follow the seed


def test_epoch_windows_must_be_positive(synthetic, synthetic_windows):
    with pytest.raises(ValueError, match="epoch_windows"):
        fit(_model(synthetic), synthetic_windows, TrainConfig(epochs=1, epoch_windows=0),
            progress=False)


def test_rng_state_restores_from_tensors_that_are_not_cpu_bytes():
    """A resume state loaded with map_location on a GPU holds its RNG tensors there; the
    CPU generator takes only a CPU byte tensor. Here the tensors are int64 (the same
    values): the restored generators must give the same numbers as the saved ones."""
    import numpy as np

    torch.manual_seed(7)
    np.random.seed(7)
    state = _rng_state()
    expected = (torch.rand(4), np.random.rand(4))
    moved = {**state, "torch": state["torch"].to(torch.int64),
             "numpy": {**state["numpy"], "state": {**state["numpy"]["state"],
                       "key": state["numpy"]["state"]["key"].to(torch.int64)}}}
    torch.manual_seed(99)
    np.random.seed(99)
    _set_rng_state(moved)
    assert torch.equal(torch.rand(4), expected[0])
    assert np.array_equal(np.random.rand(4), expected[1])
