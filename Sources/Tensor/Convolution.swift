/// 2-D convolution over NHWC tensors with HWIO filters, through im2col and one GEMM:
/// cols[(n, y, x), (ky, kx, ci)] = x[n, y·sh − ph + ky, x·sw − pw + kx, ci] (0 outside),
/// out = cols · W[(ky, kx, ci), co] + b. Backward: ∂W = colsᵀ · g, ∂cols = g · Wᵀ scattered back
/// into ∂x (col2im), ∂b = Σ g.
public struct ConvGeometry: Equatable, Sendable {
    public var inputH, inputW, channels: Int
    public var kernelH, kernelW: Int
    public var strideH, strideW: Int
    public var padTop, padLeft: Int
    public var outputH, outputW: Int

    /// `same`: output ⌈n/s⌉ and TFLite's padding (the odd pixel after); otherwise VALID.
    public init(input: [Int], kernel: (Int, Int), stride: (Int, Int), same: Bool) {
        (inputH, inputW, channels) = (input[1], input[2], input[3])
        (kernelH, kernelW, strideH, strideW) = (kernel.0, kernel.1, stride.0, stride.1)
        func out(_ n: Int, _ k: Int, _ s: Int) -> Int { same ? (n + s - 1) / s : max(0, (n - k + s) / s) }
        outputH = out(inputH, kernelH, strideH)
        outputW = out(inputW, kernelW, strideW)
        padTop = same ? max(0, (outputH - 1) * strideH + kernelH - inputH) / 2 : 0
        padLeft = same ? max(0, (outputW - 1) * strideW + kernelW - inputW) / 2 : 0
    }

    var patch: Int { kernelH * kernelW * channels }

    /// Visits the patch matrix in order: for each output pixel (a row of `patch` values) and each
    /// kernel tap in it, `body(column, pixel)` with the tap's offset in the patch matrix and its input
    /// pixel's offset in the batch (nil in the padding). im2col copies along it, col2im adds back.
    @inline(__always)
    func forEachTap(batch: Int, _ body: (_ column: Int, _ pixel: Int?) -> Void) {
        var column = 0
        for n in 0..<batch {
            let image = n * inputH * inputW * channels
            for oy in 0..<outputH {
                for ox in 0..<outputW {
                    for ky in 0..<kernelH {
                        let iy = oy * strideH - padTop + ky
                        for kx in 0..<kernelW {
                            let ix = ox * strideW - padLeft + kx
                            body(column, iy >= 0 && iy < inputH && ix >= 0 && ix < inputW ? image + (iy * inputW + ix) * channels : nil)
                            column += channels
                        }
                    }
                }
            }
        }
    }

    func im2col(_ x: UnsafePointer<Float>, batch: Int, into cols: UnsafeMutablePointer<Float>) {
        forEachTap(batch: batch) { column, pixel in
            if let pixel { (cols + column).update(from: x + pixel, count: channels) } else { (cols + column).update(repeating: 0, count: channels) }
        }
    }

    func col2im(_ cols: UnsafePointer<Float>, batch: Int, into dx: UnsafeMutablePointer<Float>) {
        forEachTap(batch: batch) { column, pixel in
            guard let pixel else { return }
            let (d, src) = (dx + pixel, cols + column)
            for c in 0..<channels { d[c] += src[c] }
        }
    }
}

extension Tensor {
    /// Convolution of NHWC `self` with HWIO `filter` ([kh, kw, cin, cout]) and optional `bias` [cout];
    /// `relu`: max(0, ·) fused on the output (one array and one pass fewer than `.relu()` after it,
    /// the same values and gradients: ∂ passes where the output is > 0).
    public func conv2d(_ filter: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1), same: Bool = true, relu: Bool = false) -> Tensor {
        precondition(shape.count == 4 && filter.shape.count == 4 && filter.shape[2] == shape[3],
                     "conv2d: input \(shape) and filter \(filter.shape) (HWIO) do not fit")
        let geo = ConvGeometry(input: shape, kernel: (filter.shape[0], filter.shape[1]), stride: stride, same: same)
        if filter.shape[0] > 1 && filter.shape[1] == 1 && stride == (1, 1) && !Tensor.forceIm2col {
            return temporalConv2d(filter, bias: bias, geo: geo, relu: relu)
        }
        let n = shape[0], cout = filter.shape[3]
        let rows = n * geo.outputH * geo.outputW
        var cols = uninitializedFloats(rows * geo.patch)
        data.withUnsafeBufferPointer { x in cols.withUnsafeMutableBufferPointer { c in geo.im2col(x.baseAddress!, batch: n, into: c.baseAddress!) } }
        var out = uninitializedFloats(rows * cout)
        if let b = bias { out.withUnsafeMutableBufferPointer { o in for r in 0..<rows { for co in 0..<cout { o[r * cout + co] = b.data[co] } } } }
        cols.withUnsafeBufferPointer { c in filter.data.withUnsafeBufferPointer { w in out.withUnsafeMutableBufferPointer { o in
            gemm(false, false, m: rows, n: cout, k: geo.patch, c.baseAddress!, w.baseAddress!, o.baseAddress!, beta: bias == nil ? 0 : 1)
        } } }
        if relu { out.withUnsafeMutableBufferPointer { clampBelowAtZero($0) } }
        let parents = [self, filter] + (bias.map { [$0] } ?? [])
        return Tensor(shape: [n, geo.outputH, geo.outputW, cout], data: out, parents: parents) { t in
            var g = t.takeGradient()
            if relu { maskByPositive(&g, t.data) }
            if filter.requiresGrad {
                var dw = uninitializedFloats(filter.count)
                cols.withUnsafeBufferPointer { c in g.withUnsafeBufferPointer { gp in dw.withUnsafeMutableBufferPointer { d in
                    gemm(true, false, m: geo.patch, n: cout, k: rows, c.baseAddress!, gp.baseAddress!, d.baseAddress!)
                } } }
                filter.accumulate(dw)
            }
            if let b = bias, b.requiresGrad { b.accumulate(columnSums(g, rows: rows, columns: cout)) }
            if self.requiresGrad {
                var dcols = uninitializedFloats(rows * geo.patch)
                g.withUnsafeBufferPointer { gp in filter.data.withUnsafeBufferPointer { w in dcols.withUnsafeMutableBufferPointer { d in
                    gemm(false, true, m: rows, n: geo.patch, k: cout, gp.baseAddress!, w.baseAddress!, d.baseAddress!)
                } } }
                var dx = [Float](repeating: 0, count: self.count)
                dcols.withUnsafeBufferPointer { d in dx.withUnsafeMutableBufferPointer { x in geo.col2im(d.baseAddress!, batch: n, into: x.baseAddress!) } }
                self.accumulate(dx)
            }
        }
    }

    /// Testing switch: every conv2d through im2col (the reference the temporal path is checked against).
    nonisolated(unsafe) public static var forceIm2col = false

    /// A (kh × 1) kernel (kh > 1; a 1×1 conv measured faster through the plain path) at stride 1 without im2col: for each image and kernel row ky, the output
    /// rows whose input row oy − pad + ky exists get (those input rows, a contiguous [rows·W, C]
    /// matrix) · W[ky] added — one small GEMM on the activations in place. Backward the same way:
    /// ∂W[ky] += xᵀ·g and ∂x += g·W[ky]ᵀ on the same row ranges. Same sums as im2col + GEMM, in
    /// another order; no patch matrix and no col2im.
    func temporalConv2d(_ filter: Tensor, bias: Tensor?, geo: ConvGeometry, relu: Bool) -> Tensor {
        let n = shape[0], cout = filter.shape[3], c = geo.channels
        let (h, w, ho, kh, pad) = (geo.inputH, geo.inputW, geo.outputH, geo.kernelH, geo.padTop)
        // GEMM blocks (kernel row, first input row, first output row, rows; rows of w pixels): per
        // image, the output rows whose input row oy − pad + ky is inside it; one block for the
        // whole batch where that is every row of every image (the centre row of a SAME kernel).
        var blocks: [(ky: Int, xRow: Int, oRow: Int, rows: Int)] = []
        for ky in 0..<kh {
            let (lo, hi) = (max(0, pad - ky), min(ho, h + pad - ky))
            guard hi > lo else { continue }
            if lo == 0 && hi == ho && ho == h && ky == pad {
                blocks.append((ky, 0, 0, n * h))
            } else {
                for i in 0..<n { blocks.append((ky, i * h + lo - pad + ky, i * ho + lo, hi - lo)) }
            }
        }
        var out = [Float](repeating: 0, count: n * ho * w * cout)
        out.withUnsafeMutableBufferPointer { o in
            if let b = bias { for r in 0..<(n * ho * w) { for co in 0..<cout { o[r * cout + co] = b.data[co] } } }
            data.withUnsafeBufferPointer { x in filter.data.withUnsafeBufferPointer { f in
                for bl in blocks {
                    gemm(false, false, m: bl.rows * w, n: cout, k: c, x.baseAddress! + bl.xRow * w * c, lda: c,
                         f.baseAddress! + bl.ky * c * cout, ldb: cout, o.baseAddress! + bl.oRow * w * cout, ldc: cout, beta: 1)
                }
            } }
            if relu { clampBelowAtZero(o) }
        }
        let parents = [self, filter] + (bias.map { [$0] } ?? [])
        return Tensor(shape: [n, ho, w, cout], data: out, parents: parents) { t in
            var g = t.takeGradient()
            if relu { maskByPositive(&g, t.data) }
            if let b = bias, b.requiresGrad { b.accumulate(columnSums(g, rows: n * ho * w, columns: cout)) }
            g.withUnsafeBufferPointer { gp in self.data.withUnsafeBufferPointer { x in filter.data.withUnsafeBufferPointer { f in
                if filter.requiresGrad {
                    var dw = [Float](repeating: 0, count: filter.count)
                    dw.withUnsafeMutableBufferPointer { d in
                        for bl in blocks {
                            gemm(true, false, m: c, n: cout, k: bl.rows * w, x.baseAddress! + bl.xRow * w * c, lda: c,
                                 gp.baseAddress! + bl.oRow * w * cout, ldb: cout, d.baseAddress! + bl.ky * c * cout, ldc: cout, beta: 1)
                        }
                    }
                    filter.accumulate(dw)
                }
                if self.requiresGrad {
                    var dx = [Float](repeating: 0, count: self.count)
                    dx.withUnsafeMutableBufferPointer { d in
                        for bl in blocks {
                            gemm(false, true, m: bl.rows * w, n: c, k: cout, gp.baseAddress! + bl.oRow * w * cout, lda: cout,
                                 f.baseAddress! + bl.ky * c * cout, ldb: cout, d.baseAddress! + bl.xRow * w * c, ldc: c, beta: 1)
                        }
                    }
                    self.accumulate(dx)
                }
            } } }
        }
    }

    /// Fully connected: self [N, D] (any trailing shape is flattened) · W [D, U] + b → [N, U].
    public func dense(_ weight: Tensor, bias: Tensor? = nil) -> Tensor {
        let n = shape[0], d = count / n, u = weight.shape[1]
        precondition(weight.shape[0] == d, "dense: input of \(d) features, weight \(weight.shape)")
        var out = [Float](repeating: 0, count: n * u)
        if let b = bias { for r in 0..<n { for k in 0..<u { out[r * u + k] = b.data[k] } } }
        data.withUnsafeBufferPointer { x in weight.data.withUnsafeBufferPointer { w in out.withUnsafeMutableBufferPointer { o in
            gemm(false, false, m: n, n: u, k: d, x.baseAddress!, w.baseAddress!, o.baseAddress!, beta: bias == nil ? 0 : 1)
        } } }
        let parents = [self, weight] + (bias.map { [$0] } ?? [])
        return Tensor(shape: [n, u], data: out, parents: parents) { t in
            let g = t.grad!
            if weight.requiresGrad {
                var dw = [Float](repeating: 0, count: weight.count)
                self.data.withUnsafeBufferPointer { x in g.withUnsafeBufferPointer { gp in dw.withUnsafeMutableBufferPointer { dd in
                    gemm(true, false, m: d, n: u, k: n, x.baseAddress!, gp.baseAddress!, dd.baseAddress!)
                } } }
                weight.accumulate(dw)
            }
            if let b = bias, b.requiresGrad { b.accumulate(columnSums(g, rows: n, columns: u)) }
            if self.requiresGrad {
                var dx = [Float](repeating: 0, count: self.count)
                g.withUnsafeBufferPointer { gp in weight.data.withUnsafeBufferPointer { w in dx.withUnsafeMutableBufferPointer { xx in
                    gemm(false, true, m: n, n: d, k: u, gp.baseAddress!, w.baseAddress!, xx.baseAddress!)
                } } }
                self.accumulate(dx)
            }
        }
    }
}

/// Σ over rows of a row-major rows × columns matrix (bias gradients), row by row so it vectorizes.
func columnSums(_ g: [Float], rows: Int, columns: Int) -> [Float] {
    var sums = [Float](repeating: 0, count: columns)
    sums.withUnsafeMutableBufferPointer { s in g.withUnsafeBufferPointer { gp in
        let sp = s.baseAddress!
        var row = gp.baseAddress!
        for _ in 0..<rows {
            for c in 0..<columns { sp[c] += row[c] }
            row += columns
        }
    } }
    return sums
}

/// An array whose every element the caller overwrites before reading (no zero fill).
@inline(__always)
func uninitializedFloats(_ count: Int) -> [Float] {
    [Float](unsafeUninitializedCapacity: count) { _, n in n = count }
}
