#!/usr/bin/env bash
# The seed grid of the full profile on a GPU machine lent for a short while: as many
# runs as fit in RUN_LIMIT_S seconds (default 480), JOBS at a time (default 12), then the
# files they wrote (finished results and checkpoints, and the resume states of runs cut
# by the limit) packed under $OUT. No installs: it uses the machine's python3 and its
# PyTorch, with this checkout on PYTHONPATH and the data sets in ./data or $STGKD_DATA.
#
#   OUT=/some/folder bash benchmarks/device_grid.sh
#
# Unpack the parts over the repository and commit; a cut run continues on any machine with
# the same `stgkd run <experiment> --seed <S> --profile full` (its resume state came back).
#
# GRID (default: every run still needed, in the order `stgkd list --needed --runs` gives,
# stgkd.report.run_queue: the claims' runs, then the table rows no claim compares, then
# the other readings) is a list of "experiment:seeds" words; DEVICE (cuda), PROFILE
# (full) may be set, e.g.
#   DEVICE=cpu PROFILE=smoke JOBS=2 RUN_LIMIT_S=60 GRID="kd/losloop/student-lord:0" \
#     OUT=/tmp/grid bash benchmarks/device_grid.sh
# checks this script on a CPU, and PRINT_GRID=1 prints the grid it would run.
#
# The runs form one queue, JOBS at a time, each its own `stgkd run <experiment> --seed <S>`
# (students and pruning arms need only the seed-0 teacher and base checkpoints): a run that
# fails frees its slot for the next, and the runs most needed start first.
#
# What comes back: $OUT/log.txt, $OUT/device.txt and $OUT/results.tar.part-aa, -ab, ...
# (at most MAX_PARTS parts of PART_MB MiB): the results and resume states the runs wrote,
# finished results first, then resume and pruning states, then checkpoints, smallest first,
# up to MAX_MB MiB. Unpack with `cat results.tar.part-* | tar -x` in the repository's root.
#
# The DMST graph models need the DTW pattern graph of each data set, computed with
# dtaidistance: on a machine without it, set STGKD_CACHE to a copy of the pattern-graph
# cache (stgkd.dmst.graph_cache) made on one with it.
set -uo pipefail
OUT=${OUT:?"set OUT to the folder the results go to"}
PYTHON=${PYTHON:-python3}
RUN_LIMIT_S=${RUN_LIMIT_S:-480}
JOBS=${JOBS:-12}
DEVICE=${DEVICE:-cuda}
PROFILE=${PROFILE:-full}
PART_MB=${PART_MB:-15}
MAX_PARTS=${MAX_PARTS:-4}
MAX_MB=${MAX_MB:-$(( PART_MB * MAX_PARTS ))}
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
if [ -z "${GRID:-}" ]; then
    GRID=$("$PYTHON" -m stgkd.cli list --needed --runs --profile "$PROFILE" \
        | awk '{print $1 ":" $2}') || { echo "stgkd list --needed --runs failed" >&2; exit 1; }
fi
# PRINT_GRID=1: print the grid, one "experiment:seeds" word a line, and stop
if [ "${PRINT_GRID:-0}" = 1 ]; then printf '%s\n' $GRID; exit 0; fi
mkdir -p "$OUT"
export STGKD_DATA="${STGKD_DATA:-$PWD/data}"
exec > >(tee -a "$OUT/log.txt") 2>&1
start=$(date +%s)
marker=$(mktemp)   # files newer than this are what the runs wrote

{
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>/dev/null
    "$PYTHON" -c "import sys, torch; print(sys.version.split()[0], torch.__version__, \
torch.cuda.get_device_name() if torch.cuda.is_available() else 'no CUDA device')"
} | tee "$OUT/device.txt"

# the queue: one "experiment seed" line per run, in the grid's order
queue=$(mktemp)
for word in $GRID; do
    name=${word%%:*}
    tr ',' '\n' <<< "${word#*:}" | while read -r seed; do echo "$name $seed"; done
done > "$queue"
echo "== $(wc -l < "$queue") runs, $PROFILE profile, on $DEVICE, $JOBS at a time, at most ${RUN_LIMIT_S} s"

# each run's output comes at its end, its lines marked "[experiment seed]", then its
# exit status; setsid: the queue leads its own process group, so the limit stops it and
# every run in it
RUN='t0=$(date +%s); set -o pipefail; '"$PYTHON"' -m stgkd.cli run "$1" --seed "$2" \
--profile '"$PROFILE"' --device '"$DEVICE"' --threads 1 --quiet 2>&1 | tail -n 25 \
| sed "s|^|[$1 $2] |"; echo "[$1 $2] exit status $? after $(( $(date +%s) - t0 )) s"'
setsid xargs -P "$JOBS" -L 1 bash -c "$RUN" run < "$queue" &
pid=$!
while kill -0 "$pid" 2>/dev/null && (( $(date +%s) - start < RUN_LIMIT_S )); do sleep 5; done
if kill -0 "$pid" 2>/dev/null; then
    echo "== time limit: stopping the runs still going (their resume states stay)"
    kill -TERM -- "-$pid" 2>/dev/null; sleep 10; kill -KILL -- "-$pid" 2>/dev/null
fi
wait "$pid" 2>/dev/null

echo "== packing what the runs wrote into $OUT/results.tar.part-*"
# finished results, then resume states (a pruning arm's seed<S>.prune.pt with them: without
# it the arm prunes again, and on a GPU may choose other channels than its resume state
# holds), then checkpoints; smallest first within each; up to MAX_MB MiB in all (a file
# left out is named in the log)
list=$(mktemp)
for pattern in 'seed*.json' 'seed*.resume.pt' 'seed*.prune.pt' 'seed*[0-9].pt'; do
    find "results/$PROFILE" -type f -newer "$marker" -name "$pattern" -printf '%s %p\n' | sort -n
done | awk -v max=$(( MAX_MB * 1048576 )) '
    { if (total + $1 <= max) { total += $1; print $2 > "/dev/stdout" }
      else print "left out (over the size limit): " $2 > "/dev/stderr" }' > "$list"
tar -c -T "$list" | split -b "${PART_MB}m" - "$OUT/results.tar.part-"
grep 'seed[0-9]*\.json$' "$list" | sed 's/^/finished: /'
grep -E '(resume|prune)\.pt$' "$list" | sed 's/^/cut, resume state: /'
echo "== done after $(( $(date +%s) - start )) s"
