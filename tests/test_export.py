"""ONNX export of a whole forecast: onnxruntime gives the PyTorch rollout's numbers."""
import numpy as np
import pytest
import torch
from conftest import random_graph

from stgkd.evaluate import rollout
from stgkd.nn import STUDENT_BLOCKS, STGCN

onnxruntime = pytest.importorskip("onnxruntime")
from stgkd.export import OnnxForecaster, export_onnx  # noqa: E402


def graph(n=6):
    return random_graph(n, 0, threshold=0.4)


def test_onnx_forecast_equals_the_pytorch_rollout(tmp_path):
    torch.manual_seed(0)
    model = STGCN(6, STUDENT_BLOCKS, weights=graph()).eval()
    path = export_onnx(model, tmp_path / "student.onnx", n_pred=9)
    forecaster = OnnxForecaster(path)
    history = torch.randn(4, 1, 12, 6)           # a batch size other than the export's 1
    with torch.no_grad():
        expected = rollout(model, history, 9).numpy()
    got = forecaster.predict(history.numpy())
    assert got.shape == (4, 9, 6)
    assert np.allclose(got, expected, atol=1e-5)
    assert not (tmp_path / "student.onnx.tmp").exists()


@pytest.mark.parametrize("training", [False, True])
def test_export_leaves_the_model_in_the_mode_it_came_in(tmp_path, training):
    # torch.onnx.export restores the exported module's mode afterwards, recursively: a
    # wrapper left in training mode would switch an eval model to training
    model = STGCN(6, STUDENT_BLOCKS, weights=graph()).train(training)
    export_onnx(model, tmp_path / "m.onnx", n_pred=2)
    assert [m.training for m in model.modules()] == [training] * len(list(model.modules()))


def test_onnx_forecaster_refuses_a_wrong_shape(tmp_path):
    model = STGCN(6, STUDENT_BLOCKS, weights=graph()).eval()
    forecaster = OnnxForecaster(export_onnx(model, tmp_path / "m.onnx", n_pred=3))
    with pytest.raises(ValueError, match=r"expected \[B, 1, 12, 6\]"):
        forecaster.predict(np.zeros((1, 1, 12, 7), dtype=np.float32))
    with pytest.raises(FileNotFoundError, match="missing.onnx"):
        OnnxForecaster(tmp_path / "missing.onnx")


def test_export_cli_writes_a_runnable_file(tmp_path, capsys):
    from stgkd.cli import main
    from stgkd.io import save_torch
    torch.manual_seed(1)
    model = STGCN(6, STUDENT_BLOCKS, weights=graph())
    save_torch(tmp_path / "seed0.pt", {"model_config": model.config,
                                       "state_dict": model.state_dict(),
                                       "scaler": {"mean": 60.0, "std": 8.0},
                                       "experiment": "kd/losloop/student-no-kd"})
    np.savetxt(tmp_path / "graph.csv", graph(), delimiter=",")
    assert main(["export", str(tmp_path / "seed0.pt"), "--output", str(tmp_path / "s.onnx"),
                 "--graph", str(tmp_path / "graph.csv")]) == 0
    assert "mean 60.0000 and std 8.0000" in capsys.readouterr().out
    history = np.random.default_rng(2).standard_normal((2, 1, 12, 6)).astype(np.float32)
    with torch.no_grad():
        expected = rollout(model.eval(), torch.from_numpy(history), 9).numpy()
    assert np.allclose(OnnxForecaster(tmp_path / "s.onnx").predict(history), expected, atol=1e-5)
