#!/usr/bin/env bash
# Checks the `eegnn` command-line program end to end on real and synthetic data:
# one-call builds (C99 strict and C++), `read` against MNE, `info`, clear errors on
# bad files, `demo`, streamed training with preprocessing through the window
# cache, `train` on the real BIDS dataset with a checkpoint that PyTorch loads,
# `predict` reproducing the metrics, and `--resume`. Ends with "cli: N passed, N failed".
set -u
cd "$(dirname "$0")/.."
data=${EEGNN_DATA:-$(cd .. && pwd)/shared/data}
out=${EEGNN_TEST_OUT:-$PWD/build/tests}/cli
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

check "eegnn.c builds with one cc call (-std=c99 -Wall -Wextra -Werror)" \
  cc -std=c99 -O2 -Wall -Wextra -Werror -o "$out/eegnn" examples/eegnn.c -lm -lpthread
check "eegnn.c builds as C++" g++ -x c++ -std=c++11 -O1 -Wall -Wextra -Werror -o "$out/eegnn_cpp" examples/eegnn.c -lpthread
bin=$out/eegnn

# ---- the command line: every mistake is an error (exit 2) or a warning, before any recording is read
expect() { # status, text that stderr must contain, command...: the status and the message
  local want=$1 text=$2 rc
  shift 2
  "$@" >"$out/stdout.txt" 2>"$out/stderr.txt"
  rc=$?
  cat "$out/stdout.txt" "$out/stderr.txt"
  [ "$rc" -eq "$want" ] || { echo "exit status $rc, want $want"; return 1; }
  grep -qF -- "$text" "$out/stderr.txt" || { echo "stderr lacks: $text"; return 1; }
}
mmi=(--bids "$data/bids/eegmmidb-s001")
mat=(--bids "$data/bids/eegmat")
check "unknown event label: the labels there are, with counts" expect 2 "no event is labelled 'typo'" \
  "$bin" train "${mmi[@]}" --target events:rest,typo
check "... and the counts are pandas' value_counts" grep -qF "both_feet (46), both_fists (44), left_fist (46), rest (180), right_fist (44)" "$out/stderr.txt"
check "merged labels without a name: how to name them" expect 2 "NAME=A+B" \
  "$bin" train "${mmi[@]}" --target events:left_fist+right_fist,rest
check "labels of the value column need --event-column" expect 2 "--event-column" \
  "$bin" train "${mmi[@]}" --target events:T1,T2
check "--event-column naming a column the events files lack" expect 2 "no column 'valu'" \
  "$bin" train "${mmi[@]}" --target events:T1,T2 --event-column valu
check "one class is not a classifier" expect 2 "one class" "$bin" train "${mmi[@]}" --target events:rest
check "--valid with the default test share that leaves no training data" \
  expect 2 "--valid 0.85 and --test 0.2 leave nothing to train on" \
  "$bin" train "${mmi[@]}" --target events:left_fist,right_fist --valid 0.85
zeros_are_zeros() { # 0 is a setting: no weight decay, no dropout, no test set
  "$bin" train "${mmi[@]}" --task fistexec --target events:left_fist,right_fist --split run --model shallow \
    --epochs 1 --weight-decay 0 --dropout 0 --test 0 --warmup 0 --threads 1 --quiet --out "$out/zeros" \
    >"$out/zeros.log" && /usr/bin/python3 - "$out/zeros" <<'PY'
import sys, json
c, m = json.load(open(sys.argv[1] + '/config.json')), json.load(open(sys.argv[1] + '/metrics.json'))
o = c['options']
assert o['weight_decay'] == 0 and o['dropout'] == 0 and o['test'] == 0 and o['warmup'] == 0, o
assert m['test']['n_windows'] == 0 and m['valid']['n_windows'] > 0, (m['test'], m['valid'])
PY
}
check "--weight-decay 0, --dropout 0, --test 0, --warmup 0 are stored and run as 0" zeros_are_zeros
check "train names its CPU path and threads at the start" grep -qE "^cpu: (avx512|avx2|generic) kernels .*, 1 threads" \
  "$out/zeros.log"
check "--split run on a dataset without runs" expect 2 "split unit 'run' needs recordings with a run entity" \
  "$bin" train "${mat[@]}" --target events:rest,arithmetic --split run
check "--split session on a dataset without sessions" expect 2 "split unit 'session'" \
  "$bin" train "${mat[@]}" --target participants:age --split session
check "an unknown task lists the tasks" expect 2 "tasks: fistexec" "$bin" train "${mmi[@]}" --target events:rest,left_fist --task fistexe
check "an unknown participants column lists the columns" expect 2 "columns: participant_id, age, sex" \
  "$bin" train "${mat[@]}" --target participants:agee
check "--epochs -3" expect 2 "--epochs expects an integer >= 1, got -3" "$bin" train "${mmi[@]}" --target events:rest,left_fist --epochs -3
check "--epochs 0" expect 2 "--epochs expects an integer >= 1, got 0" "$bin" train "${mmi[@]}" --target events:rest,left_fist --epochs 0
check "--epochs 2.5" expect 2 "--epochs expects an integer >= 1, got '2.5'" "$bin" train --epochs 2.5
check "--batch-size 0" expect 2 "--batch-size expects an integer >= 1, got 0" "$bin" train "${mmi[@]}" --target events:rest,left_fist --batch-size 0
check "--lr 0" expect 2 "--lr expects a number > 0, got 0" "$bin" train --lr 0
check "--valid 1.5" expect 2 "--valid expects a number in (0, 1), got 1.5" "$bin" train --valid 1.5
check "--ema 1" expect 2 "--ema expects a number in (0, 1), got 1" "$bin" train --ema 1
check "--threads 0" expect 2 "--threads expects an integer in [1, 4096], got 0" "$bin" train --threads 0
check "--seed -1" expect 2 "--seed expects an integer >= 0, got '-1'" "$bin" train --seed -1
check "--max-memory 12Q" expect 2 "--max-memory: '12Q' is not a size" "$bin" train --max-memory 12Q
check "a choice: the closest one" expect 2 "'adamx' is not one of adamw,adam,sgd,adamax (did you mean 'adamw'?)" \
  "$bin" train --optimizer adamx
check "search --models cnn,Foo" expect 2 "unknown model 'Foo'" "$bin" search "${mmi[@]}" --target events:rest,left_fist --models cnn,Foo
check "search: a metric of the other kind of target" expect 2 "--metric r2 does not apply" \
  "$bin" search "${mmi[@]}" --target events:rest,left_fist --metric r2
check "a model name: the closest one" expect 2 "unknown model 'EEGNex2' (did you mean 'EEGNeX'?)" \
  "$bin" train "${mmi[@]}" --target events:rest,left_fist --model EEGNex2
check "--frobnicate is unknown, not 'needs a value'" expect 2 "unknown option '--frobnicate'" "$bin" train --frobnicate
check "--frobnicate x is unknown, not 'expects a number'" expect 2 "unknown option '--frobnicate'" "$bin" train --frobnicate x
check "--qiet: did you mean --quiet" expect 2 "unknown option '--qiet' (did you mean '--quiet'?)" "$bin" train --qiet
check "an option of another command" expect 2 "--models is not an option of \`eegnn train\`" "$bin" train --models cnn
check "an option given twice" expect 2 "--lr is given twice" "$bin" train --lr 1e-3 --lr 3e-3
check "a missing value" expect 2 "--epochs needs a value" "$bin" train --epochs --quiet
check "--loss with an events target" expect 2 "--loss applies to regression targets" \
  "$bin" train "${mmi[@]}" --target events:rest,left_fist --loss l1
check "--loss with a categorical participants column" expect 2 "loss 'l1' applies to regression targets" \
  "$bin" train "${mat[@]}" --target participants:sex --loss l1
check "--class-weights with a regression" expect 2 "class weights 'balanced' apply to classification" \
  "$bin" train "${mat[@]}" --target participants:age --class-weights balanced
check "--tmin with a participants target" expect 2 "--tmin/--tmax set the window around each event" \
  "$bin" train "${mat[@]}" --target participants:age --tmin 0
check "--crop with an events target" expect 2 "--crop applies to participants targets" \
  "$bin" train "${mmi[@]}" --target events:rest,left_fist --crop 1
check "--tmax below --tmin" expect 2 "--tmax must be greater than --tmin" \
  "$bin" train "${mmi[@]}" --target events:rest,left_fist --tmin 1 --tmax 0.5
check "--tmax alone: --tmin keeps its default 0.5" expect 2 "(tmin 0.5 (default), tmax 0.3)" \
  "$bin" train "${mmi[@]}" --target events:rest,left_fist --tmax 0.3
check "--tmin 0 --tmax 0 is an empty window, not the defaults" expect 2 "--tmax must be greater than --tmin (tmin 0, tmax 0)" \
  "$bin" train "${mmi[@]}" --target events:rest,left_fist --tmin 0 --tmax 0
check "--gamma without --scheduler step" expect 2 "--gamma applies to --scheduler step" \
  "$bin" train "${mmi[@]}" --target events:rest,left_fist --gamma 0.5
check "--warmup with --scheduler step" expect 2 "--warmup applies to --scheduler cosine" \
  "$bin" train "${mmi[@]}" --target events:rest,left_fist --scheduler step --warmup 2
check "--fold without --folds" expect 2 "--fold needs --folds K" "$bin" train "${mmi[@]}" --target events:rest,left_fist --fold 1
check "--fold out of range" expect 2 "--fold 3 is not in 0..2" "$bin" train "${mmi[@]}" --target events:rest,left_fist --folds 3 --fold 3
check "--folds with --test" expect 2 "there is no test set" "$bin" train "${mmi[@]}" --target events:rest,left_fist --folds 3 --test 0.1
check "--notch-width without --notch" expect 2 "--notch-width applies to --notch" \
  "$bin" train "${mmi[@]}" --target events:rest,left_fist --notch-width 2
check "--l-freq above --h-freq" expect 2 "--l-freq 30 must be below --h-freq 10" \
  "$bin" train "${mmi[@]}" --target events:rest,left_fist --l-freq 30 --h-freq 10
check "--cache-dtype without --cache" expect 2 "--cache-dtype applies to --cache DIR" \
  "$bin" train "${mmi[@]}" --target events:rest,left_fist --cache-dtype float16
check "--augment syntax" expect 2 "--augment: augment 'flip:0.5'" "$bin" train "${mmi[@]}" --target events:rest,left_fist --augment flip:0.5
check "--window with an events target: a warning (then the label error)" expect 2 "warning: --window/--stride are ignored" \
  "$bin" train "${mmi[@]}" --target events:rest,typo --window 3
check "--dropout is a train option (train and search take the same options)" expect 2 "no event is labelled 'typo'" \
  "$bin" train "${mmi[@]}" --target events:rest,typo --dropout 0.3
check "EEGNet is an alias of EEGNetv4" expect 2 "no event is labelled 'typo'" \
  "$bin" train "${mmi[@]}" --target events:rest,typo --model EEGNet
check "missing BIDS root: reported as not found" expect 2 "BIDS root not found" "$bin" train --bids "$out/nope" --target participants:age
check "info on a missing path: not found" expect 2 "not found" "$bin" info "$out/nope.edf"
check "score on a missing file: not found" expect 2 "nope.json: not found" "$bin" score "$out/nope.json" "$out/nope.json"
check "predict with a missing checkpoint: not found" expect 2 "not found" "$bin" predict "$out/nope.safetensors" "${mat[@]}"
check "an unknown command: the closest one" expect 2 "unknown command 'trian' (did you mean 'train'?)" "$bin" trian
check "no command: the usage on stderr, status 2" expect 2 "usage: eegnn COMMAND" "$bin"
helps() { # every command's --help and -h: status 0, its usage on stdout, its options only
  local c
  for c in demo info models synth read train predict search plot score export-submission; do
    "$bin" "$c" --help >"$out/help.txt" 2>&1 || { echo "$c --help failed"; return 1; }
    grep -q "^usage: eegnn $c" "$out/help.txt" || { echo "$c --help: no usage"; return 1; }
    "$bin" "$c" -h | cmp -s - "$out/help.txt" || { echo "$c -h differs"; return 1; }
  done
  "$bin" train --help >"$out/help.txt" && grep -q -- "--epochs N" "$out/help.txt" && grep -q -- "--dropout P" "$out/help.txt" &&
    ! grep -q -- "--models" "$out/help.txt" && ! grep -q -- "--npy" "$out/help.txt" || { echo "train --help"; return 1; }
  "$bin" search --help | grep -q -- "--models M" || { echo "search --help"; return 1; }
  "$bin" help predict | grep -q "^usage: eegnn predict" || { echo "eegnn help predict"; return 1; }
  [ "$("$bin" --help | grep -c .)" -lt 25 ] || { echo "eegnn --help is not short"; return 1; }
  "$bin" --version | grep -qx "eegnn [0-9]*\.[0-9]*\.[0-9]*"
}
check "COMMAND --help / -h: that command's usage and options, status 0; --version" helps

# read: samples, names and sfreq as MNE returns them
for f in formats/mne-testing-data/EDF/test_reduced.edf formats/mne-testing-data/BDF/test_bdf_stim_channel.bdf \
  bids/eegmmidb-s001/sub-001/eeg/sub-001_task-fistexec_run-1_eeg.edf; do
  name=$(basename "$f")
  check "read $name" "$bin" read "$data/$f" --npy "$out/$name.npy"
  check "read $name matches MNE" /usr/bin/python3 - "$data/$f" "$out/$name.npy" "$out/last.log" <<'EOF'
import sys, numpy as np, mne
path, npy = sys.argv[1], sys.argv[2]
raw = (mne.io.read_raw_bdf if path.endswith('.bdf') else mne.io.read_raw_edf)(path, preload=True, verbose='error')
ref = raw.get_data()
got = np.load(npy)
assert got.dtype == np.float32 and got.shape == ref.shape, (got.shape, ref.shape)
scale = np.maximum(np.abs(ref).max(axis=1, keepdims=True), 1e-30)
err = (np.abs(got - ref) / scale).max()
assert err < 1e-6, err
print('max relative error', err)
EOF
done

check "info on a BIDS root" bash -c "'$bin' info '$data/bids/eegmmidb-s001' | tee '$out/info.txt' | grep -q fistexec"
# the CPU path of the vector kernels: `info` without a path reports it; EEGNN_CPU forces one the CPU has,
# and an unknown name is a warning that keeps the best path
cpu_info() { # EEGNN_CPU value, then the cpu_path that info must print
  EEGNN_CPU=$1 "$bin" info >"$out/cpu.txt" 2>"$out/cpu_err.txt" || return 1
  cat "$out/cpu.txt" "$out/cpu_err.txt"
  grep -qx "cpu_path	$2" "$out/cpu.txt"
}
best_cpu=$("$bin" info | sed -n 's/^cpu_paths_supported	\([^ ]*\).*/\1/p')
check "info without a path: the CPU path in use is the best supported" cpu_info "" "$best_cpu"
check "EEGNN_CPU=generic forces the baseline kernels" cpu_info generic generic
check "EEGNN_CPU with an unknown name: a warning naming it, and the best path" \
  bash -c "$(declare -f cpu_info); bin='$bin' out='$out'; cpu_info avx9 '$best_cpu' && grep -q 'EEGNN_CPU=avx9 is not a CPU path' '$out/cpu_err.txt'"
check "info on a recording" bash -c "'$bin' info '$data/formats/mne-testing-data/BDF/test_bdf_stim_channel.bdf' | grep -qi bdf"

# bad input: clear error naming the file, non-zero exit, no crash
head -c 300 "$data/formats/eeglab/sample_data/test_data/test.edf" >"$out/truncated.edf"
check "truncated file: error names the file" bash -c \
  "! '$bin' info '$out/truncated.edf' 2>'$out/err.txt'; grep -q truncated.edf '$out/err.txt' && ! grep -qi 'segmentation' '$out/err.txt'"
: >"$out/empty.bdf"
check "empty file: error names the file" bash -c "! '$bin' read '$out/empty.bdf' --npy '$out/x.npy' 2>'$out/err.txt'; grep -q empty.bdf '$out/err.txt' && [ ! -e '$out/x.npy' ]"
check "missing BIDS root: clear error" bash -c "! '$bin' train --bids '$out/nope' --target participants:age 2>'$out/err.txt'; grep -q nope '$out/err.txt'"

# demo: synthetic dataset written and an age regressor trained end to end
check "demo runs end to end" "$bin" demo "$out/demo"
check "demo wrote metrics with a test nRMSE" /usr/bin/python3 -c "
import json; m = json.load(open('$out/demo/run/metrics.json'))
print(m['test'])
assert m['test']['n_windows'] > 0 and m['test']['nrmse'] is not None
"
check "demo's BDF files read by MNE" /usr/bin/python3 -c "
import mne, glob
files = sorted(glob.glob('$out/demo/bids/sub-*/eeg/*_eeg.bdf'))
assert len(files) == 40, len(files)
raw = mne.io.read_raw_bdf(files[0], preload=True, verbose='error')
assert raw.info['sfreq'] == 128 and len(raw.ch_names) == 20, raw
amp = raw.get_data().std()
assert 2e-6 < amp < 100e-6, amp
"

# streamed training with whole-recording preprocessing: --max-memory far below the demo data (25 MB as
# float32) with filters, average reference and EMS goes through the preprocessed window cache and
# gives the in-memory run's metrics; without --cache it stops with a clear error
popts=(--bids "$out/demo/bids" --target participants:age --model shallow --epochs 2 --threads 1 --quiet
  --l-freq 1 --h-freq 30 --notch 50 --reference average --resample 100 --ems)
check "train with preprocessing in memory" "$bin" train "${popts[@]}" --out "$out/prep-mem"
refused() { ! "$bin" train "${popts[@]}" --max-memory 4M --out "$out/prep-nocache" 2>"$out/err.txt" &&
  grep -q -- "--cache DIR" "$out/err.txt" && grep -q "sub-" "$out/err.txt"; }
check "streamed preprocessing without --cache: clear error" refused
check "train with preprocessing streamed (--max-memory 4M --cache)" "$bin" train "${popts[@]}" --max-memory 4M \
  --cache "$out/prep-cache" --out "$out/prep-stream"
check "again, reusing the preprocessed cache" "$bin" train "${popts[@]}" --max-memory 4M --cache "$out/prep-cache" \
  --out "$out/prep-stream2"
check "with a float16 cache" "$bin" train "${popts[@]}" --max-memory 4M --cache "$out/prep-cache" \
  --cache-dtype float16 --out "$out/prep-f16"
check "streamed preprocessed runs give the in-memory metrics; one cache file per dtype" \
  /usr/bin/python3 - "$out" <<'EOF'
import sys, json, glob
out = sys.argv[1]
m = {k: json.load(open('%s/%s/metrics.json' % (out, k))) for k in ('prep-mem', 'prep-stream', 'prep-stream2', 'prep-f16')}
for k in ('prep-stream', 'prep-stream2'):
    for s in ('train', 'valid', 'test'):
        assert m[k][s] == m['prep-mem'][s], (k, s, m[k][s], m['prep-mem'][s])
for s in ('train', 'valid', 'test'):  # float16 windows: close, not equal
    a, b = m['prep-f16'][s]['loss'], m['prep-mem'][s]['loss']
    assert abs(a - b) <= 1e-2 * abs(b), (s, a, b)
files = sorted(glob.glob(out + '/prep-cache/eegnn-prep-*'))
assert sorted(f[-3:] for f in files) == ['f16', 'f32'], files
print('losses', [m['prep-mem'][s]['loss'] for s in ('train', 'valid', 'test')], 'float16',
      [m['prep-f16'][s]['loss'] for s in ('train', 'valid', 'test')])
EOF

# train on the real dataset, held-out runs
check "train on eegmmidb (events, split by run)" "$bin" train --bids "$data/bids/eegmmidb-s001" --task fistexec,fistimag \
  --target events:left_fist,right_fist --split run --epochs 3 --out "$out/mmi" --quiet
check "metrics.json has balanced accuracy on held-out runs" /usr/bin/python3 -c "
import json; m = json.load(open('$out/mmi/metrics.json'))
assert m['split'] == 'run' and m['n_classes'] == 2
assert 0 <= m['test']['balanced_accuracy'] <= 1 and m['train']['n_windows'] + m['valid']['n_windows'] + m['test']['n_windows'] == 90
"

# labels of the value column, merged as MNE's merge_events would: T1 is left_fist and T2 right_fist in these tasks,
# so the windows and the (stratified) split equal the trial_type run's; piped output: the loading lines and one
# line per epoch with its ETA; config.json with the resolved options; the learning curves
check "train on events:left=T1,right=T2 of the value column" env OMP_NUM_THREADS=1 "$bin" train "${mmi[@]}" \
  --task fistexec,fistimag --target events:left=T1,right=T2 --event-column value --split run --epochs 2 --out "$out/value"
cp "$out/last.log" "$out/value/stdout.txt"
progress_piped() {
  local f=$out/value/stdout.txt
  grep -q '^loading 6 recordings$' "$f" && grep -q '^loaded 6 recordings, 90 windows in ' "$f" &&
    grep -q '^epoch   1/2 .* ETA [0-9]*:[0-9][0-9]' "$f" && [ "$(grep -c '^epoch ' "$f")" -eq 2 ] && ! grep -q $'\r' "$f"
}
check "piped progress: loading lines, one line per epoch with its ETA" progress_piped
check "config.json: version, command line, seed, resolved options; learning curves SVG" \
  /usr/bin/python3 - "$out/value" "$out/mmi" "$("$bin" --version)" "$bin" "${mmi[@]}" <<'EOF'
import sys, json, xml.etree.ElementTree as ET
run, ref, version, binary, bids = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[6]
c = json.load(open(run + '/config.json'))
assert 'eegnn ' + c['eegnn_version'] == version, (c['eegnn_version'], version)
assert c['command_line'] == [binary, 'train', '--bids', bids, '--task', 'fistexec,fistimag', '--target',
                             'events:left=T1,right=T2', '--event-column', 'value', '--split', 'run', '--epochs', '2',
                             '--out', run], c['command_line']
o = c['options']
assert c['seed'] == 0 and o['seed'] == 0 and o['threads'] == 1 and o['epochs'] == 2, (c['seed'], o['threads'])
assert o['event_column'] == 'value' and o['split'] == 'run' and o['batch_size'] == 64 and o['lr'] == 0.001, o
assert o['optimizer'] == 'adamw' and o['scheduler'] == 'cosine' and o['loss'] == 'cross_entropy' and o['warmup'] == 0, o
assert o['weight_decay'] == 0.01 and o['valid'] == 0.2 and o['test'] == 0.2 and o['tmin'] == 0.5 and o['tmax'] == 2.5, o
assert o['dropout'] is None and o['patience'] is None and o['gpu'] is False and o['quiet'] is False, o
assert c['task_kind'] == 'classification' and c['n_classes'] == 2
m, r = json.load(open(run + '/metrics.json')), json.load(open(ref + '/metrics.json'))
for s in ('train', 'valid', 'test'):
    assert m[s]['n_windows'] == r[s]['n_windows'], (s, m[s]['n_windows'], r[s]['n_windows'])
assert m['warnings'] == [] and r['warnings'] == [], (m['warnings'], r['warnings'])
root = ET.parse(run + '/learning_curves.svg').getroot()
assert root.tag.endswith('svg') and len(list(root.iter())) > 20
print('config.json options:', len(o), 'windows per split', [m[s]['n_windows'] for s in ('train', 'valid', 'test')])
EOF
progress_tty() {
  script -qec "'$bin' train --bids '$data/bids/eegmmidb-s001' --task fistexec --target events:left_fist,right_fist \
    --split run --epochs 2 --threads 1 --out '$out/tty'" /dev/null >"$out/tty.txt" &&
    grep -q 'loading recordings 3/3, 45 windows' "$out/tty.txt" &&
    grep -q 'epoch   2/2 \[#*\] 1/1  loss [0-9.]*  [0-9]*:[0-9][0-9] elapsed, ETA [0-9]*:[0-9][0-9]' "$out/tty.txt"
}
check "on a terminal: the progress bar with elapsed time and ETA" progress_tty
# a split that cannot hold both classes: left_fist only in the fistexec runs, both_fists only in the
# fistfeetexec runs, one run held out for testing; --quiet keeps the start line, warnings and the results
check "train: a single-class test split" "$bin" train "${mmi[@]}" --task fistexec,fistfeetexec \
  --target events:left_fist,both_fists --split run --tmax 2 --epochs 1 --threads 2 --quiet --out "$out/oneclass"
cp "$out/last.log" "$out/oneclass/stdout.txt"
check "the single-class test split is flagged in the log and metrics.json; --quiet keeps the start and end lines" \
  /usr/bin/python3 - "$out/oneclass" <<'EOF'
import sys, json
run = sys.argv[1]
log = open(run + '/stdout.txt').read()
m = json.load(open(run + '/metrics.json'))
assert any(w.startswith('test split has a single class') for w in m['warnings']), m['warnings']
assert 'warning: test split has a single class' in log, log
assert ' windows of 64 channels x 240 samples' in log and 'best epoch 1 of 1' in log and 'wrote ' in log, log
c = json.load(open(run + '/config.json'))['options']  # --tmax alone: tmin keeps its default, 1.5 s windows
assert c['tmin'] == 0.5 and c['tmax'] == 2.0, (c['tmin'], c['tmax'])
assert 'epoch   1/1' not in log and 'loading' not in log, log
print(m['warnings'])
EOF
check "checkpoint loads strictly into the same network in PyTorch" /usr/bin/python3 - "$out/mmi/best.safetensors" <<'EOF'
import sys, json, struct, numpy as np, torch
raw = open(sys.argv[1], 'rb').read()
n = struct.unpack('<Q', raw[:8])[0]
header = json.loads(raw[8:8 + n])
meta = header.pop('__metadata__', {})
tensors = {}
for k, v in header.items():
    b, e = v['data_offsets']
    tensors[k] = torch.from_numpy(np.frombuffer(raw[8 + n + b:8 + n + e], dtype='<f4').reshape(v['shape']).copy())
assert meta['model'] == 'cnn' and meta['n_classes'] == '2', meta
# the same network in PyTorch: the keys and shapes must load strictly
class CNN(torch.nn.Module):
    def __init__(self, n_chans, n_outputs):
        super().__init__()
        self.conv1 = torch.nn.Conv1d(n_chans, 64, 7)
        self.conv2 = torch.nn.Conv1d(64, 64, 7)
        self.final_layer = torch.nn.Linear(64, n_outputs)
    def forward(self, x):
        x = torch.relu(self.conv2(torch.relu(self.conv1(x))))
        return self.final_layer(x.mean(dim=2))
model = CNN(64, 2)
model.load_state_dict(tensors, strict=True)
x = torch.randn(4, 64, 320)
assert torch.isfinite(model(x)).all()
print('loaded', len(tensors), 'tensors,', sum(p.numel() for p in model.parameters()), 'parameters')
EOF

# round trip with PyTorch: a braindecode model trained by eegnn, loaded into the PyTorch port
# (tests/ref_braindecode.py), gives the probabilities `eegnn predict` wrote, on the same windows
check "train EEGNetv4 on eegmmidb" "$bin" train --bids "$data/bids/eegmmidb-s001" --task fistexec,fistimag \
  --target events:left_fist,right_fist --split run --model EEGNetv4 --epochs 2 --out "$out/eegnet" --quiet
check "predict with the EEGNetv4 checkpoint" "$bin" predict "$out/eegnet/best.safetensors" \
  --bids "$data/bids/eegmmidb-s001" --out "$out/eegnet/preds.csv"
# the same for EEGConformer (braindecode's at eb3ddee, tests/ref_transformer.py): the state_dict loads
# strictly and the outputs agree
check "train EEGConformer on eegmmidb" "$bin" train --bids "$data/bids/eegmmidb-s001" --task fistexec,fistimag \
  --target events:left_fist,right_fist --split run --model EEGConformer --epochs 1 --out "$out/conformer" --quiet
check "predict with the EEGConformer checkpoint" "$bin" predict "$out/conformer/best.safetensors" \
  --bids "$data/bids/eegmmidb-s001" --out "$out/conformer/preds.csv"
roundtrip() { # run directory, model name
  /usr/bin/python3 - "$1" "$data/bids/eegmmidb-s001" "$PWD/tests" "$2" <<'EOF'
import sys, json, struct, warnings, numpy as np, pandas as pd, torch, mne
warnings.filterwarnings('ignore')
run, bids, name = sys.argv[1], sys.argv[2], sys.argv[4]
sys.path.insert(0, sys.argv[3])
if name == 'EEGNetv4':
    from ref_braindecode import EEGNetv4
    model = EEGNetv4(n_chans=64, n_outputs=2, n_times=320)
else:
    from ref_transformer import EEGConformer
    model = EEGConformer(2, 64, 320)
raw = open(run + '/best.safetensors', 'rb').read()
n = struct.unpack('<Q', raw[:8])[0]
header = json.loads(raw[8:8 + n])
meta = header.pop('__metadata__')
state = {k: torch.from_numpy(np.frombuffer(raw[8 + n + v['data_offsets'][0]:8 + n + v['data_offsets'][1]],
                                           dtype='<f4').reshape(v['shape']).copy()) for k, v in header.items()}
missing, unexpected = model.load_state_dict(state, strict=False)
assert not unexpected and all(k.endswith('num_batches_tracked') for k in missing), (missing, unexpected)
model.eval()
mean = np.array(json.loads(meta['input_mean']), dtype=np.float32)[:, None]
std = np.array(json.loads(meta['input_std']), dtype=np.float32)[:, None]
p = pd.read_csv(run + '/preds.csv')
worst = 0.0
for rec, q in p.groupby('recording'):
    data = mne.io.read_raw_edf('%s/sub-001/eeg/%s_eeg.edf' % (bids, rec), preload=True, verbose='error').get_data()
    x = np.stack([(data[:, s:s + 320] * 1e6).astype(np.float32) for s in q.start_sample])
    with torch.no_grad():
        prob = torch.softmax(model(torch.from_numpy((x - mean) / std)), dim=1).numpy()
    worst = max(worst, np.abs(prob - q[['prob_left_fist', 'prob_right_fist']].values).max())
print(name, 'windows', len(p), 'max |probability difference|', worst)
assert len(p) == 90 and worst < 1e-4, worst
EOF
}
check "eegnn-trained EEGNetv4 weights give eegnn's outputs in PyTorch" roundtrip "$out/eegnet" EEGNetv4
check "eegnn-trained EEGConformer weights give eegnn's outputs in PyTorch" roundtrip "$out/conformer" EEGConformer
# a checkpoint whose last layer has eegnn 0.2's name: predict refuses it and says why
/usr/bin/python3 - "$out/conformer/best.safetensors" "$out/conformer/old.safetensors" <<'EOF'
import sys, json
raw = open(sys.argv[1], 'rb').read()
n = int.from_bytes(raw[:8], 'little')
head = json.loads(raw[8:8 + n])
for leaf in ('weight', 'bias'):
    head['final_layer.final_layer.0.' + leaf] = head.pop('final_layer.' + leaf)
h = json.dumps(head).encode()
h += b' ' * (-len(h) % 8)
open(sys.argv[2], 'wb').write(len(h).to_bytes(8, 'little') + h + raw[8 + n:])
EOF
check "predict with an eegnn 0.2 EEGConformer checkpoint: clear error" expect 1 "written by eegnn 0.2 or earlier" \
  "$bin" predict "$out/conformer/old.safetensors" --bids "$data/bids/eegmmidb-s001" --out "$out/conformer/old.csv"

# predict: the checkpoint applied to the training data reproduces metrics.json
check "predict writes one row per window" "$bin" predict "$out/mmi/best.safetensors" --bids "$data/bids/eegmmidb-s001" \
  --out "$out/mmi/preds.csv"
check "predictions reproduce metrics.json (accuracy, balanced accuracy, ROC AUC, loss per split)" \
  /usr/bin/python3 - "$out/mmi/preds.csv" "$out/mmi/metrics.json" <<'EOF'
import sys, json, numpy as np, pandas as pd
from sklearn.metrics import accuracy_score, balanced_accuracy_score, roc_auc_score, log_loss
p = pd.read_csv(sys.argv[1]); m = json.load(open(sys.argv[2]))
assert len(p) == 90 and set(p.split) == {'train', 'valid', 'test'}, p.split.value_counts()
for split in ('train', 'valid', 'test'):
    q = p[p.split == split]
    assert len(q) == m[split]['n_windows'], (split, len(q))
    y = (q.target == 'right_fist').astype(int); prob = q.prob_right_fist.values
    pred = (q.prediction == 'right_fist').astype(int)
    got = dict(accuracy=accuracy_score(y, pred), balanced_accuracy=balanced_accuracy_score(y, pred),
               roc_auc=roc_auc_score(y, prob), loss=log_loss(y, np.c_[1 - prob, prob], labels=[0, 1]))
    for k, v in got.items():
        assert abs(v - m[split][k]) < 1e-4, (split, k, v, m[split][k])
    print(split, got)
EOF

# resume: 4 epochs straight == 2 epochs + --resume for 2 more (bit-identical weights)
opts=(--bids "$data/bids/eegmmidb-s001" --task fistexec,fistimag --target events:left_fist,right_fist --split run
  --threads 2 --quiet --scheduler step --step-size 1 --gamma 0.5 --optimizer adam --ema 0.9 --class-weights balanced
  --head-lr 3e-3 --freeze-backbone-epochs 1 --clip 1 --accumulate 2 --batch-size 8)
check "train 4 epochs" "$bin" train "${opts[@]}" --epochs 4 --out "$out/straight"
check "train 2 epochs" "$bin" train "${opts[@]}" --epochs 2 --out "$out/resumed"
check "resume for 2 more" "$bin" train "${opts[@]}" --epochs 4 --out "$out/resumed" --resume "$out/resumed/last.safetensors"
check "resumed run is bit-identical to the straight run (weights, optimizer state)" \
  /usr/bin/python3 - "$out/straight" "$out/resumed" <<'EOF'
import sys, json, struct, numpy as np
def load(path):
    raw = open(path, 'rb').read(); n = struct.unpack('<Q', raw[:8])[0]; h = json.loads(raw[8:8 + n])
    meta = h.pop('__metadata__', {})
    return meta, {k: np.frombuffer(raw[8 + n + v['data_offsets'][0]:8 + n + v['data_offsets'][1]], '<f4') for k, v in h.items()}
for name in ('best', 'last'):
    ma, a = load(sys.argv[1] + '/%s.safetensors' % name); mb, b = load(sys.argv[2] + '/%s.safetensors' % name)
    assert a.keys() == b.keys()
    for k in a:
        assert np.array_equal(a[k], b[k]), (name, k)
    print(name, len(a), 'tensors identical')
assert any(k.startswith('optimizer.') and k.endswith('.exp_avg') for k in a), list(a)[:5]
ja = json.load(open(sys.argv[1] + '/metrics.json')); jb = json.load(open(sys.argv[2] + '/metrics.json'))
for s in ('train', 'valid', 'test'):
    assert ja[s] == jb[s], (ja[s], jb[s])
EOF
check "regression with --loss l1 --optimizer adamax and the plateau schedule" "$bin" train --bids "$out/demo/bids" \
  --target participants:age --epochs 2 --loss l1 --optimizer adamax --lr 2e-3 --scheduler plateau --patience 3 \
  --out "$out/l1" --quiet
check "predict on regression reproduces the test MAE" "$bin" predict "$out/l1/best.safetensors" --bids "$out/demo/bids" \
  --out "$out/l1/preds.csv"
check "regression predictions match metrics.json" /usr/bin/python3 - "$out/l1" <<'EOF'
import sys, json, pandas as pd, numpy as np
p = pd.read_csv(sys.argv[1] + '/preds.csv'); m = json.load(open(sys.argv[1] + '/metrics.json'))
for split in ('train', 'valid', 'test'):
    q = p[p.split == split]
    mae = np.abs(q.prediction - q.target).mean()
    assert len(q) == m[split]['n_windows'] and abs(mae - m[split]['mae']) < 1e-4 * max(1, m[split]['mae']), (split, mae, m[split])
    print(split, 'MAE', mae, m[split]['mae'])
# test targets beyond the training range are flagged, with their count, exactly when there are some
lo, hi = p[p.split == 'train'].target.min(), p[p.split == 'train'].target.max()
t = p[p.split == 'test'].target
outside = int(((t < lo) | (t > hi)).sum())
flagged = [w for w in m['warnings'] if 'beyond the training range' in w]
assert (len(flagged) == 1) == (outside > 0), (outside, m['warnings'])
assert outside == 0 or ('%d of %d test windows' % (outside, len(t))) in flagged[0], (outside, flagged)
print('test windows outside the training range:', outside, flagged)
EOF

# search takes the train options, --dropout included, and lists of values
check "search with --dropout and --lr lists" "$bin" search --bids "$out/demo/bids" --target participants:age --model shallow \
  --lr 1e-3,3e-3 --dropout 0,0.3 --folds 2 --epochs 1 --steps-per-epoch 2 --eval-windows 64 --threads 2 --quiet --out "$out/search"
check "search ran 4 configurations x 2 folds" /usr/bin/python3 -c "
import pandas as pd; r = pd.read_csv('$out/search/results.csv'); s = pd.read_csv('$out/search/summary.csv')
assert len(r) == 8 and len(s) == 4, (len(r), len(s))
"

# info on a BIDS root: the levels of trial_type and value with their counts (pandas' value_counts), and the
# sidecars that disagree with their files
check "info lists the event levels with counts" /usr/bin/python3 - "$bin" "$data/bids/eegmmidb-s001" <<'EOF'
import sys, glob, subprocess, pandas as pd
out = subprocess.run([sys.argv[1], 'info', sys.argv[2]], capture_output=True, text=True, check=True).stdout
ev = pd.concat([pd.read_csv(f, sep='\t').assign(f=f) for f in sorted(glob.glob(sys.argv[2] + '/sub-*/eeg/*_events.tsv'))])
for col in ('trial_type', 'value'):
    assert '  %s: %d levels in 12 recordings' % (col, ev[col].nunique()) in out, out
    for level, n in ev[col].value_counts().items():
        line = '    %-28s %7d events in %d recordings' % (level, n, ev[ev[col] == level].f.nunique())
        assert line in out, (line, out)
print(out[out.index('Event levels'):out.index('participants.tsv')])
EOF
check "info warns where a sidecar disagrees with its file" bash -c "'$bin' info '$data/formats/eeglab/sample_data/test_data/BIDS_test' |
  grep -q 'the sidecar says SamplingFrequency 32 Hz, the file 256 Hz'"

# ---- examples/custom_training.c: the trainer API on a model and arrays of its own (real EEGMMIDB runs)
check "custom_training.c is under 80 lines" test "$(wc -l <examples/custom_training.c)" -lt 80
check "custom_training.c builds with one cc call (C99 strict, and as C++)" bash -c "
  cc -std=c99 -O2 -Wall -Wextra -Werror -I. -o '$out/custom_training' examples/custom_training.c -lm -lpthread &&
  g++ -x c++ -std=c++11 -O1 -Wall -Wextra -Werror -I. -o '$out/custom_training_cpp' examples/custom_training.c -lpthread"
mm=$data/bids/eegmmidb-s001/sub-001/eeg/sub-001_task
check "custom_training trains on 4 runs, validates on a fifth, and reports the epoch of the lowest validation loss" \
  bash -c "'$out/custom_training' ${mm}-fistexec_run-1_eeg.edf ${mm}-fistexec_run-2_eeg.edf ${mm}-fistimag_run-1_eeg.edf \
    ${mm}-fistimag_run-2_eeg.edf ${mm}-fistexec_run-3_eeg.edf >'$out/custom.txt' && cat '$out/custom.txt' &&
  awk '/^epoch/ { n++; if (n == 1 || \$6 < best) { best = \$6; at = \$2 } if (\$6 != \$6 + 0 || \$4 != \$4 + 0) bad = 1 }
       /^best epoch/ { got = \$3; loss = \$5 }
       END { exit !(n >= 2 && !bad && got == at \":\" && loss == sprintf(\"%.4f\", best)) }' '$out/custom.txt'"
check "custom_training names a missing file" expect 1 "missing.edf: cannot open" \
  "$out/custom_training" "$out/missing.edf" "$out/missing2.edf"

echo "cli: $passed passed, $failed failed"

[ "$failed" -eq 0 ]
