@testable import Deploy

/// `.tflite` files made by hand with the FlatBuffer encoder, for what no writer would produce.
enum HandMadeModels {
    /// A model by hand: input int8 [1, 4] → one operator with the given builtin code and a filter tensor.
    static func singleOperator(builtin: Int32, filterType: Int8 = 9, activationType: Int8 = 9) -> [UInt8] {
        let quant = FBField.object(.table([nil, nil, .object(.floats([0.1])), .object(.int64s([0])), nil, nil, .i32(0)]))
        let tensors: [FBObject] = [
            .table([.object(.int32s([1, 4])), .i8(activationType), .u32(0), .object(.string("x")), quant]),
            .table([.object(.int32s([2, 4])), .i8(filterType), .u32(1), .object(.string("w")), quant]),
            .table([.object(.int32s([1, 2])), .i8(9), .u32(0), .object(.string("y")), quant]),
        ]
        let op = FBObject.table([.u32(0), .object(.int32s([0, 1, -1])), .object(.int32s([2])), .u8(8), .object(.table([.i8(0)]))])
        let subgraph = FBObject.table([.object(.tables(tensors)), .object(.int32s([0])), .object(.int32s([2])), .object(.tables([op]))])
        let weightBytes = filterType == 0 ? 32 : 8
        let root = FBObject.table([.u32(3), .object(.tables([.table([.i8(Int8(min(builtin, 127))), nil, .i32(1), .i32(builtin)])])),
                                   .object(.tables([subgraph])), nil,
                                   .object(.tables([.table([]), .table([.object(.bytes([UInt8](repeating: 1, count: weightBytes), align: 16))])]))])
        return FlatBufferEncoder.encode(root: root, identifier: "TFL3")
    }
}
