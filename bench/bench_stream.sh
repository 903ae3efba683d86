#!/usr/bin/env bash
# Streaming benchmark: writes a synthetic 129-channel 100 Hz BDF BIDS dataset of
# SIZE_GB gigabytes (default 20, or less when the disk lacks room), trains
# EEGNeX for one epoch with --max-memory 1G and prints the peak RSS of the
# training process (getrusage of children).
#   bench/bench_stream.sh [SIZE_GB] [DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
size_gb=${1:-20}
dir=${2:-build/bench-stream}
hours_per_subject=1
bytes_per_hour=$((129 * 100 * 3 * 3600)) # BDF: 3 bytes per sample
avail_kb=$(df -Pk "$(dirname "$dir")" 2>/dev/null | awk 'NR==2 {print $4}')
need_kb=$(awk -v g="$size_gb" 'BEGIN {printf "%d", g * 1048576 * 1.1}')
if [ -n "$avail_kb" ] && [ "$need_kb" -gt "$avail_kb" ]; then
  size_gb=$(awk -v a="$avail_kb" 'BEGIN {printf "%.1f", a / 1048576 / 2}')
  echo "not enough disk for the requested size; using ${size_gb} GB"
fi
subjects=$(awk -v g="$size_gb" -v b="$bytes_per_hour" -v h="$hours_per_subject" \
  'BEGIN {n = int(g * 1073741824 / (b * h) + 0.5); if (n < 3) n = 3; print n}')
cc -std=c99 -O2 -o build/eegnn examples/eegnn.c -lm -lpthread
if [ ! -f "$dir/participants.tsv" ] || [ "$(ls "$dir" | grep -c '^sub-')" -ne "$subjects" ]; then
  rm -rf "$dir"
  echo "writing $subjects subjects x ${hours_per_subject} h of 129-channel 100 Hz BDF to $dir"
  build/eegnn synth "$dir" --subjects "$subjects" --channels 129 --sfreq 100 \
    --duration $((hours_per_subject * 3600)) --seed 1
fi
echo "dataset: $(du -sh "$dir" | cut -f1) on disk"
/usr/bin/python3 - "$dir" <<'PY'
import resource, subprocess, sys, time
d = sys.argv[1]
cmd = ["build/eegnn", "train", "--bids", d, "--target", "participants:age", "--model", "EEGNeX",
       "--epochs", "1", "--batch-size", "64", "--max-memory", "1G", "--out", "build/bench-stream-out", "--quiet"]
t = time.time()
rc = subprocess.call(cmd)
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
print("exit %d, %.1f s, peak RSS %.1f MB (limit 1024 MB)" % (rc, time.time() - t, peak))
sys.exit(rc)
PY
