/* FULLY_CONNECTED int8, per-tensor or per-unit requantization (TFLite semantics), without scratch:
 * the input is read in place. With the DSP extension a word of four inputs is widened once (SXTB16
 * of the even and the odd bytes, the input offset added with SADD16) and multiplied into four filter
 * rows, each widened the same way, by SMLAD (ARMv7-M ARM A7.7.{163,213,102}); the pairs line up
 * because SXTB16 splits inputs and weights into the same (0, 2) and (1, 3) lanes. Accumulators go
 * in blocks of MN_BLOCK units to mn_rq_block. */
#include "mn_kernels.h"
#include "mn_gemm.h"  /* mn_dot_rows */

/* No scratch (the TFLM reference kernel needs none either). */
int32_t mn_fully_connected_s8_scratch_bytes(int32_t depth) {
    (void)depth;
    return 0;
}

void mn_fully_connected_s8(int32_t input_offset, int32_t output_offset, int32_t act_min, int32_t act_max,
                           mn_requant q,
                           int32_t batches, int32_t depth, const int8_t *input,
                           int32_t units, const int8_t *filter, const int32_t *bias, int8_t *output, void *scratch) {
    (void)scratch;
    const int32_t kind = mn_rq_kind(q.multiplier, q.shift, q.per_channel ? units : 1), step = q.per_channel ? 1 : 0;
    int32_t acc[MN_BLOCK];
    for (int32_t b = 0; b < batches; b++) {
        const int8_t *x = input + b * depth;
        for (int32_t r0 = 0; r0 < units; r0 += MN_BLOCK) {
            const int32_t n = units - r0 < MN_BLOCK ? units - r0 : MN_BLOCK;
            for (int32_t r = 0; r < n; r++) acc[r] = bias ? bias[r0 + r] : 0;
            int32_t r = 0;
            for (; r + 4 <= n; r += 4) mn_dot_rows(filter + (r0 + r) * depth, 4, depth, depth, x, input_offset, acc + r);
            for (; r < n; r++) mn_dot_rows(filter + (r0 + r) * depth, 1, depth, depth, x, input_offset, acc + r);
            mn_rq_block(acc, n, q.multiplier + step * r0, q.shift + step * r0, step, kind, output_offset, act_min, act_max,
                        output + b * units + r0);
        }
    }
}
