#!/bin/sh
# Runs every benchmark: builds eegnn's programs (built-in sgemm, and a second
# build with OpenBLAS), then runs eegnn and PyTorch alternately at 1 and 2
# threads and prints the median step time of each, the ratio eegnn /
# PyTorch, and the share of the FP32 FMA peak (bench_peak.c, measured before
# and after the rounds) each reaches. Run from anywhere; uses /usr/bin/python3
# for PyTorch.
#   ROUNDS (default 5): alternating rounds; STEPS (default 10): timed steps
#   per run (after 3 warm-up steps). Medians are over all ROUNDS * STEPS steps.
set -eu
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-5}
STEPS=${STEPS:-10}
PY=${PYTHON:-/usr/bin/python3}
OUT=build/bench
mkdir -p "$OUT"
rm -f "$OUT"/*.steps

cc -O1 -o "$OUT/amalgamate" tools/amalgamate.c
"$OUT/amalgamate" >/dev/null
cc -O3 -march=native -std=c99 bench/bench_cnn.c -o "$OUT/bench_cnn" -lm -lpthread
cc -O3 -march=native -ffp-contract=fast -std=c99 bench/bench_peak.c -o "$OUT/bench_peak" -lpthread
cc -O3 -march=native -std=c99 bench/bench_gemm.c -o "$OUT/bench_gemm" -lm -lpthread
# the build a user writes without -march (runtime CPU dispatch picks the kernels)
cc -O2 -std=c99 bench/bench_cnn.c -o "$OUT/bench_cnn_plain" -lm -lpthread
cc -O2 -march=native -std=c99 bench/bench_cnn.c -o "$OUT/bench_cnn_o2native" -lm -lpthread
HAVE_OPENBLAS=0
if cc -O3 -march=native -std=c99 -DEEGNN_USE_OPENBLAS bench/bench_cnn.c -o "$OUT/bench_cnn_openblas" \
    -lopenblas -lm -lpthread 2>"$OUT/openblas_build.log"; then
    HAVE_OPENBLAS=1
else
    echo "OpenBLAS build failed (see $OUT/openblas_build.log); skipping it"
fi

# run NAME COMMAND...: appends the per-step times of one run to $OUT/NAME.steps
run() {
    name=$1
    shift
    "$@" | awk '$1 == "step_ms" { print $2 }' >>"$OUT/$name.steps"
}

"$OUT/bench_peak" 2 >"$OUT/peak_before.txt"
round=1
while [ "$round" -le "$ROUNDS" ]; do
    for t in 1 2; do
        run "eegnn_t$t" "$OUT/bench_cnn" "$t" "$STEPS" 3
        # OpenBLAS threads stay at 1: eegnn's own pool splits the work.
        [ "$HAVE_OPENBLAS" = 1 ] && run "openblas_t$t" env OPENBLAS_NUM_THREADS=1 "$OUT/bench_cnn_openblas" "$t" "$STEPS" 3
        run "pytorch_t$t" "$PY" bench/bench_cnn.py "$t" "$STEPS" 3
    done
    run plain_o2 "$OUT/bench_cnn_plain" 1 "$STEPS" 3
    run native_o2 "$OUT/bench_cnn_o2native" 1 "$STEPS" 3
    for p in $("$OUT/bench_cnn" 1 1 0 | awk '$1 == "cpu_paths" { $1 = ""; print }'); do
        EEGNN_CPU=$p run "path_$p" "$OUT/bench_cnn" 1 "$STEPS" 3
    done
    round=$((round + 1))
done

median() {
    sort -g "$1" | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

"$OUT/bench_peak" 2 >"$OUT/peak_after.txt"
# the peak of each thread count: the higher of the measurements before and after the rounds
peak() { cat "$OUT/peak_before.txt" "$OUT/peak_after.txt" | awk -v t="$1" '$1 == "peak_gflops" && $2 == t && $3 > m { m = $3 } END { print m }'; }
flop=$("$OUT/bench_cnn" 1 1 0 | awk '$1 == "flop_per_step" { print $2 }')

echo "CNN training step, batch 64 x 129 x 200 ($ROUNDS rounds x $STEPS steps; median ms)"
echo "FP32 FMA peak (bench_peak): $(peak 1) GFLOP/s at 1 thread, $(peak 2) at 2; $(awk -v f="$flop" 'BEGIN { printf "%.2f", f / 1e9 }') GFLOP per step"
printf "%-8s %12s %12s %12s %14s %16s %14s %14s\n" threads eegnn eegnn+oblas pytorch eegnn/pytorch oblas/pytorch \
    eegnn_peak% pytorch_peak%
for t in 1 2; do
    e=$(median "$OUT/eegnn_t$t.steps")
    p=$(median "$OUT/pytorch_t$t.steps")
    if [ "$HAVE_OPENBLAS" = 1 ]; then o=$(median "$OUT/openblas_t$t.steps"); else o=nan; fi
    awk -v t="$t" -v e="$e" -v o="$o" -v p="$p" -v f="$flop" -v pk="$(peak "$t")" \
        'BEGIN { printf "%-8s %12.2f %12.2f %12.2f %14.2f %16.2f %14.1f %14.1f\n", t, e, o, p, e / p, o / p,
                 100 * f / (e * 1e6) / pk, 100 * f / (p * 1e6) / pk }'
done
echo
echo "Build flags, 1 thread: cc -O2 (no -march) $(median "$OUT/plain_o2.steps") ms, cc -O2 -march=native" \
    "$(median "$OUT/native_o2.steps") ms: ratio $(awk -v a="$(median "$OUT/plain_o2.steps")" \
    -v b="$(median "$OUT/native_o2.steps")" 'BEGIN { printf "%.3f", a / b }')"
"$OUT/bench_gemm" 1024 5 >"$OUT/gemm.txt"
awk -v pk="$(peak 1)" '$1 == "kernel_gflops" { sub(",", "", $6); printf "GEMM micro-kernel alone (tile %s x %s, in cache): %.1f GFLOP/s, %.1f %% of the 1-thread peak\n", $4, $6, $2, 100 * $2 / pk }
    $1 == "sgemm_gflops" { printf "eegnn_sgemm %s x %s x %s, 1 thread: %.1f GFLOP/s, %.1f %% of the peak\n", $2, $2, $2, $3, 100 * $3 / pk }' "$OUT/gemm.txt"
printf "CPU paths (EEGNN_CPU), 1 thread, -O3 -march=native build:"
for f in "$OUT"/path_*.steps; do
    p=${f##*/path_}
    printf "  %s %.2f ms" "${p%.steps}" "$(median "$f")"
done
echo
