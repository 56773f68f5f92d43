"""The ``stgkd`` command line: list, show and run experiments; fetch and inspect data."""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

import torch

from stgkd.distributed import backend_for, finish, init_from_env, launch, launched_size, world
from stgkd.registry import (EXPERIMENTS, PROFILES, DMSTExperiment, canonical_profile,
                            get_experiment, get_profile)
from stgkd.runner import run_experiment
from stgkd.io import StoredFileError
from stgkd.runs import load_result, read_result, result_path
from stgkd.runlock import RunLockedError


def _cmd_list(args) -> int:
    if args.runs and not args.needed:
        raise ValueError("--runs: expected it with --needed (it lists the runs still needed), "
                         "found it alone")
    if args.needed:
        return _list_needed(args)
    profiles = [args.profile] if args.profile else list(PROFILES)
    print(f"{'experiment':34} {'dataset':9} " + " ".join(f"{p:>7}" for p in profiles))
    unreadable = []
    for name, experiment in EXPERIMENTS.items():
        done = []
        for profile in profiles:
            seeds = sorted(result_path(profile, name, 0, args.results_dir).parent.glob("seed*.json"))
            bad = [path for path in seeds if not _readable(path, args.results_dir)]
            unreadable.extend(bad)
            cell = f"{len(seeds) - len(bad)}" + (f"+{len(bad)}!" if bad else "")
            done.append(f"{cell:>7}" if seeds else f"{'-':>7}")
        print(f"{name:34} {experiment.dataset:9} " + " ".join(done))
    print("\ncolumns: number of stored seeds per profile (+N! unreadable result files); "
          "profiles: " + "; ".join(f"{p.name} = {p.description}" for p in PROFILES.values()))
    for path in unreadable:
        print(f"unreadable: {path}", file=sys.stderr)
    return 0


def _list_needed(args) -> int:
    """``stgkd list --needed``: the runs that would bring every claim of the verdicts page
    (and the table rows no claim compares) to three paired seeds, and to five the claims
    whose interval cannot tell the paper's effect from none
    (:mod:`stgkd.report.resolution`); then the readings below their seed targets
    (:mod:`stgkd.report.readings_needed`); each with the commands."""
    from stgkd.report.readings_needed import readings_needed, readings_plan
    from stgkd.report.resolution import EXTRA_SEEDS, claims_needed
    from stgkd.report.seeds_needed import TARGET_SEEDS, rows_needed, settle_plan
    from stgkd.runs import load_results

    profile = args.profile or "full"
    results = load_results(args.results_dir, profile)
    if args.runs:   # one "experiment seed" line per run, most needed first
        from stgkd.report.run_queue import needed_runs
        for name, seed in needed_runs(results, profile):
            print(name, seed)
        return 0
    claims = claims_needed(results, profile)
    rows = rows_needed(results, profile=profile)
    for _, claim in claims.iterrows():
        print(f"{claim['source']}: {claim['statement']} ({claim['dataset']}): paired seeds "
              f"{claim['paired']}; add {claim['to_add']}")
    for _, row in rows.iterrows():
        print(f"{row['experiment']}: seeds {row['stored']}; add {row['to_add']}")
    plan = settle_plan(claims, rows, results, profile)
    if plan["runs"]:
        print(f"\nTo reach {TARGET_SEEDS} paired seeds ({EXTRA_SEEDS} where {TARGET_SEEDS} "
              f"cannot tell the paper's effect from none): {_plan_text(plan)}. Commands:\n")
        print("\n".join(plan["commands"]))
    else:
        print(f"every claim and table row has at least {TARGET_SEEDS} seeds under the "
              f"{profile} profile")
    readings = readings_needed(results, profile)
    print("\nThe other readings, below their seed targets:" if len(readings) else
          "\nevery other reading has the seeds asked of it")
    for _, row in readings.iterrows():
        print(f"{row['reading']}: {row['experiment']}: seeds {row['stored']}; "
              f"add {row['to_add']}")
    if len(readings):
        plan = readings_plan(readings, profile)
        print(f"\nTo reach their seed targets: {_plan_text(plan)}; a variant without a CPU "
              f"run of its own counts its base experiment's. Commands:\n")
        print("\n".join(plan["commands"]))
    return 0


def _plan_text(plan: dict) -> str:
    """"12 runs; about 9 CPU hours for the 10 with a stored CPU time (...), 2 without one"."""
    runs, unknown = plan["runs"], plan["unknown"]
    return (f"{runs} runs; about {plan['hours']:.0f} CPU hours for the {runs - unknown} with "
            f"a stored CPU time (the median of each experiment's stored CPU runs)"
            + (f", {unknown} without one" if unknown else ""))


def _readable(path, results_dir) -> bool:
    try:
        read_result(path, results_dir)
        return True
    except StoredFileError:
        return False


def _cmd_show(args) -> int:
    if args.name.endswith(".toml") or args.name.startswith("user/"):
        from stgkd.userrun import show   # an experiment file's runs (stgkd.userconfig)
        return show(args.name, args.seed, args.results_dir, args.json)
    experiment = get_experiment(args.name)
    print(f"{experiment.name}: {experiment.description}")
    model = (f"model {experiment.model}" if isinstance(experiment, DMSTExperiment)
             else f"blocks {experiment.blocks}")
    print(f"  dataset {experiment.dataset}, {model}, paper row {experiment.paper_row!r}")
    result = load_result(args.profile, args.name, args.seed, args.results_dir)
    if result is None:
        print(f"  no {args.profile} result for seed {args.seed} yet: "
              f"stgkd run {args.name} --profile {args.profile} --seed {args.seed}")
        return 0
    print(f"  {args.profile} seed {args.seed}: {result['parameters']:,} parameters, best epoch "
          f"{result['best_epoch']}, {result['provenance']['wall_time_s']:.0f}s on "
          f"{result['provenance']['device']}")
    print(f"  {'horizon':8} {'MAE':>7} {'MAPE %':>7} {'RMSE':>7}")
    for horizon, m in result["test"].items():
        print(f"  {horizon:8} {m['mae']:7.3f} {m['mape']:7.3f} {m['rmse']:7.3f}")
    if args.json:
        print(json.dumps(result, indent=2))
    return 0


def seed_free_notes(names: list[str], seeds: list[int]) -> list[str]:
    """A note for each seed-free experiment (ARIMA) asked for a seed other than 0: that run
    repeats seed 0's forecast, whose one run already stands for every seed in a paired
    comparison. The run still goes ahead (e.g. to check that it is the same)."""
    from stgkd.registry import seed_free_experiments
    extra = [s for s in seeds if s != 0]
    if not extra:
        return []
    repeats = (f"seeds {', '.join(map(str, extra))} repeat" if len(extra) > 1
               else f"seed {extra[0]} repeats")
    free = seed_free_experiments()
    return [f"note: {name} is seed-free (every seed gives the same forecast), so {repeats} "
            "seed 0's run, which stands for every seed in paired comparisons"
            for name in names if name in free]


def _cmd_run(args) -> int:
    if any(name.endswith(".toml") for name in args.names):
        return _run_files(args)
    get_profile(args.profile)
    names = list(EXPERIMENTS) if args.names == ["all"] else args.names
    for name in names:
        get_experiment(name)
    for note in seed_free_notes(names, args.seeds):
        print(note, file=sys.stderr, flush=True)
    if args.jobs < 1:
        raise ValueError(f"--jobs: expected at least 1 run at a time, found {args.jobs}")
    check_device(args.device)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.nproc > 1 or launched_size() > 1:
        return _run_data_parallel(names, args)
    if args.jobs > 1:
        return _run_concurrently(names, args)
    for name in names:
        for seed in args.seeds:
            print(f"== {name} | profile {args.profile} | seed {seed} | {args.device}", flush=True)
            result = run_experiment(name, args.profile, seed, args.device, args.results_dir,
                                    force=args.force, progress=not args.quiet,
                                    compile=args.compile,
                                    teacher_cache=not args.no_teacher_cache)
            maes = " / ".join(f"{m['mae']:.3f}" for m in result["test"].values())
            print(f"   test MAE {maes} ({', '.join(result['test'])}) -> "
                  f"{result_path(args.profile, name, seed, args.results_dir)}", flush=True)
    return 0


def _run_files(args) -> int:
    """``run my_network.toml``: the runs of experiment files (stgkd.userrun); the file
    names its own seeds and device."""
    from stgkd.userrun import run_file
    if not all(name.endswith(".toml") for name in args.names):
        raise ValueError(f"run: expected experiment names or experiment files (.toml), not "
                         f"both, found {args.names}")
    if args.jobs > 1:
        raise ValueError("--jobs: the runs of an experiment file run one after another")
    if args.nproc > 1 or launched_size() > 1:
        raise ValueError(f"--nproc {max(args.nproc, launched_size())}: the runs of an experiment "
                         f"file train in one process each; data-parallel runs support the "
                         f"registered supervised STGCN experiments (e.g. kd/<dataset>/teacher)")
    if args.threads:
        torch.set_num_threads(args.threads)
    for path in args.names:
        run_file(path, args.results_dir, force=args.force, progress=not args.quiet,
                 teacher_cache=not args.no_teacher_cache)
    return 0


def _cmd_init(args) -> int:
    from stgkd.userconfig import write_template
    path = write_template(args.path, speed_csv=args.speed_csv, graph_csv=args.graph_csv)
    print(f"wrote {path}: set its data files, then `stgkd run {path}`")
    return 0


def check_device(device: str) -> None:
    """Raise ValueError unless ``device`` names a device torch can use here: ``cpu``,
    ``cuda`` or ``cuda:<index>`` with that GPU present, or ``mps`` where available."""
    try:
        parsed = torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(f"--device: expected cpu, cuda or cuda:<index>, found {device!r}") \
            from None
    if parsed.type == "cpu":
        return
    if parsed.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"--device {device}: expected a CUDA GPU, found none (torch "
                             f"{torch.__version__}); run on the CPU with --device cpu")
        count = torch.cuda.device_count()
        if parsed.index is not None and parsed.index >= count:
            raise ValueError(f"--device {device}: expected a GPU index below {count} (the GPUs "
                             f"present), found {parsed.index}")
        return
    if parsed.type == "mps" and torch.backends.mps.is_available():
        return
    raise ValueError(f"--device: expected cpu, cuda or cuda:<index>, found {device!r} (a "
                     f"{parsed.type} device is not available or not supported here)")


def _run_data_parallel(names: list[str], args) -> int:
    """``run --nproc N`` (or under torchrun): each run trained by N processes, each on its
    share of every batch (stgkd.distributed). Started as ``--nproc N``, this process checks
    the runs and launches the N processes, which run this same command line."""
    from stgkd.concurrent_runs import threads_per_job
    from stgkd.runner import data_parallel_refusal

    launched = launched_size()
    if launched > 1 and args.nproc not in (1, launched):
        raise ValueError(f"--nproc {args.nproc}: this process was started among {launched} "
                         f"processes (WORLD_SIZE={launched}); give the same number or leave "
                         f"--nproc out under torchrun")
    nproc = max(launched, args.nproc)
    if args.jobs > 1:
        raise ValueError(f"--jobs {args.jobs} --nproc {nproc}: expected one of them, found "
                         f"both; runs over several processes run one after another")
    for name in names:
        refusal = data_parallel_refusal(get_experiment(name), nproc)
        if refusal:
            raise ValueError(refusal)
    backend = backend_for(args.device)
    if backend == "nccl":
        gpus = torch.cuda.device_count()
        per_node = int(os.environ.get("LOCAL_WORLD_SIZE", nproc))
        if torch.device(args.device).index is not None or per_node > gpus:
            raise ValueError(f"--nproc {nproc} --device {args.device}: expected --device cuda "
                             f"and one GPU per process on each node ({per_node}), found "
                             f"{gpus} GPU(s)")
    if launched == 1:   # the launcher: start the processes, each running this command line
        threads = args.threads or threads_per_job(nproc)
        print(f"{len(names) * len(args.seeds)} run(s), each over {nproc} processes ({backend}, "
              f"{threads} CPU thread(s) each), on {args.device}", flush=True)
        return launch(args.argv, nproc, threads)
    device = init_from_env(args.device)
    rank = world()[0]
    try:
        for name in names:
            for seed in args.seeds:
                if rank == 0:
                    print(f"== {name} | profile {args.profile} | seed {seed} | {args.device} x "
                          f"{nproc} processes ({backend})", flush=True)
                result = run_experiment(name, args.profile, seed, device, args.results_dir,
                                        force=args.force, progress=not args.quiet and rank == 0,
                                        compile=args.compile)
                if rank == 0:
                    maes = " / ".join(f"{m['mae']:.3f}" for m in result["test"].values())
                    print(f"   test MAE {maes} ({', '.join(result['test'])}) -> "
                          f"{result_path(args.profile, name, seed, args.results_dir)}", flush=True)
    finally:
        finish()
    return 0


def _run_concurrently(names: list[str], args) -> int:
    """``run --jobs N``: each run in its own process, N at a time (stgkd.concurrent_runs)."""
    from stgkd.concurrent_runs import plan_jobs, run_command, run_jobs, threads_per_job

    threads = args.threads or threads_per_job(args.jobs)
    jobs = plan_jobs(names, args.seeds)
    print(f"{len(jobs)} runs, at most {args.jobs} at a time, {threads} CPU thread(s) each, "
          f"on {args.device}", flush=True)
    clock = time.perf_counter()

    def report(outcome) -> None:
        job = outcome.job
        status = ("done" if outcome.ok else "skipped" if outcome.returncode is None
                  else f"failed (exit status {outcome.returncode})")
        print(f"== {job.name} | seed {job.seed}: {status} after {outcome.seconds:.0f} s "
              f"({time.perf_counter() - clock:.0f} s since the start)", flush=True)
        lines = outcome.output.strip().splitlines()
        shown = [line for line in lines if line.lstrip().startswith("test MAE")] if outcome.ok \
            else lines[-15:]
        for line in shown:
            print(f"   {line.strip()}", flush=True)

    outcomes = run_jobs(jobs, lambda job: run_command(
        job, args.profile, args.device, threads, args.results_dir, compile=args.compile,
        teacher_cache=not args.no_teacher_cache, force=args.force), args.jobs, report)
    bad = [o for o in outcomes if not o.ok]
    print(f"{len(outcomes) - len(bad)} of {len(outcomes)} runs stored in "
          f"{time.perf_counter() - clock:.0f} s", flush=True)
    return 1 if bad else 0


def _cmd_data(args) -> int:
    from stgkd.data import LOADERS, DataFormatError, load_series
    if args.action == "info":
        names = args.names or [n for n in LOADERS if n not in ("synthetic", "custom")]
        missing = 0
        for name in names:
            try:
                series = load_series(name)
            except DataFormatError as error:
                # absent, or present and refused by the checks `stgkd run` applies too
                status = "not available" if "no such file" in error.found else "refused"
                print(f"{name}: {status}: {error}")
                missing += 1
                continue
            print(f"{name}: {series.values.shape[0]} steps ({series.n_days} days) x "
                  f"{series.n_nodes} nodes, {series.n_imputed} imputed cells, "
                  f"{int((series.weights > 0).sum())} weighted edges, from {', '.join(series.sources)}")
        return 1 if missing and args.names else 0  # a data set asked for by name must be there
    from stgkd.data.fetch import fetch
    for name in args.names:
        for path in fetch(name, args.dest):
            print(path)
    return 0


def _cmd_predict(args) -> int:
    from stgkd.predict import predict_file
    frame = predict_file(args.checkpoint, args.input, args.output, args.steps, args.graph,
                         header=args.header)
    if args.output is None:
        frame.to_csv(sys.stdout, float_format="%.4f")
    else:
        print(f"wrote {len(frame)} steps x {frame.shape[1]} nodes to {args.output}")
    return 0


def _cmd_export(args) -> int:
    from stgkd.export import export_onnx
    from stgkd.predict import load_checkpoint, read_graph_csv
    weights = read_graph_csv(args.graph) if args.graph is not None else None
    model, scaler = load_checkpoint(args.checkpoint, weights)
    path = export_onnx(model, args.output, args.steps)
    print(f"wrote {path}: input 'history' [B, 1, {model.config['n_his']}, "
          f"{model.config['n_nodes']}] z-scored with mean {scaler.mean:.4f} and std "
          f"{scaler.std:.4f}; output 'forecast' [B, {args.steps}, {model.config['n_nodes']}]")
    return 0


def _count(minimum: int, what: str):
    """An argparse type: an integer of at least ``minimum``, else a clear usage error."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, found {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected {what}, found {value}")
        return value
    return parse


_THREADS = _count(0, "a number of CPU threads, at least 1 (0: torch's choice)")
_JOBS = _count(1, "at least 1 run at a time")
_NPROC = _count(1, "at least 1 process")
_STEPS = _count(1, "at least 1 step ahead")
_SEED = _count(0, "a seed, a whole number of at least 0")


def _profile_name(text: str) -> str:
    """A profile named on the command line; a former name (``paper``) still works and
    says what it is called now (argparse then checks the name against the profiles)."""
    name = canonical_profile(text)
    if name != text:
        print(f"note: the profile {text!r} is now called {name!r}",
              file=sys.stderr)
    return name


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stgkd", description="Reproduce the STGCN knowledge-distillation and pruning paper "
        "and DMST-GNODE: run named experiments, store results, fetch data.",
        epilog="Example: stgkd run kd/pemsd7m/teacher --profile quick --seed 0")
    parser.add_argument("--results-dir", default=None,
                        help="results folder (default: $STGKD_RESULTS, else results/ of the checkout)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("list", help="list experiments and how many seeds each profile has stored")
    p.add_argument("--profile", type=_profile_name, choices=list(PROFILES),
                   help="show this profile only (default: every profile)")
    p.add_argument("--needed", action="store_true",
                   help="instead, list the runs each claim of the verdicts page still needs "
                   "for three paired seeds (five where three cannot tell the paper's effect "
                   "from none), then the runs the other readings need for their seed "
                   "targets (under --profile, default full), with their CPU hours and the "
                   "`stgkd run` commands")
    p.add_argument("--runs", action="store_true",
                   help="with --needed: print those runs alone, one 'experiment seed' line "
                   "each, each once, claims first, then table rows, then readings (the queue "
                   "benchmarks/device_grid.sh runs)")
    p.set_defaults(func=_cmd_list)

    p = sub.add_parser("show", help="describe an experiment and print its stored test metrics")
    p.add_argument("name", help="experiment name, e.g. kd/pemsd7m/teacher; or an experiment "
                   "file (.toml) or one of its runs, e.g. user/my_network/teacher")
    p.add_argument("--profile", type=_profile_name, default="full", choices=list(PROFILES))
    p.add_argument("--seed", type=_SEED, default=0)
    p.add_argument("--json", action="store_true", help="also print the whole result file")
    p.set_defaults(func=_cmd_show)

    p = sub.add_parser("run", help="train and evaluate experiments (resumes interrupted runs)",
                       description="Train and evaluate named experiments. Results go to "
                       "results/<profile>/<experiment>/seed<S>.json with a checkpoint beside it; "
                       "an interrupted run resumes from its last completed epoch.")
    p.add_argument("names", nargs="+", help="experiment names (see `stgkd list`), or `all`, "
                   "or experiment files (.toml, see `stgkd init`; they name their own seeds "
                   "and device)")
    p.add_argument("--profile", type=_profile_name, default="quick", choices=list(PROFILES),
                   help="smoke: seconds; quick: minutes; full: the KD paper's 50 epochs "
                   "(formerly called paper)")
    p.add_argument("--seed", dest="seeds", type=_SEED, nargs="+", default=[0], metavar="SEED",
                   help="one or more seeds (default 0)")
    p.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    p.add_argument("--threads", type=_THREADS, default=0,
                   help="CPU threads (default: torch's choice). Runs on the CPU give identical "
                   "numbers for the same seed and the same thread count")
    p.add_argument("--compile", action="store_true",
                   help="torch.compile the model (about 1.3x faster teacher steps on a CPU after "
                   "a minute of compiling; a run may resume with or without it)")
    p.add_argument("--no-teacher-cache", action="store_true",
                   help="distillation runs: run the teacher on every batch instead of computing "
                   "its outputs and correlations once (the cache needs about 8.3 GB of memory "
                   "for LSCD/LSTCD on PeMSD7(M), and keeps the teacher's spatial correlations in "
                   "float16)")
    p.add_argument("--force", action="store_true", help="re-run even if a result is stored")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.add_argument("--jobs", type=_JOBS, default=1, metavar="N",
                   help="run up to N experiments at once, each in its own process with its "
                   "share of the CPU threads (default 1: one after another in this process). "
                   "A run waits for the teacher or start checkpoint it needs; small models "
                   "share a GPU well, e.g. --device cuda --jobs 8")
    p.add_argument("--nproc", type=_NPROC, default=1, metavar="N",
                   help="train each run data-parallel over N processes on this machine "
                   "(torch.distributed: gloo on the CPU, NCCL with --device cuda, one GPU per "
                   "process), each on its share of every batch, the gradients summed: the same "
                   "steps as one process up to float rounding. One result and checkpoint, "
                   "written by the first process; resumable like any run, also with another N. "
                   "Supervised STGCN runs without pruning (teachers, students without KD, the "
                   "pruning bases); N at most the batch size. Under torchrun, leave it out: "
                   "torchrun --nproc-per-node 4 -m stgkd.cli run ... --device cuda")
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser("predict", help="forecast from a trained checkpoint and a speed matrix",
                       description="Read a speed matrix (CSV, one row per time step, one column "
                       "per node, in the units the model was trained on), take its last 12 rows "
                       "and write the rolled-out forecast: one row per step ahead.",
                       epilog="Example: stgkd predict results/full/kd/pemsd7m/student-lstcd/"
                       "seed0.pt --input recent.csv --output forecast.csv")
    p.add_argument("checkpoint", help="a run checkpoint, results/<profile>/<experiment>/seed<S>.pt")
    p.add_argument("--input", required=True, help="CSV speed matrix [time steps, nodes]")
    p.add_argument("--output", default=None, help="forecast CSV (default: print to stdout)")
    p.add_argument("--steps", type=_STEPS, default=9, help="steps ahead (default 9 = 45 min)")
    p.add_argument("--graph", default=None,
                   help="CSV [N, N] weight matrix (default: the graph of the checkpoint's data set)")
    p.add_argument("--header", action="store_true", help="the input's first row is a header")
    p.set_defaults(func=_cmd_predict)

    p = sub.add_parser("export", help="export a checkpoint's whole forecast to ONNX",
                       description="Write the model's multi-step forecast (streaming rollout, "
                       "graph baked in) as an ONNX file that onnxruntime runs on a CPU. "
                       "Needs pip install -e '.[deploy]'.")
    p.add_argument("checkpoint", help="a run checkpoint, results/<profile>/<experiment>/seed<S>.pt")
    p.add_argument("--output", required=True, help="the ONNX file to write")
    p.add_argument("--steps", type=_STEPS, default=9, help="steps ahead (default 9 = 45 min)")
    p.add_argument("--graph", default=None,
                   help="CSV [N, N] weight matrix (default: the graph of the checkpoint's data set)")
    p.set_defaults(func=_cmd_export)

    p = sub.add_parser("init", help="write a commented experiment file for your own data",
                       description="Write an experiment file (TOML) with every field at its "
                       "default, the KD paper's setting; `stgkd run FILE` then trains the "
                       "teacher, the students and the pruned models it names.",
                       epilog="Example: stgkd init my_network.toml && stgkd run my_network.toml")
    p.add_argument("path", help="the file to write (refused if it exists)")
    p.add_argument("--speed-csv", default="speeds.csv",
                   help="the speed CSV the file names (default speeds.csv)")
    p.add_argument("--graph-csv", default="distances.csv",
                   help="the distance (or weight) CSV the file names (default distances.csv)")
    p.set_defaults(func=_cmd_init)

    p = sub.add_parser("data", help="fetch data sets or describe the ones found")
    p.add_argument("action", choices=["fetch", "info"])
    p.add_argument("names", nargs="*", help="pemsd7m, losloop, pems08")
    p.add_argument("--dest", default="data", help="folder to fetch into (default ./data)")
    p.set_defaults(func=_cmd_data)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    # the command line each process of a data-parallel run (--nproc) runs again
    args.argv = list(sys.argv[1:] if argv is None else argv)
    try:
        return args.func(args)
    except BrokenPipeError:
        # the reader stopped early (`stgkd list --needed --runs | head`): not an error;
        # stdout goes to devnull so Python's flush at exit does not fail again
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (KeyError, ValueError, OSError, RunLockedError) as error:
        # bad names, bad data, unusable stored files, paths that cannot be written, a run
        # already in progress: the message says what and what to do, no traceback
        message = error.args[0] if isinstance(error, KeyError) and error.args else error
        print(f"error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted: the last completed epoch is saved; run the same command to resume",
              file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
