/*
 * The int8 matrix kernel behind CONV_2D (im2col) and FULLY_CONNECTED.
 *
 * Activations are first widened to int16 "columns" with the input offset already added (0 for padded
 * taps, so they contribute nothing, as in TFLite). Within every complete group of four values a
 * column is stored reordered as (x0, x2, x1, x3): that is what SXTB16 produces from a word of four
 * int8 (even lanes, then odd lanes after a rotate by 8), so with the DSP extension one 32-bit load of
 * the filter and two SXTB16 feed SMLADs against 32-bit column loads, two MACs each. Two columns are
 * interleaved group by group, so one four-word load serves two output channels × two columns (four
 * accumulators, eight SMLAD per group) and every operand stays in a register on Cortex-M
 * (ARMv7-M ARM A7.7.{163,213}).
 * Without DSP the same layout is consumed by plain C, so the host build runs the same algorithm.
 */
#ifndef MN_GEMM_H
#define MN_GEMM_H
#include <stdint.h>
#include <string.h>
#include "mn_kernels.h"
#include "mn_fixed_point.h"
#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
#include <arm_acle.h>
#define MN_DSP 1
#else
#define MN_DSP 0
#endif

#if MN_DSP
/* SXTB16 of the word rotated right by 8 (odd byte lanes), in one instruction: the rotation is an
 * operand of SXTB16 (ARMv7-M ARM A7.7.213), which the ACLE intrinsic does not expose. */
static inline int16x2_t mn_sxtb16_odd(uint32_t w) {
    int16x2_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(w));
    return r;
}
#endif

#if MN_DSP
static inline uint32_t mn_load_word(const int8_t *p) {
    uint32_t w;
    memcpy(&w, p, 4);
    return w;
}
#endif

/* a[j] += (w + j * stride)[0 .. n) · (x[0 .. n) + offset), for j < rows (1 or 4), reading x in place:
 * FULLY_CONNECTED's rows, and the scratch-free CONV_2D's filter rows over one window row. With the
 * DSP extension a word of four inputs is widened once (SXTB16 of the even and the odd bytes, the
 * offset added with SADD16) and multiplied into the rows, each widened the same way, by SMLAD
 * (ARMv7-M ARM A7.7.{163,213,102}); the pairs line up because SXTB16 splits inputs and weights into
 * the same (0, 2) and (1, 3) lanes. */
static inline void mn_dot_rows(const int8_t *w, int32_t rows, int32_t stride, int32_t n, const int8_t *x, int32_t offset, int32_t *a) {
    int32_t k = 0;
#if MN_DSP
    const int16x2_t off = (int16x2_t)(((uint32_t)(uint16_t)offset << 16) | (uint16_t)offset);
    if (rows == 4) {
        int32_t a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3];
        const int8_t *w0 = w, *w1 = w + stride, *w2 = w + 2 * stride, *w3 = w + 3 * stride;
        for (; k + 4 <= n; k += 4) {
            const uint32_t xw = mn_load_word(x + k);
            const int16x2_t xe = __sadd16(__sxtb16((int8x4_t)xw), off), xo = __sadd16(mn_sxtb16_odd(xw), off);
            uint32_t v = mn_load_word(w0 + k);
            a0 = __smlad(__sxtb16((int8x4_t)v), xe, a0); a0 = __smlad(mn_sxtb16_odd(v), xo, a0);
            v = mn_load_word(w1 + k);
            a1 = __smlad(__sxtb16((int8x4_t)v), xe, a1); a1 = __smlad(mn_sxtb16_odd(v), xo, a1);
            v = mn_load_word(w2 + k);
            a2 = __smlad(__sxtb16((int8x4_t)v), xe, a2); a2 = __smlad(mn_sxtb16_odd(v), xo, a2);
            v = mn_load_word(w3 + k);
            a3 = __smlad(__sxtb16((int8x4_t)v), xe, a3); a3 = __smlad(mn_sxtb16_odd(v), xo, a3);
        }
        a[0] = a0; a[1] = a1; a[2] = a2; a[3] = a3;
    } else {
        int32_t a0 = a[0];
        for (; k + 4 <= n; k += 4) {
            const uint32_t xw = mn_load_word(x + k), v = mn_load_word(w + k);
            a0 = __smlad(__sxtb16((int8x4_t)v), __sadd16(__sxtb16((int8x4_t)xw), off), a0);
            a0 = __smlad(mn_sxtb16_odd(v), __sadd16(mn_sxtb16_odd(xw), off), a0);
        }
        a[0] = a0;
    }
#endif
    for (; k < n; k++) {
        const int32_t xv = x[k] + offset;
        for (int32_t j = 0; j < rows; j++) a[j] += w[j * stride + k] * xv;
    }
}

/* Column pair layout in scratch (2 * K int16): for every complete group g of four values
 * (k = 4g .. 4g+3, g < K / 4), eight int16 at 8g: column 0 as (x0, x2, x1, x3), then column 1 the
 * same way; after the groups, the K mod 4 remaining values alternate column 0, column 1. One load of
 * four words feeds eight SMLAD. */
static inline int32_t mn_col_index(int32_t j, int32_t k, int32_t k4) {
    if (k >= k4) return 2 * k + j;
    return ((k >> 2) << 3) + (j << 2) + (((k & 1) << 1) | ((k & 2) >> 1));
}

/* Writes n input values (plus offset) at positions k .. k+n-1 of column j. */
static inline void mn_col_put(int16_t *col, int32_t j, int32_t k, const int8_t *src, int32_t n, int32_t offset, int32_t k4) {
    int32_t i = 0;
#if MN_DSP
    if ((k & 3) == 0) {
        const int16x2_t off = (int16x2_t)(((uint32_t)(uint16_t)offset << 16) | (uint16_t)offset);
        for (; i + 4 <= n && k + i + 4 <= k4; i += 4) {
            uint32_t w;
            memcpy(&w, src + i, 4);
            const int16x2_t even = __sadd16(__sxtb16((int8x4_t)w), off);
            const int16x2_t odd = __sadd16(mn_sxtb16_odd(w), off);
            int16_t *dst = col + (((k + i) >> 2) << 3) + (j << 2);
            memcpy(dst, &even, 4);
            memcpy(dst + 2, &odd, 4);
        }
    }
#endif
    for (; i < n; i++) col[mn_col_index(j, k + i, k4)] = (int16_t)(src[i] + offset);
}

/* Zeros at positions k .. k+n-1 of column j (padding). */
static inline void mn_col_zero(int16_t *col, int32_t j, int32_t k, int32_t n, int32_t k4) {
    for (int32_t i = 0; i < n; i++) col[mn_col_index(j, k + i, k4)] = 0;
}

typedef uint32_t mn_word __attribute__((may_alias, aligned(4)));

/* Four dot products: rows w0, w1 (int8, length K) against the column pair `cols`. */
static inline void mn_dot_2x2(const int8_t *w0, const int8_t *w1, const int16_t *cols, int32_t K, int32_t acc[4]) {
    int32_t a00 = acc[0], a01 = acc[1], a10 = acc[2], a11 = acc[3];
    const int32_t k4 = K & ~3;
    const mn_word *c = (const mn_word *)cols;
#if MN_DSP
    /* One group in assembly so the loads stay where the Cortex-M4 timing wants them (the compiler
     * interleaves them with the multiplies, where each costs 2 cycles, DDI 0439B §3.3.2): two LDRD
     * for the four column words, then per filter row one LDR, two SXTB16 (the second reusing the
     * loaded register) and four SMLAD. 13 registers; the loop bound is the 14th. */
#define MN_GROUP() do { \
        uint32_t x0, x1, x2, x3, w, o; \
        __asm__ volatile( \
            "ldrd %[x0], %[x1], [%[c]], #8\n\t" \
            "ldrd %[x2], %[x3], [%[c]], #8\n\t" \
            "ldr %[w], [%[w0]], #4\n\t" \
            "sxtb16 %[o], %[w], ror #8\n\t" \
            "sxtb16 %[w], %[w]\n\t" \
            "smlad %[a00], %[w], %[x0], %[a00]\n\t" \
            "smlad %[a00], %[o], %[x1], %[a00]\n\t" \
            "smlad %[a01], %[w], %[x2], %[a01]\n\t" \
            "smlad %[a01], %[o], %[x3], %[a01]\n\t" \
            "ldr %[w], [%[w1]], #4\n\t" \
            "sxtb16 %[o], %[w], ror #8\n\t" \
            "sxtb16 %[w], %[w]\n\t" \
            "smlad %[a10], %[w], %[x0], %[a10]\n\t" \
            "smlad %[a10], %[o], %[x1], %[a10]\n\t" \
            "smlad %[a11], %[w], %[x2], %[a11]\n\t" \
            "smlad %[a11], %[o], %[x3], %[a11]" \
            : [x0] "=&r"(x0), [x1] "=&r"(x1), [x2] "=&r"(x2), [x3] "=&r"(x3), [w] "=&r"(w), [o] "=&r"(o), \
              [a00] "+r"(a00), [a01] "+r"(a01), [a10] "+r"(a10), [a11] "+r"(a11), \
              [c] "+r"(c), [w0] "+r"(w0), [w1] "+r"(w1) \
            : \
            : "memory"); \
    } while (0)
    const mn_word *end = c + k4, *end2 = c + (k4 & ~7);
    while (c < end2) {
        MN_GROUP();
        MN_GROUP();
    }
    if (c < end) MN_GROUP();
#undef MN_GROUP
#else
    for (int32_t g = k4 >> 2; g > 0; g--) {
        const int16_t *x = (const int16_t *)c;
        /* x[0..3] = column 0 (x0, x2, x1, x3), x[4..7] = column 1 */
        a00 += w0[0] * x[0] + w0[2] * x[1] + w0[1] * x[2] + w0[3] * x[3];
        a01 += w0[0] * x[4] + w0[2] * x[5] + w0[1] * x[6] + w0[3] * x[7];
        a10 += w1[0] * x[0] + w1[2] * x[1] + w1[1] * x[2] + w1[3] * x[3];
        a11 += w1[0] * x[4] + w1[2] * x[5] + w1[1] * x[6] + w1[3] * x[7];
        c += 4;
        w0 += 4;
        w1 += 4;
    }
#endif
    const int16_t *t = (const int16_t *)c;
    for (int32_t k = k4; k < K; k++, t += 2, w0++, w1++) {
        a00 += *w0 * t[0]; a01 += *w0 * t[1];
        a10 += *w1 * t[0]; a11 += *w1 * t[1];
    }
    acc[0] = a00; acc[1] = a01; acc[2] = a10; acc[3] = a11;
}

/* out0[r] / out1[r] for every row r of the [rows, K] filter against the column pair (out1 NULL when
 * column 1 is only a copy of column 0), requantized per row (or per tensor; kind: mn_rq_kind). Rows go in blocks of
 * MN_BLOCK: the block's accumulators first, then their requantization (mn_rq_block), so neither
 * loop runs out of registers. */
static inline void mn_gemm_columns(const int8_t *filter, int32_t rows, int32_t K, const int16_t *cols,
                                   const int32_t *bias, mn_requant q, int32_t kind, int32_t out_offset, int32_t act_min, int32_t act_max,
                                   int8_t *out0, int8_t *out1) {
    int32_t acc0[MN_BLOCK], acc1[MN_BLOCK];
    const int32_t step = q.per_channel ? 1 : 0;
    for (int32_t r0 = 0; r0 < rows; r0 += MN_BLOCK) {
        const int32_t n = rows - r0 < MN_BLOCK ? rows - r0 : MN_BLOCK;
        for (int32_t r = 0; r < n; r += 2) {
            const int32_t r1 = r + 1 < n ? r + 1 : r;
            int32_t acc[4];
            acc[0] = acc[1] = bias ? bias[r0 + r] : 0;
            acc[2] = acc[3] = bias ? bias[r0 + r1] : 0;
            mn_dot_2x2(filter + (r0 + r) * K, filter + (r0 + r1) * K, cols, K, acc);
            acc0[r] = acc[0]; acc1[r] = acc[1];
            acc0[r1] = acc[2]; acc1[r1] = acc[3];  /* the same values again when r1 == r */
        }
        const int32_t *m = q.multiplier + step * r0, *sh = q.shift + step * r0;
        mn_rq_block(acc0, n, m, sh, step, kind, out_offset, act_min, act_max, out0 + r0);
        if (out1) mn_rq_block(acc1, n, m, sh, step, kind, out_offset, act_min, act_max, out1 + r0);
    }
}
#endif
