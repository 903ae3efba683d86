"""Reference values for tests/test_brainvision.c, computed with MNE-Python 1.3.

Usage: /usr/bin/python3 tests/ref_brainvision.py OUTDIR

Reads every .vhdr under the shared data folder ($EEGNN_DATA, else
<repository>/../shared/data) with mne.io.read_raw_brainvision(preload=True).
It also writes variants of real recordings into OUTDIR/variants (same
samples stored VECTORIZED, as ASCII, as INT_32, as INT_16 VECTORIZED, and a Latin-1
"ANSI" header exercising units, escapes, channel types and markers) and
reads those with MNE too. Writes into OUTDIR:
  manifest.txt   one line per file: "<key> <path>" (relative to the data
                 folder, or starting with "variants/" for the written copies)
  <key>.txt      what MNE returned (same layout as tests/ref_edf.py)
  <key>.npy      the samples, float32 (n_channels, n_times)
"""
import os
import re
import sys

import numpy as np
import mne

mne.set_log_level("ERROR")


def data_root():
    env = os.environ.get("EEGNN_DATA")
    if env:
        return env
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.normpath(os.path.join(here, "..", "..", "shared", "data"))


def write_summary(path, rel, ch_names, ch_types, sfreq, n_times, meas_date, onsets, durations,
                  descriptions):
    with open(path, "w", encoding="utf-8") as f:
        f.write("path %s\n" % rel)
        f.write("status ok\n")
        f.write("sfreq %.17g\n" % sfreq)
        f.write("n_times %d\n" % n_times)
        f.write("meas_date %.17g\n" % meas_date)
        f.write("n_channels %d\n" % len(ch_names))
        for name, kind in zip(ch_names, ch_types):
            f.write("type %s\n" % kind)
            f.write("ch %s\n" % name)
        f.write("n_annotations %d\n" % len(onsets))
        for o, d, t in zip(onsets, durations, descriptions):
            assert "\n" not in t
            f.write("ann %.17g %.17g %s\n" % (o, d, t))


def set_key(text, key, value):
    """Replaces the value of `key=` in a header text."""
    new, n = re.subn(r"(?m)^%s=.*?(\r?)$" % re.escape(key), lambda m: "%s=%s%s" % (key, value, m.group(1)), text)
    assert n == 1, key
    return new


def copy_recording(src_vhdr, dst_dir, stem, orientation=None, fmt=None, samples=None):
    """Writes stem.vhdr/.eeg/.vmrk: the source header with DataFile, MarkerFile
    and optionally DataOrientation/BinaryFormat replaced, and `samples`
    (n_channels, n_times) in that layout."""
    with open(src_vhdr, "rb") as f:
        text = f.read().decode("latin-1")
    text = set_key(text, "DataFile", stem + ".eeg")
    text = set_key(text, "MarkerFile", stem + ".vmrk")
    if orientation:
        text = set_key(text, "DataOrientation", orientation)
    if fmt:
        text = set_key(text, "BinaryFormat", fmt)
    with open(os.path.join(dst_dir, stem + ".vhdr"), "wb") as f:
        f.write(text.encode("latin-1"))
    mrk_src = re.search(r"(?m)^MarkerFile=(.*?)\r?$", open(src_vhdr, "rb").read().decode("latin-1")).group(1)
    with open(os.path.join(os.path.dirname(src_vhdr), mrk_src), "rb") as f:
        mrk = f.read()
    with open(os.path.join(dst_dir, stem + ".vmrk"), "wb") as f:
        f.write(mrk)
    data = samples.T if (orientation or "MULTIPLEXED") == "MULTIPLEXED" else samples
    with open(os.path.join(dst_dir, stem + ".eeg"), "wb") as f:
        f.write(np.ascontiguousarray(data).tobytes())


def read_samples(vhdr, dtype, n_channels):
    """The stored samples of a MULTIPLEXED file, (n_channels, n_times)."""
    text = open(vhdr, "rb").read().decode("latin-1")
    data_file = re.search(r"(?m)^DataFile=(.*?)\r?$", text).group(1)
    raw = np.fromfile(os.path.join(os.path.dirname(vhdr), data_file), dtype=dtype)
    return raw.reshape(-1, n_channels).T


def write_variants(root, out):
    vdir = os.path.join(out, "variants")
    os.makedirs(vdir, exist_ok=True)
    testbva = os.path.join(root, "formats/eeglab/sample_data/test_data/testbva.vhdr")
    tiny = os.path.join(root, "bids/tiny_bids/sub-01/ses-eeg/eeg/sub-01_ses-eeg_task-rest_eeg.vhdr")
    made = []
    if os.path.exists(testbva):
        x = read_samples(testbva, "<f4", 32)
        copy_recording(testbva, vdir, "testbva_vectorized", orientation="VECTORIZED", samples=x)
        made.append("testbva_vectorized")
        # DataFormat=ASCII: blank-separated with decimal commas, and
        # comma-separated with decimal points and CRLF line ends
        for stem, sep, dec, eol in [("testbva_ascii_blank", " ", ",", "\n"),
                                    ("testbva_ascii_comma", ",", ".", "\r\n")]:
            copy_recording(testbva, vdir, stem, samples=x)
            hdr = open(os.path.join(vdir, stem + ".vhdr"), "rb").read().decode("latin-1")
            hdr = set_key(hdr, "DataFormat", "ASCII").replace(
                "[Binary Infos]", "[ASCII Infos]\nDecimalSymbol=%s\nSkipLines=1\n\n[Binary Infos]" % dec)
            with open(os.path.join(vdir, stem + ".vhdr"), "wb") as f:
                f.write(hdr.encode("latin-1"))
            with open(os.path.join(vdir, stem + ".eeg"), "w", newline="") as f:
                f.write(sep.join("Ch%d" % (i + 1) for i in range(32)) + eol)
                for row in x.T:
                    f.write(sep.join(("%.9g" % v).replace(".", dec) for v in row) + eol)
            made.append(stem)
    if os.path.exists(tiny):
        x = read_samples(tiny, "<i2", 69)
        copy_recording(tiny, vdir, "tiny_int32", fmt="INT_32", samples=x.astype("<i4") * 3 - 7)
        copy_recording(tiny, vdir, "tiny_int16_vectorized", orientation="VECTORIZED", samples=x)
        copy_recording(tiny, vdir, "tiny_int32_vectorized", orientation="VECTORIZED", fmt="INT_32",
                       samples=x.astype("<i4") * 65536 + 1)
        made += ["tiny_int32", "tiny_int16_vectorized", "tiny_int32_vectorized"]
    # A small Latin-1 ("ANSI") recording covering units, resolutions, "\1"
    # escapes, EOG/misc/stim channel types, and markers.
    rng = np.random.default_rng(7)
    chans = [("Fp1", "0.5", "\u00b5V"), ("F\u00f6o\\1bar", "", "mV"), ("HEOGL", "2", "nV"),
             ("STI 014", "1", "V"), ("GSR", "0.25", "\u00b5S"), ("Temp", "0.1", "C"), ("Cz", "1", "uV"),
             ("NoPos", "1", ""), ("Resp", "1", "ARU")]
    lines = ["Brain Vision Data Exchange Header File Version 2.0", "; written by tests/ref_brainvision.py", "",
             "[Common Infos]", "Codepage=ANSI", "DataFile=latin1.eeg", "MarkerFile=latin1.vmrk",
             "DataFormat=BINARY", "DataOrientation=MULTIPLEXED", "NumberOfChannels=%d" % len(chans),
             "SamplingInterval=1953.125", "", "[Binary Infos]", "BinaryFormat=INT_16", "", "[Channel Infos]",
             "; comment line"]
    for i, (name, res, unit) in enumerate(chans, 1):
        lines.append("Ch%d=%s,,%s,%s" % (i, name, res, unit) if unit else "Ch%d=%s,,%s" % (i, name, res))
    lines += ["", "[Coordinates]"] + ["Ch%d=%s,%d,%d" % (i, 0 if i == 8 else 1, 10 * i, 5 * i)
                                       for i in range(1, len(chans) + 1)]
    lines += ["", "[Comment]", "Ch1=ignored,,,", ""]
    with open(os.path.join(vdir, "latin1.vhdr"), "wb") as f:
        f.write("\r\n".join(lines).encode("cp1252"))
    x = rng.integers(-30000, 30000, size=(len(chans), 700)).astype("<i2")
    with open(os.path.join(vdir, "latin1.eeg"), "wb") as f:
        f.write(np.ascontiguousarray(x.T).tobytes())
    # MNE reads the marker file as UTF-8 when it looks for the date, so it is UTF-8 here
    mk = ["Brain Vision Data Exchange Marker File, Version 2.0", "", "[Common Infos]", "Codepage=UTF-8",
          "DataFile=latin1.eeg", "", "[Marker Infos]", "; comment",
          "Mk1=New Segment,,1,1,0,20210305134501123456",
          "Mk2=Stimulus,S  1,101,1,0",
          "Mk3=Response,R\\1 2,50,12,3",
          "Mk4=Comment,K\u00e4se,300,0,0",
          "Mk5=Stimulus,S 10,699,5,0",
          "Mk6=Stimulus,S 11,900,1,0",
          "Mk7=Bad Interval,,650,abc,0",
          "Mk8=Stimulus,S  2,-5,3,0",
          "", "[Marker User Infos]", "Prop1=Mk1,int,x,1", ""]
    with open(os.path.join(vdir, "latin1.vmrk"), "wb") as f:
        f.write("\r\n".join(mk).encode("utf-8"))
    made.append("latin1")
    return ["variants/%s.vhdr" % m for m in made]


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    root = data_root()
    files = []
    for dirpath, _, names in os.walk(root):
        for n in names:
            if n.lower().endswith(".vhdr"):
                files.append(os.path.relpath(os.path.join(dirpath, n), root))
    files.sort()
    if not files:
        sys.exit("ref_brainvision.py: no .vhdr files under %s" % root)
    files += write_variants(root, out)
    with open(os.path.join(out, "manifest.txt"), "w", encoding="utf-8") as man:
        for i, rel in enumerate(files):
            key = "f%02d" % i
            man.write("%s %s\n" % (key, rel))
            full = os.path.join(out, rel) if rel.startswith("variants/") else os.path.join(root, rel)
            raw = mne.io.read_raw_brainvision(full, preload=True)
            data = raw.get_data()
            md = raw.info["meas_date"]
            ann = raw.annotations
            write_summary(os.path.join(out, key + ".txt"), rel, raw.ch_names, raw.get_channel_types(),
                          raw.info["sfreq"], raw.n_times, md.timestamp() if md is not None else float("nan"),
                          list(ann.onset), list(ann.duration), list(ann.description))
            np.save(os.path.join(out, key + ".npy"), data.astype(np.float32))
            print("%s %s: %d ch, %g Hz, %d samples, %d annotations"
                  % (key, rel, len(raw.ch_names), raw.info["sfreq"], raw.n_times, len(ann)))


if __name__ == "__main__":
    main()
