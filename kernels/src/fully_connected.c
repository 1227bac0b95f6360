/* FULLY_CONNECTED int8, per-tensor or per-unit requantization (TFLite semantics): batches are the
 * columns of the 2x2 matrix kernel of mn_gemm.h. */
#include "mn_kernels.h"
#include "mn_gemm.h"

/* A pair of int16 columns of depth values (mn_gemm.h). */
int32_t mn_fully_connected_s8_scratch_bytes(int32_t depth) { return 2 * 2 * depth; }

void mn_fully_connected_s8(int32_t input_offset, int32_t output_offset, int32_t act_min, int32_t act_max,
                           mn_requant q,
                           int32_t batches, int32_t depth, const int8_t *input,
                           int32_t units, const int8_t *filter, const int32_t *bias, int8_t *output, void *scratch) {
    const int32_t k4 = depth & ~3;
    int16_t *cols = scratch;
    const int32_t kind = mn_rq_kind(q.multiplier, q.shift, q.per_channel ? units : 1);
    for (int32_t b = 0; b < batches; b += 2) {
        const int32_t have2 = b + 1 < batches;
        mn_col_put(cols, 0, 0, input + b * depth, depth, input_offset, k4);
        mn_col_put(cols, 1, 0, input + (have2 ? b + 1 : b) * depth, depth, input_offset, k4);
        mn_gemm_columns(filter, units, depth, cols, bias, q, kind, output_offset, act_min, act_max,
                        output + b * units, have2 ? output + (b + 1) * units : 0);
    }
}
