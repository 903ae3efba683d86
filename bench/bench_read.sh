#!/bin/sh
# Read benchmark: a 129-channel 100 Hz BDF of 10 minutes (written by
# `eegnn synth`) read and cut into 2 s float32 windows (200 samples,
# non-overlapping): eegnn (eegnn_read_raw + windowing, and eegnn_edf_open +
# eegnn_edf_read_samples per window; bench_read.c) against MNE 1.3
# (read_raw_bdf(preload=True) + get_data() + the same windowing;
# bench_read.py), alternating within one run. Prints the median ms of each,
# the ratios eegnn / MNE and the largest relative difference between the two
# arrays. Run from anywhere; uses /usr/bin/python3 for MNE.
#   ROUNDS (default 5) alternating rounds of REPEATS (default 3) reads each;
#   DURATION (default 600 s), CHANNELS (default 129).
set -eu
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-5}
REPEATS=${REPEATS:-3}
DURATION=${DURATION:-600}
CHANNELS=${CHANNELS:-129}
PY=${PYTHON:-/usr/bin/python3}
OUT=build/bench/read
mkdir -p "$OUT"
rm -f "$OUT"/*.ms

cc -O1 -o "$OUT/amalgamate" tools/amalgamate.c
"$OUT/amalgamate" >/dev/null
cc -O3 -march=native -std=c99 bench/bench_read.c -o "$OUT/bench_read" -lm -lpthread
cc -O3 -march=native -std=c99 examples/eegnn.c -o "$OUT/eegnn" -lm -lpthread
rm -rf "$OUT/bids"
"$OUT/eegnn" synth "$OUT/bids" --subjects 1 --channels "$CHANNELS" --sfreq 100 --duration "$DURATION" >/dev/null
bdf=$(ls "$OUT"/bids/sub-*/eeg/*_eeg.bdf)

round=1
while [ "$round" -le "$ROUNDS" ]; do
    "$OUT/bench_read" "$bdf" 200 "$REPEATS" "$OUT/eegnn.npy" >"$OUT/eegnn.log"
    awk '$1 == "whole_ms" { print $2 }' "$OUT/eegnn.log" >>"$OUT/whole.ms"
    awk '$1 == "stream_ms" { print $2 }' "$OUT/eegnn.log" >>"$OUT/stream.ms"
    "$PY" bench/bench_read.py "$bdf" 200 "$REPEATS" >"$OUT/mne.log"
    awk '$1 == "mne_ms" { print $2 }' "$OUT/mne.log" >>"$OUT/mne.ms"
    round=$((round + 1))
done

median() {
    sort -g "$1" | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

echo "BDF read + 2 s windows: $(du -h "$bdf" | cut -f1) file, $CHANNELS channels, 100 Hz, $DURATION s ($ROUNDS rounds x $REPEATS reads; median ms)"
grep '^windows' "$OUT/eegnn.log"
m=$(median "$OUT/mne.ms")
for name in whole stream; do
    e=$(median "$OUT/$name.ms")
    awk -v n="$name" -v e="$e" -v m="$m" \
        'BEGIN { printf "eegnn %-7s %9.2f ms   MNE %9.2f ms   eegnn/MNE %.4f (%.1fx faster)\n", n, e, m, e / m, m / e }'
done
"$PY" bench/bench_read.py "$bdf" 200 1 "$OUT/eegnn.npy" | grep max_rel_diff
