"""The "Reproduce" note under a table or figure of the book: the ``stgkd run`` commands
that produce it and the ``results/`` files it reads, generated from the experiment
registry (:data:`stgkd.registry.EXPERIMENTS`) and the stored runs, never typed by hand.

>>> print(reproduce_commands(["kd/losloop/student-lstcd"], "full", {}))  # doctest: +NORMALIZE_WHITESPACE
['stgkd run kd/losloop/teacher --profile full --seed 0',
 'stgkd run kd/losloop/student-lstcd --profile full --seed 0']
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import PurePosixPath

from stgkd.concurrent_runs import prerequisites
from stgkd.registry import EXPERIMENTS, TEACHER_SEED, Experiment, get_experiment
from stgkd.report.comparison import canonical_row
from stgkd.runs import PROFILE_PREFERENCE, profile_rank

# The profile a command names for an experiment nobody has run yet.
DEFAULT_PROFILE = "full"
# A command longer than this is continued on the next line (``\``) between names.
LINE_WIDTH = 88


def table_experiments(table: int) -> list[str]:
    """The registered experiments that fill a cell of the KD paper's ``table`` (2, 4, 5,
    7 or 8): same data set, same paper row (:func:`canonical_row`) and, where the
    experiment names one, the same setting; in registry order."""
    from stgkd.reference import kd_table
    cells = kd_table(table)
    keys = {(d, canonical_row(m), s) for d, m, s in
            zip(cells["our_dataset"], cells["model"], cells["setting"].fillna(""))}
    rows = {(d, m) for d, m, _ in keys}
    # the KD paper's tables hold STGCN rows only; a DMST row has no paper_setting
    return [name for name, e in EXPERIMENTS.items() if isinstance(e, Experiment) and e.paper_row
            and (e.dataset, canonical_row(e.paper_row)) in rows
            and (not e.paper_setting
                 or (e.dataset, canonical_row(e.paper_row), e.paper_setting) in keys)]


def stored_seeds(results: Iterable[dict], profile: str = "best") -> dict[str, tuple[str, list[int]]]:
    """``{experiment: (profile, seeds)}`` of the stored runs a page shows: under
    ``profile``, or under each experiment's best stored profile (full, else quick,
    else smoke) when ``profile`` is ``"best"``."""
    seeds: dict[str, dict[str, set[int]]] = {}
    for result in results:
        seeds.setdefault(result["experiment"], {}).setdefault(result["profile"], set()).add(
            int(result["seed"]))
    chosen = {}
    for name, by_profile in seeds.items():
        if profile == "best":
            best = min(by_profile, key=profile_rank)
        elif profile in by_profile:
            best = profile
        else:
            continue
        chosen[name] = (best, sorted(by_profile[best]))
    return chosen


def _level(name: str, memo: dict[str, int]) -> int:
    """0 for a run from scratch, else one more than the deepest run it builds on."""
    if name not in memo:
        memo[name] = 1 + max((_level(n, memo) for n in prerequisites(name)), default=-1)
    return memo[name]


def run_command(names: list[str], profile: str, seeds: list[int]) -> str:
    """``stgkd run <names> --profile <p> --seed <seeds>``, continued with ``\\`` between
    names past :data:`LINE_WIDTH`."""
    tail = f"--profile {profile} --seed {' '.join(map(str, seeds))}"
    lines, line = [], "stgkd run"
    for word in [*names, tail]:
        if len(line) + 1 + len(word) > LINE_WIDTH and line.strip() != "stgkd run":
            lines.append(line + " \\")
            line = "    " + word
        else:
            line += " " + word
    return "\n".join([*lines, line])


def reproduce_commands(experiments: Sequence[str], profile: str,
                       stored: dict[str, tuple[str, list[int]]]) -> list[str]:
    """The ``stgkd run`` commands, in the order to run them, that produce the runs of
    ``experiments``: the seeds stored (``stored``, from :func:`stored_seeds`) under the
    profile shown, seed 0 under ``profile`` (the full profile for ``"best"``) for an
    experiment not yet run, and seed 0, under the same profile, of every run they build
    on (a student's teacher, a pruning run's start checkpoint, a calibration run).
    A run that builds on others comes in a later command than those; one command per
    such step and (profile, seeds), in the order the experiments are given."""
    for name in experiments:
        get_experiment(name)
    fallback = DEFAULT_PROFILE if profile == "best" else profile
    runs: dict[tuple[str, str], set[int]] = {}

    def need(name: str, run_profile: str, seeds: Iterable[int]) -> None:
        for needed in prerequisites(name):
            need(needed, run_profile, [TEACHER_SEED])
        runs.setdefault((name, run_profile), set()).update(seeds)

    for name in experiments:
        run_profile, seeds = stored.get(name, (fallback, [TEACHER_SEED]))
        need(name, run_profile, seeds)
    levels: dict[str, int] = {}
    groups: dict[tuple[int, str, tuple[int, ...]], list[str]] = {}
    for (name, run_profile), seeds in runs.items():
        key = (_level(name, levels), run_profile, tuple(sorted(seeds)))
        groups.setdefault(key, []).append(name)
    order = sorted(groups, key=lambda key: (key[0], profile_rank(key[1])))
    return [run_command(groups[key], key[1], list(key[2])) for key in order]


def _seed_files(profile: str, experiment: str, seeds: Sequence[int], suffix: str) -> str:
    """``results/full/kd/losloop/teacher/seed{0,1}.json`` (one path for several seeds)."""
    folder = PurePosixPath("results", profile, *experiment.split("/"))
    pattern = str(seeds[0]) if len(seeds) == 1 else "{" + ",".join(map(str, seeds)) + "}"
    return f"{folder}/seed{pattern}{suffix}"


def reproduce_files(experiments: Sequence[str], profile: str,
                    stored: dict[str, tuple[str, list[int]]], checkpoints: bool = False
                    ) -> list[str]:
    """The result files a table or figure of ``experiments`` reads (and with
    ``checkpoints`` each run's ``.pt`` beside it), one line per experiment, the files
    not yet stored marked so."""
    fallback = DEFAULT_PROFILE if profile == "best" else profile
    lines = []
    for name in experiments:
        run_profile, seeds = stored.get(name, (fallback, [TEACHER_SEED]))
        paths = [_seed_files(run_profile, name, seeds, ".json")]
        if checkpoints:
            paths.append(_seed_files(run_profile, name, seeds, ".pt"))
        mark = "" if name in stored else " (not yet run)"
        lines.append(" and ".join(f"`{p}`" for p in paths) + mark)
    return lines


def reproduce_note(experiments: Iterable[str], profile: str = "best",
                   results: Iterable[dict] = (), checkpoints: bool = False,
                   also: Sequence[str] = (), what: str = "", one_seed: bool = False) -> str:
    """The "Reproduce" note of one table or figure, as Markdown: a collapsed block (HTML
    ``<details>``, which Jupyter and the built book both fold) with the commands of
    :func:`reproduce_commands` and the files of :func:`reproduce_files`.

    Args:
        experiments: the registered experiments the table or figure shows.
        profile: the page's profile parameter (``"best"`` or a profile name).
        results: the stored run results (e.g. :func:`stgkd.runs.load_results`): which
            seeds and profile each experiment is shown with.
        checkpoints: the figure also loads each run's checkpoint.
        also: other files it reads (e.g. a benchmark JSON), as paths.
        what: a few words after "Reproduce" (e.g. "Table 2").
        one_seed: the figure shows one run per experiment, the lowest seed stored (as
            :func:`stgkd.report.kd.pick_runs` picks it): only that seed is named.
    """
    if profile != "best" and profile not in PROFILE_PREFERENCE:
        raise ValueError(f"profile: expected 'best' or one of {list(PROFILE_PREFERENCE)}, "
                         f"found {profile!r}")
    experiments = list(dict.fromkeys(experiments))
    if not experiments and not also:
        raise ValueError("experiments: expected at least one experiment or file, found none")
    stored = stored_seeds(results, profile)
    if one_seed:
        stored = {name: (p, seeds[:1]) for name, (p, seeds) in stored.items()}
    title = f"Reproduce {what}".strip()
    parts = [f'<details class="reproduce"><summary>{title}</summary>', ""]
    if experiments:
        commands = reproduce_commands(experiments, profile, stored)
        parts += ["Run (a run already stored is skipped; a run that builds on another "
                  "comes after it):", "", "```bash", *commands, "```", ""]
    files = reproduce_files(experiments, profile, stored, checkpoints) + [f"`{p}`" for p in also]
    parts += ["Reads:", "", *(f"- {line}" for line in files), "", "</details>"]
    return "\n".join(parts)


def show_reproduce(*args, **kwargs) -> None:
    """Display :func:`reproduce_note` in a notebook (as Markdown)."""
    from IPython.display import Markdown, display

    display(Markdown(reproduce_note(*args, **kwargs)))
