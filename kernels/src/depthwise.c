/* DEPTHWISE_CONV_2D int8, depth multiplier 1 (TFLite semantics). */
#include "mn_kernels.h"
#include "mn_fixed_point.h"
#include "mn_window.h"

int32_t mn_depthwise_conv2d_s8_scratch_bytes(mn_shape input, mn_shape filter) {
    (void)input; (void)filter;
    return 0;
}

void mn_depthwise_conv2d_s8(const mn_conv_params *p, mn_requant q,
                            mn_shape in, const int8_t *input, mn_shape f, const int8_t *filter, const int32_t *bias,
                            mn_shape out, int8_t *output, void *scratch) {
    (void)scratch;
    const int32_t ch = in.c;
    for (int32_t b = 0; b < in.n; b++) {
        for (int32_t y = 0; y < out.h; y++) {
            const mn_span sy = mn_window_span(y, p->stride_h, p->pad_h, f.h, in.h);
            const int32_t y0 = sy.i0, ky_lo = sy.lo, ky_hi = sy.hi;
            for (int32_t x = 0; x < out.w; x++) {
                const mn_span sx = mn_window_span(x, p->stride_w, p->pad_w, f.w, in.w);
                const int32_t x0 = sx.i0, kx_lo = sx.lo, kx_hi = sx.hi;
                int8_t *o = output + ((b * out.h + y) * out.w + x) * ch;
                for (int32_t c = 0; c < ch; c++) {
                    int32_t acc = bias ? bias[c] : 0;
                    for (int32_t ky = ky_lo; ky < ky_hi; ky++) {
                        const int8_t *row = input + ((b * in.h + y0 + ky) * in.w) * ch + c;
                        const int8_t *wrow = filter + ky * f.w * ch + c;
                        for (int32_t kx = kx_lo; kx < kx_hi; kx++)
                            acc += ((int32_t)row[(x0 + kx) * ch] + p->input_offset) * (int32_t)wrow[kx * ch];
                    }
                    const int32_t qi = q.per_channel ? c : 0;
                    o[c] = mn_requantize(acc, q.multiplier[qi], q.shift[qi], p->output_offset, p->act_min, p->act_max);
                }
            }
        }
    }
}
