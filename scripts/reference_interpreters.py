#!/usr/bin/env python3
"""Runs a .tflite model in the two external reference interpreters micronas is held to.

  reference_interpreters.py MODEL.tflite INPUT.npy OUTDIR

INPUT.npy holds one sample per entry of its leading dimension (shape [N] + the model input's shape
without its batch dimension, or [N] + the full input shape). Writes OUTDIR/litert.npy (LiteRT with
OpResolverType.BUILTIN_REF, TFLite's reference kernels) and OUTDIR/tflm.npy (TensorFlow Lite
Micro's Python runtime), each [N] + the output shape without batch, and prints one JSON line with
TFLM's recorded arena use ("tflm_arena_head" = the planned non-persistent part, "tflm_arena_tail" =
persistent allocations, "tflm_arena_total"). A failure prints one line naming the interpreter and
exits 1.
"""
import json
import os
import re
import sys
import tempfile

import numpy as np


def fail(message):
    print(f"reference_interpreters: {message}", file=sys.stderr)
    sys.exit(1)


def capture_stderr(fn):
    """Runs fn() with file descriptor 2 redirected (C++ writes there); returns (result, text)."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as tmp:
        os.dup2(tmp.fileno(), 2)
        try:
            result = fn()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        tmp.seek(0)
        return result, tmp.read().decode("utf-8", "replace")


def main():
    if len(sys.argv) != 4:
        fail("usage: reference_interpreters.py MODEL.tflite INPUT.npy OUTDIR")
    model_path, input_path, outdir = sys.argv[1:]
    model = open(model_path, "rb").read()
    samples = np.load(input_path)

    from ai_edge_litert.interpreter import Interpreter, OpResolverType
    try:
        lite = Interpreter(model_content=model, experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
        lite.allocate_tensors()
    except Exception as e:  # noqa: BLE001 — report any interpreter failure as one line
        fail(f"LiteRT rejected the model: {e}")
    inp = lite.get_input_details()[0]
    out = lite.get_output_details()[0]
    sample_shape = tuple(inp["shape"][1:])
    if samples.shape[1:] == tuple(inp["shape"]):
        samples = samples.reshape((samples.shape[0],) + sample_shape)
    if samples.shape[1:] != sample_shape or samples.dtype != inp["dtype"]:
        fail(f"input {samples.dtype}{list(samples.shape)} does not match the model's {np.dtype(inp['dtype'])}{[-1] + list(sample_shape)}")

    from tflite_micro.python.tflite_micro import runtime
    try:
        micro = runtime.Interpreter.from_bytes(model, arena_size=max(len(model) * 10, 4 << 20))
    except Exception as e:  # noqa: BLE001
        fail(f"TFLM rejected the model: {e}")

    lite_out, micro_out = [], []
    for x in samples:
        lite.set_tensor(inp["index"], x[None, ...])
        lite.invoke()
        lite_out.append(lite.get_tensor(out["index"])[0].copy())
        micro.set_input(x[None, ...], 0)
        micro.invoke()
        micro_out.append(np.asarray(micro.get_output(0))[0].copy())
    _, text = capture_stderr(micro.print_allocations)

    os.makedirs(outdir, exist_ok=True)
    np.save(os.path.join(outdir, "litert.npy"), np.stack(lite_out))
    np.save(os.path.join(outdir, "tflm.npy"), np.stack(micro_out))
    arena = {}
    for key, pattern in [("tflm_arena_total", r"Arena allocation total (\d+) bytes"),
                         ("tflm_arena_head", r"Arena allocation head (\d+) bytes"),
                         ("tflm_arena_tail", r"Arena allocation tail (\d+) bytes")]:
        m = re.search(pattern, text)
        if m:
            arena[key] = int(m.group(1))
    print(json.dumps(arena))


if __name__ == "__main__":
    main()
