"""Run profiles: how much of the data and how many epochs every registered row runs
under (``smoke``, ``quick``, ``full``), and the profiles' former names."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DMSTBudget:
    """The training budget of a neural DMST-GNODE comparison run under one profile
    (:func:`stgkd.dmst.run.run_dmst`): at most ``max_epochs``, stopping once the
    validation MAE has not improved for ``patience`` epochs (None: never early), each
    epoch at most ``epoch_windows`` training windows drawn afresh (None: all)."""

    max_epochs: int
    patience: int | None = None
    epoch_windows: int | None = None


@dataclass(frozen=True)
class Profile:
    """How much of the data and how many epochs an experiment runs with: ``epochs`` for
    an STGCN row, ``dmst`` for a DMST-GNODE comparison row, both on ``split_days``."""

    name: str
    epochs: int
    description: str
    dmst: DMSTBudget
    split_days: tuple[int, int, int] | None = None  # None: the data set's default split


# The DMST-GNODE paper trains for 600 epochs (its Fig. 13); on a CPU the full profile
# stops early once the validation MAE has not improved for 10 epochs, at 60 epochs at
# most, and an epoch is at most 1,344 windows (42 batches of 32): all of Los-loop's 1,325
# training windows, about a seventh of PeMSD7(M)'s 9,010, so that every data set gets the
# same number of steps (DMST-GNODE takes 2-4 s a batch on a 2-core CPU: a full PeMSD7(M)
# epoch would be 10-20 minutes).
PROFILES: dict[str, Profile] = {
    "smoke": Profile("smoke", 1, "three days of real data (1 train / 1 val / 1 test), one epoch; "
                     "seconds, for tests", DMSTBudget(1), (1, 1, 1)),
    "quick": Profile("quick", 3, "the full data set, three epochs; minutes on a laptop CPU",
                     DMSTBudget(3)),
    "full": Profile("full", 50, "the KD paper's training settings: 50 epochs, batch 50, "
                    "RMSProp 1e-3, x0.7 every 5 epochs; about an hour per teacher on a 2-core CPU",
                    DMSTBudget(60, patience=10, epoch_windows=1344)),
}

# Former profile names, still accepted on the command line and read in stored results:
# the full profile was called "paper" until that name was read as "the paper's number".
# Runs stored under the old name (``results/paper/``, ``"profile": "paper"``) are read
# as the profile it now names (stgkd.runs.store.profile_folder).
LEGACY_PROFILE_NAMES: dict[str, str] = {"paper": "full"}


def canonical_profile(name: str) -> str:
    """``name``, or the profile a former name now stands for (``"paper"`` -> ``"full"``)."""
    return LEGACY_PROFILE_NAMES.get(name, name)


def get_profile(name: str) -> Profile:
    """The profile ``name`` (a former name, :data:`LEGACY_PROFILE_NAMES`, gives the
    profile it now stands for); a KeyError listing every profile otherwise."""
    name = canonical_profile(name)
    if name not in PROFILES:
        raise KeyError(f"profile: expected one of {sorted(PROFILES)}, found {name!r}")
    return PROFILES[name]
