/* ADD int8, same shapes: TFLite's scheme (inputs scaled by 2^left_shift, rescaled, summed, requantized). */
#include "mn_kernels.h"
#include "mn_fixed_point.h"

#define MN_ADD_BLOCK 32

static inline int32_t mn_add_term(int32_t x, int32_t offset, int32_t left_shift, int32_t multiplier, int32_t shift) {
    return mn_mbqm((int32_t)((uint32_t)(x + offset) << left_shift), multiplier, shift);
}

void mn_add_s8_rescale_table(const mn_add_params *p, int32_t *rescaled) {
    for (int32_t x = -128; x < 128; x++) {
        rescaled[128 + x] = mn_add_term(x, p->input1_offset, p->left_shift, p->input1_multiplier, p->input1_shift);
        rescaled[384 + x] = mn_add_term(x, p->input2_offset, p->left_shift, p->input2_multiplier, p->input2_shift);
    }
}

/* x + y wrapping like two's complement (as the reference's &+) */
static inline int32_t mn_wrap_add(int32_t x, int32_t y) { return (int32_t)((uint32_t)x + (uint32_t)y); }

/* With the table: the two terms by lookup, then the output's requantization — for the usual output
 * parameters (shift right, no multiplier INT32_MIN) one product (mn_srdhm_rdbpot_lean, as the
 * first-layer conv: this loop holds as many constants) and, for the activation range [-128, 127],
 * one SSAT; otherwise mn_requantize exactly. Not inlined: mn_add_s8's other path would take the
 * registers. */
__attribute__((noinline)) static void add_by_table(const mn_add_params *p, int32_t count, const int8_t *a, const int8_t *b, int8_t *out) {
    const int32_t *t1 = p->rescaled + 128, *t2 = p->rescaled + 384;
    const int32_t mo = p->output_multiplier, oo = p->output_offset, lo = p->act_min, hi = p->act_max;
    if (mo != INT32_MIN && p->output_shift < 0 && p->output_shift >= -31) {
        const int32_t e = -p->output_shift - 1;
        if (lo == -128 && hi == 127)
            for (int32_t i = 0; i < count; i++) out[i] = mn_sat8(mn_srdhm_rdbpot_lean(mn_wrap_add(t1[a[i]], t2[b[i]]), mo, e) + oo);
        else
            for (int32_t i = 0; i < count; i++) out[i] = mn_rq_out(mn_srdhm_rdbpot_lean(mn_wrap_add(t1[a[i]], t2[b[i]]), mo, e), oo, lo, hi);
        return;
    }
    for (int32_t i = 0; i < count; i++)
        out[i] = mn_requantize(mn_wrap_add(t1[a[i]], t2[b[i]]), mo, p->output_shift, oo, lo, hi);
}

void mn_add_s8(const mn_add_params *p, int32_t count, const int8_t *a, const int8_t *b, int8_t *out) {
    if (p->rescaled) {
        add_by_table(p, count, a, b, out);
        return;
    }
    /* The usual parameters (what the TFLite converter writes: input shifts right, no multiplier of
     * INT32_MIN, a left shift below 32) take a loop with every per-call test and mask hoisted;
     * anything else the generic one. Both compute mn_mbqm exactly. */
    const int32_t usual = p->input1_shift <= 0 && p->input2_shift <= 0 && p->input1_multiplier != INT32_MIN &&
                          p->input2_multiplier != INT32_MIN && p->output_multiplier != INT32_MIN &&
                          p->left_shift >= 0 && p->left_shift < 32 && p->output_shift >= -31 && p->output_shift < 32;
    if (!usual) {
        for (int32_t i = 0; i < count; i++) {
            const int32_t x = (int32_t)((uint32_t)((int32_t)a[i] + p->input1_offset) << p->left_shift);
            const int32_t y = (int32_t)((uint32_t)((int32_t)b[i] + p->input2_offset) << p->left_shift);
            const int32_t sx = mn_mbqm(x, p->input1_multiplier, p->input1_shift);
            const int32_t sy = mn_mbqm(y, p->input2_multiplier, p->input2_shift);
            out[i] = mn_requantize(sx + sy, p->output_multiplier, p->output_shift, p->output_offset, p->act_min, p->act_max);
        }
        return;
    }
    /* In blocks of MN_ADD_BLOCK elements, one pass per input and one for the output, so each pass's
     * constants fit in registers (one loop spills them all). A shift right by at least 1 takes
     * mn_srdhm_rdbpot, by 0 the multiply alone. */
    const int32_t ls = p->left_shift;
    const int32_t e1 = -p->input1_shift, e2 = -p->input2_shift;
    const int32_t left = p->output_shift > 0 ? p->output_shift : 0, eo = p->output_shift > 0 ? 0 : -p->output_shift;
    int32_t t[MN_ADD_BLOCK];
    for (int32_t i0 = 0; i0 < count; i0 += MN_ADD_BLOCK) {
        const int32_t n = count - i0 < MN_ADD_BLOCK ? count - i0 : MN_ADD_BLOCK;
        const int32_t o1 = p->input1_offset, m1 = p->input1_multiplier;
        if (e1 > 0)
            for (int32_t i = 0; i < n; i++) t[i] = mn_srdhm_rdbpot((int32_t)((uint32_t)((int32_t)a[i0 + i] + o1) << ls), m1, e1 - 1);
        else
            for (int32_t i = 0; i < n; i++) t[i] = mn_srdhm_plain((int32_t)((uint32_t)((int32_t)a[i0 + i] + o1) << ls), m1);
        const int32_t o2 = p->input2_offset, m2 = p->input2_multiplier;
        if (e2 > 0)
            for (int32_t i = 0; i < n; i++) t[i] += mn_srdhm_rdbpot((int32_t)((uint32_t)((int32_t)b[i0 + i] + o2) << ls), m2, e2 - 1);
        else
            for (int32_t i = 0; i < n; i++) t[i] += mn_srdhm_plain((int32_t)((uint32_t)((int32_t)b[i0 + i] + o2) << ls), m2);
        const int32_t mo = p->output_multiplier, oo = p->output_offset, lo = p->act_min, hi = p->act_max;
        if (eo > 0)
            for (int32_t i = 0; i < n; i++) out[i0 + i] = mn_rq_out(mn_srdhm_rdbpot((int32_t)((uint32_t)t[i] << left), mo, eo - 1), oo, lo, hi);
        else
            for (int32_t i = 0; i < n; i++) out[i0 + i] = mn_rq_out(mn_srdhm_plain((int32_t)((uint32_t)t[i] << left), mo), oo, lo, hi);
    }
}
