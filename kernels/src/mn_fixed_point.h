/* The fixed-point primitives of TFLite int8 (see Sources/Quant/FixedPoint.swift for the formulas). */
#ifndef MN_FIXED_POINT_H
#define MN_FIXED_POINT_H
#include <stdint.h>
#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
#include <arm_acle.h>
#endif

/* SaturatingRoundingDoublingHighMul. TFLite adds a nudge of 2^30 (or 1 - 2^30 for a negative
 * product) and divides by 2^31 truncating toward zero; that equals floor((a*b + 2^30) / 2^31) for
 * every product (for ab = -x < 0 both are -floor((x + 2^30 - 1) / 2^31)), which is one SMLAL and
 * an arithmetic shift. Only INT32_MIN * INT32_MIN saturates. */
static inline int32_t mn_srdhm(int32_t a, int32_t b) {
    if (a == b && a == INT32_MIN) return INT32_MAX;
    return (int32_t)(((int64_t)a * (int64_t)b + (1ll << 30)) >> 31);
}

static inline int32_t mn_rdbpot(int32_t x, int32_t exponent) {
    const int32_t mask = (int32_t)((1u << exponent) - 1u);  /* exponent <= 31 */
    const int32_t remainder = x & mask;
    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/* x * 2^left wraps like two's complement (computed unsigned to stay defined C). */
static inline int32_t mn_mbqm(int32_t x, int32_t multiplier, int32_t shift) {
    int32_t left = shift > 0 ? shift : 0;
    int32_t right = shift > 0 ? 0 : -shift;
    int32_t shifted = (int32_t)((uint32_t)x << left);
    return mn_rdbpot(mn_srdhm(shifted, multiplier), right);
}

/* Adds the output offset and clamps to the activation range. */
static inline int8_t mn_rq_out(int32_t v, int32_t output_offset, int32_t act_min, int32_t act_max) {
    v += output_offset;
    if (v < act_min) v = act_min;
    if (v > act_max) v = act_max;
    return (int8_t)v;
}

/* v clamped to int8 (SSAT, ARMv7-M ARM A7.7.152, on cores with the DSP extension) */
static inline int8_t mn_sat8(int32_t v) {
#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
    return (int8_t)__ssat(v, 8);
#else
    return (int8_t)(v < -128 ? -128 : v > 127 ? 127 : v);
#endif
}

static inline int8_t mn_requantize(int32_t acc, int32_t multiplier, int32_t shift,
                                   int32_t output_offset, int32_t act_min, int32_t act_max) {
    return mn_rq_out(mn_mbqm(acc, multiplier, shift), output_offset, act_min, act_max);
}

/* mn_srdhm for a multiplier that is not INT32_MIN (then it never saturates). */
static inline int32_t mn_srdhm_plain(int32_t a, int32_t multiplier) {
    return (int32_t)(((int64_t)a * multiplier + (1ll << 30)) >> 31);
}

/* mn_rdbpot(mn_srdhm_plain(a, multiplier), e1 + 1) for 0 <= e1 <= 30, from the one 64-bit product
 * p = a * multiplier + 2^30 (hi:lo its words). mn_srdhm_plain is x = floor(p / 2^31) = 2 hi + r with r
 * bit 31 of lo; rounding half away from zero by 2^e (e = e1 + 1) is floor((x + 2^(e-1) - [x < 0]) / 2^e),
 * and x < 0 exactly when hi < 0; halving numerator and divisor (floor of a floor by an integer is one
 * floor) gives (hi + ((r + 2^e1 - [hi < 0]) >> 1)) >> e1. Nothing overflows: |hi| <= 2^30 since the
 * multiplier is not INT32_MIN, and the added term is at most 2^29. About half the instructions of
 * the two steps apart (no mask, no compare). */
static inline int32_t mn_srdhm_rdbpot_of(uint32_t lo, int32_t hi, int32_t e1) {
    const int32_t t = (int32_t)(lo >> 31) + (int32_t)(1u << e1) - (int32_t)((uint32_t)hi >> 31);
    return (hi + (t >> 1)) >> e1;
}

static inline int32_t mn_srdhm_rdbpot(int32_t a, int32_t multiplier, int32_t e1) {
    const int64_t p = (int64_t)a * multiplier + (1ll << 30);
    return mn_srdhm_rdbpot_of((uint32_t)p, (int32_t)(p >> 32), e1);
}

/* mn_srdhm_rdbpot with the product formed by SMULL and the 2^30 added by ADDS/ADC (ARMv7-M ARM
 * A7.7.{149,1,2}) on Thumb-2 cores: no register pair of constants copied into an SMLAL accumulator
 * for every value. It frees two registers in loops that hold many constants (the first-layer
 * conv's); elsewhere the compiler's SMLAL schedules better (measured: depthwise 1-3 % and ADD on
 * the M7 6 % slower with this form), so only those loops take it. */
static inline int32_t mn_srdhm_rdbpot_lean(int32_t a, int32_t multiplier, int32_t e1) {
#if defined(__thumb2__)
    uint32_t lo;
    int32_t hi;
    __asm__("smull %0, %1, %2, %3\n\tadds %0, %0, #0x40000000\n\tadc %1, %1, #0"
            : "=&r"(lo), "=&r"(hi) : "r"(a), "r"(multiplier) : "cc");
    return mn_srdhm_rdbpot_of(lo, hi, e1);
#else
    return mn_srdhm_rdbpot(a, multiplier, e1);
#endif
}

/* Requantization of a run of accumulators, one output channel each, with what decides the code
 * path found once per operator call (mn_rq_kind) instead of per value. */
#define MN_BLOCK 16
#define MN_RQ_SATURABLE 1   /* a multiplier is INT32_MIN: mn_srdhm can saturate, take mn_requantize's exact path */
#define MN_RQ_LEFT 2        /* a shift is not negative: shift left (or not at all) before the multiply */

static inline int32_t mn_rq_kind(const int32_t *multiplier, const int32_t *shift, int32_t channels) {
    int32_t kind = 0;
    for (int32_t i = 0; i < channels; i++)
        kind |= (multiplier[i] == INT32_MIN ? MN_RQ_SATURABLE : 0) | (shift[i] >= 0 ? MN_RQ_LEFT : 0);
    return kind;
}

/* out[i] = acc[i] requantized with multiplier[i * step] and shift[i * step], i < n (step 1: per
 * channel, 0: per tensor); kind from mn_rq_kind over those channels. */
static inline void mn_rq_block(const int32_t *acc, int32_t n, const int32_t *multiplier, const int32_t *shift, int32_t step,
                               int32_t kind, int32_t output_offset, int32_t act_min, int32_t act_max, int8_t *out) {
    if (kind) {
        for (int32_t i = 0; i < n; i++, multiplier += step, shift += step)
            out[i] = mn_requantize(acc[i], *multiplier, *shift, output_offset, act_min, act_max);
        return;
    }
    /* every shift right by 1..31 and no multiplier INT32_MIN (the usual case): mn_requantize without
     * its tests (~shift = -shift - 1) */
    for (int32_t i = 0; i < n; i++, multiplier += step, shift += step)
        out[i] = mn_rq_out(mn_srdhm_rdbpot(acc[i], *multiplier, ~*shift), output_offset, act_min, act_max);
}
#endif
