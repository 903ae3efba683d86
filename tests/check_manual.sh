#!/usr/bin/env bash
# The manual at the top of eegnn.h (src/manual.h) names every compile flag
# and environment variable that eegnn.h and eegnn_hip.h read, and every public
# function in its API index. Ends with "manual: N passed, N failed".
set -u
cd "$(dirname "$0")/.."
passed=0
failed=0
manual=src/manual.h
# flags: EEGNN_* macros tested by #if/#ifdef/#ifndef/defined() in src/ (EEGNN__* are private),
# and getenv("EEGNN_*") variables
flags=$(grep -rhoE '#\s*(if|ifdef|ifndef|elif)\b.*' src | grep -oE '\bEEGNN_[A-Z][A-Z0-9_]*' | grep -v '^EEGNN__' |
  grep -vE '^EEGNN_(HIP_H|VERSION_[A-Z]+)$' | sort -u)
envs=$(grep -rhoE 'getenv\("EEGNN_[A-Z0-9_]+"\)' src | grep -oE 'EEGNN_[A-Z0-9_]+' | sort -u)
for f in $flags $envs; do
  if grep -qw -- "$f" "$manual"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: the manual does not name $f"; fi
done
# public functions: every EEGNN_API declaration of the headers eegnn.h and eegnn_hip.h are made of
headers=$(sed -n '/decl_files\[\]/,/};/p' tools/amalgamate.c | grep -oE '"src/[^"]+\.h"' | tr -d '"')
funcs=$(for h in $headers src/hip/hip.h; do
  awk '/^EEGNN_API/ { s = $0; while (s !~ /\(/ && (getline l) > 0) s = s " " l; print s }' "$h"
done | grep -oE '\beegnn_[a-z0-9_]+[[:space:]]*\(' | tr -d '( ' | sort -u)
n=0
for f in $funcs; do
  n=$((n + 1))
  if grep -qw -- "$f" "$manual"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: the manual's index lacks $f"; fi
done
[ "$n" -gt 300 ] || { failed=$((failed + 1)); echo "FAIL: found only $n public functions (the header list moved?)"; }
# the quick start compiles (C99 strict) and trains
out=${EEGNN_TEST_OUT:-$PWD/build/tests}/manual
mkdir -p "$out"
{
  printf '#define EEGNN_IMPLEMENTATION\n#include "eegnn.h"\n'
  printf 'static void fail(const char *m) { fprintf(stderr, "%%s\\n", m); exit(1); }\n'
  printf 'static eegnn_status fill_batch(void *u, int e, int s, int m) { (void)u; (void)e; (void)s; (void)m; return EEGNN_OK; }\n'
  printf 'int main(void) {\n    int my_data = 0, n_train = 64, n_valid = 64;\n'
  sed -n '/^   5\. QUICK START/,/^   examples\/custom_training\.c/p' "$manual" | sed '1d;$d' |
    sed -e "s|\"model.safetensors\"|\"$out/model.safetensors\"|" -e "s|tc.epochs = 20;|tc.epochs = 2;|"
  printf '    printf("best epoch %%d\\n", eegnn_trainer_best_epoch(t));\n    return 0;\n}\n'
} >"$out/quick_start.c"
if cc -std=c99 -O1 -Wall -Wextra -Werror -I. -o "$out/quick_start" "$out/quick_start.c" -lm -lpthread &&
  "$out/quick_start" >"$out/quick_start.txt" 2>&1 && grep -q "best epoch [1-9]" "$out/quick_start.txt" &&
  [ -s "$out/model.safetensors" ]; then
  passed=$((passed + 1))
else
  failed=$((failed + 1))
  echo "FAIL: the manual's quick start does not build or run ($out/quick_start.c)"
  cat "$out/quick_start.txt" 2>/dev/null | tail -5
fi

echo "manual: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
