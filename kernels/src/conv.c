/* CONV_2D int8 (TFLite semantics): any kernel, stride, padding; per-channel requantization.
 * One input channel (a network's first layer): the taps of a block of positions gathered once,
 * then each filter over them with its weights in registers. Otherwise im2col into two int16 columns at a time, then the 2x2 matrix
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

/* One input channel. The taps of a block of output positions are gathered first, as int16 pairs
 * (input + offset, 0 where padded, a 0 after an odd last tap) in 384 bytes of stack (blocks of 256
 * bytes measured 8 % slower for 7 taps: the per-filter set-up is shared by fewer positions); then each
 * filter in turn, its weights packed into pairs once per block and kept in registers, runs over the
 * block's positions: per output value one SMLAD per pair of taps (ARMv7-M ARM A7.7.163) against
 * 32-bit loads of the taps, then the requantization with the filter's multiplier and shift already
 * in registers. */
#define MN_TAP_WORDS 96

static inline uint32_t mn_pair(int32_t lo, int32_t hi) { return (uint32_t)(uint16_t)lo | (uint32_t)hi << 16; }

/* acc + lo(x)·lo(y) + hi(x)·hi(y) of two int16 pairs, wrapping like SMLAD's result */
static inline int32_t mn_dual_mac(uint32_t x, uint32_t y, int32_t acc) {
#if MN_DSP
    return __smlad((int16x2_t)x, (int16x2_t)y, acc);
#else
    return (int32_t)((uint32_t)acc + (uint32_t)((int32_t)(int16_t)x * (int16_t)y) +
                     (uint32_t)((int32_t)(int16_t)(x >> 16) * (int16_t)(y >> 16)));
#endif
}

/* One filter over np positions: o[j * ostride] for taps tp[j * P ..]. Modes: MN_RUN_EXACT takes
 * mn_requantize's exact path; the others the usual requantization (shift right 1..31, no multiplier
 * INT32_MIN: e1 = -shift - 1), MN_RUN_FULL for the activation range [-128, 127] (one SSAT, which
 * frees the registers of the bounds). P, the number of tap pairs, is a compile-time constant in the
 * common cases. */
#define MN_RUN_EXACT 0
#define MN_RUN_USUAL 1
#define MN_RUN_FULL 2
#define MN_FILTER_LOOP(OUT) \
    for (int32_t j = 0; j < np; j++, tp += n, o += ostride) { \
        int32_t a = b; \
        _Pragma("GCC unroll 8") for (int32_t k = 0; k < n; k++) a = mn_dual_mac(tp[k], w[k], a); \
        *o = OUT; \
    }
#define MN_FILTER_RUN(NAME, PP, WEIGHTS) \
__attribute__((noinline)) static void NAME(const uint32_t *tp, int32_t np, int32_t P, const uint32_t *wq, int32_t b, int32_t m, int32_t sh, int mode, \
                 int32_t oo, int32_t lo, int32_t hi, int8_t *o, int32_t ostride) { \
    const int32_t n = (PP) ? (PP) : P, e1 = ~sh; \
    WEIGHTS \
    if (mode == MN_RUN_FULL) MN_FILTER_LOOP(mn_sat8(mn_srdhm_rdbpot_lean(a, m, e1) + oo)) \
    else if (mode == MN_RUN_USUAL) MN_FILTER_LOOP(mn_rq_out(mn_srdhm_rdbpot_lean(a, m, e1), oo, lo, hi)) \
    else MN_FILTER_LOOP(mn_requantize(a, m, sh, oo, lo, hi)) \
}
/* the weights in registers (a compile-time count), or read in place */
#define MN_WEIGHTS_COPIED(PP) uint32_t w[PP]; _Pragma("GCC unroll 8") for (int32_t k = 0; k < PP; k++) w[k] = wq[k];
MN_FILTER_RUN(mn_filter_run2, 2, MN_WEIGHTS_COPIED(2))
MN_FILTER_RUN(mn_filter_run3, 3, MN_WEIGHTS_COPIED(3))
MN_FILTER_RUN(mn_filter_run4, 4, MN_WEIGHTS_COPIED(4))
MN_FILTER_RUN(mn_filter_run, 0, const uint32_t *w = wq;)
#undef MN_WEIGHTS_COPIED
#undef MN_FILTER_RUN
#undef MN_FILTER_LOOP

static void conv_one_channel(const mn_conv_params *p, mn_requant q, mn_shape in, const int8_t *input,
                             mn_shape f, const int8_t *filter, const int32_t *bias, mn_shape out, int8_t *output) {
    const int32_t K = f.h * f.w, P = (K + 1) >> 1, pixels = in.n * out.h * out.w, block = MN_TAP_WORDS / P;
    const int32_t step = q.per_channel ? 1 : 0, kind = mn_rq_kind(q.multiplier, q.shift, q.per_channel ? f.n : 1);
    const int32_t off = p->input_offset;
    const int mode = kind ? MN_RUN_EXACT : p->act_min == -128 && p->act_max == 127 ? MN_RUN_FULL : MN_RUN_USUAL;
    uint32_t taps[MN_TAP_WORDS];
    mn_pos s = {0, 0, 0};
    for (int32_t i0 = 0; i0 < pixels; i0 += block) {
        const int32_t np = pixels - i0 < block ? pixels - i0 : block;
        for (int32_t j = 0; j < np; j++, mn_pos_next(&s, out)) {
            const mn_span sy = mn_window_span(s.y, p->stride_h, p->pad_h, f.h, in.h);
            const mn_span sx = mn_window_span(s.x, p->stride_w, p->pad_w, f.w, in.w);
            const int8_t *rows = input + (s.b * in.h + sy.i0) * in.w + sx.i0;
            uint32_t *dst = taps + j * P;
            int16_t t[MN_TAPS + 2];
            if (f.w == 1 && sy.lo == 0 && sy.hi == f.h) {  /* a column of taps (k x 1 kernel), no padding: pairs directly */
                const int32_t d = in.w;
                const int8_t *x = rows;
                for (int32_t k = 0; k < K >> 1; k++, x += 2 * d) dst[k] = mn_pair(x[0] + off, x[d] + off);
                if (K & 1) dst[K >> 1] = mn_pair(x[0] + off, 0);
                continue;
            }
            if (sy.lo == 0 && sy.hi == f.h && sx.lo == 0 && sx.hi == f.w) {  /* no padding */
                for (int32_t ky = 0; ky < f.h; ky++)
                    for (int32_t kx = 0; kx < f.w; kx++) t[ky * f.w + kx] = (int16_t)(rows[ky * in.w + kx] + off);
            } else for (int32_t ky = 0; ky < f.h; ky++) {
                const int inside = ky >= sy.lo && ky < sy.hi;
                for (int32_t kx = 0; kx < f.w; kx++)
                    t[ky * f.w + kx] = inside && kx >= sx.lo && kx < sx.hi ? (int16_t)(rows[ky * in.w + kx] + off) : 0;
            }
            t[K] = 0;
            for (int32_t k = 0; k < P; k++) dst[k] = mn_pair(t[2 * k], t[2 * k + 1]);
        }
        for (int32_t r = 0; r < f.n; r++) {
            const int8_t *w = filter + r * K;
            uint32_t wq[8];
            for (int32_t k = 0; k < P; k++) wq[k] = mn_pair(w[2 * k], 2 * k + 1 < K ? w[2 * k + 1] : 0);
            const int32_t b = bias ? bias[r] : 0, m = q.multiplier[r * step], sh = q.shift[r * step];
            int8_t *o = output + i0 * out.c + r;
            switch (P) {
            case 2: mn_filter_run2(taps, np, P, wq, b, m, sh, mode, p->output_offset, p->act_min, p->act_max, o, out.c); break;
            case 3: mn_filter_run3(taps, np, P, wq, b, m, sh, mode, p->output_offset, p->act_min, p->act_max, o, out.c); break;
            case 4: mn_filter_run4(taps, np, P, wq, b, m, sh, mode, p->output_offset, p->act_min, p->act_max, o, out.c); break;
            default: mn_filter_run(taps, np, P, wq, b, m, sh, mode, p->output_offset, p->act_min, p->act_max, o, out.c); break;
            }
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
