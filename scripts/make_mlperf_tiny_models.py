#!/usr/bin/env python3
"""Writes MLPerf Tiny-style int8 models (bench/mlperf-tiny/*.tflite) for `make profile-mlperf`.

Needs TensorFlow (not a micronas dependency; run once, in any venv with `pip install tensorflow-cpu`):

  python scripts/make_mlperf_tiny_models.py bench/mlperf-tiny

The four MLPerf Tiny v0.5 benchmark networks, built in Keras from their published descriptions
(the MLPerf Tiny paper, arXiv:2106.07597, Table 1, and the benchmark's model definitions), with
seeded random weights: latency on a microcontroller depends on the layer shapes, not on the weight
values. Each is converted by tf.lite.TFLiteConverter with full-integer quantization (int8 input and
output, a seeded random representative dataset), as the benchmark's reference models are.

  kws   DS-CNN (small) on 49x10x1 MFCC features, 12 classes
  ic    ResNet-8 on 32x32x3 CIFAR-10 images, 10 classes
  vww   MobileNetV1 (width 0.25) on 96x96x3 images, 2 classes
  ad    FC autoencoder on 640 log-mel features (5 frames x 128 bins)

A static batch of 1 keeps Flatten a plain RESHAPE (micronas runs RESHAPE, not SHAPE/STRIDED_SLICE).
"""
import os
import sys

import numpy as np
import tensorflow as tf

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_converter_fixtures import convert_int8  # noqa: E402 (the one conversion both fixture scripts use)

L = tf.keras.layers


def conv_bn_relu(x, filters, kernel, strides=1):
    x = L.Conv2D(filters, kernel, strides=strides, padding="same", use_bias=False)(x)
    x = L.BatchNormalization()(x)
    return L.ReLU()(x)


def kws():
    """DS-CNN small: a (10x4)/2 conv to 64 channels, four depthwise-separable blocks, average pool, dense."""
    x = inp = L.Input((49, 10, 1), batch_size=1)
    x = conv_bn_relu(x, 64, (10, 4), strides=(2, 2))
    for _ in range(4):
        x = L.DepthwiseConv2D((3, 3), padding="same", use_bias=False)(x)
        x = L.BatchNormalization()(x)
        x = L.ReLU()(x)
        x = conv_bn_relu(x, 64, (1, 1))
    x = L.AveragePooling2D(pool_size=(25, 5))(x)
    x = L.Flatten()(x)
    return tf.keras.Model(inp, L.Softmax()(L.Dense(12)(x)))


def ic():
    """ResNet-8: a 3x3 conv to 16, three residual stacks (16, 32/2, 64/2) with 1x1 projections, average pool, dense."""
    x = inp = L.Input((32, 32, 3), batch_size=1)
    x = conv_bn_relu(x, 16, (3, 3))
    for filters, stride in [(16, 1), (32, 2), (64, 2)]:
        y = conv_bn_relu(x, filters, (3, 3), strides=stride)
        y = L.Conv2D(filters, (3, 3), padding="same", use_bias=False)(y)
        y = L.BatchNormalization()(y)
        shortcut = x if stride == 1 else L.Conv2D(filters, (1, 1), strides=stride, padding="same")(x)
        x = L.ReLU()(L.Add()([shortcut, y]))
    x = L.AveragePooling2D(pool_size=(8, 8))(x)
    x = L.Flatten()(x)
    return tf.keras.Model(inp, L.Softmax()(L.Dense(10)(x)))


def vww():
    """MobileNetV1 width 0.25: a 3x3/2 conv to 8, 13 depthwise-separable blocks, average pool, dense."""
    x = inp = L.Input((96, 96, 3), batch_size=1)
    x = conv_bn_relu(x, 8, (3, 3), strides=2)
    for filters, stride in [(16, 1), (32, 2), (32, 1), (64, 2), (64, 1), (128, 2), (128, 1), (128, 1), (128, 1), (128, 1), (128, 1), (256, 2), (256, 1)]:
        x = L.DepthwiseConv2D((3, 3), strides=stride, padding="same", use_bias=False)(x)
        x = L.BatchNormalization()(x)
        x = L.ReLU()(x)
        x = conv_bn_relu(x, filters, (1, 1))
    x = L.AveragePooling2D(pool_size=(3, 3))(x)
    x = L.Flatten()(x)
    return tf.keras.Model(inp, L.Softmax()(L.Dense(2)(x)))


def ad():
    """FC autoencoder: 640 -> 4 x 128 -> 8 -> 4 x 128 -> 640, dense layers with batch norm and ReLU."""
    x = inp = L.Input((640,), batch_size=1)
    for units in [128, 128, 128, 128, 8, 128, 128, 128, 128]:
        x = L.ReLU()(L.BatchNormalization()(L.Dense(units)(x)))
    return tf.keras.Model(inp, L.Dense(640)(x))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "bench/mlperf-tiny"
    os.makedirs(out, exist_ok=True)
    for seed, (name, build) in enumerate([("kws_ds_cnn", kws), ("ic_resnet8", ic), ("vww_mobilenet_v1_025", vww), ("ad_fc_autoencoder", ad)]):
        tf.keras.utils.set_random_seed(seed + 1)
        model = build()
        # Random batch-norm statistics, so the folded scales are not all 1.
        for layer in model.layers:
            if isinstance(layer, L.BatchNormalization):
                gamma, beta, mean, var = layer.get_weights()
                rng = np.random.default_rng(seed + 100)
                layer.set_weights([rng.uniform(0.5, 1.5, gamma.shape), rng.normal(0, 0.1, beta.shape),
                                   rng.normal(0, 0.1, mean.shape), rng.uniform(0.5, 1.5, var.shape)])
        data = convert_int8(model, seed + 1, samples=32)
        with open(os.path.join(out, name + ".tflite"), "wb") as f:
            f.write(data)
        print(f"{name}.tflite: {len(data)} bytes, {model.count_params()} parameters (TensorFlow {tf.__version__})")


if __name__ == "__main__":
    main()
