"""Reference values for tests/test_train.c from scikit-learn.

Usage: /usr/bin/python3 tests/ref_train.py OUTDIR

Writes into OUTDIR:
  labels.npy          (n,) integer labels of an imbalanced 4-class problem (class 2 absent from nothing)
  class_weight.npy    (4,) sklearn.utils.class_weight.compute_class_weight("balanced", ...)
"""
import os
import sys

import numpy as np
from sklearn.utils.class_weight import compute_class_weight


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(3)
    labels = rng.choice(4, size=137, p=[0.6, 0.25, 0.1, 0.05]).astype(np.int64)
    w = compute_class_weight("balanced", classes=np.arange(4), y=labels)
    np.save(os.path.join(out, "labels.npy"), labels)
    np.save(os.path.join(out, "class_weight.npy"), w.astype(np.float64))


if __name__ == "__main__":
    main()
