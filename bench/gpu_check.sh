#!/usr/bin/env bash
# Everything that needs a real GPU, in one run of a few minutes, for a machine that has one
# (an NVIDIA card with nvcc, or an AMD card with hipcc and ROCm):
#   1. builds tests/test_gpu.c with the vendor compiler for the card's architecture and runs it:
#      every routed op forward and backward against the CPU, the optimizer kernels, training
#      steps of EEGTransformer, EEGConformer and MLP, a 200-step curve, a failing launch;
#   2. builds bench/bench_gpu.cu (with cuBLAS on NVIDIA) and runs it: eegnn's SGEMM against
#      cuBLAS at 1024-4096 and on the transformer's linear layers, and training steps of a
#      transformer encoder layer, EEGTransformer and EEGConformer on the GPU against the CPU;
#   3. prints one summary table (and leaves the full logs in $OUT, default build/gpu_check).
# Without a device it says so and exits 0. CI never runs it; the simulator build
# (tests/test_gpu_build.sh) checks the same kernels without a device.
#   bash bench/gpu_check.sh
set -u
cd "$(dirname "$0")/.."
out=${OUT:-build/gpu_check}
mkdir -p "$out"
nvcc=$(command -v nvcc || true)
[ -z "$nvcc" ] && [ -x /usr/local/cuda/bin/nvcc ] && nvcc=/usr/local/cuda/bin/nvcc
hipcc=$(command -v hipcc || true)
t0=$(date +%s)

if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1 && [ -n "$nvcc" ]; then
  cap=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -1 | tr -d ' .')
  arch=sm_${cap:-90}
  device=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1)
  build() { "$nvcc" -x cu -O2 -arch="$arch" "$@" -lpthread; }
  bench_flags=(-DEEGNN_BENCH_CUBLAS -lcublas)
elif command -v rocminfo >/dev/null 2>&1 && [ -n "$hipcc" ] && rocminfo 2>/dev/null | grep -q 'gfx[0-9]'; then
  arch=$(rocminfo | grep -o 'gfx[0-9a-f]*' | head -1)
  device=$(rocminfo | grep -m1 'Marketing Name' | sed 's/.*: *//')
  build() { "$hipcc" -x hip -O2 --offload-arch="$arch" "$@" -lpthread; }
  bench_flags=()
else
  echo "gpu_check: no usable GPU (nvidia-smi with nvcc, or rocminfo with hipcc); nothing to do"
  exit 0
fi
echo "gpu_check: $device ($arch)"

status=0
if build -Itests -o "$out/test_gpu" tests/test_gpu.c >"$out/build_test.log" 2>&1; then
  "$out/test_gpu" >"$out/test_gpu.log" 2>&1 || status=1
else
  echo "gpu_check: test_gpu.c does not build (see $out/build_test.log)"
  status=1
fi
if build "${bench_flags[@]}" -o "$out/bench_gpu" bench/bench_gpu.cu >"$out/build_bench.log" 2>&1; then
  "$out/bench_gpu" >"$out/bench_gpu.log" 2>&1 || status=1
else
  echo "gpu_check: bench_gpu.cu does not build (see $out/build_bench.log)"
  status=1
fi

echo
echo "== summary: $device ($arch), $(( $(date +%s) - t0 )) s"
[ -s "$out/test_gpu.log" ] && {
  grep -E 'nodes on the GPU|optimizer|steps|^FAIL' "$out/test_gpu.log"
  tail -1 "$out/test_gpu.log"
}
[ -s "$out/bench_gpu.log" ] && cat "$out/bench_gpu.log"
exit $status
