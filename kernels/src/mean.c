/* MEAN over H and W (keep dims) int8, TFLM's QuantizedMeanOrSum: the element count is folded into
 * the requantization multiplier (see ReferenceOps.mean in Sources/Quant/EdgeOps.swift). */
#include "mn_kernels.h"
#include "mn_fixed_point.h"

void mn_mean_hw_s8(mn_shape in, const int8_t *input, int32_t input_zp, int32_t output_zp,
                   int32_t multiplier, int32_t shift, int8_t *output) {
    const int32_t n = in.h * in.w;
    int32_t adjust = 31 - __builtin_clz((uint32_t)n);
    if (adjust > 31 + shift) adjust = 31 + shift;
    const int32_t m = (int32_t)(((int64_t)multiplier << adjust) / n);
    const int32_t s = shift - adjust;
    for (int32_t b = 0; b < in.n; b++) {
        const int8_t *base = input + b * n * in.c;
        for (int32_t c = 0; c < in.c; c++) {
            int32_t sum = 0;
            for (int32_t i = 0; i < n; i++) sum += base[i * in.c + c];
            int32_t v = mn_mbqm((int32_t)((int64_t)sum - (int64_t)input_zp * n), m, s) + output_zp;
            output[b * in.c + c] = (int8_t)(v < -128 ? -128 : v > 127 ? 127 : v);
        }
    }
}
