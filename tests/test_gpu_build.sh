#!/usr/bin/env bash
# Builds examples/eegnn.c three ways (cc; hipcc for gfx1010+gfx1030; nvcc for sm_90 through
# eegnn_hip.h's table of HIP-to-CUDA names), skipping a GPU toolchain that is absent, and runs the
# CPU fallback: a GPU build started with --gpu on a machine without a usable device prints why
# and trains on the CPU to the same metrics as the CPU build. Also builds and runs tests/test_gpu.c
# with each compiler (it compares the GPU with the CPU on a device and skips cleanly without one).
# Ends with "gpu_build: N passed, N failed".
set -u
cd "$(dirname "$0")/.."
data=${EEGNN_DATA:-$(cd .. && pwd)/shared/data}
out=${EEGNN_TEST_OUT:-$PWD/build/tests}/gpu_build
rm -rf "$out"
mkdir -p "$out"
passed=0
failed=0
check() { # description, then a command that must succeed
  local what=$1
  shift
  if "$@" >"$out/last.log" 2>&1; then
    passed=$((passed + 1))
    echo "ok $what"
  else
    failed=$((failed + 1))
    echo "FAIL $what"
    tail -15 "$out/last.log"
  fi
}

hipcc=$(command -v hipcc || true)
nvcc=$(command -v nvcc || true)
[ -z "$nvcc" ] && [ -x /usr/local/cuda/bin/nvcc ] && nvcc=/usr/local/cuda/bin/nvcc

check "eegnn.c with eegnn_hip.h builds with cc (CPU only)" \
  cc -std=c99 -O2 -Wall -Wextra -Werror -o "$out/eegnn_cpu" examples/eegnn.c -lm -lpthread
bins=(cpu)
if [ -n "$hipcc" ]; then
  check "eegnn.c builds with hipcc for gfx1010 and gfx1030" \
    "$hipcc" -x hip -O2 --offload-arch=gfx1010 --offload-arch=gfx1030 -o "$out/eegnn_hip" examples/eegnn.c -lpthread
  check "test_gpu.c builds with hipcc" \
    "$hipcc" -x hip -O2 --offload-arch=gfx1010 --offload-arch=gfx1030 -Itests -o "$out/test_gpu_hip" tests/test_gpu.c -lpthread
  [ -x "$out/eegnn_hip" ] && bins+=(hip)
else
  echo "skip: hipcc not found (apt-get install hipcc), AMD build not checked"
fi
if [ -n "$nvcc" ]; then
  check "eegnn.c builds with nvcc for sm_90 (HIP names renamed to CUDA)" \
    "$nvcc" -x cu -O2 -arch=sm_90 -o "$out/eegnn_cuda" examples/eegnn.c -lpthread
  check "test_gpu.c builds with nvcc" \
    "$nvcc" -x cu -O2 -arch=sm_90 -Itests -o "$out/test_gpu_cuda" tests/test_gpu.c -lpthread
  [ -x "$out/eegnn_cuda" ] && bins+=(cuda)
else
  echo "skip: nvcc not found, NVIDIA build not checked"
fi

opts=(train --bids "$data/bids/eegmmidb-s001" --task fistexec --target events:left_fist,right_fist --split run
  --model mlp --epochs 2 --threads 1 --quiet)
check "CPU-only build trains" "$out/eegnn_cpu" "${opts[@]}" --out "$out/run_ref"
for b in "${bins[@]}"; do
  check "$b build with --gpu --profile: message, CPU fallback, profile table" bash -c \
    "'$out/eegnn_$b' ${opts[*]} --gpu --profile --out '$out/run_$b' 2>'$out/err_$b.txt' &&
     grep -q 'training on the CPU' '$out/err_$b.txt' && grep -q '^linear .* cpu ' '$out/err_$b.txt'"
  check "$b build without a device gives the CPU build's metrics" /usr/bin/python3 -c "
import json
a = json.load(open('$out/run_ref/metrics.json')); b = json.load(open('$out/run_$b/metrics.json'))
for s in ('train', 'valid', 'test'):
    assert a[s] == b[s], (s, a[s], b[s])
"
done
for b in hip cuda; do
  [ -x "$out/test_gpu_$b" ] && check "test_gpu ($b build) runs or skips cleanly" \
    env EEGNN_DATA="$data" "$out/test_gpu_$b"
done
echo "gpu_build: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
