/* DEPTHWISE_CONV_2D int8, depth multiplier 1 (TFLite semantics). */
#include "mn_kernels.h"
#include "mn_fixed_point.h"
#include "mn_gemm.h"
#include "mn_window.h"

int32_t mn_depthwise_conv2d_s8_scratch_bytes(mn_shape input, mn_shape filter) {
    (void)input; (void)filter;
    return 0;
}

#if MN_DSP
/* SXTAB16 with the word rotated right by 8: a + the odd byte lanes, sign-extended (ARMv7-M ARM A7.7.210). */
static inline int16x2_t mn_sxtab16_odd(int16x2_t a, uint32_t w) {
    int16x2_t r;
    __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(a), "r"(w));
    return r;
}
#endif

#define MN_DW_MAX_TAPS 64

/* Accumulators of channels c0 .. c0+n-1 (n <= MN_BLOCK) of one output pixel over its `taps` valid
 * taps: tap t reads the inputs at in + toff[t] and the weights at w + woff[t] (both at channel c0).
 * Four channels at a time: each tap is one word of inputs and one of weights, widened to int16 pairs
 * (the input offset added by SXTAB16: in + offset stays within int16) and multiplied lane by lane with
 * SMLABB/SMLATT into four int32 accumulators, so the sums are those of the reference, exactly. */
static void dw_pixel(const int8_t *in, const int8_t *w, const int32_t *toff, const int32_t *woff, int32_t taps,
                     int32_t offset, const int32_t *bias, int32_t n, int32_t *acc) {
    int32_t c = 0;
#if MN_DSP
    const int16x2_t offset2 = (int16x2_t)(((uint32_t)offset & 0xFFFFu) | ((uint32_t)offset << 16));
    for (; c + 4 <= n; c += 4) {
        int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        if (bias) { a0 = bias[c]; a1 = bias[c + 1]; a2 = bias[c + 2]; a3 = bias[c + 3]; }
        const int8_t *ib = in + c, *wb = w + c;
        for (int32_t t = 0; t < taps; t++) {
            uint32_t iv, wv;
            memcpy(&iv, ib + toff[t], 4);
            memcpy(&wv, wb + woff[t], 4);
            const int16x2_t ie = __sxtab16(offset2, iv), io = mn_sxtab16_odd(offset2, iv);
            const int16x2_t we = __sxtb16(wv), wo = mn_sxtb16_odd(wv);
            a0 = __smlabb(ie, we, a0);
            a2 = __smlatt(ie, we, a2);
            a1 = __smlabb(io, wo, a1);
            a3 = __smlatt(io, wo, a3);
        }
        acc[c] = a0; acc[c + 1] = a1; acc[c + 2] = a2; acc[c + 3] = a3;
    }
#endif
    for (; c < n; c++) {
        int32_t a = bias ? bias[c] : 0;
        for (int32_t t = 0; t < taps; t++) a += ((int32_t)in[toff[t] + c] + offset) * (int32_t)w[woff[t] + c];
        acc[c] = a;
    }
}

/* The reference loop, for windows of more than MN_DW_MAX_TAPS taps. */
static void dw_pixel_nested(const int8_t *in, int32_t in_row, const int8_t *w, int32_t w_row, int32_t ch, int32_t taps_h,
                            int32_t taps_w, int32_t offset, const int32_t *bias, int32_t n, int32_t *acc) {
    for (int32_t c = 0; c < n; c++) {
        int32_t a = bias ? bias[c] : 0;
        for (int32_t ky = 0; ky < taps_h; ky++)
            for (int32_t kx = 0; kx < taps_w; kx++)
                a += ((int32_t)in[ky * in_row + kx * ch + c] + offset) * (int32_t)w[ky * w_row + kx * ch + c];
        acc[c] = a;
    }
}

void mn_depthwise_conv2d_s8(const mn_conv_params *p, mn_requant q,
                            mn_shape in, const int8_t *input, mn_shape f, const int8_t *filter, const int32_t *bias,
                            mn_shape out, int8_t *output, void *scratch) {
    (void)scratch;
    const int32_t ch = in.c, step = q.per_channel ? 1 : 0, kind = mn_rq_kind(q.multiplier, q.shift, q.per_channel ? ch : 1);
    int32_t acc[MN_BLOCK], toff[MN_DW_MAX_TAPS], woff[MN_DW_MAX_TAPS], last_h = -1, last_w = -1;
    for (int32_t b = 0; b < in.n; b++) {
        for (int32_t y = 0; y < out.h; y++) {
            const mn_span sy = mn_window_span(y, p->stride_h, p->pad_h, f.h, in.h);
            for (int32_t x = 0; x < out.w; x++) {
                const mn_span sx = mn_window_span(x, p->stride_w, p->pad_w, f.w, in.w);
                const int8_t *in0 = input + ((b * in.h + sy.i0 + sy.lo) * in.w + sx.i0 + sx.lo) * ch;
                const int8_t *w0 = filter + (sy.lo * f.w + sx.lo) * ch;
                int8_t *o = output + ((b * out.h + y) * out.w + x) * ch;
                const int32_t th = sy.hi - sy.lo, tw = sx.hi - sx.lo, taps = th > 0 && tw > 0 ? th * tw : 0;
                if (taps <= MN_DW_MAX_TAPS && (th != last_h || tw != last_w)) {
                    /* the offsets depend on the window's valid extent only: interior pixels share them */
                    last_h = th;
                    last_w = tw;
                    for (int32_t ky = 0, t = 0; ky < th; ky++)
                        for (int32_t kx = 0; kx < tw; kx++, t++) { toff[t] = (ky * in.w + kx) * ch; woff[t] = (ky * f.w + kx) * ch; }
                }
                for (int32_t c0 = 0; c0 < ch; c0 += MN_BLOCK) {
                    const int32_t n = ch - c0 < MN_BLOCK ? ch - c0 : MN_BLOCK;
                    if (taps <= MN_DW_MAX_TAPS)
                        dw_pixel(in0 + c0, w0 + c0, toff, woff, taps, p->input_offset, bias ? bias + c0 : 0, n, acc);
                    else
                        dw_pixel_nested(in0 + c0, in.w * ch, w0 + c0, f.w * ch, ch, th, tw, p->input_offset, bias ? bias + c0 : 0, n, acc);
                    mn_rq_block(acc, n, q.multiplier + step * c0, q.shift + step * c0, step, kind, p->output_offset,
                                p->act_min, p->act_max, o + c0);
                }
            }
        }
    }
}
