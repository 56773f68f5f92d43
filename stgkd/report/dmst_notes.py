"""Sentences of the DMST-GNODE chapter computed from the code and the stored runs: the
training budget of the comparison and why a traced forecast can sit below 0 mph."""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

# The DMST-GNODE paper trains for 600 epochs (the x axis of its Figure 13).
PAPER_EPOCHS = 600
OPTIMISER_NAMES = {"adam": "Adam", "rmsprop": "RMSProp", "sgd": "SGD"}


def dmst_budget(profile: str = "full", results: Iterable[dict] = (), short: bool = False) -> str:
    """The training budget of the DMST comparison under ``profile``, read from
    the profile's :class:`stgkd.profiles.DMSTBudget` and the run constants, beside the paper's 600
    epochs. The optimiser is the one the stored neural runs of that profile record
    (``train_config.optimizer``); it is left out while none is stored.

    ``short``: one clause for a table header ("at most 60 epochs of Adam, not the
    DMST-GNODE paper's 600").
    """
    from stgkd.dmst.run import BATCH_SIZE, LEARNING_RATE, LR_DECAY
    from stgkd.registry import PROFILES
    from stgkd.report.display import profile_label

    if profile not in PROFILES:
        raise ValueError(f"profile: expected one of {sorted(PROFILES)}, found {profile!r}")
    settings = PROFILES[profile].dmst
    optimisers = {str(r.get("train_config", {}).get("optimizer")) for r in results
                  if str(r.get("experiment", "")).startswith("dmst/") and r.get("profile") == profile
                  and r.get("train_config", {}).get("optimizer")}
    optimiser = (f" of {OPTIMISER_NAMES.get(next(iter(optimisers)), next(iter(optimisers)))}"
                 if len(optimisers) == 1 else "")
    epochs = f"at most {settings.max_epochs} epochs{optimiser}"
    if short:
        return f"{epochs}, not the DMST-GNODE paper's {PAPER_EPOCHS}"
    schedule = "constant" if LR_DECAY == 1 else f"x{LR_DECAY:g} per step"
    parts = [f"{epochs} (learning rate {LEARNING_RATE:g}, {schedule}; batch {BATCH_SIZE})"]
    if settings.patience is not None:
        parts.append(f"stopping after {settings.patience} epochs without a better validation MAE")
    if settings.epoch_windows is not None:
        parts.append(f"at most {settings.epoch_windows:,} training windows per epoch")
    return (f"DMST comparison budget ({profile_label(profile)}): {', '.join(parts)}; the "
            f"DMST-GNODE paper trains for {PAPER_EPOCHS} epochs")


def floor_forecasts(traces: pd.DataFrame, run: dict, units: str = "mph") -> str:
    """Why some traced forecasts sit below zero, for a figure's caption; "" when none do.

    With one Box-Cox exponent ``λ > 0`` for all stations (:class:`stgkd.data.boxcox.BoxCox`,
    the comparison's default scaling), the transform's image is bounded below; a scaled
    forecast below that bound has no inverse and is taken to the bound's reading,
    ``-shift`` (-1 for speeds, whose training minimum is above 0). The sentence counts the
    traced forecasts at that reading per model and says how narrow the scaled band of
    slow speeds is: from the bound up to the median speed measured where it happened,
    in standard deviations of the scaled values.

    Args:
        traces: rows of :func:`stgkd.report.dmst.prediction_traces` (``model, true,
            predicted``) of one node.
        run: a result of one of the traced models (its ``scaler``, ``scaling``).
    """
    from stgkd.data.boxcox import BoxCox

    # both options that train on one λ's Box-Cox scale invert through the same floor
    if traces.empty or run is None \
            or run.get("scaling", "boxcox") not in ("boxcox", "boxcox-mph-loss") \
            or not run.get("scaler"):
        return ""
    scaler = BoxCox.from_dict(run["scaler"])
    if scaler.lam <= 0:
        return ""
    floor = -scaler.shift
    at_floor = traces[np.isclose(traces["predicted"], floor, atol=1e-6)]
    if at_floor.empty:
        return ""
    windows = traces.groupby("model", sort=False)["window"].nunique()
    counts = at_floor.groupby("model", sort=False).size()
    listed = ", ".join(f"{model} {count} of {windows[model]}" for model, count in counts.items())
    speed = float(np.median(at_floor["true"]))
    edge = (-1.0 / scaler.lam - scaler.mean) / scaler.std     # the scaled image's lower bound
    width = float(scaler.transform(np.array([speed]))[0]) - edge
    return (f"The forecasts at {floor:g} {units} ({listed} windows) are scaled forecasts "
            f"below the lower bound of the Box-Cox transform's image, which the inverse maps "
            f"to that bound's reading, -shift = {floor:g} {units}: with one exponent "
            f"λ = {scaler.lam:.2f} fitted on all training speeds, every speed from 0 to "
            f"{speed:.1f} {units} (the median measured where it happened) lies within "
            f"{width:.2g} standard deviations of that bound on the scale the models learn, so "
            f"a small error there lands below it.")


def accuracy_rmse_consistency(series, test_start_day: int) -> list[str]:
    """Do the paper's RMSE and accuracy figures of one data set fit each other?

    The paper's accuracy is ``1 - ||Y - Ŷ||_F / ||Y||_F`` = ``1 - RMSE / RMS(Y)``, with
    RMS(Y) the root mean square of the measured values. From Los-loop's test day
    (``series``, the day starting at ``test_start_day``) this gives the accuracy the
    paper's RMSE implies and the RMSE its accuracy implies; for BKK and PeMS08, whose
    data we do not test on, the RMS(Y) their two figures imply.

    Returns:
        Three printed lines (Los-loop, BKK, PeMS08).
    """
    from stgkd.report.dmst import paper_figures
    first_test = test_start_day * series.steps_per_day
    rms_test = float(np.sqrt(np.mean(series.values[first_test:first_test
                                                   + series.steps_per_day] ** 2)))
    reported = paper_figures("losloop").set_index("metric")["paper_value"]
    lines = [f"Los-loop test day: RMS speed {rms_test:.1f} mph; the paper's RMSE "
             f"{reported['RMSE']} implies accuracy {1 - reported['RMSE'] / rms_test:.3f}; its "
             f"accuracy {reported['Accuracy']} implies RMSE "
             f"{(1 - reported['Accuracy']) * rms_test:.2f}"]
    for name in ("BKK", "pems08"):
        pair = paper_figures(name).set_index("metric")["paper_value"]
        lines.append(f"{name}: RMSE / (1 - accuracy) = RMS(Y) = "
                     f"{pair['RMSE'] / (1 - pair['Accuracy']):.1f}")
    return lines
