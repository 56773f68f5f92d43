"""Los-loop's published protocol: the 80/20 split by time step, windows across midnight,
and errors pooled over every step up to the horizon, checked by hand."""
import numpy as np
import pytest

from stgkd.data.series import TrafficSeries
from stgkd.protocols import (published_split_index, published_test_windows, pooled_metrics)


def test_split_and_windows_by_hand():
    # 20 steps of 2 stations: the last 20% are steps 16..19, windows of 2 + 1 steps
    values = np.arange(40, dtype=float).reshape(20, 2) + 1.0
    series = TrafficSeries("toy", values, np.array([[0.0, 1.0], [1.0, 0.0]]), steps_per_day=8)
    assert published_split_index(20) == 16
    windows = published_test_windows(series, n_his=2, n_pred=1)
    assert windows.shape == (2, 3, 2)                    # 4 steps, windows start at 16, 17
    assert np.array_equal(windows[0], values[16:19]) and np.array_equal(windows[1], values[17:20])
    with pytest.raises(ValueError, match="at least 5 steps"):
        published_test_windows(series, n_his=3, n_pred=2)


def test_errors_pool_every_step_up_to_the_horizon():
    true = np.full((1, 3, 1), 10.0)
    pred = true + np.array([1.0, -2.0, 3.0])[None, :, None]     # errors 1, -2, 3
    metrics = pooled_metrics(pred, true, steps=(1, 3), step_minutes=5)
    assert metrics["5min"]["mae"] == pytest.approx(1.0)
    assert metrics["15min"]["mae"] == pytest.approx(2.0)                 # (1 + 2 + 3) / 3
    assert metrics["15min"]["rmse"] == pytest.approx(np.sqrt(14 / 3))    # (1 + 4 + 9) / 3
    assert metrics["15min"]["mape"] == pytest.approx(20.0)
    # accuracy 1 - ||e|| / ||Y|| = 1 - sqrt(14) / sqrt(300)
    assert metrics["15min"]["accuracy"] == pytest.approx(1 - np.sqrt(14 / 300))


def test_summary_averages_seeds_and_adds_the_reported_figure():
    import pandas as pd
    from stgkd.report.protocol import published_protocol_summary
    runs = pd.DataFrame([
        {"experiment": "kd/losloop/teacher", "seed": s, "horizon_min": 15.0, "ours_mae": 3.0,
         "ours_rmse": 6.0, "mae": 2.0 + s, "rmse": 5.0 + 2 * s, "accuracy": 0.9}
        for s in (0, 1)])
    summary = published_protocol_summary(runs).set_index("experiment")
    row = summary.loc["kd/losloop/teacher"]
    assert row["n"] == 2 and row["mae"] == pytest.approx(2.5) and row["rmse"] == pytest.approx(6.0)
    assert row["rmse_std"] == pytest.approx(np.sqrt(2.0))        # std of 5 and 7
    paper = summary.loc["DMST-GNODE (its paper's abstract)"]
    assert paper["horizon_min"] == 20.0 and paper["rmse"] == pytest.approx(3.3422)
