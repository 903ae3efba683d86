#!/usr/bin/env bash
# Runs the whole eegnn test suite from the repository root:
#   1. installs the reference tools when missing (Debian packages: PyTorch,
#      MNE, SciPy, scikit-learn, pandas; compilers),
#   2. checks that eegnn.h is what tools/amalgamate.c makes from src/ and that
#      its manual names every flag and public function (tests/check_manual.sh),
#      and that no module uses another's private names (tests/check_borders.py),
#   3. runs the reference scripts tests/ref_*.py (PyTorch/MNE/SciPy/sklearn),
#   4. builds every tests/test_*.c as C99 (-Wall -Wextra -Werror), as C++ and
#      under AddressSanitizer + UndefinedBehaviorSanitizer, and runs them,
#   5. runs the command-line checks in tests/test_cli.sh,
# and ends with one line "N passed, N failed".
# Where OpenBLAS, FFTW3 and zlib can be linked (a probe program calling each
# is compiled, linked and run) it also runs the builds of the tests that use
# them, and says which it skipped.
# Real EEG files are read from $EEGNN_DATA (default: ../shared/data).
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD

need=()
command -v cc >/dev/null || need+=(gcc)
command -v g++ >/dev/null || need+=(g++)
[ -x /usr/bin/python3 ] || need+=(python3)
for mod in torch:python3-torch mne:python3-mne scipy:python3-scipy sklearn:python3-sklearn pandas:python3-pandas numpy:python3-numpy; do
  /usr/bin/python3 -c "import ${mod%%:*}" >/dev/null 2>&1 || need+=("${mod#*:}")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null ||
    { echo "could not install ${need[*]}"; exit 1; }
fi

export EEGNN_DATA=${EEGNN_DATA:-$(cd .. && pwd)/shared/data}
export EEGNN_TEST_OUT=$root/build/tests
export PYTHONDONTWRITEBYTECODE=1
mkdir -p build "$EEGNN_TEST_OUT"
[ -d "$EEGNN_DATA" ] || { echo "shared data not found at $EEGNN_DATA (set EEGNN_DATA)"; exit 1; }

passed=0
failed=0
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }

# 2. the amalgamation is up to date
if cc -O1 -o build/amalgamate tools/amalgamate.c && build/amalgamate --check; then
  passed=$((passed + 1))
else
  fail "eegnn.h is stale"
fi

# 2b. the manual at the top of eegnn.h names every flag and public function
if out=$(bash tests/check_manual.sh 2>&1); then
  passed=$((passed + 1))
else
  printf '%s\n' "$out" | grep -E '^FAIL' | head -20
  fail "the manual (src/manual.h) is incomplete"
fi

# 2c. module borders: no module uses another's private names; no dependency cycle
if out=$(/usr/bin/python3 tests/check_borders.py 2>&1); then
  passed=$((passed + 1))
else
  printf '%s\n' "$out" | grep -E '^FAIL' | head -20
  fail "module borders (tests/check_borders.py)"
fi

# 3. reference data from PyTorch / MNE / SciPy / scikit-learn
for ref in tests/ref_*.py; do
  [ -e "$ref" ] || continue
  name=$(basename "$ref" .py); name=${name#ref_}
  echo "== reference: $ref"
  if /usr/bin/python3 "$ref" "$EEGNN_TEST_OUT/$name"; then passed=$((passed + 1)); else fail "$ref"; fi
done

# 4. unit tests: C99, C++ and sanitizer builds
cflags=(-std=c99 -Wall -Wextra -Werror -O2 -Itests)
cxxflags=(-x c++ -std=c++11 -Wall -Wextra -Werror -O1 -Itests)
sanflags=(-std=c99 -Wall -Wextra -Werror -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined -Itests)
run_test() { # variant binary
  local out rc
  out=$(cd "$root" && "$2" 2>&1); rc=$?
  printf '%s\n' "$out" | grep -E '^(FAIL|ERROR)|passed, [0-9]+ failed' | sed "s/^/[$1] /"
  local p f
  p=$(printf '%s\n' "$out" | sed -n 's/.*: \([0-9][0-9]*\) passed, \([0-9][0-9]*\) failed$/\1/p' | tail -1)
  f=$(printf '%s\n' "$out" | sed -n 's/.*: \([0-9][0-9]*\) passed, \([0-9][0-9]*\) failed$/\2/p' | tail -1)
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
  if [ $rc -ne 0 ] && [ "${f:-0}" = 0 ]; then
    printf '%s\n' "$out" | tail -20
    fail "$2 exited with status $rc"
  fi
}
for t in tests/test_*.c; do
  [ -e "$t" ] || continue
  name=$(basename "$t" .c)
  echo "== $name"
  if cc "${cflags[@]}" "$t" -o "build/$name" -lm -lpthread; then run_test c99 "build/$name"; else fail "$t does not build as C99"; fi
  if g++ "${cxxflags[@]}" "$t" -o "build/${name}_cpp" -lpthread; then run_test c++ "build/${name}_cpp"; else fail "$t does not build as C++"; fi
  if cc "${sanflags[@]}" "$t" -o "build/${name}_san" -lm -lpthread; then
    ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 run_test asan+ubsan "build/${name}_san"
  else
    fail "$t does not build with sanitizers"
  fi
done

# 4b. the optional back ends: OpenBLAS (matrix products), FFTW3 (FFT), zlib
#     (compressed MAT files). Each is used when a probe that calls it compiles,
#     links and runs: a header alone (netlib's cblas.h comes with libblas-dev,
#     which the reference packages pull in) is not enough.
probe() { # name, C source, link flags...
  local name=$1 src=$2
  shift 2
  printf '%s\n' "$src" >"build/probe_$name.c"
  cc -o "build/probe_$name" "build/probe_$name.c" "$@" >/dev/null 2>&1 && "build/probe_$name" >/dev/null 2>&1
}
if probe openblas '#include <cblas.h>
int main(void) { float a = 2, b = 3, c = 0; cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 1, 1, 1, 1.0f, &a, 1, &b, 1, 0.0f, &c, 1); return c != 6; }' -lopenblas; then
  for name in test_gemm test_ops_torch test_ops2; do
    echo "== $name (EEGNN_USE_OPENBLAS)"
    if cc "${cflags[@]}" -DEEGNN_USE_OPENBLAS "tests/$name.c" -o "build/${name}_openblas" -lopenblas -lm -lpthread; then
      OPENBLAS_NUM_THREADS=1 run_test openblas "build/${name}_openblas"
    else
      fail "tests/$name.c does not build with EEGNN_USE_OPENBLAS"
    fi
  done
else
  echo "== skipped: OpenBLAS builds (no linkable libopenblas; apt-get install libopenblas-dev)"
fi
# 4c. every CPU path this machine supports (src/ops/kernels.h: AVX-512, AVX2
#     and the baseline, chosen at run time; EEGNN_CPU forces one) against the
#     references; the builds above ran the best path. Then a -march=native
#     build, and one without runtime dispatch where EEGNN_CPU=avx512 must fall
#     back with a warning.
cpu_paths=$(build/test_gemm | sed -n 's/^cpu path: .* (supported: \(.*\))$/\1/p')
echo "== CPU paths: ${cpu_paths:-unknown}"
[ -n "$cpu_paths" ] || fail "build/test_gemm did not report the CPU paths"
for p in $cpu_paths; do
  [ "$p" = "${cpu_paths%% *}" ] && continue
  for name in test_gemm test_ops_torch test_ops2 test_transformer test_braindecode test_gradcheck; do
    echo "== $name (EEGNN_CPU=$p)"
    EEGNN_CPU=$p run_test "$p" "build/$name"
  done
done
echo "== test_gemm (-march=native)"
if cc "${cflags[@]}" -march=native tests/test_gemm.c -o build/test_gemm_native -lm -lpthread; then
  run_test native build/test_gemm_native
else
  fail "tests/test_gemm.c does not build with -march=native"
fi
echo "== test_gemm (EEGNN_NO_CPU_DISPATCH, EEGNN_CPU=avx512)"
if cc "${cflags[@]}" -DEEGNN_NO_CPU_DISPATCH tests/test_gemm.c -o build/test_gemm_nodispatch -lm -lpthread; then
  EEGNN_CPU=avx512 run_test no-dispatch build/test_gemm_nodispatch
else
  fail "tests/test_gemm.c does not build with EEGNN_NO_CPU_DISPATCH"
fi
if probe fftw '#include <fftw3.h>
int main(void) { float in[4] = {1, 2, 3, 4}; fftwf_complex out[3]; fftwf_plan p = fftwf_plan_dft_r2c_1d(4, in, out, FFTW_ESTIMATE); fftwf_execute(p); fftwf_destroy_plan(p); return out[0][0] != 10; }' -lfftw3f -lm; then
  echo "== test_spectral (EEGNN_USE_FFTW)"
  if cc "${cflags[@]}" -DEEGNN_USE_FFTW tests/test_spectral.c -o build/test_spectral_fftw -lfftw3f -lm -lpthread; then
    run_test fftw build/test_spectral_fftw
  else
    fail "tests/test_spectral.c does not build with EEGNN_USE_FFTW"
  fi
else
  echo "== skipped: FFTW3 build (no linkable libfftw3f; apt-get install libfftw3-dev)"
fi
if probe zlib '#include <zlib.h>
int main(void) { unsigned char src[8] = "eegnn!!", dst[64]; uLongf n = sizeof dst; return compress(dst, &n, src, sizeof src) != Z_OK; }' -lz; then
  echo "== test_eeglab (EEGNN_USE_ZLIB)"
  if cc "${sanflags[@]}" -DEEGNN_USE_ZLIB tests/test_eeglab.c -o build/test_eeglab_zlib -lz -lm -lpthread; then
    ASAN_OPTIONS=detect_leaks=1 run_test zlib build/test_eeglab_zlib
  else
    fail "tests/test_eeglab.c does not build with EEGNN_USE_ZLIB"
  fi
else
  echo "== skipped: zlib build (no linkable libz; apt-get install zlib1g-dev)"
fi

# 5. the command-line program
if [ -e tests/test_cli.sh ]; then
  echo "== test_cli.sh"
  out=$(bash tests/test_cli.sh 2>&1); rc=$?
  printf '%s\n' "$out" | grep -E '^(FAIL|ok)|passed, [0-9]+ failed'
  p=$(printf '%s\n' "$out" | sed -n 's/.*: \([0-9][0-9]*\) passed, \([0-9][0-9]*\) failed$/\1/p' | tail -1)
  f=$(printf '%s\n' "$out" | sed -n 's/.*: \([0-9][0-9]*\) passed, \([0-9][0-9]*\) failed$/\2/p' | tail -1)
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
  if [ $rc -ne 0 ] && [ "${f:-0}" = 0 ]; then printf '%s\n' "$out" | tail -20; fail "tests/test_cli.sh exited with status $rc"; fi
fi

# 6. GPU builds (hipcc, nvcc when present) and the CPU fallback
if [ -e tests/test_gpu_build.sh ]; then
  echo "== test_gpu_build.sh"
  out=$(bash tests/test_gpu_build.sh 2>&1); rc=$?
  printf '%s\n' "$out" | grep -E '^(FAIL|ok|skip)|passed, [0-9]+ failed'
  p=$(printf '%s\n' "$out" | sed -n 's/.*: \([0-9][0-9]*\) passed, \([0-9][0-9]*\) failed$/\1/p' | tail -1)
  f=$(printf '%s\n' "$out" | sed -n 's/.*: \([0-9][0-9]*\) passed, \([0-9][0-9]*\) failed$/\2/p' | tail -1)
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
  if [ $rc -ne 0 ] && [ "${f:-0}" = 0 ]; then printf '%s\n' "$out" | tail -20; fail "tests/test_gpu_build.sh exited with status $rc"; fi
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
