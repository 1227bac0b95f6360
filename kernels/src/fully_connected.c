/* FULLY_CONNECTED int8, per-tensor requantization (TFLite semantics). */
#include "mn_kernels.h"
#include "mn_fixed_point.h"
#include "mn_dot.h"

void mn_fully_connected_s8(int32_t input_offset, int32_t output_offset, int32_t act_min, int32_t act_max,
                           int32_t multiplier, int32_t shift,
                           int32_t batches, int32_t depth, const int8_t *input,
                           int32_t units, const int8_t *filter, const int32_t *bias, int8_t *output) {
    for (int32_t b = 0; b < batches; b++) {
        for (int32_t u = 0; u < units; u++) {
            int32_t acc = mn_dot_s8(input + b * depth, filter + u * depth, depth, input_offset, bias ? bias[u] : 0);
            output[b * units + u] = mn_requantize(acc, multiplier, shift, output_offset, act_min, act_max);
        }
    }
}
