#!/bin/sh
# Times `eegnn train` built from an earlier commit against the working tree,
# alternately on the same synthetic dataset, and prints the median wall time
# of each and the ratio new / old. Also says whether the two runs' test
# metrics (metrics.json) agree: a refactoring should not change them.
#   bench/bench_versions.sh REV [TRAIN OPTIONS...]
#   ROUNDS (default 5): alternating rounds; THREADS (default 2)
# Default training job: the cnn on 40 subjects x 20 channels x 60 s at 128 Hz
# (participants:age, 2 s windows), 4 epochs. Outputs go to build/bench/versions/.
set -eu
cd "$(dirname "$0")/.."
REV=${1:?usage: bench/bench_versions.sh REV [train options...]}
shift
ROUNDS=${ROUNDS:-5}
THREADS=${THREADS:-2}
OUT=build/bench/versions
rm -rf "$OUT"
mkdir -p "$OUT/old"
git archive "$REV" | tar -x -C "$OUT/old"
cc -O1 -o "$OUT/amalgamate" tools/amalgamate.c
"$OUT/amalgamate" >/dev/null
cc -O2 -march=native -o "$OUT/eegnn_new" examples/eegnn.c -lm -lpthread
cc -O2 -march=native -o "$OUT/eegnn_old" "$OUT/old/examples/eegnn.c" -lm -lpthread
"$OUT/eegnn_new" synth "$OUT/bids" >/dev/null

if [ $# -eq 0 ]; then
    set -- --target participants:age --model cnn --epochs 4
fi
run() { # NAME TRAIN OPTIONS...: one training run, its wall time in seconds appended to NAME.times
    name=$1
    shift
    start=$(date +%s.%N)
    "$OUT/eegnn_$name" train --bids "$OUT/bids" --threads "$THREADS" --out "$OUT/run_$name" "$@" >/dev/null 2>&1 ||
        { echo "eegnn_$name train failed"; exit 1; }
    end=$(date +%s.%N)
    echo "$start $end" | awk '{printf "%.3f\n", $2 - $1}' >>"$OUT/$name.times"
}
i=0
while [ $i -lt "$ROUNDS" ]; do
    if [ $((i % 2)) -eq 0 ]; then
        run old "$@"
        run new "$@"
    else
        run new "$@"
        run old "$@"
    fi
    i=$((i + 1))
done
median() { sort -n "$1" | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
old=$(median "$OUT/old.times")
new=$(median "$OUT/new.times")
echo "eegnn train, $ROUNDS alternating rounds at $THREADS threads: $*"
echo "  $REV: median $old s"
echo "  working tree: median $new s"
echo "$new $old" | awk '{printf "  new / old: %.3f\n", $1 / $2}'
old_test=$(grep '"test":' "$OUT/run_old/metrics.json" | head -1)
new_test=$(grep '"test":' "$OUT/run_new/metrics.json" | head -1)
if [ "$old_test" = "$new_test" ]; then
    echo "  test metrics: identical"
else
    echo "  test metrics differ:"
    echo "    $REV: $old_test"
    echo "    working tree: $new_test"
fi
