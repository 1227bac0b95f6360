// Numbers from the TFLite FlatBuffer schema (tensorflow/lite/schema/schema.fbs, schema version 3).

enum TFLiteSchema {
    static let identifier = "TFL3"
    static let version: UInt32 = 3

    /// TensorType.
    enum TensorType: Int8 {
        case float32 = 0, float16 = 1, int32 = 2, uint8 = 3, int64 = 4, string = 5, bool = 6, int16 = 7
        case complex64 = 8, int8 = 9, float64 = 10

        var name: String { String(describing: self).uppercased() }
    }

    /// The BuiltinOperator values micronas reads and writes, with the BuiltinOptions union member
    /// each uses and the op version the TensorFlow Lite converter writes for its int8 form.
    enum Builtin: Int32 {
        case add = 0, averagePool2d = 1, conv2d = 3, depthwiseConv2d = 4, dequantize = 6, fullyConnected = 9
        case maxPool2d = 17, reshape = 22, softmax = 25, mean = 40, quantize = 114

        var optionsType: UInt8 {
            switch self {
            case .conv2d: return 1            // Conv2DOptions
            case .depthwiseConv2d: return 2   // DepthwiseConv2DOptions
            case .averagePool2d, .maxPool2d: return 5  // Pool2DOptions
            case .fullyConnected: return 8    // FullyConnectedOptions
            case .softmax: return 9           // SoftmaxOptions
            case .add: return 11              // AddOptions
            case .reshape: return 17          // ReshapeOptions
            case .mean: return 27             // ReducerOptions
            case .dequantize: return 38       // DequantizeOptions
            case .quantize: return 89         // QuantizeOptions
            }
        }

        /// Versions the converter writes for int8 (tensorflow/lite/tools/versioning/op_version.cc).
        var int8Version: Int32 {
            switch self {
            case .conv2d, .depthwiseConv2d: return 3
            case .fullyConnected: return 4
            case .add, .averagePool2d, .maxPool2d, .softmax, .mean, .quantize, .dequantize: return 2
            case .reshape: return 1
            }
        }
    }

    /// ActivationFunctionType.
    static func activationCode(_ name: String) -> Int8 {
        switch name { case "RELU": return 1; case "RELU6": return 3; default: return 0 }
    }

    /// BuiltinOperator names by code, for error messages.
    static let operatorNames: [String] = """
        ADD AVERAGE_POOL_2D CONCATENATION CONV_2D DEPTHWISE_CONV_2D DEPTH_TO_SPACE DEQUANTIZE EMBEDDING_LOOKUP FLOOR \
        FULLY_CONNECTED HASHTABLE_LOOKUP L2_NORMALIZATION L2_POOL_2D LOCAL_RESPONSE_NORMALIZATION LOGISTIC LSH_PROJECTION \
        LSTM MAX_POOL_2D MUL RELU RELU_N1_TO_1 RELU6 RESHAPE RESIZE_BILINEAR RNN SOFTMAX SPACE_TO_DEPTH SVDF TANH \
        CONCAT_EMBEDDINGS SKIP_GRAM CALL CUSTOM EMBEDDING_LOOKUP_SPARSE PAD UNIDIRECTIONAL_SEQUENCE_RNN GATHER \
        BATCH_TO_SPACE_ND SPACE_TO_BATCH_ND TRANSPOSE MEAN SUB DIV SQUEEZE UNIDIRECTIONAL_SEQUENCE_LSTM STRIDED_SLICE \
        BIDIRECTIONAL_SEQUENCE_RNN EXP TOPK_V2 SPLIT LOG_SOFTMAX DELEGATE BIDIRECTIONAL_SEQUENCE_LSTM CAST PRELU MAXIMUM \
        ARG_MAX MINIMUM LESS NEG PADV2 GREATER GREATER_EQUAL LESS_EQUAL SELECT SLICE SIN TRANSPOSE_CONV SPARSE_TO_DENSE \
        TILE EXPAND_DIMS EQUAL NOT_EQUAL LOG SUM SQRT RSQRT SHAPE POW ARG_MIN FAKE_QUANT REDUCE_PROD REDUCE_MAX PACK \
        LOGICAL_OR ONE_HOT LOGICAL_AND LOGICAL_NOT UNPACK REDUCE_MIN FLOOR_DIV REDUCE_ANY SQUARE ZEROS_LIKE FILL FLOOR_MOD \
        RANGE RESIZE_NEAREST_NEIGHBOR LEAKY_RELU SQUARED_DIFFERENCE MIRROR_PAD ABS SPLIT_V UNIQUE CEIL REVERSE_V2 ADD_N \
        GATHER_ND COS WHERE RANK ELU REVERSE_SEQUENCE MATRIX_DIAG QUANTIZE MATRIX_SET_DIAG ROUND HARD_SWISH IF WHILE \
        NON_MAX_SUPPRESSION_V4 NON_MAX_SUPPRESSION_V5 SCATTER_ND SELECT_V2 DENSIFY SEGMENT_SUM BATCH_MATMUL \
        PLACEHOLDER_FOR_GREATER_OP_CODES CUMSUM CALL_ONCE BROADCAST_TO RFFT2D CONV_3D IMAG REAL COMPLEX_ABS HASHTABLE \
        HASHTABLE_FIND HASHTABLE_IMPORT HASHTABLE_SIZE REDUCE_ALL CONV_3D_TRANSPOSE VAR_HANDLE READ_VARIABLE \
        ASSIGN_VARIABLE BROADCAST_ARGS RANDOM_STANDARD_NORMAL BUCKETIZE RANDOM_UNIFORM MULTINOMIAL GELU \
        DYNAMIC_UPDATE_SLICE RELU_0_TO_1 UNSORTED_SEGMENT_PROD UNSORTED_SEGMENT_MAX UNSORTED_SEGMENT_SUM ATAN2 \
        UNSORTED_SEGMENT_MIN SIGN BITCAST BITWISE_XOR RIGHT_SHIFT
        """.split(separator: " ").map(String.init)

    static func operatorName(_ code: Int32) -> String {
        code >= 0 && Int(code) < operatorNames.count ? operatorNames[Int(code)] : "BUILTIN_\(code)"
    }
}
