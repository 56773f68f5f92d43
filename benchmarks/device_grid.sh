#!/usr/bin/env bash
# The seed grid of the full profile on a GPU machine lent for a short while: as many
# runs as fit in RUN_LIMIT_S seconds (default 480), JOBS at a time (default 12), then the
# files they wrote (finished results and checkpoints, and the resume states of runs cut
# by the limit) copied under $OUT/results with their paths kept. No installs: it uses
# the machine's python3 and its PyTorch, with this checkout on PYTHONPATH and the data
# sets in ./data or $STGKD_DATA.
#
#   OUT=/some/folder bash benchmarks/device_grid.sh
#
# Copy $OUT/results over results/ and commit; a cut run continues on any machine with
# the same `stgkd run <experiment> --seed <S> --profile full` (its resume state came back).
#
# GRID (default: the rows the claims compare, in the order the seeds are most needed,
# with seeds 3 and 4 of LSTCD and the student without KD on PeMSD7(M), whose three seeds
# cannot tell the paper's Table 4 difference from none (stgkd.report.resolution),
# PeMSD7(M)'s points of the correlation dose-response (share 0 and the two shares that
# stgkd.report.promising_shares picks from Los-loop's sweep by validation MAE), Table 5's
# rows with alpha1 from Table 3 (student-<loss>-t3), Table 8's Algorithm 1 arm with the
# correlation terms at that best share (kdis-lstcd-<level>-corr1e-1), then the
# DMST comparison's readings and ablations on Los-loop) is a list of
# "experiment:seeds" words; DEVICE (cuda), PROFILE (full) may be set, e.g.
#   DEVICE=cpu PROFILE=smoke JOBS=2 RUN_LIMIT_S=60 GRID="kd/losloop/student-lord:0" \
#     OUT=/tmp/grid bash benchmarks/device_grid.sh
# checks this script on a CPU, and PRINT_GRID=1 prints the grid it would run.
set -uo pipefail
OUT=${OUT:?"set OUT to the folder the results go to"}
PYTHON=${PYTHON:-python3}
RUN_LIMIT_S=${RUN_LIMIT_S:-480}
JOBS=${JOBS:-12}
DEVICE=${DEVICE:-cuda}
PROFILE=${PROFILE:-full}
K=kd/pemsd7m; P=prune/pemsd7m; L=kd/losloop; D=dmst/losloop
# the DMST comparison: seeds 1 and 2 of every model but ARIMA (seed-free: its one run
# stands for every seed) on both data sets; on Los-loop every model but ARIMA under each
# target scaling (the graph models' validation MAE picks the one all ten run under,
# stgkd.report.chosen_scaling), then DMST-GNODE under each scaling, ST module and ablation
DMST=""
for dataset in losloop pemsd7m; do
    for model in svr fc-lstm tgc-lstm ast-gcn mast-gcn st-gcn mst-gcn st-node dmst-gnode; do
        DMST+=" dmst/$dataset/$model:1,2"
    done
done
for model in st-gcn mst-gcn st-node svr fc-lstm tgc-lstm ast-gcn mast-gcn; do
    for option in boxcox-station zscore boxcox-mph-loss; do DMST+=" $D/$model-$option:0,1,2"; done
done
for option in boxcox-station zscore boxcox-mph-loss st-stgcn-glorot st-mst-gcn no-dynamic \
        no-pattern no-ode no-st; do
    DMST+=" $D/dmst-gnode-$option:0,1"
done
GRID=${GRID:-"$K/teacher:1,2 $K/student-no-kd:1,2,3,4 $K/student-lord:1,2 $K/student-lstcd:1,2,3,4 \
$P/base:1,2 $P/taylor-25:2 $P/kdis-lstcd-25:2 $P/taylor-50:2 $P/kdis-lstcd-50:2 \
$P/taylor-75:2 $P/kdis-lstcd-75:2 \
$K/student-lstcd-corr0:0,1,2 $K/student-lstcd-corr1e-2:0,1,2 $K/student-lstcd-corr1e-1:0,1,2 \
$L/student-lord-t3:0,1,2 $L/student-ltcd-t3:0,1,2 $L/student-lscd-t3:0,1,2 \
prune/losloop/kdis-lstcd-25-corr1e-1:0,1 prune/losloop/kdis-lstcd-50-corr1e-1:0,1 \
prune/losloop/kdis-lstcd-75-corr1e-1:0,1 $P/kdis-lstcd-25-corr1e-1:0,1 \
$P/kdis-lstcd-50-corr1e-1:0,1 $P/kdis-lstcd-75-corr1e-1:0,1 \
$K/student-lord-t3:0,1,2 $K/student-ltcd-t3:0,1,2 $K/student-lscd-t3:0,1,2 \
$K/student-lrd-l2:1,2 $K/student-lrd-kl:1,2 $K/student-lskd:1,2 \
$K/student-ltcd:1,2 $K/student-lscd:1,2 $DMST"}
# PRINT_GRID=1: print the grid, one "experiment:seeds" word a line, and stop
if [ "${PRINT_GRID:-0}" = 1 ]; then printf '%s\n' $GRID; exit 0; fi
mkdir -p "$OUT"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
export STGKD_DATA="${STGKD_DATA:-$PWD/data}"
exec > >(tee -a "$OUT/log.txt") 2>&1
start=$(date +%s)
marker=$(mktemp)   # files newer than this are what the runs wrote

{
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>/dev/null
    "$PYTHON" -c "import sys, torch; print(sys.version.split()[0], torch.__version__, \
torch.cuda.get_device_name() if torch.cuda.is_available() else 'no CUDA device')"
} | tee "$OUT/device.txt"

# One `stgkd run` per seed set (experiments that share their seeds run in one call, so a
# student can wait for its teacher's checkpoint there); the calls run side by side, each
# with its share of JOBS by the number of runs it holds.
declare -A by_seeds count
order=()
total=0
for word in $GRID; do
    name=${word%%:*}; seeds=${word#*:}
    [[ -v "by_seeds[$seeds]" ]] || order+=("$seeds")
    by_seeds[$seeds]+=" $name"
    n=$(( $(tr ',' '\n' <<< "$seeds" | wc -l) ))
    count[$seeds]=$(( ${count[$seeds]:-0} + n )); total=$(( total + n ))
done

echo "== $total runs in ${#order[@]} calls of stgkd run, $PROFILE profile, on $DEVICE, $JOBS at a time, at most ${RUN_LIMIT_S} s"
pids=()
for seeds in "${order[@]}"; do
    jobs=$(( (JOBS * ${count[$seeds]} + total - 1) / total ))
    echo "-- stgkd run${by_seeds[$seeds]} --seed ${seeds//,/ } --jobs $jobs"
    # shellcheck disable=SC2086 - the experiment names and seeds are words
    # setsid: each call leads its own process group, so the limit stops it and its jobs
    setsid "$PYTHON" -m stgkd.cli run ${by_seeds[$seeds]} --seed ${seeds//,/ } --profile "$PROFILE" \
        --device "$DEVICE" --jobs "$jobs" --quiet &
    pids+=($!)
done
running() { for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && return 0; done; return 1; }
while running && (( $(date +%s) - start < RUN_LIMIT_S )); do sleep 5; done
if running; then
    echo "== time limit: stopping the runs still going (their resume states stay)"
    for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null; done
    sleep 10
    for pid in "${pids[@]}"; do kill -KILL -- "-$pid" 2>/dev/null; done
fi
wait "${pids[@]}" 2>/dev/null

echo "== copying what the runs wrote to $OUT/results"
find "results/$PROFILE" -type f -newer "$marker" \( -name 'seed*.json' -o -name 'seed*.pt' \
    -o -name 'seed*.resume.pt' \) -print | while read -r path; do
    mkdir -p "$OUT/$(dirname "$path")"; cp "$path" "$OUT/$path"
done
find "$OUT/results" -name '*.json' 2>/dev/null | sed 's/^/finished: /'
echo "== done after $(( $(date +%s) - start )) s"
