/* CONV_2D int8 (TFLite semantics): any kernel, stride, padding; per-channel requantization. */
#include "mn_kernels.h"
#include "mn_fixed_point.h"
#include "mn_window.h"
#include "mn_dot.h"

int32_t mn_conv2d_s8_scratch_bytes(mn_shape input, mn_shape filter) {
    (void)input; (void)filter;
    return 0;
}

void mn_conv2d_s8(const mn_conv_params *p, mn_requant q,
                  mn_shape in, const int8_t *input, mn_shape f, const int8_t *filter, const int32_t *bias,
                  mn_shape out, int8_t *output, void *scratch) {
    (void)scratch;
    const int32_t cin = in.c;
    for (int32_t b = 0; b < in.n; b++) {
        for (int32_t y = 0; y < out.h; y++) {
            const mn_span sy = mn_window_span(y, p->stride_h, p->pad_h, f.h, in.h);
            const int32_t y0 = sy.i0, ky_lo = sy.lo, ky_hi = sy.hi;
            for (int32_t x = 0; x < out.w; x++) {
                const mn_span sx = mn_window_span(x, p->stride_w, p->pad_w, f.w, in.w);
                const int32_t x0 = sx.i0, kx_lo = sx.lo, kx_hi = sx.hi;
                int8_t *o = output + ((b * out.h + y) * out.w + x) * out.c;
                for (int32_t oc = 0; oc < f.n; oc++) {
                    int32_t acc = bias ? bias[oc] : 0;
                    const int8_t *wf = filter + oc * f.h * f.w * cin;
                    for (int32_t ky = ky_lo; ky < ky_hi; ky++) {
                        const int8_t *row = input + ((b * in.h + y0 + ky) * in.w) * cin;
                        const int8_t *wrow = wf + ky * f.w * cin;
                        /* Consecutive kx taps are contiguous in both input (NHWC) and filter (OHWI). */
                        acc = mn_dot_s8(row + (x0 + kx_lo) * cin, wrow + kx_lo * cin,
                                        (kx_hi - kx_lo) * cin, p->input_offset, acc);
                    }
                    const int32_t qi = q.per_channel ? oc : 0;
                    o[oc] = mn_requantize(acc, q.multiplier[qi], q.shift[qi], p->output_offset, p->act_min, p->act_max);
                }
            }
        }
    }
}
