/* CONV_2D int8 (TFLite semantics): any kernel, stride, padding; per-channel requantization.
 * One input channel (a network's first layer): the window's taps in registers, every filter
 * against them directly. Otherwise im2col into two int16 columns at a time, then the 2x2 matrix
 * kernel of mn_gemm.h. */
#include "mn_kernels.h"
#include "mn_window.h"
#include "mn_gemm.h"

/* One input channel: at most MN_TAPS taps per window (kernel_h * kernel_w); wider kernels take the
 * im2col path. MemoryPlanner.oneChannelTaps mirrors it. */
#define MN_TAPS 16

/* A pair of int16 columns of kernel_h * kernel_w * input_channels values (mn_gemm.h); none for the
 * one-channel path (its taps live on the stack). MemoryPlanner.convScratchBytes mirrors it. */
int32_t mn_conv2d_s8_scratch_bytes(mn_shape input, mn_shape filter) {
    return input.c == 1 && filter.h * filter.w <= MN_TAPS ? 0 : 2 * 2 * filter.h * filter.w * input.c;
}

/* Column j for output position (b, y, x): the filter window over the input, offset added, zero padded. */
static void im2col(const mn_conv_params *p, mn_shape in, const int8_t *input, mn_shape f,
                   int32_t b, int32_t y, int32_t x, int16_t *col, int32_t j, int32_t k4) {
    const int32_t cin = in.c, run = f.w * cin;
    const mn_span sy = mn_window_span(y, p->stride_h, p->pad_h, f.h, in.h);
    const mn_span sx = mn_window_span(x, p->stride_w, p->pad_w, f.w, in.w);
    const int8_t *rows = input + ((b * in.h + sy.i0) * in.w + sx.i0) * cin;
#if MN_DSP
    /* Every row of the window whole and a multiple of four values long: each row is whole groups of
     * the column layout, filled a word of four inputs at a time (the layout of mn_col_put). */
    if (sx.lo == 0 && sx.hi == f.w && (run & 3) == 0) {
        const int16x2_t off = (int16x2_t)(((uint32_t)(uint16_t)p->input_offset << 16) | (uint16_t)p->input_offset);
        mn_word *dst = (mn_word *)col + 2 * j;  /* group g of row ky: words 4 (ky run/4 + g) + 2j, +1 */
        for (int32_t ky = 0; ky < f.h; ky++, dst += run) {
            if (ky < sy.lo || ky >= sy.hi) {
                for (int32_t g = 0; g < run >> 2; g++) dst[4 * g] = dst[4 * g + 1] = 0;
                continue;
            }
            const int8_t *src = rows + ky * in.w * cin;
            for (int32_t g = 0; g < run >> 2; g++) {
                uint32_t w;
                memcpy(&w, src + 4 * g, 4);
                dst[4 * g] = (uint32_t)__sadd16(__sxtb16((int8x4_t)w), off);
                dst[4 * g + 1] = (uint32_t)__sadd16(mn_sxtb16_odd(w), off);
            }
        }
        return;
    }
#endif
    for (int32_t ky = 0; ky < f.h; ky++) {
        const int32_t k = ky * run;
        if (ky < sy.lo || ky >= sy.hi) {
            mn_col_zero(col, j, k, run, k4);
            continue;
        }
        const int8_t *row = rows + ky * in.w * cin;
        mn_col_zero(col, j, k, sx.lo * cin, k4);
        mn_col_put(col, j, k + sx.lo * cin, row + sx.lo * cin, (sx.hi - sx.lo) * cin, p->input_offset, k4);
        mn_col_zero(col, j, k + sx.hi * cin, (f.w - sx.hi) * cin, k4);
    }
}

/* Output position (b, y, x) of pixel index i, stepped without divisions. */
typedef struct { int32_t b, y, x; } mn_pos;
static inline void mn_pos_next(mn_pos *s, mn_shape out) {
    if (++s->x == out.w) {
        s->x = 0;
        if (++s->y == out.h) { s->y = 0; s->b++; }
    }
}

/* acc[r] = bias + filter row r (K int8) · taps t, for r < n, with K a compile-time constant so the
 * taps stay in registers. */
#define MN_DOTS(KK) \
static void mn_dots_k##KK(const int8_t *w, int32_t n, const int16_t *t, const int32_t *bias, int32_t *acc) { \
    int32_t x[KK]; \
    _Pragma("GCC unroll 16") for (int32_t k = 0; k < KK; k++) x[k] = t[k]; \
    for (int32_t r = 0; r < n; r++, w += KK) { \
        int32_t a = bias ? bias[r] : 0; \
        _Pragma("GCC unroll 16") for (int32_t k = 0; k < KK; k++) a += w[k] * x[k]; \
        acc[r] = a; \
    } \
}
MN_DOTS(3)
MN_DOTS(5)
MN_DOTS(7)
#undef MN_DOTS

static void mn_dots(const int8_t *w, int32_t n, int32_t K, const int16_t *t, const int32_t *bias, int32_t *acc) {
    for (int32_t r = 0; r < n; r++, w += K) {
        int32_t a = bias ? bias[r] : 0;
        for (int32_t k = 0; k < K; k++) a += w[k] * t[k];
        acc[r] = a;
    }
}

/* Blocks of MN_BLOCK filters; per output position, the taps (input + offset, 0 where padded), then
 * the block's accumulators, then their requantization in a second loop: kept apart, each loop's
 * values fit in the core's registers. (Two positions per pass, sharing each weight load, measured
 * 10-20 % slower on the M33: the compiler spills.) */
static void conv_one_channel(const mn_conv_params *p, mn_requant q, mn_shape in, const int8_t *input,
                             mn_shape f, const int8_t *filter, const int32_t *bias, mn_shape out, int8_t *output) {
    const int32_t K = f.h * f.w, pixels = in.n * out.h * out.w;
    int16_t t[MN_TAPS];
    int32_t acc[MN_BLOCK];
    const int32_t step = q.per_channel ? 1 : 0, kind = mn_rq_kind(q.multiplier, q.shift, q.per_channel ? f.n : 1);
    for (int32_t r0 = 0; r0 < f.n; r0 += MN_BLOCK) {
        const int32_t n = f.n - r0 < MN_BLOCK ? f.n - r0 : MN_BLOCK;
        const int8_t *w = filter + r0 * K;
        const int32_t *b = bias ? bias + r0 : 0;
        mn_pos s = {0, 0, 0};
        for (int32_t i = 0; i < pixels; i++, mn_pos_next(&s, out)) {
            const mn_span sy = mn_window_span(s.y, p->stride_h, p->pad_h, f.h, in.h);
            const mn_span sx = mn_window_span(s.x, p->stride_w, p->pad_w, f.w, in.w);
            const int8_t *rows = input + (s.b * in.h + sy.i0) * in.w + sx.i0;
            if (sy.lo == 0 && sy.hi == f.h && sx.lo == 0 && sx.hi == f.w) {  /* no padding */
                for (int32_t ky = 0; ky < f.h; ky++)
                    for (int32_t kx = 0; kx < f.w; kx++) t[ky * f.w + kx] = (int16_t)(rows[ky * in.w + kx] + p->input_offset);
            } else for (int32_t ky = 0; ky < f.h; ky++) {
                const int inside = ky >= sy.lo && ky < sy.hi;
                for (int32_t kx = 0; kx < f.w; kx++)
                    t[ky * f.w + kx] = inside && kx >= sx.lo && kx < sx.hi ? (int16_t)(rows[ky * in.w + kx] + p->input_offset) : 0;
            }
            switch (K) {
            case 3: mn_dots_k3(w, n, t, b, acc); break;
            case 5: mn_dots_k5(w, n, t, b, acc); break;
            case 7: mn_dots_k7(w, n, t, b, acc); break;
            default: mn_dots(w, n, K, t, b, acc); break;
            }
            mn_rq_block(acc, n, q.multiplier + step * r0, q.shift + step * r0, step, kind, p->output_offset, p->act_min, p->act_max, output + i * out.c + r0);
        }
    }
}

void mn_conv2d_s8(const mn_conv_params *p, mn_requant q,
                  mn_shape in, const int8_t *input, mn_shape f, const int8_t *filter, const int32_t *bias,
                  mn_shape out, int8_t *output, void *scratch) {
    const int32_t K = f.h * f.w * in.c, k4 = K & ~3;
    if (in.c == 1 && K <= MN_TAPS) {
        conv_one_channel(p, q, in, input, f, filter, bias, out, output);
        return;
    }
    int16_t *cols = scratch;
    const int32_t pixels = in.n * out.h * out.w, kind = mn_rq_kind(q.multiplier, q.shift, q.per_channel ? f.n : 1);
    mn_pos s = {0, 0, 0};
    for (int32_t i = 0; i < pixels; i += 2) {
        const int32_t have2 = i + 1 < pixels;
        im2col(p, in, input, f, s.b, s.y, s.x, cols, 0, k4);
        if (have2) mn_pos_next(&s, out);
        im2col(p, in, input, f, s.b, s.y, s.x, cols, 1, k4);  /* a lone last pixel fills both columns */
        mn_pos_next(&s, out);
        mn_gemm_columns(filter, f.n, K, cols, bias, q, kind, p->output_offset, p->act_min, p->act_max,
                        output + i * out.c, have2 ? output + (i + 1) * out.c : 0);
    }
}
