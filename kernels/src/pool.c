/* AVERAGE_POOL_2D and MAX_POOL_2D int8 over the in-bounds window (TFLite semantics): the average
 * divides the in-bounds sum by the in-bounds count, rounding half away from zero. */
#include "mn_kernels.h"
#include "mn_window.h"

static void pool(const mn_conv_params *p, int32_t fh, int32_t fw, mn_shape in, const int8_t *input,
                 mn_shape out, int8_t *output, int is_max) {
    for (int32_t b = 0; b < in.n; b++)
        for (int32_t y = 0; y < out.h; y++) {
            const mn_span sy = mn_window_span(y, p->stride_h, p->pad_h, fh, in.h);
            for (int32_t x = 0; x < out.w; x++) {
                const mn_span sx = mn_window_span(x, p->stride_w, p->pad_w, fw, in.w);
                const int32_t count = (sy.hi - sy.lo) * (sx.hi - sx.lo);
                for (int32_t c = 0; c < in.c; c++) {
                    int32_t acc = is_max ? -128 : 0;
                    for (int32_t ky = sy.lo; ky < sy.hi; ky++)
                        for (int32_t kx = sx.lo; kx < sx.hi; kx++) {
                            const int32_t v = input[((b * in.h + sy.i0 + ky) * in.w + sx.i0 + kx) * in.c + c];
                            if (is_max) acc = v > acc ? v : acc;
                            else acc += v;
                        }
                    if (!is_max && count > 0) acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
                    if (acc < p->act_min) acc = p->act_min;
                    if (acc > p->act_max) acc = p->act_max;
                    output[((b * out.h + y) * out.w + x) * out.c + c] = (int8_t)(count > 0 ? acc : 0);
                }
            }
        }
}

void mn_avg_pool_s8(const mn_conv_params *p, int32_t fh, int32_t fw,
                    mn_shape in, const int8_t *input, mn_shape out, int8_t *output) {
    pool(p, fh, fw, in, input, out, output, 0);
}

void mn_max_pool_s8(const mn_conv_params *p, int32_t fh, int32_t fw,
                    mn_shape in, const int8_t *input, mn_shape out, int8_t *output) {
    pool(p, fh, fw, in, input, out, output, 1);
}
