#!/bin/sh
# Model-zoo benchmarks against PyTorch 1.13, same machine, same thread count,
# eegnn and PyTorch alternating within one run:
#   the training step (batch 64, 129 x 200, AdamW) of every braindecode and
#   transformer model of the zoo, EEGNeX inference at batch 1 and 64; then
#   the peak RSS of 3-epoch training runs (bench_rss.py): EEGNeX on a small
#   dataset, the benchmark CNN on 60 subjects x 10 minutes, streamed.
# Prints the median ms of each, the ratio eegnn / PyTorch, and eegnn's
# speed-up from the first to the last thread count.
#   THREADS (default "1 2": the thread counts), ROUNDS (default 3), STEPS
#   (default 3 timed steps per run, after 1 warm-up step), MODELS (default
#   every model), RSS=0 to skip the memory run.
set -eu
cd "$(dirname "$0")/.."
THREADS=${THREADS:-1 2}
ROUNDS=${ROUNDS:-3}
STEPS=${STEPS:-3}
PY=${PYTHON:-/usr/bin/python3}
OUT=build/bench/models
mkdir -p "$OUT"
rm -f "$OUT"/*.steps

cc -O1 -o "$OUT/amalgamate" tools/amalgamate.c
"$OUT/amalgamate" >/dev/null
cc -O3 -march=native -std=c99 bench/bench_models.c -o "$OUT/bench_models" -lm -lpthread
cc -O3 -march=native -std=c99 examples/eegnn.c -o "$OUT/eegnn" -lm -lpthread

MODELS=${MODELS:-EEGNeX EEGNetv4 ShallowFBCSPNet Deep4Net BDTCN EEGTransformer EEGConformer}
CASES="EEGNeX:infer:1 EEGNeX:infer:64"
for m in $MODELS; do CASES="$CASES $m:train:64"; done
round=1
while [ "$round" -le "$ROUNDS" ]; do
    for c in $CASES; do
        model=${c%%:*}; rest=${c#*:}; mode=${rest%%:*}; batch=${rest#*:}
        steps=$STEPS
        [ "$batch" = 1 ] && steps=$((STEPS * 10))
        for t in $THREADS; do
            "$OUT/bench_models" "$model" "$mode" "$batch" "$t" "$steps" 1 |
                awk '$1 == "step_ms" { print $2 }' >>"$OUT/eegnn_$model.$mode.$batch.t$t.steps"
            "$PY" bench/bench_models.py "$model" "$mode" "$batch" "$t" "$steps" 1 |
                awk '$1 == "step_ms" { print $2 }' >>"$OUT/pytorch_$model.$mode.$batch.t$t.steps"
        done
    done
    round=$((round + 1))
done

median() {
    sort -g "$1" | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

echo "Model zoo, 129 channels x 200 samples ($ROUNDS rounds x $STEPS steps; median ms)"
printf "%-18s %-6s %6s %8s %12s %12s %14s %14s\n" model step batch threads eegnn pytorch eegnn/pytorch \
    eegnn_speedup
first=${THREADS%% *}
for c in $CASES; do
    model=${c%%:*}; rest=${c#*:}; mode=${rest%%:*}; batch=${rest#*:}
    e1=$(median "$OUT/eegnn_$model.$mode.$batch.t$first.steps")
    for t in $THREADS; do
        e=$(median "$OUT/eegnn_$model.$mode.$batch.t$t.steps")
        p=$(median "$OUT/pytorch_$model.$mode.$batch.t$t.steps")
        awk -v m="$model" -v s="$mode" -v b="$batch" -v t="$t" -v e="$e" -v p="$p" -v e1="$e1" \
            'BEGIN { printf "%-18s %-6s %6s %8s %12.2f %12.2f %14.3f %14.2f\n", m, s, b, t, e, p, e / p, e1 / e }'
    done
done

if [ "${RSS:-1}" != 0 ]; then
    echo
    echo "Peak RSS of 3-epoch training runs (synthetic 129-channel 100 Hz BIDS datasets):"
    # a small dataset: the model's activations dominate (EEGNeX keeps four
    # (64, 8..32, 129, 200) maps for backward in both libraries)
    "$PY" bench/bench_rss.py "$OUT/eegnn" 8 "${THREADS##* }" EEGNeX 60
    # a dataset of realistic size (60 subjects x 10 min, 1.8 GB as float32):
    # the data dominates; PyTorch + MNE hold it in memory, eegnn streams it
    "$PY" bench/bench_rss.py "$OUT/eegnn" 60 "${THREADS##* }" cnn 600 256M
fi
