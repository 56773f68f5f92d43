# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Efficiency
#
# The KD paper exists because of execution time: a student that answers much faster than
# its teacher with almost its accuracy. This chapter measures that, and what each of
# our optimisations bought, from the stored benchmark files (`results/benchmarks/`,
# written by `make benchmark` and `python benchmarks/distill_step.py`) and the stored
# runs. Every timing names the machine it was taken on; timings from different machines
# are not compared.
#
# The optimisations, each checked against the first implementation by a test:
#
# - **streaming rollout** (`stgkd.nn.streaming`): every STGCN layer is local in time, so
#   after the first full pass a forecast step computes one new time step per layer
#   instead of re-running the whole model (same numbers to 1e-5);
# - **torch.compile** of the model (`stgkd run --compile`) and of the streaming rollout
#   for single-window forecasts;
# - **ONNX export** (`stgkd export`), run by onnxruntime without PyTorch, for a single
#   window and for the streaming rollout of a batch (`stgkd.export.OnnxForecaster`);
# - for distillation: the **teacher cache** (the frozen teacher's outputs and
#   correlations computed once, not in every step) and the **fused correlation loss**
#   (the student's pairwise matrices, their error and its gradient in one compiled pass).

# %% tags=["parameters", "remove-cell"]
results_dir = None                # None: $STGKD_RESULTS, else results/ of the checkout
datasets = ["pemsd7m", "losloop"]  # one error-against-speed plot per data set

# %% tags=["remove-input"]
import matplotlib.pyplot as plt
import pandas as pd

from stgkd.report import (batch_ratio, Captions, compacted_training, distillation_steps,
                          dmst_epoch_costs, dmst_sparse_products, forecast_latency,
                          kd_tables_times,
                          load_average_text, load_benchmarks, load_scaling, lstcd_step_phases,
                          newest_per_machine, onnx_profile, pareto_frame, peer_comparison,
                          per_machine, power_law_fit, pruned_channels_kernel, pruning_steps,
                          reader_frame,
                          rollout_by_batch, rollout_speedups,
                          same_architecture_spread, scaling_plot, scaling_table, show,
                          show_step_profile, single_window_latency, student_teacher_ratio,
                          training_throughput, training_variants)
from stgkd.runs import load_results
from IPython.display import Markdown, display

caption = Captions()

pd.set_option("display.width", 200)
speed = load_benchmarks("stgcn_speed", results_dir)
distill = load_benchmarks("distill_step", results_dir)
by_batch = load_benchmarks("rollout_batch", results_dir)
prune_steps = load_benchmarks("prune_step", results_dir)
train_variants = load_benchmarks("train_step_variants", results_dir)
peers = load_benchmarks("peer_stgcn", results_dir)
latencies = load_benchmarks("forecast_latency", results_dir)
step_profiles = load_benchmarks("train_step_profile", results_dir)
machines = newest_per_machine(speed)   # the newest speed benchmark of each machine
# the one that timed the most models (the compacted pruned ones too) places the runs below
benchmark = max(machines, key=lambda b: len(b.get("rollout_1140", {}))) if machines else None
sources = pd.DataFrame([{"benchmark": bench.get("benchmark", "stgcn_speed"),
                         "machine": bench["machine"]["device"],
                         "torch": bench["machine"]["torch"], "commit": bench["commit"][:7],
                         "date": bench["created"][:10]}
                        for bench in machines + [b for b, _ in distill[:1] + by_batch[:1]
                                                 + prune_steps[:1] + train_variants[:1]
                                                 + peers[:1] + latencies[:1]]])
if len(sources):
    show(sources, index="benchmark", once=("machine", "torch"))
if benchmark is None:
    print("no speed benchmark stored yet: run `make benchmark`")

# %% [markdown]
# ## The 9-step rollout of 1140 windows
#
# Table 1's test time: the first implementation re-runs the whole model at each of the
# 9 steps; the streaming rollout computes only the newest step of each layer. The
# teacher's output layer (a temporal convolution over its last 4 steps with 128
# channels) must still be recomputed at every step, which bounds the gain.
#
# The streaming rollout is timed three ways, side by side in one benchmark run: eager
# PyTorch (`streaming_s`), under `torch.compile` (`compiled_s`) and exported to ONNX and
# run by onnxruntime (`onnx_s`); `fastest` names the quickest and `speedup` is the first
# implementation's time over it. Below the named architectures come the compacted
# pruned models of every stored `full`-profile pruning run (seed 0), each timed with
# its own kept channel counts on PeMSD7(M)'s 228 nodes: their real speed, not a masked
# model's zeros. The first implementation is timed for the named architectures only.
# Each machine's newest benchmark is shown (ONNX is timed on CPUs only).
#
# **Reproduce:** `make benchmark` (`benchmarks/stgcn_speed.py`); reads
# `results/benchmarks/*.json`.

# %% tags=["remove-input"]
def rollout_view(frame: pd.DataFrame) -> None:
    """The rollout table in two parts: the named architectures, then the compacted pruned
    models, seconds to 3 significant places."""
    named = ~frame["model"].str.contains("/")
    digits = {"parameters": 0, "speedup": 2, None: 2}
    show(frame[named], index="model", digits=digits,
         names={"first_s": "first (s)", "speedup": "speed-up"})
    pruned = frame[~named].dropna(axis=1, how="all")
    if len(pruned):
        display(Markdown(f"The {len(pruned)} compacted pruned models (seed 0, full profile):"))
        show(pruned.assign(model=pruned["model"].str.replace("prune/", "", regex=False)),
             index="model", digits=digits)


rollout_view(per_machine(rollout_speedups, machines)) if machines else "no benchmark"

# %% [markdown]
# How much of a difference is noise? Pruning runs that kept the same channel counts
# per layer have the same architecture, yet each is timed in its own process: on a
# shared machine their times differ by what the machine's load did in between. A
# difference between two models smaller than this spread says nothing.

# %% tags=["remove-input"]
spread = same_architecture_spread(benchmark) if benchmark else None
if spread is not None:
    spread = spread.assign(models=spread["models"].str.replace("prune/", "", regex=False)
                           .str.replace("prune/", "", regex=False))
    show(spread, index=["models", "variant"], digits=2,
         names={"max_over_min": "max / min"})
else:
    print("no benchmark")

# %% [markdown]
# ## One window, 9 steps ahead
#
# What a deployed forecaster sees: p50 and p95 latency of a single-window forecast.
# A plain eager rollout pays Python and operator overhead for each of its ~100 small
# operations per step; compiling the streaming rollout removes most of it, and inside
# the compiled forecast the convolutions whose kernel spans their whole input become
# single matrix products (`stgkd.nn.layers.time_conv`). A window of 228 nodes is too
# small to share between threads, so these latencies are timed on the benchmark's
# `latency_threads` (one thread per request, as a server would run them; older files
# used all threads).

# %% tags=["remove-input"]
for bench in machines:
    settings = bench["settings"]
    print(f"{bench['machine']['device']}: single-window latencies on "
          f"{settings.get('latency_threads') or settings['threads']} CPU thread(s)")
show(per_machine(single_window_latency, machines), index=["model", "variant"], digits=1
     ) if machines else "no benchmark"

# %% [markdown]
# Where does a one-window ONNX forecast's time go? Not to arithmetic: the streaming
# rollout exported as it is runs about 70 small operators per forecast step
# (convolutions and the layout reorders onnxruntime puts around them, slices, residual
# padding, one graph product per Chebyshev order), each costing about a microsecond of
# dispatch whatever its size. `stgkd export` therefore writes the *folded* rollout
# (`stgkd.nn.folded`): a temporal convolution is one matrix product over its stacked
# input steps with its residual added into the weight, the Chebyshev terms
# $T_1(\tilde L)X, T_2(\tilde L)X$ are one product with the constant matrix
# $[T_1 \mid T_2]$, and the LayerNorm runs without permutes; the same forecast to
# float32 rounding (a test checks it in float64) with a third of the operators.
# `python benchmarks/forecast_latency.py` times both exports, under onnxruntime's basic
# and full graph optimisation, beside the eager streaming rollout, all in the same rounds
# on one thread, and profiles the folded student with onnxruntime's profiler (the
# profiler adds its own cost to every operator, so only the shares are shown).
#
# The aim of a student forecast under half a millisecond is not met on this shared CPU.
# What bounds it is in the profile: the matrix products take the largest share, most of
# them the graph products, each of which streams the dense [228, 456] basis through the
# cache to multiply a handful of rows (a memory-bound product, whatever the row count);
# the rest is the dispatch of the remaining few hundred small operators. A sparse graph
# product (about 8 non-zeros per column of PeMSD7(M)'s $\tilde L$) would remove most of
# the first, but expressed in standard ONNX operators it needs a Gather along the node
# axis, which onnxruntime copies element by element: tried, it made the forecast ten
# times slower.

# %% tags=["remove-input"]
if latencies:
    latency_benchmark = latencies[0][0]
    print(f"{latency_benchmark['machine']['device']}, one thread, "
          f"{latency_benchmark['settings']['repeats']} forecasts per variant (the teacher a "
          f"tenth){load_average_text(latency_benchmark)}")
    latency_table = forecast_latency(latency_benchmark)
    latency_table["max_abs_diff"] = latency_table["max_abs_diff"].map("{:.1e}".format)
    show(latency_table, index=["model", "variant"], digits={"operators": 0, None: 3},
         names={"max_abs_diff": "max diff from eager"})
    profile = onnx_profile(latency_benchmark, "student")
    if len(profile):
        print("the folded student's forecast, onnxruntime's kernel time by operator type:")
        show(profile, index="operator", digits={"nodes": 0, None: 3})
else:
    print("no forecast-latency benchmark stored yet: python benchmarks/forecast_latency.py")

# %% [markdown]
# ## Student against teacher: Table 1's ratio
#
# The paper reports the student's rollout time as 0.547 s against the teacher's 3.423 s
# on a GTX 1080 (ratio 0.160, the student 6.3x faster). Ours, on each machine above:
# both eager streaming rollouts, and each model at its fastest variant (which may
# differ between the two: a small model gains more from removing per-operation
# overhead than a large one).

# %% tags=["remove-input"]
display(reader_frame(student_teacher_ratio(machines))) if machines else "no benchmark"

# %% [markdown]
# ### How many windows per forward pass?
#
# The rollouts above cut the 1140 windows into batches of 32, the evaluation's batch. A
# small model pays the per-operation overhead of each of those 36 batches; bigger
# batches pay it fewer times but move more memory per operation. The batch benchmark
# (`python benchmarks/rollout_batch.py`) times the same rollout of the teacher and the
# student at several batch sizes, each variant side by side in one run on one machine.
# The ratio table gives, per batch size, each model at its fastest variant there, and
# last each model at its fastest variant and batch size: what a user who tunes both
# would see. The machines are shared virtual ones whose speed moves from day to day, so
# a ratio is only taken between figures of one file.

# %% tags=["remove-input"]
if by_batch:
    batch_benchmark = by_batch[0][0]
    print(f"{batch_benchmark['machine']['device']}, {batch_benchmark['settings']['repeats']} "
          f"timed rollouts per cell after {batch_benchmark['settings']['warmup']} warm-up")
    show(rollout_by_batch(batch_benchmark), index=["model", "batch"])
    show(batch_ratio(batch_benchmark), index="batch")
    # the same rollout in the two files: how far the machine's speed moved between them
    speed_here = next((b for b in machines
                       if b["machine"]["device"] == batch_benchmark["machine"]["device"]), None)
    same = (batch_benchmark["models"].get("teacher", {}).get("streaming", {})
            .get(str(speed_here["settings"]["eval_batch"])) if speed_here else None)
    if same and "teacher" in speed_here["rollout_1140"]:
        print(f"the teacher's eager rollout in batches of {speed_here['settings']['eval_batch']}: "
              f"{speed_here['rollout_1140']['teacher']['mean_s']:.2f} s in the speed benchmark "
              f"({speed_here['created'][:10]}), {same['mean_s']:.2f} s here "
              f"({batch_benchmark['created'][:10]}); compare figures within one file only")
else:
    print("no batch benchmark stored yet: run `python benchmarks/rollout_batch.py`")

# %% [markdown]
# ## Training throughput
#
# Training windows per second (batch 50, forward and backward, RMSProp step): the eager
# model, which is the first implementation's training step, and the same model under
# `torch.compile` (`stgkd run --compile`), timed side by side in one benchmark run
# (NaN: the stored benchmark did not time compiled steps).

# %% tags=["remove-input"]
show(per_machine(training_throughput, machines), index="model",
     digits={"speedup": 2, None: 0}) if machines else "no benchmark"

# %% [markdown]
# ### A public STGCN, side by side
#
# How do these figures compare with someone else's STGCN? `python
# benchmarks/peer_stgcn.py` builds the widely used PyTorch STGCN of hazdzz/STGCN
# (LGPL-2.1; its model code is read at run time from a checkout beside this project and
# is not part of it) at the shapes nearest to our teacher and student on PeMSD7(M)'s
# graph: the same channel counts per block, Chebyshev graph convolution with $K_s = 3$,
# $K_t = 3$, 12 input steps. Its own design stays: both temporal convolutions of a block
# are GLUs and its output layer ends in two fully connected layers, hence its parameter
# counts. Both train and forecast in the same rounds, interleaved. The peer forecasts
# 9 steps only by re-running its whole model each step, so that row is also timed for
# ours; the last row sets our streaming rollout, how `stgkd` forecasts, against it.
# `ours_speedup` is how many times faster ours is.

# %% tags=["remove-input"]
if peers:
    peer_benchmark = peers[0][0]
    settings = peer_benchmark["settings"]
    print(f"{peer_benchmark['machine']['device']}, {settings['rounds']} rounds of "
          f"{settings['train_steps']} training steps of {settings['train_batch']} windows and "
          f"a rollout of {settings['windows']} windows{load_average_text(peer_benchmark)}")
    show(per_machine(peer_comparison, newest_per_machine(peers)), index=["model", "figure"],
         digits={"ours_speedup": 2, "ours": 3, "peer": 3, None: 0})
else:
    print("no peer benchmark stored yet: python benchmarks/peer_stgcn.py (needs the peer's "
          "code in ../shared/peers/hazdzz-stgcn)")

# %% [markdown]
# ### What else was tried for the training step
#
# The aim of a training step 1.5x faster than the first implementation's is not met on
# this CPU. `python benchmarks/train_step_variants.py` times the candidates
# side by side in one process, in interleaved rounds from the same starting weights,
# each after checking that its outputs (to 1e-5) and whole gradient (to 1e-4 of its norm)
# equal the eager model's: `torch.compile`; channels-last memory format; graph products
# with a CSR copy of the scaled Laplacian (3.6% of PeMSD7(M)'s entries are non-zero);
# a time-major [T, B, N, C] layout where every temporal convolution is three matrix
# products over contiguous time slices and the LayerNorm needs no permute, with dense or
# block-diagonal sparse graph products; and the compiled combinations. The layout helps
# only the teacher: with a handful of channels, its graph products become hundreds of
# [228, 228] x [228, 2] products, about as slow per flop as matrix-vector ones. A variant
# whose numbers differed would be listed with no timing.
#
# A later run (the first table, the teacher alone) adds exact reformulations: all
# Chebyshev terms beyond $T_0$ as one product with the constant $[T_1 \mid T_2]$
# (`cheb_basis`); every residual path, linear in all its modes, added into its layer's
# weight so that $P + x_{res} = \mathrm{conv}(x; W + E)$, with the GLU as ATen's fused
# `glu` (`folded_residual`, also with CSR graph products and compiled); and bfloat16
# autocast with float32 master weights (`bf16_autocast`), which changes the numbers and
# is therefore timed but marked not equal. This CPU has no bfloat16 instructions (no
# AVX-512 at all; the run records it), so PyTorch emulates bfloat16 and the variant is
# several times slower: it would only count on a CPU with AVX-512 BF16 or AMX, and then
# only after a full-profile teacher run shows the same accuracy. The newest run adds
# `component_blocks`: PeMSD7(M)'s graph has 11 connected components, so with the stations
# ordered by component $\tilde L$ is block-diagonal and each graph product becomes one
# product per component, with about a quarter of the multiplications; on this CPU the
# slices and the concatenation cost more than the multiplications saved, and the step is
# slower.
#
# What bounds the eager step is in PyTorch's profiler (`torch.profiler` over training
# steps of the teacher and the student, the tables after the variants, from
# `python benchmarks/train_step_profile.py --threads 2`): for the teacher, the
# convolutions (the temporal ones and the graph convolution's channel mix), whose
# backward pass through oneDNN costs several times their forward, then the graph
# products. The exact variants above remove copies, padding and dispatch around these
# kernels, not the kernels themselves, which is why none of them reaches 1.5x.

# %% tags=["remove-input"]
# every stored run of the benchmark, newest first: a later run may time new variants of
# one model only; ratios are read within one run
for variants_benchmark, _ in train_variants:
    settings = variants_benchmark["settings"]
    print(f"{variants_benchmark['created'][:10]}: {settings['rounds']} rounds of "
          f"{settings['steps']} steps of {settings['batch']} windows per variant, "
          f"{variants_benchmark['machine']['threads']} threads"
          + load_average_text(variants_benchmark)
          + ("" if settings.get("cpu_bf16_instructions") is None else
             f"; bfloat16 instructions on this CPU: {settings['cpu_bf16_instructions']}"))
    variants_table = training_variants(variants_benchmark, named=True)
    for column in ("max_abs_output_diff", "rel_gradient_diff"):   # too small for 2 decimals
        variants_table[column] = variants_table[column].map("{:.1e}".format)
    show(variants_table, index=["model", "variant"], digits=2,
         names={"max_abs_output_diff": "max output diff", "rel_gradient_diff": "gradient diff"})
if not train_variants:
    print("no training-variant benchmark stored yet: python benchmarks/train_step_variants.py")

# %% tags=["remove-input"]
if step_profiles:
    step_profile_benchmark = step_profiles[0][0]
    settings = step_profile_benchmark["settings"]
    print(f"{step_profile_benchmark['machine']['device']}, {settings['threads']} threads, "
          f"{settings['steps']} profiled steps of {settings['batch']} windows per model after "
          f"{settings['warmup']} unprofiled ones{load_average_text(step_profile_benchmark)}")
    show_step_profile(step_profile_benchmark, windows_digits=0,
                      profiler_note=" (the profiler's own cost is in every row)")
else:
    print("no training-step profile stored yet: python benchmarks/train_step_profile.py --threads 2")

# %% [markdown]
# The compacted pruned models train as what they are, smaller STGCNs: training windows
# per second of each distinct architecture among the stored pruning runs (seed 0; a
# fine-tuned `-ft1` run shares its parent's), eager and compiled, on PeMSD7(M)'s 228
# nodes, from the same benchmark run (`--checkpoints`).

# %% tags=["remove-input"]
with_checkpoints = [b for b, _ in train_variants if b["settings"].get("checkpoints")]
compacted = compacted_training(with_checkpoints[0]) if with_checkpoints else pd.DataFrame()
show(compacted.assign(model=compacted["model"].str.replace("prune/", "", regex=False),
                      experiments=compacted["experiments"].str.replace("prune/", "", regex=False)
                      .str.replace("prune/", "", regex=False)),
     index="model", digits=0) if len(compacted) else "no compacted models timed"

# %% [markdown]
# ## A distillation step
#
# Seconds per training step of the student under each loss, on PeMSD7(M). `cdist`: the
# teacher runs on every batch and the correlation losses are differentiated through
# PyTorch's `cdist`; `running`: the teacher runs on every batch, our kernels; `cached`:
# the teacher's answers come from the teacher cache. `epoch_min_best` is the epoch
# time the fastest variant implies (183 steps of 50 windows; LSKD's Table 6 batch is 16).

# %% tags=["remove-input"]
if distill:
    show(distillation_steps(distill[0][0]), index="loss",
         digits={"speedup": 2, "epoch_min_best": 2, None: 3})
else:
    print("no distillation-step benchmark stored yet: python benchmarks/distill_step.py")

# %% [markdown]
# Where an LSTCD step spends its time, by phase, with the previous correlation kernel
# and the current one (pairs visited by cyclic offset, every load contiguous; the same
# loss and gradient to float rounding), timed in interleaved steps at one thread
# (`python benchmarks/lstcd_step.py --threads 1 --steps 10`). The load average of the
# machine during the run is recorded; only the ratios hold across loads.

# %% tags=["remove-input"]
lstcd_steps = load_benchmarks("lstcd_step", results_dir)
if lstcd_steps:
    bench = lstcd_steps[0][0]
    print(f"{bench['created'][:10]}, {bench['machine']['device']}, load average "
          f"{bench['settings'].get('load_average_1min_before_after')}")
    phases = lstcd_step_phases(bench).drop(columns=["lord_s", "optimizer_s", "speedup_lscd"])
    show(phases, index=["dataset", "kernel"], digits=3,
         names={"lookup_s": "cache lookup (s)", "student_forward_s": "student forward (s)",
                "ltcd_s": "LTCD (s)", "lscd_s": "LSCD (s)", "backward_s": "backward (s)",
                "step_s": "step (s)", "speedup_step": "step speed-up"})
else:
    print("not measured yet: python benchmarks/lstcd_step.py --threads 1")

# %% [markdown]
# The same kernel inside Algorithm 1, where every pruning step removes channels: compiled
# once per channel count, it passed dynamo's recompile limit (8 shapes) early in a
# pruning run and ran the rest of it eagerly. The channel count is now a dynamic
# dimension of the one compiled kernel (`python benchmarks/pruned_channels_kernel.py
# --threads 1`: seven shrinking channel counts at a spatial and a temporal shape, each
# mode in a fresh process).

# %% tags=["remove-input"]
channel_kernels = load_benchmarks("pruned_channels_kernel", results_dir)
if channel_kernels:
    bench = channel_kernels[0][0]
    print(f"{bench['created'][:10]}, {bench['machine']['device']}")
    show(pruned_channels_kernel(bench), index="mode",
         digits={"shapes": 0, "speedup_over_eager": 2, None: 3},
         names={"calls_s": "timed calls (s)", "first_calls_s": "first calls (s)",
                "speedup_over_eager": "speed-up over eager"})
else:
    print("not measured yet: python benchmarks/pruned_channels_kernel.py --threads 1")

# %% [markdown]
# ## Cost against graph size
#
# How a training step grows with the number of stations, on synthetic random geometric
# graphs of 228 to 8,600 stations (8,600: the size of the largest public traffic sensor
# set), one window per step, one thread, each size and step in a fresh process: seconds
# and peak memory of a teacher's, a student's and an LSTCD step
# (`python benchmarks/graph_scaling.py --threads 1`). The LSTCD step's spatial term
# holds [B, T, N, N] pairwise matrices; above 2^28 entries it is computed a block of
# rows at a time, exactly, which keeps 8,600 stations within a few GB.

# %% tags=["remove-input"]

scaling = load_scaling(root=results_dir)
if scaling:
    show(scaling_table(scaling).round(3).rename_axis(columns=None), index="nodes")
else:
    print("not measured yet: python benchmarks/graph_scaling.py --threads 1")

# %% tags=["remove-input"]
if scaling:
    fits = power_law_fit(scaling, min_nodes=1000)
    fits["coefficient"] = fits["coefficient"].map("{:.2e}".format)   # seconds at 1 station
    fits["sizes"] = fits["sizes"].map(lambda sizes: ", ".join(f"{n:,}" for n in sizes))
    show(fits.round({"exponent": 2}), index="step")
    scaling_plot(scaling, min_nodes=1000)
    plt.show()
    caption("Seconds per training step against the number of stations (log-log), with the "
            "exponent of a least-squares power law fitted from 1,000 stations on.")

# %% [markdown]
# ## A DMST epoch
#
# Seconds per full-profile Los-loop epoch (42 training steps and the validation and
# test forecasts) of each graph model of the DMST comparison and of DMST-GNODE's
# variants, at one thread (`python benchmarks/dmst_epoch.py --threads 1`); a loaded
# machine makes these upper bounds.

# %% tags=["remove-input"]
dmst_epochs = load_benchmarks("dmst_epoch", results_dir)
if dmst_epochs:
    show(dmst_epoch_costs(dmst_epochs[0][0]), index="model",
         digits={"train_step_s": 2, "epoch_s": 0})
else:
    print("not measured yet: python benchmarks/dmst_epoch.py --threads 1")

# %% [markdown]
# Where a DMST-GNODE step goes, in PyTorch's profiler (`python
# benchmarks/dmst_step_profile.py --threads 1`, Los-loop, batch 32), beside ST-NODE, the
# other model built on the graph ODE. The matrix products are mostly the ODE's: each of
# the six ODE blocks (three graphs, two blocks each) multiplies its [B C T, N] state by an
# [N, N] graph at each of 4 Euler steps, and the backward pass does it again, twice for
# the learned graph. The distance and pattern graphs are fixed and sparse (the densities
# below), so the last table times their products as CSR products; the dynamic graph
# stays dense.

# %% tags=["remove-input"]
dmst_profiles = load_benchmarks("dmst_step_profile", results_dir)
if dmst_profiles:
    dmst_profile = dmst_profiles[0][0]
    settings = dmst_profile["settings"]
    display(Markdown(
        f"Measured on {dmst_profile['machine']['device']} with {settings['threads']} "
        f"thread(s): {settings['steps']} profiled steps of {settings['batch']} windows per "
        f"model after {settings['warmup']} unprofiled one(s). Graph density: "
        + ", ".join(f"{g} {100 * d:.1f}%" for g, d in settings["graph_density"].items())
        + load_average_text(dmst_profile) + "."))
    show_step_profile(dmst_profile, windows_digits=1)
    display(Markdown("**The fixed graphs' products as sparse CSR products** (median of "
                     "interleaved rounds; the loss difference after the same steps)"))
    sparse_products = dmst_sparse_products(dmst_profile)
    sparse_products["loss_relative_difference"] = sparse_products[
        "loss_relative_difference"].map("{:.1e}".format)
    show(sparse_products, index="model", digits=2,
         names={"dense_step_s": "dense step (s)", "sparse_step_s": "sparse step (s)",
                "loss_relative_difference": "loss difference (relative)"})
else:
    print("not measured yet: python benchmarks/dmst_step_profile.py --threads 1")

# %% [markdown]
# The matrix products, most of them the ODE's, are most of both steps, and copies and
# padding are a small part: the step is bound by the arithmetic of those products, not by
# dispatch. Sparse products for the two fixed graphs shorten it by the speed-up in the
# last table, less than the products' share suggests, because the learned graph's
# products, the feature and time mixing (`bmm`) and the backward pass through the
# temporal convolutions stay as they are. The runs keep the dense products: a sparse
# product adds in another order, so its results differ from the dense product's in the
# last bits (the losses above still agree after the timed steps), a run would no longer
# reproduce the stored seeds bit for bit, and this speed-up does not pay for that.

# %% [markdown]
# ## A pruning step of Table 7
#
# Table 7 prunes the teacher to the student's size in about ten steps, one epoch apart.
# Trained as a masked full-size model, every interval costs a teacher's step; compacted
# after each pruning step (`algorithm1(..., compact_each_step=True)`, the setting of the
# `teacher-kdis-lstcd` runs), each interval trains only the kept channels. Seconds per
# step on PeMSD7(M), Table 9's batch of 25, per interval and summed (`all`).

# %% tags=["remove-input"]
if prune_steps:
    show(pruning_steps(prune_steps[0][0]), index="interval")
else:
    print("no pruning-step benchmark stored yet: python benchmarks/prune_step.py")

# %% [markdown]
# ## The KD tables from scratch
#
# How long it takes to reproduce Tables 2, 4 and 5: the teacher, the student without KD
# and one student per distillation loss, trained and evaluated under the full profile
# with `stgkd run --jobs` (the students start once the teacher is stored). The target
# is under 15 minutes on one H100. `python benchmarks/kd_tables_time.py --device
# cuda --jobs 9` measures it on a GPU machine and stores the figure; on the 2-core CPU
# of these pages the same runs take about an hour per teacher. On a GPU lent for a few
# minutes, `benchmarks/device_check.sh` runs it with a time limit beside the GPU speed
# benchmark: a timing stopped at its limit is stored with `complete` false and the runs
# that finished, and says `under_target` only once it has run past the target.

# %% tags=["remove-input"]
kd_times = kd_tables_times(bench for bench, _ in load_benchmarks("kd_tables_time", results_dir))
if len(kd_times):
    show(kd_times)
else:
    print("not measured yet: needs a GPU, `python benchmarks/kd_tables_time.py --device cuda "
          "--jobs 9`")

# %% [markdown]
# ## Error against size and speed
#
# Every stored run on each data set: test MAE 45 minutes ahead against the measured
# rollout time of its model (each at its fastest variant), the marker size growing
# with the parameter count. A pruned run is placed at its own compacted model's time;
# every other run at its architecture's. Circled runs are on the Pareto front (no run
# is both faster and more accurate). The rollout times are of PeMSD7(M)'s 228 nodes;
# Los-loop has 207, so its runs would be slightly faster, in the same order.
#
# **Reproduce:** `make benchmark` and the stored runs; reads `results/benchmarks/*.json`
# and `results/<profile>/*/seed*.json`.

# %% tags=["hide-input"]
all_results = load_results(results_dir)
frames = {dataset: pareto_frame(all_results, benchmark, dataset) for dataset in datasets}
plotted = {d: f for d, f in frames.items() if not f.empty and f["rollout_s"].notna().any()}
if not plotted:
    print("no runs or no benchmark to plot yet")
else:
    kinds = sorted({a for f in plotted.values() for a in f["architecture"].astype(str)})
    colours = dict(zip(kinds, plt.get_cmap("tab10").colors))
    fig, axes = plt.subplots(1, len(plotted), figsize=(6.2 * len(plotted), 4.6), squeeze=False)
    for ax, (dataset, frame) in zip(axes[0], plotted.items()):
        frame = frame.dropna(subset=["rollout_s"])
        for kind, group in frame.groupby(frame["architecture"].astype(str)):
            ax.scatter(group["rollout_s"], group["error"], s=20 + group["parameters"] / 1500,
                       alpha=0.6, color=colours[kind], label=kind)
        front = frame[frame["pareto"]].sort_values("rollout_s")
        ax.scatter(front["rollout_s"], front["error"], s=60 + front["parameters"] / 1500,
                   facecolors="none", edgecolors="black", label="Pareto front")
        # only the Pareto front is named, alternately above and below: the other points
        # of one architecture share a rollout time and their names would overlap
        for i, (_, row) in enumerate(front.iterrows()):
            name = row["experiment"].split("/", 2)[-1]
            ax.annotate(name, (row["rollout_s"], row["error"]), fontsize=7,
                        xytext=(5, 6 if i % 2 == 0 else -11), textcoords="offset points")
        ax.set_xscale("log")
        ax.set_xlabel("rollout of 1140 windows, 9 steps (s, log scale)")
        ax.set_ylabel("test MAE at 45 min (mph)")
        ax.set_title(f"{dataset}: error against rollout time")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=8,
               frameon=False, bbox_to_anchor=(0.5, -0.06), markerscale=0.6)
    fig.tight_layout()
    plt.show()
    caption("Test MAE 45 minutes ahead of every stored run against the measured rollout time "
            "of its model (log scale), coloured by architecture, marker size growing with "
            "the parameter count; circled and named: the runs on the Pareto front.")

# %% tags=["remove-input", "hide-output"]
# every run, uncut, behind a toggle: a list of a hundred rows is looked up, not read
for dataset, frame in frames.items():
    display(Markdown(f"**{dataset}**: {len(frame)} runs, "
                     f"{int(frame['rollout_s'].notna().sum())} with a timing"))
    if frame.empty:
        continue
    show(frame.assign(experiment=frame["experiment"].str.split("/", n=1).str[-1])
         .drop(columns=["paper_row"]), index=["experiment", "seed"],
         digits={"rollout_s": 3, None: 3}, names={"error": "MAE 45 min"})
