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

#if MN_DSP
/* SMMULR (ARMv7-M ARM A7.7.170): the high word of a * b + 2^31, rounded product in one instruction. */
static inline int32_t mn_smmulr(int32_t a, int32_t b) {
    int32_t r;
    __asm__("smmulr %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
    return r;
}

/* What one channel's requantization needs, prepared once per block of channels: with e = -shift,
 * mn_requantize(a) + output offset = (x + (x >> 31) + r) >> e where x = SMMULR(2a, m) =
 * floor((a·m + 2^30) / 2^31) (mn_srdhm without its saturation, which needs m = INT32_MIN) and
 * r = 2^(e-1) + output_offset·2^e: adding x >> 31 (-1 for x < 0) is mn_rdbpot's "remainder above the
 * threshold", its threshold being one larger for a negative x, and the offset, a multiple of 2^e,
 * passes through the shift unchanged. It holds while nothing overflows: |a| < 2^29 (so 2a fits and
 * |x| < 2^29) and 1 <= e <= 22 (|r| <= 2^29 + 2^21); dw_fast checks both per call. */
/* bias9: the bias plus input offset × the sum of the channel's weights over the whole filter. */
typedef struct { int32_t bias, m, r, e, bias9; } dw_rq;

/* What stays the same over a call: channel stride, input row, weight row, the block's channel count,
 * the activation range. */
typedef struct { int32_t ch, in_row, w_row, n, act_min, act_max; } dw_geom;

static inline int32_t dw_value(int32_t a, const dw_rq *t) {
    const int32_t x = mn_smmulr((int32_t)((uint32_t)a << 1), t->m);
    return (x + (x >> 31) + t->r) >> t->e;
}

static inline int8_t dw_clamp(int32_t v, int32_t full, const dw_geom *g) {
    if (full) return mn_sat8(v);
    return mn_rq_out(v, 0, g->act_min, g->act_max);
}

/* One tap of four channels: a word of inputs and one of weights widened to int16 pairs (SXTB16 of
 * the even and the odd bytes; SXTAB16 adds the input offset where it is not folded into the bias)
 * and multiplied lane by lane with SMLABB/SMLATT into four accumulators (ARMv7-M ARM A7.7.{211,213,
 * 143}). */
#define MN_DW_TAP(ip, wp, WIDEN, WIDEN_ODD)                                                      \
    do {                                                                                         \
        uint32_t iv_, wv_;                                                                       \
        memcpy(&iv_, (ip), 4);                                                                   \
        memcpy(&wv_, (wp), 4);                                                                   \
        const int16x2_t ie_ = WIDEN(iv_), io_ = WIDEN_ODD(iv_);                                  \
        const int16x2_t we_ = __sxtb16(wv_), wo_ = mn_sxtb16_odd(wv_);                           \
        a0 = __smlabb(ie_, we_, a0);                                                             \
        a2 = __smlatt(ie_, we_, a2);                                                             \
        a1 = __smlabb(io_, wo_, a1);                                                             \
        a3 = __smlatt(io_, wo_, a3);                                                             \
    } while (0)
#define MN_DW_PLAIN(v) __sxtb16(v)
#define MN_DW_PLAIN_ODD(v) mn_sxtb16_odd(v)
#define MN_DW_OFFSET(v) __sxtab16(offset2, v)
#define MN_DW_OFFSET_ODD(v) mn_sxtab16_odd(offset2, v)

#define MN_DW_STORE4(FULL)                                                                       \
    do {                                                                                         \
        o[c] = dw_clamp(dw_value(a0, t), FULL, g);                                               \
        o[c + 1] = dw_clamp(dw_value(a1, t + 1), FULL, g);                                       \
        o[c + 2] = dw_clamp(dw_value(a2, t + 2), FULL, g);                                       \
        o[c + 3] = dw_clamp(dw_value(a3, t + 3), FULL, g);                                       \
    } while (0)

/* A row of three taps of four channels (inputs and weights one channel stride apart) without the
 * input offset, written out so that the twelve multiplies keep every operand in a register: two
 * loads, four SXTB16 and four SMLABB/SMLATT per tap (ARMv7-M ARM A7.7.{213,143}). */
static inline void dw_row3(const int8_t *i, const int8_t *w, int32_t ch, int32_t *a0, int32_t *a1, int32_t *a2, int32_t *a3) {
    uint32_t x, y, xo, yo;
    /* one tap: OFFSET is the address offset of inputs and weights alike (none, ch, or 2·ch) */
#define MN_DW_ASM_TAP(OFFSET)                                                                    \
    "ldr %[x], [%[i]" OFFSET "]\n\t"                                                            \
    "ldr %[y], [%[w]" OFFSET "]\n\t"                                                            \
    "sxtb16 %[xo], %[x], ror #8\n\t"                                                            \
    "sxtb16 %[x], %[x]\n\t"                                                                     \
    "sxtb16 %[yo], %[y], ror #8\n\t"                                                            \
    "sxtb16 %[y], %[y]\n\t"                                                                     \
    "smlabb %[a0], %[x], %[y], %[a0]\n\t"                                                       \
    "smlatt %[a2], %[x], %[y], %[a2]\n\t"                                                       \
    "smlabb %[a1], %[xo], %[yo], %[a1]\n\t"                                                     \
    "smlatt %[a3], %[xo], %[yo], %[a3]\n\t"
    __asm__(MN_DW_ASM_TAP("") MN_DW_ASM_TAP(", %[ch]") MN_DW_ASM_TAP(", %[ch], lsl #1")
            : [a0] "+r"(*a0), [a1] "+r"(*a1), [a2] "+r"(*a2), [a3] "+r"(*a3), [x] "=&r"(x), [y] "=&r"(y), [xo] "=&r"(xo),
              [yo] "=&r"(yo)
            : [i] "r"(i), [w] "r"(w), [ch] "r"(ch)
            : "memory");
#undef MN_DW_ASM_TAP
}

/* The channels of one block (a multiple of four) at one output pixel whose window is a whole 3×3:
 * the nine taps unrolled by rows, the input offset folded into the bias (bias9 = bias + offset ·
 * the nine weights' sum, so the taps need no offset register), the accumulators in registers from
 * the bias to the output byte. */
#define MN_DW_BLOCK_3X3(NAME, FULL)                                                              \
    __attribute__((noinline)) static void NAME(const int8_t *ip, const int8_t *wp, const dw_rq *t, int8_t *o,      \
                                               const dw_geom *g) {                               \
        const int32_t ch = g->ch, in_row = g->in_row, n = g->n;                                  \
        for (int32_t c = 0; c < n; c += 4, t += 4) {                                             \
            int32_t a0 = t[0].bias9, a1 = t[1].bias9, a2 = t[2].bias9, a3 = t[3].bias9;          \
            const int8_t *i = ip + c, *w = wp + c;                                               \
            for (int32_t r = 0; r < 3; r++, i += in_row, w += 3 * ch) dw_row3(i, w, ch, &a0, &a1, &a2, &a3); \
            MN_DW_STORE4(FULL);                                                                  \
        }                                                                                        \
    }
MN_DW_BLOCK_3X3(dw_block_3x3_full, 1)
MN_DW_BLOCK_3X3(dw_block_3x3_clamp, 0)

/* The same for any window: th rows of tw taps. NAME_whole serves windows that are the whole filter
 * (bias9 then holds the offset's share, as for 3×3), NAME_edge the partial windows at the borders
 * (the offset added per tap by SXTAB16, which costs what SXTB16 costs). A one-column window is one
 * loop down the rows. */
#define MN_DW_BLOCK_ANY(NAME, BIAS, WIDEN, WIDEN_ODD)                                            \
    __attribute__((noinline)) static void NAME(const int8_t *ip, const int8_t *wp, const dw_rq *t, int8_t *o,      \
                                               const dw_geom *g, int32_t th, int32_t tw, int16x2_t offset2) {      \
        (void)offset2;                                                                           \
        const int32_t ch = g->ch, in_row = g->in_row, w_row = g->w_row, n = g->n;                \
        for (int32_t c = 0; c < n; c += 4, t += 4) {                                             \
            int32_t a0 = t[0].BIAS, a1 = t[1].BIAS, a2 = t[2].BIAS, a3 = t[3].BIAS;              \
            const int8_t *i = ip + c, *w = wp + c;                                               \
            if (tw == 1) {                                                                       \
                for (int32_t ky = 0; ky < th; ky++, i += in_row, w += w_row) MN_DW_TAP(i, w, WIDEN, WIDEN_ODD); \
            } else {                                                                             \
                for (int32_t ky = 0; ky < th; ky++, i += in_row, w += w_row)                     \
                    for (int32_t kx = 0, k = 0; kx < tw; kx++, k += ch) MN_DW_TAP(i + k, w + k, WIDEN, WIDEN_ODD); \
            }                                                                                    \
            MN_DW_STORE4(0);                                                                     \
        }                                                                                        \
    }
MN_DW_BLOCK_ANY(dw_block_whole, bias9, MN_DW_PLAIN, MN_DW_PLAIN_ODD)
MN_DW_BLOCK_ANY(dw_block_edge, bias, MN_DW_OFFSET, MN_DW_OFFSET_ODD)
#undef MN_DW_BLOCK_ANY
#undef MN_DW_TAP
#undef MN_DW_PLAIN
#undef MN_DW_PLAIN_ODD
#undef MN_DW_OFFSET
#undef MN_DW_OFFSET_ODD
#undef MN_DW_STORE4
#undef MN_DW_BLOCK_3X3

/* Whether the table path is exact for this call (see dw_rq): channels a multiple of four, every shift
 * in -22 .. -1, no multiplier INT32_MIN, and |bias| + taps · 255 · 128 < 2^29 for every channel. */
static int32_t dw_fast(mn_requant q, int32_t ch, int32_t taps, const int32_t *bias) {
    if (ch % 4 != 0 || taps > 16384) return 0;
    const int32_t channels = q.per_channel ? ch : 1, bound = (1 << 29) - taps * 255 * 128;
    for (int32_t i = 0; i < channels; i++)
        if (q.shift[i] < -22 || q.shift[i] > -1 || q.multiplier[i] == INT32_MIN) return 0;
    if (bias)
        for (int32_t i = 0; i < ch; i++)
            if (bias[i] >= bound || bias[i] <= -bound) return 0;
    return 1;
}

/* The whole operator by the table path: blocks of MN_BLOCK channels, each block's table on the stack,
 * then every output pixel of the block. */
static void dw_fast_run(const mn_conv_params *p, mn_requant q, mn_shape in, const int8_t *input, mn_shape f,
                        const int8_t *filter, const int32_t *bias, mn_shape out, int8_t *output) {
    const int32_t ch = in.c, step = q.per_channel ? 1 : 0, three = f.h == 3 && f.w == 3, taps = f.h * f.w;
    const int32_t full = p->act_min == -128 && p->act_max == 127;
    const int16x2_t offset2 = (int16x2_t)(((uint32_t)p->input_offset & 0xFFFFu) | ((uint32_t)p->input_offset << 16));
    dw_geom g = {ch, in.w * ch, f.w * ch, 0, p->act_min, p->act_max};
    dw_rq t[MN_BLOCK];
    for (int32_t c0 = 0; c0 < ch; c0 += MN_BLOCK) {
        g.n = ch - c0 < MN_BLOCK ? ch - c0 : MN_BLOCK;
        for (int32_t i = 0; i < g.n; i++) {
            const int32_t e = -q.shift[step * (c0 + i)];
            t[i].bias = bias ? bias[c0 + i] : 0;
            t[i].m = q.multiplier[step * (c0 + i)];
            t[i].e = e;
            t[i].r = (int32_t)((1u << (e - 1)) + (uint32_t)p->output_offset * (1u << e));
            int32_t sum = 0;
            for (int32_t k = 0; k < taps; k++) sum += filter[k * ch + c0 + i];
            t[i].bias9 = t[i].bias + p->input_offset * sum;
        }
        for (int32_t b = 0; b < in.n; b++) {
            for (int32_t y = 0; y < out.h; y++) {
                const mn_span sy = mn_window_span(y, p->stride_h, p->pad_h, f.h, in.h);
                const int32_t th = sy.hi - sy.lo;
                for (int32_t x = 0; x < out.w; x++) {
                    const mn_span sx = mn_window_span(x, p->stride_w, p->pad_w, f.w, in.w);
                    const int32_t tw = sx.hi - sx.lo;
                    const int8_t *in0 = input + ((b * in.h + sy.i0 + sy.lo) * in.w + sx.i0 + sx.lo) * ch + c0;
                    const int8_t *w0 = filter + (sy.lo * f.w + sx.lo) * ch + c0;
                    int8_t *o = output + ((b * out.h + y) * out.w + x) * ch + c0;
                    if (three && th == 3 && tw == 3) {
                        if (full)
                            dw_block_3x3_full(in0, w0, t, o, &g);
                        else
                            dw_block_3x3_clamp(in0, w0, t, o, &g);
                    } else if (th == f.h && tw == f.w) {
                        dw_block_whole(in0, w0, t, o, &g, th, tw, offset2);
                    } else if (th > 0 && tw > 0) {
                        dw_block_edge(in0, w0, t, o, &g, th, tw, offset2);
                    } else {
                        for (int32_t i = 0; i < g.n; i++) o[i] = dw_clamp(dw_value(t[i].bias, t + i), 0, &g);
                    }
                }
            }
        }
    }
}
#endif

void mn_depthwise_conv2d_s8(const mn_conv_params *p, mn_requant q,
                            mn_shape in, const int8_t *input, mn_shape f, const int8_t *filter, const int32_t *bias,
                            mn_shape out, int8_t *output, void *scratch) {
    (void)scratch;
#if MN_DSP
    if (dw_fast(q, in.c, f.h * f.w, bias)) {
        dw_fast_run(p, q, in, input, f, filter, bias, out, output);
        return;
    }
#endif
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
