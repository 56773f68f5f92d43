#!/usr/bin/env bash
# The efficiency chapter's GPU measurements in one call of about nine minutes, for a GPU
# machine lent for a short while (no installs: it uses the machine's python3 and its
# PyTorch, with this checkout on PYTHONPATH and the data sets in ./data or $STGKD_DATA).
#
#   OUT=/some/folder bash benchmarks/device_check.sh
#
# On a machine that reaches neither the data sets' sources nor ../shared, copy them first
# into ./data (git ignores it) and take that folder along, e.g. `cp -r ../shared/data data`.
#
# 1. the KD tables (Tables 2, 4, 5: teacher, student without KD, a student per loss) of
#    the full profile from scratch, 9 runs at a time, stopped after KD_LIMIT_S seconds
#    (default 420) if unfinished: $OUT/kd-tables.json (benchmarks/kd_tables_time.py);
# 2. with the time left of BUDGET_S (default 540), the speed benchmark of the teacher and
#    the student on the GPU, eager, compiled and the first implementation, training steps
#    too: $OUT/stgcn-speed-cuda.json, or .partial.json with the models it finished before
#    the budget ran out (benchmarks/stgcn_speed.py);
# 3. with the time still left, our STGCN against the public one (benchmarks/peer_stgcn.py,
#    reading the peer's code from PEER, default ../shared/peers/hazdzz-stgcn; where ../shared
#    is not there, copy it into ./data/peers and set PEER=data/peers/hazdzz-stgcn):
#    $OUT/peer-stgcn-cuda.json;
# 4. $OUT/device.txt (nvidia-smi, python and torch versions) and $OUT/log.txt.
#
# DEVICE (cuda), PROFILE (full) and SPEED_MODELS ("teacher student") may be
# set too, e.g. DEVICE=cpu PROFILE=smoke SPEED_MODELS=student to check this script on a CPU.
#
# Copy the JSON files into results/benchmarks/ (named as the scripts would name them:
# kd-tables-<machine>.json, <machine>.json) and commit them with this command as provenance.
set -uo pipefail
OUT=${OUT:?"set OUT to the folder the results go to"}
PYTHON=${PYTHON:-python3}
BUDGET_S=${BUDGET_S:-540}
KD_LIMIT_S=${KD_LIMIT_S:-420}
DEVICE=${DEVICE:-cuda}
PROFILE=${PROFILE:-full}
SPEED_MODELS=${SPEED_MODELS:-teacher student}
PEER=${PEER:-../shared/peers/hazdzz-stgcn}
start=$(date +%s)
mkdir -p "$OUT"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
export STGKD_DATA="${STGKD_DATA:-$PWD/data}"
exec > >(tee -a "$OUT/log.txt") 2>&1

{
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
    "$PYTHON" -c "import sys, torch; print(sys.version.split()[0], torch.__version__, \
torch.cuda.get_device_name() if torch.cuda.is_available() else 'no CUDA device')"
} | tee "$OUT/device.txt"

echo "== KD tables, $PROFILE profile, on $DEVICE, at most ${KD_LIMIT_S} s"
"$PYTHON" benchmarks/kd_tables_time.py --device "$DEVICE" --profile "$PROFILE" --jobs 9 \
    --time-limit "$KD_LIMIT_S" --out "$OUT/kd-tables.json"

left=$(( BUDGET_S - ($(date +%s) - start) ))
if (( left > 60 )); then
    echo "== speed benchmark on $DEVICE ($SPEED_MODELS), at most ${left} s"
    # shellcheck disable=SC2086 - the model names are words
    timeout --signal=TERM "$left" "$PYTHON" benchmarks/stgcn_speed.py --device "$DEVICE" \
        --models $SPEED_MODELS --no-checkpoints --repeats 10 --out "$OUT/stgcn-speed-$DEVICE.json"
    echo "speed benchmark exit status $?"
else
    echo "== no time left for the speed benchmark (${left} s)"
fi
left=$(( BUDGET_S - ($(date +%s) - start) ))
if (( left > 60 )) && [ -d "$PEER" ]; then
    echo "== the public STGCN side by side on $DEVICE, at most ${left} s"
    timeout --signal=TERM "$left" "$PYTHON" benchmarks/peer_stgcn.py --device "$DEVICE" \
        --peer "$PEER" --rounds 5 --out "$OUT/peer-stgcn-$DEVICE.json"
    echo "peer benchmark exit status $?"
else
    echo "== no peer benchmark (${left} s left, or $PEER absent)"
fi
echo "== done after $(( $(date +%s) - start )) s"
