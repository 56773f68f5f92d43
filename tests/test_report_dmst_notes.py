"""Sentences of the DMST chapter computed from the code and the runs."""
import re

import numpy as np
import pandas as pd
import pytest

from stgkd.data.boxcox import BoxCox
from stgkd.registry import PROFILES
from stgkd.report.dmst_notes import PAPER_EPOCHS, dmst_budget, floor_forecasts

from factories import fake_result


def test_budget_reads_the_profile_and_the_stored_optimiser():
    paper = PROFILES["full"].dmst
    runs = [fake_result("dmst/losloop/st-gcn", "full", train_config={"optimizer": "adam"}),
            fake_result("kd/losloop/teacher", "full",
                        train_config={"optimizer": "rmsprop"})]   # not a DMST run: ignored
    text = dmst_budget("full", runs)
    assert f"at most {paper.max_epochs} epochs of Adam" in text
    assert f"after {paper.patience} epochs" in text
    assert f"{PAPER_EPOCHS} epochs" in text
    assert dmst_budget("full", runs, short=True) == \
        f"at most {paper.max_epochs} epochs of Adam, not the DMST-GNODE paper's 600"
    # no stored run: the optimiser is not said
    assert "of Adam" not in dmst_budget("full")
    with pytest.raises(ValueError, match="profile"):
        dmst_budget("papr")


def _traces(predicted, true):
    return pd.DataFrame({"model": ["A"] * len(predicted), "window": range(len(predicted)),
                         "true": true, "predicted": predicted})


def test_floor_forecasts_counts_them_and_measures_the_band():
    rng = np.random.default_rng(0)
    speeds = np.clip(70 - rng.exponential(8, 5000), 2, None)  # free flow, a tail of jams: lambda > 1
    scaler = BoxCox.fit(speeds)
    assert scaler.lam > 1 and scaler.shift == 1.0
    run = fake_result("dmst/losloop/st-gcn", scaler=scaler.to_dict())
    traces = _traces([-1.0, -1.0, 30.0, 55.0], [10.0, 14.0, 28.0, 50.0])
    text = floor_forecasts(traces, run)
    assert "A 2 of 4 windows" in text
    # the band from the image's bound (reading -1) to the median speed there (12 mph):
    # ((12 + 1)^lam / lam - mean) / std - (-1 / lam - mean) / std = 13^lam / (lam * std)
    width = 13.0 ** scaler.lam / (scaler.lam * scaler.std)
    assert f"within {width:.2g} standard deviations" in text
    assert re.search(r"from 0 to 12\.0 mph", text)


def test_floor_forecasts_silent_without_forecasts_at_the_bound():
    scaler = BoxCox.fit(np.linspace(10, 70, 200))
    run = fake_result("dmst/losloop/st-gcn", scaler=scaler.to_dict())
    assert floor_forecasts(_traces([20.0, 30.0], [21.0, 29.0]), run) == ""
    assert floor_forecasts(_traces([-1.0], [5.0]), run.with_fields(scaling="zscore")) == ""


def test_floor_forecasts_also_explain_the_mph_loss_option_which_inverts_the_same_box_cox():
    rng = np.random.default_rng(0)
    scaler = BoxCox.fit(np.clip(70 - rng.exponential(8, 5000), 2, None))
    run = fake_result("dmst/losloop/st-gcn", scaler=scaler.to_dict(), scaling="boxcox-mph-loss")
    assert "A 1 of 2 windows" in floor_forecasts(_traces([-1.0, 30.0], [10.0, 28.0]), run)
