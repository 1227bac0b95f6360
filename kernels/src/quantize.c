/* QUANTIZE float32 -> int8 and DEQUANTIZE int8 -> float32 for the model edges (TFLite semantics). */
#include <math.h>
#include "mn_kernels.h"

/* clamp(round(x / scale) + zp): division in float32, rounding half away from zero (roundf). */
void mn_quantize_f32_s8(int32_t n, const float *input, float scale, int32_t zero_point, int8_t *output) {
    for (int32_t i = 0; i < n; i++) {
        float q = roundf(input[i] / scale);
        q = q < -1e9f ? -1e9f : q > 1e9f ? 1e9f : q;
        int32_t v = (int32_t)q + zero_point;
        output[i] = (int8_t)(v < -128 ? -128 : v > 127 ? 127 : v);
    }
}

/* scale * (x - zp). TFLite computes it in double and rounds to float; x - zp has at most 9 bits, so
 * the double product is exact and the float product (rounded once) is the same value. */
void mn_dequantize_s8_f32(int32_t n, const int8_t *input, float scale, int32_t zero_point, float *output) {
    for (int32_t i = 0; i < n; i++) output[i] = scale * (float)((int32_t)input[i] - zero_point);
}
