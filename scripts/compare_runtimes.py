#!/usr/bin/env python3
"""Checks `micronas evaluate` against LiteRT (BUILTIN_REF) and TFLM's Python runtime.

  compare_runtimes.py MODEL.tflite DIR

DIR is what `micronas evaluate --arrays-out DIR` wrote: inputs.npy (the int8 windows as the model
takes them), labels.npy and outputs.npy (the emulated board's int8 outputs). Runs
scripts/reference_interpreters.py on the inputs and prints one JSON line: the accuracy of each
runtime's outputs (argmax, first of equal scores, as micronas takes it) and the number of windows
whose output differs from the board's in any byte. Exits 1 if any output differs.
"""
import json
import os
import subprocess
import sys

import numpy as np


def accuracy(outputs, labels):
    return float(np.mean(np.argmax(outputs, axis=1) == labels))


def main():
    if len(sys.argv) != 3:
        print("usage: compare_runtimes.py MODEL.tflite DIR", file=sys.stderr)
        sys.exit(2)
    model, folder = sys.argv[1:]
    here = os.path.dirname(os.path.abspath(__file__))
    r = subprocess.run([sys.executable, os.path.join(here, "reference_interpreters.py"), model,
                        os.path.join(folder, "inputs.npy"), folder], capture_output=True, text=True)
    if r.returncode != 0:
        print(r.stderr.strip().splitlines()[-1] if r.stderr.strip() else f"reference_interpreters.py exited {r.returncode}", file=sys.stderr)
        sys.exit(1)
    labels = np.load(os.path.join(folder, "labels.npy"))
    board = np.load(os.path.join(folder, "outputs.npy"))
    result = {"windows": int(len(labels)), "micronas_board": accuracy(board, labels)}
    ok = True
    for name in ["litert", "tflm"]:
        out = np.load(os.path.join(folder, name + ".npy")).reshape(board.shape)
        differ = int(np.sum(np.any(out != board, axis=1)))
        result[name] = accuracy(out, labels)
        result[name + "_windows_differing_from_board"] = differ
        ok = ok and differ == 0
    print(json.dumps(result, sort_keys=True))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
