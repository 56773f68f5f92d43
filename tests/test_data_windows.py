"""Imputation, day-aware windows, the train-only z-score and split sizes."""
import math

import numpy as np
import pytest

from stgkd.data import DataFormatError, TrafficSeries, ZScore, day_windows, impute_linear
from stgkd.data import make_windows

NAN = np.nan


def test_impute_linear_middle_and_end_gaps():
    values = np.array([[NAN, 1.0], [2.0, 0.0], [NAN, 3.0], [NAN, 4.0], [5.0, 5.0], [NAN, 6.0]])
    filled, count = impute_linear(values)
    np.testing.assert_array_equal(filled[:, 0], [2, 2, 3, 4, 5, 5])  # ends copy nearest
    np.testing.assert_array_equal(filled[:, 1], [1, 0, 3, 4, 5, 6])  # zero kept as data
    assert count == 4
    assert np.isnan(values[0, 0])  # input untouched

    filled, count = impute_linear(values, zero_is_missing=True)
    np.testing.assert_array_equal(filled[:, 1], [1, 2, 3, 4, 5, 6])  # zero interpolated
    assert count == 5


def test_impute_linear_nan_only_station_names_file_and_column():
    values = np.array([[1.0, NAN, 0.0], [2.0, NAN, 0.0]])
    with pytest.raises(DataFormatError, match="speeds.csv") as info:
        impute_linear(values, "speeds.csv", zero_is_missing=True)
    assert "station column(s) [1, 2]" in str(info.value)


def test_day_windows_count_and_no_crossing():
    steps_per_day, frame, n_days = 6, 3, 3
    t = np.arange(n_days * steps_per_day, dtype=float)
    values = np.stack([t, t + 1000], axis=1)  # each cell encodes its time index
    windows = day_windows(values, 0, n_days, steps_per_day, frame)
    assert windows.shape == (n_days * (steps_per_day - frame + 1), frame, 2)
    times = windows[:, :, 0]
    np.testing.assert_array_equal(windows[:, :, 1], times + 1000)
    assert np.all(np.diff(times, axis=1) == 1)                       # consecutive steps
    assert np.all(times[:, 0] // steps_per_day == times[:, -1] // steps_per_day)  # one day
    np.testing.assert_array_equal(times[:, 0], [0, 1, 2, 3, 6, 7, 8, 9, 12, 13, 14, 15])
    later = day_windows(values, 1, 2, steps_per_day, frame)
    np.testing.assert_array_equal(later[:, 0, 0], [6, 7, 8, 9, 12, 13, 14, 15])


def test_day_windows_frame_longer_than_day():
    with pytest.raises(ValueError, match="does not fit"):
        day_windows(np.zeros((10, 1)), 0, 1, 5, 6)


def _series(values, steps_per_day):
    n = values.shape[1]
    return TrafficSeries("toy", values, np.zeros((n, n)), steps_per_day)


def test_zscore_fitted_on_train_days_only():
    # 3 days of 2 steps, 2 stations; train day: [[1, 3], [5, 7]] -> mean 4,
    # std sqrt((9 + 1 + 1 + 9) / 4) = sqrt(5); later days are far off on purpose.
    values = np.array([[1, 3], [5, 7], [100, 100], [100, 100], [1000, 1000], [1000, 1000]],
                      dtype=float)
    data = make_windows(_series(values, 2), (1, 1, 1), n_his=1, n_pred=1)
    assert data.scaler.mean == 4.0
    assert data.scaler.std == pytest.approx(math.sqrt(5), rel=1e-12)
    expected_train = (np.array([[[1, 3], [5, 7]]]) - 4) / math.sqrt(5)
    np.testing.assert_allclose(data.train.numpy(), expected_train, rtol=1e-6)
    np.testing.assert_allclose(data.test.numpy(), (1000 - 4) / math.sqrt(5), rtol=1e-6)
    assert data.scaler.inverse(data.scaler.transform(123.0)) == pytest.approx(123.0)
    assert (data.n_his, data.n_pred, data.split_days, data.n_nodes) == (1, 1, (1, 1, 1), 2)


def test_zscore_constant_series_keeps_unit_std():
    assert ZScore.fit(np.full((4, 2), 7.0)) == ZScore(7.0, 1.0)


@pytest.mark.parametrize("n_days, split, sizes", [
    (44, (34, 5, 5), (9112, 1340, 1340)),  # PeMSD7(M): 268 windows a day
    (7, (5, 1, 1), (1340, 268, 268)),      # Los-loop
])
def test_make_windows_split_sizes(n_days, split, sizes):
    # The real day structure (288 steps a day, 21-step frames) on one station keeps this fast.
    values = np.random.default_rng(0).uniform(20, 70, (n_days * 288, 1))
    data = make_windows(_series(values, 288), split)
    assert tuple(len(part) for part in (data.train, data.val, data.test)) == sizes
    assert data.train.shape[1:] == (21, 1) and data.train.dtype.is_floating_point
    # the first test window starts at the first step of the first test day
    scaled = data.scaler.transform(values[(split[0] + split[1]) * 288])
    assert float(data.test[0, 0, 0]) == pytest.approx(float(scaled[0]), rel=1e-6)


def test_make_windows_rejects_bad_splits():
    series = _series(np.ones((8, 1)), 2)
    with pytest.raises(ValueError, match="needs 5 days"):
        make_windows(series, (3, 1, 1), n_his=1, n_pred=1)
    with pytest.raises(ValueError, match="three positive"):
        make_windows(series, (2, 0, 1), n_his=1, n_pred=1)
