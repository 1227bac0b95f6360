/* CONV_2D int8 without scratch, for the convs whose im2col columns would raise the planned arena
 * (MemoryPlanner.ConvScratch.whereFree, `--min-arena`). A file of its own, included only where a
 * model needs it: in conv.c, even an unused branch to it made gcc compile the one-channel path 3.5 %
 * slower. */
#include "mn_kernels.h"
#include "mn_window.h"
#include "mn_gemm.h"

/* Without scratch: for each output pixel, each valid window row is one contiguous run of
 * (valid taps) x cin inputs, as are the filters' weights for it (NHWC, OHWI); four filters at a time
 * take it in place (mn_dot_rows). Padded taps add nothing (their input is the zero point), as in the
 * im2col path. Accumulators of MN_BLOCK filters at a time go to mn_rq_block. */
void mn_conv2d_s8_direct(const mn_conv_params *p, mn_requant q, mn_shape in, const int8_t *input,
                         mn_shape f, const int8_t *filter, const int32_t *bias, mn_shape out, int8_t *output) {
    const int32_t cin = in.c, K = f.h * f.w * cin, step = q.per_channel ? 1 : 0;
    const int32_t kind = mn_rq_kind(q.multiplier, q.shift, q.per_channel ? f.n : 1);
    int32_t acc[MN_BLOCK];
    for (int32_t b = 0; b < in.n; b++) {
        for (int32_t y = 0; y < out.h; y++) {
            const mn_span sy = mn_window_span(y, p->stride_h, p->pad_h, f.h, in.h);
            for (int32_t x = 0; x < out.w; x++) {
                const mn_span sx = mn_window_span(x, p->stride_w, p->pad_w, f.w, in.w);
                const int32_t rows = sy.hi - sy.lo, run = sx.hi > sx.lo ? (sx.hi - sx.lo) * cin : 0;
                const int8_t *x0 = input + ((b * in.h + sy.i0 + sy.lo) * in.w + sx.i0 + sx.lo) * cin;
                const int8_t *w0 = filter + (sy.lo * f.w + sx.lo) * cin;
                int8_t *o = output + ((b * out.h + y) * out.w + x) * out.c;
                for (int32_t r0 = 0; r0 < f.n; r0 += MN_BLOCK) {
                    const int32_t n = f.n - r0 < MN_BLOCK ? f.n - r0 : MN_BLOCK;
                    for (int32_t r = 0; r < n; r++) acc[r] = bias ? bias[r0 + r] : 0;
                    for (int32_t ky = 0; ky < rows && run > 0; ky++) {
                        const int8_t *xk = x0 + ky * in.w * cin, *wk = w0 + ky * f.w * cin + r0 * K;
                        int32_t r = 0;
                        for (; r + 4 <= n; r += 4) mn_dot_rows(wk + r * K, 4, K, run, xk, p->input_offset, acc + r);
                        for (; r < n; r++) mn_dot_rows(wk + r * K, 1, K, run, xk, p->input_offset, acc + r);
                    }
                    mn_rq_block(acc, n, q.multiplier + step * r0, q.shift + step * r0, step, kind, p->output_offset,
                                p->act_min, p->act_max, o + r0);
                }
            }
        }
    }
}
