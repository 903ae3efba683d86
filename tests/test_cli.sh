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
check "eegnn-trained EEGNetv4 weights give eegnn's outputs in PyTorch" \
  /usr/bin/python3 - "$out/eegnet" "$data/bids/eegmmidb-s001" "$PWD/tests" <<'EOF'
import sys, json, struct, warnings, numpy as np, pandas as pd, torch, mne
warnings.filterwarnings('ignore')
run, bids = sys.argv[1], sys.argv[2]
sys.path.insert(0, sys.argv[3])
from ref_braindecode import EEGNetv4
raw = open(run + '/best.safetensors', 'rb').read()
n = struct.unpack('<Q', raw[:8])[0]
header = json.loads(raw[8:8 + n])
meta = header.pop('__metadata__')
state = {k: torch.from_numpy(np.frombuffer(raw[8 + n + v['data_offsets'][0]:8 + n + v['data_offsets'][1]],
                                           dtype='<f4').reshape(v['shape']).copy()) for k, v in header.items()}
model = EEGNetv4(n_chans=64, n_outputs=2, n_times=320)
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
print('windows', len(p), 'max |probability difference|', worst)
assert len(p) == 90 and worst < 1e-4, worst
EOF

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
EOF

echo "cli: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
