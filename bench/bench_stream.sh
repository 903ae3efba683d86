#!/usr/bin/env bash
# Streaming benchmark: a synthetic 129-channel 100 Hz BDF BIDS dataset of
# SIZE_GB gigabytes (default 20; halved until it fits in half the free disk),
# one hour per subject, then `eegnn train` of EEGNeX at batch 64 with
# --max-memory 1G (so the recordings are streamed from disk), STEPS training
# steps whose batches are drawn at random from the whole training split and
# metrics on EVAL windows per split. Prints the data size, the times and the
# peak RSS of the training process (getrusage of the child).
#   bench/bench_stream.sh [SIZE_GB] [DIR]
#   STEPS (default 20), EVAL (default 640), THREADS (default 2),
#   UNIQUE (default 8): subjects written by `eegnn synth`; the others are byte
#   copies of them under new subject ids (writing 20 GB of synthetic signal
#   takes over 10 minutes on 2 cores; copying it, about one). UNIQUE=0: all
#   written by `eegnn synth`.
set -euo pipefail
cd "$(dirname "$0")/.."
size_gb=${1:-20}
dir=${2:-build/bench/stream/bids}
STEPS=${STEPS:-20}
EVAL=${EVAL:-640}
THREADS=${THREADS:-2}
UNIQUE=${UNIQUE:-8}
OUT=build/bench/stream
mkdir -p "$OUT" "$(dirname "$dir")"
bytes_per_subject=$((129 * 100 * 3 * 3600)) # BDF: 3 bytes per sample, 1 h
avail_kb=$(df -Pk "$(dirname "$dir")" | awk 'NR==2 {print $4}')
[ -d "$dir" ] && avail_kb=$((avail_kb + $(du -sk "$dir" | cut -f1)))
while awk -v g="$size_gb" -v a="$avail_kb" 'BEGIN {exit !(g * 1048576 > a / 2)}'; do
  size_gb=$(awk -v g="$size_gb" 'BEGIN {print g / 2}')
  echo "not enough free disk; trying ${size_gb} GB"
done
subjects=$(awk -v g="$size_gb" -v b="$bytes_per_subject" \
  'BEGIN {n = int(g * 1073741824 / b + 0.5); if (n < 3) n = 3; print n}')
[ "$UNIQUE" -le 0 ] || [ "$UNIQUE" -gt "$subjects" ] && UNIQUE=$subjects

cc -O1 -o "$OUT/amalgamate" tools/amalgamate.c
"$OUT/amalgamate" >/dev/null
cc -std=c99 -O3 -march=native -o "$OUT/eegnn" examples/eegnn.c -lm -lpthread 2>/dev/null

t0=$(date +%s)
if [ ! -f "$dir/participants.tsv" ] || [ "$(ls "$dir" | grep -c '^sub-')" -ne "$subjects" ]; then
  rm -rf "$dir"
  echo "writing $UNIQUE subjects x 1 h of 129-channel 100 Hz BDF to $dir"
  "$OUT/eegnn" synth "$dir" --subjects "$UNIQUE" --channels 129 --sfreq 100 --duration 3600 --seed 1 >/dev/null
  if [ "$subjects" -gt "$UNIQUE" ]; then
    echo "copying them to $subjects subjects"
    i=$((UNIQUE + 1))
    while [ "$i" -le "$subjects" ]; do
      src=$(printf 'sub-%03d' $(((i - 1) % UNIQUE + 1)))
      dst=$(printf 'sub-%03d' "$i")
      mkdir -p "$dir/$dst/eeg"
      for f in "$dir/$src/eeg/"*; do
        b=$(basename "$f")
        cp "$f" "$dir/$dst/eeg/$dst${b#"$src"}"
      done
      awk -F '\t' -v s="$src" -v d="$dst" '$1 == s {$1 = d; print}' OFS='\t' "$dir/participants.tsv" \
        >>"$dir/participants.tsv.new"
      i=$((i + 1))
    done
    cat "$dir/participants.tsv.new" >>"$dir/participants.tsv"
    rm "$dir/participants.tsv.new"
  fi
fi
t1=$(date +%s)
data_bytes=$(find "$dir" -name '*.bdf' -printf '%s\n' | awk '{s += $1} END {printf "%.0f", s}')
echo "dataset: $subjects subjects, $(awk -v b="$data_bytes" 'BEGIN {printf "%.2f GB (%.0f MB of float32)", b / 1e9, b / 3 * 4 / 1e6}') of BDF in $dir (written in $((t1 - t0)) s)"
/usr/bin/python3 - "$dir" "$OUT" "$STEPS" "$EVAL" "$THREADS" <<'PY'
import resource, subprocess, sys, time
d, out, steps, ev, threads = sys.argv[1:6]
cmd = [out + "/eegnn", "train", "--bids", d, "--target", "participants:age", "--model", "EEGNeX",
       "--epochs", "1", "--batch-size", "64", "--max-memory", "1G", "--steps-per-epoch", steps,
       "--eval-windows", ev, "--threads", threads, "--valid", "0.2", "--test", "0", "--out", out + "/run"]
print(" ".join(cmd), flush=True)
t = time.time()
rc = subprocess.call(cmd)
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
print("exit %d, %.1f s, peak RSS %.1f MB (--max-memory 1G)" % (rc, time.time() - t, peak))
sys.exit(rc)
PY
