#!/usr/bin/env bash
# Builds examples/eegnn.c three ways (cc; hipcc for gfx1010+gfx1030; nvcc for sm_90 through
# eegnn_hip.h's table of HIP-to-CUDA names), skipping a GPU toolchain that is absent, and runs the
# CPU fallback: a GPU build started with --gpu on a machine without a usable device prints why
# and trains on the CPU to the same metrics as the CPU build. Also builds and runs tests/test_gpu.c
# with each compiler (it compares the GPU with the CPU on a device and skips cleanly without one).
# Then the simulator (EEGNN_HIP_SIM, plain C++, no GPU needed): tests/test_gpu.c's full comparisons
# at warp 32 and warp 64 and under AddressSanitizer + UBSan, an out-of-bounds write inside a kernel
# reported by AddressSanitizer (tests/sim_oob.c), and `eegnn train --gpu` of a simulator build of
# the program giving the CPU build's metrics with its nodes on the (simulated) device.
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
# hipcc and nvcc builds have the generic CPU kernels only (no runtime dispatch): their CPU fallback
# matches the CPU build on that path exactly
check "CPU-only build trains on the generic CPU path" env EEGNN_CPU=generic "$out/eegnn_cpu" "${opts[@]}" \
  --out "$out/run_ref_generic"
for b in "${bins[@]}"; do
  check "$b build with --gpu --profile: message, CPU fallback, profile table" bash -c \
    "'$out/eegnn_$b' ${opts[*]} --gpu --profile --out '$out/run_$b' 2>'$out/err_$b.txt' &&
     grep -q 'training on the CPU' '$out/err_$b.txt' && grep -q '^linear .* cpu ' '$out/err_$b.txt'"
  ref=run_ref
  [ "$b" = cpu ] || ref=run_ref_generic
  check "$b build without a device gives the CPU build's metrics ($ref)" /usr/bin/python3 -c "
import json
a = json.load(open('$out/$ref/metrics.json')); b = json.load(open('$out/run_$b/metrics.json'))
for s in ('train', 'valid', 'test'):
    assert a[s] == b[s], (s, a[s], b[s])
"
done
for b in hip cuda; do
  [ -x "$out/test_gpu_$b" ] && check "test_gpu ($b build) runs or skips cleanly" \
    env EEGNN_DATA="$data" "$out/test_gpu_$b"
done

# eegnn_hip.h selects nodes by op kind and reads them through the typed accessors only
check "eegnn_hip.h: no op-name comparison, no other module's private slots (ip, fp, iaux, EEGNN__SDPA_*)" \
  bash -c "! grep -nE 'str(n)?cmp\\([^)]*->op|->(ip|fp|iaux)\\[|EEGNN__SDPA_' eegnn_hip.h"

# the simulator: every kernel of eegnn_hip.h runs on the CPU, as written
sim=(-x c++ -std=c++11 -Wall -Wextra -Werror -DEEGNN_HIP_SIM -Itests)
for warp in 32 64; do
  check "test_gpu.c in the simulator at warp $warp: every op, the optimizers, training steps, 200-step curve" \
    bash -c "g++ ${sim[*]} -O2 -DEEGNN_HIP_SIM_WARP=$warp -o '$out/test_gpu_sim$warp' tests/test_gpu.c -lpthread &&
      '$out/test_gpu_sim$warp'"
done
check "test_gpu.c in the simulator under AddressSanitizer + UBSan" bash -c \
  "g++ ${sim[*]} -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined -o '$out/test_gpu_sim_san' \
     tests/test_gpu.c -lpthread && ASAN_OPTIONS=detect_leaks=1 '$out/test_gpu_sim_san'"
oob() {
  g++ "${sim[@]}" -O1 -g -fsanitize=address -o "$out/sim_oob" tests/sim_oob.c -lpthread || return 1
  ! "$out/sim_oob" >"$out/oob.txt" 2>&1 && grep -q "heap-buffer-overflow" "$out/oob.txt" &&
    grep -q "in sim_oob_fill" "$out/oob.txt"
}
check "an out-of-bounds write inside a kernel is an AddressSanitizer finding in the simulator" oob
simtrain() {
  g++ "${sim[@]}" -O2 -o "$out/eegnn_sim" examples/eegnn.c -lpthread || return 1
  "$out/eegnn_sim" "${opts[@]}" --gpu --out "$out/run_sim" 2>"$out/err_sim.txt" || { cat "$out/err_sim.txt"; return 1; }
  grep -q 'GPU 0: SIM' "$out/err_sim.txt" && grep -q 'nodes on the GPU' "$out/err_sim.txt" || { cat "$out/err_sim.txt"; return 1; }
  /usr/bin/python3 - "$out/run_ref/metrics.json" "$out/run_sim/metrics.json" <<'EOF'
import sys, json
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
for s in ('train', 'valid', 'test'):
    for k in ('loss', 'accuracy', 'balanced_accuracy', 'roc_auc'):
        assert abs(a[s][k] - b[s][k]) <= 1e-4 * max(1.0, abs(a[s][k])), (s, k, a[s][k], b[s][k])
print('simulator --gpu vs CPU: test loss', b['test']['loss'], a['test']['loss'])
EOF
}
check "eegnn train --gpu in a simulator build: nodes on the device, the CPU build's metrics" simtrain
echo "gpu_build: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
