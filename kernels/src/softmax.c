/*
 * SOFTMAX int8 -> int8 (output scale 1/256, zero point -128), TFLM's int8 algorithm in gemmlowp-style
 * fixed point. Formulas and constants are documented in Sources/Quant/EdgeOps.swift (FixedPointQ).
 * Values are raw int32 fixed-point numbers; the comment names their integer bits (Qk).
 */
#include "mn_kernels.h"
#include "mn_fixed_point.h"

/* x * 2^e: saturating left shift for e > 0, rounding right shift for e < 0. */
static int32_t srmul_pot(int32_t x, int32_t e) {
    if (e == 0) return x;
    if (e < 0) return mn_rdbpot(x, -e);
    const int32_t threshold = (int32_t)((1u << (31 - e)) - 1u);
    if (x > threshold) return INT32_MAX;
    if (x < -threshold) return INT32_MIN;
    return (int32_t)((uint32_t)x << e);
}

static int32_t wrap_add(int32_t a, int32_t b) { return (int32_t)((uint32_t)a + (uint32_t)b); }
static int32_t wrap_sub(int32_t a, int32_t b) { return (int32_t)((uint32_t)a - (uint32_t)b); }

/* exp(a), a in [-1/4, 0), Q0 in and out. */
static int32_t exp_quarter(int32_t a) {
    const int32_t c = 1895147668, third = 715827883;
    const int32_t x = wrap_add(a, 1 << 28);
    const int32_t x2 = mn_srdhm(x, x), x3 = mn_srdhm(x2, x), x4 = mn_srdhm(x2, x2);
    const int32_t poly = srmul_pot(wrap_add(mn_srdhm(wrap_add(srmul_pot(x4, -2), x3), third), x2), -1);
    return wrap_add(c, mn_srdhm(c, wrap_add(x, poly)));
}

/* exp(a) for a <= 0 in Q5 (26 fractional bits); result Q0. */
static int32_t exp_negative_q5(int32_t a) {
    static const int32_t barrel[7] = {1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242};
    const int32_t quarter = 1 << 24;
    const int32_t r = wrap_sub(a & (quarter - 1), quarter);
    int32_t result = exp_quarter(srmul_pot(r, 5));
    const int32_t remainder = wrap_sub(r, a);
    for (int32_t j = 0; j < 7; j++)               /* bit 2^(j-2) of the remainder, at 26 + j - 2 */
        if (remainder & (1 << (24 + j))) result = mn_srdhm(result, barrel[j]);
    return a == 0 ? INT32_MAX : result;
}

/* 1 / (1 + a), a in [0, 1), Q0 in and out. */
static int32_t one_over_one_plus(int32_t a) {
    const int64_t s = (int64_t)a + INT32_MAX;
    const int32_t half = (int32_t)((s + (s >= 0 ? 1 : -1)) / 2);
    int32_t x = wrap_add(1515870810, mn_srdhm(half, -1010580540)); /* Q2 */
    for (int i = 0; i < 3; i++) {
        const int32_t one_minus = wrap_sub(1 << 29, mn_srdhm(half, x)); /* 1.0 in Q2 */
        x = wrap_add(x, srmul_pot(mn_srdhm(x, one_minus), 2));
    }
    return srmul_pot(x, 1);
}

void mn_softmax_s8(int32_t rows, int32_t depth, const int8_t *input,
                   int32_t input_multiplier, int32_t input_left_shift, int32_t diff_min, int8_t *output) {
    for (int32_t r = 0; r < rows; r++) {
        const int8_t *in = input + r * depth;
        int8_t *out = output + r * depth;
        int32_t max_value = -128;
        for (int32_t c = 0; c < depth; c++) max_value = in[c] > max_value ? in[c] : max_value;
        int32_t sum = 0; /* Q12 */
        for (int32_t c = 0; c < depth; c++) {
            const int32_t diff = in[c] - max_value;
            if (diff >= diff_min) {
                const int32_t scaled = mn_srdhm((int32_t)((uint32_t)diff << input_left_shift), input_multiplier);
                sum = wrap_add(sum, mn_rdbpot(exp_negative_q5(scaled), 12));
            }
        }
        const int32_t headroom_plus_one = __builtin_clz((uint32_t)sum);
        const int32_t scale = one_over_one_plus((int32_t)(((uint32_t)sum << headroom_plus_one) - (1u << 31)));
        const int32_t exponent = (12 - headroom_plus_one) + 31 - 8;
        for (int32_t c = 0; c < depth; c++) {
            const int32_t diff = in[c] - max_value;
            if (diff >= diff_min) {
                const int32_t scaled = mn_srdhm((int32_t)((uint32_t)diff << input_left_shift), input_multiplier);
                int32_t v = mn_rdbpot(mn_srdhm(scale, exp_negative_q5(scaled)), exponent) - 128;
                out[c] = (int8_t)(v < -128 ? -128 : v > 127 ? 127 : v);
            } else {
                out[c] = -128;
            }
        }
    }
}
