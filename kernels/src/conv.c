/* CONV_2D int8 (TFLite semantics): any kernel, stride, padding; per-channel requantization.
 * im2col into two int16 columns at a time, then the 2x2 matrix kernel of mn_gemm.h. */
#include "mn_kernels.h"
#include "mn_window.h"
#include "mn_gemm.h"

/* A pair of int16 columns of kernel_h * kernel_w * input_channels values (mn_gemm.h). */
int32_t mn_conv2d_s8_scratch_bytes(mn_shape input, mn_shape filter) {
    return 2 * 2 * filter.h * filter.w * input.c;
}

/* Column for output position (b, y, x): the filter window over the input, offset added, zero padded. */
static void im2col(const mn_conv_params *p, mn_shape in, const int8_t *input, mn_shape f,
                   int32_t b, int32_t y, int32_t x, int16_t *col, int32_t j, int32_t k4) {
    const int32_t cin = in.c;
    const mn_span sy = mn_window_span(y, p->stride_h, p->pad_h, f.h, in.h);
    const mn_span sx = mn_window_span(x, p->stride_w, p->pad_w, f.w, in.w);
    for (int32_t ky = 0; ky < f.h; ky++) {
        const int32_t k = ky * f.w * cin;
        if (ky < sy.lo || ky >= sy.hi) {
            mn_col_zero(col, j, k, f.w * cin, k4);
            continue;
        }
        const int8_t *row = input + ((b * in.h + sy.i0 + ky) * in.w + sx.i0) * cin;
        mn_col_zero(col, j, k, sx.lo * cin, k4);
        mn_col_put(col, j, k + sx.lo * cin, row + sx.lo * cin, (sx.hi - sx.lo) * cin, p->input_offset, k4);
        mn_col_zero(col, j, k + sx.hi * cin, (f.w - sx.hi) * cin, k4);
    }
}

void mn_conv2d_s8(const mn_conv_params *p, mn_requant q,
                  mn_shape in, const int8_t *input, mn_shape f, const int8_t *filter, const int32_t *bias,
                  mn_shape out, int8_t *output, void *scratch) {
    const int32_t K = f.h * f.w * in.c, k4 = K & ~3;
    int16_t *cols = scratch;
    const int32_t pixels = in.n * out.h * out.w;
    for (int32_t i = 0; i < pixels; i += 2) {
        const int32_t have2 = i + 1 < pixels;
        const int32_t j = have2 ? i + 1 : i;  /* a lone last pixel fills both columns */
        im2col(p, in, input, f, i / (out.h * out.w), (i / out.w) % out.h, i % out.w, cols, 0, k4);
        im2col(p, in, input, f, j / (out.h * out.w), (j / out.w) % out.h, j % out.w, cols, 1, k4);
        mn_gemm_columns(filter, f.n, K, cols, bias, q, p->output_offset, p->act_min, p->act_max,
                        output + i * out.c, have2 ? output + (i + 1) * out.c : 0);
    }
}
