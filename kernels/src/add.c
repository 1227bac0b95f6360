/* ADD int8, same shapes: TFLite's scheme (inputs scaled by 2^left_shift, rescaled, summed, requantized). */
#include "mn_kernels.h"
#include "mn_fixed_point.h"

void mn_add_s8(const mn_add_params *p, int32_t count, const int8_t *a, const int8_t *b, int8_t *out) {
    for (int32_t i = 0; i < count; i++) {
        const int32_t x = (int32_t)((uint32_t)((int32_t)a[i] + p->input1_offset) << p->left_shift);
        const int32_t y = (int32_t)((uint32_t)((int32_t)b[i] + p->input2_offset) << p->left_shift);
        const int32_t sx = mn_mbqm(x, p->input1_multiplier, p->input1_shift);
        const int32_t sy = mn_mbqm(y, p->input2_multiplier, p->input2_shift);
        out[i] = mn_requantize(sx + sy, p->output_multiplier, p->output_shift, p->output_offset, p->act_min, p->act_max);
    }
}
