#!/usr/bin/env python3
"""Forward-value fixtures for the Swift training engine, from an independent numpy implementation.

  make_tensor_fixtures.py OUT.json

Naive loops (no im2col, no BLAS): NHWC convolution with HWIO filters and TFLite SAME padding (the odd
pixel after), dense, softmax, log-softmax, mean over H and W, cross-entropy. Inputs are seeded;
values are written as float32-rounded numbers. Tests/TensorTests/ForwardFixtureTests.swift reads it.
"""
import json
import sys

import numpy as np

rng = np.random.default_rng(2026)


def f32(a):
    return np.asarray(a, dtype=np.float32)


def conv2d(x, w, b, stride, same):
    n, h, wd, c = x.shape
    kh, kw, ci, co = w.shape
    sh, sw = stride
    if same:
        oh, ow = -(-h // sh), -(-wd // sw)
        ph = max(0, (oh - 1) * sh + kh - h) // 2
        pw = max(0, (ow - 1) * sw + kw - wd) // 2
    else:
        oh, ow = max(0, (h - kh + sh) // sh), max(0, (wd - kw + sw) // sw)
        ph = pw = 0
    out = np.zeros((n, oh, ow, co), dtype=np.float64)
    for b_ in range(n):
        for y in range(oh):
            for x_ in range(ow):
                for o in range(co):
                    acc = float(b[o])
                    for ky in range(kh):
                        iy = y * sh - ph + ky
                        if iy < 0 or iy >= h:
                            continue
                        for kx in range(kw):
                            ix = x_ * sw - pw + kx
                            if ix < 0 or ix >= wd:
                                continue
                            for i in range(c):
                                acc += float(x[b_, iy, ix, i]) * float(w[ky, kx, i, o])
                    out[b_, y, x_, o] = acc
    return out


def softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def log_softmax(x):
    m = x.max(axis=-1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=-1, keepdims=True))


def main():
    cases = []
    for kernel, stride, same in [((3, 1), (1, 1), True), ((5, 1), (2, 1), True), ((1, 9), (1, 1), False),
                                 ((3, 3), (2, 2), True), ((2, 2), (2, 1), False), ((4, 2), (3, 2), True)]:
        x = f32(rng.normal(size=(2, 11, 9, 3)))
        w = f32(rng.normal(size=(kernel[0], kernel[1], 3, 4)) * 0.5)
        b = f32(rng.normal(size=4))
        y = conv2d(x.astype(np.float64), w.astype(np.float64), b, stride, same)
        cases.append({"op": "conv2d", "kernel": list(kernel), "stride": list(stride), "same": same,
                      "x": {"shape": list(x.shape), "data": x.ravel().tolist()}, "w": {"shape": list(w.shape), "data": w.ravel().tolist()},
                      "b": b.tolist(), "y": {"shape": list(y.shape), "data": y.ravel().tolist()}})
    x = f32(rng.normal(size=(3, 7)))
    w = f32(rng.normal(size=(7, 5)))
    b = f32(rng.normal(size=5))
    y = x.astype(np.float64) @ w.astype(np.float64) + b
    cases.append({"op": "dense", "x": {"shape": [3, 7], "data": x.ravel().tolist()}, "w": {"shape": [7, 5], "data": w.ravel().tolist()},
                  "b": b.tolist(), "y": {"shape": [3, 5], "data": y.ravel().tolist()}})
    z = f32(rng.normal(size=(4, 6)) * 3)
    zd = z.astype(np.float64)
    cases.append({"op": "softmax", "x": {"shape": [4, 6], "data": z.ravel().tolist()}, "y": {"shape": [4, 6], "data": softmax(zd).ravel().tolist()}})
    cases.append({"op": "log_softmax", "x": {"shape": [4, 6], "data": z.ravel().tolist()}, "y": {"shape": [4, 6], "data": log_softmax(zd).ravel().tolist()}})
    labels = [0, 5, 2, 3]
    ce = -np.mean(log_softmax(zd)[np.arange(4), labels])
    cases.append({"op": "cross_entropy", "x": {"shape": [4, 6], "data": z.ravel().tolist()}, "labels": labels, "y": {"shape": [1], "data": [float(ce)]}})
    m = f32(rng.normal(size=(2, 5, 3, 4)))
    cases.append({"op": "mean_hw", "x": {"shape": [2, 5, 3, 4], "data": m.ravel().tolist()},
                  "y": {"shape": [2, 4], "data": m.astype(np.float64).mean(axis=(1, 2)).ravel().tolist()}})
    with open(sys.argv[1], "w") as f:
        json.dump({"generator": "scripts/make_tensor_fixtures.py (numpy " + np.__version__ + ")", "cases": cases}, f)


if __name__ == "__main__":
    main()
