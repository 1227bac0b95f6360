import Datasets
import Graph
import Tensor

extension GraphNetwork {
    /// The trained parameters in the training layout (conv2d HWIO, dense [D, U]) for the conversion.
    public var floatParameters: [String: FloatParameters] {
        var out: [String: FloatParameters] = [:]
        for (name, w) in weights { out[name] = FloatParameters(filter: w.data, filterShape: w.shape, bias: biases[name]?.data) }
        return out
    }

    /// The int8 model of this network with the activation `ranges` (QAT's, or calibrated after
    /// training): `QuantizedModel.converting` with the scales the fake-quantized forward uses.
    public func quantizedModel(ranges: [String: ActivationRange], preprocessing: Preprocessing?) throws -> QuantizedModel {
        try QuantizedModel.converting(graph, parameters: floatParameters, activations: Trainer.quantization(ranges), preprocessing: preprocessing)
    }
}

extension WindowDataset {
    /// The transform a model trained on this dataset expects: window, channels, the training split's
    /// per-channel statistics, class names.
    public var preprocessing: Preprocessing {
        Preprocessing(window: length, channels: channels, mean: mean, std: std, classes: classes, source: "\(name), training split")
    }
}
