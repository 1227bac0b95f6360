/* FULLY_CONNECTED int8, per-tensor or per-unit requantization (TFLite semantics), without scratch:
 * the input is read in place. With the DSP extension a word of four inputs is widened once (SXTB16
 * of the even and the odd bytes, the input offset added with SADD16) and multiplied into four filter
 * rows, each widened the same way, by SMLAD (ARMv7-M ARM A7.7.{163,213,102}); the pairs line up
 * because SXTB16 splits inputs and weights into the same (0, 2) and (1, 3) lanes. Accumulators go
 * in blocks of MN_BLOCK units to mn_rq_block. */
#include "mn_kernels.h"
#include "mn_gemm.h"  /* MN_DSP, mn_sxtb16_odd */

/* No scratch (the TFLM reference kernel needs none either). */
int32_t mn_fully_connected_s8_scratch_bytes(int32_t depth) {
    (void)depth;
    return 0;
}

#if MN_DSP
static inline uint32_t load_word(const int8_t *p) {
    uint32_t w;
    memcpy(&w, p, 4);
    return w;
}
#endif

/* a[j] += row j (w + j * depth) · (x + offset), for j < rows (1 or 4). */
static inline void dot_rows(const int8_t *w, int32_t rows, int32_t depth, const int8_t *x, int32_t offset, int32_t *a) {
    int32_t k = 0;
#if MN_DSP
    const int16x2_t off = (int16x2_t)(((uint32_t)(uint16_t)offset << 16) | (uint16_t)offset);
    if (rows == 4) {
        int32_t a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3];
        const int8_t *w0 = w, *w1 = w + depth, *w2 = w + 2 * depth, *w3 = w + 3 * depth;
        for (; k + 4 <= depth; k += 4) {
            const uint32_t xw = load_word(x + k);
            const int16x2_t xe = __sadd16(__sxtb16((int8x4_t)xw), off), xo = __sadd16(mn_sxtb16_odd(xw), off);
            uint32_t v = load_word(w0 + k);
            a0 = __smlad(__sxtb16((int8x4_t)v), xe, a0); a0 = __smlad(mn_sxtb16_odd(v), xo, a0);
            v = load_word(w1 + k);
            a1 = __smlad(__sxtb16((int8x4_t)v), xe, a1); a1 = __smlad(mn_sxtb16_odd(v), xo, a1);
            v = load_word(w2 + k);
            a2 = __smlad(__sxtb16((int8x4_t)v), xe, a2); a2 = __smlad(mn_sxtb16_odd(v), xo, a2);
            v = load_word(w3 + k);
            a3 = __smlad(__sxtb16((int8x4_t)v), xe, a3); a3 = __smlad(mn_sxtb16_odd(v), xo, a3);
        }
        a[0] = a0; a[1] = a1; a[2] = a2; a[3] = a3;
    } else {
        int32_t a0 = a[0];
        for (; k + 4 <= depth; k += 4) {
            const uint32_t xw = load_word(x + k), v = load_word(w + k);
            a0 = __smlad(__sxtb16((int8x4_t)v), __sadd16(__sxtb16((int8x4_t)xw), off), a0);
            a0 = __smlad(mn_sxtb16_odd(v), __sadd16(mn_sxtb16_odd(xw), off), a0);
        }
        a[0] = a0;
    }
#endif
    for (; k < depth; k++) {
        const int32_t xv = x[k] + offset;
        for (int32_t j = 0; j < rows; j++) a[j] += w[j * depth + k] * xv;
    }
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
            for (; r + 4 <= n; r += 4) dot_rows(filter + (r0 + r) * depth, 4, depth, x, input_offset, acc + r);
            for (; r < n; r++) dot_rows(filter + (r0 + r) * depth, 1, depth, x, input_offset, acc + r);
            mn_rq_block(acc, n, q.multiplier + step * r0, q.shift + step * r0, step, kind, output_offset, act_min, act_max,
                        output + b * units + r0);
        }
    }
}
