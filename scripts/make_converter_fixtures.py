#!/usr/bin/env python3
"""Writes the TensorFlow Lite converter fixtures under Tests/DeployTests/Fixtures/.

Needs TensorFlow (not a micronas dependency; run once, in any venv with `pip install tensorflow-cpu`):

  python scripts/make_converter_fixtures.py Tests/DeployTests/Fixtures

Each model is a small Keras network in the shapes micronas searches (time × sensors × channels),
with seeded random weights, converted by tf.lite.TFLiteConverter with full-integer quantization
(int8 inputs and outputs, a seeded random representative dataset). The outputs are whatever the
converter writes: these files are the independent reference for micronas' .tflite reader.
"""
import os
import sys

import numpy as np
import tensorflow as tf

L = tf.keras.layers


def har_cnn():
    """Time-Reduce-style (5×1, stride 2) convs, a (1×9) sensor-fusion conv, 1×1 to classes, GAP, softmax."""
    x = inp = L.Input((128, 9, 1))
    for _ in range(3):
        x = L.Conv2D(16, (5, 1), strides=(2, 1), padding="same", activation="relu")(x)
    x = L.Conv2D(32, (1, 9), padding="valid", activation="relu")(x)
    x = L.Conv2D(6, (1, 1))(x)
    x = L.GlobalAveragePooling2D()(x)
    return tf.keras.Model(inp, L.Softmax()(x))


def residual():
    """A sensor-fusion-style cell: two (k×1) branches summed with a 1×1 projection, pooling, dense head."""
    x = inp = L.Input((32, 6, 4), batch_size=1)  # a static batch keeps Flatten a plain RESHAPE
    a = L.Conv2D(8, (3, 1), padding="same", activation="relu")(x)
    b = L.Conv2D(8, (7, 1), padding="same", activation="relu")(x)
    p = L.Conv2D(8, (1, 1), padding="same")(x)
    x = L.Add()([L.Add()([a, b]), p])
    x = L.MaxPooling2D((2, 1))(x)
    x = L.DepthwiseConv2D((3, 3), padding="same", activation="relu6")(x)
    x = L.AveragePooling2D((2, 2), padding="valid")(x)
    x = L.Flatten()(x)
    x = L.Dense(10)(x)
    return tf.keras.Model(inp, L.Softmax()(x))


def convert_int8(model, seed, samples=64):
    """The model as full-integer int8 .tflite bytes (int8 input and output), calibrated on `samples`
    seeded random normal inputs."""
    rng = np.random.default_rng(seed)
    shape = model.input_shape[1:]

    def representative():
        for _ in range(samples):
            yield [rng.normal(0, 1, (1,) + shape).astype(np.float32)]

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    return converter.convert()


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "Tests/DeployTests/Fixtures"
    os.makedirs(out, exist_ok=True)
    for seed, (name, build) in enumerate([("har_cnn_int8", har_cnn), ("residual_int8", residual)]):
        tf.keras.utils.set_random_seed(seed + 1)
        data = convert_int8(build(), seed + 1)
        with open(os.path.join(out, name + ".tflite"), "wb") as f:
            f.write(data)
        print(f"{name}.tflite: {len(data)} bytes (TensorFlow {tf.__version__})")


if __name__ == "__main__":
    main()
