"""Reference values for tests/test_metrics.c from scikit-learn, SciPy and NumPy.

Usage: /usr/bin/python3 tests/ref_metrics.py OUTDIR

Writes, for each case, the inputs as .npy (float32 values, so the C side reads
exactly the numbers that were scored here) and OUTDIR/results.txt with lines
"case metric value" (value printed with 17 significant digits).
Requires python3-sklearn (Debian package).
"""
import os
import sys

import numpy as np
import scipy.stats
from sklearn import metrics

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(20251121)
lines = []


def save(name, arr, dtype):
    np.save(os.path.join(out, name + ".npy"), np.ascontiguousarray(arr, dtype=dtype))


def regression(case, y, p):
    y = y.astype(np.float32).astype(np.float64)
    p = p.astype(np.float32).astype(np.float64)
    save(case + "_true", y, np.float32)
    save(case + "_pred", p, np.float32)
    if np.std(y) > 0 and np.std(p) > 0:
        lines.append((case, "pearson_r", scipy.stats.pearsonr(y, p)[0]))
    lines.append((case, "r2", metrics.r2_score(y, p)))
    rmse = np.sqrt(metrics.mean_squared_error(y, p))
    lines.append((case, "rmse", rmse))
    if np.std(y) > 0:
        lines.append((case, "nrmse", rmse / np.std(y)))  # numpy std: ddof=0
    lines.append((case, "mae", metrics.mean_absolute_error(y, p)))


def classification(case, y, p, n_classes):
    save(case + "_true", y, np.float32)
    save(case + "_pred", p, np.float32)
    lines.append((case, "n_classes", n_classes))
    lines.append((case, "accuracy", metrics.accuracy_score(y, p)))
    lines.append((case, "balanced_accuracy", metrics.balanced_accuracy_score(y, p)))
    cm = metrics.confusion_matrix(y, p, labels=list(range(n_classes)))
    for i in range(n_classes):
        for j in range(n_classes):
            lines.append((case, "cm_%d_%d" % (i, j), cm[i, j]))


def auc(case, y, s):
    s = s.astype(np.float32).astype(np.float64)
    save(case + "_true", y, np.float32)
    save(case + "_score", s, np.float32)
    lines.append((case, "roc_auc", metrics.roc_auc_score(y, s)))


# regression: random, correlated, quantized (ties), negative correlation, constant target
y = rng.normal(10.0, 3.0, 1000)
regression("reg_random", y, y + rng.normal(0.0, 2.0, 1000))
regression("reg_ties", np.round(rng.normal(0, 1, 300)), np.round(rng.normal(0, 1, 300) * 2) / 2)
regression("reg_neg", y[:200], -0.5 * y[:200] + rng.normal(0, 1, 200))
regression("reg_mean", y[:50], np.full(50, np.float32(y[:50]).astype(np.float64).mean()))
regression("reg_const_true", np.full(20, 1.5), rng.normal(0, 1, 20))
regression("reg_const_perfect", np.full(20, 1.5), np.full(20, 1.5))

# classification: balanced, imbalanced, a class only in the predictions
classification("cls_3", rng.integers(0, 3, 500), rng.integers(0, 3, 500), 3)
yt = np.where(rng.random(400) < 0.85, 0, 1)
yp = np.where(rng.random(400) < 0.7, yt, 1 - yt)
classification("cls_imbalanced", yt, yp, 2)
yt = rng.integers(0, 2, 100)
yp = rng.integers(0, 4, 100)
classification("cls_pred_only", yt, yp, 4)

# ROC AUC: continuous scores, heavy ties, all tied, perfect, reversed
yb = rng.integers(0, 2, 700)
auc("auc_random", yb, rng.normal(0, 1, 700) + 0.8 * yb)
auc("auc_ties", yb, np.round(rng.normal(0, 1, 700) + 0.5 * yb, 1))
auc("auc_alltied", yb, np.zeros(700))
auc("auc_perfect", yb, yb * 2.0 - 1.0)
auc("auc_reversed", yb[:30], -yb[:30].astype(np.float64))

with open(os.path.join(out, "results.txt"), "w") as f:
    for case, name, value in lines:
        f.write("%s %s %.17g\n" % (case, name, float(value)))
print("ref_metrics: %d values in %s" % (len(lines), out))
