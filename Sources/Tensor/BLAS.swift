import COpenBLAS

/// The one entry point to OpenBLAS: C = α·op(A)·op(B) + β·C, row-major, op = transpose when asked.
/// A is M×K (K×M transposed), B is K×N (N×K transposed), C is M×N.
@inline(__always)
func gemm(_ transA: Bool, _ transB: Bool, m: Int, n: Int, k: Int,
          _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, beta: Float = 0) {
    guard m > 0, n > 0, k > 0 else { return }
    // Small products run on one thread: waking OpenBLAS's workers costs more than it saves there,
    // and idle workers spin (sched_yield) on the core the rest of the step needs.
    let threads = m * n * k >= BLASThreads.parallelThreshold ? BLASThreads.count : 1
    if threads != BLASThreads.current { openblas_set_num_threads(Int32(threads)); BLASThreads.current = threads }
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), 1, a, Int32(transA ? m : k), b, Int32(transB ? k : n), beta, c, Int32(n))
}

/// `gemm` on sub-matrices: leading dimensions (row strides, in elements) given explicitly.
@inline(__always)
func gemm(_ transA: Bool, _ transB: Bool, m: Int, n: Int, k: Int,
          _ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int, _ c: UnsafeMutablePointer<Float>, ldc: Int, beta: Float) {
    guard m > 0, n > 0, k > 0 else { return }
    let threads = m * n * k >= BLASThreads.parallelThreshold ? BLASThreads.count : 1
    if threads != BLASThreads.current { openblas_set_num_threads(Int32(threads)); BLASThreads.current = threads }
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), 1, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

public enum BLASThreads {
    /// Threads for large products (default: what OpenBLAS found, all cores).
    nonisolated(unsafe) public static var count: Int = Int(openblas_get_num_threads())
    /// Products of at least this many multiply-adds use `count` threads; smaller ones one.
    nonisolated(unsafe) public static var parallelThreshold = 8_000_000
    nonisolated(unsafe) static var current = -1

    /// Puts OpenBLAS on one thread before worker threads call it (so they never change the setting).
    public static func useOneThread() {
        openblas_set_num_threads(1)
        current = 1
    }
}
