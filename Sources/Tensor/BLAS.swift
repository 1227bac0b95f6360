import COpenBLAS

/// The one entry point to OpenBLAS: C = α·op(A)·op(B) + β·C, row-major, op = transpose when asked.
/// A is M×K (K×M transposed), B is K×N (N×K transposed), C is M×N.
@inline(__always)
func gemm(_ transA: Bool, _ transB: Bool, m: Int, n: Int, k: Int,
          _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, beta: Float = 0) {
    guard m > 0, n > 0, k > 0 else { return }
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), 1, a, Int32(transA ? m : k), b, Int32(transB ? k : n), beta, c, Int32(n))
}

public enum BLASThreads {
    /// OpenBLAS worker threads (it uses all cores by default).
    public static var count: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(newValue)) }
    }
}
