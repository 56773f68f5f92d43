"""`stgkd predict`: a checkpoint and a speed matrix give the rolled-out forecast, and
bad input is refused with the file, what was expected and what was found."""
import numpy as np
import pytest
import torch

from stgkd.cli import main
from stgkd.data.windows import ZScore
from stgkd.io import save_torch
from stgkd.nn import STGCN
from stgkd.predict import load_checkpoint, predict

N = 5


def graph():
    w = np.ones((N, N)) - np.eye(N)
    return w


@pytest.fixture()
def checkpoint(tmp_path):
    torch.manual_seed(0)
    model = STGCN(N, [[1, 2, 4], [4, 2, 8]], weights=graph())
    path = tmp_path / "seed0.pt"
    save_torch(path, {"model_config": model.config, "state_dict": model.state_dict(),
                      "scaler": {"mean": 50.0, "std": 10.0}, "experiment": "kd/losloop/student-no-kd"})
    return path, model


def test_forecast_is_the_rollout_in_original_units(checkpoint):
    path, model = checkpoint
    loaded, scaler = load_checkpoint(path, graph())
    assert scaler == ZScore(50.0, 10.0)
    history = 50 + 10 * np.random.default_rng(0).standard_normal((20, N))
    out = predict(loaded, scaler, history, n_pred=3)
    # by hand: z-score the last 12 rows, feed each prediction back, undo the z-score
    window = torch.from_numpy((history[-12:] - 50.0) / 10.0).float()[None, None]
    expected = []
    with torch.no_grad():
        for _ in range(3):
            step = model.eval()(window)                       # [1, N]
            expected.append(step[0].double().numpy() * 10.0 + 50.0)
            window = torch.cat([window[:, :, 1:], step[:, None, None]], dim=2)
    assert out.shape == (3, N)
    assert np.allclose(out, np.stack(expected), atol=1e-5)


def test_predict_cli_writes_the_forecast(checkpoint, tmp_path, capsys):
    path, _ = checkpoint
    history = 40 + np.arange(13 * N, dtype=float).reshape(13, N) / 10
    np.savetxt(tmp_path / "recent.csv", history, delimiter=",")
    np.savetxt(tmp_path / "graph.csv", graph(), delimiter=",")
    code = main(["predict", str(path), "--input", str(tmp_path / "recent.csv"),
                 "--graph", str(tmp_path / "graph.csv"), "--output", str(tmp_path / "out.csv")])
    assert code == 0
    written = np.loadtxt(tmp_path / "out.csv", delimiter=",", skiprows=1)
    assert written.shape == (9, N + 1) and written[:, 0].tolist() == list(range(1, 10))
    model, scaler = load_checkpoint(path, graph())
    assert np.allclose(written[:, 1:], predict(model, scaler, history), atol=1e-4)


@pytest.mark.parametrize("rows,cols,message", [
    (13, N + 1, f"expected {N} columns"),
    (11, N, "expected at least 12 rows"),
])
def test_predict_cli_refuses_bad_input(checkpoint, tmp_path, capsys, rows, cols, message):
    path, _ = checkpoint
    np.savetxt(tmp_path / "recent.csv", np.ones((rows, cols)), delimiter=",")
    np.savetxt(tmp_path / "graph.csv", graph(), delimiter=",")
    code = main(["predict", str(path), "--input", str(tmp_path / "recent.csv"),
                 "--graph", str(tmp_path / "graph.csv")])
    err = capsys.readouterr().err
    assert code == 2 and "recent.csv" in err and message in err


def test_missing_values_in_the_input_window_are_refused(checkpoint):
    path, _ = checkpoint
    model, scaler = load_checkpoint(path, graph())
    history = np.full((12, N), 50.0)
    history[-1, 2] = np.nan
    with pytest.raises(ValueError, match="missing"):
        predict(model, scaler, history)


def test_not_a_checkpoint_is_a_clear_error(tmp_path):
    bogus = tmp_path / "x.pt"
    torch.save({"weights": 1}, bogus)
    with pytest.raises(ValueError, match="x.pt: expected a run checkpoint"):
        load_checkpoint(bogus, graph())
    with pytest.raises(FileNotFoundError, match="missing.pt"):
        load_checkpoint(tmp_path / "missing.pt", graph())
