/* The fixed-point primitives of TFLite int8 (see Sources/Quant/FixedPoint.swift for the formulas). */
#ifndef MN_FIXED_POINT_H
#define MN_FIXED_POINT_H
#include <stdint.h>

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

static inline int8_t mn_requantize(int32_t acc, int32_t multiplier, int32_t shift,
                                   int32_t output_offset, int32_t act_min, int32_t act_max) {
    int32_t v = mn_mbqm(acc, multiplier, shift) + output_offset;
    if (v < act_min) v = act_min;
    if (v > act_max) v = act_max;
    return (int8_t)v;
}
#endif
